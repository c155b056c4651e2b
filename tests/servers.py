"""The production server for tests: gunicorn as ``make serve`` starts it (its config, several
workers, DEBUG off, the cache as configured), and other processes writing to the same
database, as a shell, an import or a cron job would.

Each request carries an ``X-Probe`` number that the access log prints beside the worker's
process id, so a test knows which worker answered what.
"""

import contextlib
import fcntl
import functools
import hashlib
import http.client
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from tests.outages import free_port, wait_for_other_sessions_to_end
from tests.test_security import BASE_DIR, PRODUCTION_ENV, run_django

HOST = "127.0.0.1"
ACCESS_LOG_FORMAT = "%(p)s %({x-probe}i)s %(s)s"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    worker: int  # the process id of the gunicorn worker that answered


class ProductionServer:
    def __init__(self, env: dict, log_path: Path, workers: int):
        self.port = free_port()
        self.env = {**env, "BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": str(workers)}
        self.workers = workers
        self.log_path = log_path
        self.probes = itertools.count(1)
        self.process = None

    def start(self):
        clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "newsroom/gunicorn.conf.py"]
                # A control socket is one path for every server on the machine: none here.
                + ["--access-logformat", ACCESS_LOG_FORMAT, "--no-control-socket"],
                cwd=BASE_DIR,
                env={**clean, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.request("/healthz").status == 200:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def request(self, path: str, headers: dict | None = None, method: str = "GET") -> Answer:
        """One request for ``path`` exactly as given (no normalising), on a new connection."""
        probe = str(next(self.probes))
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            connection.request(method, path, headers={"X-Probe": probe, **(headers or {})})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            answer = dict(response.getheaders())
        finally:
            connection.close()
        return Answer(response.status, answer, body, self.worker_for(probe))

    def worker_for(self, probe: str) -> int:
        # gunicorn logs the request just after answering it.
        pattern = re.compile(rf"^<(\d+)> {probe} \d+$", re.M)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if match := pattern.search(self.log_path.read_text()):
                return int(match.group(1))
            time.sleep(0.01)
        raise AssertionError(f"request {probe} is not in the access log")

    def on_every_worker(self, path, headers=None, times=3, check=None) -> list[Answer]:
        """Request ``path`` until each worker has answered it ``times`` times (a few at
        once, so that busy workers leave the next request to the others); every answer is
        passed to ``check`` as it comes."""
        answers = []
        with ThreadPoolExecutor(self.workers * 2) as pool:
            for _ in range(60):
                batch = list(pool.map(lambda _: self.request(path, headers), range(self.workers)))
                for answer in batch:
                    if check:
                        check(answer)
                answers += batch
                served = [a.worker for a in answers]
                if len(set(served)) == self.workers and all(
                    served.count(w) >= times for w in set(served)
                ):
                    return answers
        raise AssertionError(f"not every worker answered {path}: {sorted(served)}")


def database_url(tmp_path, run_folder: Path) -> str:
    """A database the server and the writers share: on PostgreSQL the test database (for a
    ``transactional_db`` test, whose writes others see), else a migrated SQLite file."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        user = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{user}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    path = tmp_path / "site.sqlite3"
    shutil.copyfile(migrated_sqlite(run_folder), path)
    return f"sqlite:///{path}"


@functools.cache
def migrated_sqlite(folder: Path) -> Path:
    """A SQLite database migrated once a run (in ``folder``), for each site to copy: migrating
    in a process of its own takes longer than most tests of a site."""
    path = folder / "migrated-site.sqlite3"
    result = run_django("migrate", "--noinput", "-v0", DATABASE_URL=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    return path


def site_env(database: str, **env) -> dict:
    return {
        **PRODUCTION_ENV,
        "DATABASE_URL": database,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
        **env,
    }


@functools.cache
def collect_static() -> None:
    """What `make serve` does before starting gunicorn (into the checkout's staticfiles/,
    which git ignores); once a run, also when pytest-xdist runs it in several processes.

    Those share the folder, and collectstatic deletes and rewrites the manifest and the files
    it hashes: a server another process had started meanwhile could find them missing. So the
    first process to need the files collects them, holding a lock, and notes the run's id;
    the others wait for the lock and find that done."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"process-{os.getpid()}")
    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"newsroom-collectstatic-{checkout}").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        lock.seek(0)
        if lock.read() == run:
            return
        result = run_django("collectstatic", "--noinput", "-v0")
        assert result.returncode == 0, result.stderr
        lock.truncate(0)
        lock.write(run)


class Site:
    """The production server and the database it serves, for writers in other processes."""

    def __init__(self, tmp_path, run_folder: Path, workers: int = 3, **env):
        self.env = site_env(database_url(tmp_path, run_folder), **env)
        collect_static()
        self.server = ProductionServer(self.env, tmp_path / "gunicorn.log", workers)

    def shell(self, code: str, **env) -> str:
        """Run ``code`` in ``manage.py shell``, a process of its own, as a writer would."""
        result = run_django("shell", "--no-imports", "-c", code, **{**self.env, **env})
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


@pytest.fixture
def site_factory(tmp_path, tmp_path_factory, transactional_db):
    sites = []

    def start(**env) -> Site:
        directory = tmp_path / f"site{len(sites)}"
        directory.mkdir()
        site = Site(directory, tmp_path_factory.getbasetemp(), **env)
        sites.append(site)
        site.server.start()
        return site

    yield start
    for site in sites:
        site.server.stop()
    wait_for_other_sessions_to_end()
