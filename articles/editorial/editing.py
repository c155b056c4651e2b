"""Editorial writes: publishing, archiving, wire copy, slug history and link curation.

The admin calls these keyword-only functions instead of writing rows itself, so each
editorial rule lives in one place and holds for any caller. Permissions are checked by the
caller (the admin); these functions keep the data consistent.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from articles import caching, text
from articles.models import Article, ArticleQuerySet, AuditEntry, CrossLink, SlugRedirect

# Fields whose change on a live story is a correction readers should see as "Updated".
CONTENT_FIELDS = (
    "headline",
    "standfirst",
    "body",
    "lead_image_id",
)


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
    exists already (``StaleRevision`` without it).
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
        fields=("slug", "status", "published_at", *CONTENT_FIELDS),
    )
    was_live = ArticleQuerySet.is_live_row(stored["status"], stored["published_at"], at=now)
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


def publish(*, article: Article, at=None, user=None) -> Article:
    """Publish now, or at ``at``; a story with a future time is scheduled."""
    before = (article.status, article.published_at)
    article.status = Article.Status.PUBLISHED
    article.published_at = at or article.published_at or timezone.now()
    return _save_status(article, before=before, user=user)


def archive(*, article: Article, user=None) -> Article:
    before = (article.status, article.published_at)
    article.status = Article.Status.ARCHIVED
    return _save_status(article, before=before, user=user)


def _save_status(article: Article, *, before, user) -> Article:
    article.full_clean()
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).bump_revision(
            status=article.status, published_at=article.published_at
        )
        article.relist()
        AuditEntry.objects.log_story_transition(article, before=before, user=user)
    # update() sends no signal: the public pages showing this story must be rendered afresh.
    caching.content_changed()
    article.refresh_from_db(fields=["revision"])
    return article


def live_inbound_links(article: Article):
    """Live stories whose Also Read boxes show this one: what unpublishing takes away."""
    return (
        CrossLink.objects.filter(target=article)
        .filter(ArticleQuerySet.live_condition("source__"))
        .select_related("source")
        .order_by("source__headline")
    )


def add_reciprocal(*, link: CrossLink) -> CrossLink:
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
        reciprocal.save()
        Article.objects.filter(pk=reciprocal.source_id).bump_revision()
    return reciprocal


def tag_story(*, article: Article, kind: str, name: str) -> None:
    """Tag the story with one more name of ``kind`` (people, countries or topics)."""
    with transaction.atomic():
        getattr(article, kind).add(name)
        Article.objects.filter(pk=article.pk).bump_revision()


def also_read_placement(article: Article) -> int:
    """A new Also Read box goes halfway down the story; editors can move it."""
    return (len(article.paragraphs) + 1) // 2


def add_also_read(*, source: Article, target: Article) -> CrossLink:
    """Link ``source`` to ``target`` with an Also Read box halfway down the story, after the
    boxes already there. ``IntegrityError`` if it links there already."""
    placement = also_read_placement(source)
    with transaction.atomic():
        link = CrossLink.objects.create(
            source=source,
            target=target,
            target_headline=target.headline,
            placement=placement,
            order=source.links_out.filter(placement=placement).count(),
        )
        Article.objects.filter(pk=source.pk).bump_revision()
    return link
