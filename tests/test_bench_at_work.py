"""The newsroom-at-work scenario of ``bench/run --modes at-work`` (bench/README.md)."""

import shutil
from urllib.parse import urlsplit

import pytest

from articles import caching
from articles.models import Article, StoryVersion
from tests import factories
from tests.conftest import require
from tests.test_bench import load_script

WRK_MIX_OUTPUT = """Running 5s test @ http://127.0.0.1:40000/
  2 threads and 2 connections
  6441 requests in 5.00s, 1.50MB read
Requests/sec:   1288.20
X-Cache article hit 3000
X-Cache feed miss 2
X-Cache article miss 4
X-Cache article hit 3200
X-Cache feed hit 200
X-Cache hello none 35
"""


def test_cache_counts_are_summed_over_wrk_threads():
    """done() prints each thread's counts; the figures are their sums by page and state."""
    counts = load_script("bench").parse_cache_counts(WRK_MIX_OUTPUT)
    assert counts == {
        "article": {"hit": 6200, "miss": 4},
        "feed": {"miss": 2, "hit": 200},
        "hello": {"none": 35},
    }


def test_reader_mix_is_mostly_articles_each_once():
    """Every article once, the other pages as often as their shares say, shuffled the same
    way for the same seed."""
    bench = load_script("bench")
    paths = {
        "article": [f"/news/{n}/" for n in range(200)],
        "front": ["/"],
        "hub": ["/people/busy/"],
        "feed": ["/feed/rss/"],
    }
    mix = bench.reader_mix(paths, seed=1)
    pages = [page for page, _ in mix]
    assert len(mix) == 250
    assert (pages.count("front"), pages.count("hub"), pages.count("feed")) == (20, 20, 10)
    assert sorted(path for page, path in mix if page == "article") == sorted(paths["article"])
    assert mix == bench.reader_mix(paths, seed=1)
    assert pages != sorted(pages)  # interleaved, not in blocks


def test_at_work_report_gives_hit_ratio_misses_by_page_and_saves():
    bench = load_script("bench")
    row = {"rps": 900.0, "hello_rps": 1000.0, "p50_ms": 4.0, "p99_ms": 9.0, "errors": 0}
    runs = {
        "control": {
            **row,
            "status": 200,
            "cache": {"article": {"hit": 800}, "front": {"hit": 100}},
            "editor": {"saved": 0, "stale": 0, "failed": 0, "saves": []},
        },
        "editor": {
            **row,
            "status": 200,
            "cache": {"article": {"hit": 795, "miss": 3}, "front": {"hit": 100, "miss": 2}},
            "editor": {
                "saved": 1,
                "stale": 1,
                "failed": 0,
                "saves": [
                    {"story": 7, "outcome": "saved", "keys": ["links:3", "story:7"], "at_s": 1.0},
                    {"story": 9, "outcome": "stale", "at_s": 3.0},
                ],
            },
        },
    }
    text = bench.report({"at-work": runs}, "header")
    control = next(line for line in text.splitlines() if line.startswith("control "))
    editor = next(line for line in text.splitlines() if line.startswith("editor "))
    assert "100.00%" in control
    assert " 895 " in editor and " 5 " in editor and "99.44%" in editor  # 895 / 900
    assert "1 saves refused as stale" in editor
    assert "editor    article 3 / 798, front 2 / 102, hub 0 / 0, feed 0 / 0" in text
    assert "7, links:3, story:7" in text
    assert "9, stale" in text


def test_editor_mark_replaces_the_last_one():
    """Saving the same story again does not make its standfirst grow."""
    editor = load_script("editor")
    once = editor.edited("A story in a sentence.", 0.0)
    assert once == "A story in a sentence. (Edited at 00:00:00.0)"
    assert editor.edited(once, 3661.25) == "A story in a sentence. (Edited at 01:01:01.2)"


def test_editor_saves_through_the_revision_guard_and_says_what_changed(db):
    """One save as the admin makes it: the revision moves on by one, readers see the new
    standfirst, a version is recorded, and the keys the page cache was told are reported."""
    story = factories.ArticleFactory(standfirst="Before.")
    linking = factories.ArticleFactory()
    factories.CrossLinkFactory(source=linking, target=story)
    revision = Article.objects.get(pk=story.pk).revision

    save = load_script("editor").save_one(story.pk, 0.0)

    story.refresh_from_db()
    assert save["outcome"] == "saved"
    assert story.revision == revision + 1
    assert story.standfirst == "Before. (Edited at 00:00:00.0)"
    newest = StoryVersion.objects.filter(article=story).order_by("-revision").first()
    assert newest.revision == story.revision
    assert set(save["keys"]) == {
        caching.story_key(story.pk),
        caching.links_key(linking.pk),
        caching.STORIES,
    }


@pytest.mark.urls("newsroom.bench")
@pytest.mark.parametrize("tool", ["python", "wrk"])
def test_mix_load_counts_x_cache_by_page(live_server, settings, tool):
    """Both load generators read each answer's X-Cache header and count it by page."""
    if tool == "wrk":
        require(shutil.which("wrk") is not None, "wrk (Debian package wrk)")
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NEWSROOM_PAGE_CACHE = True
    bench = load_script("bench")
    load = bench.wrk_load if tool == "wrk" else bench.python_load
    port = urlsplit(live_server.url).port
    figures = load(port, ["/_bench/hello", "/_bench/hello"], 1, 2, ["first", "second"])
    counts = figures["cache"]
    assert set(counts) == {"first", "second"}
    # "none": no header, which only failed requests lack (the test server drops one now and then)
    assert set().union(*counts.values()) <= {"hit", "miss", "none"}
    assert sum(states.get("none", 0) for states in counts.values()) <= figures["errors"]
    assert sum(n for states in counts.values() for n in states.values()) == figures["requests"]
    assert sum(counts[page].get("hit", 0) for page in counts) > 0  # stored once, then served
    assert sum(counts[page].get("miss", 0) for page in counts) >= 1
