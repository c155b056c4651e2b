"""A reader's path through the site in a real browser: front page → story → Also Read →
person hub → search, on a phone-sized and a desktop window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import text
from tests.conftest import ARTIFACTS
from tests.factories import ArticleFactory, CrossLinkFactory, ImageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 900},
}


@pytest.fixture
def story():
    """A story with Also Read boxes after its first and third paragraphs."""
    now = timezone.now()
    first = ArticleFactory(
        headline="Ceasefire talks resume in Doha",
        published_at=now - timedelta(hours=3),
        people=["Steve Witkoff"],
    )
    second = ArticleFactory(headline="Envoy lands in Riyadh", published_at=now - timedelta(hours=2))
    story = ArticleFactory(
        headline="Trump invites Netanyahu to the White House",
        published_at=now - timedelta(minutes=5),
        people=["Donald Trump", "Benjamin Netanyahu"],
        countries=["US", "IL"],
        body=text.text_to_html(
            [
                "Paragraph one about the invitation.",
                "Paragraph two mentions the zeppelin hangar.",
                "Paragraph three about the ceasefire.",
                "Paragraph four closes the story.",
            ]
        ),
    )
    CrossLinkFactory(source=story, target=first, placement=1, order=0)
    CrossLinkFactory(source=story, target=second, placement=3, order=0)
    return story


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_reader_path_front_story_hub_search(page, live_server, story, viewport):
    """A reader gets from the front page to search through a story and a hub, no dead end."""
    page.set_viewport_size(VIEWPORTS[viewport])

    page.goto(live_server.url + "/")
    page.get_by_role("link", name=story.headline).first.click()
    page.wait_for_url(f"**{story.get_absolute_url()}")
    assert page.locator("h1").inner_text() == story.headline

    # The body's children in order: paragraphs with the Also Read boxes between them.
    sequence = page.locator(".story-body > *").evaluate_all(
        "nodes => nodes.map(n => n.matches('aside.also-read') ? 'box:' + "
        "n.querySelector('a').textContent : n.textContent.split(' ')[1])"
    )
    assert sequence == [
        "one",
        "box:Ceasefire talks resume in Doha",
        "two",
        "three",
        "box:Envoy lands in Riyadh",
        "four",
    ]
    assert page.locator("aside.also-read").first.is_visible()

    # The page fits the window: nothing forces sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    beside = page.get_by_role("complementary", name="About this story")
    beside.get_by_role("link", name="Donald Trump", exact=True).click()
    page.wait_for_url("**/people/donald-trump/")
    assert page.locator("h1").inner_text() == "Donald Trump"
    assert page.get_by_role("link", name=story.headline).is_visible()

    page.get_by_role("searchbox", name="Search stories").first.fill("zeppelin")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url("**/search/?q=zeppelin")
    result = page.locator(".search-results").get_by_role("link", name=story.headline)
    assert result.is_visible()
    result.click()
    page.wait_for_url(f"**{story.get_absolute_url()}")


def test_skip_link_appears_on_focus_and_moves_to_main(page, live_server, story):
    """Keyboard users see the skip link when they tab to it, and it takes them to the content."""
    page.goto(live_server.url + story.get_absolute_url())
    skip = page.get_by_role("link", name="Skip to content")
    page.keyboard.press("Tab")
    assert skip.evaluate("node => node === document.activeElement")
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_have_no_serious_accessibility_findings(page, live_server, story, viewport):
    """axe finds nothing serious or critical on any kind of public page, phone or desktop."""
    from axe_playwright_python.sync_playwright import Axe

    from articles.models import Correction

    page.set_viewport_size(VIEWPORTS[viewport])
    axe = Axe()
    # The story's page with a correction above the body and a clarification below it.
    for kind in Correction.Kind.values:
        Correction.objects.create(article=story, kind=kind, text=f"A {kind}.", revision=1)
    paths = [
        "/",
        "/archive/",
        "/corrections/",
        story.get_absolute_url(),
        "/people/donald-trump/",
        "/search/?q=zeppelin",
        "/search/?q=nothing+matches+this",
        "/no/such/page/",
    ]
    for path in paths:
        page.goto(live_server.url + path)
        results = axe.run(page)
        serious = [
            f"{violation['id']}: {violation['help']}"
            for violation in results.response["violations"]
            if violation["impact"] in {"serious", "critical"}
        ]
        assert serious == [], path


def test_each_also_read_box_is_a_landmark_with_its_own_name(page, live_server, story):
    """Three Also Read boxes on one story are three complementary landmarks named by their
    label and first headline, and axe's landmark-unique (a moderate finding, which the
    serious-only sweep above lets through) finds nothing."""
    from axe_playwright_python.sync_playwright import Axe

    third = ArticleFactory(headline="Markets steady after the invitation")
    CrossLinkFactory(source=story, target=third, placement=4, order=0)
    page.goto(live_server.url + story.get_absolute_url())

    boxes = page.get_by_role("complementary", name="Also Read")
    assert boxes.count() == 3
    # …besides the sidebar, named too.
    assert page.get_by_role("complementary", name="About this story", exact=True).count() == 1
    for headline in [
        "Ceasefire talks resume in Doha",
        "Envoy lands in Riyadh",
        "Markets steady after the invitation",
    ]:
        name = f"Also Read {headline}"
        assert page.get_by_role("complementary", name=name, exact=True).count() == 1, name
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": ["landmark-unique"]}})
    assert results.response["violations"] == []


# The layout at three widths ------------------------------------------------------------------

LAYOUT_WIDTHS = (375, 768, 1280)


@pytest.fixture
def layout_pages(story):
    """The front page led by a story with a picture, that story's page with everything
    beside it (tags with counts, a thread, "More on" its first person) and a hub; one headline
    with a long unbroken word, as wire copy has."""
    story.lead_image = ImageFactory(alt_text="The White House seen from the south lawn")
    story.save()
    for n in range(3):
        ArticleFactory(
            headline=f"Trump's schedule, day {n}: Netanyahu-Witkoff-Biden-consultations-continue",
            people=["Benjamin Netanyahu", "Donald Trump"],
            published_at=timezone.now() - timedelta(days=n + 1),
        )
    return {"front": "/", "story": story.get_absolute_url(), "hub": "/people/donald-trump/"}


@pytest.mark.parametrize("width", LAYOUT_WIDTHS)
def test_front_story_and_hub_fit_the_screen_and_axe_finds_nothing(
    page, live_server, layout_pages, width
):
    """At 375, 768 and 1280 pixels the front page, a story and a hub scroll only down, never
    sideways (screenshots in test-artifacts/), and axe reports nothing at all, whatever its
    impact."""
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": width, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in layout_pages.items():
        page.goto(live_server.url + path)
        page.screenshot(path=ARTIFACTS / f"layout-{name}-{width}.png", full_page=True)
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{name} scrolls sideways at {width}px"
        violations = Axe().run(page).response["violations"]
        assert [violation["id"] for violation in violations] == [], f"{name} at {width}px"


@pytest.mark.parametrize("width", LAYOUT_WIDTHS)
def test_sidebar_is_beside_the_story_on_a_wide_screen_and_after_it_on_a_phone(
    page, live_server, layout_pages, width
):
    """From 1024 pixels "In this story", the thread and "More on" sit beside the story,
    starting at its top; narrower, they follow its body."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + layout_pages["story"])
    story = page.locator("article.story").bounding_box()
    beside = page.get_by_role("complementary", name="About this story").bounding_box()
    for heading in ("In this story", "The story so far", "More on Benjamin Netanyahu"):
        assert page.get_by_role("heading", name=heading).is_visible()
    if width >= 1024:
        assert beside["x"] >= story["x"] + story["width"]
        assert beside["y"] < story["y"] + 100
    else:
        assert beside["y"] >= story["y"] + story["height"]
