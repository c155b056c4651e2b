"""Rate limits for what the page cache cannot answer (newsroom/ratelimit.py): searches and
other pages with a query string, requests that skip the cache, admin login attempts.

Per client address, 429 with Retry-After; with the local-memory cache and with real Redis.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from newsroom import settings as newsroom_settings
from tests.factories import ArticleFactory
from tests.outages import free_port, redis_cache
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)

LIMIT = 3
# Windows start on the clock (each minute, each day): a day's is one no test straddles.
PERIOD = 24 * 3600


@pytest.fixture
def limits(settings, db):
    settings.NEWSROOM_RATE_LIMITS = {"uncached": (LIMIT, PERIOD), "login": (LIMIT, PERIOD)}
    return settings


def search(client, n, **extra):
    return client.get("/search/", {"q": f"ceasefire {n}"}, **extra)


def assert_too_many(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= PERIOD
    assert response["Cache-Control"] == "private, no-store"
    assert "Too many requests" in response.text


def test_searches_over_the_limit_get_429_with_retry_after(client, limits, backend):  # noqa: F811
    """Each search is a page of its own, rendered on a miss: after the limit, a client gets
    429 and how long to wait, and that answer is not stored."""
    for n in range(LIMIT):
        assert search(client, n).status_code == 200
    assert_too_many(search(client, LIMIT))
    assert_too_many(search(client, LIMIT))


def test_cache_hits_and_plain_pages_are_never_limited(client, limits, backend):  # noqa: F811
    """A search someone made before comes from the cache, unlimited; so do pages without a
    query string, and those whose query string no view reads."""
    story = ArticleFactory()
    cached(client, "/search/?q=ceasefire")
    for n in range(LIMIT):
        search(client, n)
    assert_too_many(search(client, LIMIT))
    assert client.get("/search/?q=ceasefire")["X-Cache"] == "hit"
    for _ in range(LIMIT + 1):
        assert client.get(story.get_absolute_url()).status_code == 200
        assert client.get("/", {"utm_source": "newsletter"}).status_code == 200


def test_every_query_string_a_view_reads_counts(client, limits):
    """Paging keys are query strings too: a script walking random ones is limited."""
    for n in range(LIMIT):
        assert client.get("/archive/", {"before": f"x{n}"}).status_code != 429
    assert_too_many(client.get("/archive/", {"before": "y"}))


def test_addresses_are_counted_apart(client, limits):
    """One client over its limit leaves the others theirs."""
    for n in range(LIMIT):
        search(client, n, REMOTE_ADDR="198.51.100.7")
    assert_too_many(search(client, LIMIT, REMOTE_ADDR="198.51.100.7"))
    assert search(client, LIMIT, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_ipv6_addresses_count_by_their_network(client, limits):
    """Anyone holding an IPv6 /64 has billions of addresses; they count as one client."""
    for n in range(LIMIT):
        assert search(client, n, REMOTE_ADDR=f"2001:db8:1:2::{n + 1}").status_code == 200
    assert_too_many(search(client, LIMIT, REMOTE_ADDR="2001:db8:1:2::ffff"))
    assert search(client, 0, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_the_forwarded_header_is_ignored_unless_the_proxy_is_trusted(client, limits):
    """Without TRUSTED_PROXY_COUNT a client cannot pose as many by sending X-Forwarded-For:
    it is counted by the address it connects from."""
    limits.NEWSROOM_TRUSTED_PROXY_COUNT = 0
    for n in range(LIMIT):
        search(client, n, headers={"x-forwarded-for": f"203.0.113.{n}"})
    assert_too_many(search(client, LIMIT, headers={"x-forwarded-for": "203.0.113.99"}))


def test_behind_a_trusted_proxy_the_address_it_saw_counts(client, limits):
    """Behind one trusted proxy, the client is the address that proxy appended (the
    rightmost); whatever the client put before it is not believed."""
    limits.NEWSROOM_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(LIMIT):
        forged = {"x-forwarded-for": f"192.0.2.{n}, 203.0.113.5"}
        assert search(client, n, headers=forged, **proxy).status_code == 200
    forged = {"x-forwarded-for": "192.0.2.77, 203.0.113.5"}
    assert_too_many(search(client, LIMIT, headers=forged, **proxy))
    other = {"x-forwarded-for": "203.0.113.6"}
    assert search(client, LIMIT, headers=other, **proxy).status_code == 200


def test_two_trusted_proxies_count_from_the_right(client, limits):
    """Behind a CDN and a load balancer (TRUSTED_PROXY_COUNT=2) the client is the second
    address from the right, the one the CDN saw."""
    limits.NEWSROOM_TRUSTED_PROXY_COUNT = 2
    for n in range(LIMIT):
        chain = {"x-forwarded-for": f"192.0.2.{n}, 203.0.113.5, 198.51.100.1"}
        search(client, n, headers=chain, REMOTE_ADDR="10.0.0.2")
    chain = {"x-forwarded-for": "203.0.113.5, 198.51.100.2"}
    assert_too_many(search(client, LIMIT, headers=chain, REMOTE_ADDR="10.0.0.2"))


def test_a_session_cookie_that_is_no_login_counts(client, limits):
    """A made-up session cookie skips the public cache, so every such request renders:
    it is limited like a search; a logged-in editor is not."""
    ArticleFactory()
    client.cookies["sessionid"] = "made-up"
    for _ in range(LIMIT):
        assert client.get("/").status_code == 200
    assert_too_many(client.get("/"))


def test_staff_are_not_limited(limits, admin_user):
    staff = Client()
    staff.force_login(admin_user)
    for n in range(LIMIT + 2):
        assert search(staff, n).status_code == 200


def test_admin_login_attempts_are_limited(client, limits, admin_user):
    """Guessing passwords: after the limit, login attempts get 429 (the form still shows)."""
    guess = {"username": "admin", "password": "guess"}
    for _ in range(LIMIT):
        assert client.post("/admin/login/", guess).status_code == 200  # the form, an error
    assert_too_many(client.post("/admin/login/", guess))
    assert client.get("/admin/login/").status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.9").post("/admin/login/", guess).status_code == 200


def test_limits_off_limit_nothing(client, settings, db):
    settings.NEWSROOM_RATE_LIMITS = {"uncached": None, "login": None}
    for n in range(40):
        assert search(client, n).status_code == 200


def test_without_redis_nothing_is_limited_and_nothing_fails(client, limits):
    """Redis unreachable: the counters cannot be kept, so the site serves unlimited rather
    than refusing everyone (and logs that Redis is down)."""
    limits.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    for n in range(LIMIT + 2):
        assert search(client, n).status_code == 200


@pytest.mark.parametrize(
    ("value", "rate"),
    [("30/m", (30, 60)), ("5/s", (5, 1)), ("1000/d", (1000, 86400)), ("off", None), ("0", None)],
)
def test_rates_from_the_environment(monkeypatch, value, rate):
    monkeypatch.setenv("RATE_LIMIT_TEST", value)
    assert newsroom_settings.env_rate("RATE_LIMIT_TEST", "30/m") == rate


@pytest.mark.parametrize("value", ["30", "30/minute", "thirty/m", "-1/m"])
def test_a_bad_rate_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("RATE_LIMIT_TEST", value)
    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_TEST"):
        newsroom_settings.env_rate("RATE_LIMIT_TEST", "30/m")


def test_the_shipped_limits():
    """Searches and the like: 30 a minute per address; login attempts: 10 a minute; wire
    deliveries: 60 a minute per ingest token."""
    assert newsroom_settings.NEWSROOM_RATE_LIMITS == {
        "uncached": (30, 60),
        "login": (10, 60),
        "ingest": (60, 60),
    }
