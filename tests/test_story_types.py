"""The type of work (news, analysis, opinion …) and the dateline: stored, read from and
written to story files, edited and versioned, and shown to readers on every surface —
above the headline, in listings (opinion and sponsored always labelled), at the start of
the first paragraph, in JSON-LD and in feeds."""

import json
import re

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from articles.editorial import editing, live, revisions
from articles.importing import StoryFileError, export_stories, import_stories, parse_story
from articles.models import Article, Correction, StoryVersion
from tests import test_query_budgets as budgets
from tests.admin_support import ADD_URL, article_data, change_url, make_user
from tests.factories import ArticleFactory, CrossLinkFactory, SectionFactory
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)
from tests.test_pages import json_ld

pytestmark = pytest.mark.django_db

Type = Article.StoryType
HOSTILE_DATELINE = '<script>alert("x")</script> & DOHA'

STORY_FILE = """\
Headline: What the second phase of the talks must settle
Published: 2025-01-28T10:00:00+00:00
Section: World
Type: {type}
Dateline: {dateline}

First paragraph.

Also Read: Another story

Second paragraph.
"""


def story_file(tmp_path, name="story.txt", type="analysis", dateline="DOHA"):
    path = tmp_path / name
    path.write_text(STORY_FILE.format(type=type, dateline=dateline), encoding="utf-8")
    return path


def first_paragraph(html: str) -> str:
    return re.search(r'<div class="story-body">\s*(<p>.*?</p>)', html, re.S).group(1)


def story_json_ld(html: str) -> dict:
    return next(item for item in json_ld(html) if item["@type"] != "BreadcrumbList")


# The model ---------------------------------------------------------------------------------


def test_a_story_is_news_without_a_dateline_unless_told():
    """New stories (and every story from before types existed) are news, with no dateline,
    and show no type label: news needs none."""
    story = ArticleFactory()
    assert (story.story_type, story.dateline) == (Type.NEWS, "")
    assert (story.type_label, story.listing_label) == ("", "")
    assert story.labelled_headline == story.headline


def test_opinion_and_sponsored_carry_their_label_into_headline_only_listings():
    """Only opinion and sponsored work are labelled where the headline stands alone."""
    for story_type in Type.values:
        story = ArticleFactory.build(headline="Why the talks stalled", story_type=story_type)
        labelled = story_type in (Type.OPINION, Type.SPONSORED)
        expected = f"{story.get_story_type_display()}: Why the talks stalled"
        assert story.labelled_headline == (expected if labelled else "Why the talks stalled")


def test_an_unknown_type_is_refused_by_validation_and_by_the_database():
    """The form's choices are not the only guard: the importer and the shell bypass forms."""
    story = ArticleFactory()
    story.story_type = "gossip"
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert "story_type" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=story.pk).update(story_type="gossip")


def test_the_dateline_is_stored_on_one_line_without_the_dash_the_page_adds():
    story = ArticleFactory(dateline="  GAZA\n CITY —  ")
    story.refresh_from_db()
    assert story.dateline == "GAZA CITY"
    story.dateline = "X" * 61
    with pytest.raises(ValidationError):
        story.full_clean()


# Story files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, stored",
    [
        ("analysis", Type.ANALYSIS),
        ("Opinion", Type.OPINION),
        ("fact check", Type.FACT_CHECK),
        ("Fact-Check", Type.FACT_CHECK),
        ("SPONSORED", Type.SPONSORED),
        ("news", Type.NEWS),
    ],
)
def test_story_files_give_the_type_in_words(tmp_path, given, stored):
    path = story_file(tmp_path, type=given)
    story = parse_story(path, path.read_text())
    assert (story.story_type, story.dateline) == (stored, "DOHA")


def test_an_unknown_type_in_a_story_file_is_reported_at_its_line_and_writes_nothing(tmp_path):
    path = story_file(tmp_path, type="gossip")
    with pytest.raises(StoryFileError) as error:
        parse_story(path, path.read_text())
    assert str(error.value).startswith(f"{path}:4: unknown type 'gossip' (one of news, ")
    assert "fact check" in str(error.value)
    report = import_stories([path])
    assert report.failed == [path]
    assert not Article.objects.exists()


def test_a_dateline_too_long_for_a_place_is_reported_at_its_line(tmp_path):
    path = story_file(tmp_path, dateline="A very long place name " * 4)
    with pytest.raises(StoryFileError) as error:
        parse_story(path, path.read_text())
    assert str(error.value).startswith(f"{path}:5: the dateline is ")


