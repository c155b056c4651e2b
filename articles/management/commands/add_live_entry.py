import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from articles.editorial import live
from articles.models import Article, Author

ACTOR = "add_live_entry"


def find_author(given: str) -> Author:
    """The author named ``given`` (any case) or with that slug."""
    name = " ".join(given.split())
    author = Author.objects.filter(Q(name__iexact=name) | Q(slug=name.lower())).first()
    if author is None:
        raise CommandError(f"No author is named '{given}': add them in the admin first.")
    return author


class Command(BaseCommand):
    help = (
        "Post an entry to a story's live coverage, for desks' scripts. The text is plain "
        "(a blank line starts a paragraph) or HTML (sanitised); '-' reads it from standard "
        "input. --start starts coverage first on a live story whose coverage does not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the story's address (slug), or an old one")
        parser.add_argument("--text", required=True, help="the entry, or - for standard input")
        parser.add_argument("--headline", default="", help="a few words summing it up")
        parser.add_argument("--key", action="store_true", help="mark it a key event")
        parser.add_argument(
            "--author",
            action="append",
            default=[],
            help="an author's name or slug; repeat for several",
        )
        parser.add_argument(
            "--start", action="store_true", help="start live coverage first if it does not run"
        )

    def handle(self, *args, slug, text, headline, key, author, start, **options):
        article = Article.objects.at_address(slug)
        if article is None:
            raise CommandError(f"No story has the address '{slug}'.")
        if text == "-":
            text = sys.stdin.read()
        authors = [find_author(name) for name in author]
        try:
            with transaction.atomic():
                started = start and not article.covered_live
                if started:
                    live.start_coverage(article=article, actor=ACTOR)
                entry = live.post_entry(
                    article=article, body=text, headline=headline, is_key=key, authors=authors
                )
        except ValidationError as error:
            messages = " ".join(error.messages)
            if not start and getattr(error, "code", None) == "not_started":
                messages += " Pass --start to start it."
            raise CommandError(messages) from None
        if options["verbosity"] >= 1:
            if started:
                self.stdout.write(f"Started live coverage of “{article.headline}”.")
            kind = "key event" if entry.is_key else "entry"
            self.stdout.write(
                self.style.SUCCESS(
                    f"Posted {kind} {entry.pk} at {live.format_time(entry.created_at)}: "
                    f"{entry.get_absolute_url()}"
                )
            )
