"""Seed text format: parse story files, import them idempotently, export them back.

The format is described in the README ("Story files"). Parsing reports the first problem as
``file:line: what is wrong``; it reads nothing but the story file and its image. Writing
happens one file per transaction, and never over a story the newsroom changed since its
last import unless the operator asks for it (``overwrite``).
"""

import hashlib
import re
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from . import images, text
from .models import (
    DATELINE_MAX_LENGTH,
    NOTICE_MAX_LENGTH,
    TAG_KINDS,
    Article,
    AuditEntry,
    Author,
    Byline,
    Correction,
    CrossLink,
    Image,
    Section,
    SlugRedirect,
    StoryVersion,
    normalise_dateline,
    tag_model,
    validate_story_time,
)

LIST_KEYS = ("authors", *TAG_KINDS, "former-slugs")
DATE_KEYS = ("published", "updated")
# The photo's own details (the library image's fields), given with ``Image:``.
IMAGE_KEYS = {
    "image-alt": "alt_text",
    "image-caption": "caption",
    "image-credit": "credit",
    "image-focus": "focus",
}
# Keys that may be given more than once: each line is one notice, `<ISO time> | <text>`.
NOTICE_KEYS = tuple(Correction.Kind.values)
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
    "demo",
    "type",
    "dateline",
    *LIST_KEYS,
    "image",
    *IMAGE_KEYS,
    *NOTICE_KEYS,
)
# ``Type:`` values as a story file writes them: the labels in lower case ("fact check").
TYPE_WORDS = {value: label.lower() for value, label in Article.StoryType.choices}
HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z-]*)[ \t]*:[ \t]*(?P<value>.*)$")
FORMATS = ("text", "html")
# The models whose normalise_name() says what a name in each list may be.
NAMED = {"authors": Author} | {kind: tag_model(kind) for kind in TAG_KINDS}
# Who the audit log and story versions credit with an import's changes.
IMPORT_ACTOR = "import_articles"
# The outcome of a file whose story is taken down: not "skipped", which --overwrite replaces.
TAKEN_DOWN_SKIP = "skipped (taken down)"
# A story file may give any status but "withdrawn": a takedown is an editor's act with a
# reason (manage.py takedown), and neither made nor reversed by a file.
FILE_STATUSES = [status for status in Article.Status.values if status != Article.Status.WITHDRAWN]


@dataclass(frozen=True)
class NoticeSpec:
    """A correction or clarification as a story file gives it."""

    kind: str
    at: datetime
    text: str
    line: int = field(default=0, compare=False)

    @property
    def key(self) -> tuple:
        return (self.kind, self.at, self.text)


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
    notices: list[NoticeSpec] = field(default_factory=list)
    # The image's bytes as read and verified while parsing: what is stored is what was checked.
    image_data: bytes = field(default=b"", repr=False)
    # The photo's details the header gives, as Image fields (alt_text, caption, credit,
    # focus_x, focus_y); a detail it leaves out stays as the library has it.
    image_details: dict = field(default_factory=dict)
    # The photos of an HTML body, by digest (the body names them so).
    photos: dict = field(default_factory=dict, repr=False)
    # ``Demo: yes``: demo content (``articles.demo``), which ``load_demo --remove`` deletes.
    demo: bool = False
    # ``Type:`` (an Article.StoryType value) and ``Dateline:``.
    story_type: str = Article.StoryType.NEWS
    dateline: str = ""

    @cached_property
    def digest(self) -> str:
        state = repr(
            (
                self.slug,
                sorted(self.values.items()),
                self.section,
                self.authors,
                sorted(self.tags.items()),
                self.former_slugs,
                self.links,
                # Only when there are some: files without photo details or notices keep the
                # digest they had before either existed.
                *([sorted(self.image_details.items())] if self.image_details else []),
                *([[notice.key for notice in self.notices]] if self.notices else []),
                *(["demo"] if self.demo else []),
                *([("type", self.story_type)] if self.story_type != Article.StoryType.NEWS else []),
                *([("dateline", self.dateline)] if self.dateline else []),
            )
        )
        return hashlib.sha256(state.encode() + self.image_data).hexdigest()

    def line(self, key: str) -> int:
        return self.lines.get(key, self.lines.get("headline", 1))


