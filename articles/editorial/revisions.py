"""Story versions for editors: reading one, comparing two, and restoring one.

Versions are written by ``StoryVersion.objects.capture`` (articles/models.py) at every save.
Restoring writes the story again through ``editing.save_article`` — its lost-update guard,
``full_clean`` and revision bump — and records a new version: history is never rewritten.
The admin pages are in ``history.py``.
"""

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from articles import text
from articles.models import (
    TAG_KINDS,
    Article,
    AuditEntry,
    Author,
    Byline,
    CrossLink,
    Image,
    Section,
    StoryVersion,
)

from . import editing

FIELD_LABELS = (
    ("headline", "Headline"),
    ("slug", "Slug"),
    ("standfirst", "Standfirst"),
    ("status", "Status"),
    ("published_at", "Published"),
    ("updated_at", "Updated"),
    ("section", "Section"),
    ("source", "Source"),
    ("story_type", "Type of work"),
    ("dateline", "Dateline"),
    ("authors", "Authors"),
    ("people", "People"),
    ("countries", "Countries"),
    ("topics", "Topics"),
    ("links", "Also Read links"),
    ("image", "Lead image"),
    ("image_alt", "Image alt text"),
    ("image_caption", "Image caption"),
    ("image_credit", "Image credit"),
)
STATUS_LABELS = dict(Article.Status.choices)
TYPE_LABELS = dict(Article.StoryType.choices)
BROKEN_VERSION = "This version's record is damaged (%(problem)s); it cannot be shown or restored."


@dataclass(frozen=True)
class Snapshot:
    """A version's JSON snapshot read back with the types it was written with; a snapshot
    that does not have them (hand-edited, or written by older code) is a ValidationError,
    never a server error."""

    data: dict

    @classmethod
    def of(cls, version: StoryVersion) -> "Snapshot":
        data = version.snapshot
        if not isinstance(data, dict):
            raise ValidationError(BROKEN_VERSION, params={"problem": "not a record"})
        snapshot = cls(data)
        for key in (
            "headline",
            "slug",
            "standfirst",
            "body",
            "source",
            "story_type",
            "dateline",
            "status",
        ):
            snapshot.text(key)
        for key in ("authors", "links"):
            snapshot.records(key)
        for kind in TAG_KINDS:
            snapshot.tags(kind)
        return snapshot

    def _broken(self, key: str):
        return ValidationError(BROKEN_VERSION, params={"problem": f"bad “{key}”"})

    def text(self, key: str, within: dict | None = None) -> str:
        value = (self.data if within is None else within).get(key) or ""
        if not isinstance(value, str):
            raise self._broken(key)
        return value

    def records(self, key: str) -> list[dict]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise self._broken(key)
        return value

    def tags(self, kind: str) -> list[str]:
        value = (self.data.get("tags") or {}).get(kind) or []
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise self._broken(kind)
        return value

    def record(self, key: str) -> dict:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise self._broken(key)
        return value

    def moment(self, key: str) -> datetime | None:
        value = self.data.get(key)
        try:
            return datetime.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            raise self._broken(key) from None

    @property
    def story_type(self) -> str:
        """The type of work; news in a version written before stories had one."""
        return self.text("story_type") or Article.StoryType.NEWS

    def paragraphs(self) -> list[str]:
        return text.html_blocks(self.text("body"))


# Showing -------------------------------------------------------------------------------------


def _when(moment) -> str:
    return localize(localtime(moment)) if moment else ""


def _link_text(link: dict) -> str:
    placement = link.get("placement")
    where = "Related list" if placement is None else f"after ¶{placement}"
    state = "" if link.get("target_id") else " (pending)"
    return f"{link.get('target_headline', '')}{state} — {where}"


def field_values(snapshot: Snapshot) -> dict[str, str]:
    """Every field but the body as an editor reads it, by the keys of ``FIELD_LABELS``."""
    section = snapshot.record("section")
    image = snapshot.record("image")
    values = {key: snapshot.text(key) for key in ("headline", "slug", "standfirst", "source")} | {
        "status": STATUS_LABELS.get(snapshot.text("status"), snapshot.text("status")),
        "story_type": TYPE_LABELS.get(snapshot.story_type, snapshot.story_type),
        "dateline": snapshot.text("dateline"),
        "published_at": _when(snapshot.moment("published_at")),
        "updated_at": _when(snapshot.moment("updated_at")),
        "section": snapshot.text("name", section),
        "authors": ", ".join(snapshot.text("name", a) for a in snapshot.records("authors")),
        "links": "\n".join(_link_text(link) for link in snapshot.records("links")),
        "image": snapshot.text("name", image),
        "image_alt": snapshot.text("alt", image),
        "image_caption": snapshot.text("caption", image),
        "image_credit": snapshot.text("credit", image),
    }
    return values | {kind: ", ".join(snapshot.tags(kind)) for kind in TAG_KINDS}


