"""Editorial writes: publishing, archiving, wire copy, slug history and link curation.

The admin calls these keyword-only functions instead of writing rows itself, so each
editorial rule lives in one place and holds for any caller. Permissions are checked by the
caller (the admin); these functions keep the data consistent.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from articles import caching, text
from articles.models import (
    Article,
    ArticleQuerySet,
    AuditEntry,
    CrossLink,
    SlugRedirect,
    StoryVersion,
)

# Fields whose change on a live story is a correction readers should see as "Updated".
CONTENT_FIELDS = (
    "headline",
    "standfirst",
    "body",
    "lead_image_id",
)


# What an ordinary edit or status change may not do: a takedown is made and reversed only by
# take_down and reverse_takedown, each recorded with its reason.
TAKEN_DOWN_STAYS_DOWN = "This story was taken down; only reversing the takedown can bring it back."
TAKEDOWN_IS_ITS_OWN_ACT = "A story is taken down with its reason, by “Take down…”, not by a save."
# The stories that can be taken down: those readers could see. A draft or a scheduled story
# never was public, so there is nothing to take down; it answers 404 as before.
WAS_PUBLIC = (Article.Status.PUBLISHED, Article.Status.ARCHIVED)


class StaleRevision(Exception):
    """Someone else saved the story after this edit began."""


@dataclass(frozen=True)
class WireCopy:
    """A body with its ``Also Read:``/``Related:`` paragraphs taken out as link specs."""

    body: str
    links: list[text.LinkSpec]


def split_wire_copy(*, body: str) -> WireCopy:
    """Sanitise a submitted body and lift its link paragraphs out, as the importer does.

    Raises ``text.EmptyLinkError`` for an ``Also Read:`` line with no headline.
    """
    blocks = text.html_blocks(text.sanitise_html(body))
    kept, links = text.extract_links(blocks, as_text=text.html_to_text)
    return WireCopy(body="\n".join(kept), links=links)


def add_wire_links(*, article: Article, links: list[text.LinkSpec]) -> list[CrossLink]:
    """Create the links written in pasted copy, resolved by headline or left pending.

    A headline the story already links to (or its own) is skipped, so saving the same copy
    twice adds nothing.
    """
    created = []
    taken = {article.headline_key} | set(article.links_out.values_list("target_key", flat=True))
    top_order = article.links_out.aggregate(top=Max("order"))["top"]
    base_order = 0 if top_order is None else top_order + 1
    for spec in links:
        key = text.headline_key(spec.headline)
        if key in taken:
            continue
        taken.add(key)
        target = (
            Article.objects.by_headline(spec.headline)
            .exclude(pk=article.pk)
            .exclude(links_in__source=article)
            .order_by("-published_at", "pk")
            .first()
        )
        link = CrossLink(
            source=article,
            target=target,
            target_headline=spec.headline,
            placement=spec.placement,
            order=base_order + spec.order,
        )
        link.full_clean()
        link.save()
        created.append(link)
    if created:
        Article.objects.filter(pk=article.pk).bump_revision()
    return created


def check_revision(*, article: Article, base_revision: int | None, fields=()) -> dict:
    """The stored story's ``revision`` and ``fields``, its row locked until the transaction
    ends. ``StaleRevision`` unless ``base_revision``, the revision the edit began from, is
    the stored one: an edit that does not say where it began could undo any change since."""
    stored = (
        Article.objects.select_for_update().filter(pk=article.pk).values("revision", *fields).get()
    )
    if base_revision is None or stored["revision"] != base_revision:
        raise StaleRevision(stored["revision"])
    return stored


@transaction.atomic
def save_article(*, article: Article, base_revision: int | None = None, user=None) -> Article:
    """Save an edited story: revision guard and bump, updated time, old slug kept as redirect.

    ``base_revision`` is the revision the edit began from; it is needed for a story that
    exists already (``StaleRevision`` without it). The caller records the new version
    (``StoryVersion.objects.capture``) once it has written the story's tags, bylines and
    links too.
    """
    now = timezone.now()
    if article.pk is None:
        article.created_by = article.created_by or user
        article.full_clean()
        article.save()
        SlugRedirect.objects.filter(old_slug=article.slug).delete()
        AuditEntry.objects.log_story_transition(article, before=None, user=user)
        return article

    stored = check_revision(
        article=article,
        base_revision=base_revision,
        fields=("slug", "status", "published_at", "updated_at", *CONTENT_FIELDS),
    )
    # Key events of live coverage move updated_at without a new revision (editing.live); a
    # form loaded a moment before one must not write the older time back.
    article.updated_at = max(filter(None, (article.updated_at, stored["updated_at"])), default=None)
    StoryVersion.objects.keep_baseline(article)
    was_live = ArticleQuerySet.is_live_row(stored["status"], stored["published_at"], at=now)
    check_takedown_kept(stored["status"], article.status)
    article.full_clean()
    # Compared with what is stored, after cleaning: re-saving the same text is no update.
    content_changed = any(stored[name] != getattr(article, name) for name in CONTENT_FIELDS)
    if was_live and article.status == Article.Status.PUBLISHED and content_changed:
        article.updated_at = now
    article.revision = stored["revision"] + 1
    article.save()
    if stored["slug"] != article.slug:
        SlugRedirect.objects.filter(old_slug=article.slug).delete()
        SlugRedirect.objects.update_or_create(
            old_slug=stored["slug"], defaults={"article": article}
        )
    AuditEntry.objects.log_story_transition(
        article, before=(stored["status"], stored["published_at"]), user=user
    )
    return article


def check_takedown_kept(stored_status: str, status: str) -> None:
    """``ValidationError`` for a save or status change that would take a story down or
    bring one back: those are ``take_down`` and ``reverse_takedown``, with a reason, an
    audit entry and the editor's permission."""
    withdrawn = Article.Status.WITHDRAWN
    if stored_status == withdrawn and status != withdrawn:
        raise ValidationError({"status": TAKEN_DOWN_STAYS_DOWN}, code="taken_down")
    if stored_status != withdrawn and status == withdrawn:
        raise ValidationError({"status": TAKEDOWN_IS_ITS_OWN_ACT}, code="takedown_by_save")


