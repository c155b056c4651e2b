"""Hostile story files: the parser and the importer never fail with anything but a
``file:line: reason`` (``StoryFileError``), a file that fails writes nothing at all (rows or
media), every file of a run is tried, and what does import is safe to show.

Files are drawn as a well-formed story whose every header line and paragraph may be missing,
repeated or replaced by something hostile: dates far outside any sane range, names that are
too long or have no letters, images that are not images or live outside the story's folder,
links to itself, stray control characters, CRLF, a byte-order mark.
"""

import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from articles import text
from articles.importing import StoryFileError, import_stories, parse_story, read_story_text
from articles.models import EARLIEST_STORY_TIME, LATEST_STORY_TIME, Article, SlugRedirect
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, draft, photo
from tests.hostile import check_response, examples, rolled_back, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.hostile, pytest.mark.slow]

# Strategies ------------------------------------------------------------------------------

# Text a file can hold (UTF-8 cannot encode lone surrogates) within one line: a new line
# in a header value only makes a file the parser refuses at once.
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n\r"), max_size=40)
LINE = st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=40)
NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "!!!",
        "\U0001f642",
        "\u202eevil\u202c",
        "e\u0301\u0301\u0301",
        "\x00",
        "\x0b\x0c\x1b[31m",
        "\ufeff",
        "\u2028",
        "<img src=x onerror=alert(1)>",
        "{{ 7|add:7 }}",
        "a" * 101,
        "b" * 151,
        "c" * 301,
        "word " * 120,
        "Joe Biden",
        "United States",
        "IL",
        "Narnia",
    ]
)
HOSTILE_TEXT = st.one_of(TEXT, NASTY_TEXT)


HEADLINES = ["Talks resume in Doha", "Ceasefire faces new hurdle", "A story from the wire"]
KNOWN_SLUGS = ["ceasefire-faces-new-hurdle", "story-with-photo", "imported-earlier", "old-address"]
OFFSETS = st.sampled_from([None, UTC]) | st.integers(-24 * 60 + 1, 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
SANE_DATES = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=OFFSETS)
HOSTILE_DATES = st.one_of(
    st.datetimes(timezones=OFFSETS).map(datetime.isoformat),
    st.datetimes(datetime(1899, 12, 30), datetime(1900, 1, 2), timezones=OFFSETS).map(
        datetime.isoformat
    ),
    st.datetimes(datetime(2199, 12, 30), datetime(2200, 1, 2), timezones=OFFSETS).map(
        datetime.isoformat
    ),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "1900-01-01T00:00:00+05:00",
            "2199-12-31T23:59:59-12:00",
            "2200-01-01T00:00:00Z",
            "2000-01-01T00:00:00+16:00",
            "2025-01-29",
            "2025-13-01T00:00:00Z",
            "2025-01-29T09:30:00+24:00",
            "2025-01-29T25:00:00",
            "now",
        ]
    ),
    HOSTILE_TEXT,
)
VALID_NAMES = st.sampled_from(["Joe Biden", "Benjamin Netanyahu", "Gaza ceasefire", "Israel", "US"])


def name_lists(names):
    return st.lists(names, max_size=4).map("; ".join)


# Images, relative to the story folder (see ``story_folder``): images beside the story, and
# everything else.
VALID_IMAGES = st.sampled_from(
    [
        "photo.png",
        "other.png",
        "sub/photo.png",
        "./photo.png",
        "sub/../photo.png",
        "cmyk.jpg",
        "animated.gif",
        "clear.png",
    ]
)
HOSTILE_IMAGES = st.sampled_from(
    [
        "fake.png",
        "truncated.png",
        "bomb.png",
        "picture.svg",
        "folder.png",
        "missing.png",
        "link-outside.png",
        "link-passwd.png",
        "../outside.png",
        "../" * 12 + "etc/passwd",
        "/etc/passwd",
        "/dev/zero",
        ".",
        "..",
        "x" * 300 + ".png",
        ("d" * 200 + "/") * 30 + "p.png",
    ]
)


@dataclass(frozen=True)
class Field:
    """What a header line may hold: in a clean file, ``valid``; in a hostile one, one time
    in four ``hostile`` instead."""

    valid: st.SearchStrategy
    hostile: st.SearchStrategy = HOSTILE_TEXT

    def values(self, hostile: bool) -> st.SearchStrategy[str]:
        if not hostile:
            return self.valid
        return st.one_of(self.valid, self.valid, self.valid, self.hostile)


