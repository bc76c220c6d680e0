from django.core.management.base import BaseCommand, CommandError

from registry.catalogue import DEFAULT_CATALOGUE, catalogue_load_file
from registry.errors import DomainError
from registry.workdays import calendar_load_package


class Command(BaseCommand):
    help = "Load or refresh the occupation catalogue and the holiday calendar (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_CATALOGUE))

    def handle(self, *args, path, **options):
        try:
            report = catalogue_load_file(path)
        except (DomainError, FileNotFoundError, KeyError, ValueError) as error:
            raise CommandError(f"{path}: {error}") from None
        self.stdout.write(
            f"occupations: {report.occupations_created} created, {report.occupations_updated} updated; "
            f"standards: {report.standards}; eligibility conditions: {report.conditions}"
        )
        # The holiday calendar is reference data too: working days (publicity) count with it.
        years = calendar_load_package()
        self.stdout.write(f"holiday calendar: {len(years)} years loaded")