@dataclass(frozen=True)
class FieldRow:
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def field_rows(old: Snapshot, new: Snapshot) -> list[FieldRow]:
    """The fields of two versions side by side, in the story form's order."""
    before, after = field_values(old), field_values(new)
    return [FieldRow(label, before[key], after[key]) for key, label in FIELD_LABELS]


def shown_body(snapshot: Snapshot):
    """A version's body as blocks of HTML with its Also Read links placed among them, as the
    story page places them (``text.place_links``). The body was sanitised when it was saved;
    it is sanitised again here, where it is marked safe, in case the record was altered."""
    blocks = [mark_safe(text.sanitise_html(block)) for block in snapshot.paragraphs()]  # noqa: S308
    return text.place_links(
        blocks, snapshot.records("links"), placement=lambda link: link.get("placement")
    )


@dataclass(frozen=True)
class Segment:
    """A run of words that both versions have ("equal"), or only the newer ("insert") or
    the older one ("delete")."""

    kind: str
    words: str


@dataclass
class ParagraphChange:
    """One paragraph in the comparison: kept, inserted, deleted, or changed (``segments``
    then mark the words inserted and deleted within it)."""

    kind: str
    old: str = ""
    new: str = ""
    segments: list[Segment] = field(default_factory=list)


def word_diff(old: str, new: str) -> list[Segment]:
    before, after = old.split(), new.split()
    segments = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            segments.append(Segment("delete", " ".join(before[i1:i2])))
        if tag in ("insert", "replace"):
            segments.append(Segment("insert", " ".join(after[j1:j2])))
        if tag == "equal":
            segments.append(Segment("equal", " ".join(before[i1:i2])))
    return segments


def paragraph_diff(old: Snapshot, new: Snapshot) -> list[ParagraphChange]:
    """The two bodies compared paragraph by paragraph (as plain text), in reading order.

    A paragraph edited in place is marked word by word; the others are marked as deleted
    from the older version or inserted in the newer.
    """
    before = [text.html_to_text(block) for block in old.paragraphs()]
    after = [text.html_to_text(block) for block in new.paragraphs()]
    changes = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.extend(ParagraphChange("equal", old=p, new=p) for p in before[i1:i2])
        else:
            changes.extend(_replaced(before[i1:i2], after[j1:j2]))
    return changes


# Two paragraphs sharing this share of their words are one paragraph edited, not two others.
SAME_PARAGRAPH = 0.5
# Past this many candidate pairs in one changed run, its paragraphs are not paired up.
MOST_PAIRS = 400


def _replaced(before: list[str], after: list[str]) -> list[ParagraphChange]:
    """A run of paragraphs that became another: the most alike old and new pair is one
    paragraph edited (marked word by word), and the runs before and after it are paired
    the same way; what pairs with nothing was deleted or inserted (as ``difflib.Differ``
    pairs lines)."""
    best, pair = SAME_PARAGRAPH, None
    if len(before) * len(after) <= MOST_PAIRS:
        for i, old in enumerate(before):
            for j, new in enumerate(after):
                ratio = difflib.SequenceMatcher(a=old.split(), b=new.split()).ratio()
                if ratio >= best:
                    best, pair = ratio, (i, j)
    if pair is None:
        return [ParagraphChange("delete", old=p) for p in before] + [
            ParagraphChange("insert", new=p) for p in after
        ]
    i, j = pair
    edited = ParagraphChange("replace", before[i], after[j], word_diff(before[i], after[j]))
    return [
        *_replaced(before[:i], after[:j]),
        edited,
        *_replaced(before[i + 1 :], after[j + 1 :]),
    ]


def version_label(version: StoryVersion) -> str:
    return f"{_when(version.captured_at)} (revision {version.revision})"


# Restoring -----------------------------------------------------------------------------------


