"""Hostile requests to every public URL pattern: never a 500, never a traceback, never a
non-live story's headline, and never a page cached under another page's address.

The patterns come from the URLconf itself, so a pattern added later is fuzzed without
touching this file. Each example is one request with a hostile path, query string, method
and headers against a small seeded newsroom (tests/hostile.py); a 500 raises the view's own
exception here (the test client's ``raise_request_exception``), and Hypothesis shrinks it to
the smallest request that still fails.
"""

from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils.encoding import iri_to_uri
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.hostile import (
    check_response,
    examples,
    notorious_requests,
    query_string,
    request_headers,
    rolled_back,
    seed_newsroom,
    site_routes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.hostile, pytest.mark.slow]

PUBLIC_ROUTES = [route for route in site_routes() if not route.is_admin]
METHODS = ["GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE"]
# Query parameters the public views read.
PUBLIC_QUERY_KEYS = ["q", "before", "after", "p", "page"]


@pytest.fixture
def newsroom():
    return seed_newsroom()


def other_addresses(request) -> list[str]:
    """Addresses other than the one asked for that a response to ``request`` could be
    cached under: its path with dot segments resolved, and the path without its query."""
    path = request.path
    resolved = urlsplit(urljoin("http://testserver/", iri_to_uri(path))).path
    query = request.META.get("QUERY_STRING", "")
    candidates = {resolved + (f"?{query}" if query else ""), resolved}
    return sorted(candidates - {iri_to_uri(path) + (f"?{query}" if query else "")})


def check_not_cached_elsewhere(client, request, hidden_headlines):
    """Each other address answers as it would with an empty cache: the hostile request did
    not store its response under their key (``GET /news/../`` under ``/``, issue 13 item 6).
    The cache was empty before the request, so a hit can only be what it stored."""
    for address in other_addresses(request):
        served = client.get(address)
        check_response(served, address, hidden_headlines)
        if served.get("X-Cache") != "hit":
            continue
        with override_settings(NEWSROOM_PAGE_CACHE=False):
            fresh = client.get(address)
        assert (served.status_code, served.content) == (fresh.status_code, fresh.content), (
            f"{address} answers {served.status_code} from the cache, {fresh.status_code} "
            f"fresh, after {request.method} {request.get_full_path()!r}"
        )


def test_every_public_pattern_is_fuzzed():
    """The walk over the URLconf finds the public patterns (guards the fuzzing itself)."""
    names = {route.name for route in PUBLIC_ROUTES}
    assert {"front", "detail", "search", "person", "hub_feed", "sitemap-section"} <= names
    assert not any(route.is_admin for route in PUBLIC_ROUTES)


def test_public_patterns_never_fail_nor_leak(newsroom, subtests):
    """Each public pattern in turn (a subtest each), on one seeded newsroom."""
    client = Client()  # anonymous, and raising the view's own exception on a 500
    for route in PUBLIC_ROUTES:
        with subtests.test(route=str(route)):
            fuzz_public_route(client, route, newsroom)


def fuzz_public_route(client, route, newsroom):
    known, hidden = newsroom.known, newsroom.hidden_headlines

    @settings(max_examples=examples(25))
    @given(
        path=route.url(known),
        query=query_string(known),
        method=st.sampled_from(METHODS),
        headers=request_headers(),
    )
    def hostile(path, query, method, headers):
        url = f"{path}?{query}" if query else path
        cache.clear()
        with rolled_back():
            response = client.generic(method, url, headers=headers)
            check_response(response, url, hidden)
            check_not_cached_elsewhere(client, response.wsgi_request, hidden)

    for path, query in notorious_requests(route, PUBLIC_QUERY_KEYS):
        hostile = example(path=path, query=query, method="GET", headers={})(hostile)
    hostile()
