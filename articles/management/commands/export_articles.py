from pathlib import Path

from django.core.management.base import BaseCommand

from articles.importing import export_stories
from articles.models import Article


class Command(BaseCommand):
    help = (
        "Export every story, whatever its status, as story files into DIR; taken-down "
        "stories are left out (their copy stays in the database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        written = export_stories(directory)
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Exported {len(written)} stories to {directory}.")
            )
            left_out = Article.objects.filter(status=Article.Status.WITHDRAWN).count()
            if left_out:
                self.stdout.write(f"Left out {left_out} taken-down stories.")
