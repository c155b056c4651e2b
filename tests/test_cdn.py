"""A CDN in front (newsroom/cdn.py): public responses name what they show in surrogate keys,
a change purges exactly those keys after it commits, off the request path, and no CDN copy
outlives a scheduled publication.

Fastly's and Cloudflare's purge APIs (and Varnish's PURGE) are played by a local HTTP
server that records each request; tests/test_varnish.py runs a real Varnish.
"""

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import Client
from django.utils import timezone

from articles import caching
from articles.editorial import editing
from articles.models import CrossLink, Person
from newsroom import cdn
from newsroom.middleware import PublicCacheMiddleware
from tests.factories import ArticleFactory
from tests.test_caching import cached

# Cache-Control directives -------------------------------------------------------------------


def directives(response) -> dict[str, int]:
    found = {}
    for part in response["Cache-Control"].split(","):
        name, _, value = part.strip().partition("=")
        found[name] = int(value) if value else 0
    return found


def keys_of(response, header="Surrogate-Key", separator=" ") -> set[str]:
    return set(response[header].split(separator))


# Surrogate keys on responses -------------------------------------------------------------------


def test_public_pages_name_what_they_show(client, db):
    """A story's page names the story, its links and what it links to, its tags' hubs and
    its thread; the front page the list of latest stories, the links ("Most linked-to") and
    each story on it; a hub its list and stories; pages that
    declare nothing (sitemaps, a 404) change with anything, search and the sitemap index
    with any story. All carry everything."""
    story = ArticleFactory(people=["Antony Blinken"])
    target = ArticleFactory()
    CrossLink.objects.create(source=story, target=target, placement=1)
    blinken = Person.objects.get(name="Antony Blinken")

    page = client.get(story.get_absolute_url())
    assert keys_of(page) == {
        "everything",
        f"story:{story.pk}",
        f"links:{story.pk}",
        f"story:{target.pk}",
        f"people:{blinken.pk}",  # "In this story" and "More on Antony Blinken"
        f"graph:{story.pk}",  # its thread: the stories linked to it and to those
        f"graph:{target.pk}",
    }
    assert keys_of(client.get(story.get_absolute_url())) == keys_of(page)  # the hit too
    front = keys_of(client.get("/"))
    assert {"everything", "latest", "linked", f"story:{story.pk}", f"story:{target.pk}"} <= front
    hub = keys_of(client.get(blinken.get_absolute_url()))
    assert hub == {"everything", f"people:{blinken.pk}", f"story:{story.pk}"}
    # Search and the sitemap index show any story (but not the links between them).
    assert keys_of(client.get("/search/?q=story")) == {"everything", "stories"}
    assert {"everything", "stories"} <= keys_of(client.get("/sitemap.xml"))
    assert keys_of(client.get("/news/no-such-story/")) == {"everything", "any-change"}


@pytest.mark.parametrize(
    ("header", "separator"), [("Cache-Tag", ","), ("xkey", " "), ("Surrogate-Key", " ")]
)
def test_the_header_is_the_one_the_cdn_reads(client, db, settings, header, separator):
    """Cloudflare reads Cache-Tag (comma-separated), Varnish's xkey module xkey and Fastly
    Surrogate-Key (space-separated)."""
    settings.NEWSROOM_SURROGATE_KEY_HEADER = header
    story = ArticleFactory()
    response = client.get(story.get_absolute_url())
    assert keys_of(response, header, separator) == {
        "everything",
        f"story:{story.pk}",
        f"links:{story.pk}",
        f"graph:{story.pk}",
    }


def test_no_keys_when_switched_off_or_private(client, db, settings, admin_user):
    """An empty header name sends none; nothing private (staff, the admin) ever has keys."""
    story = ArticleFactory()
    staff = Client()
    staff.force_login(admin_user)
    for response in (staff.get(story.get_absolute_url()), staff.get("/admin/")):
        assert "Surrogate-Key" not in response
    settings.NEWSROOM_SURROGATE_KEY_HEADER = ""
    assert "Surrogate-Key" not in client.get(story.get_absolute_url())


