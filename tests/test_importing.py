import io
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from articles import text
from articles.editorial import editing
from articles.editorial.editing import StaleRevision
from articles.importing import import_stories
from articles.models import Article, Author, Country, CrossLink, Person, Section, Topic
from articles.models import Image as LibraryImage
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# The wire story exactly as it arrived (../shared/seeds/), without a header block.
RAW_STORY = ROOT / "tests" / "data" / "raw_wire_story.txt"

GOOD = """\
Headline: Ceasefire faces new hurdle
Published: 2025-01-28T10:00:00+00:00
Section: World
People: Benjamin Netanyahu

First paragraph.

Second paragraph.
"""


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def database_state():
    """Every row the importer can touch, as comparable data."""
    out = io.StringIO()
    call_command(
        "dumpdata",
        "articles",
        "--indent",
        "1",
        "--natural-foreign",
        stdout=out,
    )
    return out.getvalue()


def test_seed_story_imports_as_designed():
    """seeds/ gives one live article: 10 paragraphs, its people and countries, 3 pending links."""
    report = import_stories([SEEDS])
    assert not report.errors
    article = Article.objects.live().get()
    assert len(article.paragraphs) == 10
    assert "(AP)" not in article.body
    assert article.paragraphs[0].endswith("reported news agency PTI.</p>")
    assert article.lead_image is None  # the wire photo is not ours to publish
    assert sorted(article.people.names()) == [
        "Benjamin Netanyahu",
        "Donald Trump",
        "Joe Biden",
        "Steve Witkoff",
    ]
    assert {"US", "IL", "IR", "SA"} <= set(article.countries.values_list("code", flat=True))
    links = list(article.links_out.all())
    assert [(link.placement, link.is_pending) for link in links] == [
        (2, True),
        (4, True),
        (6, True),
    ]
    assert links[0].target_headline.startswith("Gaza ceasefire faces new hurdle")


def test_importing_twice_changes_nothing():
    """Idempotent: the same files twice leave the database exactly as once."""
    import_stories([SEEDS])
    before = database_state()
    report = import_stories([SEEDS])
    assert set(report.outcomes.values()) == {"unchanged"}
    assert database_state() == before


def test_pending_link_resolves_when_its_story_is_imported(tmp_path):
    """A link to a story that does not exist yet resolves when that story arrives."""
    import_stories([SEEDS])
    write(
        tmp_path,
        "target.txt",
        GOOD.replace(
            "Ceasefire faces new hurdle",
            "Gaza ceasefire faces new hurdle as Israel claims Hamas violated agreement twice",
        ),
    )
    import_stories([tmp_path])
    link = CrossLink.objects.get(placement=2)
    assert link.target.headline.startswith("Gaza ceasefire faces new hurdle")
    assert CrossLink.objects.pending().count() == 2


def test_changed_file_updates_the_story(tmp_path):
    """Re-importing an edited file updates fields, tags and links of the same story."""
    path = write(tmp_path, "a.txt", GOOD)
    import_stories([path])
    write(
        tmp_path,
        "a.txt",
        GOOD.replace("People: Benjamin Netanyahu", "People: Joe Biden")
        + "\nAlso Read: Something else\n\nThird.\n",
    )
    report = import_stories([path])
    assert report.outcomes[path] == "updated"
    article = Article.objects.get()
    assert list(article.people.names()) == ["Joe Biden"]
    assert [(link.target_headline, link.placement) for link in article.links_out.all()] == [
        ("Something else", 2)
    ]
    assert len(article.paragraphs) == 3


