from django.core.management.base import BaseCommand, CommandError

from articles.intelligence import linkhealth


class Command(BaseCommand):
    help = (
        "Report the story graph's link health: pending links, links to stories that are not "
        "live, unlinked live stories, one-way pairs, the most-linked stories. Exits non-zero "
        "when a live story links to a story that is not live, or a pending link is older "
        "than --max-pending-age."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-pending-age",
            dest="age",
            help="oldest a pending link may be, e.g. 7d, 48h, 2w (default: the "
            "NEWSROOM_LINK_MAX_PENDING_AGE setting, env LINK_MAX_PENDING_AGE, 7d)",
        )

    def handle(self, *args, age=None, verbosity=1, **options):
        try:
            max_age = linkhealth.parse_age(age) if age else linkhealth.max_pending_age()
        except ValueError as error:
            raise CommandError(str(error)) from error
        report = linkhealth.link_health(max_age=max_age)
        if verbosity >= 1:
            self.stdout.write(report.as_text())
        if not report.ok:
            raise CommandError(
                f"{report.failure_count} link-health failure(s): live stories showing links "
                f"to stories that are not live, or pending links older than "
                f"{report.max_pending_age_text}.",
                returncode=2,
            )