def read_story_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StoryFileError(path, 0, f"cannot read the file ({error.strerror})") from None
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
    """An aware datetime, or None for text that is no ISO 8601 date and time."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    except (ValueError, OverflowError):
        return None
    # In UTC, as it is stored: PostgreSQL refuses offsets past ±15:59 that Python accepts.
    # (Near the ends of the calendar that overflows; the range check refuses those anyway.)
    with suppress(OverflowError):
        moment = moment.astimezone(UTC)
    return moment


@dataclass
class Header:
    """A story file's header block: values by lower-case key, and the line each came from."""

    path: Path
    values: dict[str, str]
    lines: dict[str, int]
    # The repeatable lines (NOTICE_KEYS): (key, value, line number), in file order.
    repeated: list[tuple[str, str, int]] = field(default_factory=list)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def fail(self, key: str, message: str):
        raise StoryFileError(self.path, self.lines.get(key, 1), message)


def read_header(path: Path, lines: list[str]) -> tuple[Header, int]:
    """The header block and the index of the first line after it."""
    number = 0
    while number < len(lines) and not lines[number].strip():
        number += 1
    header = Header(path, {}, {})
    while number < len(lines) and lines[number].strip():
        match = HEADER_LINE.match(lines[number].strip())
        if not match:
            if not header.values:
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
        if key in NOTICE_KEYS:
            header.repeated.append((key, match["value"], number + 1))
            number += 1
            continue
        if key in header.values:
            raise StoryFileError(
                path,
                number + 1,
                f"'{match['key']}' is given twice (first on line {header.lines[key]})",
            )
        header.values[key] = text.collapse_whitespace(match["value"])
        header.lines[key] = number + 1
        number += 1
    return header, number


def story_dates(header: Header, status: str) -> dict:
    """Publication and update times, each within the range every story time must keep."""
    dates = {}
    for key in DATE_KEYS:
        if not header.get(key):
            continue
        moment = parse_datetime(header.get(key))
        if moment is None:
            header.fail(
                key, f"'{header.get(key)}' is not a date and time like 2025-01-29T09:30:00+05:30"
            )
        try:
            validate_story_time(moment)
        except ValidationError as error:
            header.fail(key, f"'{header.get(key)}' is out of range: {' '.join(error.messages)}")
        dates[key] = moment
    if status == Article.Status.PUBLISHED and "published" not in dates:
        header.fail("status", "a published story needs 'Published: <date and time>'")
    return dates


def story_notices(header: Header) -> list[NoticeSpec]:
    """The ``Correction:`` and ``Clarification:`` lines, each ``<ISO time> | <text>``."""
    notices: dict[tuple, NoticeSpec] = {}
    for kind, value, line in header.repeated:
        given, bar, notice_text = value.partition("|")
        if not bar:
            raise StoryFileError(
                header.path, line, f"expected '{kind.title()}: <ISO time> | <text>'"
            )
        moment = parse_datetime(given)
        if moment is None:
            raise StoryFileError(
                header.path,
                line,
                f"'{given.strip()}' is not a date and time like 2025-01-29T09:30:00+05:30",
            )
        try:
            validate_story_time(moment)
        except ValidationError as error:
            raise StoryFileError(
                header.path, line, f"'{given.strip()}' is out of range: {' '.join(error.messages)}"
            ) from None
        notice_text = Correction.normalise_text(notice_text)
        if not notice_text:
            raise StoryFileError(header.path, line, f"the {kind} has no text after '|'")
        if len(notice_text) > NOTICE_MAX_LENGTH:
            raise StoryFileError(
                header.path,
                line,
                f"the {kind} is {len(notice_text)} characters long; at most {NOTICE_MAX_LENGTH}",
            )
        notice = NoticeSpec(kind, moment, notice_text, line)
        if notice.key in notices:
            raise StoryFileError(
                header.path, line, f"the same {kind} as line {notices[notice.key].line}"
            )
        notices[notice.key] = notice
    return list(notices.values())


def checked_names(header: Header, key: str, model) -> list[str]:
    """The ``;``-separated names under ``key`` as ``model`` keeps them, each once: names
    with the same address (slug) are one name."""
    names: dict[str, str] = {}
    for given in header.get(key).split(";"):
        if not text.collapse_whitespace(given):
            continue
        try:
            name = model.normalise_name(given)
        except ValueError as error:
            header.fail(key, str(error))
        names.setdefault(text.slugify(name), name)
    return list(names.values())