def test_type_and_dateline_survive_export_and_import(tmp_path):
    """Export writes ``Type:`` in words and ``Dateline:``; importing the export into an
    empty database gives the same story; a news story without a dateline writes neither."""
    import_stories([story_file(tmp_path, type="fact check")])
    ArticleFactory(headline="Plain news")
    out = tmp_path / "out"
    out.mkdir()
    paths = export_stories(out)
    exported = {path.read_text().splitlines()[0]: path.read_text() for path in paths}
    checked = exported["Headline: What the second phase of the talks must settle"]
    assert "\nType: fact check\n" in checked and "\nDateline: DOHA\n" in checked
    assert "Type:" not in exported["Headline: Plain news"]
    assert "Dateline:" not in exported["Headline: Plain news"]

    Article.objects.all().delete()
    report = import_stories(paths)
    assert not report.errors
    story = Article.objects.get(headline__startswith="What the second phase")
    assert (story.story_type, story.dateline) == (Type.FACT_CHECK, "DOHA")
    assert Article.objects.get(headline="Plain news").story_type == Type.NEWS


def test_a_changed_type_in_the_file_updates_the_story(tmp_path):
    import_stories([story_file(tmp_path)])
    assert set(import_stories([tmp_path]).outcomes.values()) == {"unchanged"}
    story_file(tmp_path, type="opinion", dateline="")
    assert set(import_stories([tmp_path]).outcomes.values()) == {"updated"}
    story = Article.objects.get()
    assert (story.story_type, story.dateline) == (Type.OPINION, "")


# The story page ----------------------------------------------------------------------------


def test_the_type_is_shown_above_the_headline(client):
    story = ArticleFactory(story_type=Type.ANALYSIS)
    html = client.get(story.get_absolute_url()).content.decode()
    kicker, headline = (
        html.index('<span class="type-label type-analysis">Analysis</span>'),
        html.index("<h1>"),
    )
    assert kicker < headline
    plain = client.get(ArticleFactory().get_absolute_url()).content.decode()
    assert "type-label" not in plain


def test_the_dateline_opens_the_first_paragraph_escaped(client):
    """A hostile dateline is text, never markup; the Also Read box after paragraph one
    stays there (the dateline adds no block)."""
    story = ArticleFactory(dateline=HOSTILE_DATELINE)
    CrossLinkFactory(source=story, placement=1, target=ArticleFactory(headline="Talks resume"))
    html = client.get(story.get_absolute_url()).content.decode()
    assert first_paragraph(html) == (
        '<p><span class="dateline">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; '
        "DOHA —</span> Paragraph 1 of the story, with enough words to read.</p>"
    )
    assert "<script>alert" not in html
    body = html.split('<div class="story-body">', 1)[1]
    assert (
        body.index("Paragraph 1 of")
        < body.index('class="also-read"')
        < body.index("Paragraph 2 of")
    )


def test_a_body_opening_with_a_heading_has_the_dateline_in_its_first_paragraph(client):
    story = ArticleFactory(dateline="KYIV", body="<h2>Overview</h2><p>The first words.</p>")
    html = client.get(story.get_absolute_url()).content.decode()
    assert '<p><span class="dateline">KYIV —</span> The first words.</p>' in html
    assert "<h2>Overview</h2>" in html


@pytest.mark.parametrize(
    "story_type, schema_type, has_dateline",
    [
        (Type.NEWS, "NewsArticle", True),
        (Type.ANALYSIS, "AnalysisNewsArticle", True),
        (Type.OPINION, "OpinionNewsArticle", True),
        (Type.EXPLAINER, "BackgroundNewsArticle", True),
        (Type.FACT_CHECK, "NewsArticle", True),
        (Type.OBITUARY, "NewsArticle", True),
        # Not a NewsArticle, so schema.org gives it no dateline.
        (Type.SPONSORED, "AdvertiserContentArticle", False),
    ],
)
def test_json_ld_has_the_schema_type_of_each_type_of_work(
    client, story_type, schema_type, has_dateline
):
    story = ArticleFactory(story_type=story_type, dateline="DOHA")
    data = story_json_ld(client.get(story.get_absolute_url()).content.decode())
    assert data["@type"] == schema_type
    assert data.get("dateline") == ("DOHA" if has_dateline else None)
    assert data.get("genre") == (story.type_label or None)


def test_json_ld_of_a_story_without_a_dateline_has_none(client):
    story = ArticleFactory(story_type=Type.ANALYSIS)
    assert "dateline" not in story_json_ld(client.get(story.get_absolute_url()).content.decode())


