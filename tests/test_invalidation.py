"""Every reader surface a story touches shows a change to it on the very next request.

Each test fills the public page cache (newsroom/middleware.py) with every affected surface —
the story, the Also Read box of a story linking to it, its five hubs and their counts, the
front page, the site and hub feeds, the sitemaps and search — then changes the story the way
the newsroom does (editing functions, admin actions, tag and slug changes, the clock for a
scheduled story) and requests each surface again. With local memory and with real Redis.

A reader or CDN still holding the old page's ETag must get the new page, not a stale 304:
feeds set their own validators, so this is checked on every surface.
"""

from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from articles import caching, governance
from articles.editorial import editing
from articles.models import Article, CrossLink, Person
from bench import corpus
from tests.admin_support import CHANGELIST_URL, make_user
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)

HEADLINE = "Ceasefire talks resume in Cairo"
RETITLED = "Ceasefire talks move to Doha"
ALSO_READ = 'class="also-read"'

HUBS = {
    "person": "/people/antony-blinken/",
    "country": "/countries/egypt/",
    "topic": "/topics/ceasefire/",
    "section": "/sections/diplomacy/",
    "author": "/authors/asha-rao/",
}
# Only the target story has this person: the hub and its sitemap entry come and go with it.
OWN_HUB = "/people/sameh-shoukry/"
FEEDS = {
    "site feed rss": "/feed/rss/",
    "site feed atom": "/feed/atom/",
    "site feed json": "/feed/json/",
    "person feed": "/people/antony-blinken/feed/rss/",
    "country feed": "/countries/egypt/feed/atom/",
    "topic feed": "/topics/ceasefire/feed/json/",
    "section feed": "/sections/diplomacy/feed/rss/",
    "author feed": "/authors/asha-rao/feed/atom/",
}
SEARCH = "/search/?q=ceasefire"


@dataclass
class Newsroom:
    """The target story and what shows it: a live story linking to it and a hub neighbour."""

    target: Article
    linking: Article
    neighbour: Article

    def surfaces(self) -> dict[str, str]:
        """Every public URL that shows the target's headline while it is live."""
        return {
            "story": self.target.get_absolute_url(),
            "linking story": self.linking.get_absolute_url(),
            "front": "/",
            **{f"{kind} hub": url for kind, url in HUBS.items()},
            "own hub": OWN_HUB,
            **FEEDS,
            "news sitemap": "/news-sitemap.xml",
            "search": SEARCH,
        }

    def listings(self) -> dict[str, str]:
        """Sitemaps listing the target's address (or its own hub's), not its headline."""
        return {
            "/sitemap-articles.xml": self.target.get_absolute_url(),
            "/sitemap-people.xml": OWN_HUB,
        }


@pytest.fixture
def newsroom(backend):  # noqa: F811
    def build(**target_fields) -> Newsroom:
        diplomacy = SectionFactory(name="Diplomacy")
        rao = AuthorFactory(name="Asha Rao")
        tags = {"countries": ["Egypt"], "topics": ["Ceasefire"], "section": diplomacy}
        neighbour = ArticleFactory(
            headline="Blinken lands for the talks", people=["Antony Blinken"], authors=[rao], **tags
        )
        target = ArticleFactory(
            headline=HEADLINE,
            people=["Antony Blinken", "Sameh Shoukry"],
            authors=[rao],
            **tags,
            **target_fields,
        )
        linking = ArticleFactory(headline="Aid convoys wait at the border")
        CrossLink.objects.create(
            source=linking, target=target, target_headline=HEADLINE, placement=1, order=0
        )
        return Newsroom(target, linking, neighbour)

    return build


def fill(client, urls) -> dict:
    """Cache every URL (the second request is a hit) and return the cached responses."""
    return {url: cached(client, url) for url in urls}


def fresh(client, url, before):
    """The next request for ``url``, as a reader or CDN holding ``before`` would make it: it
    must be rendered afresh, and the old ETag must not get a 304."""
    headers = {"if-none-match": before["ETag"]} if before.has_header("ETag") else {}
    response = client.get(url, headers=headers)
    assert response["X-Cache"] == "miss", f"{url} came from the cache"
    assert response.status_code != 304, f"{url} answered a stale 304"
    return response


def hub_count(response) -> str:
    return response.text.split('class="hub-count">', 1)[1].split("<", 1)[0]


def assert_shown(client, room, before, headline=HEADLINE):
    for name, url in room.surfaces().items():
        response = fresh(client, url, before[url])
        assert response.status_code == 200, name
        assert headline in response.text, name
    for url, address in room.listings().items():
        assert address in fresh(client, url, before[url]).text, url