@dataclass
class Restored:
    article: Article
    version: StoryVersion | None  # the new version; None when the story already said this
    warnings: list[str]


def restore_version(*, version: StoryVersion, base_revision: int | None, user=None) -> Restored:
    """Make the story say what ``version`` says — text, type of work and dateline, section,
    source, tags, bylines, Also Read links and lead image — as a new save by ``user`` from
    ``base_revision``.

    Its status, publication time and address stay as they are: publishing and unpublishing
    have their own steps and guards. ``editing.StaleRevision`` if the story was saved since
    ``base_revision``; ``ValidationError`` if the version's data does not make a valid story
    now. Either way nothing is written.
    """
    snapshot = Snapshot.of(version)
    article = Article.objects.get(pk=version.article_id)
    warnings: list[str] = []
    try:
        with transaction.atomic():
            _restore_fields(article, snapshot, warnings)
            editing.save_article(article=article, base_revision=base_revision, user=user)
            _restore_tags(article, snapshot)
            _restore_bylines(article, snapshot, warnings)
            _restore_links(article, snapshot)
            AuditEntry.objects.log(
                AuditEntry.Action.RESTORED,
                article,
                user=user,
                detail=f"to version of {version_label(version)}",
            )
            new_version = StoryVersion.objects.capture(article, user=user)
    except (IntegrityError, DataError) as error:
        raise ValidationError(f"The database refused this version: {error}") from None
    return Restored(article, new_version, warnings)


def problems(error: ValidationError) -> list[str]:
    """What is wrong, each naming its field where it has one: "headline: Ensure …"."""
    if not hasattr(error, "error_dict"):
        return error.messages
    return [
        message if field == "__all__" else f"{field.replace('_', ' ')}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    ]


def _restore_fields(article: Article, snapshot: Snapshot, warnings: list[str]) -> None:
    for key in ("headline", "standfirst", "body", "source", "dateline"):
        setattr(article, key, snapshot.text(key))
    article.story_type = snapshot.story_type
    section = snapshot.record("section")
    article.section = _existing(Section, section)
    if section and article.section is None:
        warnings.append(f"The section “{snapshot.text('name', section)}” no longer exists.")
    image = snapshot.record("image")
    photo = Image.objects.filter(pk=image.get("id")).first() if image.get("id") else None
    if image and photo is None:
        warnings.append(
            f"The photo “{snapshot.text('name', image)}” is no longer in the image library; "
            "the lead image is unchanged."
        )
    else:
        article.lead_image = photo


def _existing(model, ref: dict):
    """The row a version names by ``{"id", "name"}``: by id, else by name; None if gone."""
    if not ref:
        return None
    found = model.objects.filter(pk=ref.get("id")).first() if ref.get("id") else None
    return found or model.objects.filter(name__iexact=ref.get("name") or "").first()


def _restore_tags(article: Article, snapshot: Snapshot) -> None:
    for kind in TAG_KINDS:
        try:
            getattr(article, kind).set(snapshot.tags(kind))
        except ValueError as error:
            raise ValidationError({kind: str(error)}) from None


def _restore_bylines(article: Article, snapshot: Snapshot, warnings: list[str]) -> None:
    article.bylines.all().delete()
    authors = []
    for ref in snapshot.records("authors"):
        author = _existing(Author, ref)
        if author is None:
            warnings.append(f"The author “{ref.get('name')}” no longer exists.")
        elif author not in authors:
            authors.append(author)
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)


def _restore_links(article: Article, snapshot: Snapshot) -> None:
    """The version's links; one whose story is gone is pending on its headline again (and
    resolves at once if another story has that headline)."""
    rows = snapshot.records("links")
    ids = [row["target_id"] for row in rows if isinstance(row.get("target_id"), int)]
    alive = set(
        Article.objects.filter(pk__in=ids).exclude(pk=article.pk).values_list("pk", flat=True)
    )

    def target(row: dict) -> int | None:
        return (
            row["target_id"]
            if isinstance(row.get("target_id"), int) and row["target_id"] in alive
            else None
        )

    article.links_out.all().delete()
    # Links to stories that exist first, so a pending one cannot take a story they name.
    for row in sorted(rows, key=lambda row: target(row) is None):
        link = CrossLink(
            source=article,
            target_id=target(row),
            target_headline=row.get("target_headline") or "",
            placement=row.get("placement"),
            order=row.get("order") or 0,
        )
        link.full_clean()
        link.save()
