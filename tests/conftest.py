import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests import factories
from tests.outages import database_down, frozen_database, redis_server  # noqa: F401  (fixtures)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Hypothesis (the hostile-input tests, tests/test_hostile_*.py). "ci", the default: few
# examples, the same ones every run (derandomize), no example database, so the suite stays
# fast and a failure is reproducible. "dev" (HYPOTHESIS_PROFILE=dev): ten times the examples,
# random ones, and the failures found kept in .hypothesis/ (git-ignored) to be tried first
# next time. Tests scale their own counts with tests.hostile.examples(). No deadline: a
# request's time depends on the machine and the database, not on the input.
hypothesis_settings.register_profile(
    "ci", max_examples=10, derandomize=True, database=None, deadline=None, print_blob=True
)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def require(available: bool, what: str):
    """Skip a test whose real dependency is missing, except in CI, where that is a failure."""
    if not available:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{what} is required in CI but is not available")
        pytest.skip(f"{what} is not available")


@pytest.fixture(autouse=True, scope="session")
def _static_files_without_collectstatic(tmp_path_factory):
    """Templates may use {% static %} without collectstatic having run first; production's
    hashed, compressed storage is tested by itself (test_security.py). STATIC_ROOT is an
    empty folder of the run's own, not the checkout's staticfiles/ that an earlier
    collectstatic may have left: whitenoise reads every file there each time a test client
    starts (a tenth of a second per test), and what a test sees must not depend on it."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain},
        STATIC_ROOT=tmp_path_factory.mktemp("static-root"),
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _media_of_the_run(tmp_path_factory):
    """Images and renditions written by the tests go to a folder of the run's own, never
    the checkout's media/ (which make run serves)."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Passwords hashed with MD5 in tests: production's PBKDF2 takes a good part of a second
    per login or new user, which is its point there and only costs time here."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _live_server_one_view_at_a_time():
    """On SQLite the live server runs one request's view at a time. Its threads (one per
    request) each open a connection to the test's shared-cache, in-memory database, and two
    at once can fail there: SQLite locks whole tables between such connections, and a page's
    scripts loading side by side once got "bad parameter or other API misuse" back. The
    threads still read requests side by side, so a browser's idle, preconnected socket holds
    nobody up. PostgreSQL serves them in parallel, as production does."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connection
    from django.test import testcases

    class OneViewAtATime(ThreadedWSGIServer):
        def set_app(self, application):
            one_at_a_time = threading.Lock()

            def serialised(environ, start_response):
                with one_at_a_time:
                    return application(environ, start_response)

            super().set_app(serialised)

    class LiveServerThread(testcases.LiveServerThread):
        server_class = OneViewAtATime if connection.vendor == "sqlite" else ThreadedWSGIServer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testcases, "LiveServerThread", LiveServerThread)
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the database rolls back between tests without
    sending the signals that invalidate cached pages, so they would outlive their data."""
    from django.core.cache import caches

    # Every configured cache, not only those this thread has opened: local-memory caches
    # keep their data in the process whatever instance reads it (rate-limit counts too).
    for alias in caches:
        caches[alias].clear()


@pytest.fixture
def article_factory(db):
    return factories.ArticleFactory


@pytest.fixture(scope="session")
def browser():
    require(shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), "Chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the
    # tests make around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page; a screenshot lands in test-artifacts/ when the test fails."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def without_page_cache(settings):
    """Requests reach the views every time: for tests of a view's own queries and headers."""
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("PublicCacheMiddleware")
    ]