def make_rich_database(tmp_path):
    """Stories in every status, with authors, HTML bodies, images and every kind of link."""
    tmp_path.mkdir()
    image = tmp_path / "photo.png"
    Image.new("RGB", (4, 3), "red").save(image)
    Image.new("RGB", (6, 4), "teal").save(tmp_path / "boat.png")
    write(
        tmp_path,
        "one.txt",
        """\
Headline: “Israel reserves right to resume Gaza war”: Netanyahu’s warning
Slug: israel-reserves-right
Status: published
Published: 2025-01-18T08:00:00+00:00
Updated: 2025-01-18T12:30:00+00:00
Section: World
Source: Reuters
Authors: Asha Rao; Tom Levy
People: Benjamin Netanyahu; Donald Trump
Countries: IL; United States of America
Topics: Gaza ceasefire
Standfirst: The prime minister warns & promises.
Image: photo.png
Image-Caption: Netanyahu speaks
Image-Credit: AP
Image-Alt: A man at a lectern
Image-Focus: 0.25, 0.4
Former-Slugs: israel-may-resume-war; netanyahu-warning
Correction: 2025-01-18T12:30:00+00:00 | An earlier version named the agency as AP | it was Reuters.
Clarification: 2025-01-19T09:15:00.250000+01:00 | The warning   came after the <vote>.

Also Read: Ceasefire delayed

First paragraph with <angle> & ampersand.

Also Read: Draft story in the works

Also Read: Not written yet

Second paragraph.

Related: Archived story
""",
    )
    write(
        tmp_path,
        "two.txt",
        """\
Headline: Ceasefire delayed
Status: published
Published: 2025-01-19T08:00:00+05:30
Section: Middle East
Format: html

<p>Rich <em>text</em> and <a href="https://example.com">a link</a>.</p>

<figure><img src="boat.png" alt="A boat at its mooring"><figcaption>At dawn</figcaption></figure>

<ul><li>one</li><li>two</li></ul>

Also Read: “Israel reserves right to resume Gaza war”: Netanyahu’s warning
""",
    )
    write(
        tmp_path, "three.txt", "Headline: Draft story in the works\nStatus: draft\n\nDraft body.\n"
    )
    write(
        tmp_path,
        "four.txt",
        """\
Headline: Archived story
Status: archived
Published: 2024-01-01T00:00:00+00:00
Topics: History
correction: 2024-01-02T00:00:00+00:00 | Kept while the story is archived.

Old body.
""",
    )
    report = import_stories([tmp_path])
    assert not report.errors, report.errors


def image_state(image):
    """The lead image as a story file carries it: its bytes and its details."""
    if image is None:
        return None
    with image.file.open("rb") as stored:
        data = stored.read()
    return (data, image.alt_text, image.caption, image.credit, image.focus_x, image.focus_y)


def snapshot():
    """Every field, tag, link and byline of every story, keyed by slug."""
    state = {}
    for article in Article.objects.order_by("slug"):
        state[article.slug] = {
            "fields": {
                field: getattr(article, field)
                for field in (
                    "headline",
                    "standfirst",
                    "body",
                    "status",
                    "published_at",
                    "updated_at",
                    "source",
                )
            },
            "image": image_state(article.lead_image),
            "section": article.section and article.section.name,
            "authors": list(
                article.authors.order_by("bylines__position").values_list("name", flat=True)
            ),
            "people": sorted(article.people.names()),
            "countries": sorted(article.countries.values_list("code", flat=True)),
            "topics": sorted(article.topics.names()),
            "former_slugs": sorted(article.slug_redirects.values_list("old_slug", flat=True)),
            "notices": list(
                article.corrections.order_by("at", "pk").values_list("kind", "at", "text")
            ),
            "links": [
                (
                    link.target.slug if link.target else None,
                    link.target_headline,
                    link.placement,
                    link.order,
                )
                for link in article.links_out.select_related("target")
            ],
        }
    return state


def test_export_then_import_into_an_empty_database_loses_nothing(tmp_path, settings):
    """import(export(db)) reproduces every field, tag, link, placement and status."""
    settings.MEDIA_ROOT = tmp_path / "media"
    make_rich_database(tmp_path / "in")
    before = snapshot()
    assert before["israel-reserves-right"]["links"][1][0] == "draft-story-in-the-works"
    assert before["israel-reserves-right"]["former_slugs"] == [
        "israel-may-resume-war",
        "netanyahu-warning",
    ]
    assert [(kind, text) for kind, _, text in before["israel-reserves-right"]["notices"]] == [
        ("correction", "An earlier version named the agency as AP | it was Reuters."),
        ("clarification", "The warning came after the <vote>."),
    ]
    assert len(before["archived-story"]["notices"]) == 1

    call_command("export_articles", tmp_path / "out", verbosity=0)
    for model in (Article, LibraryImage, Person, Country, Topic, Section, Author):
        model.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT)
    call_command("import_articles", tmp_path / "out", verbosity=0)

    assert snapshot() == before
    call_command("export_articles", tmp_path / "again", verbosity=0)
    for exported in (tmp_path / "out").glob("*.txt"):
        assert exported.read_text() == (tmp_path / "again" / exported.name).read_text()