def story_names(header: Header, slug: str) -> tuple[str, dict[str, list[str]], list[str]]:
    """The section, the lists of names by key, and the former slugs."""
    section = ""
    if header.get("section"):
        try:
            section = Section.normalise_name(header.get("section"))
        except ValueError as error:
            header.fail("section", str(error))
    names = {key: checked_names(header, key, model) for key, model in NAMED.items()}
    former_slugs = list(
        dict.fromkeys(
            n
            for n in (text.collapse_whitespace(v) for v in header.get("former-slugs").split(";"))
            if n
        )
    )
    for old in former_slugs:
        if text.slugify(old) != old or old == slug:
            header.fail("former-slugs", f"'{old}' is not a former slug of this story")
    return section, names, former_slugs


def story_image(header: Header) -> tuple[Path | None, bytes]:
    """The image named in the header and its bytes, verified to be a picture a browser shows.

    The image must be a file in the story file's folder or below it: no absolute path, no
    ``..`` and no symbolic link may lead out of it, so a story file cannot publish any other
    file the importing user can read.
    """
    given = header.get("image")
    if not given:
        return None, b""
    try:
        return read_image_file(header.path, given)
    except ValueError as error:
        header.fail("image", str(error))


def read_image_file(story_path: Path, given: str, noun: str = "image") -> tuple[Path, bytes]:
    """The file ``given`` names, from the story file's folder or below it, and its bytes,
    verified to be a picture a browser shows; ``ValueError`` saying what is wrong with it
    (naming it as an ``noun``) otherwise."""
    try:
        folder = story_path.parent.resolve()
        image = (folder / given).resolve()
        if Path(given).is_absolute() or not image.is_relative_to(folder):
            raise LookupError(
                f"{noun} '{given}' must be a file in the story file's folder or below it"
            )
        if not image.is_file():
            raise LookupError(f"{noun} file '{given}' not found next to the story file")
        limit = settings.NEWSROOM_IMPORT_MAX_IMAGE_BYTES
        with image.open("rb") as opened:
            data = opened.read(limit + 1)
    except LookupError as error:
        raise ValueError(str(error)) from None
    except (OSError, ValueError):
        raise ValueError(f"{noun} file '{given}' cannot be read") from None
    if len(data) > limit:
        raise ValueError(f"{noun} '{given}' is larger than {limit / 1e6:g} MB, the limit")
    if problem := images.image_problem(data):
        raise ValueError(f"{noun} '{given}' {problem}")
    return image, data


@dataclass(frozen=True)
class Photo:
    """A photo in an HTML body: the file it came from (its name and bytes), and the alt text
    it was first given (the library image's, if it makes one)."""

    name: str
    data: bytes = field(repr=False)
    alt: str


def library_photos(path: Path, paragraphs: list[str], lines: list[int], needs_alt: bool):
    """The HTML ``paragraphs`` with each ``<img src="file">`` (a file beside the story)
    naming its library image instead, and those photos by digest."""
    photos: dict[str, Photo] = {}

    def in_library(found: text.BodyImage, line: int) -> str:
        if not found.src:
            raise StoryFileError(path, line, 'a photo needs src="<a file beside the story>"')
        try:
            image, data = read_image_file(path, found.src, "photo")
        except ValueError as error:
            raise StoryFileError(path, line, str(error)) from None
        if needs_alt and not found.alt:
            raise StoryFileError(
                path, line, f"a published story's photos need alt text: '{found.src}' has none"
            )
        digest = images.digest_of(data)
        photos.setdefault(digest, Photo(image.name, data, found.alt))
        return images.photo_html(digest, found.alt)

    rewritten = [
        text.replace_images(text.sanitise_html(paragraph), lambda f, n=line: in_library(f, n))
        for paragraph, line in zip(paragraphs, lines, strict=True)
    ]
    return rewritten, photos