HEADER = {
    "Headline": Field(st.sampled_from(HEADLINES) | LINE),
    "Slug": Field(st.sampled_from(KNOWN_SLUGS) | LINE.map(text.slugify).filter(bool)),
    "Status": Field(
        st.sampled_from(["published", "published", "draft", "review", "archived", "Published"])
    ),
    "Published": Field(SANE_DATES.map(datetime.isoformat), HOSTILE_DATES),
    "Updated": Field(SANE_DATES.map(datetime.isoformat), HOSTILE_DATES),
    "Section": Field(st.sampled_from(["World", "world", "Business"]) | LINE),
    "Source": Field(LINE),
    "Standfirst": Field(LINE),
    "Format": Field(st.sampled_from(["text", "html", "HTML"])),
    "Authors": Field(name_lists(VALID_NAMES | LINE), name_lists(HOSTILE_TEXT | LINE)),
    "People": Field(name_lists(VALID_NAMES | LINE), name_lists(HOSTILE_TEXT | LINE)),
    "Countries": Field(
        name_lists(st.sampled_from(["Israel", "IL", "United States", "fr", "Côte d'Ivoire"])),
        name_lists(HOSTILE_TEXT | LINE),
    ),
    "Topics": Field(name_lists(VALID_NAMES | LINE), name_lists(HOSTILE_TEXT | LINE)),
    "Former-Slugs": Field(
        name_lists(st.sampled_from([*KNOWN_SLUGS, "gone-away"])),
        name_lists(st.sampled_from(KNOWN_SLUGS) | HOSTILE_TEXT),
    ),
    "Image": Field(VALID_IMAGES, HOSTILE_IMAGES | HOSTILE_TEXT),
    "Image-Caption": Field(LINE),
    "Image-Credit": Field(LINE),
    "Image-Alt": Field(LINE),
    "Image-Focus": Field(
        st.sampled_from(["0.5, 0.5", "0.2,0.8", "1 0"]),
        st.sampled_from(["2, 2", "nan, nan", "-0.1, 0.5", "0.5", "inf 0"]) | HOSTILE_TEXT,
    ),
}
OTHER_KEYS = sorted(set(HEADER) - {"Headline", "Published"})
HTML_PARAGRAPHS = st.sampled_from(
    [
        "<p>Para <em>graph</em></p>",
        "<script>alert(1)</script>",
        "<p><a href='javascript:alert(1)'>x</a>",
        "<ul><li>one<li>two</ul>",
        "</p></div>&amp;&#0;&#xD800;",
        "<h2>" + "deep <b>" * 50,
    ]
)
LINK_PREFIXES = st.sampled_from(["Also Read:", "ALSO READ:", "Related:", "Also read :"])


