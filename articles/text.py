"""Plain-text and HTML helpers shared by the importer, the admin and the public site.

Nothing here touches the database: these are the rules for what a paragraph, a headline
key, a slug and safe HTML are.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

ALSO_READ_PREFIX = "also read:"
RELATED_PREFIX = "related:"
SLUG_MAX_LENGTH = 100
# As long as a headline may be: NFKC and case folding can lengthen text ("㎒" is "mhz"), so
# keys are cut to fit the column that stores them.
HEADLINE_KEY_MAX_LENGTH = 300

# Characters XML 1.0 forbids and that have no business in stored text either, nor in a
# request (newsroom.control_characters refuses them there).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")
_QUOTES = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'")
    | dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"')
)

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "ul",
    "ol",
    "li",
    "strong",
    "b",
    "em",
    "i",
    "a",
    "br",
    "sub",
    "sup",
    "s",
    "u",
    "code",
    "pre",
    "hr",
    "figure",
    "figcaption",
    "img",
}
# A body's <img> is a photo of the image library: ``data-file`` names it (by the digest of
# its file); ``src`` only lets the editor show it. Pages show renditions (articles.images).
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "img": {"src", "alt", "data-file"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
BLOCK_TAGS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "pre", "hr", "figure"}
VOID_TAGS = {"br", "hr", "img"}  # the allowed tags that have no end tag


def strip_control_chars(value: str) -> str:
    return CONTROL_CHARS.sub("", value)


def collapse_whitespace(value: str) -> str:
    return _WHITESPACE.sub(" ", strip_control_chars(value)).strip()


def headline_key(headline: str) -> str:
    """The form two headlines share when an editor would call them the same story.

    Case, curly versus straight quotes, punctuation and runs of white space do not count.
    """
    text = unicodedata.normalize("NFKC", headline).translate(_QUOTES).casefold()
    kept = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in text)
    return collapse_whitespace(kept)[:HEADLINE_KEY_MAX_LENGTH].rstrip()


def name_key(name: str) -> str:
    """The words of a name as an editor would compare two names for the same person or
    thing: case, accents, punctuation and spacing do not count (``Benjamin Netanyahu``,
    ``benjamin  netanyahu.`` and ``Benjámin Netanyahu`` share ``benjamin netanyahu``)."""
    decomposed = unicodedata.normalize("NFKD", name).casefold()
    kept = "".join(
        ch if unicodedata.category(ch)[0] in "LN" else " "
        for ch in decomposed
        if unicodedata.category(ch) != "Mn"
    )
    return collapse_whitespace(kept)


def slugify(value: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """A readable Unicode slug.

    Django's ``slugify(allow_unicode=True)`` drops combining marks, which mangles
    Devanagari and Hebrew pointing; letters, marks and digits of every script are kept here.
    """
    text = unicodedata.normalize("NFKC", value).lower()
    words = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in text).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    return slug


def sanitise_html(value: str) -> str:
    """Keep the markup a news story needs; drop scripts, handlers and unsafe links."""
    return nh3.clean(
        strip_control_chars(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def text_to_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


# Where plain text typed into one box (a live entry, a command's --text) starts a paragraph.
_BLANK_LINES = re.compile(r"\n\s*\n")
# Text is taken as HTML when something in it looks like a tag or an entity ("a <3 b" is not).
_MARKUP = re.compile(r"</?[A-Za-z][^>]*>|&#?\w+;")


def rich_text_html(value: str) -> str:
    """Sanitised HTML of top-level blocks, from HTML or from plain text.

    A desk types a live entry in one box or passes it on the command line: text with no
    markup is paragraphs separated by blank lines, as in a story file; anything with markup
    is sanitised like a story's body. Either way the result is what ``html_blocks`` splits.
    """
    value = strip_control_chars(value or "").replace("\r\n", "\n")
    if not _MARKUP.search(value):
        paragraphs = [collapse_whitespace(part) for part in _BLANK_LINES.split(value)]
        return text_to_html([part for part in paragraphs if part])
    return "\n".join(html_blocks(sanitise_html(value)))


def html_to_text(fragment: str) -> str:
    return collapse_whitespace(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


class _BlockSplitter(HTMLParser):
    """Splits sanitised HTML into its top-level blocks, keeping each block's markup."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_offsets = [0]
        for line in source.splitlines(keepends=True):
            self.line_offsets.append(self.line_offsets[-1] + len(line))
        self.depth = 0
        self.start = None
        self.blocks: list[str] = []
        self.loose: list[str] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_offsets[line - 1] + column

    def _close_loose(self):
        text = "".join(self.loose).strip()
        if text:
            self.blocks.append(f"<p>{text}</p>")
        self.loose = []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            if tag in BLOCK_TAGS:
                self._close_loose()
                self.start = self._offset()
                if tag == "hr":
                    self.blocks.append("<hr>")
                    return
            else:
                self.loose.append(self.get_starttag_text())
                return
        if tag not in VOID_TAGS:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            if tag == "hr":
                self._close_loose()
                self.blocks.append("<hr>")
            else:
                self.loose.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if self.depth == 0:
            self.loose.append(f"</{tag}>")
            return
        self.depth -= 1
        if self.depth == 0 and self.start is not None:
            end = self._offset() + len(f"</{tag}>")
            self.blocks.append(self.source[self.start : end].strip())
            self.start = None

    def _loose_data(self, data):
        if self.depth == 0:
            self.loose.append(data)

    handle_data = _loose_data

    def handle_entityref(self, name):
        self._loose_data(f"&{name};")

    def handle_charref(self, name):
        self._loose_data(f"&#{name};")

    def close(self):
        super().close()
        self._close_loose()


