from django.core.management.base import BaseCommand, CommandError

from registry.competitions import DEFAULT_COMPETITIONS, competitions_load_file
from registry.errors import DomainError


class Command(BaseCommand):
    help = "Load or refresh competitions and their promotion rules (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_COMPETITIONS))

    def handle(self, *args, path, **options):
        try:
            count = competitions_load_file(path)
        except (DomainError, FileNotFoundError, KeyError, ValueError, TypeError) as error:
            raise CommandError(f"{path}: {error}") from None
        self.stdout.write(f"competitions: {count} loaded")
