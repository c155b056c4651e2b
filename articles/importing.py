"""Seed text format: parse story files, import them idempotently, export them back.

The format is described in the README ("Story files"). Parsing is pure and reports the first
problem as ``file:line: what is wrong``; writing happens one file per transaction.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from . import text
from .models import Article, Author, Byline, Country, CrossLink, Section, SlugRedirect

LIST_KEYS = ("authors", "people", "countries", "topics", "former-slugs")
DATE_KEYS = ("published", "updated")
IMAGE_KEYS = ("image-caption", "image-credit", "image-alt")
HEADER_KEYS = (
    "headline",
    "slug",
    "status",
    "published",
    "updated",
    "section",
    "source",
    "standfirst",
    "format",
    *LIST_KEYS,
    "image",
    *IMAGE_KEYS,
)
HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z-]*)[ \t]*:[ \t]*(?P<value>.*)$")
FORMATS = ("text", "html")


class StoryFileError(Exception):
    def __init__(self, path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class StoryFile:
    """A story file parsed into model values, not yet written anywhere."""

    path: Path
    slug: str
    values: dict
    section: str
    authors: list[str]
    former_slugs: list[str]
    tags: dict[str, list[str]]
    links: list[text.LinkSpec]
    image: Path | None
    lines: dict[str, int] = field(repr=False, compare=False)

    @property
    def digest(self) -> str:
        image = self.image.read_bytes() if self.image else b""
        state = repr(
            (
                self.slug,
                sorted(self.values.items()),
                self.section,
                self.authors,
                sorted(self.tags.items()),
                self.links,
            )
        )
        return hashlib.sha256(state.encode() + image).hexdigest()


def read_story_text(path: Path) -> str:
    data = path.read_bytes()
    limit = settings.NEWSROOM_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise StoryFileError(
            path,
            1,
            f"file is {len(data) / 1e6:.1f} MB; story files may be at most {limit / 1e6:.0f} MB",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise StoryFileError(path, line, "binary data (NUL byte); story files are UTF-8 text")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise StoryFileError(
            path, line, f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        ) from None
    return decoded.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_datetime(value: str):
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_story(path: Path, content: str) -> StoryFile:
    lines = content.split("\n")
    number = 0
    while number < len(lines) and not lines[number].strip():
        number += 1

    header: dict[str, str] = {}
    header_lines: dict[str, int] = {}
    while number < len(lines) and lines[number].strip():
        match = HEADER_LINE.match(lines[number].strip())
        if not match:
            if not header:
                raise StoryFileError(
                    path,
                    number + 1,
                    "no header block: a story file starts with 'Headline: …' and the "
                    "other 'Key: value' lines, then a blank line, then the body",
                )
            raise StoryFileError(
                path,
                number + 1,
                "expected 'Key: value' here; a blank line must "
                "separate the header block from the body",
            )
        key = match["key"].lower()
        if key not in HEADER_KEYS:
            raise StoryFileError(
                path,
                number + 1,
                f"unknown header key '{match['key']}' (known keys: "
                f"{', '.join(k.title() for k in HEADER_KEYS)})",
            )
        if key in header:
            raise StoryFileError(
                path,
                number + 1,
                f"'{match['key']}' is given twice (first on line {header_lines[key]})",
            )
        header[key] = text.collapse_whitespace(match["value"])
        header_lines[key] = number + 1
        number += 1

    def fail(key: str, message: str):
        raise StoryFileError(path, header_lines.get(key, 1), message)

    headline = header.get("headline", "")
    if not headline:
        fail("headline", "the story has no headline ('Headline: …' is required)")

    slug = header.get("slug") or text.slugify(headline)
    if not slug:
        fail("headline", "cannot make an address (slug) from this headline; add 'Slug: …'")
    if text.slugify(slug) != slug:
        fail("slug", f"'{slug}' is not a valid slug; try '{text.slugify(slug)}'")

    status = header.get("status", Article.Status.PUBLISHED).lower()
    if status not in Article.Status.values:
        fail("status", f"unknown status '{status}' (one of {', '.join(Article.Status.values)})")

    dates = {}
    for key in DATE_KEYS:
        if header.get(key):
            dates[key] = parse_datetime(header[key])
            if dates[key] is None:
                fail(key, f"'{header[key]}' is not a date and time like 2025-01-29T09:30:00+05:30")
    if status == Article.Status.PUBLISHED and "published" not in dates:
        fail("status", "a published story needs 'Published: <date and time>'")

    body_format = header.get("format", "text").lower()
    if body_format not in FORMATS:
        fail("format", f"unknown format '{body_format}' (text or html)")

    tags = {}
    for key in LIST_KEYS:
        names = [
            n for n in (text.collapse_whitespace(v) for v in header.get(key, "").split(";")) if n
        ]
        tags[key] = list(dict.fromkeys(names))
    try:
        tags["countries"] = list(
            dict.fromkeys(Country.normalise_name(n) for n in tags["countries"])
        )
    except ValueError as error:
        fail("countries", str(error))
    authors = tags.pop("authors")
    former_slugs = tags.pop("former-slugs")
    for old in former_slugs:
        if text.slugify(old) != old or old == slug:
            fail("former-slugs", f"'{old}' is not a former slug of this story")

    image = None
    if header.get("image"):
        image = (path.parent / header["image"]).resolve()
        if not image.is_file():
            fail("image", f"image file '{header['image']}' not found next to the story file")

    paragraphs, starts = [], []
    current: list[str] = []
    for line_number in range(number, len(lines) + 1):
        line = lines[line_number] if line_number < len(lines) else ""
        if line.strip():
            if not current:
                starts.append(line_number + 1)
            current.append(line.strip() if body_format == "text" else line.rstrip())
        elif current:
            paragraphs.append((" " if body_format == "text" else "\n").join(current))
            current = []

    as_text = (lambda p: p) if body_format == "text" else text.html_to_text
    try:
        body, links = text.extract_links(
            [text.strip_control_chars(p) for p in paragraphs], as_text=as_text
        )
    except text.EmptyLinkError as error:
        raise StoryFileError(path, starts[error.index], str(error)) from None
    links = [
        text.LinkSpec(link.headline, link.placement, link.order, starts[link.index])
        for link in links
    ]
    if body_format == "html":
        body = text.html_blocks(text.sanitise_html("\n".join(body)))
        body_html = "\n".join(body)
    else:
        body_html = text.text_to_html(body)
    if not body:
        raise StoryFileError(
            path,
            starts[0] if starts else number + 1,
            "the story has no body: write its paragraphs after the header's blank line",
        )

    own_key = text.headline_key(headline)
    seen: dict[str, int] = {}
    for link in links:
        key = text.headline_key(link.headline)
        if key == own_key:
            raise StoryFileError(path, link.index, "a story cannot link to itself")
        if key in seen:
            raise StoryFileError(path, link.index, f"links to the same story as line {seen[key]}")
        seen[key] = link.index

    values = {
        "headline": headline,
        "standfirst": header.get("standfirst", ""),
        "body": body_html,
        "status": status,
        "published_at": dates.get("published"),
        "updated_at": dates.get("updated"),
        "source": header.get("source", ""),
        "image_caption": header.get("image-caption", ""),
        "image_credit": header.get("image-credit", ""),
        "image_alt": header.get("image-alt", ""),
    }
    return StoryFile(
        path=path,
        slug=slug,
        values=values,
        section=header.get("section", ""),
        authors=authors,
        former_slugs=former_slugs,
        tags=tags,
        links=links,
        image=image,
        lines=header_lines,
    )


FIELD_KEYS = {
    "headline": "headline",
    "standfirst": "standfirst",
    "source": "source",
    "image_caption": "image-caption",
    "image_credit": "image-credit",
    "image_alt": "image-alt",
    "slug": "slug",
    "published_at": "published",
    "updated_at": "updated",
    "status": "status",
}


def write_story(story: StoryFile) -> str:
    """Bring the database in line with one story file; say 'created', 'updated' or 'unchanged'."""
    article = Article.objects.filter(slug=story.slug).first()
    created = article is None
    article = article or Article(slug=story.slug)
    changed = created

    values = dict(story.values)
    if story.section:
        section = Section.objects.filter(name__iexact=story.section).first()
        values["section"] = section or Section.objects.create(name=story.section)
    else:
        values["section"] = None
    for name, value in values.items():
        if getattr(article, name) != value:
            setattr(article, name, value)
            changed = True

    image_name = ""
    if story.image:
        image_name = f"articles/{story.slug}/{story.image.name}"
        content = story.image.read_bytes()
        storage = article.image.storage
        if not (storage.exists(image_name) and storage.open(image_name).read() == content):
            storage.delete(image_name)
            storage.save(image_name, ContentFile(content))
    if article.image.name != image_name:
        article.image.name = image_name
        changed = True

    try:
        article.full_clean(validate_unique=False)
    except ValidationError as error:
        key, messages = next(iter(error.message_dict.items()))
        raise StoryFileError(
            story.path, story.lines.get(FIELD_KEYS.get(key, ""), 1), f"{key}: {' '.join(messages)}"
        ) from None
    if changed:
        article.save()

    changed |= sync_bylines(article, story.authors)
    for key, names in story.tags.items():
        manager = getattr(article, key)
        if sorted(manager.names()) != sorted(names):
            manager.set(names)
            changed = True
    changed |= sync_links(article, story.links)
    changed |= sync_former_slugs(article, story)
    return "created" if created else "updated" if changed else "unchanged"


def sync_former_slugs(article: Article, story: StoryFile) -> bool:
    """Old addresses of the story keep answering 301 (see SlugRedirect)."""
    current = set(article.slug_redirects.values_list("old_slug", flat=True))
    if current == set(story.former_slugs):
        return False
    taken = SlugRedirect.objects.filter(old_slug__in=story.former_slugs).exclude(article=article)
    if taken.exists():
        raise StoryFileError(
            story.path,
            story.lines.get("former-slugs", 1),
            f"former slug '{taken.first().old_slug}' belongs to another story",
        )
    article.slug_redirects.exclude(old_slug__in=story.former_slugs).delete()
    for old in story.former_slugs:
        if old not in current:
            SlugRedirect.objects.create(old_slug=old, article=article)
    return True


def sync_bylines(article: Article, names: list[str]) -> bool:
    current = list(article.bylines.order_by("position").values_list("author__name", flat=True))
    if current == names:
        return False
    article.bylines.all().delete()
    for position, name in enumerate(names):
        author = Author.objects.filter(name__iexact=name).first() or Author.objects.create(
            name=name
        )
        Byline.objects.create(article=article, author=author, position=position)
    return True


def sync_links(article: Article, links: list[text.LinkSpec]) -> bool:
    wanted = [(link.headline, link.placement, link.order) for link in links]
    current = list(article.links_out.values_list("target_headline", "placement", "order"))
    if current == wanted:
        return False
    article.links_out.all().delete()
    for headline, placement, order in wanted:
        target = (
            Article.objects.by_headline(headline)
            .exclude(pk=article.pk)
            .order_by("-published_at", "pk")
            .first()
        )
        CrossLink.objects.create(
            source=article,
            target=target,
            target_headline=headline,
            placement=placement,
            order=order,
        )
    return True


@dataclass
class ImportReport:
    outcomes: dict[Path, str] = field(default_factory=dict)
    errors: list[StoryFileError] = field(default_factory=list)

    @property
    def failed(self) -> list[Path]:
        return [error.path for error in self.errors]


def story_paths(paths) -> list[Path]:
    found = []
    for path in map(Path, paths):
        found.extend(sorted(path.glob("*.txt")) if path.is_dir() else [path])
    return found


def import_stories(paths) -> ImportReport:
    report = ImportReport()
    parsed: list[StoryFile] = []
    for path in story_paths(paths):
        try:
            if not path.is_file():
                raise StoryFileError(path, 0, "no such file")
            parsed.append(parse_story(path, read_story_text(path)))
        except StoryFileError as error:
            report.errors.append(error)

    by_slug: dict[str, list[StoryFile]] = {}
    for story in parsed:
        by_slug.setdefault(story.slug, []).append(story)
    for story in parsed:
        rivals = [s for s in by_slug[story.slug] if s.digest != story.digest]
        if rivals:
            report.errors.append(
                StoryFileError(
                    story.path,
                    story.lines.get("slug", story.lines.get("headline", 1)),
                    f"story '{story.slug}' is also in {rivals[0].path} with different "
                    "content; neither file was imported",
                )
            )
            continue
        try:
            with transaction.atomic():
                report.outcomes[story.path] = write_story(story)
        except StoryFileError as error:
            report.errors.append(error)
    return report


# Export ------------------------------------------------------------------------------------


def is_plain(blocks: list[str]) -> bool:
    return all(block == text.text_to_html([text.html_to_text(block)]) for block in blocks)


def story_text(article: Article, image_name: str = "") -> str:
    def names(items):
        return "; ".join(item.name for item in items)

    header = [
        ("Headline", article.headline),
        ("Slug", article.slug),
        ("Status", article.status),
        ("Published", article.published_at and article.published_at.isoformat()),
        ("Updated", article.updated_at and article.updated_at.isoformat()),
        ("Section", article.section and article.section.name),
        ("Source", article.source),
        ("Authors", names(article.authors.order_by("bylines__position"))),
        ("People", names(article.people.all())),
        ("Countries", names(article.countries.all())),
        ("Topics", names(article.topics.all())),
        ("Standfirst", text.collapse_whitespace(article.standfirst)),
        ("Image", image_name),
        ("Image-Caption", article.image_caption),
        ("Image-Credit", article.image_credit),
        ("Image-Alt", article.image_alt),
        ("Former-Slugs", "; ".join(article.slug_redirects.values_list("old_slug", flat=True))),
    ]
    blocks = article.paragraphs
    plain = is_plain(blocks)
    if not plain:
        header.append(("Format", "html"))
    paragraphs = [
        text.html_to_text(block) if plain else re.sub(r"\n\s*\n", "\n", block) for block in blocks
    ]
    inline: dict[int, list[str]] = {}
    related = []
    for link in article.links_out.select_related("target"):
        headline = link.target.headline if link.target else link.target_headline
        if link.placement is None:
            related.append(f"Related: {headline}")
        else:
            inline.setdefault(min(link.placement, len(paragraphs)), []).append(
                f"Also Read: {headline}"
            )
    out = []
    for position in range(len(paragraphs) + 1):
        out.extend(inline.get(position, []))
        if position < len(paragraphs):
            out.append(paragraphs[position])
    out.extend(related)
    lines = [f"{key}: {value}" for key, value in header if value]
    return "\n".join(lines) + "\n\n" + "\n\n".join(out) + "\n"


def export_stories(directory: Path, articles=None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    articles = articles if articles is not None else Article.objects.order_by("pk")
    for article in articles.select_related("section"):
        image_name = ""
        if article.image:
            image_name = f"images/{article.slug}/{Path(article.image.name).name}"
            target = directory / image_name
            target.parent.mkdir(parents=True, exist_ok=True)
            with article.image.open("rb") as source:
                target.write_bytes(source.read())
        path = directory / f"{article.slug}.txt"
        path.write_text(story_text(article, image_name), encoding="utf-8")
        written.append(path)
    return written