def publish(*, article: Article, at=None, user=None) -> Article:
    """Publish now, or at ``at``; a story with a future time is scheduled."""
    check_takedown_kept(article.status, Article.Status.PUBLISHED)
    before = (article.status, article.published_at)
    article.status = Article.Status.PUBLISHED
    article.published_at = at or article.published_at or timezone.now()
    return _save_status(article, before=before, user=user)


def archive(*, article: Article, user=None) -> Article:
    check_takedown_kept(article.status, Article.Status.ARCHIVED)
    before = (article.status, article.published_at)
    article.status = Article.Status.ARCHIVED
    return _save_status(article, before=before, user=user)


def _save_status(article: Article, *, before, user) -> Article:
    article.full_clean()
    with transaction.atomic():
        StoryVersion.objects.keep_baseline(article)
        Article.objects.filter(pk=article.pk).bump_revision(
            status=article.status, published_at=article.published_at
        )
        article.relist()
        AuditEntry.objects.log_story_transition(article, before=before, user=user)
        StoryVersion.objects.capture(article, user=user)
    # update() sends no signal: the public pages showing this story, and the lists it joined
    # or left, must be rendered afresh.
    caching.content_changed(keys=caching.changed_story_keys(article, relisted=True))
    article.refresh_from_db(fields=["revision"])
    return article


def takedown_refusal(status: str, published_at, at=None) -> str:
    """Why a story with this status and publication time cannot be taken down, or ''."""
    if status == Article.Status.WITHDRAWN:
        return "This story is taken down already."
    if status not in WAS_PUBLIC or not (published_at and published_at <= (at or timezone.now())):
        return (
            "This story was never published, so readers cannot have seen it: its address "
            "answers 404 already. Leave it unpublished, or delete it."
        )
    return ""


def withholds_headline_by_default(reason: str) -> bool:
    """Whether the 410 notice leaves the headline out unless the editor says otherwise: for
    legal and privacy reasons the headline itself may be what must not be repeated."""
    return reason in (Article.TakedownReason.LEGAL, Article.TakedownReason.PRIVACY)


def takedown_detail(article: Article) -> str:
    """The takedown as the audit log records it: reason, note, whether the notice names it."""
    detail = f"Reason: {article.get_takedown_reason_display().lower()}."
    if article.takedown_note:
        detail += f" Public note: {article.takedown_note}"
    headline = "withheld" if article.takedown_withholds_headline else "shown"
    return f"{detail} Headline {headline} on the notice."


@transaction.atomic
def take_down(
    *,
    article: Article,
    reason: str,
    note: str = "",
    withhold_headline: bool | None = None,
    base_revision: int | None = None,
    user=None,
    actor: str = "",
) -> Article:
    """Take a story readers could see off every public surface: from now on each of its
    addresses answers 410 Gone with a short notice (``reason``, ``note``, and the headline
    unless ``withhold_headline``, by default for legal and privacy reasons).

    Checked against ``base_revision`` (default: the revision of ``article`` as the caller
    read it), recorded in the audit log with the reason, and public pages change when the
    transaction commits. ``ValidationError`` for a story that was never public, one taken
    down already, or an unknown reason. Permission is the caller's to check (editors).
    """
    if reason not in Article.TakedownReason.values:
        choices = ", ".join(Article.TakedownReason.values)
        raise ValidationError(f"Unknown takedown reason “{reason}” (one of {choices}).")
    note = text.collapse_whitespace(note)
    limit = Article._meta.get_field("takedown_note").max_length
    if len(note) > limit:
        raise ValidationError(f"The public note is {len(note)} characters; at most {limit}.")
    stored = check_revision(
        article=article,
        base_revision=article.revision if base_revision is None else base_revision,
        fields=("status", "published_at"),
    )
    now = timezone.now()
    if refusal := takedown_refusal(stored["status"], stored["published_at"], at=now):
        raise ValidationError(refusal, code="cannot_take_down")
    if withhold_headline is None:
        withhold_headline = withholds_headline_by_default(reason)
    changes = {
        "status": Article.Status.WITHDRAWN,
        "status_before_takedown": stored["status"],
        "takedown_reason": reason,
        "takedown_note": note,
        "takedown_withholds_headline": withhold_headline,
        "taken_down_at": now,
    }
    _write_takedown(article, changes, stored, user=user, actor=actor)
    AuditEntry.objects.log(
        AuditEntry.Action.TAKEN_DOWN,
        article,
        user=user,
        actor=actor,
        detail=takedown_detail(article),
    )
    return article


