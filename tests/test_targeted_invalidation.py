"""Targeted invalidation: a change renders afresh only the pages that show what it changed.

tests/test_invalidation.py checks that every page showing a change shows it on the next
request; these check the other half, for each way the newsroom writes: the pages that do
not show the change stay in the cache (``articles.caching``: content changes name keys,
pages declare what they show). With local memory and with real Redis.
"""

from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import caching
from articles.editorial import corrections, editing, live
from articles.models import (
    Article,
    BreakingNews,
    Byline,
    Correction,
    CrossLink,
    LiveEntry,
    Person,
    Section,
)
from tests import outages
from tests.admin_support import CHANGELIST_URL, make_user
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, draft
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)

BLINKEN_HUB = "/people/antony-blinken/"
DIPLOMACY_HUB = "/sections/diplomacy/"
RAO_HUB = "/authors/asha-rao/"
# Pages of the one story about sport: no change below but a rename touches them.
UNRELATED = [
    "sport story",
    "/sections/sport/",
    "/people/usain-bolt/",
    "/people/usain-bolt/feed/rss/",
]


@dataclass
class Desk:
    """Two diplomacy stories sharing a person and an author (each shows the other under
    "More on"), a story linking to the first, and a sport story unrelated to all of them."""

    talks: Article
    briefing: Article
    linking: Article
    sport: Article

    def url(self, name: str) -> str:
        story = getattr(self, name.removesuffix(" story"), None)
        return story.get_absolute_url() if name.endswith(" story") else name

    def pages(self) -> list[str]:
        return [
            *(f"{name} story" for name in ("talks", "briefing", "linking")),
            "/",
            "/archive/",
            "/feed/atom/",
            BLINKEN_HUB,
            DIPLOMACY_HUB,
            RAO_HUB,
            "/sections/world/",
            *UNRELATED,
        ]


@pytest.fixture
def desk(backend):  # noqa: F811
    diplomacy = SectionFactory(name="Diplomacy")
    rao = AuthorFactory(name="Asha Rao")
    tags = {"people": ["Antony Blinken"], "section": diplomacy, "authors": [rao]}
    talks = ArticleFactory(headline="Ceasefire talks resume in Cairo", **tags)
    briefing = ArticleFactory(headline="Blinken briefs the press", **tags)
    linking = ArticleFactory(headline="Aid convoys wait at the border")
    CrossLink.objects.create(source=linking, target=talks, placement=1)
    sport = ArticleFactory(
        headline="Sprinter retires", people=["Usain Bolt"], section=SectionFactory(name="Sport")
    )
    return Desk(talks, briefing, linking, sport)


def warm(client, room: Desk) -> None:
    for name in room.pages():
        cached(client, room.url(name))


def rendered_afresh(client, room: Desk) -> set[str]:
    """The pages the next request renders (each asked once: a render stores it again)."""
    return {name for name in room.pages() if client.get(room.url(name))["X-Cache"] == "miss"}


def check(client, room, change, *, afresh, kept=UNRELATED):
    """Every page in ``afresh`` is rendered afresh after ``change``; every one in ``kept``
    still comes from the cache."""
    warm(client, room)
    change()
    rendered = rendered_afresh(client, room)
    assert set(afresh) <= rendered, f"not rendered afresh: {set(afresh) - rendered}"
    assert not rendered & set(kept), f"rendered afresh for nothing: {rendered & set(kept)}"


def test_headline_edit_of_a_listed_story(client, desk):
    """A retitled story changes its page, the page linking to it, the story showing it
    under "More on", and every list it is on; not the sport story's pages, nor the World
    section, which does not list it."""

    def retitle():
        desk.talks.headline = "Ceasefire talks move to Doha"
        editing.save_article(article=desk.talks, base_revision=desk.talks.revision)

    afresh = ["talks story", "linking story", "briefing story", "/", "/archive/", "/feed/atom/"]
    afresh += [BLINKEN_HUB, DIPLOMACY_HUB, RAO_HUB]
    check(client, desk, retitle, afresh=afresh, kept=[*UNRELATED, "/sections/world/"])


def test_body_edit_of_the_sport_story_leaves_diplomacy_alone(client, desk):
    """The sport story's edit renders its own pages; no diplomacy page."""

    def edit():
        desk.sport.body = "<p>He runs one more race.</p>"
        editing.save_article(article=desk.sport, base_revision=desk.sport.revision)

    kept = ["talks story", "briefing story", "linking story", BLINKEN_HUB, DIPLOMACY_HUB, RAO_HUB]
    check(client, desk, edit, afresh=UNRELATED[:3], kept=kept)


