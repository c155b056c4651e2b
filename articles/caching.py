"""What the public page cache needs to know about content: when it changed, and until when
the pages rendered now stay true.

Cached pages are stored under the current content *generation*, a token kept in the cache.
Saving or deleting anything of the ``articles`` app (stories, links, bylines, sections,
authors, tags and their throughs — and models added later) sets a new token, so every cached
page is left behind at once and the next request renders afresh. One rule for all pages,
with no per-view code: a story's page, the Also Read boxes pointing at it, its hubs, the
front page, feeds and sitemaps all change together.

The token is random rather than a counter: if Redis evicts or loses it, a counter starting
again at 1 could meet pages cached under the old 1. It starts with the time it was made,
which is when public content last changed.

Time changes content too: a scheduled story goes live at its ``published_at`` with nobody
saving anything. So a page is true until the next scheduled publication at most
(``expiry()``), and no cron job is needed.
"""

import secrets
import time
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import Article

GENERATION_KEY = "public-content:generation"
PUBLIC_APPS = {"articles"}
# How long the generation token lives untouched; anything longer than a page's life will do.
GENERATION_SECONDS = 30 * 24 * 3600


def _new_token() -> str:
    return f"{time.time():.6f}-{secrets.token_hex(6)}"


def generation() -> str | None:
    """The current content generation, or None when the cache is unavailable."""
    token = cache.get(GENERATION_KEY)
    if getattr(cache, "recovered", False):
        # Redis was unreachable for a while (newsroom.cache): content changed meanwhile could
        # not start a new generation, so the pages cached before may have outlived it.
        cache.recovered = False
        token = _new_token()
        cache.set(GENERATION_KEY, token, GENERATION_SECONDS)
    elif token is None:
        token = _new_token()
        if not cache.add(GENERATION_KEY, token, GENERATION_SECONDS):
            token = cache.get(GENERATION_KEY)  # another process made one first, or no cache
    return token


def changed_at(token: str) -> datetime:
    """When public content last changed, as far as this generation knows."""
    return datetime.fromtimestamp(float(token.split("-", 1)[0]), tz=UTC)


def _bump() -> None:
    cache.set(GENERATION_KEY, _new_token(), GENERATION_SECONDS)


def content_changed(using: str | None = None) -> None:
    """Start a new generation now, and again when the current transaction commits.

    Now, so that the request that made the change sees it; on commit, because a request on
    another connection may have rendered the old data meanwhile and stored it under the
    generation made now. Code that changes public content with ``update()`` or bulk
    operations (which send no signals) calls this itself.
    """
    _bump()
    transaction.on_commit(_bump, using=using)


@receiver(post_save, dispatch_uid="public-content-saved")
@receiver(post_delete, dispatch_uid="public-content-deleted")
def _saved_or_deleted(sender, using=None, **kwargs):
    if sender._meta.app_label in PUBLIC_APPS:
        content_changed(using)


@receiver(m2m_changed, dispatch_uid="public-content-relinked")
def _relations_changed(sender, action, using=None, **kwargs):
    if action.startswith("post_") and sender._meta.app_label in PUBLIC_APPS:
        content_changed(using)


def next_publication(token: str | None = None) -> datetime | None:
    """When the next scheduled story goes live; remembered for the generation ``token``."""
    now = timezone.now()
    key = f"public-content:next-publication:{token}"
    if token is not None:
        remembered = cache.get(key)
        if remembered == "none":
            return None
        if remembered is not None and remembered > now:
            return remembered
    at = (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    if token is not None:
        cache.set(key, at or "none", GENERATION_SECONDS)
    return at


def expiry(token: str | None, longest: int) -> datetime:
    """Until when a page rendered now may be served: ``longest`` seconds at most, and never
    past the next scheduled publication."""
    until = timezone.now() + timedelta(seconds=longest)
    at = next_publication(token)
    return min(until, at) if at else until


def remembered(key: str, compute, longest: int = GENERATION_SECONDS):
    """``compute()``, kept for the current content generation and while it stays true.

    For figures that are costly to work out and change only with content or time, such as
    how many live stories a hub has: computed once per generation (and again when the next
    scheduled story goes live), not on every request. Without a cache, computed each time.
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
