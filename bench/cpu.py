"""CPU per uncached request of each page, in-process (see bench/README.md).

Django's test Client against the corpus in DATABASE_URL with the page cache off, as
``bench/latency.py`` runs it; the figure is ``time.process_time()`` of this process around
``--requests`` requests divided by their number: the server's Python (PostgreSQL's own CPU
is not in it). Process time, not wall time, so a machine busy with other work skews it less.
``--profile cumulative`` prints a cProfile (of process time) of each page instead.

Page cache off means every request renders its page, as after a change to what it shows;
the parts of pages kept between requests (``articles/fragments.py``) are used as a server
that has served those addresses uses them (each page is requested twice before timing).
``--cold`` turns those off too: every part of every page rendered every time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nr_bench .venv/bin/python bench/cpu.py
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import targets  # noqa: E402

PAGES = ("article", "hub", "front", "search", "feed")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--pages", default=",".join(PAGES), help="comma-separated, of " + ", ".join(PAGES)
    )
    parser.add_argument("--profile", metavar="SORT", help="print a cProfile sorted by SORT")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="keep no page parts either (NEWSROOM_FRAGMENT_CACHE=off): every part rendered",
    )
    options = parser.parse_args(argv)
    os.environ.setdefault("SECRET_KEY", "cpu-harness-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["NEWSROOM_PAGE_CACHE"] = "off"
    os.environ["NEWSROOM_FRAGMENT_CACHE"] = "off" if options.cold else "on"
    os.environ["RATE_LIMIT_UNCACHED"] = "off"
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    targets.setup_django()
    from django.test import Client

    chosen = targets.choose(articles=200)
    paths = {
        "article": chosen["article"],  # a different story each request
        "hub": [chosen["hub"]],  # the busiest person's, page 1
        "front": [chosen["front"]],
        "search": [chosen["search"]],
        "feed": [chosen["feed"]],  # the site's RSS, 50 full items
    }
    client = Client()
    for page in options.pages.split(","):
        # Warm: templates, compiled queries, connections, and (unless --cold) the parts of
        # each page kept between requests, as a server that has served them has them.
        for path in paths[page][: options.requests] * 2:
            client.get(path)
        profile = cProfile.Profile(time.process_time) if options.profile else None
        if profile:
            profile.enable()
        started = time.process_time()
        for i in range(options.requests):
            assert client.get(paths[page][i % len(paths[page])]).status_code == 200
        spent = (time.process_time() - started) * 1000 / options.requests
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats(options.profile).print_stats(40)
        print(f"{page:<8} {spent:6.2f} ms CPU per request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
