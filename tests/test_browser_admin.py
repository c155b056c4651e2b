"""An editor's day in a real browser (Debian's Chromium through Playwright)."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db.models import F
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from articles import text
from articles.editorial.roles import sync_role_groups
from articles.models import Article, StoryVersion
from tests.admin_support import change_url, make_user
from tests.factories import ArticleFactory, ImageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def role_groups():
    """Transactional tests flush every table, the groups the migration made included."""
    sync_role_groups(Group, Permission)


def log_in_to_write(page, live_server, username: str, group: str) -> list[str]:
    """Log a new member of ``group`` in at the story form; return the list that collects the
    page's JavaScript errors (the browser's own favicon probe is the public site's business)."""
    user = make_user(username, group)
    user.set_password("a-long-test-password")
    user.save()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.location["url"].endswith("/favicon.ico")
            and errors.append(f"{m.text} {m.location['url']}")
        ),
    )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/articles/article/add/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    return errors


def click_closing_its_window(window, button) -> None:
    """Click ``button``, whose handler closes ``window``, and wait until it is closed.

    The window can close before Playwright's click returns, which then raises "Target page,
    context or browser has been closed" (microsoft/playwright#26900): that closing is the
    outcome wanted. A window that stays open still fails, on the wait for its close event."""
    with window.expect_event("close"):
        try:
            button.click()
        except PlaywrightError:
            if not window.is_closed():
                raise


def test_editor_writes_links_and_publishes_a_story(page, live_server):
    """Log in, write a story, add an Also Read link by autocomplete, publish, read it.

    The link is placed before the first save: the placement select follows the body as it
    is typed, and the server accepts placements in the body it is saving.
    """
    target = ArticleFactory(
        headline="Gaza ceasefire faces new hurdle",
        people=["Benjamin Netanyahu"],
        countries=["PS"],
    )
    errors = log_in_to_write(page, live_server, "eddie", "Editor")
    # The cursor starts in the headline, not on the Save button above it (Django's default).
    expect(page.get_by_label("Headline")).to_be_focused()
    page.keyboard.type("Talks resume in Cairo")
    assert page.get_by_label("Slug").input_value() == "talks-resume-in-cairo"
    editor_box = page.locator(".ProseMirror[contenteditable='true']")
    editor_box.click()
    page.keyboard.type("Negotiators met on Monday.")
    page.keyboard.press("Enter")
    page.keyboard.type("They agreed on a timetable.")
    page.keyboard.press("Enter")
    page.keyboard.type("A second round follows next week.")
    people = page.get_by_label("People")
    people.press_sequentially("Joe Biden, netan")
    suggestion = page.locator("#id_people-suggestions option")
    suggestion.first.wait_for(state="attached")
    assert suggestion.first.get_attribute("value") == "Joe Biden, Benjamin Netanyahu"
    people.fill("Joe Biden, Benjamin Netanyahu")
    # A name holding a comma is inserted quoted, so that it stays one name.
    countries = page.get_by_label("Countries")
    countries.press_sequentially("Israel, pales")
    suggestion = page.locator("#id_countries-suggestions option")
    suggestion.first.wait_for(state="attached")
    assert suggestion.first.get_attribute("value") == 'Israel, "Palestine, State of"'
    countries.fill(suggestion.first.get_attribute("value"))
    row = page.locator("#links_out-0")
    row.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("ceasefire")
    page.get_by_role("option", name="Gaza ceasefire faces new hurdle").click()
    row.locator("select[name$='-placement']").select_option(
        label="After ¶2: They agreed on a timetable."
    )
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))

    story = Article.objects.get(slug="talks-resume-in-cairo")
    assert len(story.paragraphs) == 3
    assert Article.objects.live().filter(pk=story.pk).exists()
    link = story.links_out.get()
    assert (link.target, link.placement) == (target, 2)
    assert sorted(story.people.names()) == ["Benjamin Netanyahu", "Joe Biden"]
    assert sorted(story.countries.names()) == ["Israel", "Palestine, State of"]
    assert errors == []

    page.goto(f"{live_server.url}{story.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == "Talks resume in Cairo"
    # In one Also Read box (the sidebar's thread lists the linked story too).
    also_read = page.locator(f"main .also-read a[href='{target.get_absolute_url()}']")
    assert also_read.count() == 1
    # The box sits between the second and third paragraphs, as placed.
    order = page.evaluate(
        """([href]) => {
            const link = document.querySelector(`main .also-read a[href='${href}']`);
            const paras = [...document.querySelectorAll('main p')];
            const second = paras.find(p => p.textContent.includes('timetable'));
            const third = paras.find(p => p.textContent.includes('second round'));
            const after = (a, b) =>
                !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
            return [after(second, link), after(link, third)];
        }""",
        [target.get_absolute_url()],
    )
    assert order == [True, True]


def test_writer_pastes_wire_copy_and_submits_it_for_review(page, live_server):
    """A writer's day: write with an Also Read line, submit for review, no JS errors.

    The line becomes a link at its place, and the writer is never offered publishing.
    """
    target = ArticleFactory(headline="Gaza ceasefire faces new hurdle")
    errors = log_in_to_write(page, live_server, "wanda", "Writer")

    page.get_by_label("Headline").press_sequentially("Hostages freed at dawn")
    page.locator(".ProseMirror[contenteditable='true']").click()
    for line in ("The first group crossed at six.", "Also Read: gaza ceasefire faces new hurdle"):
        page.keyboard.type(line)
        page.keyboard.press("Enter")
    page.keyboard.type("More are expected on Thursday.")
    status = page.get_by_label("Status")
    assert status.locator("option").all_inner_texts() == ["Draft", "In review"]
    status.select_option("review")
    page.get_by_role("button", name="Save", exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))

    story = Article.objects.get(slug="hostages-freed-at-dawn")
    assert (story.status, story.created_by.username) == (Article.Status.REVIEW, "wanda")
    assert len(story.paragraphs) == 2 and "Also Read" not in story.body
    link = story.links_out.get()
    assert (link.target, link.placement) == (target, 1)
    assert errors == []


