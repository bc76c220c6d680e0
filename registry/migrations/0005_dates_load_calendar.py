"""Load the national holiday arrangements the package `chinese-calendar` covers (2004–2026),
so that every database counts working days from the start. Later years: the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from registry.workdays import calendar_load_package

    calendar_load_package(models=(apps.get_model("registry", "CalendarYear"), apps.get_model("registry", "CalendarDay")))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_dates_calendar_related_employer"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
