"""A reader following live coverage in a real browser: new entries appear at the top without a
reload, are announced politely, and the page works without JavaScript (a reload shows them)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from articles.editorial import live
from articles.models import LiveEntry
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def covered():
    story = ArticleFactory(
        headline="Earthquake strikes the capital",
        published_at=timezone.now() - timedelta(hours=1),
        authors=[AuthorFactory(name="Rita Reporter")],
    )
    live.start_coverage(article=story, actor="test")
    return story


def entry_ids(page) -> list[str]:
    return page.locator("article.live-entry").evaluate_all("nodes => nodes.map(n => n.id)")


def test_new_entries_appear_at_the_top_without_a_reload(page, live_server, covered, settings):
    """An entry posted after the page loaded is on it within the poll interval, newest
    first, announced in the polite status line, with no reload and no console error (CSP
    included); when coverage ends the page says so."""
    settings.NEWSROOM_LIVE_POLL_SECONDS = 1
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    first = live.post_entry(article=covered, body="Tremors felt across the city.")
    page.goto(live_server.url + covered.get_absolute_url())
    assert entry_ids(page) == [first.anchor]
    assert page.locator(".live-refresh").inner_text().startswith("New updates appear")
    page.evaluate("window.loadedOnce = true")

    entry = live.post_entry(
        article=covered, body="Aftershock felt downtown.", headline="Aftershock", is_key=True
    )
    page.locator(f"#{entry.anchor}").wait_for(timeout=10_000)
    assert entry_ids(page) == [entry.anchor, first.anchor]
    assert page.evaluate("window.loadedOnce") is True  # the same page, not a reload
    announcer = page.locator(".live-announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    # Not wait_for_function: its polling evaluates a string in the page, which the page's
    # CSP (no unsafe-eval) refuses; Playwright's own assertions poll from outside it.
    expect(announcer).to_contain_text("Aftershock")

    live.end_coverage(article=covered, actor="test")
    page.get_by_text("Coverage ended").wait_for(timeout=10_000)
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [error for error in errors if "favicon" not in error and "404" not in error] == []


def test_reading_further_down_is_not_moved_by_new_entries(page, live_server, covered, settings):
    """A reader scrolled down to an older entry keeps it where it was on screen when new
    entries arrive above it."""
    settings.NEWSROOM_LIVE_POLL_SECONDS = 1
    body = "".join(f"<p>Paragraph {n} of a long entry.</p>" for n in range(12))
    entries = [live.post_entry(article=covered, body=body) for _ in range(4)]
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(live_server.url + covered.get_absolute_url())
    reading = page.locator(f"#{entries[1].anchor}")
    reading.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 100)")
    before = reading.bounding_box()["y"]
    new = live.post_entry(article=covered, body=body)
    page.locator(f"#{new.anchor}").wait_for(state="attached", timeout=10_000)
    page.wait_for_timeout(200)
    assert abs(reading.bounding_box()["y"] - before) < 2


def test_the_live_page_works_without_javascript(browser, live_server, covered):
    """With JavaScript off the page shows its entries, key events and the Live marker; a
    reload shows an entry posted since, and the page says so."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        key = live.post_entry(
            article=covered, body="Bridge closed.", headline="Bridge closed", is_key=True
        )
        page.goto(live_server.url + covered.get_absolute_url())
        assert entry_ids(page) == [key.anchor]
        assert page.locator(".live-coverage .live-marker").is_visible()
        assert page.locator(".key-events a").get_attribute("href") == f"#{key.anchor}"
        newer = live.post_entry(article=covered, body="Schools closed tomorrow.")
        assert entry_ids(page) == [key.anchor]
        assert page.get_by_text("Reload the page for the latest updates").is_visible()
        page.reload()
        assert entry_ids(page) == [newer.anchor, key.anchor]
        assert page.get_by_text("Schools closed tomorrow.").is_visible()
    finally:
        context.close()


def test_a_desk_runs_coverage_from_the_admin(page, live_server, covered):
    """An editor ends running coverage, resumes it, posts a key event from the quick form
    (the rich-text box), and sees it on top of the list and on the story's page; no script
    error on the way (the prose editor and the date widgets under the CSP)."""
    from django.contrib.auth.models import Group, Permission

    from articles.editorial.roles import sync_role_groups
    from tests.test_browser_admin import log_in_to_write

    sync_role_groups(Group, Permission)
    errors = log_in_to_write(page, live_server, "eddie", "Editor")
    page.goto(live_server.url + reverse("admin:articles_liveentry_coverage", args=[covered.pk]))
    page.get_by_role("button", name="End live coverage").click()
    page.get_by_text("Ended live coverage.").wait_for()
    page.get_by_role("button", name="Resume live coverage").click()
    page.get_by_text("Started live coverage.").wait_for()
    box = page.locator(".quick-entry .ProseMirror[contenteditable='true']")
    box.click()
    page.keyboard.type("Bridge reopens to traffic.")
    page.get_by_label("Key event").check()
    page.get_by_role("button", name="Post").click()
    page.get_by_text("Posted.").wait_for()
    assert page.locator(".live-entries-admin li").first.inner_text().count("Bridge reopens") == 1
    entry = LiveEntry.objects.get()
    assert entry.is_key and entry.body == "<p>Bridge reopens to traffic.</p>"
    assert errors == []