def test_a_not_modified_answer_keeps_the_keys(client, db):
    """A CDN revalidating its copy gets a 304 that still names what the page shows."""
    story = ArticleFactory()
    page = client.get(story.get_absolute_url())
    again = client.get(story.get_absolute_url(), headers={"if-none-match": page["ETag"]})
    assert again.status_code == 304
    assert keys_of(again) == keys_of(page)
    feed = client.get("/feed/rss/")
    cache.clear()  # as on another worker: the feed answers the conditional request itself
    answered_by_the_view = client.get("/feed/rss/", headers={"if-none-match": feed["ETag"]})
    assert answered_by_the_view.status_code == 304
    assert keys_of(answered_by_the_view) == keys_of(feed)


# How long a CDN may keep a page -----------------------------------------------------------


def test_cdn_copies_never_outlive_a_scheduled_publication(client, db, settings):
    """max-age plus stale-while-revalidate (and s-maxage, when set for CDNs) never reach past
    the next scheduled publication: a CDN may not serve, even stale, a page that misses
    the story going live, the front page cached before it was scheduled included."""
    settings.NEWSROOM_HTTP_SHARED_MAX_AGE = 3600
    ArticleFactory()
    assert directives(cached(client, "/")) == {
        "public": 0,
        "max-age": 60,
        "s-maxage": 3600,
        "stale-while-revalidate": 60,
        "stale-if-error": 86400,
    }
    at = timezone.now() + timedelta(seconds=100)
    ArticleFactory(published_at=at)
    for before in (90, 30, 1):
        with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=before)):
            found = directives(client.get("/"))
        longest = max(found["max-age"], found["s-maxage"])
        assert longest + found["stale-while-revalidate"] <= before, found


# Purging after a change -------------------------------------------------------------------


class RecordingPurger(cdn.Purger):
    """Records each batch instead of sending it; ``hold`` makes sending wait."""

    def __init__(self):
        super().__init__()
        self.sent = []
        self.hold = threading.Event()
        self.hold.set()
        self.failures = 0

    def send(self, keys):
        self.hold.wait(10)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("CDN unreachable")
        self.sent.append(list(keys))

    def purged(self) -> set[str]:
        return {key for batch in self.sent for key in batch}


@pytest.fixture
def purging(settings):
    """Use a purger (a dotted path and its settings); each test gets a new one."""
    caching._purgers.clear()
    settings.NEWSROOM_CDN_PURGE_AGAIN_SECONDS = 0

    def use(path="tests.test_cdn.RecordingPurger", **more):
        settings.NEWSROOM_CDN_PURGER = path
        for name, value in more.items():
            setattr(settings, name, value)
        purger = caching.cdn_purger()
        purger.retry_delays = (0.05, 0.05)
        return purger

    yield use
    for purger in caching._purgers.values():
        if isinstance(purger, RecordingPurger):
            purger.hold.set()
        purger.queue.flush(5)
    caching._purgers.clear()


def test_a_change_is_purged_after_it_commits(db, purging, django_capture_on_commit_callbacks):
    """Nothing is purged inside the transaction (a request could fetch the old page again
    before the commit); after it, the story's keys and pages depending on anything."""
    purger = purging()
    story = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "Harbour strike ends after talks"
        editing.save_article(article=story, base_revision=story.revision)
        assert purger.queue.flush(5)
        assert purger.sent == []
    assert purger.queue.flush(5)
    assert {f"story:{story.pk}", "any-change"} <= purger.purged()
    assert "everything" not in purger.purged()


def test_a_rolled_back_change_is_not_purged(transactional_db, purging):
    purger = purging()
    story = ArticleFactory()
    assert purger.queue.flush(5)
    purger.sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        story.headline = "Never saved"
        story.save()
        raise RuntimeError("the editor's save failed")
    assert purger.queue.flush(5)
    assert purger.sent == []


