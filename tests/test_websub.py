"""WebSub: with WEBSUB_HUB_URL set every feed names the hub and itself, and the hub — a local
HTTP server here — is pinged with each feed a committed change touched, off the request path,
retried when it fails; with it unset nothing is advertised or sent."""

import threading
import time
import urllib.parse
from collections import deque
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import feedparser
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import websub
from articles.editorial import corrections as notices
from articles.editorial import editing
from articles.models import Article, Correction, IngestToken, Person
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory
from tests.test_security import run_django

BASE = "https://news.example.org"


class LocalHub:
    """A WebSub hub on 127.0.0.1: records each publish ping's form fields; answers with the
    statuses queued in ``answers`` (204 once they run out), or waits while ``hold`` is
    clear."""

    def __init__(self):
        self.pings: list[dict] = []
        self.answers: deque[int] = deque()
        self.hold = threading.Event()
        self.hold.set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                hub.hold.wait(10)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status = hub.answers.popleft() if hub.answers else 204
                if status < 300:
                    hub.pings.append(dict(urllib.parse.parse_qsl(body)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def topics(self) -> set[str]:
        assert all(ping["hub.mode"] == "publish" for ping in self.pings)
        assert all(ping["hub.url"] == ping["hub.topic"] for ping in self.pings)
        return {ping["hub.topic"] for ping in self.pings}

    def close(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub(settings):
    """WebSub on, with the test hub; the pinger retries after 50 ms."""
    test_hub = LocalHub()
    settings.NEWSROOM_WEBSUB_HUB_URL = test_hub.url
    settings.NEWSROOM_BASE_URL = BASE
    websub._pingers.clear()
    websub.pinger().retry_delays = (0.05, 0.05, 0.05)
    yield test_hub
    for pinger in websub._pingers.values():
        pinger.queue.flush(5)
    websub._pingers.clear()
    test_hub.close()


def flush() -> None:
    assert websub.pinger().queue.flush(5)


def feeds(path: str) -> set[str]:
    return {f"{BASE}{path}{fmt}/" for fmt in ("rss", "atom", "json")}


SITE_FEEDS = feeds("/feed/")
CORRECTIONS_FEEDS = feeds("/corrections/feed/")


# Advertising the hub -----------------------------------------------------------------------


def feed_paths(story) -> list[str]:
    person = story.people.get()
    return [
        f"{prefix}{fmt}/"
        for prefix in ("/feed/", f"/people/{person.slug}/feed/", "/corrections/feed/")
        for fmt in ("rss", "atom", "json")
    ]


@pytest.mark.django_db
def test_every_feed_names_the_hub_and_itself(client, hub):
    story = ArticleFactory(people=["Antony Blinken"])
    for path in feed_paths(story):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Link"] == f'<{hub.url}>; rel="hub", <{BASE}{path}>; rel="self"'
        if path.endswith("json/"):
            feed = response.json()
            assert feed["hubs"] == [{"type": "WebSub", "url": hub.url}]
            assert feed["feed_url"] == f"{BASE}{path}"
            continue
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (path, parsed.bozo_exception)
        links = {link["rel"]: link["href"] for link in parsed.feed.links}
        assert links["hub"] == hub.url, path
        assert links["self"] == f"{BASE}{path}", path


@pytest.mark.django_db
def test_no_hub_no_advertising(client, settings):
    settings.NEWSROOM_WEBSUB_HUB_URL = ""
    story = ArticleFactory(people=["Antony Blinken"])
    for path in feed_paths(story):
        response = client.get(path)
        assert "Link" not in response, path
        assert b"hubs" not in response.content and b'rel="hub"' not in response.content


# Pinging after a change --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publishing_pings_the_site_and_hub_feeds_after_commit(hub):
    section = SectionFactory(name="World")
    story = ArticleFactory(
        status=Article.Status.DRAFT, published_at=None, people=["Antony Blinken"], section=section
    )
    flush()
    assert not (SITE_FEEDS & hub.topics())  # a draft is in no feed
    hub.pings.clear()
    with transaction.atomic():
        editing.publish(article=story)
        time.sleep(0.2)
        assert hub.pings == []  # nothing before the commit
    flush()
    person = Person.objects.get()
    assert hub.topics() == SITE_FEEDS | CORRECTIONS_FEEDS | feeds(
        f"/people/{person.slug}/feed/"
    ) | feeds(f"/sections/{section.slug}/feed/")


@pytest.mark.django_db(transaction=True)
def test_editing_a_live_story_pings_the_feeds_it_is_in(hub):
    story = ArticleFactory(people=["Antony Blinken"])
    flush()
    hub.pings.clear()
    story.headline = "Blinken lands in Riyadh"
    editing.save_article(article=story, base_revision=story.revision)
    flush()
    person = Person.objects.get()
    assert SITE_FEEDS | feeds(f"/people/{person.slug}/feed/") <= hub.topics()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_pings_nothing(hub):
    story = ArticleFactory()
    flush()
    hub.pings.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        story.headline = "Never saved"
        story.save()
        raise RuntimeError("the save failed")
    flush()
    assert hub.pings == []


@pytest.mark.django_db(transaction=True)
def test_a_correction_pings_the_corrections_feeds(hub, admin_user):
    story = ArticleFactory(published_at=timezone.now() - timedelta(hours=1))
    flush()
    hub.pings.clear()
    notice = Correction(
        article=story,
        kind=Correction.Kind.CORRECTION,
        text="The date was wrong.",
        at=timezone.now() - timedelta(minutes=1),
    )
    notices.publish_notice(notice=notice, user=admin_user)
    flush()
    assert hub.topics() >= CORRECTIONS_FEEDS | SITE_FEEDS


@pytest.mark.django_db(transaction=True)
def test_a_draft_edit_pings_nothing(hub):
    story = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    flush()
    hub.pings.clear()
    story.headline = "Still a draft"
    story.save()
    flush()
    assert hub.pings == []


@pytest.mark.django_db(transaction=True)
def test_the_ping_is_off_the_request_path(hub):
    hub.hold.clear()  # the hub takes its time
    started = time.monotonic()
    ArticleFactory()
    assert time.monotonic() - started < 2
    assert hub.pings == []
    hub.hold.set()
    flush()
    assert hub.topics() >= SITE_FEEDS


@pytest.mark.django_db(transaction=True)
def test_a_hub_that_fails_is_retried_and_never_fails_the_save(hub, caplog):
    hub.answers.extend([503, 500])
    story = ArticleFactory(headline="Storm reaches the coast")
    flush()
    assert Article.objects.get(pk=story.pk).headline == "Storm reaches the coast"
    assert "trying again" in caplog.text
    assert hub.topics() >= SITE_FEEDS


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_hub_never_fails_the_save(hub, settings, caplog):
    hub.close()
    story = ArticleFactory(headline="Nobody is listening")
    flush()  # tried, retried, given up
    assert "giving up" in caplog.text
    assert Article.objects.get(pk=story.pk).headline == "Nobody is listening"


@pytest.mark.django_db(transaction=True)
def test_no_ping_when_websub_is_off(settings):
    silent = LocalHub()
    settings.NEWSROOM_WEBSUB_HUB_URL = ""
    websub._pingers.clear()
    ArticleFactory()
    time.sleep(0.2)
    assert websub.pinger() is None
    assert silent.pings == []
    silent.close()


# A scheduled or embargoed story going live -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ping_hub_command_pings_the_feeds_of_stories_that_went_live(hub, capsys):
    at = timezone.now() + timedelta(minutes=10)
    story = ArticleFactory(people=["Antony Blinken"], published_at=at, embargo_until=at)
    flush()
    hub.pings.clear()

    call_command("ping_hub")  # not live yet
    assert hub.pings == []

    with mock.patch("django.utils.timezone.now", return_value=at + timedelta(seconds=30)):
        call_command("ping_hub", "--since", "2m", verbosity=2)
    person = story.people.get()
    assert hub.topics() == SITE_FEEDS | CORRECTIONS_FEEDS | feeds(
        f"/people/{person.slug}/feed/"
    ) | feeds(f"/sections/{story.section.slug}/feed/")
    assert "Pinged" in capsys.readouterr().out


@pytest.mark.django_db
def test_ping_hub_command_does_nothing_when_websub_is_off(settings, capsys):
    settings.NEWSROOM_WEBSUB_HUB_URL = ""
    call_command("ping_hub")
    assert "WebSub is off" in capsys.readouterr().out


# Costs and configuration -------------------------------------------------------------------


def feed_queries(client, path) -> int:
    client.get(path)  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_advertising_the_hub_costs_no_query(client, settings, without_page_cache):
    story = ArticleFactory(people=["Antony Blinken"])
    paths = feed_paths(story)
    settings.NEWSROOM_WEBSUB_HUB_URL = ""
    without = [feed_queries(client, path) for path in paths]
    settings.NEWSROOM_WEBSUB_HUB_URL = "http://127.0.0.1:9/"
    settings.NEWSROOM_BASE_URL = BASE
    assert [feed_queries(client, path) for path in paths] == without


@pytest.mark.django_db
def test_finding_the_feeds_a_change_touched_costs_a_few_queries_whatever_the_tags(settings):
    settings.NEWSROOM_BASE_URL = BASE
    stories = [
        ArticleFactory(
            people=[f"Person {n}", f"Other {n}"],
            countries=["IL", "US"],
            topics=[f"Topic {n}"],
            authors=[AuthorFactory(name=f"Author {n}")],
        )
        for n in range(4)
    ]
    keys = frozenset(f"story:{story.pk}" for story in stories)
    with CaptureQueriesContext(connection) as queries:
        topics = websub.changed_feeds(keys)
    assert len(queries) <= 2 + 5  # live stories, their hubs, then each kind's slugs
    assert len(topics) == 3 * (1 + 8 + 2 + 4 + 4 + len({s.section_id for s in stories}))


@pytest.mark.slow
def test_websub_needs_base_url():
    result = run_django("check", WEBSUB_HUB_URL="https://hub.example.org/")
    assert result.returncode != 0
    assert "WEBSUB_HUB_URL needs BASE_URL" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_published_delivery_reaches_the_hub(client, hub):
    """An agency's story, delivered for publication, is announced to feed readers at once."""
    secret = IngestToken.objects.issue(name="Desk", allows=IngestToken.Allows.PUBLISHED)[1]
    story = (
        "Headline: Quake hits the coast\nStatus: published\nPublished: 2026-01-01T00:00Z\n\nB.\n"
    )
    response = client.generic(
        "POST", "/api/ingest/", story.encode(), "text/plain", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 201
    flush()
    assert hub.topics() >= SITE_FEEDS