def test_editor_compares_two_versions_and_restores_the_older_one(page, live_server):
    """From the story's History: compare two versions (the changes are marked), open the
    older one, restore it, and find its text back in the change form, with no JS errors."""
    story = ArticleFactory(
        headline="Talks resume in Cairo",
        body=text.text_to_html(["Negotiators met on Monday.", "The first account of the talks."]),
    )
    StoryVersion.objects.capture(story, actor="import_articles")
    Article.objects.filter(pk=story.pk).update(
        body=text.text_to_html(["Negotiators met on Tuesday.", "A later account."]),
        revision=F("revision") + 1,
    )
    StoryVersion.objects.capture(story, actor="import_articles")
    errors = log_in_to_write(page, live_server, "eddie", "Editor")
    page.wait_for_url(re.compile(r"/admin/articles/article/add/$"))

    page.goto(f"{live_server.url}{change_url(story)}")
    page.get_by_role("link", name="History").click()
    page.get_by_role("button", name="Compare selected versions").click()
    page.wait_for_url(re.compile(r"/history/compare/\?"))
    assert page.locator(".body-diff del", has_text="The first account of the talks.").count() == 1
    assert page.locator(".body-diff ins", has_text="A later account.").count() == 1
    assert page.locator(".body-diff del", has_text="Monday").count() == 1
    assert page.locator(".body-diff ins", has_text="Tuesday").count() == 1

    page.get_by_role("link", name="All versions").click()
    older = StoryVersion.objects.filter(article=story).order_by("pk").first()
    page.locator(f"a[href$='/history/{older.pk}/']").click()
    page.get_by_role("button", name="Restore this version").click()
    page.wait_for_url(re.compile(rf"/admin/articles/article/{story.pk}/change/$"))
    editor_box = page.locator(".ProseMirror[contenteditable='true']")
    assert "The first account of the talks." in editor_box.inner_text()
    assert "Restored the version of" in page.locator(".messagelist").inner_text()
    story.refresh_from_db()
    assert "Negotiators met on Monday." in story.body
    assert StoryVersion.objects.filter(article=story).count() == 3
    assert errors == []


def test_editor_puts_a_library_photo_in_the_body(page, live_server):
    """The figure dialog's "Browse…" opens the image library's picker; a click there fills
    the photo, its alt text and caption in; the story saves it by its library id and the
    page shows it as a picture of renditions."""
    photo = ImageFactory(alt_text="Fishing boats moored in a row", caption="The harbour")
    errors = log_in_to_write(page, live_server, "eddie", "Editor")

    page.get_by_label("Headline").press_sequentially("Boats return to the harbour")
    page.locator(".ProseMirror[contenteditable='true']").click()
    page.keyboard.type("The fleet came back at dawn.")
    page.keyboard.press("Enter")
    page.locator("button.prose-menubar__button[title='figure']").click()
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Browse...").click()
    picker = opened.value
    picker.wait_for_load_state()  # its click handler is a deferred script
    click_closing_its_window(picker, picker.get_by_role("button", name=re.compile("Fishing boats")))
    dialog = page.locator("dialog[open]")
    # The picker hands the photo over by message: wait for it rather than read at once.
    expect(dialog.get_by_label("Alternative Text")).to_have_value(photo.alt_text)
    dialog.get_by_role("button", name="Insert").click()
    page.get_by_role("button", name="Save", exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))

    story = Article.objects.get(slug="boats-return-to-the-harbour")
    assert f'data-file="{photo.digest}"' in story.body
    assert "<figcaption>The harbour</figcaption>" in story.body
    assert errors == []
    page.goto(f"{live_server.url}/preview/{story.pk}/")
    shown = page.locator("main picture img")
    assert shown.get_attribute("alt") == photo.alt_text
    # A photo in the body loads lazily: bring it on screen and wait for its rendition.
    shown.scroll_into_view_if_needed()
    # Not wait_for_function, whose polling the page's CSP (no unsafe-eval) refuses.
    expect(shown).to_have_js_property("complete", True)
    assert shown.evaluate("img => img.naturalWidth") > 0
