"""Hub pages: every person, country, topic, section and author has a paginated page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Author, Country, Person, Section, Topic
from articles.reader import hubs
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, draft
from tests.paging import older_link

pytestmark = pytest.mark.django_db


def ago(hours):
    return timezone.now() - timedelta(hours=hours)


def tagged(kind: str, count: int, **kwargs):
    """``count`` live stories, newest first, all on the same hub of ``kind``; and the hub object."""
    author = AuthorFactory(name="Jane Hub")
    section = SectionFactory(name="Hub Section")
    tags = {
        "people": {"people": ["Donald Trump"]},
        "countries": {"countries": ["IL"]},
        "topics": {"topics": ["Gaza ceasefire"]},
        "sections": {"section": section},
        "authors": {"authors": [author]},
    }[kind]
    stories = [ArticleFactory(published_at=ago(n + 1), **tags, **kwargs) for n in range(count)]
    hub = {
        "people": lambda: Person.objects.get(name="Donald Trump"),
        "countries": lambda: Country.objects.get(code="IL"),
        "topics": lambda: Topic.objects.get(name="Gaza ceasefire"),
        "sections": lambda: section,
        "authors": lambda: author,
    }[kind]()
    return stories, hub


KINDS = ["people", "countries", "topics", "sections", "authors"]


@pytest.mark.parametrize("kind", KINDS)
def test_hub_lists_its_live_stories_newest_first_with_name_and_count(client, kind):
    """A hub shows its name, how many live stories it has, and the newest 20 first."""
    stories, hub = tagged(kind, 22)
    ArticleFactory(headline="Unrelated story", section=SectionFactory(name="Other"))

    response = client.get(hub.get_absolute_url())

    assert response.status_code == 200
    assert list(response.context["object_list"]) == stories[:20]
    html = response.content.decode()
    assert f"<h1>{hub.name}</h1>" in html
    assert "22 stories" in html
    assert "Unrelated story" not in html
    page_two = client.get(hub.get_absolute_url() + older_link(html))
    assert list(page_two.context["object_list"]) == stories[20:]


@pytest.mark.parametrize("kind", KINDS)
def test_hub_advertises_and_links_its_feeds(client, kind):
    """A hub's <head> names its RSS, Atom and JSON feeds, and the page links the RSS feed."""
    _, hub = tagged(kind, 1)
    html = client.get(hub.get_absolute_url()).content.decode()
    rss = reverse("articles:hub_feed", args=[kind, hub.slug, "rss"])
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="{hub.name} (RSS)" href="{rss}">'
        in html
    )
    assert reverse("articles:hub_feed", args=[kind, hub.slug, "atom"]) in html
    assert reverse("articles:hub_feed", args=[kind, hub.slug, "json"]) in html
    assert f'class="feed-link" href="{rss}"' in html


def test_hub_counts_a_single_story_in_the_singular(client):
    """One story is "1 story", not "1 stories"."""
    _, hub = tagged("people", 1)
    assert "1 story<" in client.get(hub.get_absolute_url()).content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_hub_counts_only_up_to_its_cap(client, monkeypatch, kind):
    """A hub with more live stories than it counts says "More than N" and counts no further:
    the busiest hubs hold a quarter of the archive."""
    monkeypatch.setattr(hubs, "COUNT_CAP", 3)
    _, hub = tagged(kind, 3)
    assert "3 stories<" in client.get(hub.get_absolute_url()).content.decode()
    _, same_hub = tagged(kind, 1)
    assert same_hub == hub
    html = client.get(hub.get_absolute_url()).content.decode()
    assert "More than 3 stories<" in html


def test_hub_count_groups_thousands(client, monkeypatch):
    monkeypatch.setattr(hubs, "COUNT_CAP", 1000)
    monkeypatch.setattr(hubs.HubKind, "live_count", lambda self, obj: (1000, True))
    _, hub = tagged("people", 1)
    assert "More than 1,000 stories<" in client.get(hub.get_absolute_url()).content.decode()


def test_hub_has_canonical_url_and_breadcrumb_json_ld(client):
    """Hubs carry a canonical URL (page key kept, stray parameters dropped) and a
    BreadcrumbList."""
    _, hub = tagged("countries", 21)
    url = f"http://testserver{hub.get_absolute_url()}"
    html = client.get(hub.get_absolute_url(), {"utm_source": "x"}).content.decode()
    assert f'<link rel="canonical" href="{url}">' in html
    assert '"@type": "BreadcrumbList"' in html
    page_two = older_link(html)
    html = client.get(f"{hub.get_absolute_url()}{page_two}&utm_source=x").content.decode()
    assert f'<link rel="canonical" href="{url}{page_two}">' in html


@pytest.mark.parametrize(
    "url",
    [
        "/people/nobody-at-all/",
        "/countries/atlantis/",
        "/topics/no-topic/",
        "/sections/no-section/",
        "/authors/no-author/",
    ],
)
def test_unknown_hubs_are_404(client, url):
    """A slug that names nothing is a 404."""
    ArticleFactory()
    assert client.get(url).status_code == 404


def test_hubs_with_no_live_stories_are_404(client):
    """A tag, section or author whose only stories are unpublished has no public page."""
    author = AuthorFactory(name="Draft Only")
    draft(
        people=["Hidden Person"],
        countries=["IR"],
        topics=["Hidden topic"],
        section=SectionFactory(name="Hidden"),
        authors=[author],
    )
    for hub in [
        Person.objects.get(name="Hidden Person"),
        Country.objects.get(code="IR"),
        Topic.objects.get(name="Hidden topic"),
        Section.objects.get(name="Hidden"),
        Author.objects.get(name="Draft Only"),
    ]:
        assert client.get(hub.get_absolute_url()).status_code == 404, hub


@pytest.mark.parametrize(
    "query",
    [
        {"before": "abc"},
        {"before": "0"},
        {"after": "20250101T000000000000Z-0"},
        {"before": "20251301T000000000000Z-1"},
        {"before": "20250101T000000000000Z-" + "9" * 30},
        {"before": "٢٠٢٥٠١٠١T000000000000Z-1"},
        {"before": "20000101T000000000000Z-1"},  # nothing older
        {"after": "29990101T000000000000Z-1"},  # nothing newer
        {"before": "20250101T000000000000Z-1", "after": "20250101T000000000000Z-1"},
    ],
)
def test_hub_rejects_bad_or_out_of_range_pages(client, query):
    """A page key that is malformed, or has no stories beyond it, is a 404."""
    _, hub = tagged("people", 3)
    assert client.get(hub.get_absolute_url(), query).status_code == 404
