"""Benchmark Newsroom against a hello-world view in one run (see bench/README.md).

Steps: a fresh PostgreSQL database, ``migrate``, ``generate_corpus``, ``collectstatic``; then
for each mode (uncached, cached) start the production server on loopback, warm it, and load
each page in turn — hello-world first — with wrk (Debian's package) or, without it, the
Python load generator below. Every figure is printed as a ratio to hello-world measured in
the same server, the same mode and the same minute.

The ``at-work`` mode is the newsroom at work: readers at full load over a mix of pages with
the page cache on, first alone, then while an editor saves a story every two seconds
(``bench/editor.py``), counting the cache's hits and misses.
"""

import argparse
import http.client
import json
import os
import random
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
MODES = {"uncached": "off", "cached": "on", "at-work": "on"}  # value of NEWSROOM_PAGE_CACHE
# The readers' mix in the at-work mode: each page's share of the addresses they rotate through.
AT_WORK_MIX = {"article": 0.80, "front": 0.08, "hub": 0.08, "feed": 0.04}
EDIT_INTERVAL = 2.0  # seconds between the at-work editor's saves
AT_WORK_MAX_WARMUP = 60.0  # seconds of warm-up load at most, until a round meets no miss


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


def python_load(
    port: int, paths: list[str], seconds: float, connections: int, kinds: list[str] | None = None
) -> dict:
    """Keep-alive clients in threads, bounded by time and by count, against loopback only.

    With ``kinds`` (each path's page, in the same order), also the ``X-Cache`` header of
    every answer counted by page (``cache``: page → hit, miss or none → responses)."""
    deadline = time.monotonic() + seconds
    max_requests = 200_000
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cache_states: dict[str, dict[str, int]] = {}
    lock = threading.Lock()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, codes, states, i = [], {}, {}, offset
        while time.monotonic() < deadline and len(mine) < max_requests // connections:
            path = paths[i % len(paths)]
            kind = kinds[i % len(paths)] if kinds else None
            i += 1
            started = time.perf_counter()
            state = "none"
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
                state = response.getheader("X-Cache") or "none"
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
            if kind:
                states.setdefault(kind, {}).setdefault(state, 0)
                states[kind][state] += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, n in codes.items():
                statuses[status] = statuses.get(status, 0) + n
            for kind, counts in states.items():
                for state, n in counts.items():
                    cache_states.setdefault(kind, {}).setdefault(state, 0)
                    cache_states[kind][state] += n

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n * 37,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    figures = {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile_ms(latencies, 0.50),
        "p99_ms": percentile_ms(latencies, 0.99),
        "errors": sum(n for status, n in statuses.items() if not 200 <= status < 400),
        "statuses": statuses,
    }
    if kinds:
        figures["cache"] = cache_states
    return figures


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
# The same with each answer's X-Cache header counted by page. Each wrk thread has one
# connection, which sends its next request only once the last one is answered, so the page
# last asked for in a thread is the page being answered. done() prints the threads' counts.
WRK_MIX_SCRIPT = """
paths = {%s}
kinds = {%s}
local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", counter * 37)
  counter = counter + 1
  table.insert(threads, thread)
end
local i = 0
local asked = "?"
counts = {}
function request()
  i = i + 1
  local n = ((offset or 0) + i) %% #paths + 1
  asked = kinds[n]
  return wrk.format("GET", paths[n])
end
function response(status, headers, body)
  local key = asked .. " " .. (headers["X-Cache"] or headers["x-cache"] or "none")
  counts[key] = (counts[key] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      io.write(string.format("X-Cache %%s %%d\\n", key, n))
    end
  end
end
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(
    port: int, paths: list[str], seconds: float, connections: int, kinds: list[str] | None = None
) -> dict:
    """wrk's figures for ``paths`` in turn; with ``kinds`` (each path's page), also the
    ``X-Cache`` header counted by page, as ``python_load`` does."""
    quoted = ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if kinds:
            script.write(WRK_MIX_SCRIPT % (quoted, ", ".join(json.dumps(k) for k in kinds)))
        else:
            script.write(WRK_SCRIPT % quoted)
    try:
        result = subprocess.run(  # noqa: S603 - wrk from PATH, arguments built here
            [  # noqa: S607
                "wrk",
                f"-t{connections if kinds else 1}",
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
    figures = parse_wrk(result.stdout)
    if kinds:
        figures["cache"] = parse_cache_counts(result.stdout)
    return figures


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


def parse_cache_counts(out: str) -> dict[str, dict[str, int]]:
    """The ``X-Cache <page> <hit|miss|none> <count>`` lines of the mix script's ``done()``,
    summed over threads: page → state → responses."""
    counts: dict[str, dict[str, int]] = {}
    for kind, state, n in re.findall(r"^X-Cache (\S+) (\S+) (\d+)$", out, re.M):
        counts.setdefault(kind, {}).setdefault(state, 0)
        counts[kind][state] += int(n)
    return counts


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


def reader_mix(paths: dict[str, list[str]], seed: int = 1) -> list[tuple[str, str]]:
    """The at-work readers' addresses as (page, path), shuffled: every article path once,
    and each other page of ``AT_WORK_MIX`` as often as its share of the whole asks."""
    total = len(paths["article"]) / AT_WORK_MIX["article"]
    mix = []
    for page, share in AT_WORK_MIX.items():
        count = len(paths[page]) if page == "article" else max(1, round(total * share))
        mix += [(page, paths[page][n % len(paths[page])]) for n in range(count)]
    random.Random(seed).shuffle(mix)
    return mix


def start_editor(env: dict, seconds: float, seed: int, newest: int = 0) -> subprocess.Popen:
    """``bench/editor.py`` saving for ``seconds`` (among the ``newest`` live stories, or
    any), once it has said it is ready."""
    editor = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [
            PYTHON,
            str(ROOT / "bench" / "editor.py"),
            f"--duration={seconds}",
            f"--interval={EDIT_INTERVAL}",
            f"--seed={seed}",
            f"--newest={newest}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    if editor.stdout.readline().strip() != "ready":
        editor.kill()
        sys.exit("bench: bench/editor.py did not start")
    return editor


def run_at_work(env, paths, options, load, log_path) -> dict:
    """Readers over ``reader_mix`` with the page cache on, alone (control) and then while an
    editor saves a story every EDIT_INTERVAL seconds; hello-world right before each."""
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    mix = reader_mix(paths, options.seed)
    kinds, mix_paths = [page for page, _ in mix], [path for _, path in mix]
    server = Server(env, options.workers, options.threads, log_path)
    try:
        server.wait_ready()
        log(f"at-work: server up on {HOST}:{server.port}; warming {len(mix)} addresses")
        first_status = {}
        for page, path in mix:
            status, _ = fetch(server.port, path)
            first_status[page] = first_status.get(page, 200) if status == 200 else status
        # Until a round of load meets no miss: one round with Redis, filled by the fetches
        # above; with local memory each worker renders every page itself first, so the
        # rounds after the first are long enough for each connection to ask for every address.
        deadline = time.monotonic() + max(options.warmup, AT_WORK_MAX_WARMUP)
        seconds, rounds = options.warmup, 0
        while True:
            warm = load(server.port, mix_paths, seconds, options.connections, kinds)
            rounds += 1
            misses = cache_totals(warm["cache"])[1]
            left = deadline - time.monotonic()
            if not misses or left <= 0:
                break
            full_pass = len(mix) * options.connections / max(warm["rps"], 1.0)
            seconds = min(max(options.warmup, full_pass), left)
        log(f"at-work: warmed in {rounds} round(s), the last of {seconds:.0f} s: {misses} misses")
        results = {}
        for run in ("control", "editor"):
            hello = load(
                server.port, ["/_bench/hello"], options.duration, options.connections, ["hello"]
            )
            editor = (
                start_editor(env, options.duration, options.seed, options.edit_newest)
                if run == "editor"
                else None
            )
            result = load(server.port, mix_paths, options.duration, options.connections, kinds)
            edits = {"saved": 0, "stale": 0, "failed": 0, "saves": []}
            if editor:
                out, _ = editor.communicate(timeout=options.duration + 60)
                if editor.returncode or not out.strip():
                    sys.exit(f"bench: bench/editor.py failed (exit status {editor.returncode})")
                edits = json.loads(out.strip().splitlines()[-1])
            result.update(
                hello_rps=hello["rps"],
                status=max(first_status.values()),
                first_status=first_status,
                editor=edits,
            )
            results[run] = result
            hits, misses = cache_totals(result["cache"])
            log(
                f"at-work: {run:<8} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:.1f} ms"
                f"  {hits} hits, {misses} misses, {edits['saved']} saves"
                f"  (hello {hello['rps']:.0f} req/s)"
            )
        return results
    finally:
        server.stop()


def cache_totals(counts: dict[str, dict[str, int]]) -> tuple[int, int]:
    """Hits and misses over every page of a run's X-Cache counts."""
    hits = sum(states.get("hit", 0) for states in counts.values())
    misses = sum(states.get("miss", 0) for states in counts.values())
    return hits, misses


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
    pages_by_mode = {mode: pages for mode, pages in results.items() if mode != "at-work"}
    if pages_by_mode:
        lines.append(
            f"{'mode':<9} {'page':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>8}"
            "  notes"
        )
    for mode, pages in pages_by_mode.items():
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
    if "at-work" in results:
        if pages_by_mode:
            lines.append("")
        lines += at_work_report(results["at-work"])
    return "\n".join(lines)


