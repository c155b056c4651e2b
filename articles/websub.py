"""WebSub (https://www.w3.org/TR/websub/): feeds name a hub, and the hub is told which feeds
changed, so feed readers subscribed there get a story within seconds instead of polling.

With ``NEWSROOM_WEBSUB_HUB_URL`` set, every feed (the site's, each hub's, the corrections
feeds; RSS, Atom and JSON Feed) names the hub and its own address, in a ``Link`` header and
in the feed (``atom:link rel="hub"``/``rel="self"``, JSON Feed ``hubs``), and after each
change to public content commits, the hub gets a ``hub.mode=publish`` ping for each feed
that change touched. Which feeds those are follows from the change's keys
(``articles.caching``): ``latest`` the site feeds, a hub's key its feeds, a live story's
key the site feeds and the feeds of every hub it is on, ``corrections`` the corrections
feeds. The pings go through the CDN purger's queue (``newsroom.cdn``): off the request
path, batched, retried with growing delays, logged, never failing a save.

A scheduled or embargoed story going live changes feeds with nobody saving: ``manage.py
ping_hub``, run every minute by cron, pings the feeds of the stories that went live since.
"""

import logging
import urllib.parse
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Value
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from newsroom import cdn

from . import caching
from .models import TAG_KINDS, Article, Author, Byline, Section, tag_model

logger = logging.getLogger(__name__)

FEED_FORMATS = ("rss", "atom", "json")
HUB_KINDS = (*TAG_KINDS, caching.SECTIONS, caching.AUTHORS)
# A change touching more feeds than this pings the site-wide ones only: the hub is a
# courtesy to subscribers, not a second copy of the site.
MAX_TOPICS = 300


def hub_url() -> str:
    """The hub's address, or "" while WebSub is off."""
    return settings.NEWSROOM_WEBSUB_HUB_URL


def public_url(path: str) -> str:
    """``path`` on the site's public address (``BASE_URL``); the path alone without one
    (Django's feeds then add the requested host)."""
    return f"{settings.NEWSROOM_BASE_URL}{path}"


def link_header(self_url: str) -> str:
    """The ``Link`` header of a feed at ``self_url`` while WebSub is on."""
    return f'<{hub_url()}>; rel="hub", <{self_url}>; rel="self"'


def site_feeds() -> set[str]:
    return {public_url(reverse("articles:feed", kwargs={"format": f})) for f in FEED_FORMATS}


def corrections_feeds() -> set[str]:
    return {
        public_url(reverse("articles:corrections_feed", kwargs={"format": f})) for f in FEED_FORMATS
    }


def hub_feeds(kind: str, slug: str) -> set[str]:
    return {
        public_url(reverse("articles:hub_feed", kwargs={"kind": kind, "slug": slug, "format": f}))
        for f in FEED_FORMATS
    }


def hub_model(kind: str):
    return {caching.SECTIONS: Section, caching.AUTHORS: Author}.get(kind) or tag_model(kind)


def hubs_of_live_stories(pks: set[int], using: str) -> tuple[bool, set[tuple[str, int]]]:
    """Whether any of the stories ``pks`` is live, and the hubs (kind, pk) those that are
    live are on; two queries."""
    live = dict(
        Article.objects.using(using).live().filter(pk__in=pks).values_list("pk", "section_id")
    )
    hubs = {(caching.SECTIONS, section) for section in live.values() if section}
    if not live:
        return False, hubs
    parts = [
        getattr(Article, kind)
        .through.objects.using(using)
        .filter(content_object__in=live)
        .annotate(kind=Value(kind), ref=F("tag"))
        for kind in TAG_KINDS
    ]
    parts.append(
        Byline.objects.using(using)
        .filter(article__in=live)
        .annotate(kind=Value(caching.AUTHORS), ref=F("author"))
    )
    rows = [part.order_by().values_list("kind", "ref") for part in parts]
    hubs |= set(rows[0].union(*rows[1:], all=True))
    return True, hubs


def changed_feeds(keys: frozenset[str] | None, using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """The addresses of the feeds a change with ``keys`` (None: everything) touched."""
    if keys is None:
        return site_feeds() | corrections_feeds()
    topics, hubs, stories = set(), set(), set()
    for key in keys:
        kind, _, ref = key.partition(":")
        if key == caching.LATEST:
            # A story went live or left: the site feeds, and the corrections feeds (a story
            # leaving takes its notices along).
            topics |= site_feeds() | corrections_feeds()
        elif key == caching.CORRECTIONS:
            topics |= corrections_feeds()
        elif kind in ("story", "links") and ref.isdigit():
            stories.add(int(ref))
        elif kind in HUB_KINDS and ref.isdigit():
            hubs.add((kind, int(ref)))
    if stories:
        any_live, live_hubs = hubs_of_live_stories(stories, using)
        hubs |= live_hubs
        if any_live:
            topics |= site_feeds()
    by_kind: dict[str, set[int]] = {}
    for kind, pk in hubs:
        by_kind.setdefault(kind, set()).add(pk)
    for kind, pks in by_kind.items():
        slugs = hub_model(kind).objects.using(using).filter(pk__in=pks).values_list("slug")
        for (slug,) in slugs:
            topics |= hub_feeds(kind, slug)
    if len(topics) > MAX_TOPICS:
        return site_feeds() | corrections_feeds()
    return topics


class HubPinger(cdn.Purger):
    """Tells the hub which feeds changed: one ``hub.mode=publish`` POST a feed, naming it
    as ``hub.url`` (what most hubs read) and ``hub.topic`` (what WebSub calls it). The
    CDN purger's queue sends them: off the request path, each feed retried on its own."""

    batch_size = 1
    timeout = 5.0
    retry_delays = (2.0, 10.0, 60.0, 300.0)

    def __init__(self, url: str):
        self.url = url
        super().__init__()

    def send(self, keys: list[str]) -> None:
        for topic in keys:
            body = urllib.parse.urlencode(
                {"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}
            ).encode()
            request = urllib.request.Request(  # noqa: S310 (the operator's URL, from settings)
                self.url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()

    def ping_later(self, topics) -> None:
        if topics:
            self.queue.put(sorted(topics))


_pingers: dict[str, HubPinger] = {}


def pinger() -> HubPinger | None:
    """The pinger of the configured hub, one per process; None while WebSub is off."""
    url = hub_url()
    if not url:
        return None
    if url not in _pingers:
        _pingers[url] = HubPinger(url)
    return _pingers[url]


@receiver(caching.content_committed, dispatch_uid="websub-ping-after-commit")
def ping_after_commit(sender, keys, using=DEFAULT_DB_ALIAS, **kwargs):
    """After a change commits: the feeds it touched, to the hub (if there is one)."""
    hub = pinger()
    if hub is not None:
        hub.ping_later(changed_feeds(keys, using))


def went_live(since: timedelta, now=None) -> list[Article]:
    """The stories that went live in the last ``since`` (scheduled or embargoed ones
    reaching their time, and any published meanwhile)."""
    now = now or timezone.now()
    return list(Article.objects.live(at=now).filter(published_at__gt=now - since))


def ping_went_live(since: timedelta, now=None) -> set[str]:
    """Ping the hub with the feeds of the stories that went live in the last ``since``;
    the feeds pinged. Nothing while WebSub is off."""
    hub = pinger()
    if hub is None:
        return set()
    stories = went_live(since, now)
    if not stories:
        return set()
    keys = set()
    for story in stories:
        keys |= caching.changed_story_keys(story, relisted=True)
    topics = changed_feeds(frozenset(keys))
    hub.ping_later(topics)
    return topics
