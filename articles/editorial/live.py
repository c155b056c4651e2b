"""Live coverage: editors start and end it, the story's writers and editors post short timed
entries to it, and readers follow them on the story's page (``articles.reader.live``).

The rules, for the admin and ``manage.py add_live_entry`` alike:

- Coverage runs on a live story only, from when an editor (``articles.publish_article``)
  starts it until its end time: now when an editor ends it, or a time set in advance.
  Starting or ending it changes what the story shows (the "Live" marker), so it moves the
  story's revision, like publishing, and is written to the audit log in the same
  transaction.
- Entries are posted while coverage runs, by editors and by writers bylined on the story
  (a byline names an ``Author``; ``Author.user`` is the account writing under it). Writers
  edit the entries of such stories too; deleting one is an editor's call, and is logged.
- An entry is its own row with its own revision (an edit opened before another is refused).
  Posting one does not move the story's revision: a desk posting every minute must not make
  an editor's open story form stale, and the form does not hold entries, so it cannot undo
  one. A key event (posted, or edited while key) moves the story's ``updated_at``: that is
  the update readers see (the page's "Updated" line, the feed item's time, sitemaps).
- Every write is public content: the entry's own save makes a new content generation
  (``articles.caching``), naming the story's key (``story:<pk>``): its page, its new-entries
  endpoint and the cards with its "Live" marker render afresh, no other page; writes
  through ``update()`` call ``caching.content_changed()`` with that key.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from articles import caching
from articles.models import Article, ArticleQuerySet, AuditEntry, Author, Byline, LiveEntry

PUBLISH_PERMISSION = "articles.publish_article"
SHOWN = "j F Y, H:i T"

NOT_LIVE = "“%(headline)s” is not live (it is %(state)s): only a story readers see is covered live."
NOT_STARTED = "Live coverage of “%(headline)s” has not started: an editor starts it first."
ENDED = "Live coverage of “%(headline)s” ended on %(ended)s."
RUNNING = "Live coverage of “%(headline)s” is running already."
END_IN_THE_PAST = "Coverage cannot end before now or before it started (%(started)s)."
STALE_ENTRY = (
    "Not saved: someone changed this entry after you opened it. Reload the page to see "
    "their version, then make your change again."
)
GONE_ENTRY = "Not saved: this entry was deleted after you opened it."


class StaleEntry(Exception):
    """Someone else saved (or deleted) the entry after this edit began."""


# Who may do what ---------------------------------------------------------------------------


def may_manage_coverage(user) -> bool:
    """Starting and ending coverage is an editor's act."""
    return user.has_perm(PUBLISH_PERMISSION)


def is_bylined(user, article: Article) -> bool:
    """Whether ``user`` writes under one of the story's bylines (``Author.user``)."""
    return (
        user.pk is not None
        and Byline.objects.filter(article=article.pk, author__user=user.pk).exists()
    )


def _story_writer(user, article: Article) -> bool:
    """Editors write to any story's coverage; writers to that of live stories they are
    bylined on, while it runs."""
    if may_manage_coverage(user):
        return True
    return article.is_live() and article.covered_live and is_bylined(user, article)


def may_post(user, article: Article) -> bool:
    """Whether ``user`` may post entries to ``article``'s coverage (that it runs is
    ``post_entry``'s to check, for everyone)."""
    return user.has_perm("articles.add_liveentry") and _story_writer(user, article)


def may_edit_entries(user, article: Article) -> bool:
    """Whether ``user`` may edit the entries of ``article``'s coverage."""
    return user.has_perm("articles.change_liveentry") and _story_writer(user, article)


def may_delete_entries(user) -> bool:
    return user.has_perm("articles.delete_liveentry") and may_manage_coverage(user)


def default_authors(user) -> list[Author]:
    """Who an entry is by when nobody says: the poster's own byline, if they have one."""
    if user is None or user.pk is None:
        return []
    return list(Author.objects.filter(user=user.pk))


# Coverage ----------------------------------------------------------------------------------