def image_details(header: Header, status: str) -> dict:
    """The photo's details given in the header, as ``Image`` fields. They describe the file
    ``Image:`` names, so they need one; and a published story's photo needs alt text."""
    given = [key for key in IMAGE_KEYS if key in header.values]
    if not header.get("image"):
        if given:
            header.fail(
                given[0],
                f"'{given[0].title()}' describes the photo in 'Image:', "
                "which this story does not have",
            )
        return {}
    details = {IMAGE_KEYS[key]: header.get(key) for key in given if IMAGE_KEYS[key] != "focus"}
    if "image-focus" in header.values:
        details["focus_x"], details["focus_y"] = focal_point(header)
    if status == Article.Status.PUBLISHED and not header.get("image-alt"):
        header.fail(
            "image",
            "a published story's photo needs 'Image-Alt: …', what it shows for readers who "
            "cannot see it (a caption is not alt text)",
        )
    return details


def focal_point(header: Header) -> tuple[float, float]:
    """``Image-Focus: 0.3, 0.4``: across, then down, each from 0 to 1."""
    parts = header.get("image-focus").replace(",", " ").split()
    try:
        x, y = (float(part) for part in parts)
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError
    except ValueError:
        header.fail(
            "image-focus",
            f"'{header.get('image-focus')}' is not a focal point: two numbers from 0 to 1, "
            "across then down, e.g. 'Image-Focus: 0.5, 0.3'",
        )
    return x, y


def story_body(path: Path, lines: list[str], start: int, body_format: str, needs_alt: bool):
    """The body as stored HTML, its links with the line each came from, and the photos of an
    HTML body by digest."""
    paragraphs, starts = [], []
    current: list[str] = []
    for line_number in range(start, len(lines) + 1):
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
    linked = {link.index for link in links}
    links = [
        text.LinkSpec(link.headline, link.placement, link.order, starts[link.index])
        for link in links
    ]
    photos = {}
    if body_format == "html":
        body_lines = [line for index, line in enumerate(starts) if index not in linked]
        body, photos = library_photos(path, body, body_lines, needs_alt)
        body = text.html_blocks(text.sanitise_html("\n".join(body)))
        body_html = "\n".join(body)
    else:
        body_html = text.text_to_html(body)
    if not body:
        raise StoryFileError(
            path,
            starts[0] if starts else start + 1,
            "the story has no body: write its paragraphs after the header's blank line",
        )
    return body_html, links, photos


def check_links(path: Path, headline: str, links: list[text.LinkSpec]) -> None:
    own_key = text.headline_key(headline)
    longest = CrossLink._meta.get_field("target_headline").max_length
    seen: dict[str, int] = {}
    for link in links:
        key = text.headline_key(link.headline)
        if not key:
            raise StoryFileError(path, link.index, "a link needs a headline with letters or digits")
        if len(link.headline) > longest:
            raise StoryFileError(
                path, link.index, f"the linked headline is longer than {longest} characters"
            )
        if key == own_key:
            raise StoryFileError(path, link.index, "a story cannot link to itself")
        if key in seen:
            raise StoryFileError(path, link.index, f"links to the same story as line {seen[key]}")
        seen[key] = link.index


def story_headline_and_slug(header: Header) -> tuple[str, str]:
    """The headline, and the address made from it unless the header gives one."""
    headline = header.get("headline")
    if not headline:
        header.fail("headline", "the story has no headline ('Headline: …' is required)")
    slug = header.get("slug") or text.slugify(headline)
    if not slug:
        header.fail("headline", "cannot make an address (slug) from this headline; add 'Slug: …'")
    if text.slugify(slug) != slug:
        header.fail("slug", f"'{slug}' is not a valid slug; try '{text.slugify(slug)}'")
    return headline, slug


def story_status(header: Header) -> str:
    status = header.get("status", Article.Status.PUBLISHED).lower()
    if status == Article.Status.WITHDRAWN:
        header.fail(
            "status",
            "a story file cannot take a story down; an editor does, with a reason "
            "(manage.py takedown SLUG --reason …)",
        )
    if status not in FILE_STATUSES:
        header.fail("status", f"unknown status '{status}' (one of {', '.join(FILE_STATUSES)})")
    return status


def story_format(header: Header) -> str:
    """How the body is written: ``text`` (paragraphs) or ``html``."""
    body_format = header.get("format", "text").lower()
    if body_format not in FORMATS:
        header.fail("format", f"unknown format '{body_format}' (text or html)")
    return body_format