def test_everything_purges_everything(transactional_db, purging):
    """content_changed() with no keys (a rename, a bulk write) drops every page."""
    purger = purging()
    caching.content_changed()
    assert purger.queue.flush(5)
    assert purger.sent == [["everything"]]


def test_the_purge_is_off_the_request_path(transactional_db, purging):
    """The save returns while the CDN is still being asked; changes made meanwhile go in
    one request when it answers."""
    purger = purging()
    purger.hold.clear()
    story = ArticleFactory()
    started = time.monotonic()
    for n in range(3):
        story.headline = f"Update {n}"
        story.save()
    assert time.monotonic() - started < 2
    assert purger.sent == []
    purger.hold.set()
    assert purger.queue.flush(5)
    assert len(purger.sent) <= 2  # the one being sent when held, then all the others at once
    assert f"story:{story.pk}" in purger.purged()


def test_a_failing_cdn_never_fails_a_save(transactional_db, purging, caplog):
    """A purge that fails is logged and tried again; one that keeps failing is given up
    with an error, and every save went through."""
    purger = purging()
    purger.failures = 1
    with caplog.at_level(logging.WARNING, logger="newsroom.cdn"):
        story = ArticleFactory(headline="Storm reaches the coast")
        assert purger.queue.flush(5)
    assert "trying again" in caplog.text
    assert f"story:{story.pk}" in purger.purged()

    purger.failures = 10
    with caplog.at_level(logging.WARNING, logger="newsroom.cdn"):
        story.headline = "Storm weakens"
        story.save()
        assert purger.queue.flush(5)
    assert "giving up" in caplog.text
    story.refresh_from_db()
    assert story.headline == "Storm weakens"


def test_a_purge_is_sent_again_a_moment_later(transactional_db, purging, settings):
    """A page rendered from the old content while the change committed may reach the CDN
    after the purge: the same keys are purged again a few seconds later."""
    purger = purging()
    settings.NEWSROOM_CDN_PURGE_AGAIN_SECONDS = 0.3
    caching.content_changed(keys=["story:7"])
    assert purger.queue.flush(5)
    assert purger.sent == [["any-change", "stories", "story:7"]] * 2


def test_a_misconfigured_purger_stops_the_server_from_starting(settings):
    """CDN_PURGER=fastly without its credentials is refused when the server starts, not at
    the first save."""
    caching._purgers.clear()
    settings.NEWSROOM_CDN_PURGER = "newsroom.cdn.FastlyPurger"
    settings.NEWSROOM_FASTLY_API_TOKEN = ""
    with pytest.raises(ImproperlyConfigured, match="FASTLY_API_TOKEN"):
        PublicCacheMiddleware(lambda request: None)
    caching._purgers.clear()


# The purge APIs -------------------------------------------------------------------------------


@dataclass
class FakeCDN:
    """A local HTTP server standing in for a CDN's purge API."""

    url: str
    requests: list = field(default_factory=list)
    answers: deque = field(default_factory=deque)  # (status, JSON) to give, in order

    def bodies(self) -> list:
        return [json.loads(request["body"]) for request in self.requests]


@pytest.fixture
def fake_cdn():
    recorded, answers = [], deque()

    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            recorded.append(
                {"method": self.command, "path": self.path, "headers": headers, "body": body}
            )
            status, payload = answers.popleft() if answers else (200, {"success": True})
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PURGE = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeCDN(f"http://127.0.0.1:{server.server_address[1]}", recorded, answers)
    server.shutdown()
    server.server_close()


MANY_KEYS = frozenset(f"story:{n}" for n in range(300))