def _locked_story(article: Article) -> dict:
    """The stored story's state, its row locked until the transaction ends."""
    return (
        Article.objects.select_for_update()
        .filter(pk=article.pk)
        .values(
            "headline",
            "status",
            "published_at",
            "coverage_started_at",
            "coverage_ends_at",
            "revision",
        )
        .get()
    )


def _state_of(stored: dict) -> str:
    return Article(
        coverage_started_at=stored["coverage_started_at"],
        coverage_ends_at=stored["coverage_ends_at"],
    ).coverage_state()


def format_time(moment) -> str:
    return date_format(timezone.localtime(moment), SHOWN)


def not_live_refusal(stored: dict, at=None) -> ValidationError | None:
    """Why a story with these stored values cannot be covered live now, or None."""
    if ArticleQuerySet.is_live_row(stored["status"], stored["published_at"], at=at):
        return None
    state = (
        "scheduled"
        if stored["status"] == Article.Status.PUBLISHED
        else Article.Status(stored["status"]).label.lower()
    )
    return ValidationError(
        NOT_LIVE, params={"headline": stored["headline"], "state": state}, code="not_live"
    )


def _check_end(ends_at, *, started, now) -> None:
    if ends_at is not None and (ends_at < now or ends_at < started):
        raise ValidationError(
            END_IN_THE_PAST, params={"started": format_time(started)}, code="end_in_the_past"
        )


def _write_coverage(article: Article, changes: dict, stored: dict) -> None:
    """The story's coverage times and a new revision in one statement (a story form opened
    before is refused rather than writing them back), and a new content generation."""
    Article.objects.filter(pk=article.pk).bump_revision(**changes)
    for name, value in changes.items():
        setattr(article, name, value)
    article.revision = stored["revision"] + 1
    # update() sends no signal. What coverage changes shows wherever the story does (its
    # page and endpoint, the "Live" marker on its cards): every page listing it declares
    # the story, so its key is all that changed.
    caching.content_changed(keys=[caching.story_key(article.pk)])


@transaction.atomic
def start_coverage(*, article: Article, ends_at=None, user=None, actor: str = "") -> Article:
    """Start live coverage of a live story now, until ``ends_at`` (None: until an editor
    ends it). Coverage that ended is resumed: it keeps its first start. ``ValidationError``
    for a story readers cannot see, coverage running already, or an end in the past."""
    stored = _locked_story(article)
    now = timezone.now()
    if refusal := not_live_refusal(stored, at=now):
        raise refusal
    state = _state_of(stored)
    if state == "live":
        raise ValidationError(RUNNING, params={"headline": stored["headline"]}, code="running")
    started = stored["coverage_started_at"] if state == "ended" else now
    _check_end(ends_at, started=started, now=now)
    changes = {"coverage_started_at": started, "coverage_ends_at": ends_at}
    _write_coverage(article, changes, stored)
    detail = "Resumed after it ended." if state == "ended" else ""
    if ends_at is not None:
        detail = f"{detail} Ends {format_time(ends_at)}.".strip()
    AuditEntry.objects.log(
        AuditEntry.Action.COVERAGE_STARTED, article, user=user, actor=actor, detail=detail
    )
    return article


@transaction.atomic
def end_coverage(*, article: Article, at=None, user=None, actor: str = "") -> Article:
    """End running coverage now, or at ``at`` (a later time, which may be moved again until
    then). ``ValidationError`` unless it runs."""
    stored = _locked_story(article)
    now = timezone.now()
    state = _state_of(stored)
    if state != "live":
        raise coverage_refusal(stored, state)
    ends_at = at or now
    _check_end(ends_at, started=stored["coverage_started_at"], now=now)
    _write_coverage(article, {"coverage_ends_at": ends_at}, stored)
    AuditEntry.objects.log(
        AuditEntry.Action.COVERAGE_ENDED,
        article,
        user=user,
        actor=actor,
        detail="" if at is None else f"Ends {format_time(ends_at)}.",
    )
    return article


