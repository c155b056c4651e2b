"""A real Varnish in front of the production server, with the repository's VCL
(deploy/varnish/newsroom.vcl): a page it caches changes on the next request after an edit
made in another process, and the pages the edit does not touch stay in its cache.

Needs ``varnishd`` and the xkey module (Debian: ``varnish`` and ``varnish-modules``);
skipped locally without them, a failure in CI.
"""

import contextlib
import http.client
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.outages import free_port
from tests.servers import HOST, site_factory  # noqa: F401  (a fixture)
from tests.test_security import BASE_DIR

pytestmark = pytest.mark.slow

VCL = BASE_DIR / "deploy" / "varnish" / "newsroom.vcl"
CREATE_STORIES = (
    "from tests.factories import ArticleFactory; "
    "ArticleFactory(headline='Harbour strike ends', slug='harbour-strike-ends'); "
    "ArticleFactory(headline='Bridge reopens', slug='bridge-reopens')"
)
RETITLE_STORY = (
    "from articles.editorial import editing; from articles.models import Article; "
    "story = Article.objects.get(slug='harbour-strike-ends'); "
    "story.headline = 'Harbour strike ends after talks'; "
    "editing.save_article(article=story, base_revision=story.revision)"
)


class Varnish:
    """varnishd on the loopback ``port``, in front of the app at ``backend_port``."""

    def __init__(self, folder: Path, port: int, backend_port: int):
        self.port = port
        self.folder = folder
        vcl = VCL.read_text().replace('.port = "8000";', f'.port = "{backend_port}";')
        assert str(backend_port) in vcl, "the VCL's backend port moved"
        self.vcl = folder / "newsroom.vcl"
        self.vcl.write_text(vcl)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["varnishd", "-F", "-n", str(self.folder / "work"), "-a", f"{HOST}:{self.port}"]
            # No jail: run as whoever runs the tests (root would switch to the varnish user,
            # who cannot read the test's own folder).
            + ["-j", "none", "-f", str(self.vcl), "-s", "malloc,32m"],
            stdout=(self.folder / "varnish.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                self.get("/healthz")
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"varnishd did not start:\n{(self.folder / 'varnish.log').read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def get(self, path: str) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()


def from_cache(headers: dict) -> bool:
    """Varnish names two transactions in X-Varnish for a hit (this one, the one that fetched
    the object), one for a miss."""
    return len(headers["X-Varnish"].split()) == 2


def varnish_with_xkey() -> bool:
    """Whether varnishd is installed and compiles the VCL (which imports xkey)."""
    if shutil.which("varnishd") is None:
        return False
    with tempfile.TemporaryDirectory() as work:
        compiled = subprocess.run(
            ["varnishd", "-C", "-j", "none", "-n", work, "-f", str(VCL)],
            capture_output=True,
            check=False,
        )
    return compiled.returncode == 0


@pytest.fixture
def varnish(tmp_path):
    require(varnish_with_xkey(), "Varnish with the xkey module (varnish, varnish-modules)")
    started = []

    def start(port: int, backend_port: int) -> Varnish:
        cache = Varnish(tmp_path, port, backend_port)
        started.append(cache)
        cache.start()
        return cache

    yield start
    for cache in started:
        cache.stop()


def test_varnish_serves_the_edit_on_the_next_request(site_factory, varnish):  # noqa: F811
    """The story's page and the front page, cached by Varnish, show the new headline on
    the next request after an edit made by another process (purged by key after its
    commit); the other story's page is still Varnish's copy."""
    varnish_port = free_port()
    site = site_factory(
        SURROGATE_KEY_HEADER="xkey",
        CDN_PURGER="varnish",
        VARNISH_PURGE_URLS=f"http://{HOST}:{varnish_port}/",
        CDN_PURGE_AGAIN_SECONDS="0.5",
    )
    front = varnish(varnish_port, backend_port=site.server.port)
    site.shell(CREATE_STORIES)
    pages = ["/news/harbour-strike-ends/", "/news/bridge-reopens/", "/"]
    for path in pages:
        front.get(path)
        status, headers, _ = front.get(path)
        assert status == 200 and from_cache(headers), (path, headers)
        assert "xkey" not in {name.lower() for name in headers}  # not for browsers

    site.shell(RETITLE_STORY)

    for path in ("/news/harbour-strike-ends/", "/"):
        status, headers, body = front.get(path)
        assert not from_cache(headers), path
        assert "Harbour strike ends after talks" in body, path
    status, headers, body = front.get("/news/bridge-reopens/")
    assert from_cache(headers)
    assert int(headers["Age"]) >= 0