BAD_FILES = {
    "no-header.txt": (RAW_STORY.read_bytes(), 1, "no header block"),
    "no-headline.txt": (
        "Section: World\nPublished: 2025-01-01T00:00:00Z\n\nBody.\n",
        1,
        "no headline",
    ),
    "unknown-key.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\nColour: red\n\nBody.\n",
        3,
        "unknown header key 'Colour'",
    ),
    "bad-date.txt": (
        "Headline: A\nPublished: 29/01/2025 9am\n\nBody.\n",
        2,
        "is not a date and time",
    ),
    "no-time.txt": ("Headline: A\nStatus: published\n\nBody.\n", 2, "needs 'Published"),
    "empty-body.txt": ("Headline: A\nPublished: 2025-01-01T00:00:00Z\n\n\n", 3, "no body"),
    "only-links.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n\nAlso Read: B\n",
        4,
        "no body",
    ),
    "empty-also-read.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n\nOne.\n\nAlso Read:\n",
        6,
        "needs a headline",
    ),
    "self-link.txt": (
        "Headline: A story\nPublished: 2025-01-01T00:00:00Z\n\nOne.\n\nAlso Read: a STORY\n",
        6,
        "cannot link to itself",
    ),
    "bad-country.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\nCountries: Narnia\n\nOne.\n",
        3,
        "unknown country",
    ),
    "bad-former-slug.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\nFormer-Slugs: Not A Slug\n\nOne.\n",
        3,
        "not a former slug",
    ),
    "bad-status.txt": ("Headline: A\nStatus: live\n\nOne.\n", 2, "unknown status 'live'"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "binary data"),
    "latin1.txt": ("Headline: Café\n\nBody.\n".encode("latin-1"), 1, "not UTF-8"),
    "huge.txt": (
        ("Headline: A\nPublished: 2025-01-01T00:00:00Z\n\n" + "x" * (5 * 1024 * 1024)),
        1,
        "at most 5 MB",
    ),
    "notice-without-bar.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n"
        "Correction: 2025-01-02T00:00:00Z The age was wrong.\n\nOne.\n",
        3,
        "expected 'Correction: <ISO time> | <text>'",
    ),
    "notice-bad-time.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n"
        "Correction: 2025-01-02T00:00:00Z | Fine.\n"
        "Clarification: yesterday | The age was wrong.\n\nOne.\n",
        4,
        "'yesterday' is not a date and time",
    ),
    "notice-out-of-range.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n"
        "Correction: 1066-10-14T00:00:00Z | Too early.\n\nOne.\n",
        3,
        "out of range",
    ),
    "notice-no-text.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n"
        "Clarification: 2025-01-02T00:00:00Z |   \n\nOne.\n",
        3,
        "the clarification has no text",
    ),
    "notice-too-long.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n"
        "Correction: 2025-01-02T00:00:00Z | " + "x" * 2001 + "\n\nOne.\n",
        3,
        "2001 characters long; at most 2000",
    ),
    "notice-twice.txt": (
        "Headline: A\nPublished: 2025-01-01T00:00:00Z\n"
        "Correction: 2025-01-02T00:00:00Z | Same.\n"
        "Correction: 2025-01-02T00:00:00+00:00 | Same.\n\nOne.\n",
        4,
        "the same correction as line 3",
    ),
    "long-headline.txt": (
        "Headline: " + "word " * 80 + "\nPublished: 2025-01-01T00:00:00Z\n\nB.\n",
        1,
        "headline",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_gets_a_clear_message_and_writes_nothing(tmp_path, name):
    """Each bad file is reported as file:line: problem, writes nothing; good files still import."""
    content, line, message = BAD_FILES[name]
    bad = write(tmp_path, name, content)
    good = write(tmp_path, "zz-good.txt", GOOD)
    report = import_stories([bad, good])
    assert [str(error).split(": ", 1)[0] for error in report.errors] == [f"{bad}:{line}"]
    assert message in str(report.errors[0])
    assert report.outcomes == {good: "created"}
    assert list(Article.objects.values_list("headline", flat=True)) == [
        "Ceasefire faces new hurdle"
    ]


def test_two_files_claiming_one_story_with_different_content_both_fail(tmp_path):
    """Same slug, different content in one run: neither wins silently; nothing is written."""
    first = write(tmp_path, "a.txt", GOOD)
    second = write(tmp_path, "b.txt", GOOD.replace("Second paragraph.", "Other text."))
    report = import_stories([first, second])
    assert sorted(report.failed) == [first, second]
    assert "also in" in str(report.errors[0])
    assert not Article.objects.exists()


def test_two_identical_files_are_one_story(tmp_path):
    """The same story twice in one run is no conflict."""
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", GOOD)
    report = import_stories([tmp_path])
    assert not report.errors
    assert Article.objects.count() == 1


def test_a_failure_in_the_database_rolls_back_the_whole_file(tmp_path, monkeypatch):
    """One transaction per file: a write that fails half-way leaves nothing behind."""
    from articles import importing

    def broken(article, links):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importing, "sync_links", broken)
    path = write(tmp_path, "a.txt", GOOD)
    with pytest.raises(RuntimeError):
        import_stories([path])
    assert not Article.objects.exists()
    assert not Person.objects.exists()


