"""Several processes, one site: the production server (gunicorn, three workers, DEBUG off)
with the cache as shipped (each worker's own local memory) or Redis, and writers in other
processes (``manage.py shell``, as an import or a cron job would run).

Every worker sees a change made anywhere on its very next request, and conditional requests
are answered alike whichever worker they reach (articles.caching keeps the content
generation in the database).
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.outages import forget, free_port, real_redis_cache
from tests.servers import site_factory  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

STORY = "/news/harbour-strike-ends/"
CREATE_STORY = (
    "from tests.factories import ArticleFactory; "
    "ArticleFactory(headline='Harbour strike ends', slug='harbour-strike-ends')"
)
ARCHIVE_STORY = (
    "from articles.editorial import editing; from articles.models import Article; "
    "editing.archive(article=Article.objects.get(slug='harbour-strike-ends'))"
)
OTHER = "/news/bridge-reopens/"
OTHER_STORY = (
    "from tests.factories import ArticleFactory; "
    "ArticleFactory(headline='Bridge reopens', slug='bridge-reopens')"
)
RETITLE_STORY = (
    "from articles.models import Article; "
    "story = Article.objects.get(slug='harbour-strike-ends'); "
    "story.headline = 'Harbour strike ends after talks'; story.save()"
)


def warm(server, path):
    """Have every worker cache ``path``: each has then served it from its own cache."""
    answers = server.on_every_worker(path)
    for worker in {a.worker for a in answers}:
        assert "hit" in {a.headers["X-Cache"] for a in answers if a.worker == worker}
    return answers


def test_archiving_from_another_process_shows_on_every_worker_at_once(site_factory):  # noqa: F811
    """A story archived by a command in another process is gone from every worker on the
    very next request, though each had it in its local-memory cache."""
    site = site_factory()
    site.shell(CREATE_STORY)
    warm(site.server, STORY)
    assert "Harbour strike ends" in warm(site.server, "/")[0].body

    site.shell(ARCHIVE_STORY)

    def gone(answer):
        assert answer.status == 404, f"worker {answer.worker} served the archived story"

    site.server.on_every_worker(STORY, check=gone)

    def not_listed(answer):
        assert "Harbour strike ends" not in answer.body, f"worker {answer.worker} lists it"

    site.server.on_every_worker("/", check=not_listed)


def test_an_edit_keeps_the_other_pages_cached_on_every_worker(site_factory):  # noqa: F811
    """Each worker checks its own copies against the database: after another process
    retitles one story, every worker renders that story's page afresh and still serves the
    other story's page from its cache."""
    site = site_factory()
    site.shell(f"{CREATE_STORY}; {OTHER_STORY}")
    warm(site.server, STORY)
    warm(site.server, OTHER)

    site.shell(RETITLE_STORY)

    def retitled(answer):
        assert "Harbour strike ends after talks" in answer.body, f"worker {answer.worker}"

    site.server.on_every_worker(STORY, check=retitled)

    def still_cached(answer):
        assert answer.headers["X-Cache"] == "hit", f"worker {answer.worker} rendered it"

    site.server.on_every_worker(OTHER, check=still_cached)


def not_modified(answer):
    assert answer.status == 304, f"worker {answer.worker} answered {answer.status}"


def modified(answer):
    assert answer.status == 200, f"worker {answer.worker} answered a stale 304"


def test_a_feeds_etag_is_the_same_on_every_worker(site_factory):  # noqa: F811
    """The ETag one worker gave for a feed gets a 304 from every other worker too (the
    feed's validators include the content generation); after a change, from none."""
    site = site_factory()
    site.shell(CREATE_STORY)
    match = {"If-None-Match": site.server.request("/feed/rss/").headers["ETag"]}
    site.server.on_every_worker("/feed/rss/", headers=match, check=not_modified)

    site.shell(RETITLE_STORY)

    site.server.on_every_worker("/feed/rss/", headers=match, check=modified)


def test_a_pages_last_modified_is_the_same_on_every_worker(site_factory):  # noqa: F811
    """A page's Last-Modified is when content changed, not when a worker rendered it: a
    conditional request gets a 304 from every worker, the ones that render it later too;
    after a change, from none."""
    site = site_factory()
    site.shell(CREATE_STORY)
    time.sleep(1.1)  # rendered in the second of the change, it would have no Last-Modified
    since = {"If-Modified-Since": site.server.request(STORY).headers["Last-Modified"]}
    time.sleep(1.1)  # a page rendered from now on would name a later second

    site.server.on_every_worker(STORY, headers=since, check=not_modified)

    site.shell(RETITLE_STORY)

    site.server.on_every_worker(STORY, headers=since, check=modified)


def test_a_change_made_where_redis_was_unreachable_shows_at_once(site_factory):  # noqa: F811
    """A writer that cannot reach Redis (a cron job on a host where it is down, a shell
    during a network partition) still changes what readers get: with Redis answering the
    site, the next request shows the change, not the page Redis holds from before."""
    redis = real_redis_cache()["default"]
    site = site_factory(REDIS_URL=redis["LOCATION"], CACHE_KEY_PREFIX=redis["KEY_PREFIX"])
    try:
        site.shell(CREATE_STORY)
        warm(site.server, STORY)

        site.shell(RETITLE_STORY, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

        def retitled(answer):
            assert "Harbour strike ends after talks" in answer.body, f"worker {answer.worker}"

        site.server.on_every_worker(STORY, check=retitled)
    finally:
        forget({"default": redis})


def test_a_raw_dot_dot_path_poisons_no_worker(site_factory):  # noqa: F811
    """``GET /news/../`` sent as it is (no client normalises it here) is a 404 kept under
    its own path; the front page stays the front page on every worker."""
    site = site_factory()
    site.shell(CREATE_STORY)

    def not_found(answer):
        assert answer.status == 404, f"worker {answer.worker} answered {answer.status}"

    site.server.on_every_worker("/news/../", check=not_found)

    def front_page(answer):
        assert answer.status == 200, f"worker {answer.worker} answered {answer.status}"
        assert "Harbour strike ends" in answer.body

    site.server.on_every_worker("/", check=front_page)


def test_with_redis_the_workers_share_the_rate_limit(site_factory):  # noqa: F811
    """With Redis the limit holds for the site, not per worker: of twelve searches from one
    address, spread over the workers, five are answered and seven get 429."""
    redis = real_redis_cache()["default"]
    site = site_factory(
        REDIS_URL=redis["LOCATION"], CACHE_KEY_PREFIX=redis["KEY_PREFIX"], RATE_LIMIT_UNCACHED="5/d"
    )
    try:
        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda n: site.server.request(f"/search/?q=n{n}"), range(12)))
        assert sorted(a.status for a in answers) == [200] * 5 + [429] * 7
        assert len({a.worker for a in answers}) > 1
    finally:
        forget({"default": redis})
