from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles.editorial import editing
from articles.models import Article

REASONS = Article.TakedownReason


def reason_category(given: str) -> str:
    """The reason category named by ``given``: its value or its label, in any case
    ("legal", "Privacy", "published in error"). Free text belongs in ``--note``."""
    wanted = " ".join(given.split()).lower()
    for value, label in REASONS.choices:
        if wanted in (value, label.lower()):
            return value
    raise CommandError(
        f"Unknown reason '{given}': use one of {', '.join(REASONS.values)}, and put your own "
        "words for readers in --note."
    )


class Command(BaseCommand):
    help = (
        "Take a story down: it leaves every public surface and each of its addresses answers "
        "410 Gone with a short notice (the date, the reason, --note, and the headline unless "
        "withheld: by default for legal and privacy reasons). --reverse brings it back as it "
        "was. Lists the live stories that link to it."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the story's address (slug), or an old one")
        parser.add_argument(
            "--reason", help=f"why: {', '.join(REASONS.values)} (required unless --reverse)"
        )
        parser.add_argument("--note", default="", help="a short public note for the notice")
        headline = parser.add_mutually_exclusive_group()
        headline.add_argument(
            "--withhold-headline",
            dest="withhold_headline",
            action="store_const",
            const=True,
            help="leave the headline off the notice (the default for legal and privacy)",
        )
        headline.add_argument(
            "--show-headline",
            dest="withhold_headline",
            action="store_const",
            const=False,
            help="name the story on the notice (the default for error)",
        )
        parser.add_argument("--reverse", action="store_true", help="reverse the takedown")

    def handle(self, *args, slug, reason, note, withhold_headline, reverse, **options):
        article = Article.objects.at_address(slug)
        if article is None:
            raise CommandError(f"No story has the address '{slug}'.")
        if reverse and (reason or note or withhold_headline is not None):
            raise CommandError("--reverse takes no --reason, --note or headline option.")
        if not reverse and not reason:
            raise CommandError(f"Say why with --reason ({', '.join(REASONS.values)}).")
        try:
            if reverse:
                editing.reverse_takedown(article=article, actor="takedown")
            else:
                editing.take_down(
                    article=article,
                    reason=reason_category(reason),
                    note=note,
                    withhold_headline=withhold_headline,
                    actor="takedown",
                )
        except editing.StaleRevision:
            raise CommandError("The story changed meanwhile; run the command again.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["verbosity"] >= 1:
            self.report(article, reverse)

    def report(self, article: Article, reversed_: bool) -> None:
        address = article.get_absolute_url()
        if reversed_:
            state = article.get_status_display().lower()
            self.stdout.write(
                self.style.SUCCESS(f"Reversed the takedown of “{article.headline}”: {state} again.")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Took down “{article.headline}”: {address} now answers 410 Gone. "
                    f"{editing.takedown_detail(article)}"
                )
            )
        inbound = list(editing.live_inbound_links(article))
        if not inbound:
            self.stdout.write("No live story links to it.")
            return
        effect = "show it again" if reversed_ else "no longer show it"
        self.stdout.write(
            f"{len(inbound)} live stor{'y links' if len(inbound) == 1 else 'ies link'} to it; "
            f"their Also Read boxes {effect}:"
        )
        for link in inbound:
            self.stdout.write(f"  {link.source.headline} ({link.source.get_absolute_url()})")