def story_demo(header: Header) -> bool:
    """``Demo: yes`` marks demo content (shown as such to readers and editors, and deleted
    by ``load_demo --remove``); ``no`` or no line, the newsroom's own."""
    given = header.get("demo", "no").lower()
    if given not in ("yes", "no"):
        header.fail("demo", f"'Demo: {header.get('demo')}' is 'Demo: yes' or 'Demo: no'")
    return given == "yes"


def story_type(header: Header) -> str:
    """``Type:`` in words as readers see it (``analysis``, ``fact check``), in any case;
    news when the header has none."""
    given = header.get("type")
    if not given:
        return Article.StoryType.NEWS
    words = " ".join(given.lower().replace("-", " ").replace("_", " ").split())
    for value, label in Article.StoryType.choices:
        if words == label.lower():
            return value
    header.fail("type", f"unknown type '{given}' (one of {', '.join(TYPE_WORDS.values())})")


def story_dateline(header: Header) -> str:
    """``Dateline:``, the place the story was reported from, e.g. ``DOHA``."""
    dateline = normalise_dateline(header.get("dateline"))
    if len(dateline) > DATELINE_MAX_LENGTH:
        header.fail(
            "dateline",
            f"the dateline is {len(dateline)} characters long; at most {DATELINE_MAX_LENGTH} "
            "(a place, e.g. 'Dateline: DOHA')",
        )
    return dateline


def story_values(header: Header, *, headline: str, body_html: str, status: str, dates: dict):
    """The story's own fields, as the Article model names them."""
    return {
        "headline": headline,
        "standfirst": header.get("standfirst"),
        "body": body_html,
        "status": status,
        "published_at": dates.get("published"),
        "updated_at": dates.get("updated"),
        "source": header.get("source"),
    }


def parse_story(path: Path, content: str) -> StoryFile:
    """The story in ``content`` (the text of the file at ``path``); StoryFileError, naming
    the line, for anything that could not be imported as it stands.

    Header first (headline and address, status and dates, format, names, image), then the
    body and its links; the first problem found is the one reported.
    """
    lines = content.split("\n")
    header, body_start = read_header(path, lines)
    headline, slug = story_headline_and_slug(header)
    status = story_status(header)
    dates = story_dates(header, status)
    body_format = story_format(header)
    demo = story_demo(header)
    kind_of_work, dateline = story_type(header), story_dateline(header)
    section, names, former_slugs = story_names(header, slug)
    notices = story_notices(header)
    image, image_data = story_image(header)
    details = image_details(header, status)
    needs_alt = status == Article.Status.PUBLISHED
    body_html, links, photos = story_body(path, lines, body_start, body_format, needs_alt)
    check_links(path, headline, links)
    return StoryFile(
        path=path,
        slug=slug,
        values=story_values(
            header, headline=headline, body_html=body_html, status=status, dates=dates
        ),
        section=section,
        authors=names.pop("authors"),
        former_slugs=former_slugs,
        tags=names,
        links=links,
        image=image,
        image_data=image_data,
        image_details=details,
        photos=photos,
        lines=header.lines,
        notices=notices,
        demo=demo,
        story_type=kind_of_work,
        dateline=dateline,
    )


FIELD_KEYS = {
    "headline": "headline",
    "standfirst": "standfirst",
    "source": "source",
    "lead_image": "image",
    "slug": "slug",
    "published_at": "published",
    "updated_at": "updated",
    "status": "status",
    "story_type": "type",
    "dateline": "dateline",
}


def takedown_kept(article: Article) -> str:
    """Why a file cannot replace this story whatever the operator says, or '': it is taken
    down, and only an editor reverses that (``editing.reverse_takedown``)."""
    if article.status != Article.Status.WITHDRAWN:
        return ""
    return (
        f"story '{article.slug}' was taken down "
        f"({article.get_takedown_reason_display().lower()}, "
        f"{article.taken_down_at:%Y-%m-%d}); a story file never reverses a takedown, even "
        "with --overwrite: an editor does (admin, or manage.py takedown SLUG --reverse)"
    )


def newsroom_change(article: Article) -> str:
    """Why the stored story is no longer what an import left, or '' if it still is."""
    if article.imported_revision is None:
        return f"story '{article.slug}' was written in the newsroom, not imported"
    if article.revision != article.imported_revision:
        return (
            f"story '{article.slug}' was edited in the newsroom since it was imported "
            f"(revision {article.revision} > {article.imported_revision})"
        )
    return ""