@transaction.atomic
def reverse_takedown(
    *, article: Article, base_revision: int | None = None, user=None, actor: str = ""
) -> Article:
    """Bring a taken-down story back exactly as it was before: the status it had
    (published, or archived) and its publication time, which a takedown leaves alone.
    Guarded, recorded and made public on commit like ``take_down``."""
    stored = check_revision(
        article=article,
        base_revision=article.revision if base_revision is None else base_revision,
        fields=("status", "published_at", "status_before_takedown", "takedown_reason"),
    )
    if stored["status"] != Article.Status.WITHDRAWN:
        raise ValidationError("This story is not taken down.", code="not_taken_down")
    reason = Article.TakedownReason(stored["takedown_reason"]).label.lower()
    changes = {
        "status": stored["status_before_takedown"],
        "status_before_takedown": "",
        "takedown_reason": "",
        "takedown_note": "",
        "takedown_withholds_headline": False,
        "taken_down_at": None,
    }
    _write_takedown(article, changes, stored, user=user, actor=actor)
    AuditEntry.objects.log(
        AuditEntry.Action.REINSTATED,
        article,
        user=user,
        actor=actor,
        detail=f"Taken down for: {reason}. Back to {article.get_status_display().lower()}.",
    )
    return article


def _write_takedown(article: Article, changes: dict, stored: dict, *, user, actor) -> None:
    """Write a takedown or its reversal: the story's fields and a new revision in one
    statement, its tag rows relisted from the stored publication time (hubs), a version of
    the story, and a new content generation now and on commit (``update()`` sends no
    signal)."""
    StoryVersion.objects.keep_baseline(article)
    Article.objects.filter(pk=article.pk).bump_revision(**changes)
    for name, value in changes.items():
        setattr(article, name, value)
    article.published_at = stored["published_at"]
    article.revision = stored["revision"] + 1
    article.relist()
    StoryVersion.objects.capture(article, user=user, actor=actor)
    caching.content_changed(keys=caching.changed_story_keys(article, relisted=True))


def live_inbound_links(article: Article):
    """Live stories whose Also Read boxes show this one: what unpublishing takes away."""
    return (
        CrossLink.objects.filter(target=article)
        .filter(ArticleQuerySet.live_condition("source__"))
        .select_related("source")
        .order_by("source__headline")
    )


def add_reciprocal(*, link: CrossLink, user=None) -> CrossLink:
    """Link the target of ``link`` back to its source, in the target's Related list."""
    if link.target_id is None:
        raise ValueError("a pending link has no story to link back from")
    existing = CrossLink.objects.filter(source=link.target, target=link.source_id).first()
    if existing:
        return existing
    top_order = CrossLink.objects.filter(source=link.target, placement=None).aggregate(
        top=Max("order")
    )["top"]
    reciprocal = CrossLink(
        source=link.target,
        target=link.source,
        target_headline=link.source.headline,
        placement=None,
        order=0 if top_order is None else top_order + 1,
    )
    reciprocal.full_clean()
    with transaction.atomic():
        StoryVersion.objects.keep_baseline(link.target)
        reciprocal.save()
        Article.objects.filter(pk=reciprocal.source_id).bump_revision()
        StoryVersion.objects.capture(link.target, user=user)
    return reciprocal


def tag_story(*, article: Article, kind: str, name: str, user=None) -> None:
    """Tag the story with one more name of ``kind`` (people, countries or topics)."""
    with transaction.atomic():
        StoryVersion.objects.keep_baseline(article)
        getattr(article, kind).add(name)
        Article.objects.filter(pk=article.pk).bump_revision()
        StoryVersion.objects.capture(article, user=user)


def also_read_placement(article: Article) -> int:
    """A new Also Read box goes halfway down the story; editors can move it."""
    return (len(article.paragraphs) + 1) // 2


def add_also_read(*, source: Article, target: Article, user=None) -> CrossLink:
    """Link ``source`` to ``target`` with an Also Read box halfway down the story, after the
    boxes already there. ``IntegrityError`` if it links there already."""
    placement = also_read_placement(source)
    with transaction.atomic():
        StoryVersion.objects.keep_baseline(source)
        link = CrossLink.objects.create(
            source=source,
            target=target,
            target_headline=target.headline,
            placement=placement,
            order=source.links_out.filter(placement=placement).count(),
        )
        Article.objects.filter(pk=source.pk).bump_revision()
        StoryVersion.objects.capture(source, user=user)
    return link
