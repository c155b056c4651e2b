"""Rendered parts of public pages, kept between requests and shared between pages.

A page the public cache holds whole (``newsroom.middleware``) is rendered again as soon as
anything it shows changes: the front page after every publication, a feed when any of its
fifty stories changes, a story's page when a story in its sidebar does. Most of what it
renders then is what it rendered before. A *fragment* is such a part — a story's body with
its Also Read boxes, a hub's list of stories, a feed item — kept in Django's cache with the
stamp of what it shows (``caching.Stamp``: the generation it was rendered under and the
keys it declared with ``caching.shows()``), and used again while none of those keys has
changed since, and no timed change (a scheduled story going live) has happened either.
Every fragment a page asks for is checked in one query, however many there are.

Only within a public request (an anonymous reader's GET or HEAD, which the page cache's
middleware collects the keys of; also when ``NEWSROOM_PAGE_CACHE`` is off): a preview or a
staff member's page neither reads nor fills this cache. A fragment used again declares its
keys again, so the page's own cache entry and its CDN surrogate keys still name everything
on it. ``NEWSROOM_FRAGMENT_CACHE`` (on unless ``DEBUG``) turns it off.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from . import caching
from .models import ContentChange

PREFIX = "fragment:"


def _key(name: str) -> str:
    """The cache key of a part: its name hashed, as names hold addresses of any length and
    characters (a 500-character search, a Unicode slug) and caches want short plain keys."""
    return PREFIX + hashlib.sha256(name.encode()).hexdigest()


@dataclass(frozen=True)
class Kept:
    """A fragment as stored: its HTML (or other text), what it shows and when it was made."""

    html: object  # text as rendered, or a value (``remembered``)
    stamp: caching.Stamp
    # The last timed change known when it was rendered (``caching.timed_changes``).
    timed: datetime | None


def name(request, *parts) -> str:
    """A fragment's name: its ``parts`` on the site the request was made to (a part may
    hold absolute addresses, which name the scheme and host)."""
    if (site := getattr(request, "_fragment_site", None)) is None:
        site = request._fragment_site = f"{request.scheme}://{request.get_host()}"
    return "|".join([site, *map(str, parts)])


def _request_state():
    """The current public request's ``caching.Shown``, or None outside one."""
    shown = caching.current_shown()
    if shown is None or not settings.NEWSROOM_FRAGMENT_CACHE:
        return None
    return shown


def _generation() -> str | None:
    token = caching.generation()
    return None if token in (None, caching.NO_CHANGE_YET) else token


def fetch(names: Iterable[str]) -> dict[str, SafeString]:
    """The fragments among ``names`` that are kept and still true, by name, each of their
    keys declared for the page; one query for all of them (none when all were rendered
    under the current generation). What was asked is remembered for the request, so
    ``render()`` does not ask again."""
    shown = _request_state()
    names = list(dict.fromkeys(names))
    token = _generation() if shown is not None else None
    if token is None or not names:
        return {}
    known = shown.fragments
    wanted = [name for name in names if name not in known]
    if wanted:
        stored = cache.get_many([_key(name) for name in wanted])
        kept = {
            name: entry
            for name in wanted
            if isinstance(entry := stored.get(_key(name)), Kept) and entry.stamp.keys is not None
        }
        timed = caching.timed_changes(token).last_change
        kept = {name: entry for name, entry in kept.items() if entry.timed == timed}
        holding = _still_true(kept, token)
        for name in wanted:
            known[name] = kept[name] if name in holding else None
    found = {}
    for name in names:
        if (entry := known.get(name)) is not None:
            caching.shows(*entry.stamp.keys)
            # Text is stored as rendered, safe then; other values (``remembered``) as they are.
            found[name] = mark_safe(entry.html) if isinstance(entry.html, str) else entry.html  # noqa: S308
    return found


def peek(name: str):
    """What is kept under ``name``, unchecked and undeclared: only to choose what else to
    ``fetch()`` with it in the same query (a feed's items with the list naming them). None
    when nothing is kept or outside a public request."""
    if _request_state() is None:
        return None
    entry = cache.get(_key(name))
    return entry.html if isinstance(entry, Kept) else None


def render(name: str, produce: Callable[[], str], *, inherit: bool = True) -> SafeString:
    """The fragment ``name``: kept, or ``produce()``-d now and kept, with the keys declared
    while producing it and, if ``inherit``, those the page declared before (what the view
    worked out for it). Outside a public request, simply ``produce()``."""
    shown = _request_state()
    token = _generation() if shown is not None else None
    if token is None:
        return produce()
    found = fetch([name]).get(name)
    if found is not None:
        return found
    # Read before producing it: a part produced across a timed change (a scheduled story
    # going live meanwhile) was made from what was live before it (``caching.expiry``).
    timetable = caching.timed_changes(token)
    with caching.collecting_shown(into=shown, inherit=inherit) as inner:
        html = produce()
    stamp = inner.stamp(token)
    # Kept no longer than a page would be (``caching.expiry``); never one showing everything.
    seconds = (
        caching.expiry(token, settings.NEWSROOM_PAGE_CACHE_SECONDS, timetable) - timezone.now()
    ).total_seconds()
    if stamp.keys is not None and seconds >= 1:
        value = str(html) if isinstance(html, str) else html
        cache.set(_key(name), Kept(value, stamp, timetable.last_change), int(seconds))
        shown.fragments[name] = None  # this request made it; later asks get it afresh
    return html


def remembered(name: str, keys: Iterable[str], compute: Callable):
    """``compute()``, kept like a part (``render``) under ``name`` while ``keys`` hold: for
    a figure costly to work out and changed by few kinds of change, such as how many hubs
    of a kind have live stories. Outside a public request, computed every time."""
    keys = list(keys)

    def produce():
        caching.shows(*keys)
        return compute()

    return render(name, produce, inherit=False)


def _still_true(kept: dict[str, Kept], token: str) -> set[str]:
    """The names among ``kept`` whose stamps still hold under the generation ``token``: in
    one query, the rows they were rendered under (which must still be there, unchanged)
    and the newest row naming each of their keys."""
    current = caching.change_id(token)
    holding = {name for name, entry in kept.items() if entry.stamp.token == token}
    rest = {
        name: entry
        for name, entry in kept.items()
        if name not in holding and caching.change_id(entry.stamp.token) < current
    }
    if not rest:
        return holding
    seen = {caching.change_id(entry.stamp.token) for entry in rest.values()}
    keys = sorted({caching.EVERYTHING}.union(*(entry.stamp.keys for entry in rest.values())))
    connection = connections[DEFAULT_DB_ALIAS]
    table = connection.ops.quote_name(ContentChange._meta.db_table)
    sql = (
        f"SELECT id, at, NULL FROM {table} WHERE id IN ({', '.join(['%s'] * len(seen))}) "  # noqa: S608
        f"UNION ALL SELECT MAX(id), NULL, key FROM {table} "
        f"WHERE id > %s AND key IN ({', '.join(['%s'] * len(keys))}) GROUP BY key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sorted(seen), min(seen), *keys])
        rows = cursor.fetchall()
    tokens = {
        caching.token_of(pk, caching.db_timestamp(at, connection))
        for pk, at, key in rows
        if key is None
    }
    newest = {key: pk for pk, at, key in rows if key is not None}
    for name, entry in rest.items():
        rendered = caching.change_id(entry.stamp.token)
        changed = any(
            newest.get(key, 0) > rendered for key in (caching.EVERYTHING, *entry.stamp.keys)
        )
        if entry.stamp.token in tokens and not changed:
            holding.add(name)
    return holding