def test_tag_added_and_removed(client, desk):
    """Tagging a story changes its page and the new tag's hub; untagging drops it from the
    old tag's hub and from "More on" of the story sharing that tag."""
    check(
        client,
        desk,
        lambda: editing.tag_story(article=desk.talks, kind="people", name="Sameh Shoukry"),
        afresh=["talks story"],
        kept=[*UNRELATED, "/sections/world/"],
    )
    check(
        client,
        desk,
        lambda: desk.talks.people.remove("Antony Blinken"),
        afresh=["talks story", "briefing story", BLINKEN_HUB],
        kept=[*UNRELATED, "/sections/world/"],
    )
    assert desk.talks.headline not in client.get(BLINKEN_HUB).text


def test_byline_added_and_removed(client, desk):
    """A byline changes its story and the author's hub; not other authors' hubs."""
    kim = AuthorFactory(name="Kim Park")
    check(
        client,
        desk,
        lambda: desk.sport.bylines.create(author=kim),
        afresh=UNRELATED[:1],
        kept=[RAO_HUB, "talks story", BLINKEN_HUB],
    )
    assert client.get("/authors/kim-park/").status_code == 200
    check(
        client,
        desk,
        lambda: Byline.objects.filter(article=desk.talks).delete(),
        afresh=["talks story", RAO_HUB],
        kept=UNRELATED,
    )
    assert desk.talks.headline not in client.get(RAO_HUB).text


def test_also_read_link_added(client, desk):
    """A new Also Read link changes the pages of the stories at its two ends (the linking
    story's box, and the thread beside both) and the front page's "Most linked-to"; not
    the pages of stories outside that thread, nor the hubs."""
    check(
        client,
        desk,
        lambda: editing.add_also_read(source=desk.sport, target=desk.briefing),
        afresh=[UNRELATED[0], "briefing story", "/"],
        kept=["talks story", "linking story", BLINKEN_HUB, "/sections/world/"],
    )
    assert desk.briefing.headline in client.get(desk.sport.get_absolute_url()).text


def test_pending_link_resolved_by_a_new_story(client, desk):
    """A story published under a pending link's headline fills that link's box (resolved
    with update(), no signal) and joins the lists; pages not showing either stay."""
    CrossLink.objects.create(source=desk.sport, target_headline="Rafah crossing reopens")
    check(
        client,
        desk,
        lambda: ArticleFactory(headline="Rafah crossing reopens", section=desk.talks.section),
        afresh=[UNRELATED[0], "/", "/archive/", "/feed/atom/", DIPLOMACY_HUB],
        kept=["talks story", "briefing story", BLINKEN_HUB, RAO_HUB],
    )
    assert "Rafah crossing reopens" in client.get(desk.sport.get_absolute_url()).text


def test_publish_and_unpublish(client, desk):
    """Publishing a draft tagged like the diplomacy stories puts it on their hubs, in their
    "More on", and in the box of the story linking to it; unpublishing takes it off again."""
    story = draft(headline="Envoy named for the talks", people=["Antony Blinken"])
    CrossLink.objects.create(source=desk.linking, target=story, placement=2)
    afresh = ["linking story", "talks story", "/", "/archive/", "/feed/atom/", BLINKEN_HUB]
    check(client, desk, lambda: editing.publish(article=story), afresh=afresh)
    assert story.headline in client.get(BLINKEN_HUB).text

    def unpublish():
        story.status = Article.Status.DRAFT
        editing.save_article(article=story, base_revision=story.revision)

    check(client, desk, unpublish, afresh=afresh)
    assert story.headline not in client.get(desk.linking.get_absolute_url()).text


def test_archive_from_the_admin(client, desk):
    """The admin's archive action (update() with the story's keys) changes what shows it."""
    editor = Client()
    editor.force_login(make_user("eddie", "Editor"))
    data = {
        "action": "archive_selected",
        ACTION_CHECKBOX_NAME: [desk.talks.pk],
        "confirmed": "yes",
    }

    def archive():
        assert editor.post(CHANGELIST_URL, data).status_code == 302

    afresh = ["linking story", "briefing story", "/", BLINKEN_HUB, DIPLOMACY_HUB, RAO_HUB]
    check(client, desk, archive, afresh=afresh)
    assert client.get(desk.talks.get_absolute_url()).status_code == 404


