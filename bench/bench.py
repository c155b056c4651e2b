"""Benchmark Newsroom against a hello-world view in one run (see bench/README.md).

Steps: a fresh PostgreSQL database, ``migrate``, ``generate_corpus``, ``collectstatic``; then
for each mode (uncached, cached) start the production server on loopback, warm it, and load
each page in turn — hello-world first — with wrk (Debian's package) or, without it, the
Python load generator below. Every figure is printed as a ratio to hello-world measured in
the same server, the same mode and the same minute.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"  # loopback only: this tool never sends traffic anywhere else
PAGES = ("hello", "front", "article", "hub", "feed", "search")
MODES = {"uncached": "off", "cached": "on"}  # value of NEWSROOM_PAGE_CACHE


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Database and corpus --------------------------------------------------------------------


def database_url(name: str) -> str:
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
    return base.rstrip("/") + "/" + name


def recreate_database(name: str) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"bench: database name must be a plain identifier, not {name!r}")
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# Production keeps its cache in Redis, shared by every worker; the bench does too when a Redis
# answers here (a database of its own, emptied before each mode), else each worker has its own.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"


def bench_redis_url() -> str:
    if url := os.environ.get("REDIS_URL"):
        return url
    try:
        redis.Redis.from_url(DEFAULT_REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return ""
    return DEFAULT_REDIS_URL


def server_env(database: str, cache: str, redis_url: str = "") -> dict:
    env = dict(os.environ)
    env.update(
        REDIS_URL=redis_url,
        DATABASE_URL=database_url(database),
        DEBUG="false",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        NEWSROOM_BENCH="1",
        # Loopback speaks plain HTTP; in production TLS ends at the proxy in front.
        SECURE_SSL_REDIRECT="false",
        NEWSROOM_PAGE_CACHE=cache,
        # One client address sends everything; the uncached runs are all renders.
        RATE_LIMIT_UNCACHED="off",
        LOG_LEVEL="ERROR",
    )
    return env


def manage(env: dict, *args: str) -> str:
    # Set-up steps (migrations, a million-story corpus) run longer than a reader's query may.
    env = {**env, "DATABASE_STATEMENT_TIMEOUT": "0"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE
    )
    return result.stdout.decode()


# --- Server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """The production server on loopback, started and stopped by this process only."""

    def __init__(self, env: dict, workers: int | None, threads: int | None, log_path: Path):
        self.port = free_port()
        # The production server as `make serve` starts it (newsroom/gunicorn.conf.py, which
        # reads the bind address and the worker counts from the environment).
        command = os.environ.get("BENCH_SERVER_COMMAND") or (
            f"{ROOT / '.venv/bin/gunicorn'} --config newsroom/gunicorn.conf.py"
        )
        env = {**env, "BIND": f"{HOST}:{self.port}"}
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        if threads:
            env["GUNICORN_THREADS"] = str(threads)
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S602 - the command is ours or the operator's
            command.format(port=self.port),
            shell=True,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"bench: the server exited; see {self.log.name}")
            try:
                status, _ = fetch(self.port, "/_bench/hello")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"bench: the server did not answer /_bench/hello; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- Load generators ------------------------------------------------------------------------


def percentile_ms(sorted_seconds: list[float], fraction: float) -> float:
    if not sorted_seconds:
        return float("nan")
    return sorted_seconds[min(len(sorted_seconds) - 1, int(fraction * len(sorted_seconds)))] * 1000


def python_load(port: int, paths: list[str], seconds: float, connections: int) -> dict:
    """Keep-alive clients in threads, bounded by time and by count, against loopback only."""
    deadline = time.monotonic() + seconds
    max_requests = 200_000
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, codes, i = [], {}, offset
        while time.monotonic() < deadline and len(mine) < max_requests // connections:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, n in codes.items():
                statuses[status] = statuses.get(status, 0) + n

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n * 37,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile_ms(latencies, 0.50),
        "p99_ms": percentile_ms(latencies, 0.99),
        "errors": sum(n for status, n in statuses.items() if not 200 <= status < 400),
        "statuses": statuses,
    }


WRK_SCRIPT = """
paths = {%s}
local counter = 0
function setup(thread)
  thread:set("offset", counter * 37)
  counter = counter + 1
