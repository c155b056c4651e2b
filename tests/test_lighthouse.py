"""Lighthouse on the pages readers land on: the front page, a story, a hub and search score
at least 0.95 for performance, accessibility, best practices and SEO.

Lighthouse is the npm package ``lighthouse`` (``.ci/run`` installs the pinned version
outside the clone); ``LIGHTHOUSE`` names its command. It drives Debian's Chromium against
the test's live server, with the default mobile preset (a mid-range phone on a slow 4G
network, simulated), and fetches nothing beyond it.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, CHROMIUM, require
from tests.test_browser_reader import layout_pages, story  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIGHTHOUSE = os.environ.get("LIGHTHOUSE", "")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MIN_SCORE = 0.95
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
# Search results say ``noindex`` on purpose (a search engine should not index a site's own
# results pages), which Lighthouse's SEO category counts as a failure to be crawlable.
NOT_FOR_INDEXING = ("is-crawlable",)


def lighthouse(url: str, report: Path, skip_audits=()) -> dict[str, float]:
    """Run Lighthouse once on ``url``; its category scores (0 to 1)."""
    command = [
        LIGHTHOUSE,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if skip_audits:
        command.append(f"--skip-audits={','.join(skip_audits)}")
    # Lighthouse at times fails to record Chromium's trace of a load (NO_NAVSTART, NO_FCP),
    # saying "Please run Lighthouse again": that, and only that, is run again, twice at most.
    for _ in range(3):
        run = subprocess.run(
            command,
            timeout=180,
            capture_output=True,
            text=True,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
        )
        if "Please run Lighthouse again" not in run.stderr:
            break
    if run.returncode:
        pytest.fail(f"Lighthouse on {url} exited with {run.returncode}:\n{run.stderr[-3000:]}")
    categories = json.loads(report.read_text())["categories"]
    return {name: categories[name]["score"] for name in CATEGORIES}


def test_front_story_hub_and_search_score_well_in_lighthouse(live_server, layout_pages):  # noqa: F811
    """Each page scores at least MIN_SCORE in every category; the reports are kept in
    test-artifacts/ to read what cost the points."""
    require(
        bool(LIGHTHOUSE) and Path(LIGHTHOUSE).is_file() and shutil.which("node") is not None,
        "Lighthouse (LIGHTHOUSE, npm package lighthouse) and Node.js",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {**layout_pages, "search": "/search/?q=Netanyahu"}
    scores = {
        name: lighthouse(
            live_server.url + path,
            ARTIFACTS / f"lighthouse-{name}.json",
            NOT_FOR_INDEXING if name == "search" else (),
        )
        for name, path in pages.items()
    }
    low = {
        name: {category: score for category, score in found.items() if score < MIN_SCORE}
        for name, found in scores.items()
    }
    assert not any(low.values()), f"below {MIN_SCORE}: {low}; all scores: {scores}"
