from django.core.management.base import BaseCommand

from registry.models import CalendarYear
from registry.workdays import calendar_load_package


class Command(BaseCommand):
    help = "Load the national holiday arrangements that the package chinese-calendar covers (idempotent)."

    def handle(self, *args, **options):
        loaded = calendar_load_package()
        years = sorted(CalendarYear.objects.values_list("year", flat=True))
        covered = f"{years[0]}–{years[-1]}" if years else "none"
        self.stdout.write(f"holiday calendar: {len(loaded)} years loaded; covered: {covered}")
        if years:
            self.stdout.write(
                f"years after {years[-1]}: enter them in the admin (节假日安排) once the State Council publishes them"
            )
