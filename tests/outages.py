"""Real outages for tests: Redis at a closed port or a throwaway redis-server stopped and
frozen, the database pointed at a closed port; and Redis settings for ``REDIS_TEST_URL``."""

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis
from django.db import DEFAULT_DB_ALIAS, connections

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")


def redis_cache(location: str, **options) -> dict:
    """Settings for the production Redis backend at ``location``, with keys of its own."""
    return {
        "default": {
            "BACKEND": "newsroom.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3, **options},
        }
    }


def real_redis_cache() -> dict:
    require(bool(REDIS_TEST_URL), "Redis (REDIS_TEST_URL)")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        require(False, f"Redis at {REDIS_TEST_URL}")
    return redis_cache(REDIS_TEST_URL)


def forget(config: dict) -> None:
    """Delete the keys a test wrote under its own prefix (never the whole database)."""
    client = redis.Redis.from_url(config["default"]["LOCATION"])
    keys = list(client.scan_iter(f"{config['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


def require(available: bool, what: str):
    from tests.conftest import require  # conftest imports this module's fixtures

    require(available, what)


def free_port() -> int:
    """A TCP port nothing listens on (a closed port, until something is started on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server of the test's own, on a free port, to stop and start."""

    def __init__(self, directory):
        self.directory = directory
        self.binary = shutil.which("redis-server")
        require(self.binary is not None, "redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
            + ["--dir", str(self.directory), "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self, keep_data=False):
        """Stop the server; with ``keep_data`` it saves its data and loads it on start."""
        if keep_data:
            # The server closes the connection as it goes.
            with contextlib.suppress(redis.ConnectionError):
                redis.Redis.from_url(self.url).shutdown(save=True)
        else:
            self.process.terminate()
        self.process.wait(timeout=10)

    def close(self):
        if self.process and self.process.poll() is None:
            self.stop()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def database_down(transactional_db, monkeypatch):
    """Switch the default database connection to a closed port and back: what the site sees
    when PostgreSQL is stopped, without stopping the one other people use."""
    require_postgresql()
    forget_database_failures(monkeypatch)
    connection = connections[DEFAULT_DB_ALIAS]
    real = dict(connection.settings_dict)

    class Switch:
        @staticmethod
        def stop():
            connection.close()
            connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))

        @staticmethod
        def start():
            connection.close()
            connection.settings_dict.update(HOST=real["HOST"], PORT=real["PORT"])

    yield Switch
    Switch.start()


def forget_database_failures(monkeypatch):
    """For this test only, what this process knows of the content generation and of the
    database failing to give it (articles.caching waits a few seconds before asking again):
    the tests after it must not inherit an outage."""
    from articles import caching

    monkeypatch.setattr(caching, "_last_seen", caching._LastSeen())


def require_postgresql():
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        # Not require(): the CI runs the suite on SQLite too, and there this is not missing.
        pytest.skip("stopping the database is tested on PostgreSQL")
