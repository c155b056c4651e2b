"""Unpublished, embargoed and taken-down stories — and links to them — appear on no public
page, hub, count or JSON-LD."""

import pytest
from django.urls import reverse

from articles.models import Article, Country, Person, Topic
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    SectionFactory,
    archived,
    draft,
    embargoed,
    in_review,
    scheduled,
    taken_down,
)

pytestmark = pytest.mark.django_db

HIDDEN = {
    "draft": draft,
    "in review": in_review,
    "scheduled": scheduled,
    "embargoed": embargoed,
    "archived": archived,
    "taken down": taken_down,
}


@pytest.fixture
def newsroom():
    """One live story and one hidden story of each kind, sharing every tag, section and
    author with it, each linked from the live story inline and in its Related list."""
    author = AuthorFactory(name="Shared Author")
    section = SectionFactory(name="Shared Section")
    shared = {
        "people": ["Shared Person"],
        "countries": ["IL"],
        "topics": ["Shared topic"],
        "section": section,
        "authors": [author],
    }
    live = ArticleFactory(headline="The one live story", **shared)
    hidden = {
        name: make(headline=f"Leaked {name} story", body="<p>Leakword in the body.</p>", **shared)
        for name, make in HIDDEN.items()
    }
    for order, story in enumerate(hidden.values()):
        CrossLinkFactory(source=live, target=story, placement=1, order=order)
    # The same hidden stories as Related links, through their own live sources.
    for story in hidden.values():
        CrossLinkFactory(source=ArticleFactory(), target=story, placement=None)
    hubs = [
        Person.objects.get(name="Shared Person"),
        Country.objects.get(code="IL"),
        Topic.objects.get(name="Shared topic"),
        section,
        author,
    ]
    return live, hidden, hubs


def public_pages(client, live, hubs):
    urls = [
        reverse("articles:front"),
        reverse("articles:archive"),
        live.get_absolute_url(),
        *(hub.get_absolute_url() for hub in hubs),
        reverse("articles:search") + "?q=Leakword",
        reverse("articles:search") + "?q=Leaked",
    ]
    urls += [link.source.get_absolute_url() for link in live.links_in.all()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response


def test_hidden_stories_appear_on_no_page_hub_or_search(client, newsroom):
    """No front page, archive, article, hub or search result shows a hidden story."""
    live, hidden, hubs = newsroom
    for url, response in public_pages(client, live, hubs):
        html = response.content.decode()
        for story in hidden.values():
            assert story.headline not in html, (url, story.status)
            assert story.get_absolute_url() not in html, (url, story.status)


def test_links_to_hidden_stories_leave_no_box(client, newsroom):
    """The live story's links all point at hidden stories, so it shows no Also Read box."""
    live, _, _ = newsroom
    response = client.get(live.get_absolute_url())
    assert 'class="also-read"' not in response.content.decode()
    assert response.context["related"] == []


def test_hub_counts_only_live_stories(client, newsroom):
    """Each shared hub counts the one live story, not the hidden ones."""
    live, _, hubs = newsroom
    for hub in hubs:
        response = client.get(hub.get_absolute_url())
        assert response.context["story_count"] == 1, hub
        assert "1 story<" in response.content.decode()


def test_json_ld_mentions_no_hidden_story(client, newsroom):
    """The live story's JSON-LD says nothing about hidden stories."""
    live, hidden, _ = newsroom
    html = client.get(live.get_absolute_url()).content.decode()
    ld = html[html.index("application/ld+json") : html.rindex("</script>")]
    for story in hidden.values():
        assert story.headline not in ld
        assert story.slug not in ld


@pytest.mark.parametrize("status", list(HIDDEN))
def test_hidden_story_pages_are_404_or_410(client, newsroom, status):
    """A hidden story's own address is a 404; a taken-down story's is a 410 notice that
    shows nothing of it."""
    _, hidden, _ = newsroom
    response = client.get(hidden[status].get_absolute_url())
    assert response.status_code == (410 if status == "taken down" else 404)
    assert "Leakword" not in response.content.decode()


def test_more_on_offers_no_hidden_story(client, newsroom):
    """Stories sharing tags are filled in only from live stories."""
    live, _, _ = newsroom
    response = client.get(live.get_absolute_url())
    assert all(story.status == "published" for story in response.context["more_on"])
    assert response.context["more_on"] == []


def test_notices_of_hidden_stories_appear_on_no_surface(client, newsroom):
    """A correction on a hidden story (imported with it, or made while it was live) shows on
    no page, on /corrections/ or in any feed; the live story's does."""
    from articles.models import Correction

    live, hidden, hubs = newsroom
    Correction.objects.create(article=live, text="Public notice.", revision=1)
    for story in hidden.values():
        Correction.objects.create(article=story, text=f"Leaked notice on {story.slug}.", revision=1)
    corrections = reverse("articles:corrections")
    feeds = [reverse("articles:corrections_feed", args=[fmt]) for fmt in ("rss", "atom", "json")]
    feeds += [reverse("articles:feed", args=[fmt]) for fmt in ("rss", "atom", "json")]
    pages = [response for _, response in public_pages(client, live, hubs)]
    pages += [client.get(url) for url in (corrections, *feeds)]
    for response in pages:
        assert response.status_code == 200
        assert "Leaked notice" not in response.content.decode()
    assert "Public notice." in client.get(corrections).content.decode()


def test_live_entries_of_hidden_stories_appear_on_no_surface(client, newsroom):
    """Entries of a hidden story's live coverage (covered while it was live) show on no page,
    new-entries endpoint (404, or 410 for a takedown), feed or JSON-LD; the live story's do."""
    from django.utils import timezone

    from articles.models import LiveEntry

    live, hidden, hubs = newsroom
    now = timezone.now()
    for story in [live, *hidden.values()]:
        Article.objects.filter(pk=story.pk).update(coverage_started_at=now)
        word = "Public" if story is live else "Leaked"
        LiveEntry.objects.create(
            article=story, body=f"{word} entry on {story.slug}.", is_key=True, created_at=now
        )
    feeds = [reverse("articles:feed", args=[fmt]) for fmt in ("rss", "atom", "json")]
    feeds += [
        reverse("articles:hub_feed", args=[kind, hub.slug, "atom"])
        for kind, hub in zip(
            ("people", "countries", "topics", "sections", "authors"), hubs, strict=True
        )
    ]
    pages = [response for _, response in public_pages(client, live, hubs)]
    pages += [client.get(url) for url in feeds]
    for response in pages:
        assert response.status_code == 200
        assert "Leaked entry" not in response.content.decode()
    assert "Public entry" in client.get(live.get_absolute_url()).content.decode()
    assert "Public entry" in client.get(feeds[0]).content.decode()
    for status, story in hidden.items():
        response = client.get(reverse("articles:live_entries", args=[story.slug]))
        assert response.status_code == (410 if status == "taken down" else 404), status
        assert "Leaked entry" not in response.content.decode()
