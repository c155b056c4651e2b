"""Hostile and careless story files: out-of-range dates, images from elsewhere or not images
at all, names no model accepts. Each is refused as ``file:line: reason``, writes nothing (not
even a file in media), and the other files of the run still import."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from articles.importing import StoryFileError, import_stories, parse_story
from articles.models import Article, Author, Person, Section, SlugRedirect, Topic
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db

GOOD = """\
Headline: Ceasefire faces new hurdle
Published: 2025-01-28T10:00:00+00:00
Section: World

First paragraph.
"""


def write(folder: Path, name: str, content) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def picture(path: Path, colour="red", size=(4, 3), kind="PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, kind)
    return path


def story_with(header: str, body="First paragraph.") -> str:
    return f"Headline: A story\nPublished: 2025-01-28T10:00:00+00:00\n{header}\n\n{body}\n"


def photo_header(name: str, *more: str) -> str:
    """``Image:`` and the header lines after it, then the alt text a published story's
    photo needs."""
    return "\n".join([f"Image: {name}", *more, "Image-Alt: A square of one colour"])


def stored_photo(article: Article):
    return Image.open(article.lead_image.file)


def media_files(settings) -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def refused(path: Path, content: str) -> StoryFileError:
    with pytest.raises(StoryFileError) as caught:
        parse_story(path, content)
    return caught.value


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


# Dates ---------------------------------------------------------------------------------------

OUT_OF_RANGE = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "1899-12-31T23:59:59Z",
    "2199-12-31T23:59:59-05:00",  # 2200 in UTC
    "0001-01-01T00:00:00",  # naive: read in TIME_ZONE
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_time_out_of_range_is_refused_at_its_line(tmp_path, value):
    """Times pages cannot show (year 1, year 9999) are refused while parsing, at their line,
    with the range the model allows (models.validate_story_time)."""
    published = refused(tmp_path / "a.txt", f"Headline: A\nPublished: {value}\n\nBody.\n")
    updated = refused(
        tmp_path / "a.txt",
        f"Headline: A\nPublished: 2025-01-28T10:00:00Z\nUpdated: {value}\n\nBody.\n",
    )
    message = f"'{value}' is out of range: Use a time between 1900 and 2199."
    assert (published.line, published.message) == (2, message)
    assert (updated.line, updated.message) == (3, message)


@pytest.mark.parametrize(
    "value",
    [
        "0000-01-01T00:00:00Z",  # year 0
        "2025-01-01T00:00:00+24:00",  # an offset of a whole day
        "2025-02-30T10:00:00Z",
        "2025-01-01T24:00:01",
        "10000-01-01T00:00:00Z",
        "Z",
    ],
)
def test_what_python_cannot_read_as_a_time_is_a_clear_error(tmp_path, value):
    error = refused(tmp_path / "a.txt", f"Headline: A\nPublished: {value}\n\nBody.\n")
    assert (error.line, error.message) == (
        2,
        f"'{value}' is not a date and time like 2025-01-29T09:30:00+05:30",
    )


def test_the_ends_of_the_range_import(tmp_path):
    first = write(
        tmp_path,
        "a.txt",
        story_with("Slug: first").replace("2025-01-28T10:00:00+00:00", "1900-01-01T00:00:00Z"),
    )
    last = write(
        tmp_path,
        "b.txt",
        story_with("Slug: last").replace("2025-01-28T10:00:00+00:00", "2199-12-31T23:59:59Z"),
    )
    report = import_stories([first, last])
    assert not report.errors
    assert [a.published_at.year for a in Article.objects.order_by("published_at")] == [1900, 2199]


def test_a_run_with_an_out_of_range_time_writes_nothing_of_that_file(tmp_path):
    bad = write(tmp_path, "a.txt", GOOD.replace("2025-01-28", "9999-12-31"))
    good = write(tmp_path, "b.txt", GOOD.replace("Ceasefire", "Truce"))
    report = import_stories([bad, good])
    assert [str(e) for e in report.errors] == [
        f"{bad}:2: '9999-12-31T10:00:00+00:00' is out of range: Use a time between 1900 and 2199."
    ]
    assert list(Article.objects.values_list("slug", flat=True)) == ["truce-faces-new-hurdle"]


# Where images come from ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "../secret.png",
        "{outside}",
        "escape.png",
        "inner/../../secret.png",
        "../../../../etc/passwd",
    ],
)
def test_an_image_from_outside_the_story_folder_is_refused(tmp_path, media, given):
    """`Image: ../../../../etc/passwd` published that file; an image must lie in the story
    file's folder or below it, and no absolute path or symbolic link leads out."""
    secret = picture(tmp_path / "secret.png")
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "escape.png").symlink_to(secret)
    given = given.format(outside=secret)
    path = write(stories, "a.txt", story_with(f"Image: {given}"))

    report = import_stories([path])

    assert [str(e) for e in report.errors] == [
        f"{path}:3: image '{given}' must be a file in the story file's folder or below it"
    ]
    assert not Article.objects.exists()
    assert media_files(media) == {}


