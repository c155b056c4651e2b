from django.core.management.base import BaseCommand, CommandError

from articles import websub
from articles.intelligence import linkhealth

# How long the command waits for the hub (retries included) before giving up.
WAIT_SECONDS = 30


class Command(BaseCommand):
    help = (
        "Tell the WebSub hub (WEBSUB_HUB_URL) about the feeds of stories that went live in "
        "the last --since (scheduled or embargoed stories reaching their time, which no save "
        "announces). Run it from cron every minute; does nothing while WebSub is off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            default="2m",
            help="how far back to look, e.g. 2m, 1h (default 2m: a little more than cron's "
            "minute, so no story is missed; a feed pinged twice costs the hub one fetch)",
        )

    def handle(self, *args, since="2m", verbosity=1, **options):
        try:
            window = linkhealth.parse_age(since)
        except ValueError as error:
            raise CommandError(str(error)) from error
        hub = websub.pinger()
        if hub is None:
            if verbosity >= 1:
                self.stdout.write("WebSub is off (WEBSUB_HUB_URL is not set): nothing to do.")
            return
        topics = websub.ping_went_live(window)
        if not hub.queue.flush(WAIT_SECONDS):
            raise CommandError(f"the hub {hub.url} did not take every ping in {WAIT_SECONDS} s")
        if verbosity >= 1:
            self.stdout.write(f"Pinged {hub.url} for {len(topics)} feeds.")
        if verbosity >= 2:
            for topic in sorted(topics):
                self.stdout.write(f"  {topic}")
