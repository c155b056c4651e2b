"""What the public page cache needs to know about content: when it changed, and until when
the pages rendered now stay true.

Cached pages are stored under the current content *generation*: the newest ``ContentChange``
row, read from the primary database with one small indexed query per request. The database
is what every process shares whatever the cache (each gunicorn worker's own local memory,
or Redis that a shell or cron job may not reach at that moment), so every process sees a
change at once. Saving or deleting anything of the ``articles`` app (stories, links,
bylines, sections, authors, tags and their throughs — and models added later) inserts a
row, so every cached page is left behind at once and the next request renders afresh. One
rule for all pages, with no per-view code: a story's page, the Also Read boxes pointing at
it, its hubs, the front page, feeds and sitemaps all change together.

The token names the row's id and time: its time is when public content last changed, and a
database restored from a backup, whose ids start again lower, still makes new tokens.

Time changes content too: a scheduled story goes live at its ``published_at``, live coverage
ends at its end time and a breaking-news banner expires, with nobody saving anything. So a
page is true until the next such change at most (``expiry()``, ``timed_changes()``), and no
cron job is needed.
"""

import functools
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import Article, AuditEntry, BreakingNews, ContentChange, StoryVersion

logger = logging.getLogger(__name__)

PUBLIC_APPS = {"articles"}
# Rows of the app that no public page shows: writing or deleting them (purge_revisions deletes
# thousands of versions at once) or an audit entry is no new content.
RECORDS = {AuditEntry, ContentChange, StoryVersion}
# How long values remembered for a generation live untouched; longer than a page's life.
GENERATION_SECONDS = 30 * 24 * 3600
# The generation of a database with no ContentChange row (emptied by a test's flush).
NO_CHANGE_YET = "0.000000-0"
# Every PRUNE_EVERY changes, the rows older than the newest KEEP_CHANGES are deleted.
PRUNE_EVERY = 100
KEEP_CHANGES = 1000
# After the database failed to answer, this process serves under the last generation it saw
# for this long before asking again, so readers of cached pages do not each wait on it.
RETRY_AFTER = 5.0
# When this code was loaded (in gunicorn's master, before it forks the workers): templates
# and code may have changed then, so no page says it was last modified before.
LOADED_AT = timezone.now()


class _LastSeen:
    """What this process last read of the generation, and when to ask the database again."""

    token: str | None = None
    retry_at: float = 0.0


_last_seen = _LastSeen()
# The generation a request read at its start (``pinned_generation``), for the rest of it.
_pinned = ContextVar("public_content_generation", default=None)
# Whether reading the generation just failed, in this request (``pinned_generation``).
_unreadable = ContextVar("public_content_generation_unreadable", default=False)


def _token(change_id: int, at: datetime) -> str:
    return f"{at.timestamp():.6f}-{change_id}"


def _newest() -> str:
    # The primary, never a replica: a replica's newest row may lag behind the pages cached.
    row = ContentChange.objects.using(DEFAULT_DB_ALIAS).values_list("pk", "at").first()
    return _token(*row) if row else NO_CHANGE_YET


def generation() -> str | None:
    """The current content generation: one query, or none within ``pinned_generation()``.

    While the database does not answer, the last generation this process saw (None if it
    saw none), so the pages cached under it are still served during the outage.
    """
    token = _pinned.get()
    if token is not None:
        return token
    if time.monotonic() < _last_seen.retry_at:
        return _last_seen.token
    try:
        token = _newest()
    except DatabaseError as error:
        _unreadable.set(True)
        if not _last_seen.retry_at:
            logger.warning("Content generation unreadable (%s); serving the last one seen.", error)
        _last_seen.retry_at = time.monotonic() + RETRY_AFTER
        return _last_seen.token
    _last_seen.token, _last_seen.retry_at = token, 0.0
    return token


def database_unavailable() -> bool:
    """Whether the database failed to give the generation in this very request: a page
    that is not cached cannot be rendered either, so the reader should not wait for it a
    second time. (Later requests, which do not ask for the generation until RETRY_AFTER,
    render as usual: the database may be back.)"""
    return _unreadable.get()


@contextmanager
def pinned_generation():
    """Read the generation once and use it for everything within the block (a request)."""
    _unreadable.set(False)
    reset = _pinned.set(generation())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(reset)


def reads_query_params(*names: str):
    """Declare the query parameters a function view reads; class-based views set a
    ``query_params`` attribute instead. The public page cache keys pages on these alone
    and drops every other parameter before the view (``newsroom.middleware``), so that
    ``?utm_source=…`` cannot fill the cache: a view reads nothing it has not declared."""

    def declare(view):
        @functools.wraps(view)
        def declared(*args, **kwargs):
            return view(*args, **kwargs)

        declared.query_params = names
        return declared

    return declare


def changed_at(token: str) -> datetime:
    """When public content last changed, as far as this generation knows."""
    return datetime.fromtimestamp(float(token.split("-", 1)[0]), tz=UTC)


def _bump(using: str = DEFAULT_DB_ALIAS) -> None:
    """Start a new generation: a new newest row. Outside a transaction, prune now and then;
    never inside one, where deleting would lock rows another editor's save may want."""
    change = ContentChange.objects.using(using).create()
    _pinned.set(None)  # a request that changed content reads the new generation
    if change.pk % PRUNE_EVERY == 0 and not connections[using].in_atomic_block:
        prune_changes(change.pk - KEEP_CHANGES, using)