def test_fastly_purges_by_surrogate_key(fake_cdn, purging, caplog):
    """POST /service/<id>/purge with the API token, at most 256 keys a request; a 5xx is
    retried."""
    purger = purging(
        "newsroom.cdn.FastlyPurger",
        NEWSROOM_FASTLY_API_URL=fake_cdn.url + "/",
        NEWSROOM_FASTLY_API_TOKEN="fastly-token",
        NEWSROOM_FASTLY_SERVICE_ID="SU1Z0isxPaozGVKXdv0eY",
    )
    fake_cdn.answers.append((503, {"msg": "try later"}))
    with caplog.at_level(logging.WARNING, logger="newsroom.cdn"):
        purger.purge_later(MANY_KEYS)
        assert purger.queue.flush(5)
    assert "503" in caplog.text
    for request in fake_cdn.requests:
        assert request["method"] == "POST"
        assert request["path"] == "/service/SU1Z0isxPaozGVKXdv0eY/purge"
        assert request["headers"]["fastly-key"] == "fastly-token"
        assert request["headers"]["content-type"] == "application/json"
    sent = [body["surrogate_keys"] for body in fake_cdn.bodies()]
    assert all(len(keys) <= 256 for keys in sent)
    assert {key for keys in sent for key in keys} == MANY_KEYS | {"any-change"}
    assert len(sent) == 3  # two batches, one of them twice


def test_cloudflare_purges_by_cache_tag(fake_cdn, purging, caplog):
    """POST /zones/<id>/purge_cache with a bearer token, at most 100 tags a request; an
    answer that is not a success is retried."""
    purger = purging(
        "newsroom.cdn.CloudflarePurger",
        NEWSROOM_CLOUDFLARE_API_URL=fake_cdn.url + "/client/v4",
        NEWSROOM_CLOUDFLARE_API_TOKEN="cf-token",
        NEWSROOM_CLOUDFLARE_ZONE_ID="023e105f4ecef8ad9ca31a8372d0c353",
    )
    fake_cdn.answers.append((200, {"success": False, "errors": [{"code": 1134}]}))
    with caplog.at_level(logging.WARNING, logger="newsroom.cdn"):
        purger.purge_later(MANY_KEYS)
        assert purger.queue.flush(5)
    assert "1134" in caplog.text
    for request in fake_cdn.requests:
        assert request["method"] == "POST"
        assert request["path"] == "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"
        assert request["headers"]["authorization"] == "Bearer cf-token"
    sent = [body["tags"] for body in fake_cdn.bodies()]
    assert all(len(tags) <= 100 for tags in sent)
    assert {tag for tags in sent for tag in tags} == MANY_KEYS | {"any-change"}


def test_varnish_purges_every_server_by_xkey(fake_cdn, purging):
    """A PURGE request naming the keys in xkey-purge, to each Varnish."""
    purger = purging(
        "newsroom.cdn.VarnishPurger",
        NEWSROOM_VARNISH_PURGE_URLS=[fake_cdn.url + "/", fake_cdn.url + "/second/"],
    )
    purger.purge_later(frozenset({"story:1", "latest"}))
    assert purger.queue.flush(5)
    assert [(r["method"], r["path"]) for r in fake_cdn.requests] == [
        ("PURGE", "/"),
        ("PURGE", "/second/"),
    ]
    for request in fake_cdn.requests:
        assert request["headers"]["xkey-purge"] == "any-change latest story:1"


def test_a_save_reaches_the_cdn(transactional_db, fake_cdn, purging):
    """End to end: an edit of a story, committed, asks Fastly to purge its key."""
    purging(
        "newsroom.cdn.FastlyPurger",
        NEWSROOM_FASTLY_API_URL=fake_cdn.url,
        NEWSROOM_FASTLY_API_TOKEN="fastly-token",
        NEWSROOM_FASTLY_SERVICE_ID="service",
    )
    story = ArticleFactory()
    story.headline = "Corrected headline"
    editing.save_article(article=story, base_revision=story.revision)
    assert caching.cdn_purger().queue.flush(5)
    purged = {key for body in fake_cdn.bodies() for key in body["surrogate_keys"]}
    assert f"story:{story.pk}" in purged