def test_takedown_and_its_reversal(client, desk):
    """A takedown (written with update(), with the story's keys) changes every page showing
    the story, and its page answers 410; reversing it brings them back. The sport pages
    stay cached through both."""
    afresh = ["talks story", "linking story", "briefing story", "/", BLINKEN_HUB, RAO_HUB]
    check(
        client, desk, lambda: editing.take_down(article=desk.talks, reason="legal"), afresh=afresh
    )
    assert client.get(desk.talks.get_absolute_url()).status_code == 410

    def reverse():
        desk.talks.refresh_from_db()
        editing.reverse_takedown(article=desk.talks, base_revision=desk.talks.revision)

    check(client, desk, reverse, afresh=afresh)
    assert desk.talks.headline in client.get(BLINKEN_HUB).text


def test_a_correction_changes_its_story(client, desk):
    """A correction shows on its story's page and feed items: those pages and the lists
    showing the story are rendered afresh, not the sport story's."""
    notice = Correction(article=desk.talks, text="The talks are in Cairo, not Doha.")
    afresh = ["talks story", "/feed/atom/", BLINKEN_HUB]
    check(client, desk, lambda: corrections.publish_notice(notice=notice), afresh=afresh)
    assert notice.text in client.get(desk.talks.get_absolute_url()).text


def test_section_change(client, desk):
    """A story moving section leaves the old section's hub and joins the new one's."""

    def move():
        desk.talks.section = Section.objects.get(name="World")
        editing.save_article(article=desk.talks, base_revision=desk.talks.revision)

    check(client, desk, move, afresh=[DIPLOMACY_HUB, "/sections/world/", "/", "talks story"])
    assert desk.talks.headline in client.get("/sections/world/").text


def test_deletes(client, desk):
    """Deleting a link changes the stories at its ends (box, thread) and "Most linked-to"
    only; deleting a story changes every page that showed it."""
    check(
        client,
        desk,
        lambda: desk.linking.links_out.all().delete(),
        afresh=["linking story", "talks story", "/"],
        kept=[*UNRELATED, "briefing story", BLINKEN_HUB],
    )
    url = desk.talks.get_absolute_url()
    afresh = ["briefing story", "/", "/archive/", "/feed/atom/", BLINKEN_HUB, DIPLOMACY_HUB]
    check(client, desk, lambda: Article.objects.filter(pk=desk.talks.pk).delete(), afresh=afresh)
    assert client.get(url).status_code == 404


def test_renaming_a_tag_changes_everything(client, desk):
    """A renamed tag shows on every page naming it (chips, cards, feed items): everything
    is rendered afresh, the unrelated pages too."""
    person = Person.objects.get(name="Antony Blinken")
    person.name = "Antony J. Blinken"
    check(client, desk, person.save, afresh=desk.pages(), kept=[])


@pytest.mark.parametrize("scheduled", ["before", "after"], ids=["warmed-after", "warmed-before"])
def test_scheduled_story_going_live_with_nobody_saving(client, desk, scheduled):
    """A story scheduled on the diplomacy hubs appears there, in "More on" and in the box
    linking to it at its time with nothing saved: the pages stored before are not kept
    past it, whether they were stored before it was scheduled or after."""
    at = timezone.now() + timedelta(seconds=30)
    story = draft(headline="Envoy named for the talks", people=["Antony Blinken"])
    CrossLink.objects.create(source=desk.sport, target=story, placement=1)
    if scheduled == "before":
        editing.publish(article=story, at=at)
    warm(client, desk)
    if scheduled == "after":
        editing.publish(article=story, at=at)
    with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=1)):
        rendered_afresh(client, desk)  # the pages of the story's lists, if scheduled after
        assert rendered_afresh(client, desk) == set()
    with mock.patch("django.utils.timezone.now", return_value=at + timedelta(seconds=1)):
        for url in ("/", BLINKEN_HUB, desk.talks.get_absolute_url(), desk.url("sport story")):
            assert story.headline in client.get(url).text, url


# Live coverage ---------------------------------------------------------------------------


def endpoint(story: Article) -> str:
    return reverse("articles:live_entries", args=[story.slug])


def _post(story):
    return lambda: live.post_entry(
        article=story, body="Talks adjourned.", authors=[AuthorFactory(name="Desk One")]
    )


def _edit(story):
    def edit():
        entry = LiveEntry.objects.filter(article=story).first()
        entry.body = "Talks adjourned until Monday."
        entry.authors.set([AuthorFactory(name="Desk Two")])
        live.save_entry(entry=entry, base_revision=entry.revision)

    return edit