def prune_changes(below: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete the rows older than ``below``: one statement, no signals, no rows fetched."""
    table = connections[using].ops.quote_name(ContentChange._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id < %s", [below])  # noqa: S608


def content_changed(using: str | None = None) -> None:
    """Start a new generation now, and again when the current transaction commits.

    Now, so that the request that made the change sees it; on commit, because a request on
    another connection may have rendered the old data meanwhile and stored it under the
    generation made now (or under a newer one, if a concurrent transaction's row got a
    higher id and committed first). Code that changes public content with ``update()`` or
    bulk operations (which send no signals) calls this itself.
    """
    using = using or DEFAULT_DB_ALIAS
    _bump(using)
    if connections[using].in_atomic_block:
        # robust: the change itself is committed by then; a failure here is only logged.
        transaction.on_commit(functools.partial(_bump, using), using=using, robust=True)


@receiver(post_save, dispatch_uid="public-content-saved")
@receiver(post_delete, dispatch_uid="public-content-deleted")
def _saved_or_deleted(sender, using=None, **kwargs):
    if sender._meta.app_label in PUBLIC_APPS and sender not in RECORDS:
        content_changed(using)


@receiver(m2m_changed, dispatch_uid="public-content-relinked")
def _relations_changed(sender, action, using=None, **kwargs):
    if action.startswith("post_") and sender._meta.app_label in PUBLIC_APPS:
        content_changed(using)


@dataclass(frozen=True)
class Timetable:
    """What time alone changes in public content, as one generation knows it: when such a
    change last happened and when the next one will (a scheduled story going live, live
    coverage reaching its end time, a breaking-news banner expiring), and the banner shown
    until then (its ``text`` and ``link``, or None)."""

    last_change: datetime | None
    next_change: datetime | None
    banner: dict | None = None


# The times at which public content changes with nobody saving anything: (model, field, which
# rows count). Each costs two short index scans per content generation.
TIMED = (
    (Article, "published_at", {"status": Article.Status.PUBLISHED}),
    (Article, "coverage_ends_at", {}),
    (BreakingNews, "expires_at", {}),
)


def _timetable(now: datetime) -> Timetable:
    passed, upcoming = [], []
    for model, field, condition in TIMED:
        times = model.objects.filter(**condition).values_list(field, flat=True)
        passed.append(times.filter(**{f"{field}__lte": now}).order_by(f"-{field}").first())
        upcoming.append(times.filter(**{f"{field}__gt": now}).order_by(field).first())
    banner = BreakingNews.objects.shown(now).values("text", "link").first()
    return Timetable(
        last_change=max(filter(None, passed), default=None),
        next_change=min(filter(None, upcoming), default=None),
        banner=banner,
    )


def timed_changes(token: str | None) -> Timetable:
    """The ``Timetable`` of now, remembered for the generation ``token`` until its next
    change: once per generation, not per page."""
    now = timezone.now()
    key = f"public-content:timetable:{token}"
    if token is not None:
        remembered = cache.get(key)
        if isinstance(remembered, Timetable) and (
            remembered.next_change is None or remembered.next_change > now
        ):
            return remembered
    timetable = _timetable(now)
    if token is not None:
        cache.set(key, timetable, GENERATION_SECONDS)
    return timetable


def next_timed_change(token: str | None = None) -> datetime | None:
    """When time alone next changes public content (``timed_changes``)."""
    return timed_changes(token).next_change


def breaking_news(token: str | None = None) -> dict | None:
    """The breaking-news banner every public page shows now (``text``, ``link``), or None;
    from the timetable, so a page costs no query for it."""
    return timed_changes(token).banner


def last_modified(token: str) -> datetime:
    """When the pages rendered under ``token`` last changed: the generation's time, or a
    timed change since (a scheduled story going live, coverage ending, a banner expiring),
    or this code being loaded. The same in every worker, so a conditional request is
    answered alike whichever worker it reaches."""
    changed = timed_changes(token).last_change
    return max(filter(None, (changed_at(token), changed, LOADED_AT)))


def expiry(token: str | None, longest: int) -> datetime:
    """Until when a page rendered now may be served: ``longest`` seconds at most, and never
    past the next timed change (a scheduled publication, the end of live coverage, a
    banner's expiry)."""
    until = timezone.now() + timedelta(seconds=longest)
    at = next_timed_change(token)
    return min(until, at) if at else until


def remembered(key: str, compute, longest: int = GENERATION_SECONDS):
    """``compute()``, kept for the current content generation and while it stays true.

    For figures that are costly to work out and change only with content or time, such as
    how many live stories a hub has: computed once per generation (and again when the next
    scheduled story goes live), not on every request. While the generation is unknown (the
    database has not answered this process yet), computed each time.
    """
    token = generation()
    if token is None:
        return compute()
    cache_key = f"public-content:{token}:{key}"
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        seconds = (expiry(token, longest) - timezone.now()).total_seconds()
        cache.set(cache_key, value, max(1, int(seconds)))
    return value
