"""``/healthz``: what a load balancer or an operator asks to learn what is down."""

import pytest

from tests.outages import free_port, redis_cache, within


def test_all_well(client, db):
    """Database and cache up: 200 and "ok" for each, never cached anywhere."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert response["Cache-Control"] == "private, no-store"


def test_cache_down_is_reported_but_keeps_the_server_in_service(client, db, settings):
    """Redis down: the site still serves (slower), so 200, but the cache is named as down."""
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "down"}}


def test_database_down_takes_the_server_out_of_service(client, database_down):
    """PostgreSQL down: 503 naming the database; back to 200 when it returns, no restart."""
    database_down.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "down", "cache": "ok"},
    }
    database_down.start()
    assert client.get("/healthz").status_code == 200


def test_a_frozen_database_is_reported_down_within_two_seconds(client, frozen_database):
    """PostgreSQL frozen (it accepts connections and never answers): the load balancer still
    gets its answer at once, 503 naming the database, and 200 again once it thaws."""
    assert client.get("/healthz").status_code == 200
    frozen_database.freeze()
    with within(2):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "down", "cache": "ok"},
    }
    frozen_database.thaw()
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_reads_are_allowed(client, db, method):
    """The health check changes nothing and accepts no writes."""
    assert getattr(client, method)("/healthz").status_code == 405


def test_not_redirected_to_https(client, db, settings):
    """Load balancers probe over plain HTTP behind TLS termination: no redirect for them."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


def test_a_replica_down_degrades_but_keeps_the_server_in_service(client, db, monkeypatch):
    """Only the primary decides 200 or 503; a replica that is down is named as such."""
    from newsroom import health

    real = health.database_ok
    monkeypatch.setattr(health, "database_aliases", lambda: ["default", "replica1"])
    monkeypatch.setattr(health, "database_ok", lambda alias: alias == "default" and real(alias))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "database:replica1": "down", "cache": "ok"},
    }