def _delete(story):
    return lambda: live.delete_entry(entry=LiveEntry.objects.get(article=story), actor="test")


@pytest.mark.parametrize("write", [_post, _edit, _delete], ids=["post", "edit", "delete"])
def test_a_live_entry_changes_its_story_and_endpoint_only(client, desk, write):
    """An entry posted, edited or deleted (its authors too) re-renders its story's page and
    new-entries endpoint (and the cards marking the story Live); the page and endpoint of
    another story covered live, and the pages not showing the story, stay cached."""
    for story in (desk.talks, desk.sport):
        live.start_coverage(article=story, actor="test")
        live.post_entry(article=story, body="Delegations arrive.")
    other_endpoint = endpoint(desk.sport)
    cached(client, endpoint(desk.talks))
    cached(client, other_endpoint)
    check(
        client,
        desk,
        write(desk.talks),
        afresh=["talks story"],
        kept=[*UNRELATED, "/sections/world/"],
    )
    assert client.get(endpoint(desk.talks))["X-Cache"] == "miss"
    assert client.get(other_endpoint)["X-Cache"] == "hit"


@pytest.mark.parametrize("change", ["start", "end"])
def test_starting_or_ending_coverage_changes_the_pages_showing_the_story(client, desk, change):
    """The "Live" marker is on the story's cards: starting or ending its coverage re-renders
    its page and every list and box showing it, not the sport story's pages."""
    if change == "end":
        live.start_coverage(article=desk.talks, actor="test")
    write = live.start_coverage if change == "start" else live.end_coverage
    afresh = ["talks story", "briefing story", "/", "/archive/", "/feed/atom/"]
    afresh += [BLINKEN_HUB, DIPLOMACY_HUB, RAO_HUB]
    check(
        client,
        desk,
        lambda: write(article=desk.talks, actor="test"),
        afresh=afresh,
        kept=[*UNRELATED, "/sections/world/"],
    )
    shows_marker = 'class="live-marker"' in client.get(DIPLOMACY_HUB).text
    assert shows_marker == (change == "start")


def test_the_banner_changes_every_page(client, desk):
    """The breaking-news banner is on every page: setting it renders them all afresh."""
    banner = {"text": "Ceasefire agreed", "expires_at": timezone.now() + timedelta(hours=1)}
    check(client, desk, lambda: BreakingNews.objects.create(**banner), afresh=desk.pages(), kept=[])
    assert "Ceasefire agreed" in client.get(desk.url("sport story")).text


def test_coverage_reaching_its_end_time_with_nobody_saving(client, desk):
    """Coverage set to end at a time to come: the pages showing the story, cached before the
    end was set, are rendered afresh with it and kept no longer than it, so the "Live"
    marker leaves them at that time."""
    live.start_coverage(article=desk.talks, actor="test")
    warm(client, desk)
    at = timezone.now() + timedelta(seconds=30)
    live.end_coverage(article=desk.talks, at=at, actor="test")
    with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=1)):
        assert {"talks story", "/", BLINKEN_HUB} <= rendered_afresh(client, desk)
        assert rendered_afresh(client, desk) == set()
        assert 'class="live-marker"' in client.get(BLINKEN_HUB).text
    with mock.patch("django.utils.timezone.now", return_value=at + timedelta(seconds=1)):
        for url in ("/", BLINKEN_HUB, desk.briefing.get_absolute_url()):
            assert 'class="live-marker"' not in client.get(url).text, url
        assert "Coverage ended" in client.get(desk.talks.get_absolute_url()).text


def test_a_draft_edit_changes_no_stored_page(client, desk):
    """A draft is on no public page: editing it leaves every page of these in the cache."""
    story = draft(headline="Envoy named", people=["Antony Blinken"])
    story.headline = "Envoy named for the talks"
    check(
        client,
        desk,
        lambda: editing.save_article(article=story, base_revision=story.revision),
        afresh=[],
        kept=desk.pages(),
    )


def test_a_page_from_before_the_oldest_change_kept_is_rendered_again(
    client, transactional_db, monkeypatch
):
    """Pruning drops old change rows: a page rendered before them cannot tell what changed
    since, so it is rendered afresh rather than trusted."""
    monkeypatch.setattr(caching, "PRUNE_EVERY", 5)
    monkeypatch.setattr(caching, "KEEP_CHANGES", 10)
    story = ArticleFactory()
    url = story.get_absolute_url()
    cached(client, url)
    for _ in range(20):
        caching.content_changed(keys=["story:0"])  # nothing this page shows
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"


