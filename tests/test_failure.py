"""The site under real failures: Redis unreachable, stopped, frozen; the database unreachable,
slow or frozen.

Readers never get a 500 or a traceback, and everything recovers without a restart.
"""

import logging

import pytest
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.urls import include, path

from articles.models import Section
from newsroom.cache import ResilientRedisCache
from tests.factories import ArticleFactory
from tests.outages import (
    free_port,
    redis_cache,
    require_postgresql,
    statement_timeout,
    within,
)


def database_gone(request):
    raise OperationalError("server closed the connection unexpectedly")


def slow_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("answered")


urlpatterns = [
    path("test/database-gone/", database_gone),
    path("test/slow-query/", slow_query),
    path("", include("newsroom.urls")),
]


@pytest.fixture
def retry_at_once(monkeypatch):
    """Let the cache try Redis again on every call instead of resting a few seconds."""
    monkeypatch.setattr(ResilientRedisCache, "retry_after", 0.0)


def test_site_serves_without_redis(client, db, settings, caplog):
    """With the cache at a closed port, pages are served (uncached), changes show at once,
    and the outage is logged as one warning, not one per request."""
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    story = ArticleFactory(headline="Parliament votes tonight")

    with caplog.at_level(logging.WARNING, logger="newsroom.cache"):
        for _ in range(3):
            front = client.get("/")
            assert front.status_code == 200
            assert "Parliament votes tonight" in front.text
            assert front["X-Cache"] == "miss"
        story.headline = "Parliament votes tomorrow"
        story.save()
        assert "Parliament votes tomorrow" in client.get(story.get_absolute_url()).text

    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_redis_stopped_and_started_again(client, db, settings, redis_server, retry_at_once):
    """Stopping Redis slows the site down but does not break it; once Redis is back, pages
    are cached again, without restarting the app."""
    settings.CACHES = redis_cache(redis_server.url)
    story = ArticleFactory(headline="Storm reaches the coast")
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"

    redis_server.stop()
    for url in ("/", story.get_absolute_url(), "/no-such-page/"):
        response = client.get(url)
        assert response.status_code in (200, 404)
        assert response["X-Cache"] == "miss"
    story.headline = "Storm weakens at the coast"
    story.save()

    redis_server.start()
    assert "Storm weakens at the coast" in client.get("/").text
    assert client.get("/")["X-Cache"] == "hit"


def test_changes_made_while_redis_was_down_show_when_it_returns(
    client, db, settings, redis_server, retry_at_once
):
    """If Redis comes back with its data (restarted from its snapshot, or after a network
    partition), pages cached before the outage are not served after it: a change made
    meanwhile could not reach the cache."""
    settings.CACHES = redis_cache(redis_server.url)
    story = ArticleFactory(headline="Bridge closed for repairs")
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"

    redis_server.stop(keep_data=True)
    story.headline = "Bridge reopens after repairs"
    story.save()
    assert "Bridge reopens after repairs" in client.get("/").text

    redis_server.start()
    front = client.get("/")
    assert "Bridge reopens after repairs" in front.text
    assert "Bridge closed for repairs" not in front.text


def test_database_down_gives_a_friendly_503_and_recovers(client, database_down):
    """With PostgreSQL unreachable readers get the 503 page, not a traceback; when it is back
    the very next request works, with no restart."""
    story = ArticleFactory(headline="Markets open higher")
    url = story.get_absolute_url()

    database_down.stop()
    response = client.get(url)
    assert response.status_code == 503
    assert "Back in a moment" in response.text
    assert "Traceback" not in response.text
    assert "OperationalError" not in response.text
    assert response["Retry-After"]
    assert response["Cache-Control"] == "private, no-store"
    assert client.get(url).status_code == 503  # and it is not cached as the page

    database_down.start()
    response = client.get(url)
    assert response.status_code == 200
    assert "Markets open higher" in response.text


def test_cached_pages_are_still_served_while_the_database_is_down(client, database_down):
    """Pages readers already asked for keep coming from the cache during a database outage."""
    ArticleFactory(headline="Election results in full")
    client.get("/")
    database_down.stop()
    front = client.get("/")
    assert front.status_code == 200
    assert "Election results in full" in front.text


@pytest.mark.urls("tests.test_failure")
def test_database_errors_in_views_become_503(client, db):
    """On any database, a view failing with OperationalError answers 503, not 500."""
    response = client.get("/test/database-gone/")
    assert response.status_code == 503
    assert "Back in a moment" in response.text


def test_database_errors_outside_views_become_503(db, admin_user, monkeypatch):
    """Where the database fails outside any view (here saving a staff session), the error
    handler still answers with the 503 page rather than a bare 500."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import Client

    def session_store_gone(self, request, response):
        raise OperationalError("could not connect to server")

    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    monkeypatch.setattr(SessionMiddleware, "process_response", session_store_gone)
    response = client.get("/")
    assert response.status_code == 503
    assert "Back in a moment" in response.text


def test_a_frozen_database_gives_the_503_page_within_seconds_and_recovers(client, frozen_database):
    """PostgreSQL frozen mid-service (stopped, its host hung: the kernel still acknowledges
    every packet, so neither keepalives nor statement_timeout fire): the reader gets the 503
    page once the query deadline (statement timeout + 1 s) passes instead of a worker hung
    until gunicorn kills it; the next request, finding no connection, gives up after
    connect_timeout; when the database thaws the site works again, with no restart."""
    story = ArticleFactory(headline="Markets open higher")
    with statement_timeout(1):
        assert client.get("/").status_code == 200  # a connection open, and in use
        frozen_database.freeze()
        with within(3):
            response = client.get(story.get_absolute_url())
        assert response.status_code == 503
        assert "Back in a moment" in response.text
        with within(4):
            assert client.get("/archive/").status_code == 503

        frozen_database.thaw()
        response = client.get(story.get_absolute_url())
        assert response.status_code == 200
        assert "Markets open higher" in response.text


def test_a_commit_to_a_frozen_database_gives_up(frozen_database):
    """Commits are round trips too: an editor's save gives up after the query deadline (and
    the connect_timeout Django's atomic() then spends opening a connection to restore
    autocommit on), never hangs."""
    with (
        statement_timeout(1),
        within(2 + 3 + 1),
        pytest.raises(OperationalError) as caught,
        transaction.atomic(),
    ):
        Section.objects.create(name="Weather")
        frozen_database.freeze()
    errors = [caught.value]
    while errors[-1].__context__:
        errors.append(errors[-1].__context__)
    assert "the database did not answer within 2 s" in map(str, errors)
    frozen_database.thaw()
    assert Section.objects.count() in (0, 1)  # the server may have had the COMMIT already


@pytest.mark.urls("tests.test_failure")
def test_a_query_beyond_the_statement_timeout_is_the_503_page(client, transactional_db):
    """A live but slow PostgreSQL cancels the statement itself (statement_timeout) and keeps
    the connection; the reader gets the 503 page, not a 500."""
    require_postgresql()
    with statement_timeout(0.5), within(2):
        response = client.get("/test/slow-query/")
    assert response.status_code == 503
    assert "Back in a moment" in response.text