def write_story(story: StoryFile, *, overwrite: bool = False) -> tuple[str, str]:
    """Bring the database in line with one story file, in one transaction.

    Returns what happened (``created``, ``updated``, ``unchanged``, ``skipped``,
    ``overwritten`` or ``TAKEN_DOWN_SKIP``) and why, for the last three. A story the newsroom
    changed since its last import (or wrote itself) is skipped unless ``overwrite``; a
    taken-down story always is; the same file as last time changes nothing. The image files
    written for the story (a new library image and its renditions) are deleted again if this
    transaction rolls back (not if a caller's transaction around it rolls back later).
    """
    with images.files_written() as written:
        try:
            with transaction.atomic():
                return _write_story(story, overwrite)
        except BaseException:
            images.delete_files(written)
            raise


def _write_story(story: StoryFile, overwrite: bool) -> tuple[str, str]:
    article = Article.objects.select_for_update().filter(slug=story.slug).first()
    if article and (kept := takedown_kept(article)):
        return TAKEN_DOWN_SKIP, kept
    change = newsroom_change(article) if article else ""
    if article and article.imported_digest == story.digest and not (change and overwrite):
        return "unchanged", ""
    if change and not overwrite:
        return "skipped", f"{change}; use --overwrite to replace it"

    created = article is None
    before = None if created else (article.status, article.published_at)
    if article:
        StoryVersion.objects.keep_baseline(article)
    article = article or Article(slug=story.slug, revision=0)
    for name, value in story.values.items():
        setattr(article, name, value)
    article.is_demo = story.demo
    article.story_type, article.dateline = story.story_type, story.dateline
    with reported_at(story, "section"):
        article.section = named(Section, story.section) if story.section else None
    image = library_image(story)
    article.lead_image = image
    # A form opened before this import must be stale after it
    # (articles.editorial.editing.save_article).
    article.revision += 1
    try:
        article.full_clean(validate_unique=False)
    except ValidationError as error:
        key, messages = next(iter(error.message_dict.items()))
        raise StoryFileError(
            story.path, story.line(FIELD_KEYS.get(key, "")), f"{key}: {' '.join(messages)}"
        ) from None
    if image is not None and (image.pk is None or image.details_changed):
        with reported_at(story, "image"):
            image.save()
        article.lead_image = image
    add_photos_to_library(story)
    article.imported_digest, article.imported_revision = story.digest, article.revision
    with reported_at(story, "headline"):
        article.save()
    with reported_at(story, "authors"):
        sync_bylines(article, story.authors)
    for key, names in story.tags.items():
        with reported_at(story, key):
            manager = getattr(article, key)
            if sorted(manager.names()) != sorted(names):
                manager.set(names)
    with reported_at(story, "headline"):
        sync_links(article, story.links)
    sync_former_slugs(article, story)
    sync_notices(article, story.notices)
    AuditEntry.objects.log_story_transition(article, before=before, actor=IMPORT_ACTOR)
    StoryVersion.objects.capture(article, actor=IMPORT_ACTOR)
    return ("created" if created else "overwritten" if change else "updated"), change


@contextmanager
def reported_at(story: StoryFile, key: str):
    """A model or the database refusing what the header's ``key`` line gave becomes
    ``file:line: reason``, and the file's transaction rolls back."""
    try:
        yield
    except ValidationError as error:
        raise StoryFileError(story.path, story.line(key), " ".join(error.messages)) from None
    except (ValueError, IntegrityError, DataError) as error:
        raise StoryFileError(
            story.path, story.line(key), f"the database refused this: {error}"
        ) from None


def named(model, name: str):
    """The section or author called ``name``, or with the address it would have (names that
    differ only in case or punctuation are one); created if there is none."""
    found = model.objects.filter(Q(name__iexact=name) | Q(slug=text.slugify(name)))
    return found.order_by("pk").first() or model.objects.create(name=name)


def add_photos_to_library(story: StoryFile) -> None:
    """The library images the body's photos name, made from their files where missing."""
    known = set(Image.objects.filter(digest__in=story.photos).values_list("digest", flat=True))
    for digest, photo in story.photos.items():
        if digest not in known:
            name = f"{Path(photo.name).stem}{images.suffix_for(photo.data)}"
            with reported_at(story, "headline"):
                Image.objects.create(
                    digest=digest, file=ContentFile(photo.data, name=name), alt_text=photo.alt
                )