def assert_gone(client, room, before):
    for name, url in room.surfaces().items():
        response = fresh(client, url, before[url])
        if name in ("story", "own hub"):
            assert response.status_code == 404, name
        else:
            assert response.status_code == 200, name
            assert HEADLINE not in response.text, name
    for url, address in room.listings().items():
        assert address not in fresh(client, url, before[url]).text, url


def test_publishing_shows_everywhere_on_the_next_request(client, newsroom):
    """Publishing a draft puts it on its page, in the Also Read box of the story linking to
    it, on all its hubs (counting it), the front page, feeds, sitemaps and search."""
    room = newsroom(status=Article.Status.DRAFT, published_at=None)
    before = fill(client, [*room.surfaces().values(), *room.listings()])
    assert before[room.target.get_absolute_url()].status_code == 404
    assert ALSO_READ not in before[room.linking.get_absolute_url()].text
    assert hub_count(before[HUBS["person"]]) == "1 story"

    editing.publish(article=room.target)

    assert_shown(client, room, before)
    linking = client.get(room.linking.get_absolute_url()).text
    assert ALSO_READ in linking and HEADLINE in linking
    for url in HUBS.values():
        assert hub_count(client.get(url)) == "2 stories", url


def test_archiving_takes_it_off_everything_on_the_next_request(client, newsroom):
    """Archiving removes the story everywhere; the linking story's page drops its Also Read
    box, and the hubs count one story fewer."""
    room = newsroom()
    before = fill(client, [*room.surfaces().values(), *room.listings()])
    assert ALSO_READ in before[room.linking.get_absolute_url()].text
    assert hub_count(before[HUBS["topic"]]) == "2 stories"

    editing.archive(article=room.target)

    assert_gone(client, room, before)
    assert ALSO_READ not in client.get(room.linking.get_absolute_url()).text
    for url in HUBS.values():
        assert hub_count(client.get(url)) == "1 story", url


def test_editing_shows_everywhere_on_the_next_request(client, newsroom):
    """A corrected headline replaces the old one on every surface, the Also Read box of the
    linking story included; the sitemaps' lastmod (and the index's) move with the update."""
    room = newsroom()
    before = fill(client, [*room.surfaces().values(), *room.listings(), "/sitemap.xml"])

    room.target.headline = RETITLED
    editing.save_article(article=room.target, base_revision=room.target.revision)

    for name, url in room.surfaces().items():
        response = fresh(client, url, before[url])
        assert RETITLED in response.text, name
        assert HEADLINE not in response.text, name
    articles_sitemap = fresh(client, "/sitemap-articles.xml", before["/sitemap-articles.xml"])
    assert articles_sitemap.content != before["/sitemap-articles.xml"].content
    index = fresh(client, "/sitemap.xml", before["/sitemap.xml"])  # its lastmods move too
    assert index.content != before["/sitemap.xml"].content


def test_relinking_moves_the_also_read_box_on_the_next_request(client, newsroom):
    """Pointing the link at another story changes the linking story's box and its feed
    item's related link at once."""
    room = newsroom()
    other = ArticleFactory(headline="Rafah crossing reopens")
    urls = [room.linking.get_absolute_url(), *FEEDS.values()]
    before = fill(client, urls)

    link = room.linking.links_out.get()
    link.target = other
    link.target_headline = other.headline
    link.save()

    page = fresh(client, room.linking.get_absolute_url(), before[urls[0]]).text
    box = page.split(ALSO_READ, 1)[1].split("</aside>", 1)[0]
    assert "Rafah crossing reopens" in box
    assert HEADLINE not in box
    for url in ("/feed/rss/", "/feed/atom/", "/feed/json/"):
        feed = fresh(client, url, before[url]).text
        assert feed.count("Rafah crossing reopens") > before[url].text.count(
            "Rafah crossing reopens"
        ), url


def test_pending_link_resolved_by_a_new_story_shows_on_the_next_request(client, newsroom):
    """A story published under a pending link's headline fills the linking story's Also Read
    box at once (the link is resolved with update(), inside the story's save)."""
    room = newsroom()
    CrossLink.objects.create(
        source=room.linking, target_headline="Rafah crossing reopens", placement=2, order=0
    )
    url = room.linking.get_absolute_url()
    before = fill(client, [url])
    assert "Rafah crossing reopens" not in before[url].text

    ArticleFactory(headline="Rafah crossing reopens")

    assert "Rafah crossing reopens" in fresh(client, url, before[url]).text


