from django.core.management.base import BaseCommand, CommandError

from articles.importing import TAKEN_DOWN_SKIP, import_stories

OUTCOMES = ("created", "updated", "overwritten", "unchanged", "skipped", TAKEN_DOWN_SKIP)


class Command(BaseCommand):
    help = (
        "Import story files (seed text format); directories import every *.txt in them. "
        "A story changed in the newsroom since its last import is skipped unless --overwrite."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="story files or directories")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace stories the newsroom wrote or edited since their last import",
        )

    def handle(self, *args, paths, overwrite, **options):
        report = import_stories(paths, overwrite=overwrite)
        verbosity = options["verbosity"]
        for path, outcome in report.outcomes.items():
            note = report.notes.get(path)
            if note:
                # Skipped and overwritten stories are news for the operator at any verbosity.
                self.stderr.write(f"{path}: {outcome}: {note}", style_func=self.style.WARNING)
            elif verbosity >= 2 or (verbosity >= 1 and outcome != "unchanged"):
                self.stdout.write(f"{path}: {outcome}")
        for error in report.errors:
            self.stderr.write(str(error))

        done = list(report.outcomes.values())
        summary = ", ".join(
            f"{done.count(o)} {o}"
            for o in OUTCOMES
            if o in ("created", "updated", "unchanged") or o in done
        )
        skipped = report.having("skipped")
        if skipped:
            summary += (
                f" ({', '.join(map(str, skipped))}: changed in the newsroom; "
                "--overwrite replaces them)"
            )
        if report.errors:
            failed = ", ".join(str(p) for p in report.failed)
            raise CommandError(
                f"Imported {len(report.outcomes)} file(s) ({summary}); "
                f"{len(report.errors)} failed and wrote nothing: {failed}"
            )
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {len(report.outcomes)} file(s): {summary}.")
            )
