"""Real outages for tests: Redis at a closed port or a throwaway redis-server stopped and
frozen, the database pointed at a closed port or reached through a proxy that freezes; and
Redis settings for ``REDIS_TEST_URL``."""

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
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


class FreezableProxy:
    """A TCP proxy in front of the real PostgreSQL that can be frozen: it stops passing bytes
    on but keeps every socket open. That is a stopped (SIGSTOP) or hung database server as the
    app sees it: the kernel still accepts connections and acknowledges whatever is sent, and
    nothing ever comes back; neither TCP keepalives nor statement_timeout notice."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def freeze(self):
        self.flowing.clear()

    def thaw(self):
        self.flowing.set()

    def close(self):
        self.closed = True
        self.thaw()
        for sock in [self.listener, *self.sockets]:
            sock.close()

    def upstream(self) -> socket.socket:
        host, port = self.target
        if host.startswith("/"):  # a Unix socket directory, as libpq names them
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(f"{host}/.s.PGSQL.{port}")
            return sock
        return socket.create_connection((host, port))

    def accept(self):
        while not self.closed:
            self.flowing.wait()  # frozen: new connections wait in the kernel's backlog
            try:
                client, _ = self.listener.accept()
                server = self.upstream()
            except OSError:
                return
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    def pump(self, source: socket.socket, sink: socket.socket):
        try:
            while not self.closed:
                self.flowing.wait()
                readable, _, _ = select.select([source], [], [], 0.05)
                if not readable or not self.flowing.is_set():
                    continue  # frozen meanwhile: the bytes stay where they are
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, ValueError):
            pass  # closed under us
        finally:
            source.close()
            sink.close()


def wait_for_other_sessions_to_end(seconds: float = 10):
    """Wait until this process's connection is the only client of the test database: the
    sessions of servers, shells or a proxy a test started end a moment after those went
    away (PostgreSQL notices on its own time), and a database with a session left cannot be
    dropped at the end of the run."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            (others,) = cursor.fetchone()
            if not others:
                return
            assert time.monotonic() < deadline, f"{others} other sessions after {seconds:g} s"
            time.sleep(0.05)


@pytest.fixture
def frozen_database(transactional_db):
    """The default database reached through a FreezableProxy (``freeze()``, ``thaw()``): what
    the site sees when PostgreSQL hangs, without stopping the one other people use."""
    require_postgresql()
    connection = connections[DEFAULT_DB_ALIAS]
    real = dict(connection.settings_dict)
    proxy = FreezableProxy(real["HOST"] or "/var/run/postgresql", int(real["PORT"] or 5432))
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    yield proxy
    proxy.thaw()
    connection.close()
    connection.settings_dict.update(HOST=real["HOST"], PORT=real["PORT"])
    proxy.close()
    wait_for_other_sessions_to_end()


@contextlib.contextmanager
def statement_timeout(seconds: float):
    """The default database as settings.py sets it up for DATABASE_STATEMENT_TIMEOUT=seconds
    (short, so tests of the timeouts take a moment rather than the shipped 5 s)."""
    from newsroom.settings import postgresql_options

    connection = connections[DEFAULT_DB_ALIAS]
    shipped = connection.settings_dict["OPTIONS"]
    connection.close()
    connection.settings_dict["OPTIONS"] = shipped | postgresql_options(
        shipped["connect_timeout"], seconds
    )
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["OPTIONS"] = shipped


@contextlib.contextmanager
def within(seconds: float):
    """Assert the block takes less than ``seconds``, failing rather than hanging the suite
    when it would wait for ever (SIGALRM: the test's main thread only)."""

    def still_waiting(signum, frame):
        raise AssertionError(f"still waiting after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, still_waiting)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"
