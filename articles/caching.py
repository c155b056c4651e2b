"""What the public page cache needs to know about content: what changed and when, what each
page shows, and until when the pages rendered now stay true.

Every change to public content inserts ``ContentChange`` rows, one per *key* of what it
changed: ``story:12`` (anything a story shows of itself, its live coverage and entries
included), ``links:12`` (its Also Read boxes and Related list), ``people:7`` /
``countries:`` / ``topics:`` / ``sections:`` / ``authors:`` (which live stories a hub
lists), ``graph:12`` (the links between live stories touching it: its thread), ``linked``
(any of those links), ``latest`` (which live stories exist, in which order: front page,
archive, site feeds), ``corrections`` (a notice added, amended or deleted: the corrections
page and feeds), ``stories`` (added to any change of a story or a hub:
``touches_stories()``), ``people:any`` and the like (added to any change of a hub of the
kind), or ``*`` (everything: renames, the breaking-news banner, and any write this
module does not understand). The newest row is the content *generation*.

A page records, when stored, the generation it was rendered under and the keys of what it
shows (views declare them with ``shows()``; a page that declares nothing shows everything).
It stays true while no newer row names one of its keys or ``*``: one small indexed query per
request, which also reads the current generation. The database is what every process shares
whatever the cache (each gunicorn worker's own local memory, or Redis that a shell or cron
job may not reach at that moment), so every process sees a change at once. Saving or
deleting anything of the ``articles`` app inserts rows (signals below); code that writes
with ``update()`` calls ``content_changed()`` itself, with the keys it changed if it knows
them. A CDN in front gets the same keys as surrogate keys, purged after each change commits
(``NEWSROOM_CDN_PURGER``, ``newsroom.cdn``), and ``content_committed`` tells whoever else
listens (``articles.websub`` pings a WebSub hub).

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
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import F, Q, Value
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal, receiver
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from .models import (
    TAG_KINDS,
    Article,
    AuditEntry,
    Author,
    BreakingNews,
    Byline,
    ContentChange,
    Correction,
    CrossLink,
    IngestToken,
    LiveEntry,
    NewsTag,
    Section,
    SlugRedirect,
    StoryVersion,
    TaggedBase,
    tag_kind_of,
)

logger = logging.getLogger(__name__)

PUBLIC_APPS = {"articles"}
# Rows of the app that no public page shows: writing or deleting them (purge_revisions deletes
# thousands of versions at once), an audit entry or an ingest token's use is no new content.
RECORDS = {AuditEntry, ContentChange, IngestToken, StoryVersion}
# How long values remembered for a generation live untouched; longer than a page's life.
GENERATION_SECONDS = 30 * 24 * 3600
# The generation of a database with no ContentChange row (emptied by a test's flush).
NO_CHANGE_YET = "0.000000-0"
# Every PRUNE_EVERY rows, the rows older than the newest KEEP_CHANGES are deleted. A change
# inserts a row per key it touches (a few, a few dozen for a story with many tags), and a
# page rendered before the oldest row kept is rendered again: keep well over an hour's worth.
PRUNE_EVERY = 500
KEEP_CHANGES = 50_000
# After the database failed to answer, this process serves under the last generation it saw
# for this long before asking again, so readers of cached pages do not each wait on it.
RETRY_AFTER = 5.0
# When this code was loaded (in gunicorn's master, before it forks the workers): templates
# and code may have changed then, so no page says it was last modified before.
LOADED_AT = timezone.now()

# Keys (see the module's docstring).
EVERYTHING = "*"
LATEST = "latest"
SECTIONS = "sections"
AUTHORS = "authors"
# The public record of corrections and clarifications (/corrections/ and its feeds), which a
# notice added, amended or deleted changes besides its story.
CORRECTIONS = "corrections"
# Any link between live stories (the front page's "Most linked-to", a thread cut short).
LINKED = "linked"
# Any change to a story, to which stories are live or to a hub (``touches_stories``): what
# search finds, the sitemap index's latest changes.
STORIES = "stories"
# The kinds of hub, as their keys (``hub_key``) name them.
HUB_KINDS = frozenset([*TAG_KINDS, SECTIONS, AUTHORS])
# A page showing more than this many things is treated as showing everything: its check
# stays one short query, and its keys fit a CDN's header (Varnish: 8 KB per header line).
MAX_KEYS = 500


def story_key(pk) -> str:
    """Anything the story shows: on its page, and on every card, box and item showing it."""
    return f"story:{pk}"


def links_key(pk) -> str:
    """The story's Also Read boxes and Related list: on its page and its feed items, not on
    the cards listing it."""
    return f"links:{pk}"


def graph_key(pk) -> str:
    """The links between live stories that touch the story, either way: its thread."""
    return f"graph:{pk}"


def touches_stories(key: str) -> bool:
    """Whether a change to ``key`` changes a story, which stories are live, or a hub (not
    only links between stories, nor only notices)."""
    return key not in (LINKED, CORRECTIONS, STORIES) and not key.startswith(("links:", "graph:"))


def any_hub_key(kind: str) -> str:
    """Added to every change of a hub of ``kind`` (``hub_key``): which hubs of the kind have
    live stories (the sitemap index counts them)."""
    return f"{kind}:any"


def hub_key(kind: str, pk) -> str:
    """Which live stories the hub lists (``kind`` as in its address: people, sections…)."""
    return f"{kind}:{pk}"


class _LastSeen:
    """What this process last read of the generation, and when to ask the database again."""

    token: str | None = None
    retry_at: float = 0.0


_last_seen = _LastSeen()
# The generation a request read at its start (``pinned_generation``), for the rest of it.
_pinned = ContextVar("public_content_generation", default=None)
# The timetable a request read first under its pinned generation, for the rest of it
# (``timed_changes``): (token, Timetable), or None.
_pinned_timetable = ContextVar("public_content_timetable", default=None)
# Whether reading the generation just failed, in this request (``pinned_generation``).
_unreadable = ContextVar("public_content_generation_unreadable", default=False)


@dataclass(frozen=True)
class Stamp:
    """What a stored page records of the content it was rendered from: the generation then,
    and the keys of what it shows (None: everything)."""

    token: str
    keys: frozenset[str] | None


def token_of(change_id: int, at: datetime) -> str:
    """The generation token of the ``ContentChange`` row ``change_id`` made at ``at``."""
    return f"{at.timestamp():.6f}-{change_id}"


def change_id(token: str) -> int:
    """The id of the ``ContentChange`` row a generation token names."""
    return int(token.rsplit("-", 1)[1])


# Stamps of stored pages found to hold, with the generation they were found holding under:
# while that is still the generation, nothing has changed since, and the page's hit skips
# the check of its keys. Per process.
_held_under: dict[Stamp, str] = {}
HELD_REMEMBERED = 10_000


def _read(stamp: Stamp | None) -> tuple[str, bool | None]:
    """The current generation and, for a stored page's ``stamp``, whether the page still
    holds: in one query, from the primary (a replica's newest row may lag behind the pages
    cached). The row the page was rendered under must still be there, unchanged (not
    pruned, not another database's), and no newer row may name what the page shows.

    Plain SQL, asked on every request: Django building the same query each time cost more
    CPU than a cached page's whole answer."""
    connection = connections[DEFAULT_DB_ALIAS]
    table = connection.ops.quote_name(ContentChange._meta.db_table)
    seen = change_id(stamp.token) if stamp else 0
    newest = f"FROM {table} ORDER BY id DESC LIMIT 1"  # noqa: S608 - our table's name
    if not seen:
        sql, params = f"SELECT id, at {newest}", []
    else:
        keys = [] if stamp.keys is None else [EVERYTHING, *sorted(stamp.keys)]
        named = f" AND key IN ({', '.join(['%s'] * len(keys))})" if keys else ""
        # Unchanged since it was found holding (or rendered): its keys need no looking up.
        known = change_id(_held_under.get(stamp, stamp.token))
        sql = (
            f"SELECT id, at, (SELECT at FROM {table} WHERE id = %s), "  # noqa: S608
            f"CASE WHEN id = %s THEN FALSE ELSE "
            f"EXISTS (SELECT 1 FROM {table} WHERE id > %s{named}) END {newest}"
        )
        params = [seen, known, seen, *keys]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if not seen:
        token = token_of(row[0], db_timestamp(row[1], connection)) if row else NO_CHANGE_YET
        # Rendered on an empty table: true while it stays empty.
        return token, None if stamp is None else token == NO_CHANGE_YET
    if row is None:
        return NO_CHANGE_YET, False
    pk, at, seen_at, changed = row
    seen_at = seen_at and db_timestamp(seen_at, connection)
    holds = seen_at is not None and token_of(seen, seen_at) == stamp.token and not changed
    token = token_of(pk, db_timestamp(at, connection))
    if holds:
        if len(_held_under) >= HELD_REMEMBERED:
            _held_under.clear()
        _held_under[stamp] = token
    return token, holds


def db_timestamp(value, connection) -> datetime:
    """A timestamp as a plain cursor reads it (SQLite: text or naive), made what the ORM
    would have made of it."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return value


def _held_when_last_seen(stamp: Stamp | None) -> bool:
    """While the database does not answer: whether the page was rendered under the last
    generation this process saw, or a later one (so it was true then)."""
    last = _last_seen.token
    return stamp is not None and last is not None and change_id(stamp.token) >= change_id(last)


def _generation(stamp: Stamp | None = None) -> tuple[str | None, bool | None]:
    if stamp is None and (token := _pinned.get()) is not None:
        return token, None
    if time.monotonic() < _last_seen.retry_at:
        return _last_seen.token, _held_when_last_seen(stamp)
    try:
        token, holds = _read(stamp)
    except DatabaseError as error:
        _unreadable.set(True)
        if not _last_seen.retry_at:
            logger.warning("Content generation unreadable (%s); serving the last one seen.", error)
        _last_seen.retry_at = time.monotonic() + RETRY_AFTER
        return _last_seen.token, _held_when_last_seen(stamp)
    _last_seen.token, _last_seen.retry_at = token, 0.0
    return token, holds


def generation() -> str | None:
    """The current content generation: one query, or none within ``pinned_generation()``.

    While the database does not answer, the last generation this process saw (None if it
    saw none), so the pages cached under it are still served during the outage.
    """
    return _generation()[0]


def database_unavailable() -> bool:
    """Whether the database failed to give the generation in this very request: a page
    that is not cached cannot be rendered either, so the reader should not wait for it a
    second time. (Later requests, which do not ask for the generation until RETRY_AFTER,
    render as usual: the database may be back.)"""
    return _unreadable.get()


@contextmanager
def pinned_generation(stamp: Stamp | None = None):
    """Read the generation once and use it for everything within the block (a request).

    Yields ``(token, holds)``: with the ``stamp`` of a page found in the cache, the same
    query tells whether that page still holds (else ``holds`` is None).
    """
    _unreadable.set(False)
    token, holds = _generation(stamp)
    reset = _pinned.set(token)
    reset_timetable = _pinned_timetable.set(None)
    try:
        yield token, holds
    finally:
        _pinned_timetable.reset(reset_timetable)
        _pinned.reset(reset)


# What a page shows -----------------------------------------------------------------------


@dataclass
class Shown:
    """The keys a page being rendered declared (``shows()``); none declared: everything."""

    keys: set[str] = field(default_factory=set)
    declared: bool = False
    # The request's fragments asked for so far (``articles.fragments``), by name: the kept
    # one, or None when there was none to use.
    fragments: dict = field(default_factory=dict)

    @property
    def frozen(self) -> frozenset[str] | None:
        """The keys declared, or None for everything (none declared, or too many)."""
        everything = not self.declared or len(self.keys) > MAX_KEYS
        return None if everything else frozenset(self.keys)

    def stamp(self, token: str) -> Stamp:
        return Stamp(token, self.frozen)


_shown = ContextVar("public_page_shows", default=None)


@contextmanager
def collecting_shown(into: Shown | None = None, inherit: bool = False):
    """Collect what the page rendered within the block shows (the page cache's middleware);
    or, ``into`` a page's, what a part of it shows (``articles.fragments``): the part's
    keys are the page's too, and with ``inherit`` the page's so far are the part's."""
    shown = Shown() if into is None else Shown(fragments=into.fragments)
    if into is not None and inherit:
        shown.keys, shown.declared = set(into.keys), into.declared
    reset = _shown.set(shown)
    try:
        yield shown
    finally:
        _shown.reset(reset)
        if into is not None and shown.declared:
            into.declared = True
            into.keys |= shown.keys


def current_shown() -> Shown | None:
    """What the public page being rendered has declared so far; None outside one."""
    return _shown.get()


def shows(*keys: str, stories: Iterable = ()) -> None:
    """Declare what the page being rendered shows: keys (``LATEST``, ``hub_key(…)``) and
    ``stories`` (each shown in any form: page, card, link, item). The page is then rendered
    afresh only when one of these changes. A page that declares nothing shows everything;
    one that declares something must declare all it shows. Outside a public request
    (staff, commands), nothing happens."""
    shown = _shown.get()
    if shown is not None:
        shown.declared = True
        shown.keys.update(keys)
        shown.keys.update(story_key(story.pk) for story in stories)


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


# Changes ---------------------------------------------------------------------------------


def _bump(using: str = DEFAULT_DB_ALIAS, keys: frozenset[str] | None = None) -> None:
    """Insert the rows of a change: one per key, or one for everything. Outside a
    transaction, prune now and then; never inside one, where deleting would lock rows
    another editor's save may want."""
    rows = [ContentChange(key=key) for key in sorted(keys)] if keys is not None else []
    rows = ContentChange.objects.using(using).bulk_create(rows or [ContentChange()])
    _pinned.set(None)  # a request that changed content reads the new generation
    newest = max((row.pk for row in rows if row.pk), default=0)
    crossed = newest // PRUNE_EVERY != (newest - len(rows)) // PRUNE_EVERY
    if newest and crossed and not connections[using].in_atomic_block:
        prune_changes(newest - KEEP_CHANGES, using)


def prune_changes(below: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete the rows older than ``below``: one statement, no signals, no rows fetched."""
    table = connections[using].ops.quote_name(ContentChange._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id < %s", [below])  # noqa: S608


def content_changed(using: str | None = None, keys: Iterable[str] | None = None) -> None:
    """Record that public content changed: everything, or only what ``keys`` name
    (``story_key()``, ``hub_key()``, ``LATEST``; ``changed_story_keys()`` for a story).

    Recorded now, and again when the current transaction commits. Now, so that the request
    that made the change sees it; on commit, because a request on another connection may
    have rendered the old data meanwhile and stored it under the generation made now (or
    under a newer one, if a concurrent transaction's row got a higher id and committed
    first). After the commit the CDN is told too (``NEWSROOM_CDN_PURGER``), off the request
    path. Code that changes public content with ``update()`` or bulk operations (which
    send no signals) calls this itself.
    """
    using = using or DEFAULT_DB_ALIAS
    keys = None if keys is None else frozenset(keys)
    if keys is not None and (EVERYTHING in keys or len(keys) > MAX_KEYS):
        keys = None
    if keys is not None and not keys:
        return
    if keys is not None:
        keys |= {STORIES} if any(touches_stories(key) for key in keys) else set()
        keys |= {any_hub_key(key.split(":")[0]) for key in keys if key.split(":")[0] in HUB_KINDS}
    _bump(using, keys)
    if connections[using].in_atomic_block:
        # robust: the change itself is committed by then; a failure here is only logged.
        transaction.on_commit(functools.partial(_committed, using, keys), using=using, robust=True)
    else:
        purge_cdn(keys)
        announce(using, keys)


def _committed(using: str, keys: frozenset[str] | None) -> None:
    try:
        _bump(using, keys)
    finally:
        # After the rows: a CDN fetching the page again must not get the old one from here.
        purge_cdn(keys)
        announce(using, keys)


# Sent once a change to public content is committed, with the keys it changed (None:
# everything), for those outside the site to be told (articles.websub pings a WebSub hub).
# Receivers hand slow work to a thread of their own, as the CDN purger does.
content_committed = Signal()


def announce(using: str, keys: frozenset[str] | None) -> None:
    """Tell ``content_committed``'s receivers; a failing one is logged, never raised: the
    change is committed already."""
    for receiver_function, outcome in content_committed.send_robust(
        sender=ContentChange, keys=keys, using=using
    ):
        if isinstance(outcome, Exception):
            logger.error(
                "%s failed after a change committed: %r", receiver_function.__name__, outcome
            )


_purgers: dict[str, object] = {}


def cdn_purger():
    """The purger ``NEWSROOM_CDN_PURGER`` names (a dotted path to a class such as
    ``newsroom.cdn.VarnishPurger``), one per process; None without a CDN."""
    path = settings.NEWSROOM_CDN_PURGER
    if not path:
        return None
    if path not in _purgers:
        _purgers[path] = import_string(path)()
    return _purgers[path]


def purge_cdn(keys: frozenset[str] | None) -> None:
    """Have the CDN drop its copies of the pages showing ``keys`` (None: every page), off
    the request path. Never fails a save: the change is committed already."""
    try:
        purger = cdn_purger()
        if purger is not None:
            purger.purge_later(keys)
    except Exception:  # a misconfigured purger must not turn a committed save into a 500
        logger.exception("Could not hand the changed keys to the CDN purger.")


# What a write changes --------------------------------------------------------------------

_LISTING = ("status", "published_at", "section_id")
# Rows that belong to a story (besides tag rows): what they change is named by their keys.
ROW_MODELS = (CrossLink, SlugRedirect, Byline, Correction, LiveEntry)


def _listing(article) -> tuple:
    return tuple(getattr(article, name) for name in _LISTING)


def _showing_stories_and_hubs(article: Article, *, relisted: bool, regraphed: bool, using: str):
    """Keys of the links to ``article`` (Also Read boxes linking to it, or pending links
    resolving to it as it is saved), with ``relisted``, of the hubs listing it, and with
    ``regraphed``, of the stories it links to or from (their threads); one query."""
    links = CrossLink.objects.using(using)
    keyed = [
        links.filter(
            Q(target=article.pk) | Q(target__isnull=True, target_key=article.headline_key)
        ).annotate(kind=Value("links"), ref=F("source"))
    ]
    if regraphed:
        keyed += [
            links.filter(target=article.pk).annotate(kind=Value("graph"), ref=F("source")),
            links.filter(source=article.pk, target__isnull=False).annotate(
                kind=Value("graph"), ref=F("target")
            ),
        ]
    if relisted:
        keyed += [
            getattr(Article, kind)
            .through.objects.using(using)
            .filter(content_object=article.pk)
            .annotate(kind=Value(kind), ref=F("tag"))
            for kind in TAG_KINDS
        ]
        keyed.append(
            Byline.objects.using(using)
            .filter(article=article.pk)
            .annotate(kind=Value(AUTHORS), ref=F("author"))
        )
    parts = [part.order_by().values_list("kind", "ref") for part in keyed]
    rows = parts[0].union(*parts[1:], all=True).order_by() if len(parts) > 1 else parts[0]
    return {f"{kind}:{ref}" for kind, ref in rows}


def changed_story_keys(
    article: Article,
    *,
    relisted: bool,
    sections=(),
    using: str | None = None,
    regraphed: bool = False,
) -> set[str]:
    """What a change to ``article`` changes: the story wherever it shows, the links to it;
    and, when ``relisted`` (it went live or off, moved in time or section), the lists of
    live stories: ``LATEST``, its hubs and ``sections`` (its section by default; pass the
    old and the new one when it moved), and the threads it joins or leaves, as when
    ``regraphed`` (its save resolved pending links to it)."""
    using = using or DEFAULT_DB_ALIAS
    regraphed = regraphed or relisted
    keys = {story_key(article.pk)}
    keys |= _showing_stories_and_hubs(article, relisted=relisted, regraphed=regraphed, using=using)
    if regraphed:
        keys |= {graph_key(article.pk), LINKED}
    if relisted:
        keys.add(LATEST)
        keys.update(hub_key(SECTIONS, pk) for pk in sections or [article.section_id] if pk)
    return keys


def _article_saved(article: Article, created: bool, using: str) -> set[str]:
    published = Article.Status.PUBLISHED
    before = getattr(article, "_listing_before", None)
    now = _listing(article)
    if created or before is None:
        relisted = article.status == published
    else:
        relisted = before != now and published in (before[0], now[0])
    sections = {now[2], before[2] if before else None}
    regraphed = bool(getattr(article, "_resolved_links", 0))
    return changed_story_keys(
        article, relisted=relisted, sections=sections, using=using, regraphed=regraphed
    )


def _row_keys(model, row, created: bool) -> set[str] | None:
    """What saving or deleting ``row`` changes, for the models this module understands:
    a set of keys (empty: nothing public), or None for everything."""
    if model in RECORDS:
        return set()
    if model is CrossLink:
        ends = {graph_key(pk) for pk in (row.source_id, row.target_id) if pk}
        return {links_key(row.source_id), LINKED, *ends}
    if model is Correction:
        # Shown on its story's page and feed items, and on the corrections page and feeds.
        return {story_key(row.article_id), CORRECTIONS}
    if model in (SlugRedirect, LiveEntry):
        # Its old address answers 301 to it; a live entry shows on its page, its
        # new-entries endpoint and (a key event) its feed items.
        return {story_key(row.article_id)}
    if model is LiveEntry.authors.through:
        # Added and removed with the manager, whose m2m_changed names the entry's story
        # (``_relations_changed``), or deleted with the entry or author, which say theirs.
        return set()
    if model is BreakingNews:
        return None  # the banner is on every page
    if model is Byline:
        return {story_key(row.article_id), hub_key(AUTHORS, row.author_id)}
    if issubclass(model, TaggedBase):
        keys = {story_key(row.content_object_id)}
        if row.listed_at is not None:  # listed on the tag's hub (TaggedBase.listed_at)
            keys.add(hub_key(tag_kind_of(model.tag_model()), row.tag_id))
        return keys
    # A new section, author or tag is on no page yet; renaming or deleting one changes
    # every page naming it (cards, feed items, chips…): everything.
    hub_kind = {Section: SECTIONS, Author: AUTHORS}.get(model)
    if hub_kind is None and issubclass(model, NewsTag):
        hub_kind = tag_kind_of(model)
    if created and hub_kind:
        return {hub_key(hub_kind, row.pk)}
    return None


def _is_public(model) -> bool:
    return model._meta.app_label in PUBLIC_APPS


@receiver(pre_save, dispatch_uid="public-content-saving")
def _saving(sender, instance, raw=False, using=None, **kwargs):
    """Note what an update replaces: where a story was listed, or the row's old keys (a
    link moved to another story, a byline to another author)."""
    if raw or instance._state.adding or not _is_public(sender):
        return
    stored = sender._base_manager.using(using).filter(pk=instance.pk)
    if sender is Article:
        instance._listing_before = stored.values_list(*_LISTING).first()
    elif sender in ROW_MODELS or issubclass(sender, TaggedBase):
        old = stored.first()
        instance._keys_before = _row_keys(sender, old, created=False) if old else set()


@receiver(post_save, dispatch_uid="public-content-saved")
def _saved(sender, instance, created=False, raw=False, using=None, **kwargs):
    if not _is_public(sender):
        return
    if raw:
        keys = None
    elif sender is Article:
        keys = _article_saved(instance, created, using or DEFAULT_DB_ALIAS)
    else:
        keys = _row_keys(sender, instance, created)
        before = getattr(instance, "_keys_before", set())
        keys = None if keys is None or before is None else keys | before
    if keys is None or keys:
        content_changed(using, keys)


@receiver(pre_delete, dispatch_uid="public-content-deleting")
def _deleting(sender, instance, using=None, **kwargs):
    """A story is gone from everything showing it: known before the delete, while the links
    to it still point at it (the delete empties them without signals)."""
    if sender is Article:
        listed = instance.status == Article.Status.PUBLISHED
        content_changed(using, changed_story_keys(instance, relisted=listed, using=using))


@receiver(post_delete, dispatch_uid="public-content-deleted")
def _deleted(sender, instance, using=None, **kwargs):
    if _is_public(sender) and sender is not Article:
        keys = _row_keys(sender, instance, created=False)
        if keys is None or keys:
            content_changed(using, keys)


@receiver(m2m_changed, dispatch_uid="public-content-relinked")
def _relations_changed(sender, action, instance, reverse, pk_set, using=None, **kwargs):
    """Relations written without their rows' own signals: ``article.authors.add()`` (the
    other writes of bylines and tags save or delete rows one by one, which say what they
    change)."""
    if not action.startswith("post_") or not _is_public(sender):
        return
    if issubclass(sender, TaggedBase) or (sender is Byline and action != "post_add"):
        return
    if sender is Byline:
        stories, authors = (pk_set, [instance.pk]) if reverse else ([instance.pk], pk_set)
        keys = {story_key(pk) for pk in stories} | {hub_key(AUTHORS, pk) for pk in authors}
        content_changed(using, keys)
    elif sender is LiveEntry.authors.through:
        content_changed(using, _entries_stories(instance, reverse, pk_set, using))
    else:
        content_changed(using)


def _entries_stories(instance, reverse: bool, pk_set, using: str | None) -> set[str] | None:
    """The keys of the stories whose live entries' authors changed: the entry's own story
    (``entry.authors``), or those of the entries named (``author.live_entries``; None for
    everything after ``clear()``, which names none)."""
    if not reverse:
        return {story_key(instance.article_id)}
    if pk_set is None:
        return None
    entries = LiveEntry.objects.using(using or DEFAULT_DB_ALIAS).filter(pk__in=pk_set)
    return {story_key(pk) for pk in entries.values_list("article_id", flat=True)}


# Time ------------------------------------------------------------------------------------


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
    for model, column, condition in TIMED:
        times = model.objects.filter(**condition).values_list(column, flat=True)
        passed.append(times.filter(**{f"{column}__lte": now}).order_by(f"-{column}").first())
        upcoming.append(times.filter(**{f"{column}__gt": now}).order_by(column).first())
    banner = BreakingNews.objects.shown(now).values("text", "link").first()
    return Timetable(
        last_change=max(filter(None, passed), default=None),
        next_change=min(filter(None, upcoming), default=None),
        banner=banner,
    )


def timed_changes(token: str | None) -> Timetable:
    """The ``Timetable`` of now, remembered for the generation ``token`` until its next
    change: once per generation, not per page.

    Within a request (``pinned_generation``), the one it read first, whatever the clock
    says later: what it renders was read from the database as live then, so whatever it
    keeps (pages, parts, figures) must end at *that* timetable's next change, even when
    the change passes while it renders (``expiry``)."""
    pinned = _pinned_timetable.get()
    if pinned is not None and token is not None and pinned[0] == token:
        return pinned[1]
    now = timezone.now()
    key = f"public-content:timetable:{token}"
    timetable = cache.get(key) if token is not None else None
    if not isinstance(timetable, Timetable) or (
        timetable.next_change is not None and timetable.next_change <= now
    ):
        timetable = _timetable(now)
        if token is not None:
            cache.set(key, timetable, GENERATION_SECONDS)
    if token is not None and token == _pinned.get():
        _pinned_timetable.set((token, timetable))
    return timetable


def breaking_news(token: str | None = None) -> dict | None:
    """The breaking-news banner every public page shows now (``text``, ``link``), or None;
    from the timetable, so a page costs no query for it."""
    return timed_changes(token).banner


def last_modified(token: str, timetable: Timetable | None = None) -> datetime:
    """When the pages rendered under ``token`` last changed: the generation's time, or a
    timed change since (a scheduled story going live, coverage ending, a banner expiring),
    or this code being loaded. The same in every worker, so a conditional request is
    answered alike whichever worker it reaches. ``timetable``: the one the page was
    rendered under (``expiry``)."""
    changed = (timetable or timed_changes(token)).last_change
    return max(filter(None, (changed_at(token), changed, LOADED_AT)))


def settled(changed, started) -> bool:
    """Whether a page rendered from what was there at ``started`` may say it was last
    modified at ``changed``: only in an earlier second. Last-Modified counts whole seconds,
    so a copy made in the very second of its last change could be followed by another
    change in that second with the same Last-Modified, and a client revalidating it with
    If-Modified-Since alone would be told its copy is current (304) for as long as nothing
    changes in a later second (RFC 9110, 8.8.2.2). Such a copy has its ETag only."""
    return int(changed.timestamp()) < int(started.timestamp())


def expiry(token: str | None, longest: int, timetable: Timetable | None = None) -> datetime:
    """Until when a page rendered now may be served: ``longest`` seconds at most, and never
    past the next timed change (a scheduled publication, the end of live coverage, a
    banner's expiry).

    ``timetable``: the one read *before* rendering (``timed_changes``). A timed change
    passing while the page renders ends it, as it was rendered from what was live before:
    the timetable read afterwards would only name the timed change after that one, and
    the page would miss the story gone live until then."""
    until = timezone.now() + timedelta(seconds=longest)
    at = (timetable or timed_changes(token)).next_change
    return min(until, at) if at else until


def remembered(key: str, compute, longest: int = GENERATION_SECONDS):
    """``compute()``, kept for the current content generation and while it stays true.

    For figures that are costly to work out and change only with content or time, such as
    how many live stories a hub has: computed once per generation (and again at the next
    timed change, such as a scheduled story going live), not on every request. While the
    generation is unknown (the database has not answered this process yet), computed each
    time.
    """
    token = generation()
    if token is None:
        return compute()
    cache_key = f"public-content:{token}:{key}"
    value = cache.get(cache_key)
    if value is None:
        timetable = timed_changes(token)  # before computing: see ``expiry``
        value = compute()
        seconds = int((expiry(token, longest, timetable) - timezone.now()).total_seconds())
        if seconds >= 1:  # not past a timed change it may not have seen
            cache.set(cache_key, value, seconds)
    return value
