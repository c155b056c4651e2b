"""Cache poisoning: a public page is stored under the path routing used and the query
parameters its view reads, nothing else (newsroom/middleware.py, ``query_params``).

With the local-memory cache and with real Redis; tests/test_workers.py sends the raw path
to the production server too.
"""

import secrets

import redis

from tests import outages
from tests.factories import ArticleFactory
from tests.paging import older_link
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)

HEADLINE = "Ceasefire talks resume in Cairo"


def test_a_dot_dot_path_is_not_stored_as_the_page_it_names(client, backend):  # noqa: F811
    """``/news/..`` is redirected (301, a stored status) to ``/news/../``, which asks for a
    story whose slug is ``..``: a 404. The redirect is kept under its own path, not under the
    key of ``/`` (which the URL would be if ``..`` were resolved)."""
    ArticleFactory(headline=HEADLINE)
    redirect = client.get("/news/..")
    assert redirect.status_code == 301
    assert redirect["Location"] == "/news/../"
    assert client.get("/news/..")["X-Cache"] == "hit"
    assert client.get("/news/../").status_code == 404

    front = client.get("/")
    assert front.status_code == 200
    assert HEADLINE in front.text


def test_unread_query_parameters_get_the_clean_pages_copy(client, backend):  # noqa: F811
    """A query parameter no view reads (``?utm_source=``, a cache buster) is served the page
    of the clean URL from the cache, and makes no entry of its own."""
    story = ArticleFactory(headline=HEADLINE)
    clean = cached(client, story.get_absolute_url())
    for _ in range(50):
        response = client.get(story.get_absolute_url(), {"utm_source": secrets.token_hex(8)})
        assert response["X-Cache"] == "hit"
        assert response.content == clean.content


def count_keys(config) -> int:
    location, prefix = config["default"]["LOCATION"], config["default"]["KEY_PREFIX"]
    return sum(1 for _ in redis.Redis.from_url(location).scan_iter(f"{prefix}:*"))


def test_random_query_strings_do_not_fill_redis(client, settings, db):
    """Fifty requests with random ``?utm=`` values leave Redis with the keys it had."""
    settings.CACHES = outages.real_redis_cache()
    try:
        ArticleFactory(headline=HEADLINE)
        cached(client, "/")
        before = count_keys(settings.CACHES)
        for _ in range(50):
            assert client.get("/", {"utm": secrets.token_hex(8)}).status_code == 200
        assert count_keys(settings.CACHES) == before
    finally:
        outages.forget(settings.CACHES)


def test_random_addresses_do_not_fill_redis(client, settings, db):
    """A 404 is not stored: fifty made-up story and hub addresses leave Redis with the keys it
    had, so a script cannot fill the cache through paths either."""
    settings.CACHES = outages.real_redis_cache()
    try:
        ArticleFactory(headline=HEADLINE)
        cached(client, "/")
        before = count_keys(settings.CACHES)
        for _ in range(25):
            assert client.get(f"/news/{secrets.token_hex(8)}/").status_code == 404
            assert client.get(f"/people/{secrets.token_hex(8)}/").status_code == 404
        assert count_keys(settings.CACHES) == before
    finally:
        outages.forget(settings.CACHES)


def test_search_is_keyed_on_its_query_alone(client, backend):  # noqa: F811
    """Search reads ``q``: each query has its page, extra parameters share it, and a second
    ``q`` cannot make the view show something other than the page stored."""
    ArticleFactory(headline=HEADLINE)
    ArticleFactory(headline="Harbour strike ends")
    page = cached(client, "/search/?q=ceasefire")
    assert HEADLINE in page.text
    assert client.get("/search/?q=ceasefire&utm=1")["X-Cache"] == "hit"

    doubled = client.get("/search/?q=ceasefire&q=harbour")
    assert doubled["X-Cache"] == "hit"
    assert doubled.content == page.content

    other = client.get("/search/?q=harbour")
    assert other["X-Cache"] == "miss"
    assert "Harbour strike ends" in other.text
    assert HEADLINE not in other.text


def test_listings_keep_their_paging_keys(client, backend):  # noqa: F811
    """Archive and hubs read ``before``/``after``: the older page is its own page, with or
    without stray parameters beside its key."""
    for n in range(25):
        ArticleFactory(headline=f"Story {n}", people=["Joe Biden"])
    for url in ("/archive/", "/people/joe-biden/"):
        first = client.get(url)
        older = older_link(first.text)
        second = client.get(f"{url}{older}")
        assert second["X-Cache"] == "miss"
        assert second.content != first.content
        assert client.get(f"{url}{older}&utm=1")["X-Cache"] == "hit"


def test_a_missing_slash_keeps_the_query_on_the_redirect(client, db):
    """``/search?q=…`` is redirected to ``/search/?q=…`` (the view there reads ``q``); an
    unread parameter is not carried along."""
    response = client.get("/search?q=ceasefire&utm=1")
    assert response.status_code == 301
    assert response["Location"] == "/search/?q=ceasefire"
