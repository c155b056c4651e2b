"""How long the site waits for PostgreSQL, as shipped: every connection carries its limits, and
the production server (gunicorn, persistent connections) answers within seconds while the
database is frozen, then recovers by itself."""

import http.client
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from tests.factories import ArticleFactory
from tests.outages import free_port, require_postgresql, within
from tests.servers import collect_static
from tests.test_security import BASE_DIR, PRODUCTION_ENV


def test_every_connection_carries_its_limits(transactional_db):
    """statement_timeout on the server, keepalives and a send timeout on the socket, and the
    client's own deadline a second after the server's."""
    require_postgresql()
    connection.close()  # a fresh connection, as settings.py sets them up
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("5s",)
    assert connection.query_deadline == 6.0

    with socket.socket(fileno=os.dup(connection.connection.fileno())) as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 10
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 5
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 2
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 10_000


class Gunicorn:
    """`make serve`'s server (its config, DEBUG off), one worker, on the test database."""

    def __init__(self, tmp_path, database_port: int, **env):
        settings = connections[DEFAULT_DB_ALIAS].settings_dict
        user = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        self.port = free_port()
        self.env = {
            **{k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ},
            **PRODUCTION_ENV,
            "DATABASE_URL": f"postgres://{user}@127.0.0.1:{database_port}/{settings['NAME']}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
            **env,
        }
        self.log = tmp_path / "gunicorn.log"
        self.process = None

    def start(self):
        collect_static()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "newsroom/gunicorn.conf.py"]
                # The control socket is one path for every server on the machine: none here.
                + ["--no-control-socket"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(300):
            try:
                if self.get("/healthz") == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def get(self, path: str) -> int:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
        try:
            client.request("GET", path)
            return client.getresponse().status
        finally:
            client.close()


@pytest.fixture
def server(tmp_path, frozen_database):
    gunicorn = Gunicorn(
        tmp_path,
        frozen_database.port,
        DATABASE_STATEMENT_TIMEOUT="1",  # query deadline 2 s
        DATABASE_CONNECT_TIMEOUT="2",
    )
    yield gunicorn
    gunicorn.stop()


@pytest.mark.slow
def test_the_production_server_answers_while_the_database_is_frozen(server, frozen_database):
    """The reproduction from the issue: PostgreSQL frozen under gunicorn. Each request used to
    hang until gunicorn killed the worker (30 s). Now the worker's persistent connection fails
    its health check within 2 s, a new one gives up after connect_timeout, and the reader gets
    the 503 page; /healthz answers within 2 s; when the database thaws, the site is back."""
    story = ArticleFactory(headline="Markets open higher")
    server.start()
    assert server.get("/archive/") == 200  # the worker's connection is open, to be reused

    frozen_database.freeze()
    with within(2 + 2 + 2):
        assert server.get(story.get_absolute_url()) == 503
    with within(2 + 1):
        # A page not cached (no connection to check: connect_timeout). A cached one is still
        # served, from the last generation this worker saw.
        assert server.get("/search/?q=markets") == 503
    assert server.get("/archive/?utm_source=x") == 200
    with within(2):
        assert server.get("/healthz") == 503

    frozen_database.thaw()
    assert server.get(story.get_absolute_url()) == 200
    assert server.get("/healthz") == 200


def test_a_long_job_runs_without_the_limits_and_gets_them_back(transactional_db):
    """``without_time_limits`` lifts statement_timeout and the client deadline for a one-off
    job, and the connection has both again after it."""
    require_postgresql()
    connection.close()
    with connection.without_time_limits():
        assert connection.query_deadline is None
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)
    assert connection.query_deadline == 6.0
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("5s",)


def test_generate_corpus_is_not_cut_off_by_the_page_limits(transactional_db, monkeypatch):
    """At a million stories the corpus is one transaction of minutes, whose COMMIT the
    page-serving limits would cut off: the command runs without them."""
    require_postgresql()
    from django.core.management import call_command

    from articles.management.commands import generate_corpus as command

    seen = {}

    def generate(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen["statement_timeout"] = cursor.fetchone()[0]
        seen["deadline"] = connection.query_deadline

    monkeypatch.setattr(command, "generate_corpus", generate)
    call_command("generate_corpus", articles=1, seed=1, verbosity=0)
    assert seen == {"statement_timeout": "0", "deadline": None}
    assert connection.query_deadline == 6.0