def library_image(story: StoryFile) -> Image | None:
    """The library image of the story's photo with the header's details applied, not saved
    yet (``details_changed`` says whether it needs to be). The same file is one library
    image, however many stories or imports name it; a new one is stored under a new name,
    so a page or a failed import never finds an old image replaced.
    """
    if not story.image:
        return None
    digest = images.digest_of(story.image_data)
    image = Image.objects.filter(digest=digest).first()
    if image is None:
        name = f"{story.image.stem}{images.suffix_for(story.image_data)}"
        image = Image(digest=digest, file=ContentFile(story.image_data, name=name))
    image.details_changed = False
    for name, value in story.image_details.items():
        if getattr(image, name) != value:
            setattr(image, name, value)
            image.details_changed = True
    try:
        image.full_clean(exclude=["file"], validate_unique=False)
    except ValidationError as error:
        key, messages = next(iter(error.message_dict.items()))
        line_key = next((k for k, f in IMAGE_KEYS.items() if key.startswith(f)), "image")
        raise StoryFileError(
            story.path, story.line(line_key), f"{line_key}: {' '.join(messages)}"
        ) from None
    return image


def sync_former_slugs(article: Article, story: StoryFile) -> None:
    """Old addresses of the story keep answering 301 (see SlugRedirect)."""
    current = set(article.slug_redirects.values_list("old_slug", flat=True))
    if current == set(story.former_slugs):
        return
    taken = SlugRedirect.objects.filter(old_slug__in=story.former_slugs).exclude(article=article)
    if taken.exists():
        raise StoryFileError(
            story.path,
            story.line("former-slugs"),
            f"former slug '{taken.first().old_slug}' belongs to another story",
        )
    article.slug_redirects.exclude(old_slug__in=story.former_slugs).delete()
    for old in story.former_slugs:
        if old not in current:
            SlugRedirect.objects.create(old_slug=old, article=article)


def sync_notices(article: Article, notices: list[NoticeSpec]) -> None:
    """The story's corrections and clarifications as the file gives them. Those already
    stored stay as they are (their feed ids too); new ones speak for the revision this
    import writes."""
    wanted = {notice.key: notice for notice in notices}
    stored = {(n.kind, n.at, n.text): n.pk for n in article.corrections.all()}
    gone = [pk for key, pk in stored.items() if key not in wanted]
    if gone:
        Correction.objects.filter(pk__in=gone).delete()
    for key, notice in wanted.items():
        if key not in stored:
            Correction.objects.create(
                article=article,
                kind=notice.kind,
                at=notice.at,
                text=notice.text,
                revision=article.revision,
            )


def sync_bylines(article: Article, names: list[str]) -> None:
    current = list(article.bylines.order_by("position").values_list("author__name", flat=True))
    if current == names:
        return
    article.bylines.all().delete()
    # Two names may be one author: one by name, the other by the address an editor gave it.
    authors = dict.fromkeys(named(Author, name) for name in names)
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)


def sync_links(article: Article, links: list[text.LinkSpec]) -> None:
    wanted = [(link.headline, link.placement, link.order) for link in links]
    current = list(article.links_out.values_list("target_headline", "placement", "order"))
    if current == wanted:
        return
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


@dataclass
class ImportReport:
    """What a run did: each imported file's outcome (with the reason for a skipped or
    overwritten story in ``notes``), and the files that failed."""

    outcomes: dict[Path, str] = field(default_factory=dict)
    notes: dict[Path, str] = field(default_factory=dict)
    errors: list[StoryFileError] = field(default_factory=list)

    @property
    def failed(self) -> list[Path]:
        return [error.path for error in self.errors]

    def having(self, outcome: str) -> list[Path]:
        return [path for path, done in self.outcomes.items() if done == outcome]


def story_paths(paths) -> list[Path]:
    found = []
    for path in map(Path, paths):
        found.extend(sorted(path.glob("*.txt")) if path.is_dir() else [path])
    return found


def import_stories(paths, *, overwrite: bool = False) -> ImportReport:
    """Import every story file in ``paths``; each file is tried, and one that fails writes
    nothing. ``overwrite`` replaces stories the newsroom changed since their last import."""
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
            outcome, note = write_story(story, overwrite=overwrite)
        except StoryFileError as error:
            report.errors.append(error)
            continue
        report.outcomes[story.path] = outcome
        if note:
            report.notes[story.path] = note
    return report