def test_an_image_in_a_folder_beside_the_story_imports(tmp_path, media):
    """Exports keep images in images/<slug>/ beside the story files; that stays allowed."""
    picture(tmp_path / "images" / "a" / "photo.png", "green")
    path = write(tmp_path, "a.txt", story_with(photo_header("images/a/../a/photo.png")))
    assert import_stories([path]).outcomes == {path: "created"}
    with stored_photo(Article.objects.get()) as stored:
        assert stored.getpixel((0, 0)) == (0, 128, 0)


# What counts as an image ---------------------------------------------------------------------


def not_an_image(folder: Path) -> dict[str, Path]:
    truncated = picture(folder / "whole.png", size=(64, 64)).read_bytes()
    return {
        "text named .png": write(folder, "fake.png", "root:x:0:0:root:/root:/bin/bash\n"),
        "bitmap": picture(folder / "photo.bmp", kind="BMP"),
        "cut-off png": write(folder, "cut.png", truncated[: len(truncated) // 2]),
        "svg": write(folder, "logo.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>'),
        "empty": write(folder, "empty.jpg", b""),
    }


@pytest.mark.parametrize("kind", ["text named .png", "bitmap", "cut-off png", "svg", "empty"])
def test_a_file_that_is_not_a_web_image_is_refused(tmp_path, media, kind):
    """Pillow must read it as JPEG, PNG, WebP or GIF and verify it; a text file named .png
    is no image."""
    image = not_an_image(tmp_path)[kind]
    path = write(tmp_path, "a.txt", story_with(f"Image: {image.name}"))
    report = import_stories([path])
    assert [str(e) for e in report.errors] == [
        f"{path}:3: image '{image.name}' is not a JPEG, PNG, WebP or GIF image "
        "(or the file is damaged)"
    ]
    assert media_files(media) == {}


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_web_image_format_imports(tmp_path, media, kind):
    image = picture(tmp_path / f"photo.{kind.lower()}", kind=kind)
    path = write(tmp_path, "a.txt", story_with(photo_header(image.name)))
    assert import_stories([path]).outcomes == {path: "created"}
    with stored_photo(Article.objects.get()) as stored:
        assert stored.format == kind


def test_an_image_over_the_size_limits_is_refused(tmp_path, media):
    """A decompression bomb or a huge file is refused before anything decodes it."""
    media.NEWSROOM_IMPORT_MAX_IMAGE_PIXELS = 100
    picture(tmp_path / "wide.png", size=(20, 6))
    path = write(tmp_path, "a.txt", story_with("Image: wide.png"))
    assert refused(path, path.read_text()).message == (
        "image 'wide.png' is 20×6 pixels; images may have at most 0.0001 million"
    )
    media.NEWSROOM_IMPORT_MAX_IMAGE_PIXELS = 120
    media.NEWSROOM_IMPORT_MAX_IMAGE_BYTES = 50
    assert "is larger than 5e-05 MB" in refused(path, path.read_text()).message


# When image files are written ------------------------------------------------------------


def test_a_rejected_import_leaves_the_stored_image_and_media_as_they_were(tmp_path, media):
    """The image used to be written before the story was checked: a file refused later had
    already replaced the published image. Now nothing reaches media unless the file imports."""
    photo = picture(tmp_path / "photo.png", "red")
    path = write(tmp_path, "a.txt", story_with(photo_header("photo.png")))
    import_stories([path])
    before = media_files(media)
    SlugRedirect.objects.create(old_slug="taken", article=ArticleFactory())

    picture(photo, "blue")
    write(tmp_path, "a.txt", story_with(photo_header("photo.png", "Former-Slugs: taken")))
    report = import_stories([path])

    assert [str(e) for e in report.errors] == [
        f"{path}:4: former slug 'taken' belongs to another story"
    ]
    assert media_files(media) == before
    with stored_photo(Article.objects.get(slug="a-story")) as stored:
        assert stored.getpixel((0, 0)) == (255, 0, 0)


def test_a_rejected_new_story_leaves_no_file_in_media(tmp_path, media):
    SlugRedirect.objects.create(old_slug="taken", article=ArticleFactory())
    picture(tmp_path / "photo.png")
    path = write(tmp_path, "a.txt", story_with(photo_header("photo.png", "Former-Slugs: taken")))
    assert import_stories([path]).failed == [path]
    assert media_files(media) == {}


def test_a_new_image_never_overwrites_the_stored_file_in_place(tmp_path, media):
    """Pages and caches may still show the old image: a changed image gets a new name."""
    photo = picture(tmp_path / "photo.png", "red")
    path = write(tmp_path, "a.txt", story_with(photo_header("photo.png")))
    import_stories([path])
    old = Article.objects.get().lead_image.file.name
    old_bytes = media_files(media)[old]

    picture(photo, "blue")
    assert import_stories([path]).outcomes == {path: "updated"}

    article = Article.objects.get()
    assert article.lead_image.file.name != old
    assert media_files(media)[old] == old_bytes
    with stored_photo(article) as stored:
        assert stored.getpixel((0, 0)) == (0, 0, 255)


# Names, and every file tried -----------------------------------------------------------------


def test_every_file_is_tried_and_each_bad_name_is_reported_at_its_line(tmp_path):
    """A name no model accepts (over-long, no letter or digit) used to end the run with a
    traceback, leaving the files after it untried. Now each is file:line, writes nothing,
    the rest import, and the command fails naming them."""
    files = {
        "a-person.txt": (story_with("People: Joe Biden; " + "x" * 101), 3, "person's name"),
        "b-section.txt": (story_with("Section: !!!"), 3, "section name “!!!” has no letter"),
        "c-author.txt": (story_with("Source: PTI\nAuthors: 🙂"), 4, "author's name “🙂”"),
        "d-topic.txt": (story_with("Topics: " + "war " * 30), 3, "topic's name"),
        "e-country.txt": (story_with("Countries: Narnia"), 3, "unknown country “Narnia”"),
    }
    paths = {name: write(tmp_path, name, content) for name, (content, _, _) in files.items()}
    good = write(tmp_path, "z-good.txt", GOOD)
    err = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_articles", tmp_path, stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert len(lines) == len(files)
    for line, (name, (_, number, message)) in zip(lines, files.items(), strict=True):
        assert line.startswith(f"{paths[name]}:{number}: ")
        assert message in line
    assert str(failure.value).endswith(
        f"{len(files)} failed and wrote nothing: " + ", ".join(map(str, paths.values()))
    )
    assert failure.value.returncode == 1
    assert list(Article.objects.values_list("slug", flat=True)) == [parse_story(good, GOOD).slug]
    assert not Person.objects.exists() and not Topic.objects.exists()
    assert not Author.objects.exists()
    assert list(Section.objects.values_list("name", flat=True)) == ["World"]


def test_names_with_one_address_are_one_name(tmp_path):
    """A section or author differing only in case or punctuation from a known one is that
    one (two rows cannot share an address); the same holds within one list."""
    world = SectionFactory(name="World")
    path = write(
        tmp_path,
        "a.txt",
        story_with(
            "Section: world!\nAuthors: Asha Rao; asha rao.; Tom Levy\nPeople: Joe Biden; joe  biden"
        ),
    )
    assert import_stories([path]).outcomes == {path: "created"}
    article = Article.objects.get()
    assert article.section == world
    assert list(article.authors.order_by("bylines__position").values_list("name", flat=True)) == [
        "Asha Rao",
        "Tom Levy",
    ]
    assert list(article.people.names()) == ["Joe Biden"]


def test_two_names_of_one_author_make_one_byline(tmp_path):
    """An author found by name and again by the address an editor gave them is bylined once
    (it was a second byline for the same author: an IntegrityError and a traceback)."""
    asha = AuthorFactory(name="Asha Rao", slug="asha")
    path = write(tmp_path, "a.txt", story_with("Authors: Asha Rao; Asha; Tom Levy"))
    assert import_stories([path]).outcomes == {path: "created"}
    bylined = Article.objects.get().authors.order_by("bylines__position")
    assert list(bylined) == [asha, Author.objects.get(name="Tom Levy")]


def refuse_headlines_with(word: str) -> None:
    """Make the database itself refuse a story whose headline holds ``word`` (a rule the
    models know nothing of), for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE articles_article ADD CONSTRAINT test_refused_word "
                f"CHECK (headline NOT LIKE '%%{word}%%')"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_refused_word BEFORE INSERT ON articles_article "
                f"WHEN NEW.headline LIKE '%{word}%' "
                "BEGIN SELECT RAISE(ABORT, 'refused word'); END"
            )


def test_what_the_database_refuses_while_writing_is_reported_and_the_run_goes_on(tmp_path):
    """Whatever a model or the database refuses while writing a file becomes file:line and
    rolls that file back; the next file still imports."""
    refuse_headlines_with("zebra")
    bad = write(tmp_path, "a.txt", story_with("Slug: zebras").replace("A story", "A zebra"))
    good = write(tmp_path, "b.txt", GOOD)
    report = import_stories([bad, good])
    assert report.outcomes[good] == "created"
    assert [error.path for error in report.errors] == [bad]
    assert report.errors[0].message.startswith("the database refused this")
    assert not Article.objects.filter(slug="zebras").exists()


@pytest.mark.parametrize(
    "header, body, line, message",
    [
        ("Section: World", "One.\n\nAlso Read: " + "long " * 70, 7, "longer than 300 characters"),
        (
            "Section: World",
            "One.\n\nRelated: !!!",
            7,
            "a link needs a headline with letters or digits",
        ),
        ("Former-Slugs: " + "-".join(["old"] * 40), "One.", 3, "is not a former slug"),
    ],
)
def test_what_the_database_would_refuse_is_refused_at_its_line(
    tmp_path, header, body, line, message
):
    """PostgreSQL refuses over-long links and former slugs (a traceback); SQLite kept them."""
    path = write(tmp_path, "a.txt", story_with(header, body))
    report = import_stories([path])
    assert [(e.line, message in e.message) for e in report.errors] == [(line, True)]
    assert not Article.objects.exists()


def test_a_story_file_that_cannot_be_read_is_reported(tmp_path):
    """A file the system cannot read (here one the kernel answers with an I/O error) is one
    more file:line error, not the end of the run."""
    unreadable = Path("/proc/self/mem")
    good = write(tmp_path, "a.txt", GOOD)
    report = import_stories([unreadable, good])
    assert [str(e) for e in report.errors] == [
        f"{unreadable}:0: cannot read the file (Input/output error)"
    ]
    assert report.outcomes == {good: "created"}


def test_an_offset_python_accepts_and_postgresql_would_not_is_kept_as_its_instant(tmp_path):
    """``+16:00`` is a valid offset for Python, past PostgreSQL's ±15:59: the time is stored
    as the same instant in UTC."""
    path = write(
        tmp_path,
        "a.txt",
        story_with("Slug: far-east").replace(
            "Published: 2025-01-28T10:00:00+00:00", "Published: 2000-01-02T00:00:00+16:00"
        ),
    )
    report = import_stories([path])
    assert report.errors == []
    stored = Article.objects.get(slug="far-east").published_at
    assert stored == datetime(2000, 1, 1, 8, 0, tzinfo=UTC)