# A plain paragraph of sanitised HTML: ``<p>`` takes no attributes here, and the sanitiser
# closes a paragraph before any block, so its content holds no other ``<p>``.
_PLAIN_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def _plain_paragraphs(body: str) -> list[str] | None:
    """The blocks of a body made only of ``<p>`` elements (most stories), else None."""
    blocks, end = [], 0
    for match in _PLAIN_PARAGRAPH.finditer(body):
        if body[end : match.start()].strip():
            return None
        end = match.end()
        if has_content(match[1]):
            blocks.append(match[0])
    return blocks if not body[end:].strip() else None


def has_content(block: str) -> bool:
    """Whether a block shows anything: words, a photo or a rule."""
    if "<" not in block and "&" not in block:
        return bool(block.strip())
    return bool(html_to_text(block)) or "<img" in block or block == "<hr>"


def html_blocks(body: str) -> list[str]:
    """The top-level blocks (paragraphs, headings, lists …) of a sanitised body.

    Every page and feed item splits its body, so the common case skips the HTML parser.
    """
    plain = _plain_paragraphs(body)
    return plain if plain is not None else _parsed_blocks(body)


def _parsed_blocks(body: str) -> list[str]:
    splitter = _BlockSplitter(body)
    splitter.feed(body)
    splitter.close()
    return [block for block in splitter.blocks if has_content(block)]


def link_headline(paragraph: str, prefix: str = ALSO_READ_PREFIX) -> str | None:
    """The headline of an ``Also Read:`` paragraph, '' when empty, None for prose."""
    text = paragraph.strip()
    if text.casefold().startswith(prefix):
        return collapse_whitespace(text[len(prefix) :])
    return None


class EmptyLinkError(ValueError):
    """An ``Also Read:`` or ``Related:`` paragraph with no headline after it."""

    def __init__(self, index: int):
        super().__init__("an 'Also Read:' or 'Related:' line needs a headline after it")
        self.index = index


@dataclass(frozen=True)
class LinkSpec:
    """A cross-link as written in copy: where it sits and the headline it points at."""

    headline: str
    placement: int | None
    order: int
    index: int = 0  # position of the paragraph it came from, for error messages


