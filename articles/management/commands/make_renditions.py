from django.core.management.base import BaseCommand, CommandError

from articles.images import make_missing_renditions


class Command(BaseCommand):
    help = (
        "Make the renditions of library images that have none or whose renditions are out "
        "of date (new file, focal point or recipe); --all makes every image's again. Pages "
        "never make them: run this after migrating a database that had images."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="force", help="remake every image's renditions"
        )

    def handle(self, *args, force, **options):
        made, failed = 0, []
        for image, problem in make_missing_renditions(force=force):
            if problem:
                failed.append(f"image {image.pk}: {problem}")
                self.stderr.write(failed[-1])
                continue
            made += 1
            if options["verbosity"] >= 2:
                self.stdout.write(f"image {image.pk}: renditions made")
        if failed:
            raise CommandError(f"Made the renditions of {made} image(s); {len(failed)} failed.")
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Made the renditions of {made} image(s)."))
