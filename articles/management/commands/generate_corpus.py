import time
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from articles.models import Article
from bench.corpus import delete_corpus, generate_corpus


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


positive_int.__name__ = "positive number"  # argparse names the type in its error message


class ProgressBar:
    """A plain-text progress bar: redrawn in place on a terminal, a line per tenth otherwise."""

    WIDTH = 30

    def __init__(self, stream, label: str):
        self.stream, self.label = stream, label
        self.started = time.monotonic()
        self.interactive = getattr(stream, "isatty", lambda: False)()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // total
        if not self.interactive and tenth == self.last_tenth and done < total:
            return
        self.last_tenth = tenth
        filled = done * self.WIDTH // total
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done:,}/{total:,} {done * 100 // total:3d}% {elapsed:6.1f}s"
        )
        if self.interactive:
            self.stream.write(f"\r{line}", ending="\n" if done >= total else "")
        else:
            self.stream.write(line)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Generate a reproducible synthetic newsroom (stories, tags, bylines, Also Read links) "
        "for scale tests and benchmarks. Refuses to run when stories exist, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=positive_int, required=True, help="stories to write")
        parser.add_argument("--seed", type=int, default=0, help="same seed, same corpus")
        parser.add_argument(
            "--people", type=positive_int, help="distinct people (default: scales with size)"
        )
        parser.add_argument("--batch-size", type=positive_int, default=2000)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete every story, tag, section and author first",
        )

    def handle(self, *args, articles, seed, people, batch_size, reset, verbosity, **options):
        existing = Article.objects.count()
        if existing and not reset:
            raise CommandError(
                f"The database already has {existing:,} stories; use --reset to delete all "
                "stories, tags, sections and authors first."
            )
        if reset and existing:
            if verbosity >= 1:
                self.stderr.write(f"Deleting {existing:,} stories and their tags…")
            delete_corpus()
        started = time.monotonic()
        progress = ProgressBar(self.stderr, "Stories") if verbosity >= 1 else None
        # One transaction of minutes at a million stories: the page-serving time limits
        # (DATABASE_STATEMENT_TIMEOUT) would cut its COMMIT off.
        unbounded = getattr(connection, "without_time_limits", nullcontext)
        with unbounded():
            report = generate_corpus(
                articles, seed=seed, people=people, batch_size=batch_size, progress=progress
            )
        if verbosity >= 1:
            statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(report.statuses.items()))
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {report.articles:,} stories ({statuses}) with {report.links:,} "
                    f"links ({report.pending_links:,} pending), {report.people:,} people, "
                    f"{report.countries:,} countries and {report.topics:,} topics "
                    f"in {time.monotonic() - started:.1f}s (seed {seed})."
                )
            )
