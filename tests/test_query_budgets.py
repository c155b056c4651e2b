"""Query budgets: a page's query count does not grow with its tags, links or list items."""

import pycountry
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import caching
from articles.models import Person
from tests.factories import ArticleFactory, AuthorFactory, CrossLinkFactory, SectionFactory

pytestmark = pytest.mark.django_db

ARTICLE_BUDGET = 7
HUB_BUDGET = 4
FRONT_BUDGET = 3
ARCHIVE_BUDGET = 3

COUNTRY_CODES = [country.alpha_2 for country in pycountry.countries][:10]


def known_schedule():
    """The page cache looks up the next scheduled publication once per content generation,
    not per page; do that first so the counts below are the pages' own."""
    caching.next_publication(caching.generation())


def queries_for(client, url) -> int:
    known_schedule()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def small_article():
    return ArticleFactory(people=["Only Person"], authors=[AuthorFactory()])


def big_article():
    """30 tags, 3 authors, 12 shown links (inline and related) and stories sharing tags."""
    article = ArticleFactory(
        people=[f"Person {n}" for n in range(10)],
        countries=COUNTRY_CODES,
        topics=[f"Topic {n}" for n in range(10)],
        authors=[AuthorFactory() for _ in range(3)],
    )
    for n in range(12):
        target = ArticleFactory(people=["Person 1"], authors=[AuthorFactory()])
        CrossLinkFactory(source=article, target=target, placement=n % 4 or None, order=n)
    return article


def test_article_page_queries_do_not_grow_with_tags_or_links(client):
    """1 tag and no links costs the same queries as 30 tags, 3 authors and 12 links."""
    small = queries_for(client, small_article().get_absolute_url())
    big = queries_for(client, big_article().get_absolute_url())
    assert small == big
    assert big <= ARTICLE_BUDGET


@pytest.mark.parametrize("items", [1, 20])
def test_hub_queries_do_not_grow_with_items(client, django_assert_num_queries, items):
    """A hub page with 1 or 20 stories, each with several authors, runs the same queries."""
    for _ in range(items):
        ArticleFactory(people=["Hub Person"], authors=[AuthorFactory(), AuthorFactory()])
    hub = Person.objects.get(name="Hub Person")
    known_schedule()
    with django_assert_num_queries(HUB_BUDGET):
        assert client.get(hub.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("items", [1, 20])
def test_front_page_queries_do_not_grow_with_items(client, django_assert_num_queries, items):
    """The front page with 1 or 20 stories over several sections runs the same queries."""
    sections = [SectionFactory(name=f"Section {n}") for n in range(5)]
    for n in range(items):
        ArticleFactory(section=sections[n % 5], authors=[AuthorFactory()])
    known_schedule()
    with django_assert_num_queries(FRONT_BUDGET):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("items", [1, 20])
def test_archive_queries_do_not_grow_with_items(client, django_assert_num_queries, items):
    """The archive with 1 or 20 stories runs the same queries."""
    for _ in range(items):
        ArticleFactory(authors=[AuthorFactory()])
    known_schedule()
    with django_assert_num_queries(ARCHIVE_BUDGET):
        assert client.get("/archive/").status_code == 200
