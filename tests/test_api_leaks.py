"""Unpublished, scheduled, archived and taken-down stories — and links to them — appear
nowhere in the read API or ninjs: not in lists (filtered or not), hubs and their counts,
search, a story's links, or associations."""

import json

import pytest

from articles.models import Correction
from tests.factories import ArticleFactory, draft
from tests.test_leaks import HIDDEN, newsroom  # noqa: F401  (newsroom is a fixture)

pytestmark = pytest.mark.django_db

FILTERS = ("person", "country", "topic", "section", "author")
KINDS = ("people", "countries", "topics", "sections", "authors")


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.NEWSROOM_RATE_LIMITS = {"uncached": None, "login": None}


def api_answers(client, live, hubs):
    """Every API answer a reader can reach from the shared newsroom, as text."""
    urls = ["/api/v1/stories/", "/api/v1/stories/?limit=100"]
    urls += [f"/api/v1/stories/?{name}={hub.slug}" for name, hub in zip(FILTERS, hubs, strict=True)]
    urls += [f"/api/v1/hubs/{kind}/{hub.slug}/" for kind, hub in zip(KINDS, hubs, strict=True)]
    urls += ["/api/v1/search/?q=Leakword", "/api/v1/search/?q=Leaked"]
    urls += ["/api/v1/search/?q=Shared+Person", "/api/v1/search/?q=Shared+topic"]
    for source in [live, *(link.source for link in live.links_in.all())]:
        urls += [f"/api/v1/stories/{source.slug}/", f"/api/v1/stories/{source.slug}/ninjs/"]
    for link in live.links_out.all():
        urls += [f"/api/v1/stories/{link.source.slug}/ninjs/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        data = json.loads(response.content)
        data.pop("query", None)  # search echoes the words asked for
        yield url, json.dumps(data, ensure_ascii=False)


def test_hidden_stories_appear_in_no_api_answer(client, newsroom):  # noqa: F811
    """No list, filtered list, hub, search, story or ninjs document names a hidden story or
    its address, or carries its body."""
    live, hidden, hubs = newsroom
    for story in hidden.values():
        Correction.objects.create(article=story, text=f"Leaked notice {story.pk}", revision=1)
    for url, body in api_answers(client, live, hubs):
        assert "Leakword" not in body and "Leaked notice" not in body, url
        for story in hidden.values():
            assert story.headline not in body, (url, story.status)
            assert story.slug not in body, (url, story.status)


def test_links_to_hidden_stories_are_neither_links_nor_associations(client, newsroom):  # noqa: F811
    live, _, _ = newsroom
    data = json.loads(client.get(f"/api/v1/stories/{live.slug}/").content)
    assert data["links"] == []
    document = json.loads(client.get(f"/api/v1/stories/{live.slug}/ninjs/").content)
    assert "associations" not in document


def test_hubs_count_and_list_live_stories_only(client, newsroom):  # noqa: F811
    live, _, hubs = newsroom
    for kind, hub in zip(KINDS, hubs, strict=True):
        data = json.loads(client.get(f"/api/v1/hubs/{kind}/{hub.slug}/").content)
        assert data["story_count"] == 1, kind
        assert [item["slug"] for item in data["stories"]["items"]] == [live.slug], kind


@pytest.mark.parametrize("status", list(HIDDEN))
def test_hidden_story_addresses_are_404_or_410(client, newsroom, status):  # noqa: F811
    _, hidden, _ = newsroom
    story = hidden[status]
    for url in (f"/api/v1/stories/{story.slug}/", f"/api/v1/stories/{story.slug}/ninjs/"):
        response = client.get(url)
        assert response.status_code == (410 if status == "taken down" else 404), url
        assert b"Leakword" not in response.content
        assert story.headline.encode() not in response.content


def test_a_hub_of_hidden_stories_only_is_not_found(client):
    """A person tagged only on a draft has no hub in the API, as on the site: the filter and
    the hub answer 404, and search names no such hub."""
    ArticleFactory()
    draft(people=["Secret Source"])
    assert client.get("/api/v1/stories/?person=secret-source").status_code == 404
    assert client.get("/api/v1/hubs/people/secret-source/").status_code == 404
    found = json.loads(client.get("/api/v1/search/?q=Secret+Source").content)
    assert found["hubs"] == [] and found["items"] == []