def editing_newest(options, modes) -> str:
    """What the header says of an at-work editor kept to the newest stories."""
    if "at-work" not in modes or not options.edit_newest:
        return ""
    return f", the editor among the {options.edit_newest} newest stories"


def at_work_report(runs: dict) -> list[str]:
    """The at-work table: each run's throughput, latency and page-cache hits, then the
    misses by page and what each of the editor's saves changed."""
    shares = ", ".join(f"{page} {share:.0%}" for page, share in AT_WORK_MIX.items())
    lines = [
        f"at work: readers over a shuffled mix of addresses ({shares}), page cache on; "
        f"'editor' = the same while bench/editor.py saves a random live story's standfirst "
        f"every {EDIT_INTERVAL:g} s",
        "",
        f"{'run':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>8} {'hits':>8} "
        f"{'misses':>7} {'hit ratio':>9} {'saves':>6}  notes",
    ]
    for run, r in runs.items():
        hits, misses = cache_totals(r["cache"])
        ratio = f"{hits / (hits + misses):9.2%}" if hits + misses else f"{'-':>9}"
        edits = r["editor"]
        notes = []
        if r["status"] != 200:
            notes.append(f"HTTP {r['status']} on first answer")
        if r["errors"]:
            notes.append(f"{r['errors']} non-2xx/3xx or socket errors")
        if unmarked := sum(states.get("none", 0) for states in r["cache"].values()):
            notes.append(f"{unmarked} answers without X-Cache")
        if edits["stale"] or edits["failed"]:
            notes.append(f"{edits['stale']} saves refused as stale, {edits['failed']} failed")
        lines.append(
            f"{run:<9} {r['rps']:9.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
            f"{r['rps'] / (r['hello_rps'] or float('nan')):8.3f} {hits:8d} {misses:7d} "
            f"{ratio} {edits['saved']:6d}  {', '.join(notes)}".rstrip()
        )
    lines += ["", "misses / answers by page:"]
    for run, r in runs.items():
        by_page = []
        for page in AT_WORK_MIX:
            states = r["cache"].get(page, {})
            by_page.append(f"{page} {states.get('miss', 0)} / {sum(states.values())}")
        lines.append(f"  {run:<9} {', '.join(by_page)}")
    saves = [save for r in runs.values() for save in r["editor"]["saves"]]
    if saves:
        lines.append("saves (at s: story, keys its save changed):")
        for save in saves:
            what = save.get("error") or ", ".join(save.get("keys", [])) or save["outcome"]
            lines.append(f"  {save['at_s']:5.1f}: {save.get('story', '?')}, {what}")
    return lines


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
    parser.add_argument(
        "--modes",
        default="uncached,cached",
        help="comma-separated: uncached, cached, at-work (readers while an editor saves)",
    )
    parser.add_argument(
        "--pages", default=",".join(PAGES[1:]), help="comma-separated; hello-world always runs"
    )
    parser.add_argument(
        "--edit-newest",
        type=int,
        default=0,
        metavar="N",
        help="at-work: the editor saves only among the N newest live stories (0: any)",
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
    all_paths = page_paths(targets)
    paths = {page: urls for page, urls in all_paths.items() if page in pages}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = RESULTS / f"{stamp}-server.log"

    results = {}
    for mode in modes:
        env = server_env(options.database, MODES[mode], redis_url)
        if mode == "at-work":  # its own mix of pages, whatever --pages says
            results[mode] = run_at_work(env, all_paths, options, load, log_path)
        else:
            results[mode] = run_mode(mode, env, paths, options, load, log_path)

    header = (
        f"Newsroom bench {stamp}: {options.articles:,} stories (seed {options.seed}) on "
        f"PostgreSQL; gunicorn {server_shape(options)}; cache "
        f"{'Redis' if redis_url else 'local memory per worker'}; {options.tool} "
        f"{options.connections} connections, {options.duration:g} s per page"
        f"{' (at-work: per run)' if 'at-work' in modes else ''}"
        f"{editing_newest(options, modes)}; "
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
