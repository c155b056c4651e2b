from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from articles.models import StoryVersion

# A longer window than any newsroom keeps drafts for, and short of the calendar's end.
MOST_DAYS = 36_500


class Command(BaseCommand):
    help = (
        "Delete story versions recorded more than --keep-days days ago, except the versions "
        "readers saw (published and live) and the latest version of each story."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-days",
            required=True,
            help=f"keep every version younger than this many days (0 to {MOST_DAYS})",
        )

    def handle(self, *args, keep_days: str, verbosity=1, **options):
        if not keep_days.isdigit() or int(keep_days) > MOST_DAYS:
            raise CommandError(
                f"--keep-days takes a whole number of days from 0 to {MOST_DAYS}, "
                f"not '{keep_days}'."
            )
        before = timezone.now() - timedelta(days=int(keep_days))
        with transaction.atomic():
            removed = StoryVersion.objects.purge(before)
        total = sum(removed.values())
        if verbosity >= 2:
            for headline, count in sorted(removed.items()):
                self.stdout.write(f"  {headline}: {count} version{'s' if count != 1 else ''}")
        if verbosity >= 1:
            self.stdout.write(
                f"Removed {total} version{'s' if total != 1 else ''} of {len(removed)} "
                f"stor{'ies' if len(removed) != 1 else 'y'} recorded before "
                f"{before:%Y-%m-%d %H:%M} UTC (kept published versions and each story's latest)."
            )
