from datetime import timedelta

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.intelligence.linkhealth import describe_age, link_health, parse_age
from articles.models import CrossLink
from tests.factories import ArticleFactory, CrossLinkFactory, archived, draft, scheduled
from tests.intel_support import staff_user  # noqa: F401

pytestmark = pytest.mark.django_db


def change(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def pending(source, headline, age):
    link = CrossLink.objects.create(source=source, target_headline=headline)
    CrossLink.objects.filter(pk=link.pk).update(created_at=timezone.now() - age)
    return link


@pytest.fixture
def graph():
    """Live stories with a one-way link, a mutual pair, an orphan; links to a draft, a
    scheduled and an archived story; an old and a fresh pending link."""
    s = {
        "one": ArticleFactory(headline="Live one"),
        "two": ArticleFactory(headline="Live two"),
        "alone": ArticleFactory(headline="Live alone"),
        "four": ArticleFactory(headline="Live four"),
        "five": ArticleFactory(headline="Live five"),
        "draft": draft(headline="A draft"),
        "other_draft": draft(headline="Another draft"),
        "scheduled": scheduled(headline="A scheduled story"),
        "archived": archived(headline="An archived story"),
    }
    CrossLinkFactory(source=s["one"], target=s["two"])
    CrossLinkFactory(source=s["four"], target=s["five"])
    CrossLinkFactory(source=s["five"], target=s["four"])
    CrossLinkFactory(source=s["four"], target=s["two"])
    CrossLinkFactory(source=s["one"], target=s["draft"])  # a live story shows a hole
    CrossLinkFactory(source=s["five"], target=s["archived"])  # and another
    CrossLinkFactory(source=s["other_draft"], target=s["scheduled"])  # not shown anywhere
    CrossLinkFactory(source=s["draft"], target=s["one"])  # draft → live: fine
    pending(s["two"], "An old promise", timedelta(days=10))
    pending(s["four"], "A fresh promise", timedelta(hours=1))
    return s


def rows(report, key):
    return [(row.headline, row.target) for row in report.section(key).rows]


def test_pending_links_oldest_first_and_old_ones_fail(graph):
    """Pending links are listed oldest first; only those past the allowed age fail."""
    report = link_health(max_age=timedelta(days=7))
    section = report.section("pending")
    assert rows(report, "pending") == [
        ("Live two", "An old promise"),
        ("Live four", "A fresh promise"),
    ]
    assert [row.failure for row in section.rows] == [True, False]
    assert section.rows[0].mend_url == change(graph["two"])
    assert section.rows[0].note == "10 days old"
    assert section.rows[0].target_url.endswith("/add/?headline=An+old+promise")


def test_links_to_stories_not_live_fail_only_when_shown_on_a_live_story(graph):
    """Links to a draft, scheduled or archived story are listed with the target's status;
    the ones a live story carries are failures."""
    report = link_health(max_age=timedelta(days=30))
    section = report.section("not_live")
    found = {(r.headline, r.target): (r.note, r.failure) for r in section.rows}
    assert found == {
        ("Live one", "A draft"): ("draft, shown on a live story", True),
        ("Live five", "An archived story"): ("archived, shown on a live story", True),
        ("Another draft", "A scheduled story"): ("scheduled", False),
    }
    row = next(r for r in section.rows if r.target == "A draft")
    assert row.mend_url == change(graph["one"])
    assert row.target_url == change(graph["draft"])
    assert report.failure_count == 2


def test_live_stories_with_no_links_in_or_out(graph):
    """Only the live story no link touches is unlinked; unpublished stories are not listed."""
    report = link_health()
    assert rows(report, "unlinked") == [("Live alone", "")]
    assert report.section("unlinked").rows[0].mend_url == change(graph["alone"])


def test_one_way_pairs_between_live_stories(graph):
    """Live → live links with no link back are listed, mended on the linked story; mutual
    pairs and links to or from unpublished stories are not."""
    report = link_health()
    assert sorted(rows(report, "one_way")) == [
        ("Live two", "Live four"),
        ("Live two", "Live one"),
    ]
    assert {row.mend_url for row in report.section("one_way").rows} == {change(graph["two"])}


def test_most_linked_counts_live_sources_only(graph):
    """The most-linked list counts links from live stories; the draft's link to "Live
    one" does not count."""
    report = link_health()
    assert [(r.headline, r.note) for r in report.section("most_linked").rows] == [
        ("Live two", "2 links in"),
        ("Live five", "1 link in"),
        ("Live four", "1 link in"),
    ]


def test_a_clean_graph_has_no_findings_to_fail():
    """Two live stories linking each other: nothing pending, nothing broken, OK."""
    a, b = ArticleFactory(), ArticleFactory()
    CrossLinkFactory(source=a, target=b)
    CrossLinkFactory(source=b, target=a)
    report = link_health()
    assert report.ok
    assert [s.total for s in report.sections] == [0, 0, 0, 0, 2]


def test_report_query_count_is_fixed(django_assert_max_num_queries, graph):
    """The report costs the same queries with 10 links as with 60."""
    with django_assert_max_num_queries(11):
        link_health()
    for _ in range(10):
        a, b = ArticleFactory(), draft()
        CrossLinkFactory(source=a, target=b)
        pending(a, "Another promise", timedelta(days=1))
        CrossLinkFactory(source=ArticleFactory(), target=a)
    with django_assert_max_num_queries(11):
        link_health()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7d", timedelta(days=7)), ("48h", timedelta(hours=48)), ("2w", timedelta(weeks=2))],
)
def test_parse_age(value, expected):
    """Ages are a number and a unit."""
    assert parse_age(value) == expected


