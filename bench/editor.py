"""An editor at work: saves one live story every few seconds, as the admin would.

Run by ``bench/run --modes at-work`` beside the readers' load, with the server's environment
(DATABASE_URL and friends); see bench/README.md. Each save opens a random live story at its
current revision, changes its standfirst (what cards, feed items and the story's page show)
and saves it through ``editing.save_article`` — the admin's own path: the lost-update guard
against the revision the edit began from, ``Article.save()`` and its signals, which record
what changed for the page cache (``articles.caching``), then a new story version. A story
saved by someone else meanwhile is refused (``StaleRevision``) and counted, not forced.

Prints ``ready`` once Django is set up, then at the end one line of JSON: the saves made,
refused and failed, and each save's story, time and the keys it changed.
"""

import argparse
import json
import random
import re
import signal
import sys
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench.py would stand in for the
# bench package: the checkout goes before it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.targets import setup_django  # noqa: E402

# The edit: a line of the standfirst saying when the story was last touched, replaced by the
# next save, so the text does not grow however often the bench runs.
MARK = re.compile(r"\s*\(Edited at \d\d:\d\d:\d\d\.\d\)$")


def edited(standfirst: str, at: float) -> str:
    """``standfirst`` with its edit mark, if any, replaced by one for ``at`` (epoch seconds)."""
    stamp = time.strftime("%H:%M:%S", time.gmtime(at)) + f".{int(at * 10) % 10}"
    return f"{MARK.sub('', standfirst)} (Edited at {stamp})".strip()


def save_one(pk: int, at: float) -> dict:
    """Edit and save story ``pk`` as the admin does; what happened, and the keys it changed."""
    from django.db import transaction

    from articles.editorial import editing
    from articles.models import Article, ContentChange, StoryVersion

    newest = ContentChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    try:
        with transaction.atomic():
            article = Article.objects.get(pk=pk)  # the form, opened at this revision
            base_revision = article.revision
            article.standfirst = edited(article.standfirst, at)
            editing.save_article(article=article, base_revision=base_revision)
            StoryVersion.objects.capture(article, actor="bench/editor.py")
    except editing.StaleRevision:
        return {"story": pk, "outcome": "stale"}
    seconds = time.perf_counter() - started
    keys = sorted(set(ContentChange.objects.filter(pk__gt=newest).values_list("key", flat=True)))
    return {"story": pk, "outcome": "saved", "ms": round(seconds * 1000, 1), "keys": keys}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between saves")
    parser.add_argument("--duration", type=float, required=True, help="seconds to keep saving")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--newest",
        type=int,
        default=0,
        help="edit only among the N newest live stories, as newsrooms mostly do (0: any)",
    )
    options = parser.parse_args(argv)
    setup_django()
    from articles.models import Article

    live = Article.objects.live()
    if options.newest:
        live = live.order_by("-published_at", "-pk")[: options.newest]
    stories = sorted(live.values_list("pk", flat=True))
    pick = random.Random(options.seed)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    print("ready", flush=True)
    # On a fixed beat from now (half an interval in, so a run of D seconds makes D / interval
    # saves), however long each save takes.
    started = time.monotonic()
    saves = []
    beat = 0
    while not stopping:
        due = started + (beat + 0.5) * options.interval
        if due > started + options.duration:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        if stopping:
            break
        beat += 1
        try:
            save = save_one(pick.choice(stories), time.time())
        except Exception as error:  # counted and reported: the readers' run goes on
            save = {"outcome": "failed", "error": repr(error)}
        save["at_s"] = round(time.monotonic() - started, 2)
        saves.append(save)
    summary = {
        outcome: sum(save["outcome"] == outcome for save in saves)
        for outcome in ("saved", "stale", "failed")
    }
    print(json.dumps({**summary, "saves": saves}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