def test_command_exits_non_zero_and_names_the_failed_files(tmp_path):
    """Operators see every problem on stderr and a summary naming the failures."""
    bad = write(tmp_path, "bad.txt", "Headline: A\nPublished: nope\n\nBody.\n")
    write(tmp_path, "good.txt", GOOD)
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 failed and wrote nothing: .*bad\.txt"):
        call_command("import_articles", tmp_path, stderr=err, stdout=io.StringIO())
    assert f"{bad}:2: 'nope' is not a date and time" in err.getvalue()
    assert Article.objects.count() == 1


def test_missing_path_is_reported(tmp_path):
    report = import_stories([tmp_path / "nope.txt"])
    assert "no such file" in str(report.errors[0])


# Re-importing over the newsroom's work ------------------------------------------------------


def run_import(*paths, **options):
    """The command as an operator runs it: its output, its messages, and no exception."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def png_bytes(colour, size=(4, 3)):
    data = io.BytesIO()
    Image.new("RGB", size, colour).save(data, "PNG")
    return data.getvalue()


def edit_in_the_admin(article, **fields):
    """What saving the admin's change form does: the editing service, then the tags."""
    people = fields.pop("people", None)
    for name, value in fields.items():
        setattr(article, name, value)
    editing.save_article(article=article, base_revision=article.revision)
    if people is not None:
        article.people.set(people)
    return article


def test_running_make_run_again_keeps_the_seed_story_edits_and_says_nothing(tmp_path, settings):
    """`make run` re-imports seeds/: edits made since (tags, links, image, text) survive, and
    the second run prints its summary alone."""
    settings.MEDIA_ROOT = tmp_path / "media"
    run_import(SEEDS)
    article = Article.objects.get()
    article.lead_image = LibraryImage.objects.create(
        file=ContentFile(png_bytes("blue"), name="desk.png"), alt_text="A blue square"
    )
    edit_in_the_admin(article, standfirst="Rewritten by the desk.", people=["Kamala Harris"])
    editing.add_wire_links(
        article=article, links=[text.LinkSpec("A story the desk linked", None, 0)]
    )
    before = snapshot()

    out, err = run_import(SEEDS)

    assert (out, err) == ("Imported 1 file(s): 0 created, 0 updated, 1 unchanged.\n", "")
    assert snapshot() == before
    assert before[article.slug]["people"] == ["Kamala Harris"]


def test_a_changed_file_skips_the_story_edited_in_the_newsroom(tmp_path):
    """A new version of the file does not replace a story edited since its import: the
    command names the file, says why, and succeeds (skipping is no failure)."""
    path = write(tmp_path, "a.txt", GOOD)
    run_import(path)
    edit_in_the_admin(Article.objects.get(), standfirst="Desk edit.")
    write(tmp_path, "a.txt", GOOD.replace("Second paragraph.", "Wire update."))

    out, err = run_import(path)

    assert err == (
        f"{path}: skipped: story 'ceasefire-faces-new-hurdle' was edited in the newsroom "
        "since it was imported (revision 2 > 1); use --overwrite to replace it\n"
    )
    assert out == (
        "Imported 1 file(s): 0 created, 0 updated, 0 unchanged, 1 skipped "
        f"({path}: changed in the newsroom; --overwrite replaces them).\n"
    )
    article = Article.objects.get()
    assert article.standfirst == "Desk edit."
    assert "Wire update." not in article.body


def test_a_file_never_replaces_a_story_written_in_the_newsroom(tmp_path):
    """A file whose slug is a story written in the admin leaves it and its links alone."""
    own = ArticleFactory(headline="Ceasefire faces new hurdle", body="<p>Our own copy.</p>")
    other = ArticleFactory()
    CrossLink.objects.create(source=own, target=other, placement=None)
    path = write(tmp_path, "a.txt", GOOD)

    out, err = run_import(path)

    assert err == (
        f"{path}: skipped: story 'ceasefire-faces-new-hurdle' was written in the newsroom, "
        "not imported; use --overwrite to replace it\n"
    )
    assert "1 skipped" in out
    own.refresh_from_db()
    assert own.body == "<p>Our own copy.</p>"
    assert list(own.links_out.values_list("target", flat=True)) == [other.pk]


