import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests import factories


def test_hello_world_is_not_routed_by_default(client, db):
    """The benchmark baseline must not be a public endpoint of a normal deployment."""
    assert client.get("/_bench/hello").status_code == 404


@pytest.mark.urls("newsroom.bench")
def test_hello_world_answers_through_the_middleware(db):
    """The baseline runs the full middleware stack and returns a tiny plain-text body."""
    response = Client().get("/_bench/hello")
    assert response.status_code == 200
    assert response.content == b"Hello, world!\n"
    assert response["X-Frame-Options"] == "DENY"  # proof the middleware ran


def load_script(name: str):
    """A bench script loaded afresh by path, as running it would (its caches start empty)."""
    path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"newsroom_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:40000/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.12ms    2.01ms  30.00ms   90.00%
    Req/Sec     1.29k   100.00     1.40k    80.00%
  Latency Distribution
     50%  812.00us
     75%    4.80ms
     90%    6.10ms
     99%    1.20s
  6441 requests in 5.00s, 1.50MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 12
Requests/sec:   1288.20
Transfer/sec:    300.00KB
"""


def test_wrk_output_is_read_with_its_units():
    """Latencies come in us, ms and s; errors count both HTTP failures and socket errors."""
    figures = load_script("bench").parse_wrk(WRK_OUTPUT)
    assert figures == {
        "requests": 6441,
        "rps": 1288.20,
        "p50_ms": pytest.approx(0.812),
        "p99_ms": pytest.approx(1200.0),
        "errors": 15,
    }


def test_report_compares_each_page_with_its_own_hello_world():
    """Ratios use the hello-world run next to each page, and failed pages are flagged."""
    bench = load_script("bench")
    row = {"p50_ms": 1.0, "p99_ms": 2.0, "errors": 0, "status": 200}
    results = {
        "uncached": {
            "hello": {**row, "rps": 1000.0, "hello_rps": 1000.0},
            "article": {**row, "rps": 150.0, "hello_rps": 1500.0},
            "hub": {**row, "rps": 900.0, "hello_rps": 1000.0, "status": 404, "errors": 9},
        }
    }
    lines = bench.report(results, "header").splitlines()
    article = next(line for line in lines if " article " in line)
    hub = next(line for line in lines if " hub " in line)
    assert "   0.100  " in article
    assert "HTTP 404, 9 non-2xx/3xx or socket errors" in hub


@pytest.mark.urls("newsroom.bench")
def test_python_load_generator_measures_a_live_server(live_server, settings):
    """The fallback load generator keeps connections alive and reports every request it made."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    port = urlsplit(live_server.url).port
    figures = load_script("bench").python_load(port, ["/_bench/hello"], seconds=0.5, connections=2)
    assert figures["requests"] > 0
    assert figures["statuses"] == {200: figures["requests"]}
    assert figures["errors"] == 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]


def test_the_benchmarked_hub_is_the_person_with_most_live_stories(db):
    """Drafts and archived stories do not make a hub busy: only what readers can see counts."""
    for _ in range(4):
        factories.draft(people=["Often Drafted"])
        factories.archived(people=["Often Drafted"])
    factories.ArticleFactory(people=["Often Drafted"])
    for _ in range(2):
        factories.ArticleFactory(people=["Really Busy"])
    chosen = load_script("targets").choose(articles=10)
    assert chosen["hub"] == "/people/really-busy/"
    assert chosen["hub_stories"] == 2
    assert chosen["hub_feed"] == "/people/really-busy/feed/rss/"
    assert len(chosen["article"]) == 3
    assert chosen["search"].startswith("/search/?q=Busy")


def test_latency_harness_times_a_view_and_counts_its_queries(db, client, settings):
    """The harness reports percentiles, statuses and the queries of a real request."""
    settings.NEWSROOM_PAGE_CACHE = False  # as the harness runs: uncached
    factories.ArticleFactory()
    figures = load_script("latency").time_view(client, ["/"], requests=5, warmup=1)
    assert figures["statuses"] == [200]
    assert figures["queries"] >= 1
    assert 0 < figures["p50_ms"] <= figures["p95_ms"]


def test_latency_harness_runs_the_untimed_step_before_each_request(db, client, settings):
    """The "after a content change" row starts a new content generation before each request."""
    settings.NEWSROOM_PAGE_CACHE = False
    factories.ArticleFactory()
    calls = []
    figures = load_script("latency").time_view(
        client, ["/"], requests=3, warmup=1, before=lambda: calls.append(1)
    )
    assert len(calls) == 3
    assert figures["statuses"] == [200]


def test_latency_harness_picks_the_tag_nearest_its_share_of_live_stories(db):
    """The "tag hub" row is the tag whose live stories come nearest the share asked for;
    stories that are not live do not count."""
    for _ in range(6):
        factories.ArticleFactory(people=["Busy Person"])
    for _ in range(2):
        factories.ArticleFactory(countries=["IL"])
        factories.draft(topics=["Hidden topic"])
    tag, stories = load_script("latency").mid_tag(share=0.2)  # 20 % of 10 live stories: 2
    assert (tag.name, stories) == ("Israel", 2)
