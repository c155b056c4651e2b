"""Keyset paging of the archive and the hubs: every story once, whichever way a reader goes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Person
from tests.factories import ArticleFactory, draft
from tests.paging import newer_link, older_link

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_page_cache")]


def walk(client, url: str, link) -> list[list[int]]:
    """The pks on each page, following ``link`` from ``url`` until there is none."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append([article.pk for article in response.context["object_list"]])
        step = link(response.content.decode())
        url = f"{response.request['PATH_INFO']}{step}" if step else None
    return pages


def stories_with_ties(count: int, **kwargs):
    """``count`` live stories, newest first, published in threes at the same instant, so
    that pages break between stories sharing a publication time."""
    now = timezone.now().replace(microsecond=0)
    stories = [
        ArticleFactory(published_at=now - timedelta(hours=1 + n // 3), **kwargs)
        for n in range(count)
    ]
    return sorted(stories, key=lambda a: (a.published_at, a.pk), reverse=True)


@pytest.mark.parametrize("where", ["archive", "hub"])
def test_older_links_reach_every_story_once_and_newer_links_come_back(client, where):
    """Following "Older stories" from the first page lists every live story once, newest
    first, 20 a page, ties in publication time included; "Newer stories" from the last page
    retraces the same pages back to the first."""
    stories = stories_with_ties(47, people=["Paged Person"])
    draft(people=["Paged Person"])
    url = (
        reverse("articles:archive")
        if where == "archive"
        else Person.objects.get(name="Paged Person").get_absolute_url()
    )

    pages = walk(client, url, older_link)

    assert [len(page) for page in pages] == [20, 20, 7]
    assert sum(pages, []) == [story.pk for story in stories]
    # Back up from the last page: the same pages in reverse, ending at the first.
    second = url + older_link(client.get(url).content.decode())
    third = url + older_link(client.get(second).content.decode())
    assert walk(client, third, newer_link) == pages[::-1]


def test_a_deep_page_keeps_its_address_when_stories_are_published(client):
    """A page's address names the story next to it, so a new story does not shift it."""
    stories = stories_with_ties(25)
    page_two = reverse("articles:archive") + older_link(
        client.get(reverse("articles:archive")).content.decode()
    )
    before = [a.pk for a in client.get(page_two).context["object_list"]]

    ArticleFactory(published_at=timezone.now() - timedelta(minutes=1))

    assert [a.pk for a in client.get(page_two).context["object_list"]] == before
    assert before == [story.pk for story in stories[20:]]


def test_a_deep_page_reads_only_its_own_rows(client):
    """A page is one scan from its key: the query has a LIMIT and no OFFSET."""
    stories_with_ties(45)
    page_two = reverse("articles:archive") + older_link(
        client.get(reverse("articles:archive")).content.decode()
    )
    with CaptureQueriesContext(connection) as captured:
        client.get(page_two)
    listing = [q["sql"] for q in captured if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]]
    assert listing
    assert not [sql for sql in listing if "OFFSET" in sql]