def test_an_edit_keeps_unrelated_pages_cached_in_redis(client, settings, db):
    """The issue's measure, on real Redis: of 200 story pages in the cache, an edit of a
    story none of them shows leaves at least 190 in it (here all 200); an edit of a story
    one of them links to renders exactly that story and the one linking to it afresh."""
    settings.CACHES = outages.real_redis_cache()
    try:
        stories = [ArticleFactory(headline=f"Story {n} of the day") for n in range(200)]
        source, target = stories[17], stories[123]
        CrossLink.objects.create(source=source, target=target, placement=1)
        elsewhere = ArticleFactory(headline="A story none of them shows")
        for story in stories:
            cached(client, story.get_absolute_url())

        elsewhere.headline = "A story none of them shows, retitled"
        editing.save_article(article=elsewhere, base_revision=elsewhere.revision)
        hits = [client.get(s.get_absolute_url())["X-Cache"] == "hit" for s in stories]
        assert sum(hits) >= 190
        assert all(hits)

        target.headline = "Story 123 of the day, corrected"
        editing.save_article(article=target, base_revision=target.revision)
        afresh = {s for s in stories if client.get(s.get_absolute_url())["X-Cache"] == "miss"}
        assert afresh == {source, target}
        assert target.headline in client.get(source.get_absolute_url()).text
    finally:
        outages.forget(settings.CACHES)


# The reader's layout: the sidebar beside a story and the front page's parts -----------------


def test_story_in_more_on_edited(client, desk):
    """Retitling a story shown under another story's "More on" renders that page afresh,
    with the new headline; the sport story's pages stay."""

    def retitle():
        desk.briefing.headline = "Blinken briefs the press in Doha"
        editing.save_article(article=desk.briefing, base_revision=desk.briefing.revision)

    check(client, desk, retitle, afresh=["talks story", "briefing story"])
    page = client.get(desk.talks.get_absolute_url()).text
    more_on = page[page.index('id="more-on-heading"') :]
    assert "Blinken briefs the press in Doha" in more_on


def test_new_story_of_a_person_changes_counts_and_more_on(client, desk):
    """A new story tagged with a person changes the pages of that person's stories ("In
    this story" counts it, "More on" lists it), not the pages of stories without them."""
    before = client.get(desk.talks.get_absolute_url()).text
    assert "2 stories" in before

    def publish():
        ArticleFactory(headline="Blinken lands in Riyadh", people=["Antony Blinken"])

    check(client, desk, publish, afresh=["talks story", "briefing story", BLINKEN_HUB])
    after = client.get(desk.talks.get_absolute_url()).text
    assert "3 stories" in after and "Blinken lands in Riyadh" in after


def test_link_changes_the_thread_and_most_linked(client, desk):
    """A link from the sport story to the briefing puts the sport story in the thread beside
    the briefing and in "Most linked-to" on the front page; removing it takes it out of
    both, and leaves the pages of stories in no thread with either."""

    def most_linked() -> str:
        page = client.get("/").text
        return page[page.index("Most linked-to") :] if "Most linked-to" in page else ""

    def thread(story) -> str:
        page = client.get(story.get_absolute_url()).text
        return page[page.index("The story so far") :] if "The story so far" in page else ""

    assert desk.briefing.headline not in most_linked()
    kept = ["talks story", "linking story", BLINKEN_HUB, "/sections/world/"]
    link = None

    def add():
        nonlocal link
        link = editing.add_also_read(source=desk.sport, target=desk.briefing)

    ends = ["sport story", "briefing story", "/"]
    check(client, desk, add, afresh=ends, kept=kept)
    assert desk.briefing.headline in most_linked()
    assert desk.sport.headline in thread(desk.briefing)

    check(client, desk, lambda: link.delete(), afresh=ends, kept=kept)
    assert desk.briefing.headline not in most_linked()
    assert thread(desk.briefing) == ""


def test_story_going_live_joins_the_thread_of_the_stories_it_links(client, desk):
    """A story written as a draft with a link to the talks story joins the talks story's
    thread when it is published (no link is written then): its page renders afresh."""
    story = draft(headline="Negotiators meet again")
    CrossLink.objects.create(source=story, target=desk.talks, placement=1)

    publish = lambda: editing.publish(article=story)  # noqa: E731
    check(client, desk, publish, afresh=["talks story", "linking story", "/"], kept=UNRELATED)
    page = client.get(desk.talks.get_absolute_url()).text
    assert story.headline in page[page.index("The story so far") :]
