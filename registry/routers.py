"""Database routing: one primary, and optionally a read replica for public verification.

With DATABASE_REPLICA_URL set, settings define a second alias, `replica`. Reads made inside
`replica_reads()` (the verification look-ups: by far the most frequent query of a public
registry, and one that tolerates a replica's lag of a second or so) go there; every other read
and every write goes to the primary, whatever alias an instance was loaded from, and no
migration ever runs on the replica. Without a replica everything uses `default`.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_replica_reads = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads():
    """Reads in this block may be served by the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _replica_reads.get() and replica_configured():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two ways in

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