def test_retitled_link_target_changes_the_feed_of_the_linking_story(client, newsroom):
    """A feed's own validators see a change that is not to its items: the World section's
    feed holds only the linking story, whose item names its Also Read target, so retitling
    the target makes a new feed, not a 304."""
    room = newsroom()
    url = "/sections/world/feed/json/"
    before = fill(client, [url])
    assert HEADLINE in before[url].text

    room.target.headline = RETITLED
    room.target.save()  # a plain save: the target's own times do not move

    response = fresh(client, url, before[url])
    assert [item["title"] for item in response.json()["items"]] == [room.linking.headline]
    assert RETITLED in response.text
    assert HEADLINE not in response.text


def test_renaming_a_tag_shows_on_the_next_request(client, newsroom):
    """A renamed person shows under the new name on the story, its hub and the feeds."""
    room = newsroom()
    urls = [room.target.get_absolute_url(), HUBS["person"], "/feed/rss/", FEEDS["person feed"]]
    before = fill(client, urls)

    person = Person.objects.get(name="Antony Blinken")
    person.name = "Antony J. Blinken"
    person.save()

    for url in urls:
        assert "Antony J. Blinken" in fresh(client, url, before[url]).text, url


def test_merging_a_person_shows_on_the_next_request(client, newsroom):
    """The merged person's cached hub and feed answer 301 at once; the survivor's hub, the
    story and the feeds name the survivor."""
    room = newsroom()
    urls = [room.target.get_absolute_url(), OWN_HUB, f"{OWN_HUB}feed/json/", "/feed/rss/"]
    before = fill(client, [*urls, "/sitemap-people.xml"])

    governance.merge(
        survivor=Person.objects.get(name="Antony Blinken"),
        others=[Person.objects.get(name="Sameh Shoukry")],
    )

    for url, target in ((OWN_HUB, HUBS["person"]), (f"{OWN_HUB}feed/json/", FEEDS["person feed"])):
        moved = fresh(client, url, before[url])
        assert moved.status_code == 301
        assert moved["Location"] == target.replace("/rss/", "/json/")
    story = fresh(client, room.target.get_absolute_url(), before[room.target.get_absolute_url()])
    assert "Sameh Shoukry" not in story.text
    assert "Sameh Shoukry" not in fresh(client, "/feed/rss/", before["/feed/rss/"]).text
    sitemap = fresh(client, "/sitemap-people.xml", before["/sitemap-people.xml"]).text
    assert OWN_HUB not in sitemap


def test_renaming_a_person_moves_the_cached_hub(client, newsroom):
    room = newsroom()
    before = fill(client, [OWN_HUB, room.target.get_absolute_url()])
    governance.rename(obj=Person.objects.get(name="Sameh Shoukry"), name="Sameh Hassan Shoukry")
    moved = fresh(client, OWN_HUB, before[OWN_HUB])
    assert (moved.status_code, moved["Location"]) == (301, "/people/sameh-hassan-shoukry/")
    url = room.target.get_absolute_url()
    assert "Sameh Hassan Shoukry" in fresh(client, url, before[url]).text


def test_changed_slug_redirects_from_the_cached_old_address(client, newsroom):
    """The old address, cached as the story itself, answers 301 to the new one at once."""
    room = newsroom()
    old_url = room.target.get_absolute_url()
    before = fill(client, [old_url, "/sitemap-articles.xml"])

    room.target.slug = "ceasefire-talks-cairo"
    editing.save_article(article=room.target, base_revision=room.target.revision)

    moved = fresh(client, old_url, before[old_url])
    assert moved.status_code == 301
    assert moved["Location"] == "/news/ceasefire-talks-cairo/"
    sitemap = fresh(client, "/sitemap-articles.xml", before["/sitemap-articles.xml"]).text
    assert "/news/ceasefire-talks-cairo/" in sitemap
    assert old_url not in sitemap


def test_scheduled_story_appears_everywhere_at_its_time(client, newsroom):
    """A scheduled story is nowhere before its time and everywhere just after, with nothing
    saved in between: no surface serves the page cached before."""
    at = timezone.now() + timedelta(seconds=30)
    room = newsroom(published_at=at)
    # The linking story's section feed: only its item's related link changes at that time.
    linking_feed = "/sections/world/feed/json/"
    before = fill(client, [*room.surfaces().values(), *room.listings(), linking_feed])
    assert HEADLINE not in before["/"].text
    assert HEADLINE not in before[linking_feed].text
    assert ALSO_READ not in before[room.linking.get_absolute_url()].text

    with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=1)):
        assert client.get("/")["X-Cache"] == "hit"
    with mock.patch("django.utils.timezone.now", return_value=at + timedelta(seconds=1)):
        assert_shown(client, room, before)
        assert ALSO_READ in client.get(room.linking.get_absolute_url()).text
        assert HEADLINE in fresh(client, linking_feed, before[linking_feed]).text


