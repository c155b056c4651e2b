from pathlib import Path

from django.core.management.base import BaseCommand

from articles.importing import export_stories


class Command(BaseCommand):
    help = "Export every story, whatever its status, as story files into DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        written = export_stories(directory)
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Exported {len(written)} stories to {directory}.")
            )