# Export ------------------------------------------------------------------------------------


def is_plain(blocks: list[str]) -> bool:
    return all(block == text.text_to_html([text.html_to_text(block)]) for block in blocks)


def link_target_headline(link) -> str:
    """The headline a link is written with in a story file: its story's, while it has one."""
    return link.target.headline if link.target else link.target_headline


def image_header(image: Image | None, image_name: str) -> list[tuple[str, str]]:
    if image is None:
        return []
    centred = (image.focus_x, image.focus_y) == (0.5, 0.5)
    return [
        ("Image", image_name),
        ("Image-Alt", image.alt_text),
        ("Image-Caption", image.caption),
        ("Image-Credit", image.credit),
        ("Image-Focus", "" if centred else f"{image.focus_x:g}, {image.focus_y:g}"),
    ]


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
        ("Demo", "yes" if article.is_demo else ""),
        (
            "Type",
            "" if article.story_type == Article.StoryType.NEWS else TYPE_WORDS[article.story_type],
        ),
        ("Dateline", article.dateline),
        ("Authors", names(article.authors.order_by("bylines__position"))),
        ("People", names(article.people.all())),
        ("Countries", names(article.countries.all())),
        ("Topics", names(article.topics.all())),
        ("Standfirst", text.collapse_whitespace(article.standfirst)),
        *image_header(article.lead_image, image_name),
        ("Former-Slugs", "; ".join(article.slug_redirects.values_list("old_slug", flat=True))),
        *(
            (notice.get_kind_display(), f"{notice.at.isoformat()} | {notice.text}")
            for notice in article.corrections.order_by("at", "pk")
        ),
    ]
    blocks = article.paragraphs
    plain = is_plain(blocks)
    if not plain:
        header.append(("Format", "html"))
    paragraphs = [
        text.html_to_text(block) if plain else re.sub(r"\n\s*\n", "\n", block) for block in blocks
    ]
    links = article.links_out.select_related("target")
    body, listed = text.place_links(paragraphs, links)
    out = []
    for block in body:
        if block.html:
            out.append(block.html)
        out.extend(f"Also Read: {link_target_headline(link)}" for link in block.links)
    out.extend(f"Related: {link_target_headline(link)}" for link in listed)
    lines = [f"{key}: {value}" for key, value in header if value]
    return "\n".join(lines) + "\n\n" + "\n\n".join(out) + "\n"


def exported_photos(article: Article, directory: Path) -> str:
    """The body with each photo's file written beside the story file and named in its
    ``src``, as an import reads it; a photo whose library image is gone is left out."""
    library = Image.objects.in_bulk(
        {found.file for found in text.body_images(article.body)}, field_name="digest"
    )

    def exported(found: text.BodyImage) -> str:
        image = library.get(found.file)
        if image is None:
            return ""
        name = f"images/{article.slug}/photo-{image.digest[:12]}{Path(image.file.name).suffix}"
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with image.file.open("rb") as source:
            target.write_bytes(source.read())
        return format_html('<img src="{}" alt="{}">', name, found.alt)

    return text.replace_images(article.body, exported)


def export_stories(directory: Path, articles=None) -> list[Path]:
    """Write each story as ``<slug>.txt`` (and its image) under ``directory``; the paths.

    Taken-down stories are left out: their copy stays in the newsroom's database, not in
    files an import elsewhere would publish (a file cannot carry a takedown).
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    articles = articles if articles is not None else Article.objects.order_by("pk")
    articles = articles.exclude(status=Article.Status.WITHDRAWN)
    for article in articles.select_related("section", "lead_image"):
        image_name = ""
        if image := article.lead_image:
            image_name = f"images/{article.slug}/{Path(image.file.name).name}"
            target = directory / image_name
            target.parent.mkdir(parents=True, exist_ok=True)
            with image.file.open("rb") as source:
                target.write_bytes(source.read())
        if "<img" in article.body:
            article.body = exported_photos(article, directory)
        path = directory / f"{article.slug}.txt"
        path.write_text(story_text(article, image_name), encoding="utf-8")
        written.append(path)
    return written