end
local i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[((offset or 0) + i) %% #paths + 1])
end
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(port: int, paths: list[str], seconds: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    try:
        result = subprocess.run(  # noqa: S603 - wrk from PATH, arguments built here
            [  # noqa: S607
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                f"http://{HOST}:{port}/",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    return parse_wrk(result.stdout)


def parse_wrk(out: str) -> dict:
    """The figures of ``wrk --latency`` output (latencies in ms)."""

    def latency(percent: int) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")

    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    }


# --- The run --------------------------------------------------------------------------------


def page_paths(targets: dict) -> dict[str, list[str]]:
    return {
        "hello": ["/_bench/hello"],
        "front": [targets["front"]],
        "article": targets["article"],
        "hub": [targets["hub"]],
        "feed": [targets["feed"]],
        "search": [targets["search"]],
    }


def run_mode(mode, env, paths, options, load, log_path) -> dict:
    # Each mode starts cold: with REDIS_URL set the cache outlives the server processes.
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    server = Server(env, options.workers, options.threads, log_path)
    try:
        server.wait_ready()
        log(f"{mode}: server up on {HOST}:{server.port}; warming")
        first_status = {}
        for page, page_paths_ in paths.items():
            for path in page_paths_:
                status, _ = fetch(server.port, path)
                first_status.setdefault(page, status)
            load(server.port, page_paths_, options.warmup, options.connections)
        # The machine is shared and its load drifts, so hello-world is measured right before
        # each page and each page is compared with its own neighbour.
        results, hellos = {}, []
        for page, page_paths_ in paths.items():
            if page == "hello":
                continue
            hello = load(server.port, paths["hello"], options.duration, options.connections)
            hellos.append(hello)
            result = load(server.port, page_paths_, options.duration, options.connections)
            result.update(status=first_status[page], hello_rps=hello["rps"])
            results[page] = result
            log(
                f"{mode}: {page:<8} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:.1f} ms"
                f"  (hello {hello['rps']:.0f} req/s)"
            )
        middle = sorted(hellos, key=lambda r: r["rps"])[len(hellos) // 2]
        results = {
            "hello": {**middle, "status": first_status["hello"], "hello_rps": middle["rps"]}
        } | results
        return results
    finally:
        server.stop()


def server_shape(options) -> str:
    """The server's workers and threads as the production config resolves them."""
    workers = options.workers or 2 * (os.cpu_count() or 1) + 1
    threads = options.threads or 1
    return f"{workers} sync workers" if threads == 1 else f"{workers}×{threads} gthread"


def report(results: dict, header: str) -> str:
    lines = [header, ""]
    lines.append(
        f"{'mode':<9} {'page':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>8}  notes"
    )
    for mode, pages in results.items():
        for page, r in pages.items():
            hello = r["hello_rps"] or float("nan")
            notes = []
            if r["status"] != 200:
                notes.append(f"HTTP {r['status']}")
            if r["errors"]:
                notes.append(f"{r['errors']} non-2xx/3xx or socket errors")
            lines.append(
                f"{mode:<9} {page:<8} {r['rps']:9.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
                f"{r['rps'] / hello:8.3f}  {', '.join(notes)}"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", nargs="?", type=int, default=2000, help="corpus size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="nr_bench", help="PostgreSQL database (recreated)")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its corpus")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per page and mode")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, help="server processes (default: production's, 2 × CPUs + 1)"
    )
    parser.add_argument(
        "--threads", type=int, help="threads per server process (default: production's, 1)"
    )
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--modes", default="uncached,cached", help="comma-separated")
    parser.add_argument(
        "--pages", default=",".join(PAGES[1:]), help="comma-separated; hello-world always runs"
    )
    options = parser.parse_args(argv)
    modes = [m for m in options.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    pages = {"hello", *filter(None, options.pages.split(","))}
    if unknown := pages - set(PAGES):
        parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
    if options.tool == "auto":
        options.tool = "wrk" if shutil.which("wrk") else "python"
    load = wrk_load if options.tool == "wrk" else python_load

    started = time.monotonic()
    redis_url = bench_redis_url()
    env = server_env(options.database, "off", redis_url)
    if not options.reuse:
        log(f"recreating database {options.database}")
        recreate_database(options.database)
        manage(env, "migrate", "--noinput", "-v0")
        log(f"generating {options.articles:,} stories (seed {options.seed})")
        manage(
            env,
            "generate_corpus",
            f"--articles={options.articles}",
            f"--seed={options.seed}",
            "-v0",
        )
    manage(env, "collectstatic", "--noinput", "-v0")
    targets = json.loads(
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [PYTHON, str(ROOT / "bench" / "targets.py")],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    paths = {page: urls for page, urls in page_paths(targets).items() if page in pages}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = RESULTS / f"{stamp}-server.log"

    results = {}
    for mode in modes:
        results[mode] = run_mode(
            mode,
            server_env(options.database, MODES[mode], redis_url),
            paths,
            options,
            load,
            log_path,
        )

    header = (
        f"Newsroom bench {stamp}: {options.articles:,} stories (seed {options.seed}) on "
        f"PostgreSQL; gunicorn {server_shape(options)}; cache "
        f"{'Redis' if redis_url else 'local memory per worker'}; {options.tool} "
        f"{options.connections} connections, {options.duration:g} s per page; "
        f"{os.cpu_count()} CPUs; hub = {targets['hub']} ({targets['hub_stories']:,} stories)"
    )
    text = report(results, header)
    print(text)
    (RESULTS / f"{stamp}.json").write_text(
        json.dumps(
            {
                "header": header,
                "targets": {k: v for k, v in targets.items() if k != "article"},
                "results": results,
            },
            indent=2,
        )
    )
    (RESULTS / f"{stamp}.txt").write_text(text + "\n")
    log(f"done in {time.monotonic() - started:.0f} s; results in {RESULTS}/{stamp}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