def test_a_story_covered_live_stays_a_live_blog_posting(client):
    story = ArticleFactory(story_type=Type.ANALYSIS, dateline="DOHA")
    live.start_coverage(article=story, actor="test")
    live.post_entry(article=story, body="Talks have begun.")
    html = client.get(story.get_absolute_url()).content.decode()
    data = story_json_ld(html)
    assert data["@type"] == "LiveBlogPosting" and "dateline" not in data
    # One kicker: the Live marker and the type label side by side.
    kicker = re.search(r'<p class="kicker">(.*?)</p>', html).group(1)
    assert 'class="live-marker"' in kicker and "Analysis" in kicker


# Listings ----------------------------------------------------------------------------------


@pytest.fixture
def labelled():
    """An opinion and a sponsored story, about one person, a news story linking to both."""
    section = SectionFactory(name="Comment")
    opinion = ArticleFactory(
        headline="Why the ceasefire needs a second phase",
        story_type=Type.OPINION,
        section=section,
        people=["Steve Witkoff"],
    )
    sponsored = ArticleFactory(
        headline="Travel the ceasefire coast in comfort",
        story_type=Type.SPONSORED,
        section=section,
        people=["Steve Witkoff"],
    )
    news = ArticleFactory(headline="Ceasefire talks resume", people=["Steve Witkoff"])
    CrossLinkFactory(source=news, target=opinion, placement=1)
    CrossLinkFactory(source=news, target=sponsored, placement=None)
    for story in (opinion, sponsored):
        Correction.objects.create(article=story, kind="correction", text="A fix.", revision=1)
    return opinion, sponsored, news


OPINION_LABEL = '<span class="type-label type-opinion">Opinion</span>'
SPONSORED_LABEL = '<span class="type-label type-sponsored">Sponsored</span>'


@pytest.mark.parametrize(
    "url",
    ["/", "/archive/", "/people/steve-witkoff/", "/sections/comment/", "/search/?q=ceasefire"],
)
def test_opinion_and_sponsored_are_labelled_on_every_listing_page(client, labelled, url):
    html = client.get(url).content.decode()
    for label, story in zip((OPINION_LABEL, SPONSORED_LABEL), labelled, strict=False):
        card = html.split(story.headline)[0].rsplit('<article class="card', 1)[1]
        assert label in card, (url, story.story_type)


def test_corrections_page_labels_them(client, labelled):
    html = client.get("/corrections/").content.decode()
    assert f'<p class="kicker">{OPINION_LABEL} Correction</p>' in html
    assert f'<p class="kicker">{SPONSORED_LABEL} Correction</p>' in html


def test_also_read_boxes_and_related_lists_label_them(client, labelled):
    opinion, sponsored, news = labelled
    html = client.get(news.get_absolute_url()).content.decode()
    box = html.split('class="also-read"', 1)[1].split("</aside>", 1)[0]
    assert f"{OPINION_LABEL} {opinion.headline}</a>" in box
    related = html.split('id="related-heading"', 1)[1].split("</section>", 1)[0]
    assert SPONSORED_LABEL in related


def test_demo_live_type_and_section_share_one_kicker(client):
    ArticleFactory(headline="A demo opinion", is_demo=True, story_type=Type.OPINION)
    html = client.get("/").content.decode()
    assert (
        f'<p class="kicker"><span class="demo-label">Demo</span> {OPINION_LABEL} World</p>' in html
    )


def test_plain_words_in_the_kicker_are_kept_apart(client):
    """A type shown as a word and the section are two labels, not "Explainer World"."""
    ArticleFactory(headline="An explainer", story_type=Type.EXPLAINER)
    html = client.get("/").content.decode()
    assert '<span class="type-label type-explainer">Explainer</span> · World</p>' in html


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/", "/people/steve-witkoff/feed/rss/"])
def test_feeds_label_opinion_and_sponsored_titles_and_carry_type_and_dateline(
    client, labelled, url
):
    opinion, sponsored, news = labelled
    news.story_type, news.dateline = Type.ANALYSIS, "DOHA"
    editing.save_article(article=news, base_revision=news.revision)
    feed = feedparser.parse(client.get(url).content)
    items = {entry.link.rsplit("/news/", 1)[1].strip("/"): entry for entry in feed.entries}
    assert items[opinion.slug].title == f"Opinion: {opinion.headline}"
    assert items[sponsored.slug].title == f"Sponsored: {sponsored.headline}"
    assert items[news.slug].title == news.headline  # analysis is labelled by category only
    terms = {slug: [tag.term for tag in item.tags] for slug, item in items.items()}
    assert terms[opinion.slug][0] == "Opinion" and terms[news.slug][0] == "Analysis"
    content = items[news.slug].content[0].value
    assert '<p><span class="dateline">DOHA —</span> Paragraph 1' in content
    # Its Also Read box in the feed labels the opinion piece too.
    assert f"Opinion: {opinion.headline}</a>" in content


