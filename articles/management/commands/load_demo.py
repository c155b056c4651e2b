import time

from django.core.management.base import BaseCommand, CommandError

from articles import demo


class Command(BaseCommand):
    help = (
        "Load the demo newsroom (seeds/demo/: a few dozen stories around the seed, with "
        "pictures drawn on the spot) into a newsroom that has no stories of its own; "
        "--remove deletes it again. Never touches a story it did not load."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--first-run",
            action="store_true",
            help="load it only if the database has no story at all (make run uses this, "
            "before it imports the seed: a newsroom that removed the demo keeps it removed)",
        )
        action.add_argument(
            "--remove",
            action="store_true",
            help="delete the demo stories, the pictures only they show and the names only "
            "they carry",
        )

    def handle(self, *args, first_run, remove, **options):
        verbosity = options["verbosity"]
        if remove:
            return self.remove(verbosity)
        if first_run and not demo.newsroom_is_empty():
            if verbosity >= 2:
                self.stdout.write("The database has stories: no demo (it is for a first run).")
            return
        started = time.monotonic()
        try:
            report = demo.load()
        except demo.DemoRefused as refusal:
            raise CommandError(f"Not loading the demo: {refusal}.") from None
        if verbosity < 1:
            return
        if report.already_loaded:
            self.stdout.write(
                f"The demo is loaded already ({report.stories} stories); nothing to do. "
                "manage.py load_demo --remove deletes it."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo newsroom: {report.stories} stories marked Demo, "
                f"{report.pictures} pictures ({time.monotonic() - started:.1f} s). "
                "manage.py load_demo --remove deletes it when you start real work."
            )
        )

    def remove(self, verbosity: int) -> None:
        report = demo.remove()
        if verbosity < 1:
            return
        if not report.stories:
            self.stdout.write("There is no demo content to remove.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed the demo: {report.stories} stories, {report.pictures} pictures "
                f"and {len(report.names)} names only they carried."
            )
        )
        if verbosity >= 2 and report.names:
            self.stdout.write("Names removed: " + "; ".join(report.names))