def coverage_refusal(stored: dict, state: str) -> ValidationError:
    """Why entries cannot be posted to coverage in ``state`` ("" or "ended")."""
    if state == "ended":
        return ValidationError(
            ENDED,
            params={
                "headline": stored["headline"],
                "ended": format_time(stored["coverage_ends_at"]),
            },
            code="ended",
        )
    return ValidationError(NOT_STARTED, params={"headline": stored["headline"]}, code="not_started")


# Entries -----------------------------------------------------------------------------------


def posting_refusal(article: Article, at=None) -> ValidationError | None:
    """Why no entry can be posted to ``article`` now (as stored), or None."""
    stored = (
        Article.objects.filter(pk=article.pk)
        .values("headline", "status", "published_at", "coverage_started_at", "coverage_ends_at")
        .get()
    )
    if refusal := not_live_refusal(stored, at=at):
        return refusal
    state = _state_of(stored)
    return None if state == "live" else coverage_refusal(stored, state)


def _key_event_shown(article_pk: int, at) -> None:
    """A key event is the story's news: its updated time moves (never back). Called after
    the entry's own save, whose signal makes a new content generation when the transaction
    commits, this update() included."""
    earlier = Q(updated_at__lt=at) | Q(updated_at__isnull=True)
    Article.objects.filter(earlier, pk=article_pk).update(updated_at=at)


@transaction.atomic
def post_entry(
    *,
    article: Article,
    body: str,
    headline: str = "",
    is_key: bool = False,
    authors=None,
    user=None,
) -> LiveEntry:
    """Post an entry to the running coverage of ``article``, by ``authors`` (default: the
    poster's own byline). ``ValidationError`` when coverage does not run or the entry is
    empty or too long. Permission is the caller's to check (``may_post``)."""
    now = timezone.now()
    if refusal := posting_refusal(article, at=now):
        raise refusal
    entry = LiveEntry(
        article=article,
        headline=headline,
        body=body,
        is_key=is_key,
        created_at=now,
        created_by=user if getattr(user, "pk", None) else None,
    )
    entry.full_clean()
    entry.save()
    entry.authors.set(default_authors(user) if authors is None else authors)
    if is_key:
        _key_event_shown(article.pk, now)
    return entry


def check_entry_revision(*, entry: LiveEntry, base_revision: int | None) -> None:
    """Lock the stored entry until the transaction ends; ``StaleEntry`` unless it is still
    at ``base_revision``, the revision the edit began from."""
    stored = LiveEntry.objects.select_for_update().filter(pk=entry.pk).values("revision").first()
    if stored is None or base_revision is None or stored["revision"] != base_revision:
        raise StaleEntry(None if stored is None else stored["revision"])


@transaction.atomic
def save_entry(*, entry: LiveEntry, base_revision: int | None, user=None) -> LiveEntry:
    """Save an edited entry: refused (``StaleEntry``) if it changed since ``base_revision``;
    readers see it as updated when its text, headline or key flag changed."""
    check_entry_revision(entry=entry, base_revision=base_revision)
    stored = LiveEntry.objects.filter(pk=entry.pk).values("headline", "body", "is_key").get()
    entry.full_clean()
    if all(stored[name] == getattr(entry, name) for name in stored):
        return entry
    now = timezone.now()
    entry.updated_at = now
    entry.revision = base_revision + 1
    entry.save()
    if entry.is_key:
        _key_event_shown(entry.article_id, now)
    return entry


@transaction.atomic
def delete_entry(*, entry: LiveEntry, user=None, actor: str = "") -> None:
    """Delete an entry (it leaves the page, feeds and JSON-LD at once), recorded in the
    audit log. Permission is the caller's to check (``may_delete_entry``: editors)."""
    AuditEntry.objects.log(
        AuditEntry.Action.DELETED,
        entry,
        user=user,
        actor=actor,
        detail=f"From the live coverage of “{entry.article.headline}”.",
    )
    entry.delete()
