from datetime import datetime, timedelta
from xml.etree import ElementTree  # noqa: S405 - parsing our own output

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import caching
from articles.reader.hubs import HUB_KINDS
from articles.reader.sitemaps import ArticleSitemap
from tests.factories import ArticleFactory, AuthorFactory, archived, draft, in_review, scheduled

pytestmark = pytest.mark.django_db

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return ElementTree.fromstring(response.content)  # noqa: S314


def all_urls(client):
    """Every <loc> and its <lastmod> across the sitemap index's sitemaps."""
    index = fetch(client, "/sitemap.xml")
    urls = {}
    for loc in index.findall("s:sitemap/s:loc", NS):
        sitemap = fetch(client, loc.text.replace("http://testserver", ""))
        for url in sitemap.findall("s:url", NS):
            lastmod = url.find("s:lastmod", NS)
            urls[url.find("s:loc", NS).text] = lastmod.text if lastmod is not None else None
    return urls


def test_sitemap_lists_live_stories_and_hubs_with_real_lastmod(client):
    """Every live story and every hub with a live story, each with the time it last changed."""
    updated = timezone.now() - timedelta(minutes=5)
    story = ArticleFactory(
        headline="Live one",
        people=["Joe Biden"],
        countries=["IL"],
        topics=["Gaza"],
        authors=[AuthorFactory(name="Asha Rao")],
        updated_at=updated,
    )
    urls = all_urls(client)
    base = "http://testserver"
    expected = updated.replace(microsecond=0)
    assert datetime.fromisoformat(urls[base + story.get_absolute_url()]) == expected
    for path in (
        "/people/joe-biden/",
        "/countries/israel/",
        "/topics/gaza/",
        "/sections/world/",
        "/authors/asha-rao/",
    ):
        assert base + path in urls, path
        assert datetime.fromisoformat(urls[base + path]) == expected


def test_sitemap_index_gives_each_sitemap_its_newest_change(client):
    """The index's lastmod for the stories is the latest change of any live story (an
    update to an old story counts), and for a hub kind the latest of its hubs'."""
    edited = timezone.now() - timedelta(minutes=2)
    ArticleFactory(
        headline="Old, edited",
        people=["Joe Biden"],
        published_at=timezone.now() - timedelta(days=30),
        updated_at=edited,
    )
    ArticleFactory(
        headline="New", people=["Kamala Harris"], published_at=timezone.now() - timedelta(hours=1)
    )
    scheduled(headline="Later", people=["Nobody Yet"])
    index = fetch(client, "/sitemap.xml")
    lastmods = {
        entry.findtext("s:loc", namespaces=NS).rsplit("/", 1)[-1]: entry.findtext(
            "s:lastmod", namespaces=NS
        )
        for entry in index.findall("s:sitemap", NS)
    }
    expected = edited.replace(microsecond=0)
    assert datetime.fromisoformat(lastmods["sitemap-articles.xml"]) == expected
    assert datetime.fromisoformat(lastmods["sitemap-people.xml"]) == expected


def test_sitemaps_leak_nothing_that_is_not_live(client):
    """Drafts, reviews, scheduled and archived stories, and hubs only they use, stay out."""
    ArticleFactory(headline="Live one", people=["Joe Biden"])
    for make in (draft, in_review, scheduled, archived):
        make(headline=f"Hidden {make.__name__}", people=[f"Secret {make.__name__}"])
    urls = all_urls(client)
    text = " ".join(urls)
    assert "hidden" not in text
    assert "secret" not in text
    assert "http://testserver/people/joe-biden/" in urls
    news = client.get("/news-sitemap.xml").content.decode()
    assert "Hidden" not in news


def test_news_sitemap_has_the_last_48_hours_only(client):
    ArticleFactory(headline="Fresh & new <story>", published_at=timezone.now() - timedelta(hours=3))
    ArticleFactory(headline="Three days old", published_at=timezone.now() - timedelta(days=3))
    tree = fetch(client, "/news-sitemap.xml")
    titles = [t.text for t in tree.findall("s:url/news:news/news:title", NS)]
    assert titles == ["Fresh & new <story>"]
    assert tree.find("s:url/news:news/news:publication/news:name", NS).text == "Newsroom"