@st.composite
def paragraph(draw, own_headline: str, hostile: bool):
    kinds = ["text", "text", "text", "html", "link"] + (["nasty"] if hostile else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        return draw(LINE)
    if kind == "html":
        return draw(HTML_PARAGRAPHS)
    if kind == "link":
        targets = Field(st.sampled_from(HEADLINES) | LINE, st.sampled_from([own_headline, ""]))
        return f"{draw(LINK_PREFIXES)} {draw(targets.values(hostile))}"
    return draw(HOSTILE_TEXT)


@st.composite
def header_lines(draw, headline: str, hostile: bool) -> list[str]:
    """``Headline`` and ``Published`` (usually), then other keys; in a hostile file keys
    may be missing, repeated, unknown, oddly spelled or out of order."""
    lines = [f"Headline: {headline}", f"Published: {draw(HEADER['Published'].values(hostile))}"]
    keys = draw(st.lists(st.sampled_from(OTHER_KEYS), unique=True, max_size=6))
    if hostile:
        lines = draw(st.lists(st.sampled_from(lines), unique=True, max_size=2))
        keys += draw(st.lists(st.sampled_from(sorted(HEADER)), max_size=1))  # given twice
    for key in keys:
        spelling = draw(st.sampled_from([str.title, str.lower, str.upper])) if hostile else str
        separator = draw(st.sampled_from([": ", ":", " : ", ":\t"])) if hostile else ": "
        lines.append(spelling(key) + separator + draw(HEADER[key].values(hostile)))
    if hostile:
        lines += draw(st.lists(st.builds("{}: {}".format, TEXT, TEXT), max_size=1))
        lines = draw(st.permutations(lines))
    return lines


@st.composite
def story_files(draw):
    """A story file's text: well formed, or (half the time) with hostile parts."""
    hostile = draw(st.booleans())
    headline = draw(HEADER["Headline"].values(hostile))
    lines = draw(header_lines(headline, hostile))
    body = ["A plain first paragraph."] + draw(st.lists(paragraph(headline, hostile), max_size=4))
    if not hostile:
        return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"
    body = draw(st.lists(st.sampled_from(body), min_size=0, max_size=len(body)))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    blank = newline + draw(st.sampled_from(["", " ", "\t", "\x0c"])) + newline
    content = newline.join(lines) + blank + blank.join(body) + draw(st.sampled_from(["", newline]))
    return draw(st.sampled_from(["", "\ufeff", newline])) + content


# Fixtures --------------------------------------------------------------------------------


def png_bytes(colour="red", size=(4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (24, 16), colour) for colour in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def bomb_png() -> bytes:
    """A PNG whose header claims 40000 × 40000 pixels: Pillow refuses to decode it."""
    data = bytearray(png_bytes())
    data[16:24] = (40000).to_bytes(4, "big") * 2
    chunk = bytes(data[12:29])
    data[29:33] = zlib.crc32(chunk).to_bytes(4, "big")
    return bytes(data)


@pytest.fixture
def story_folder(tmp_path) -> Path:
    """Where story files are written, with the files their ``Image:`` lines may name
    (VALID_IMAGES, HOSTILE_IMAGES)."""
    folder = tmp_path / "stories"
    (folder / "sub").mkdir(parents=True)
    (folder / "folder.png").mkdir()
    (folder / "photo.png").write_bytes(png_bytes())
    (folder / "other.png").write_bytes(png_bytes("blue"))
    (folder / "cmyk.jpg").write_bytes(photo((40, 30), seed=3, mode="CMYK"))
    (folder / "animated.gif").write_bytes(animated_gif())
    (folder / "clear.png").write_bytes(photo((30, 40), seed=4, format="PNG", mode="RGBA"))
    (folder / "sub" / "photo.png").write_bytes(png_bytes("green"))
    (folder / "fake.png").write_text("This is not an image.\n")
    (folder / "truncated.png").write_bytes(png_bytes()[:40])
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "picture.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "outside.png").write_bytes(png_bytes("black"))
    (folder / "link-outside.png").symlink_to(tmp_path / "outside.png")
    (folder / "link-passwd.png").symlink_to("/etc/passwd")
    return folder


CONTROL_STORY = """\
Headline: Imported earlier
Slug: imported-earlier
Published: 2025-01-28T10:00:00+00:00
Section: World
People: Joe Biden
Image: photo.png
Image-Alt: A red square

The first paragraph.

Also Read: Ceasefire faces new hurdle
"""


EDITOR = "fuzzing-editor"


@pytest.fixture
def newsroom(settings, tmp_path, story_folder):
    """Stories written in the admin (one with a photo, one with an old address, a draft)
    and one imported earlier, with its photo in MEDIA_ROOT; an editor to look at them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    staff_user(EDITOR, "Editor")
    ArticleFactory(headline="Ceasefire faces new hurdle", authors=[AuthorFactory(name="Asha")])
    photo = ArticleFactory(
        headline="Story with photo",
        people=["Joe Biden"],
        lead_image=ImageFactory(file=ContentFile(png_bytes("white"), name="photo.png")),
    )
    draft(headline="A draft nobody may see yet")
    SlugRedirect.objects.create(old_slug="old-address", article=photo)
    control = story_folder / "control.txt"
    control.write_text(CONTROL_STORY)
    report = import_stories([control])
    assert not report.errors, report.errors
    control.unlink()


# Checks ----------------------------------------------------------------------------------


def database_rows() -> dict:
    """Every row of every model of the articles app, as comparable data."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("articles").get_models()
    }


def media_files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def check_story_file_error(error: StoryFileError, path: Path):
    """A failure reads ``file:line: reason`` and points at a line of the file."""
    assert re.match(rf"{re.escape(str(path))}:\d+: \S", str(error)), str(error)
    assert error.line >= 1


def check_imported_story(article: Article, story_path: Path, image_header: str | None):
    """What an import let through is within range, its image an image from the story's own
    folder, and its pages, feeds and admin pages answer without a server error."""
    for moment in (article.published_at, article.updated_at):
        assert moment is None or EARLIEST_STORY_TIME <= moment < LATEST_STORY_TIME, moment
    if image_header:
        source = (story_path.parent / image_header).resolve()
        assert source.is_relative_to(story_path.parent.resolve()), f"image from {source}"
    if article.lead_image:
        with Image.open(article.lead_image.file.path) as image:
            image.verify()
        for rendition in article.lead_image.renditions.all():
            with Image.open(rendition.file.path) as made:
                assert made.size == (rendition.width, rendition.height)
                assert not made.getexif()
    taken = SlugRedirect.objects.filter(old_slug=article.slug).exclude(article=article)
    assert not taken.exists(), f"{article.slug} is the old address of {taken.first().article}"
    live = Article.objects.live().filter(pk=article.pk).exists()
    detail = Client().get(article.get_absolute_url())
    check_response(detail, article.get_absolute_url())
    assert detail.status_code == (200 if live else 404)
    for url in public_pages_showing(article):
        check_response(Client().get(url), url)
    editor = Client()
    editor.force_login(User.objects.get(username=EDITOR))
    for url in (
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_changelist") + f"?q={quote(article.headline[:50])}",
        reverse("articles:preview", args=[article.pk]),
        reverse("newsroom_admin:graph", args=[article.pk]),
    ):
        check_response(editor.get(url), url)


def public_pages_showing(article: Article) -> list[str]:
    """The listings, feeds and sitemaps, and the story's hubs with their feeds."""
    pages = ["/", "/archive/", "/feed/rss/", "/feed/json/", "/sitemap.xml", "/news-sitemap.xml"]
    hubs = [article.section, *article.authors.all()]
    for kind in ("people", "countries", "topics"):
        hubs += list(getattr(article, kind).all())
    for hub in filter(None, hubs):
        pages += [hub.get_absolute_url(), hub.get_absolute_url() + "feed/atom/"]
    return pages


def image_header(content: str) -> str | None:
    """The file's ``Image:`` value, read independently of the importer."""
    lines = content.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    match = re.search(r"^[ \t]*image[ \t]*:(.*)$", lines, re.I | re.M)
    return text.collapse_whitespace(match[1]) if match else None


# Properties ------------------------------------------------------------------------------

# Files behind real failures (issue 13 items 1, 8, 9, 10 and more), tried before the drawn
# ones.
NOTORIOUS_FILES = {
    "far past": "Headline: Far past\nPublished: 0001-01-01T00:00:00+05:00\n\nBody.\n",
    "far future": "Headline: Far future\nPublished: 9999-12-31T23:59:59-05:00\n\nBody.\n",
    "offset PostgreSQL refuses": "Headline: Far east\nPublished: 2000-01-01T00:00:00+16:00\n\nB.\n",
    "image outside": "Headline: Escape\nPublished: 2025-01-01T00:00:00Z\n"
    "Image: " + "../" * 12 + "etc/passwd\n\nBody.\n",
    "image not an image": "Headline: Not an image\nPublished: 2025-01-01T00:00:00Z\n"
    "Image: fake.png\n\nBody.\n",
    "image name too long": "Headline: Long file name\nPublished: 2025-01-01T00:00:00Z\n"
    f"Image: {'x' * 300}.png\n\nBody.\n",
    "person name too long": "Headline: Long name\nPublished: 2025-01-01T00:00:00Z\n"
    f"People: {'p' * 101}\n\nBody.\n",
    "addressless section": "Headline: Addressless\nPublished: 2025-01-01T00:00:00Z\n"
    "Section: !!!\n\nBody.\n",
    "former slug taken, with image": "Headline: Taken\nPublished: 2025-01-01T00:00:00Z\n"
    "Image: photo.png\nImage-Alt: Red\nFormer-Slugs: old-address\n\nBody.\n",
    "slug is another's old address": "Headline: Squatter\nSlug: old-address\n"
    "Published: 2025-01-01T00:00:00Z\n\nBody.\n",
    "bad country, with image": "Headline: Story with photo\nSlug: story-with-photo\n"
    "Published: 2025-01-01T00:00:00Z\nImage: other.png\nImage-Alt: Blue\nCountries: Narnia\n\nB.\n",
    "bad time, with image": "Headline: Story with photo\nSlug: story-with-photo\n"
    "Published: 2025-01-01T00:00:00Z\nImage: other.png\nImage-Alt: Blue\n"
    "Updated: 0001-01-01T00:00:00Z\n\nB.\n",
}


@settings(max_examples=examples(60))
@given(content=story_files())
def test_parser_fails_only_with_a_story_file_error(tmp_path_factory, content):
    """Reading and parsing any story file gives a story or a ``file:line: reason``."""
    path = tmp_path_factory.mktemp("parse") / "story.txt"
    path.write_text(content, encoding="utf-8", newline="")
    try:
        story = parse_story(path, read_story_text(path))
    except StoryFileError as error:
        check_story_file_error(error, path)
    else:
        assert story.values["headline"] and story.values["body"]
        assert story.slug == text.slugify(story.slug)


@settings(max_examples=examples(30))
@given(data=st.one_of(st.binary(max_size=200), story_files().map(str.encode)), cut=st.integers())
@example(data=b"Headline: A\xff\n\nBody.\n", cut=0)
@example(data=b"\xef\xbb\xbfHeadline: A\r\n\r\nBody.\x00\r\n", cut=0)
def test_reading_any_bytes_fails_only_with_a_story_file_error(tmp_path_factory, data, cut):
    """Any bytes, including a UTF-8 file cut in the middle of a character."""
    path = tmp_path_factory.mktemp("bytes") / "story.txt"
    path.write_bytes(data[: cut % (len(data) + 1)] if data else data)
    try:
        content = read_story_text(path)
    except StoryFileError as error:
        check_story_file_error(error, path)
    else:
        assert "\x00" not in content and "\r" not in content


def test_an_import_writes_all_of_a_file_or_none_of_it(newsroom, story_folder):
    """Import one drawn file into the seeded newsroom: an exception other than a reported
    ``file:line: reason`` fails the test; a file not imported leaves every row and every
    media file as they were; an imported one is within range and its pages answer."""
    media = Path(django_settings.MEDIA_ROOT)
    path = story_folder / "story.txt"

    @settings(max_examples=examples(40))
    @given(content=story_files())
    def hostile(content):
        path.write_text(content, encoding="utf-8", newline="")
        cache.clear()  # pages cached by an earlier example outlive its rollback
        with rolled_back():
            rows, files = database_rows(), media_files(media)
            report = import_stories([path])
            for error in report.errors:
                check_story_file_error(error, path)
            outcome = report.outcomes.get(path)
            event(outcome or "refused")
            assert (outcome is None) == bool(report.errors), (outcome, report.errors)
            if outcome in ("created", "updated"):
                slug = parse_story(path, read_story_text(path)).slug
                check_imported_story(Article.objects.get(slug=slug), path, image_header(content))
            else:
                assert database_rows() == rows, f"{outcome or report.errors} changed rows"
                assert media_files(media) == files, f"{outcome or report.errors} wrote media"

    for content in NOTORIOUS_FILES.values():
        hostile = example(content=content)(hostile)
    hostile()


def test_every_file_of_a_run_is_tried(newsroom, story_folder):
    """The command tries every file whatever the others hold: each one is named in its
    output, a good one among them is imported, and when some fail the summary names them,
    each with a ``file:line: reason``, and the exit status is 1."""

    @settings(max_examples=examples(15))
    @given(contents=st.lists(story_files(), min_size=1, max_size=3))
    def hostile(contents):
        for old in story_folder.glob("*.txt"):
            old.unlink()
        paths = [story_folder / f"{number}.txt" for number in range(len(contents))]
        for path, content in zip(paths, contents, strict=True):
            path.write_text(content, encoding="utf-8", newline="")
        good = story_folder / "zz-good.txt"
        good.write_text(CONTROL_STORY.replace("imported-earlier", "good-one-of-a-run"))
        out, err = io.StringIO(), io.StringIO()
        with rolled_back():
            try:
                call_command("import_articles", story_folder, verbosity=2, stdout=out, stderr=err)
            except CommandError as error:
                assert error.returncode == 1
                failed = [path for path in paths if str(path) in str(error)]
                assert failed, str(error)
                for path in failed:
                    assert re.search(rf"^{re.escape(str(path))}:\d+: \S", err.getvalue(), re.M)
            assert Article.objects.filter(slug="good-one-of-a-run").exists()
            for path in [*paths, good]:
                assert str(path) in out.getvalue() + err.getvalue(), f"{path} was not tried"

    failing_early = ["person name too long", "addressless section", "image name too long"]
    hostile = example(contents=[NOTORIOUS_FILES[name] for name in failing_early])(hostile)
    hostile()
