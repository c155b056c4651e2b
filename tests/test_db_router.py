"""Read replicas (``DATABASE_REPLICA_URLS``): the router and when reads stay on the primary."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db.utils import ConnectionDoesNotExist
from django.test import RequestFactory
from django.utils import timezone

from articles import caching
from articles.models import Article
from newsroom import db_router
from newsroom.middleware import PrimaryDatabaseMiddleware
from tests.test_security import run_django

REPLICAS = ["replica1", "replica2"]


def test_reads_go_to_replicas_and_writes_to_the_primary():
    """Anonymous reads spread over the replicas; every write goes to the primary."""
    router = db_router.PrimaryReplicaRouter(REPLICAS)
    assert {router.db_for_read(Article) for _ in range(50)} == set(REPLICAS)
    assert router.db_for_write(Article) == "default"


def test_without_replicas_everything_uses_the_primary():
    """With no DATABASE_REPLICA_URLS the router changes nothing."""
    router = db_router.PrimaryReplicaRouter([])
    assert router.db_for_read(Article) == "default"


def test_use_primary_keeps_reads_on_the_primary():
    """Inside use_primary() (staff, writes, just after a change) reads see the primary."""
    router = db_router.PrimaryReplicaRouter(REPLICAS)
    with db_router.use_primary():
        assert router.db_for_read(Article) == "default"
    assert router.db_for_read(Article) in REPLICAS


def test_reads_inside_a_transaction_use_the_primary(db):
    """A transaction reads what it has just written, which no replica has yet."""
    assert db_router.PrimaryReplicaRouter(REPLICAS).db_for_read(Article) == "default"


def test_related_objects_come_from_where_their_owner_did():
    """Following a relation stays on the database the object was read from."""
    story = Article()
    story._state.db = "replica2"
    router = db_router.PrimaryReplicaRouter(REPLICAS)
    assert router.db_for_read(Article, instance=story) == "replica2"


def test_migrations_run_on_the_primary_only():
    router = db_router.PrimaryReplicaRouter(REPLICAS)
    assert router.allow_migrate("default", "articles")
    assert not router.allow_migrate("replica1", "articles")


@pytest.mark.slow
def test_replica_urls_configure_databases_and_router():
    """Each URL in DATABASE_REPLICA_URLS becomes a database (mirroring the primary in
    tests), and the router is put to work."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps([{k: v['TEST'].get('MIRROR') for k, v in settings.DATABASES.items()},"
        " settings.DATABASE_ROUTERS]))"
    )
    result = run_django(
        "shell",
        "--no-imports",
        "-c",
        code,
        DATABASE_REPLICA_URLS="postgres://reader@replica-a:5432/news,"
        "postgres://reader@replica-b:5432/news",
    )
    assert result.returncode == 0, result.stderr
    assert '{"default": null, "replica1": "default", "replica2": "default"}' in result.stdout
    assert '["newsroom.db_router.PrimaryReplicaRouter"]' in result.stdout


@pytest.fixture
def middleware(monkeypatch, db):
    monkeypatch.setattr(db_router, "replicas", lambda: REPLICAS)
    return PrimaryDatabaseMiddleware(lambda request: db_router._on_primary.get())


def test_without_replicas_the_middleware_steps_aside():
    """No replicas: Django drops the middleware altogether."""
    from django.core.exceptions import MiddlewareNotUsed

    with pytest.raises(MiddlewareNotUsed):
        PrimaryDatabaseMiddleware(lambda request: None)


@pytest.mark.parametrize(
    ("method", "cookies", "on_primary"),
    [("get", {}, False), ("post", {}, True), ("get", {"sessionid": "x"}, True)],
    ids=["reader", "write", "staff"],
)
def test_staff_and_writes_read_from_the_primary(middleware, method, cookies, on_primary):
    """Editors read their own writes; anonymous readers may read from a replica."""
    caching.content_changed()
    request = getattr(RequestFactory(), method)("/")
    request.COOKIES.update(cookies)
    later = timezone.now() + timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert middleware(request) is on_primary


def test_pages_just_after_a_change_are_read_from_the_primary(middleware, settings):
    """For a moment after content changes, replicas may lag: pages rendered (and cached)
    then come from the primary."""
    settings.NEWSROOM_REPLICA_LAG_SECONDS = 5
    caching.content_changed()
    assert middleware(RequestFactory().get("/")) is True
    later = timezone.now() + timedelta(seconds=6)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert middleware(RequestFactory().get("/")) is False


@pytest.mark.django_db(transaction=True)
def test_the_content_generation_is_read_from_the_primary(settings, monkeypatch):
    """Cached pages are stored under the generation, so it must never come from a replica
    that has not seen the newest change yet: where the router sends every other read to a
    replica (here one that does not even exist), the generation is still read."""
    monkeypatch.setattr(db_router, "replicas", lambda: ["replica1"])
    settings.DATABASE_ROUTERS = ["newsroom.db_router.PrimaryReplicaRouter"]
    with pytest.raises(ConnectionDoesNotExist):
        Article.objects.count()
    caching.content_changed()
    assert caching.generation() == caching.generation()
    assert caching.generation() != caching.NO_CHANGE_YET
