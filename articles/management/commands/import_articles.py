from django.core.management.base import BaseCommand, CommandError

from articles.importing import import_stories


class Command(BaseCommand):
    help = "Import story files (seed text format); directories import every *.txt in them."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="story files or directories")

    def handle(self, *args, paths, **options):
        report = import_stories(paths)
        for path, outcome in report.outcomes.items():
            if options["verbosity"] >= 2 or (options["verbosity"] >= 1 and outcome != "unchanged"):
                self.stdout.write(f"{path}: {outcome}")
        for error in report.errors:
            self.stderr.write(str(error))
        counts = {
            o: list(report.outcomes.values()).count(o) for o in ("created", "updated", "unchanged")
        }
        summary = ", ".join(f"{n} {o}" for o, n in counts.items())
        if report.errors:
            failed = ", ".join(str(p) for p in report.failed)
            raise CommandError(
                f"Imported {len(report.outcomes)} file(s) ({summary}); "
                f"{len(report.errors)} failed and wrote nothing: {failed}"
            )
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {len(report.outcomes)} file(s): {summary}.")
            )