def test_robots_txt_names_both_sitemaps(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Sitemap: http://testserver/news-sitemap.xml" in body
    assert "Disallow: /admin/" in body


def test_unknown_sitemap_section_and_bad_page_are_404(client):
    """Unknown sections and pages that are no page number, or beyond the last, are a 404."""
    ArticleFactory(headline="Live one", people=["Joe Biden"])
    assert client.get("/sitemap-nope.xml").status_code == 404
    assert client.get("/sitemap-articles.xml?p=abc").status_code == 404
    assert client.get("/sitemap-articles.xml?p=99").status_code == 404
    for page in ("0", "-1", "1.5", "٢", "9" * 400, "' OR 1=1 --"):
        for url in ("/sitemap-articles.xml", "/sitemap-people.xml", "/news-sitemap.xml"):
            assert client.get(url, {"p": page}).status_code == 404, (url, page)
    # A control character is refused before any view (newsroom/control_characters.py).
    assert client.get("/sitemap-articles.xml", {"p": "\x00"}).status_code == 400


def index_locations(client):
    return [loc.text for loc in fetch(client, "/sitemap.xml").findall("s:sitemap/s:loc", NS)]


def test_index_lists_only_sitemaps_with_urls(client):
    """A kind of hub no live story has yet (here topics and authors, and the people only a
    draft names) is left out of the index; every sitemap it lists has at least one URL."""
    ArticleFactory(headline="Live one", countries=["IL"])
    draft(headline="Hidden", people=["Secret Person"], topics=["Secret topic"])
    listed = index_locations(client)

    assert [loc.rsplit("/", 1)[-1] for loc in listed] == [
        "sitemap-articles.xml",
        "sitemap-countries.xml",
        "sitemap-sections.xml",
    ]
    for loc in listed:
        assert fetch(client, loc.replace("http://testserver", "")).findall("s:url", NS), loc


@pytest.mark.parametrize("section", ["people", "topics", "authors"])
def test_an_empty_sitemap_is_404(client, section):
    """A sitemap with no URL is no valid sitemap: asked for directly, it is not found."""
    ArticleFactory(headline="Live one")
    draft(headline="Hidden", people=["Secret Person"], topics=["Secret topic"])
    assert client.get(f"/sitemap-{section}.xml").status_code == 404


def test_nothing_public_means_no_sitemaps(client):
    """Before anything is published there is no sitemap, not even an empty index."""
    draft(headline="Hidden", people=["Secret Person"])
    scheduled(headline="Later")
    for url in ("/sitemap.xml", "/sitemap-articles.xml", "/sitemap-people.xml"):
        assert client.get(url).status_code == 404, url


def test_news_sitemap_without_fresh_stories_is_empty_and_well_formed(client):
    """Google documents an empty News sitemap as fine (robots.txt names it, so it answers):
    a well-formed urlset with no URL when nothing was published in the last 48 hours."""
    ArticleFactory(headline="Three days old", published_at=timezone.now() - timedelta(days=3))
    tree = fetch(client, "/news-sitemap.xml")
    assert tree.tag == f"{{{NS['s']}}}urlset"
    assert tree.findall("s:url", NS) == []


def test_every_page_of_a_paginated_sitemap_exists(client, monkeypatch):
    """The index lists each page of a sitemap longer than its limit; each page it lists
    has URLs, together they hold every story once, and the page after the last is 404."""
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    stories = [ArticleFactory(headline=f"Story {n}") for n in range(5)]
    pages = [loc for loc in index_locations(client) if "sitemap-articles.xml" in loc]

    assert [page.rsplit("/", 1)[-1] for page in pages] == [
        "sitemap-articles.xml",
        "sitemap-articles.xml?p=2",
        "sitemap-articles.xml?p=3",
    ]
    found = []
    for page in pages:
        urls = fetch(client, page.replace("http://testserver", "")).findall("s:url/s:loc", NS)
        assert urls, page
        found += [url.text for url in urls]
    assert sorted(found) == sorted(f"http://testserver{s.get_absolute_url()}" for s in stories)
    assert client.get("/sitemap-articles.xml?p=4").status_code == 404


def test_index_counts_each_sitemap_once_while_the_same_stories_are_live(client):
    """The index's page counts are kept while the live stories and hubs stay the same
    (articles.fragments): an edit costs the next index no COUNT, a publication does."""
    story = ArticleFactory(headline="Live one", people=["Joe Biden"])

    def counts():
        caching.timed_changes(caching.generation())  # once per content generation
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/sitemap.xml").status_code == 200
        return [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]

    assert len(counts()) == 1 + len(HUB_KINDS)  # the stories and each kind of hub, once
    story.standfirst = "Edited."
    story.save()
    assert counts() == []
    ArticleFactory(headline="Another one")
    assert len(counts()) == 1 + len(HUB_KINDS)


@pytest.mark.parametrize("count", [1, 15])
def test_sitemap_query_count_does_not_grow_with_stories(
    client, count, django_assert_max_num_queries
):
    for n in range(count):
        ArticleFactory(headline=f"Story {n}", people=["Joe Biden", f"Person {n}"])
    caching.timed_changes(caching.generation())  # once per content generation, see caching
    # Each request also reads the content generation (one small query, articles.caching).
    with django_assert_max_num_queries(1 + 2):
        client.get("/sitemap-articles.xml")
    with django_assert_max_num_queries(1 + 2):
        client.get("/sitemap-people.xml")
    # The index: each sitemap's page count (kept afterwards) and the newest changes of all,
    # in one query (SQLite: a query for each sitemap's newest publication and update).
    sitemaps = 1 + len(HUB_KINDS)
    compound = connection.features.supports_slicing_ordering_in_compound
    with django_assert_max_num_queries(1 + sitemaps + (1 if compound else 2 * sitemaps)):
        client.get("/sitemap.xml")
