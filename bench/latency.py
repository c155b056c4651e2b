"""Server-side latency of each public view, in-process and uncached (see bench/README.md).

Runs Django's test Client against the database in DATABASE_URL (a big corpus made with
``manage.py generate_corpus``), with the page cache off, and prints the 95th-percentile time,
the median and the query count of: an article page (a different story each request), the
busiest person's hub at page 1 and page 500, the front page, that hub's feed and a search —
the views issue 8 names — then the hub and feed of a tag on about 0.25 % of the stories (the
hardest size to list quickly), the busiest hub right after a content change (when its
remembered count is worked out again), the sitemap index, and the index right after an edit
of a story (``sitemap edit``); page parts are kept between requests (each article is new,
each other view repeats) unless ``--cold``; then ``EXPLAIN (ANALYZE,
BUFFERS)`` of the slowest query of the search (``--explain``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nr_bench .venv/bin/python bench/latency.py
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench.py would stand in for the
# bench package: the checkout goes before it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import targets  # noqa: E402


def time_view(client, paths: list[str], requests: int, warmup: int, before=None) -> dict:
    """Percentiles of ``requests`` requests to ``paths`` in turn; ``before()`` runs, untimed,
    before each one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        client.get(paths[i % len(paths)])
    timings, statuses = [], set()
    for i in range(requests):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(paths[(warmup + i) % len(paths)])
        timings.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(paths[0])
    timings.sort()
    slowest = max((float(q["time"]) for q in queries.captured_queries), default=0.0)
    return {
        "slowest_sql_ms": slowest * 1000,
        "p95_ms": timings[min(len(timings) - 1, int(0.95 * len(timings)))],
        "p50_ms": statistics.median(timings),
        "queries": len(queries.captured_queries),
        "statuses": sorted(statuses),
    }


def deep_page(hub: str, number: int) -> str:
    """The address a reader reaches by following "Older stories" ``number - 1`` times from
    the busiest person's hub (pages are keyed by the story before them, articles.reader.paging)."""
    from articles.reader.hubs import HUB_KINDS
    from articles.reader.paging import ListingKey
    from articles.reader.views import PAGE_SIZE

    stories = HUB_KINDS["people"].articles(targets.busiest_person())
    last_before = stories.order_by("-listed", "-pk")[(number - 1) * PAGE_SIZE - 1]
    return f"{hub}?before={ListingKey.of(last_before)}"


def mid_tag(share: float = 0.0025):
    """The person, country or topic whose live stories are nearest ``share`` of all live
    stories: too many to read and sort, too few to meet soon walking the archive by date."""
    from django.db.models import Count
    from django.utils import timezone

    from articles.models import TAG_KINDS, Article

    now = timezone.now()
    target = share * Article.objects.live(at=now).count()
    best = None
    for kind in TAG_KINDS:
        through = getattr(Article, kind).through
        for row in (
            through.objects.filter(listed_at__lte=now).values("tag").annotate(stories=Count("*"))
        ):
            if best is None or abs(row["stories"] - target) < abs(best[2] - target):
                best = (through.tag_model(), row["tag"], row["stories"])
    model, pk, stories = best
    return model.objects.get(pk=pk), stories


def explain(client, path: str) -> str:
    """EXPLAIN ANALYZE of the slowest query behind one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    if not queries.captured_queries:
        return "(no query)"
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    if connection.vendor != "postgresql":
        return slowest["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest['sql']}")  # noqa: S608 - Django's own SQL
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return f"{slowest['sql']}\n\n{plan}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per view")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--deep-page", type=int, default=500)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="keep no page parts either (NEWSROOM_FRAGMENT_CACHE=off): every part rendered",
    )
    parser.add_argument(
        "--explain",
        default="search",
        help="comma-separated views whose slowest query to EXPLAIN ('' for none)",
    )
    options = parser.parse_args(argv)

    os.environ["NEWSROOM_FRAGMENT_CACHE"] = "off" if options.cold else "on"
    os.environ.setdefault("SECRET_KEY", "latency-harness-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["NEWSROOM_PAGE_CACHE"] = "off"
    os.environ["RATE_LIMIT_UNCACHED"] = "off"  # every request is a render, from one client
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"  # the test client speaks plain HTTP
    targets.setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from articles import caching
    from articles.models import Article

    chosen = targets.choose(articles=max(options.requests + options.warmup, 200))
    tag, tag_stories = mid_tag()
    tag_kind = type(tag)._meta.verbose_name_plural
    views = {
        "article": chosen["article"],
        "hub p1": [chosen["hub"]],
        f"hub p{options.deep_page}": [deep_page(chosen["hub"], options.deep_page)],
        "front": [chosen["front"]],
        "hub feed": [chosen["hub_feed"]],
        "search": [chosen["search"]],
        "tag hub": [tag.get_absolute_url()],
        "tag feed": [reverse("articles:hub_feed", args=[tag_kind, tag.slug, "rss"])],
        "hub p1 new": [chosen["hub"]],  # after a content change, see `before` below
        "sitemap": [reverse("sitemap-index")],
        "sitemap edit": [reverse("sitemap-index")],  # after an edit, see `before` below
    }
    edited = Article.objects.live().order_by("-published_at").first()

    def an_edit():
        """What saving an edit of a live story's text records (not relisting it)."""
        caching.content_changed(keys=caching.changed_story_keys(edited, relisted=False))

    befores = {"hub p1 new": caching.content_changed, "sitemap edit": an_edit}
    client = Client()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}: "
        f"{Article.objects.count():,} stories on {connection.vendor}; "
        f"hub {chosen['hub']} has {chosen['hub_stories']:,} live stories; "
        f"page cache {'on' if settings.NEWSROOM_PAGE_CACHE else 'off'}, page parts "
        f"{'on' if settings.NEWSROOM_FRAGMENT_CACHE else 'off'}; "
        f"{options.requests} requests per view; tag hub {tag.get_absolute_url()} has "
        f"{tag_stories:,} live stories"
    )
    print(f"{'view':<11} {'p95 ms':>8} {'p50 ms':>8} {'queries':>8} {'slowest':>8}  status")
    for name, paths in views.items():
        r = time_view(client, paths, options.requests, options.warmup, befores.get(name))
        statuses = ",".join(map(str, r["statuses"]))
        print(
            f"{name:<11} {r['p95_ms']:8.1f} {r['p50_ms']:8.1f} {r['queries']:8d} "
            f"{r['slowest_sql_ms']:8.1f}  {statuses}"
        )
    for name in filter(None, options.explain.split(",")):
        path = views[name][0]
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest query for {path}:")
        print(explain(client, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