def test_json_feed_labels_titles_and_carries_type_and_dateline(client, labelled):
    opinion, sponsored, news = labelled
    news.dateline = "DOHA"
    editing.save_article(article=news, base_revision=news.revision)
    items = {item["url"]: item for item in json.loads(client.get("/feed/json/").content)["items"]}
    item = items[f"http://testserver{opinion.get_absolute_url()}"]
    assert item["title"] == f"Opinion: {opinion.headline}"
    assert item["tags"][0] == "Opinion"
    item = items[f"http://testserver{news.get_absolute_url()}"]
    assert item["content_html"].startswith('<p><span class="dateline">DOHA —</span> ')


def test_corrections_feed_labels_them(client, labelled):
    feed = feedparser.parse(client.get("/corrections/feed/rss/").content)
    titles = {entry.title for entry in feed.entries}
    assert "Correction: Opinion: Why the ceasefire needs a second phase" in titles
    assert "Correction: Sponsored: Travel the ceasefire coast in comfort" in titles


def queries(client, url) -> int:
    budgets.known_schedule()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_labels_cost_no_query(client, labelled):
    """Every type of work on a page costs what news costs: the labels are the story's own
    fields."""
    opinion, sponsored, news = labelled
    for story_type in Type.values:
        ArticleFactory(story_type=story_type, dateline="DOHA", people=["Steve Witkoff"])
    assert queries(client, "/") <= budgets.FRONT_BUDGET
    assert queries(client, "/people/steve-witkoff/") <= budgets.HUB_BUDGET
    assert queries(client, news.get_absolute_url()) <= budgets.ARTICLE_BUDGET
    assert queries(client, "/corrections/") <= budgets.CORRECTIONS_BUDGET


# The page cache ----------------------------------------------------------------------------


def test_changing_the_type_re_renders_the_story_and_its_hub(client, backend):  # noqa: F811
    story = ArticleFactory(headline="Talks in Doha", people=["Steve Witkoff"])
    urls = [story.get_absolute_url(), "/people/steve-witkoff/"]
    for url in urls:
        assert "type-opinion" not in cached(client, url).text
    story.story_type, story.dateline = Type.OPINION, "DOHA"
    editing.save_article(article=story, base_revision=story.revision)
    for url in urls:
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert OPINION_LABEL in response.text, url
    assert '<span class="dateline">DOHA —</span>' in client.get(urls[0]).text


# Editors -----------------------------------------------------------------------------------


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def test_editors_set_the_type_and_dateline_in_the_story_form(client, editor):
    form = client.get(ADD_URL).content.decode()
    assert 'name="story_type"' in form and 'name="dateline"' in form
    response = client.post(ADD_URL, article_data(story_type=Type.EXPLAINER, dateline="Cairo"))
    assert response.status_code == 302
    story = Article.objects.get()
    assert (story.story_type, story.dateline) == (Type.EXPLAINER, "Cairo")


def test_the_story_form_refuses_an_unknown_type(client, editor):
    response = client.post(ADD_URL, article_data(story_type="gossip"))
    assert response.status_code == 200
    assert "story_type" in response.context["adminform"].form.errors
    assert not Article.objects.exists()


def test_versions_record_compare_and_restore_type_and_dateline(client, editor):
    story = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    first = StoryVersion.objects.capture(story, user=editor)
    assert (first.snapshot["story_type"], first.snapshot["dateline"]) == ("news", "")
    client.post(change_url(story), article_data(story, story_type=Type.OBITUARY, dateline="LONDON"))
    story.refresh_from_db()
    assert (story.story_type, story.dateline) == (Type.OBITUARY, "LONDON")
    older, newer = StoryVersion.objects.filter(article=story).order_by("pk")
    rows = {
        row.label: (row.old, row.new)
        for row in revisions.field_rows(revisions.Snapshot.of(older), revisions.Snapshot.of(newer))
        if row.changed
    }
    assert rows["Type of work"] == ("News", "Obituary")
    assert rows["Dateline"] == ("", "LONDON")
    revisions.restore_version(version=older, base_revision=story.revision, user=editor)
    story.refresh_from_db()
    assert (story.story_type, story.dateline) == (Type.NEWS, "")


def test_a_version_from_before_types_restores_as_news():
    """Versions written before stories had a type read back as news with no dateline."""
    snapshot = revisions.Snapshot({"headline": "Old", "body": "<p>Old.</p>"})
    assert snapshot.story_type == Type.NEWS
    values = revisions.field_values(snapshot)
    assert (values["story_type"], values["dateline"]) == ("News", "")
