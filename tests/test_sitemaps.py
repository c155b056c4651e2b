from datetime import datetime, timedelta
from xml.etree import ElementTree  # noqa: S405 - parsing our own output

import pytest
from django.utils import timezone

from articles import caching
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
    assert client.get("/sitemap-nope.xml").status_code == 404
    assert client.get("/sitemap-articles.xml?p=abc").status_code == 404
    assert client.get("/sitemap-articles.xml?p=99").status_code == 404


@pytest.mark.parametrize("count", [1, 15])
def test_sitemap_query_count_does_not_grow_with_stories(
    client, count, django_assert_max_num_queries
):
    for n in range(count):
        ArticleFactory(headline=f"Story {n}", people=["Joe Biden", f"Person {n}"])
    caching.next_publication(caching.generation())  # once per content generation, see caching
    # Each request also reads the content generation (one small query, articles.caching).
    with django_assert_max_num_queries(1 + 2):
        client.get("/sitemap-articles.xml")
    with django_assert_max_num_queries(1 + 2):
        client.get("/sitemap-people.xml")
    # The index: each sitemap's newest change and page count, one query each at most.
    with django_assert_max_num_queries(1 + 7):
        client.get("/sitemap.xml")
