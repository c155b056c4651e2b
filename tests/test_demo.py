"""The demo newsroom (articles/demo.py, seeds/demo/): what a first run shows, and that it
never mixes with, overwrites or outlives a newsroom's own work."""

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree  # noqa: S405 - parsing our own output

import pytest
from django.core.management import CommandError, call_command

from articles import demo, text
from articles.importing import (
    StoryFileError,
    export_stories,
    import_stories,
    newsroom_change,
    parse_story,
    read_story_text,
)
from articles.intelligence.threads import story_threads, thread_of
from articles.models import (
    Article,
    AuditEntry,
    Author,
    Country,
    CrossLink,
    Image,
    Person,
    Rendition,
    Section,
    StoryVersion,
    Topic,
)
from tests.factories import ArticleFactory

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_HEADLINE = "Trump invites Netanyahu to the White House on February 4"
SEED_URL = "/news/trump-invites-netanyahu-to-the-white-house-on-february-4/"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
# Marks that quote someone: double quotes of every kind, and the opening single quote.
QUOTE_MARKS = re.compile('["“”„«»‘‹›]')


def seed_link_headlines() -> list[str]:
    path = next(SEEDS.glob("*.txt"))
    return [link.headline for link in parse_story(path, read_story_text(path)).links]


# The demo's files, as the importer reads them once prepared (no database) -------------------


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo's story files prepared as loading prepares them (times moved, pictures
    drawn), parsed: ``(now, [StoryFile…])``."""
    folder = tmp_path_factory.mktemp("demo")
    now = datetime(2026, 12, 4, 15, 42, tzinfo=UTC)
    paths, _ = demo.prepare(folder, now)
    return now, [parse_story(path, read_story_text(path)) for path in paths]


def test_the_demo_resolves_the_seeds_links_and_links_within_itself(demo_files):
    """Stories with exactly the seed's three Also Read headlines, and every link of the demo
    to one of its stories or the seed: nothing pending on a first run."""
    _, stories = demo_files
    keys = {text.headline_key(story.values["headline"]) for story in stories}
    assert len(stories) >= 30
    assert {text.headline_key(h) for h in seed_link_headlines()} <= keys
    keys.add(text.headline_key(SEED_HEADLINE))
    links = [link for story in stories for link in story.links]
    assert len(links) >= 60
    assert {text.headline_key(link.headline) for link in links} <= keys
    # Inline boxes and Related lists both.
    assert {link.placement is None for link in links} == {True, False}


def test_every_demo_story_is_marked_as_demo_content(demo_files):
    _, stories = demo_files
    assert all(story.demo for story in stories)
    assert {story.values["source"] for story in stories} == {"Newsroom demo"}
    assert all(author.startswith("Demo ") for story in stories for author in story.authors)
    assert not {story.slug for story in stories} & demo.seed_slugs()


def test_the_demo_quotes_no_one(demo_files):
    """No quotation marks in any body, standfirst or notice: the demo attributes no words to
    anyone, real or invented (the seed's own headlines, which the demo must match, aside)."""
    _, stories = demo_files
    for story in stories:
        words = [text.html_to_text(block) for block in text.html_blocks(story.values["body"])]
        words += [story.values["standfirst"], *(notice.text for notice in story.notices)]
        for passage in words:
            assert not QUOTE_MARKS.search(passage), (story.path.name, passage)


def test_the_demo_has_a_correction_a_clarification_and_a_story_in_review(demo_files):
    _, stories = demo_files
    kinds = {notice.kind for story in stories for notice in story.notices}
    assert kinds == {"correction", "clarification"}
    assert any(story.values["status"] == Article.Status.REVIEW for story in stories)
    assert any("<img" in story.values["body"] for story in stories)


def test_the_demo_shows_types_of_work_and_datelines_of_invented_places_only(demo_files):
    """Explainers, analysis and an opinion piece (a review of an invented exhibition) show
    the type labels; a dateline says where a reporter was, so only stories set in invented
    places carry one."""
    _, stories = demo_files
    types = {story.story_type for story in stories}
    assert {"news", "explainer", "analysis", "opinion"} <= types
    datelined = [story for story in stories if story.dateline]
    assert datelined
    assert all(
        "invented" in story.values["standfirst"] + story.values["body"] for story in datelined
    )


def test_demo_pictures_are_drawn_as_their_alt_text_says(demo_files):
    """Each picture's name is its recipe and its alt text names the shapes and both colours;
    every story showing it gives it the same details (they are one library image's)."""
    _, stories = demo_files
    details = {}
    for story in stories:
        if story.image is None:
            continue
        recipe = demo.PICTURE_NAME.match(story.image.name)
        alt = story.image_details["alt_text"]
        assert recipe["shape"][:-1] in alt, (story.path.name, alt)
        assert recipe["colour"] in alt and recipe["ground"] in alt, (story.path.name, alt)
        assert demo.PICTURE_LABEL in story.image_details["caption"]
        assert details.setdefault(story.image.name, story.image_details) == story.image_details
    assert len(details) >= 6
    photos = [photo for story in stories for photo in story.photos.values()]
    assert photos and all(
        demo.PICTURE_NAME.match(photo.name)["colour"] in photo.alt for photo in photos
    )


def test_demo_times_run_from_weeks_ago_to_hours_ago(demo_files):
    """Moved to the hour of loading: nothing scheduled, several stories in the News
    sitemap's 48 hours, the oldest weeks back; each notice after its story's publication."""
    now, stories = demo_files
    published = [s.values["published_at"] for s in stories if s.values["published_at"]]
    assert max(published) <= now
    assert sum(now - moment < timedelta(hours=48) for moment in published) >= 5
    assert now - min(published) > timedelta(days=14)
    for story in stories:
        for notice in story.notices:
            assert story.values["published_at"] < notice.at <= now


def test_time_shift_moves_header_times_and_nothing_else():
    content = (
        "Headline: H\nPublished: 1999-12-31T22:00:00Z\nCorrection: 1999-12-31T23:00:00Z | At 1999\n"
        "\nPublished: 1999-12-31T22:00:00Z is body text.\n"
    )
    shift = demo.time_shift(datetime(2026, 12, 4, 15, 42, tzinfo=UTC))
    assert demo.shifted(content, shift) == (
        "Headline: H\nPublished: 2026-12-04T13:00:00+00:00\n"
        "Correction: 2026-12-04T14:00:00+00:00 | At 1999\n"
        "\nPublished: 1999-12-31T22:00:00Z is body text.\n"
    )


def test_pictures_are_the_same_every_time_and_names_are_checked():
    assert demo.picture("waves-teal-on-forest.png") == demo.picture("waves-teal-on-forest.png")
    assert demo.picture("waves-teal-on-forest.png") != demo.picture("waves-teal-on-navy.png")
    for bad in ("spirals-teal-on-navy.png", "waves-mauve-on-navy.png", "waves-teal.png"):
        with pytest.raises(ValueError, match="not a demo picture"):
            demo.picture(bad)


def test_make_run_loads_the_demo_on_a_first_run_before_the_seed():
    """Before the seed is imported, so that only a database with no story at all is a first
    run: after ``load_demo --remove`` the seed is there, and the demo stays away."""
    result = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    commands = [
        line.split("manage.py ", 1)[1] for line in result.stdout.splitlines() if "manage.py" in line
    ]
    assert commands.index("load_demo --first-run") < commands.index("import_articles seeds/")


# Loading and removing, with a small demo of the same kind ----------------------------------

MINI_STORY = """Headline: {headline}
Published: {published}
Section: {section}
Source: Newsroom demo
Demo: yes
Authors: Demo Desk
People: Benjamin Netanyahu
Countries: {country}
Topics: {topic}
Image: images/{picture}
Image-Alt: Generated illustration: {alt}, labelled Illustration (demo).
Image-Caption: Illustration (demo)
Image-Credit: Newsroom demo (generated)

A demo paragraph.

Also Read: {link}

Another demo paragraph.

Related: {related}
"""
MINI_HEADLINE = "Gaza ceasefire faces new hurdle as Israel claims Hamas violated agreement twice"


@pytest.fixture
def mini_demo(tmp_path, monkeypatch):
    """Two demo stories in the demo's own format: one answering a link of the seed, each
    linking to the other and to the seed, with a picture each; loaded in a blink."""
    folder = tmp_path / "mini-demo"
    folder.mkdir()
    stories = [
        {
            "headline": MINI_HEADLINE,
            "published": "1999-12-31T20:00:00Z",
            "section": "Demo world",
            "country": "Egypt",
            "topic": "Demo topic",
            "picture": "circles-teal-on-navy.png",
            "alt": "teal circles on a navy gradient",
            "link": "Mini demo two",
        },
        {
            "headline": "Mini demo two",
            "published": "1999-12-20T08:00:00Z",
            "section": "World",
            "country": "Israel",
            "topic": "Gaza ceasefire",
            "picture": "squares-lime-on-maroon.png",
            "alt": "lime squares on a maroon gradient",
            "link": MINI_HEADLINE,
        },
    ]
    for number, story in enumerate(stories):
        (folder / f"{number}.txt").write_text(MINI_STORY.format(**story, related=SEED_HEADLINE))
    monkeypatch.setattr(demo, "DEMO_DIR", folder)
    return folder


def state() -> dict:
    """What a load could change, to compare before and after."""
    return {
        "stories": list(
            Article.objects.order_by("pk").values_list("slug", "revision", "published_at")
        ),
        "links": list(CrossLink.objects.order_by("pk").values_list("source", "target")),
        "images": sorted(Image.objects.values_list("digest", flat=True)),
        "renditions": Rendition.objects.count(),
        "versions": StoryVersion.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.mark.django_db
def test_loading_creates_the_demo_and_a_second_load_changes_nothing(mini_demo):
    import_stories([SEEDS])
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "2 stories marked Demo, 2 pictures" in out.getvalue()
    seed = Article.objects.get(slug=SEED_URL.split("/")[2])
    assert seed.links_out.filter(target__isnull=False).count() == 1  # the mini demo answers one
    assert (
        Article.objects.filter(is_demo=True, lead_image__renditions__isnull=False)
        .distinct()
        .count()
        == 2
    )
    before = state()
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "loaded already (2 stories)" in again.getvalue()
    assert state() == before


@pytest.mark.django_db
def test_the_demo_is_refused_beside_a_newsroom_s_own_stories(mini_demo):
    """One story of the newsroom's own (not the seed) and the demo stays out, whatever the
    command is asked; nothing is written."""
    import_stories([SEEDS])
    ArticleFactory(headline="Our own story")
    before = state()
    with pytest.raises(CommandError, match="has 1 story of its own"):
        call_command("load_demo")
    call_command("load_demo", "--first-run")
    assert state() == before


@pytest.mark.django_db
def test_first_run_means_no_story_at_all(mini_demo):
    """``make run`` asks before importing the seed: with only the seed there (a newsroom
    that removed the demo), nothing; with no story at all, the demo."""
    import_stories([SEEDS])
    call_command("load_demo", "--first-run", verbosity=0)
    assert not Article.objects.filter(is_demo=True).exists()
    Article.objects.all().delete()
    call_command("load_demo", "--first-run", verbosity=0)
    assert Article.objects.filter(is_demo=True).count() == 2


def media_files(settings) -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


@pytest.mark.django_db
def test_a_broken_demo_loads_nothing_and_leaves_no_files(mini_demo, settings):
    """All or nothing: a file the importer refuses rolls back the stories imported before
    it, and their pictures' files (originals and renditions) are deleted."""
    (mini_demo / "9.txt").write_text("Headline: Broken\nStatus: draft\nDemo: maybe\n\nText.\n")
    files = media_files(settings)
    with pytest.raises(CommandError, match=r"mini-demo/9\.txt:3: 'Demo: maybe'"):
        call_command("load_demo")
    assert not Article.objects.exists() and not Image.objects.exists()
    assert media_files(settings) == files


@pytest.mark.django_db
def test_loading_never_changes_a_story_it_did_not_make(mini_demo, tmp_path, monkeypatch):
    """Loading only ever creates: a story already at a demo story's address (here a seed
    story that happens to share it) makes the whole load fail rather than overwrite it."""
    own = tmp_path / "own.txt"
    own.write_text("Headline: Mini demo two\nPublished: 2025-01-01T00:00:00Z\n\nOur text.\n")
    import_stories([own])
    monkeypatch.setattr(demo, "seed_slugs", lambda folder=None: {"mini-demo-two"})
    before = state()
    with pytest.raises(demo.DemoRefused, match="1.txt exist already"):
        demo.load()
    assert state() == before


@pytest.mark.django_db
def test_remove_deletes_only_the_demo(mini_demo, django_capture_on_commit_callbacks, settings):
    """Demo stories, the pictures only they show (files too) and the names only they carry
    go; the seed stays as its import left it (its links pending again), and so does the
    newsroom's own story that links to a demo story and shows a demo picture."""
    import_stories([SEEDS])
    demo.load()
    shared = Article.objects.get(headline="Mini demo two").lead_image
    gone = Article.objects.get(headline=MINI_HEADLINE).lead_image
    gone_files = [
        gone.file.path,
        *(Path(settings.MEDIA_ROOT) / r.file.name for r in gone.renditions.all()),
    ]
    own = ArticleFactory(headline="Our own story", lead_image=shared, countries=["Egypt"])
    CrossLink.objects.create(
        source=own, target=Article.objects.get(headline=MINI_HEADLINE), placement=1
    )
    own_revision = Article.objects.get(pk=own.pk).revision

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--remove", verbosity=2, stdout=out)
    assert "Removed the demo: 2 stories, 1 pictures and 3 names" in out.getvalue()
    assert "Demo world; Demo Desk; Demo topic" in out.getvalue()

    assert set(Article.objects.values_list("headline", flat=True)) == {
        SEED_HEADLINE,
        "Our own story",
    }
    assert list(Image.objects.all()) == [shared]
    assert not any(Path(name).exists() for name in gone_files)
    assert Country.objects.filter(name="Egypt").exists()  # our own story carries it
    assert not Section.objects.filter(name="Demo world").exists()
    assert not Author.objects.filter(name="Demo Desk").exists()
    assert not Topic.objects.filter(name="Demo topic").exists()
    assert Section.objects.filter(name="World").exists() and Person.objects.exists()
    own.refresh_from_db()
    assert own.revision == own_revision + 1 and own.links_out.get().is_pending
    seed = Article.objects.get(headline=SEED_HEADLINE)
    assert seed.links_out.filter(target__isnull=False).count() == 0
    assert newsroom_change(seed) == ""  # still as imported: a new seed file replaces it
    assert import_stories([SEEDS]).having("unchanged") == [SEEDS / "000_2d377d215c9101e2.txt"]
    assert AuditEntry.objects.filter(action="deleted", actor="load_demo").count() == 5
    call_command("load_demo", "--remove", stdout=(nothing := io.StringIO()))
    assert "no demo content" in nothing.getvalue()


@pytest.mark.django_db
def test_demo_stories_are_marked_for_readers_and_editors(mini_demo, client, admin_client):
    import_stories([SEEDS])
    demo.load()
    story = Article.objects.get(headline=MINI_HEADLINE)
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Demo story</strong> — generated to show Newsroom's features" in page
    front = client.get("/").content.decode()
    assert '<span class="demo-label">Demo</span> World' in front
    assert "demo-note" not in client.get(SEED_URL).content.decode()
    found = client.get("/search/?q=ceasefire").content.decode()
    assert found.count('<span class="demo-label">Demo</span>') == 1  # not the seed
    listing = admin_client.get("/admin/articles/article/").content.decode()
    assert f"{MINI_HEADLINE} <strong>(demo)</strong>" in listing
    assert "Trump invites Netanyahu to the White House on February 4 <strong>" not in listing
    form = admin_client.get(f"/admin/articles/article/{story.pk}/change/").content.decode()
    assert "manage.py load_demo --remove" in form


@pytest.mark.django_db
def test_story_files_carry_the_demo_mark_both_ways(tmp_path):
    """``Demo: yes`` imports as demo content and exports back; anything but yes or no is
    refused with its line."""
    path = tmp_path / "s.txt"
    path.write_text("Headline: A demo\nPublished: 2025-01-01T00:00:00Z\nDemo: yes\n\nText.\n")
    import_stories([path])
    assert Article.objects.get().is_demo
    exported = export_stories(tmp_path / "out")
    assert "\nDemo: yes\n" in exported[0].read_text()
    assert import_stories(exported).having("unchanged") == exported
    path.write_text("Headline: A demo\nStatus: draft\nDemo: Perhaps\n\nText.\n")
    with pytest.raises(StoryFileError, match=r"s\.txt:3: 'Demo: Perhaps' is 'Demo: yes' or"):
        parse_story(path, path.read_text())


# The real demo, as a first run loads it ---------------------------------------------------


def cards(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode().count('<article class="card')


@pytest.mark.slow
@pytest.mark.django_db
def test_a_first_run_shows_the_newsroom(client, django_capture_on_commit_callbacks):
    """As ``make run`` does on an empty database (the demo, then the seed): the seed's three
    Also Read boxes lead to demo stories, which show pictures in several sizes; threads,
    hubs of several stories, a News sitemap, corrections. A second load changes nothing, and
    ``--remove`` leaves the seed alone, as its import left it."""
    out = io.StringIO()
    call_command("load_demo", "--first-run", stdout=out)
    assert "Loaded the demo newsroom" in out.getvalue()
    import_stories([SEEDS])

    page = client.get(SEED_URL).content.decode()
    assert len(re.findall(r'<aside class="also-read"', page)) == 3
    for headline in seed_link_headlines():
        target = Article.objects.get(headline=headline)
        assert target.is_demo and f'href="{target.get_absolute_url()}"' in page
        story = client.get(target.get_absolute_url()).content.decode()
        assert 'class="also-read"' in story and "demo-note" in story
        assert re.search(r'<img src="[^"]+\.jpg" srcset="[^"]+ 320w, [^"]+ 640w', story)
    assert not CrossLink.objects.filter(source__status="published", target__isnull=True).exists()

    seed = Article.objects.get(headline=SEED_HEADLINE)
    assert thread_of(seed.pk).size >= 10
    assert len(story_threads()) >= 5
    for hub in (
        "/people/benjamin-netanyahu/",
        "/people/donald-trump/",
        "/countries/israel/",
        "/countries/egypt/",
        "/countries/qatar/",
        "/topics/gaza-ceasefire/",
    ):
        assert cards(client, hub) >= 4, hub
    assert cards(client, "/") >= 10
    front = client.get("/").content.decode()
    assert '<span class="type-label type-analysis">Analysis</span>' in front
    news = ElementTree.fromstring(client.get("/news-sitemap.xml").content)  # noqa: S314
    assert len(news.findall("s:url/news:news", NS)) >= 5
    corrections = client.get("/corrections/").content.decode()
    assert "Demo correction:" in corrections and "Demo clarification:" in corrections
    assert corrections.count('<span class="demo-label">Demo</span>') == 2

    before = state()
    call_command("load_demo", stdout=io.StringIO())
    assert state() == before

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--remove", stdout=io.StringIO())
    assert list(Article.objects.values_list("headline", flat=True)) == [SEED_HEADLINE]
    assert not Image.objects.exists() and not Author.objects.exists()
    assert list(Section.objects.values_list("name", flat=True)) == ["World"]
    assert import_stories([SEEDS]).having("unchanged")