def test_overwrite_replaces_the_newsroom_story_and_says_so(tmp_path):
    """--overwrite replaces a story written or edited in the newsroom, and says whose work
    it replaced; afterwards the story counts as imported again."""
    own = ArticleFactory(headline="Ceasefire faces new hurdle", body="<p>Our own copy.</p>")
    CrossLink.objects.create(source=own, target=ArticleFactory(), placement=None)
    path = write(tmp_path, "a.txt", GOOD)

    out, err = run_import(path, overwrite=True)

    assert err == (
        f"{path}: overwritten: story 'ceasefire-faces-new-hurdle' was written in the "
        "newsroom, not imported\n"
    )
    assert out == "Imported 1 file(s): 0 created, 0 updated, 1 overwritten, 0 unchanged.\n"
    own.refresh_from_db()
    assert own.paragraphs == ["<p>First paragraph.</p>", "<p>Second paragraph.</p>"]
    assert not own.links_out.exists()
    assert run_import(path) == ("Imported 1 file(s): 0 created, 0 updated, 1 unchanged.\n", "")

    edit_in_the_admin(own, standfirst="Desk edit.")
    out, err = run_import(path, overwrite=True)
    assert "overwritten: story 'ceasefire-faces-new-hurdle' was edited in the newsroom" in err
    own.refresh_from_db()
    assert own.standfirst == ""


def test_an_import_makes_a_form_opened_before_it_stale(tmp_path):
    """Every import that changes a story moves its revision, so the admin's lost-update
    guard refuses a form opened before the import instead of erasing what it brought."""
    path = write(tmp_path, "a.txt", GOOD)
    import_stories([path])
    opened = Article.objects.get()
    write(tmp_path, "a.txt", GOOD.replace("Second paragraph.", "Wire update."))
    assert import_stories([path]).outcomes == {path: "updated"}

    opened.standfirst = "Saved from a stale form."
    with pytest.raises(StaleRevision):
        editing.save_article(article=opened, base_revision=opened.revision)
    assert "Wire update." in Article.objects.get().body


NOTICED = GOOD.replace(
    "People: Benjamin Netanyahu\n",
    "People: Benjamin Netanyahu\n"
    "Correction: 2025-01-28T12:00:00+00:00 | The talks were in Cairo, not Doha.\n"
    "Clarification: 2025-01-28T13:00:00+00:00 | The hurdle is a dispute over prisoners.\n",
)


def test_notices_in_a_story_file_are_synced_and_keep_their_identity(tmp_path):
    """Correction and Clarification lines become the story's notices, for the revision the
    import wrote; a file that drops one removes it and keeps the others as they were."""
    path = write(tmp_path, "a.txt", NOTICED)
    import_stories([path])
    article = Article.objects.get()
    notices = list(article.corrections.order_by("at"))
    assert [(n.kind, n.text, n.revision) for n in notices] == [
        ("correction", "The talks were in Cairo, not Doha.", article.revision),
        ("clarification", "The hurdle is a dispute over prisoners.", article.revision),
    ]
    assert import_stories([path]).outcomes == {path: "unchanged"}
    write(
        tmp_path,
        "a.txt",
        "\n".join(line for line in NOTICED.splitlines() if "Clarification" not in line) + "\n",
    )
    assert import_stories([path]).outcomes == {path: "updated"}
    assert list(Article.objects.get().corrections.values_list("pk", flat=True)) == [notices[0].pk]


def test_a_file_without_notices_keeps_the_digest_it_had(tmp_path):
    """Files written before notices existed are still unchanged on the next import: the
    digest covers notices only when a file has some."""
    import hashlib

    from articles.importing import parse_story

    story = parse_story(tmp_path / "a.txt", GOOD)
    state = (
        story.slug,
        sorted(story.values.items()),
        story.section,
        story.authors,
        sorted(story.tags.items()),
        story.former_slugs,
        story.links,
    )
    assert story.digest == hashlib.sha256(repr(state).encode()).hexdigest()
    assert parse_story(tmp_path / "a.txt", NOTICED).digest != story.digest


def test_a_notice_added_in_the_newsroom_is_a_newsroom_change(tmp_path):
    """An editor's correction counts as newsroom work: the next import of a changed file
    skips the story, and --overwrite replaces it, notice included."""
    from articles.editorial.corrections import publish_notice
    from articles.models import Correction

    path = write(tmp_path, "a.txt", GOOD)
    import_stories([path])
    article = Article.objects.get()
    publish_notice(notice=Correction(article=article, text="Added at the desk."))
    write(tmp_path, "a.txt", GOOD.replace("Second paragraph.", "Wire update."))

    report = import_stories([path])
    assert report.outcomes == {path: "skipped"}
    assert "edited in the newsroom" in report.notes[path]
    assert article.corrections.count() == 1

    assert import_stories([path], overwrite=True).outcomes == {path: "overwritten"}
    assert not article.corrections.exists()
