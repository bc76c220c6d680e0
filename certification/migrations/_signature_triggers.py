"""Re-install the signature verdict's triggers on SQLite (see 0009_verify_signature_verdict):
SQLite alters a field by rebuilding the table, which drops the triggers on it."""

import importlib

verdict = importlib.import_module("certification.migrations.0009_verify_signature_verdict")


def sqlite_reinstall(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in verdict.SQLITE_DOWN + verdict.SQLITE_UP:
            cursor.execute(statement)


def sqlite_drop(apps, schema_editor):
    """Before a rebuild: the person trigger names the certificate table, and SQLite refuses to
    rename a table while a trigger refers to it."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in verdict.SQLITE_DOWN:
            cursor.execute(statement)