@pytest.mark.parametrize("value", ["", "7", "d", "7 days", "-1d", "1y"])
def test_parse_age_rejects_nonsense(value):
    """Anything else is a ValueError with a message, for the command to report."""
    with pytest.raises(ValueError, match="is not an age"):
        parse_age(value)


def test_command_prints_the_report_and_fails_on_failures(graph, capsys):
    """`link_health` prints every section, each row with its mend URL, and exits 2."""
    with pytest.raises(CommandError) as raised:
        call_command("link_health")
    assert raised.value.returncode == 2
    assert "3 link-health failure(s)" in str(raised.value)
    out = capsys.readouterr().out
    assert "Pending links: 2" in out
    assert f"FAIL Live two → An old promise [10 days old]  {change(graph['two'])}" in out
    assert "Live stories with no links in or out: 1" in out
    assert "Link health: 3 failure(s)." in out


def test_command_exit_code_from_the_command_line(graph, capsys):
    """Run as `manage.py link_health`, failures are a non-zero exit status for cron."""
    with pytest.raises(SystemExit) as raised:
        execute_from_command_line(["manage.py", "link_health", "--max-pending-age", "30d"])
    assert raised.value.code == 2
    assert "2 link-health failure(s)" in capsys.readouterr().err


def test_command_max_pending_age_decides_what_is_too_old(capsys, settings):
    """A pending link fails once older than --max-pending-age, or the setting's default."""
    story = ArticleFactory()
    pending(story, "Coming soon", timedelta(hours=50))
    call_command("link_health", "--max-pending-age", "3d")
    with pytest.raises(CommandError):
        call_command("link_health", "--max-pending-age", "48h")
    settings.NEWSROOM_LINK_MAX_PENDING_AGE = "2d"
    with pytest.raises(CommandError):
        call_command("link_health")
    settings.NEWSROOM_LINK_MAX_PENDING_AGE = "1w"
    call_command("link_health", verbosity=0)
    assert capsys.readouterr().out.count("Link health: OK.") == 1


def test_command_rejects_a_bad_age():
    """A malformed age is a clear CommandError, not a traceback."""
    with pytest.raises(CommandError, match="not an age"):
        call_command("link_health", "--max-pending-age", "soon")


def test_link_health_page(client, django_user_model, graph):
    """The admin page is for staff with view permission and links each row to its mend."""
    url = reverse("newsroom_admin:link_health")
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(django_user_model.objects.create_user("reader", password="pw"))
    assert client.get(url).status_code == 302
    client.force_login(staff_user(django_user_model, username="intern"))
    assert client.get(url).status_code == 403
    client.force_login(staff_user(django_user_model, "articles.view_article"))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 failures" in html
    for story in ("two", "one", "alone"):
        assert f'href="{change(graph[story])}"' in html
    assert "An old promise" in html
    write = reverse("admin:articles_article_add") + "?headline=An+old+promise"
    assert f'<a href="{write}">write it</a>' in html


def test_link_health_page_queries_do_not_grow_with_rows(client, django_user_model, graph):
    """The page costs the same number of queries with ten more findings of each kind."""
    client.force_login(staff_user(django_user_model, "articles.view_article"))
    url = reverse("newsroom_admin:link_health")
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(10):
        a = ArticleFactory()
        CrossLinkFactory(source=a, target=draft())
        pending(a, "Yet another promise", timedelta(days=30))
        ArticleFactory()
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("7d", "7 days"),
        ("1d", "1 day"),
        ("36h", "36 hours"),
        ("48h", "2 days"),
        ("90m", "90 minutes"),
    ],
)
def test_ages_are_described_in_words(value, words):
    """The page and the command say "7 days", not "7 days, 0:00:00"."""
    assert describe_age(parse_age(value)) == words