def extract_links(paragraphs: list[str], as_text=lambda p: p) -> tuple[list[str], list[LinkSpec]]:
    """Separate the body from its ``Also Read:``/``Related:`` paragraphs.

    An ``Also Read:`` paragraph sits after the body paragraphs before it (its placement);
    a ``Related:`` paragraph goes in the list at the end. This one parser serves the
    importer and wire copy pasted into the admin.
    """
    body: list[str] = []
    links: list[LinkSpec] = []
    order_at: dict[int | None, int] = {}
    for index, paragraph in enumerate(paragraphs):
        text = as_text(paragraph)
        placement = len(body)
        headline = link_headline(text, ALSO_READ_PREFIX)
        if headline is None:
            placement, headline = None, link_headline(text, RELATED_PREFIX)
        if headline is None:
            body.append(paragraph)
            continue
        if not headline:
            raise EmptyLinkError(index)
        order = order_at.get(placement, 0)
        order_at[placement] = order + 1
        links.append(LinkSpec(headline, placement, order, index))
    return body, links


@dataclass
class BodyBlock:
    """One body paragraph ("" before the first) and the Also Read links whose boxes follow it."""

    html: str = ""
    links: list = field(default_factory=list)


def place_links(paragraphs: list[str], links, placement=lambda link: link.placement):
    """The body in reading order, each paragraph with the Also Read links boxed after it, and
    the links listed at the end (``Related:``, no placement): ``(blocks, listed)``.

    The one rule for every surface that shows links among paragraphs (the story page, feed
    items, story-file export): a placement counts the paragraphs before the box; one past the
    end of the body (the copy got shorter since) puts the box after the last paragraph; links
    at one placement keep their order. A first block with no paragraph holds the boxes
    before the first paragraph, and is left out when there are none.
    """
    blocks = [BodyBlock()] + [BodyBlock(html=paragraph) for paragraph in paragraphs]
    listed = []
    for link in links:
        at = placement(link)
        if at is None:
            listed.append(link)
        else:
            blocks[min(at, len(paragraphs))].links.append(link)
    if not blocks[0].links:
        blocks.pop(0)
    return blocks, listed


def with_dateline(paragraphs: list[str], dateline: str) -> list[str]:
    """``paragraphs`` (a sanitised body's blocks) with ``dateline`` opening the first
    paragraph, "<p><span class="dateline">DOHA —</span> …", escaped; the same blocks when
    there is no dateline or no paragraph. No block is added or taken away, so Also Read
    placements, which count blocks, stay where they were."""
    if not dateline:
        return paragraphs
    for index, block in enumerate(paragraphs):
        # Sanitised, a paragraph has no attributes (ALLOWED_ATTRIBUTES): it opens "<p>".
        if block.startswith("<p>"):
            opening = f'<p><span class="dateline">{html.escape(dateline)} —</span> '
            return [*paragraphs[:index], opening + block[3:], *paragraphs[index + 1 :]]
    return paragraphs


# Photos in a body -----------------------------------------------------------------------------

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class BodyImage:
    """An ``<img>`` of a sanitised body: where it is, and its attributes."""

    start: int
    end: int
    src: str
    alt: str
    file: str  # ``data-file``: the library image it shows


class _TagReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        self.attrs = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag


def body_images(fragment: str) -> list[BodyImage]:
    """The ``<img>`` elements of a sanitised body or block, in order."""
    found = []
    for match in _IMG_TAG.finditer(fragment):
        reader = _TagReader()
        reader.feed(match[0])
        reader.close()
        attrs = reader.attrs
        found.append(
            BodyImage(
                match.start(),
                match.end(),
                attrs.get("src", ""),
                collapse_whitespace(attrs.get("alt", "")),
                attrs.get("data-file", "").strip(),
            )
        )
    return found


def replace_images(fragment: str, replacement) -> str:
    """``fragment`` with each ``<img>`` replaced by ``replacement(BodyImage)`` (markup)."""
    images = body_images(fragment)
    if not images:
        return fragment
    parts, end = [], 0
    for image in images:
        parts += [fragment[end : image.start], replacement(image)]
        end = image.end
    parts.append(fragment[end:])
    return "".join(parts)
