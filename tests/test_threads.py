from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.intelligence.threads import story_threads, thread_of
from articles.models import CrossLink
from tests.factories import ArticleFactory, CrossLinkFactory, draft
from tests.intel_support import staff_user  # noqa: F401

pytestmark = pytest.mark.django_db


def on(day, month=1, year=2025):
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


@pytest.fixture
def stories():
    """Three threads (4, 2 and 2 stories), a story whose only link is pending, a loner."""
    s = {
        "a": ArticleFactory(headline="A: talks begin", published_at=on(1)),
        "b": ArticleFactory(headline="B: talks end", published_at=on(5)),
        "c": ArticleFactory(headline="C: talks stall", published_at=on(3)),
        "d": draft(headline="D: analysis, unpublished"),
        "e": ArticleFactory(headline="E: February one", published_at=on(1, 2)),
        "f": ArticleFactory(headline="F: February two", published_at=on(2, 2)),
        "g": ArticleFactory(headline="G: waits for a story", published_at=on(3, 3)),
        "h": ArticleFactory(headline="H: alone", published_at=on(4, 3)),
        "i": ArticleFactory(headline="I: December one", published_at=on(1, 12, 2024)),
        "j": ArticleFactory(headline="J: December two", published_at=on(9, 12, 2024)),
    }
    CrossLinkFactory(source=s["a"], target=s["b"])
    CrossLinkFactory(source=s["c"], target=s["b"])  # joined through B, against the arrows
    CrossLinkFactory(source=s["d"], target=s["a"])
    CrossLinkFactory(source=s["e"], target=s["f"])
    CrossLinkFactory(source=s["f"], target=s["e"])
    CrossLinkFactory(source=s["i"], target=s["j"])
    CrossLink.objects.create(source=s["g"], target_headline="Not yet written")
    return s


def heads(thread):
    return [story.headline[0] for story in thread.stories]


def test_threads_are_connected_groups_largest_first(stories):
    """Links join stories whichever way they point; pending links join nothing; threads
    come largest first, then the most recent."""
    threads = story_threads()
    assert [heads(t) for t in threads] == [["A", "C", "B", "D"], ["E", "F"], ["I", "J"]]


def test_a_thread_lists_its_stories_in_time_order_with_its_span(stories):
    """Stories run oldest first, unpublished last; the span runs first to last date."""
    thread = story_threads()[0]
    assert thread.starts == on(1) and thread.ends == on(5)
    assert thread.span == timedelta(days=4)
    assert [s.status for s in thread.stories] == ["live", "live", "live", "draft"]
    assert thread.pk == stories["a"].pk
    assert thread.title == "A: talks begin"


def test_thread_of_any_member_is_the_same_thread(stories):
    """Any story of a thread finds the whole thread; an unlinked story is its own thread
    of one; a missing story has none."""
    assert heads(thread_of(stories["d"].pk)) == ["A", "C", "B", "D"]
    assert heads(thread_of(stories["h"].pk)) == ["H"]
    assert thread_of(stories["h"].pk).span is None
    assert thread_of(10**9) is None
    assert thread_of(2**63) is None  # more than a 64-bit column holds: still "none"


def test_threads_cost_two_queries(django_assert_num_queries, stories):
    """Grouping reads the links once and the stories once, whatever their number."""
    with django_assert_num_queries(2):
        story_threads()
    with django_assert_num_queries(2):
        thread_of(stories["a"].pk)


def test_no_links_no_threads():
    """With no links there are no threads, and no query for stories."""
    ArticleFactory()
    assert story_threads() == []


def test_thread_pages(client, django_user_model, stories):
    """The thread list and a thread page are for staff with view permission; they link
    each thread and story; a missing story is a 404."""
    list_url = reverse("newsroom_admin:threads")
    thread_url = reverse("newsroom_admin:thread", args=[stories["b"].pk])
    for url in (list_url, thread_url):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(staff_user(django_user_model, username="intern"))
    assert client.get(list_url).status_code == 403
    client.force_login(staff_user(django_user_model, "articles.view_article"))
    html = client.get(list_url).content.decode()
    assert html.index("A: talks begin") < html.index("E: February one") < html.index("I: Dec")
    assert reverse("newsroom_admin:thread", args=[stories["a"].pk]) in html
    assert "H: alone" not in html
    html = client.get(thread_url).content.decode()
    assert html.index("A: talks") < html.index("C: talks") < html.index("B: talks")
    assert reverse("admin:articles_article_change", args=[stories["d"].pk]) in html
    assert client.get(reverse("newsroom_admin:thread", args=[10**9])).status_code == 404
    assert client.get(reverse("newsroom_admin:thread", args=[10**30])).status_code == 404


def test_thread_pages_queries_do_not_grow_with_threads(client, django_user_model, stories):
    """The thread list costs the same queries with ten more threads, and a thread page
    the same with ten more stories in it."""
    client.force_login(staff_user(django_user_model, "articles.view_article"))
    list_url = reverse("newsroom_admin:threads")
    thread_url = reverse("newsroom_admin:thread", args=[stories["a"].pk])
    with CaptureQueriesContext(connection) as list_before:
        client.get(list_url)
    with CaptureQueriesContext(connection) as thread_before:
        client.get(thread_url)
    for _ in range(10):
        CrossLinkFactory(source=ArticleFactory(), target=ArticleFactory())
        CrossLinkFactory(source=ArticleFactory(), target=stories["a"])
    with CaptureQueriesContext(connection) as list_after:
        client.get(list_url)
    with CaptureQueriesContext(connection) as thread_after:
        response = client.get(thread_url)
    assert len(list_after) == len(list_before)
    assert len(thread_after) == len(thread_before)
    assert response.content.decode().count("graph</a>") == 14
