"""Property tests of the story-file parser and writer over any text.

``parse_story`` gives a StoryFile or a StoryFileError, never another exception; what it
accepts, the models accept; and writing a parsed story either succeeds or writes nothing.
"""

from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from articles import text
from articles.importing import (
    HEADER_KEYS,
    NAMED,
    StoryFile,
    StoryFileError,
    parse_story,
    write_story,
)
from articles.models import (
    DATELINE_MAX_LENGTH,
    NOTICE_MAX_LENGTH,
    Article,
    Author,
    Correction,
    CrossLink,
    Person,
    Section,
    SlugRedirect,
    normalise_dateline,
    validate_story_time,
)

FOLDER_FILES = ("photo.png", "notes.png", "outside.png")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A story folder holding a real image, a text file named .png and a symbolic link to
    an image outside it."""
    root = tmp_path_factory.mktemp("property")
    Image.new("RGB", (3, 2), "red").save(root / "secret.png")
    stories = root / "stories"
    stories.mkdir()
    Image.new("RGB", (3, 2), "blue").save(stories / "photo.png")
    (stories / "notes.png").write_text("not an image")
    (stories / "outside.png").symlink_to(root / "secret.png")
    return stories


# Text an editor, a careless export or an attacker might write: mostly close enough to the
# format that the parser goes deep, sometimes anything at all.
line = st.text(st.characters(exclude_characters="\n"), max_size=120)
anything = st.text(max_size=400)
words = st.sampled_from(["Joe Biden", "IL", "United States", "Gaza ceasefire", "Asha Rao"])
dates = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.from_regex(r"\A[0-9]{1,5}-[0-9]{2}-[0-9]{2}T[0-9:.]{0,12}([+-][0-9:]{0,8}|Z)?\Z"),
)
names = st.lists(
    st.one_of(words, line, st.sampled_from(["!!!", "🙂", "x" * 101, "World!", "world"])),
    max_size=4,
).map("; ".join)
images = st.one_of(
    st.sampled_from(FOLDER_FILES),
    st.sampled_from(["../secret.png", "/etc/passwd", "missing.png", ".", "a\x00b", "x" * 300]),
    line,
)
values = {
    "published": dates,
    "updated": dates,
    "status": st.sampled_from(["published", "draft", "review", "archived", "live", ""]),
    "format": st.sampled_from(["text", "html", "HTML", "pdf"]),
    "slug": st.one_of(line, st.from_regex(r"\A[a-z0-9-]{0,130}\Z")),
    "image": images,
    "image-alt": st.one_of(st.just("A boat at dawn"), line),
    "image-focus": st.sampled_from(["0.5, 0.5", "1,0", "0 1", "2, 0.5", "nan, 0.1", "0.3"]),
    "former-slugs": st.one_of(st.sampled_from(["taken", "old-address; taken"]), names),
    "type": st.one_of(
        st.sampled_from(["analysis", "Fact check", "fact-check", "OPINION", "gossip", "news!"]),
        line,
    ),
    "dateline": st.one_of(st.sampled_from(["DOHA", "Gaza City —", "x" * 61, "<b>&</b>"]), line),
    **dict.fromkeys(("authors", "people", "countries", "topics", "section"), names),
    **dict.fromkeys(
        ("correction", "clarification"),
        st.builds(
            lambda at, bar, said: f"{at}{bar}{said}", dates, st.sampled_from(["|", " | ", ""]), line
        ),
    ),
}
# A sound header with some of its values replaced, sometimes by anything at all.
SOUND = {"headline": "A story", "published": "2025-01-28T10:00:00+00:00"}
headers = st.dictionaries(st.sampled_from(HEADER_KEYS), st.none(), max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries(
        {key: st.one_of(values.get(key, line), anything) for key in keys}
    ).map(lambda replaced: [f"{k}: {v}" for k, v in (SOUND | replaced).items()])
)
paragraphs = st.lists(
    st.one_of(
        line,
        anything,
        st.text(max_size=320).map(lambda h: f"Also Read: {h}"),
        st.one_of(words, line).map(lambda h: f"Related: {h}"),
        st.sampled_from(["<p>x</p><script>y</script>", "<ul><li>a", "&#0;", "Also Read:"]),
    ),
    max_size=6,
)
structured_stories = st.builds(
    lambda head, body: "\n".join(head) + "\n\nFirst paragraph.\n\n" + "\n\n".join(body),
    headers,
    paragraphs,
)
story_texts = st.one_of(structured_stories, st.text())


def check_accepted(story: StoryFile, folder: Path) -> None:
    """What the parser accepts, the models accept."""
    assert text.slugify(story.slug) == story.slug
    validate_story_time(story.values["published_at"])
    validate_story_time(story.values["updated_at"])
    if story.section:
        assert Section.normalise_name(story.section) == story.section
    for key, model in NAMED.items():
        for name in story.authors if key == "authors" else story.tags[key]:
            assert model.normalise_name(name) == name
    assert story.image is None or story.image == folder / "photo.png"
    assert story.story_type in Article.StoryType.values
    assert normalise_dateline(story.dateline) == story.dateline
    assert len(story.dateline) <= DATELINE_MAX_LENGTH
    for notice in story.notices:
        validate_story_time(notice.at)
        assert notice.text and Correction.normalise_text(notice.text) == notice.text
        assert len(notice.text) <= NOTICE_MAX_LENGTH


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=story_texts)
def test_parse_story_gives_a_story_or_a_clear_error(folder, content):
    """Never a traceback: any text is a StoryFile or file:line: reason."""
    path = folder / "story.txt"
    try:
        story = parse_story(path, content)
    except StoryFileError as error:
        assert error.path == path and error.line >= 1 and error.message
        event("refused")
        return
    event("accepted")
    check_accepted(story, folder)


def row_counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Article, CrossLink, Person, Section, Author, Correction)
    )


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=structured_stories)
def test_writing_a_parsed_story_succeeds_or_writes_nothing(folder, tmp_path_factory, content):
    """A story the parser accepts is written whole, or refused as file:line with no row and
    no file left behind, on SQLite and PostgreSQL."""
    try:
        story = parse_story(folder / "story.txt", content)
    except StoryFileError:
        event("refused while parsing")
        return
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=media), transaction.atomic():
        SlugRedirect.objects.create(
            old_slug="taken",
            article=Article.objects.create(
                headline="Someone else", slug="someone-else", body="<p>x</p>"
            ),
        )
        before = row_counts()
        try:
            write_story(story)
        except StoryFileError as error:
            event("refused while writing")
            assert error.line >= 1 and error.message
            assert row_counts() == before
            assert not any(media.rglob("*.*"))
        else:
            event("written")
            article = Article.objects.get(slug=story.slug)
            for kind, names in story.tags.items():
                assert sorted(getattr(article, kind).names()) == sorted(names)
            assert article.bylines.count() == len(story.authors)
            assert article.links_out.count() == len(story.links)
            assert (article.lead_image is None) == (story.image is None)
        transaction.set_rollback(True)