@pytest.mark.parametrize("action", ["publish_selected", "archive_selected"])
def test_admin_actions_show_on_the_next_public_request(client, newsroom, action):
    """The admin's bulk publish and archive actions (which write with update()) are seen by
    the very next anonymous request."""
    publishing = action == "publish_selected"
    room = newsroom(status=Article.Status.REVIEW, published_at=None) if publishing else newsroom()
    before = fill(client, [*room.surfaces().values(), *room.listings()])

    editor = Client()
    editor.force_login(make_user("eddie", "Editor"))
    data = {"action": action, ACTION_CHECKBOX_NAME: [room.target.pk], "confirmed": "yes"}
    assert editor.post(CHANGELIST_URL, data).status_code == 302

    if publishing:
        assert_shown(client, room, before)
    else:
        assert_gone(client, room, before)


# Staff and the public cache -----------------------------------------------------------------

STAFF_SURFACES = {
    "story": None,  # the target story's page
    "hub": HUBS["person"],
    "front": "/",
    "feed": FEEDS["person feed"],
    "sitemap": "/news-sitemap.xml",
    "search": SEARCH,
}


@pytest.mark.parametrize("kind", STAFF_SURFACES)
def test_staff_neither_read_nor_fill_the_public_cache(client, newsroom, admin_user, kind):
    """On every kind of surface staff get a page rendered for them, marked private: they do
    not see the public copy, and what they see is not stored for readers."""
    room = newsroom()
    url = STAFF_SURFACES[kind] or room.target.get_absolute_url()
    staff = Client()
    staff.force_login(admin_user)

    staff.get(url)
    assert client.get(url)["X-Cache"] == "miss"  # staff did not fill it
    cached(client, url)
    # Changed behind the cache's back (no signal): the public copy is now stale.
    Article.objects.filter(pk=room.target.pk).update(headline=RETITLED)

    response = staff.get(url)
    assert response.status_code == 200
    assert RETITLED in response.text
    assert "X-Cache" not in response
    assert response["Cache-Control"] == "private, no-store"
    assert HEADLINE in client.get(url).text  # nor did staff replace the public copy


def test_admin_and_preview_are_private(newsroom, admin_user):
    """The admin and a staff preview of a draft are never stored by a browser or CDN."""
    room = newsroom(status=Article.Status.DRAFT, published_at=None)
    staff = Client()
    staff.force_login(admin_user)
    for url in ("/admin/", CHANGELIST_URL, f"/preview/{room.target.pk}/"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url
        assert "X-Cache" not in response, url
    assert Client().get(f"/preview/{room.target.pk}/")["Cache-Control"] == "private, no-store"


def test_corpus_writes_and_resets_show_on_the_next_request(client, backend):  # noqa: F811
    """The benchmark corpus is written with bulk inserts (COPY on PostgreSQL) and reset with
    TRUNCATE, neither of which sends a signal: the front page still changes at once."""
    ArticleFactory(headline=HEADLINE)
    before = fill(client, ["/"])["/"]

    corpus.generate_corpus(30, seed=1)
    written = fresh(client, "/", before)
    assert written.content != before.content

    corpus.delete_corpus()
    emptied = fresh(client, "/", written)
    assert HEADLINE not in emptied.text


@pytest.mark.django_db(transaction=True)
def test_last_invalidation_comes_after_pending_links_are_resolved():
    """Saving a story resolves pending links to it with update() (no signal) after its own
    post_save. The save is one transaction, so the on-commit invalidation comes last: a
    page another request rendered in between cannot outlive the resolution."""
    source = ArticleFactory()
    CrossLink.objects.create(source=source, target_headline="Rafah crossing reopens", placement=1)
    resolved_at_bump = []
    real_bump = caching._bump

    def bump(*args):
        resolved_at_bump.append(CrossLink.objects.filter(target__isnull=False).exists())
        real_bump(*args)

    with mock.patch.object(caching, "_bump", bump):
        ArticleFactory(headline="Rafah crossing reopens")

    assert resolved_at_bump[-1] is True
