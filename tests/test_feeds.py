"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the front page and every hub, read by real clients."""

import html
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from articles import images
from articles.importing import import_stories
from articles.models import Article, Author, Image, Person, Rendition, Section, Topic
from articles.reader.feeds import FEED_LENGTH, FEED_TYPES, JsonFeed
from articles.reader.hubs import HUB_KINDS
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    ImageFactory,
    SectionFactory,
    archived,
    draft,
    in_review,
    scheduled,
)
from tests.test_caching import settle

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
XML_FORMATS = ("rss", "atom")
FORMATS = (*XML_FORMATS, "json")
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
HUB_ATTRIBUTES = {
    "people": lambda a: a.people.first(),
    "countries": lambda a: a.countries.first(),
    "topics": lambda a: a.topics.first(),
    "sections": lambda a: a.section,
    "authors": lambda a: a.bylines.first().author,
}
SCOPES = (None, *HUB_KINDS)
# Queries per feed, whatever the number of items, tags, bylines and links (issue 8's budget):
# the items, their tags and bylines (one UNION) and their shown links; a hub adds itself.
FEED_BUDGET = 5

# These tests are about the feed views themselves; the page cache in front of them has its
# own tests (test_caching.py).
pytestmark = pytest.mark.usefixtures("without_page_cache")


def feed_url(format, kind=None, hub=None):
    if kind is None:
        return reverse("articles:feed", kwargs={"format": format})
    return reverse("articles:hub_feed", kwargs={"kind": kind, "slug": hub.slug, "format": format})


def scope_url(article, format, kind):
    return feed_url(format, kind, kind and HUB_ATTRIBUTES[kind](article))


def tagged_story(**kwargs):
    """A live story in the World section, by one author, with one tag of each kind."""
    kwargs.setdefault("people", ["Benjamin Netanyahu"])
    kwargs.setdefault("countries", ["Israel"])
    kwargs.setdefault("topics", ["Gaza ceasefire"])
    kwargs.setdefault("authors", [AuthorFactory(name="Ruth Levi")])
    kwargs.setdefault("section", SectionFactory(name="World"))
    return ArticleFactory(**kwargs)


@pytest.fixture
def story(db):
    """A live, fully dressed story with a live Also Read target."""
    article = tagged_story(
        headline="Netanyahu to visit the White House",
        standfirst="The first foreign leader of the new term.",
        lead_image=ImageFactory(caption="Netanyahu in Jerusalem", credit="AP"),
    )
    target = tagged_story(
        headline="Ceasefire talks resume in Doha",
        published_at=timezone.now() - timedelta(days=1),
    )
    CrossLinkFactory(source=article, target=target, placement=1)
    return article


def feed_rendition(story) -> Rendition:
    """The rendition feeds show for the story's lead image: the whole photo, 1200 wide or as
    wide as it is, in JPEG."""
    return images.rendition(story.lead_image, Rendition.Crop.FULL)


def read(response):
    """Parse as a feed reader would, trusting the response's declared type and charset."""
    return feedparser.parse(
        response.content, response_headers={"content-type": response["Content-Type"]}
    )


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return read(response)


def get_json(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return json.loads(response.content)


def shown_text(detail):
    """What a reader shows for one of feedparser's text constructs (a title, a subtitle, a
    summary): plain text as it is; HTML rendered, so it must hold no markup, only text."""
    if detail.type == "text/html":
        assert "<" not in detail.value, f"markup a reader would render: {detail.value!r}"
        return html.unescape(detail.value)
    return detail.value


def entry_title(entry):
    """The headline as a reader shows it: RSS titles are HTML, Atom ones plain text."""
    return shown_text(entry.title_detail)


# Reading every feed ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", SCOPES)
@pytest.mark.parametrize("format", XML_FORMATS)
def test_feedparser_reads_every_xml_feed(client, story, format, kind):
    """Site and hub feeds are well-formed RSS 2.0 / Atom 1.0 with complete entries."""
    feed = parse(client, scope_url(story, format, kind))

    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == {"rss": "rss20", "atom": "atom10"}[format]
    assert feed.feed.title and feed.feed.link
    assert feed.entries
    for entry in feed.entries:
        assert entry.title and entry.link and entry.id
        assert entry.published_parsed and entry.updated_parsed
    entry = next(e for e in feed.entries if e.link.endswith(story.get_absolute_url()))
    assert entry_title(entry) == story.headline
    assert entry.summary == story.standfirst
    assert "Paragraph 3 of the story" in entry.content[0].value
    assert [author.name for author in entry.authors] == ["Ruth Levi"]
    assert {tag.term for tag in entry.tags} == {
        "World",
        "Benjamin Netanyahu",
        "Israel",
        "Gaza ceasefire",
    }
    shown = feed_rendition(story)
    assert entry.media_content[0]["url"] == f"http://testserver{shown.file.url}"
    assert entry.media_content[0]["medium"] == "image"
    assert entry.media_credit[0]["content"] == "AP"


@pytest.mark.parametrize("format", XML_FORMATS)
def test_also_read_targets_are_related_links(client, story, format):
    """Each live Also Read target is a rel="related" link and an Also read box in the body."""
    feed = parse(client, feed_url(format))
    entry = next(e for e in feed.entries if e.link.endswith(story.get_absolute_url()))
    target = Article.objects.get(headline="Ceasefire talks resume in Doha")

    related = [link for link in entry.links if link.rel == "related"]
    assert [link.href for link in related] == [f"http://testserver{target.get_absolute_url()}"]
    content = entry.content[0].value
    assert content.index("Paragraph 1") < content.index("Also read:") < content.index("Paragraph 2")
    assert target.headline in content


def test_link_boxes_sit_where_the_page_shows_them(client, db):
    """Placement 0 leads, one past the last paragraph trails, no placement is Related."""
    story = ArticleFactory(headline="Main story")
    for placement, headline in [(0, "Lead box"), (99, "Late box"), (None, "Listed story")]:
        CrossLinkFactory(
            source=story, target=ArticleFactory(headline=headline), placement=placement
        )
    item = next(
        i for i in get_json(client, feed_url("json"))["items"] if i["title"] == "Main story"
    )
    content = item["content_html"]

    assert content.startswith("<p><strong>Also read:</strong>")
    order = ["Lead box", "Paragraph 1", "Paragraph 5", "Late box", "Related stories", "Listed"]
    positions = [content.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert content.count("Also read:") == 2


@pytest.mark.parametrize("kind", SCOPES)
def test_json_feed_1_1(client, story, kind):
    """JSON Feed 1.1: version URL, required fields and every item field the issue names."""
    feed = get_json(client, scope_url(story, "json", kind))

    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"]
    assert feed["home_page_url"].startswith("http://testserver/")
    assert feed["feed_url"] == f"http://testserver{scope_url(story, 'json', kind)}"
    assert feed["items"]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith("http://testserver/news/")
        assert item["title"] and item["content_html"] and item["summary"]
        for key in ("date_published", "date_modified"):
            assert datetime.fromisoformat(item[key]).tzinfo is not None
        assert item["tags"] and all(isinstance(tag, str) for tag in item["tags"])
        assert all(author["name"] for author in item["authors"])
    item = next(i for i in feed["items"] if i["url"].endswith(story.get_absolute_url()))
    assert item["title"] == story.headline
    assert item["summary"] == story.standfirst
    assert item["content_html"].startswith("<p>Paragraph 1 of the story")
    assert item["image"] == f"http://testserver{feed_rendition(story).file.url}"
    assert item["authors"] == [{"name": "Ruth Levi", "url": "http://testserver/authors/ruth-levi/"}]
    assert set(item["tags"]) == {"World", "Benjamin Netanyahu", "Israel", "Gaza ceasefire"}
    assert datetime.fromisoformat(item["date_published"]) == story.published_at


def test_one_identity_across_formats(client, story):
    """RSS guid, atom:id and JSON id of a story are the same non-permalink tag URI."""
    ids = {
        format: next(
            e.id for e in parse(client, feed_url(format)).entries if e.title == story.headline
        )
        for format in XML_FORMATS
    }
    ids["json"] = next(
        i["id"] for i in get_json(client, feed_url("json"))["items"] if i["title"] == story.headline
    )
    assert len(set(ids.values())) == 1
    assert ids["json"].startswith("tag:testserver,")
    assert ids["json"].endswith(f":article:{story.pk}")
    rss = client.get(feed_url("rss")).content.decode()
    assert f'<guid isPermaLink="false">{ids["rss"]}</guid>' in rss


@pytest.mark.parametrize("format", FORMATS)
def test_content_type_and_cache_headers(client, story, format):
    settle()
    """Each format has its media type with charset and CDN-friendly caching headers."""
    response = client.get(feed_url(format))

    assert response["Content-Type"] == CONTENT_TYPES[format]
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "public" in cache_control
    assert any(part.startswith("max-age=") for part in cache_control)
    assert any(part.startswith("stale-while-revalidate=") for part in cache_control)
    assert response["ETag"].startswith('W/"')
    # The newest item's time, or when public content last changed if later (a retitled
    # Also Read target changes the feed too): never before the newest item.
    assert parse_http_date(response["Last-Modified"]) >= int(story.published_at.timestamp())
    assert "Cookie" not in response.get("Vary", "")


def test_authors_come_in_byline_order(client, db):
    """Bylines keep the order editors gave them, in every format, not alphabetical order."""
    ArticleFactory(authors=[AuthorFactory(name="Zoe Writer"), AuthorFactory(name="Adam Reporter")])
    names = ["Zoe Writer", "Adam Reporter"]
    feed = get_json(client, feed_url("json"))
    assert [author["name"] for author in feed["items"][0]["authors"]] == names
    entry = parse(client, feed_url("atom")).entries[0]
    assert [author["name"] for author in entry.authors] == names


def test_wire_story_credits_the_agency_as_author(client, db):
    """A story without a byline names its agency credit as the author."""
    ArticleFactory(source="PTI")
    feed = get_json(client, feed_url("json"))
    assert feed["items"][0]["authors"] == [{"name": "PTI"}]
    assert parse(client, feed_url("rss")).entries[0].author == "PTI"


def test_newest_fifty_first(client, db):
    """A feed holds the FEED_LENGTH newest live stories, newest first."""
    now = timezone.now()
    for hours in range(FEED_LENGTH + 1):
        ArticleFactory(published_at=now - timedelta(hours=hours + 1))
    items = get_json(client, feed_url("json"))["items"]

    assert len(items) == FEED_LENGTH == 50
    published = [datetime.fromisoformat(item["date_published"]) for item in items]
    assert published == sorted(published, reverse=True)
    assert published[-1] == now - timedelta(hours=FEED_LENGTH)


def test_empty_site_feed_is_valid(client, db):
    """With no live story yet, the site feed is still a valid, empty feed."""
    draft()
    assert get_json(client, feed_url("json"))["items"] == []
    for format in XML_FORMATS:
        feed = parse(client, feed_url(format))
        assert feed.bozo == 0 and feed.entries == []


# Conditional GET and HEAD ---------------------------------------------------------------


@pytest.mark.parametrize("format", FORMATS)
def test_conditional_get_by_etag(client, story, format):
    """A reader holding the current ETag gets a 304 that keeps validators and caching."""
    first = client.get(feed_url(format))
    again = client.get(feed_url(format), headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]


@pytest.mark.parametrize("format", FORMATS)
def test_conditional_get_by_date(client, story, format):
    """If-Modified-Since at the newest item's time is a 304; an older date gets the feed."""
    settle()
    first = client.get(feed_url(format))
    again = client.get(feed_url(format), headers={"if-modified-since": first["Last-Modified"]})
    older = http_date((story.published_at - timedelta(minutes=1)).timestamp())
    stale = client.get(feed_url(format), headers={"if-modified-since": older})

    assert again.status_code == 304
    assert stale.status_code == 200 and stale.content == first.content


def test_validators_move_when_the_feed_changes(client, story):
    """An update, a new story or a story leaving the feed changes ETag (and dates move)."""
    url = feed_url("atom")
    first = client.get(url)

    story.updated_at = story.published_at + timedelta(minutes=30)
    story.save()
    settle()
    updated = client.get(url, headers={"if-none-match": first["ETag"]})
    assert updated.status_code == 200
    assert parse_http_date(updated["Last-Modified"]) >= int(story.updated_at.timestamp())

    Article.objects.filter(pk=story.pk).update(status=Article.Status.ARCHIVED)
    withdrawn = client.get(
        url,
        headers={"if-none-match": updated["ETag"], "if-modified-since": updated["Last-Modified"]},
    )
    assert withdrawn.status_code == 200
    assert story.headline not in withdrawn.content.decode()


def test_formats_have_their_own_etags(client, story):
    """The same items in two formats are two representations, so two ETags."""
    etags = {client.get(feed_url(format))["ETag"] for format in FORMATS}
    assert len(etags) == len(FORMATS)


@pytest.mark.parametrize("format", FORMATS)
def test_head(client, story, format):
    """HEAD answers with the GET's status and headers and no body."""
    settle()
    get = client.get(feed_url(format))
    head = client.head(feed_url(format))

    assert head.status_code == 200
    assert head.content == b""
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control"):
        assert head[header] == get[header]


def test_only_get_and_head(client, story):
    """A feed is read-only: POST is refused with 405."""
    assert client.post(feed_url("rss")).status_code == 405


# Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/feed/xml/",
        "/feed/RSS/",
        "/people/benjamin-netanyahu/feed/html/",
        "/people/nobody-at-all/feed/rss/",
        "/planets/mars/feed/rss/",
        "/sections/sport/feed/json/",
    ],
)
def test_unknown_feeds_are_404(client, story, url):
    """Unknown formats, hub kinds and hubs are a clear 404, never a 500."""
    assert client.get(url).status_code == 404


def test_hub_with_only_unpublished_stories_is_404(client, story):
    """A person only drafts mention has no feed yet."""
    draft(people=["Steve Witkoff"])
    response = client.get(feed_url("rss", "people", Person.objects.get(name="Steve Witkoff")))
    assert response.status_code == 404


@pytest.mark.parametrize("format", FORMATS)
def test_query_strings_are_ignored(client, story, format):
    """Unknown or hostile query strings neither change the feed nor break it; one carrying
    control characters is refused before the feed is looked at (a 400, never a 500)."""
    plain = client.get(feed_url(format))
    noisy = client.get(feed_url(format) + "?page=9999&limit=-1&format=xml&utm_source=%ff")

    assert noisy.status_code == 200
    assert noisy.content == plain.content
    assert noisy["ETag"] == plain["ETag"]
    assert client.get(feed_url(format) + "?utm_source=%00%ff").status_code == 400


NASTY = "Q&A: <script>alert(1)</script> 5 > 3 & 2 < 4 😀 שלום עולם مرحبا \x0b\x00\x1f end"
CLEAN = "Q&A: <script>alert(1)</script> 5 > 3 & 2 < 4 😀 שלום עולם مرحبا  end"
# A summary is one line of plain text (Article.summary): runs of white space are one space.
CLEAN_SUMMARY = CLEAN.replace("  ", " ")


@pytest.fixture
def nasty_story(db):
    """A story whose every text field carries markup, emoji, RTL text and control chars.

    The model cleans some fields on save, so the rest are written straight to the database,
    as a bad import or a raw SQL fix might. PostgreSQL cannot store NUL at all, so there the
    story has the other control characters (``test_generators_drop_nul`` covers NUL).
    """
    nasty = NASTY.replace("\x00", "") if connection.vendor == "postgresql" else NASTY
    article = tagged_story(headline="placeholder", source="AP")
    body = f"<p>{nasty.replace('<', '&lt;')}</p><p>Second \x0b paragraph</p>"
    image = ImageFactory()
    Image.objects.filter(pk=image.pk).update(caption=nasty, credit=nasty, alt_text=nasty)
    Article.objects.filter(pk=article.pk).update(
        headline=nasty, standfirst=nasty, body=body, lead_image=image
    )
    for model in (Person, Topic, Section, Author):
        model.objects.update(name=nasty)
    return Article.objects.get(pk=article.pk)


@pytest.mark.parametrize("format", FORMATS)
def test_markup_in_a_headline_is_text(client, db, format):
    """A headline quoting a tag reads as written: RSS readers take titles as HTML."""
    headline = "Q&A: <b>bold</b> claims & <i>italic</i> denials"
    ArticleFactory(headline=headline)
    if format == "json":
        assert get_json(client, feed_url(format))["items"][0]["title"] == headline
    else:
        assert entry_title(parse(client, feed_url(format)).entries[0]) == headline


MARKUP_NAMES = ["<img src=x onerror=alert(1)>", "Q&A: <b>Bold</b> &amp; <i>co</i>"]


@pytest.fixture(params=MARKUP_NAMES)
def markup_story(request, db):
    """A story whose headline, standfirst, person, topic, section and author are all one
    name written with markup (a country's name comes from ISO 3166, so it has none)."""
    name = request.param
    return tagged_story(
        headline=name,
        standfirst=name,
        people=[name],
        topics=[name],
        authors=[AuthorFactory(name=name)],
        section=SectionFactory(name=name),
    )


def feed_titles(story, kind):
    """The feed's title and the words its description must hold for the scope."""
    if kind is None:
        return "Newsroom: latest stories", "The newest stories from Newsroom."
    name = HUB_ATTRIBUTES[kind](story).name
    return f"{name} · Newsroom", f" {name}, the newest first, from Newsroom."


@pytest.mark.parametrize("kind", SCOPES)
@pytest.mark.parametrize("format", XML_FORMATS)
def test_markup_in_names_reads_as_text_in_xml_feeds(client, markup_story, format, kind):
    """A name written with markup reads literally in every title, description, author and
    category of the site and hub feeds, channel and item alike, and never renders: no
    HTML a reader renders holds an ``<img`` from it."""
    name = markup_story.headline
    feed = parse(client, scope_url(markup_story, format, kind))
    title, description = feed_titles(markup_story, kind)

    assert feed.bozo == 0, feed.get("bozo_exception")
    assert shown_text(feed.feed.title_detail) == title
    assert description in shown_text(feed.feed.subtitle_detail)
    (entry,) = feed.entries
    assert entry_title(entry) == name
    assert shown_text(entry.summary_detail) == name
    assert [author.name for author in entry.authors] == [name]
    assert {tag.term for tag in entry.tags} == {name, "Israel"}
    assert entry.content[0].type == "text/html"
    assert "<img" not in entry.content[0].value


@pytest.mark.parametrize("kind", SCOPES)
def test_markup_in_names_reads_as_text_in_json_feeds(client, markup_story, kind):
    """JSON Feed's titles, summaries, authors and tags are plain text: the name as written;
    its one HTML field holds no ``<img`` from it."""
    name = markup_story.headline
    feed = get_json(client, scope_url(markup_story, "json", kind))
    title, description = feed_titles(markup_story, kind)

    assert feed["title"] == title
    assert description in feed["description"]
    (item,) = feed["items"]
    assert item["title"] == item["summary"] == name
    assert [author["name"] for author in item["authors"]] == [name]
    assert set(item["tags"]) == {name, "Israel"}
    assert "<img" not in item["content_html"]


@pytest.mark.parametrize("generator", FEED_TYPES.values())
def test_generators_drop_nul(generator):
    """Whatever reaches a generator, NUL and other XML-forbidden characters never leave it."""
    feed = generator(title=NASTY, link="http://testserver/", description=NASTY)
    feed.add_item(
        title=NASTY,
        link="http://testserver/news/x/",
        description=NASTY,
        unique_id="tag:testserver,2025-01-29:article:1",
        pubdate=timezone.now(),
        updateddate=timezone.now(),
        categories=[NASTY],
        authors=[{"name": NASTY, "url": None}],
        content_html=NASTY,
        summary=NASTY,
        image={
            "url": "http://testserver/a.jpg",
            "type": "image/jpeg",
            "width": 1200,
            "height": 800,
            "fileSize": 1000,
            "description": NASTY,
            "credit": NASTY,
        },
        related=[{"url": "http://testserver/news/y/", "title": NASTY}],
    )
    output = feed.writeString("utf-8")
    assert "\x00" not in output and "\x0b" not in output
    if generator is JsonFeed:
        assert json.loads(output)["items"][0]["title"] == CLEAN
    else:
        parsed = feedparser.parse(output.encode())
        assert parsed.bozo == 0
        assert entry_title(parsed.entries[0]) == CLEAN


@pytest.mark.parametrize("kind", SCOPES)
@pytest.mark.parametrize("format", XML_FORMATS)
def test_nasty_text_gives_well_formed_xml(client, nasty_story, format, kind):
    """Markup, emoji, RTL text and XML-forbidden control characters never break a feed."""
    feed = parse(client, scope_url(nasty_story, format, kind))

    assert feed.bozo == 0, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert entry_title(entry) == CLEAN
    assert html.unescape(entry.summary) == CLEAN_SUMMARY
    assert "<script>" not in entry.content[0].value
    assert "Second  paragraph" in entry.content[0].value
    assert [author.name for author in entry.authors] == [CLEAN]
    assert {tag.term for tag in entry.tags} == {CLEAN, "Israel"}


@pytest.mark.parametrize("kind", SCOPES)
def test_nasty_text_gives_valid_json(client, nasty_story, kind):
    """The JSON feed of the same story is valid JSON with the text intact, minus controls."""
    (item,) = get_json(client, scope_url(nasty_story, "json", kind))["items"]

    assert item["title"] == CLEAN
    assert item["summary"] == CLEAN_SUMMARY
    assert item["authors"][0]["name"] == CLEAN
    assert CLEAN in item["tags"]
    assert "<script>" not in item["content_html"]


# The leak rule --------------------------------------------------------------------------


def test_unpublished_stories_never_reach_a_feed(client, story):
    """Drafts, stories in review, scheduled and archived ones are in no feed, not even as
    a related link or an Also Read box; neither are pending links."""
    hidden = [
        maker(headline=f"Secret {name} story", **{"people": ["Benjamin Netanyahu"]})
        for name, maker in {
            "draft": draft,
            "review": in_review,
            "scheduled": scheduled,
            "archived": archived,
        }.items()
    ]
    for position, article in enumerate(hidden, start=2):
        article.countries.set(["Israel"])
        article.topics.set(["Gaza ceasefire"])
        article.bylines.create(author=story.authors.get())
        CrossLinkFactory(source=story, target=article, placement=position)
    CrossLinkFactory(source=story, target=None, target_headline="Secret pending story")
    # A hidden story linking to a live one does not make the live one's feed show it.
    CrossLinkFactory(source=hidden[0], target=story, placement=1)

    urls = [scope_url(story, format, kind) for format in FORMATS for kind in SCOPES]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "Secret" not in body, url
        for article in hidden:
            assert article.slug not in body, url
            assert not re.search(rf":article:{article.pk}\b", body), url


# Identity and dates ---------------------------------------------------------------------


def test_identity_survives_slug_headline_and_section_changes(client, story):
    """Editing a story's slug, headline and section keeps its id; its link follows."""

    def item():
        (found,) = [
            i
            for i in get_json(client, feed_url("json"))["items"]
            if i["id"].endswith(f":{story.pk}")
        ]
        return found

    before = item()
    story.slug = "netanyahu-white-house-visit"
    story.headline = "Netanyahu heads to Washington"
    story.section = SectionFactory(name="Politics")
    story.published_at -= timedelta(minutes=5)
    story.save()
    after = item()

    assert after["id"] == before["id"]
    assert after["url"] == "http://testserver/news/netanyahu-white-house-visit/"
    assert after["title"] == "Netanyahu heads to Washington"
    atom = parse(client, feed_url("atom"))
    assert before["id"] in {entry.id for entry in atom.entries}


def test_update_moves_modified_but_not_published(client, story):
    """An update moves updated / date_modified and leaves the publication date alone."""
    published = story.published_at
    story.updated_at = published + timedelta(hours=2)
    story.save()

    item = next(
        i for i in get_json(client, feed_url("json"))["items"] if i["title"] == story.headline
    )
    assert datetime.fromisoformat(item["date_published"]) == published
    assert datetime.fromisoformat(item["date_modified"]) == story.updated_at
    entry = next(e for e in parse(client, feed_url("atom")).entries if e.title == story.headline)
    assert datetime.fromisoformat(entry.published) == published
    assert datetime.fromisoformat(entry.updated) == story.updated_at


# Query counts ---------------------------------------------------------------------------


def crowd(count):
    """``count`` live stories sharing one author, each with bylines, many tags and links."""
    author = AuthorFactory(name="Ruth Levi")
    people = [f"Person {n}" for n in range(8)]
    countries = ["Israel", "Iran", "Egypt", "Qatar", "Jordan", "Lebanon"]
    topics = [f"Topic {n}" for n in range(6)]
    articles = [
        tagged_story(people=people, countries=countries, topics=topics, authors=[author])
        for _ in range(count)
    ]
    for article in articles:
        article.bylines.create(author=AuthorFactory(), position=1)
    for source, target in zip(articles, articles[1:], strict=False):
        CrossLinkFactory(source=source, target=target)
    return articles[0]


def item_count(response, format):
    if format == "json":
        return len(json.loads(response.content)["items"])
    return len(feedparser.parse(response.content).entries)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", SCOPES)
@pytest.mark.parametrize("format", FORMATS)
def test_query_count_does_not_grow(client, db, django_assert_max_num_queries, format, kind):
    """One story or thirty, with many tags, bylines and links: the same few queries."""
    first = crowd(1)
    url = scope_url(first, format, kind)
    one = count_queries(client, url)
    crowd(29)
    with django_assert_max_num_queries(FEED_BUDGET):
        response = client.get(url)
    assert item_count(response, format) == 30
    assert count_queries(client, url) == one


@pytest.mark.parametrize("kind", SCOPES)
@pytest.mark.parametrize("format", FORMATS)
def test_notices_cost_one_query_whatever_their_number(client, db, format, kind):
    """Items carrying corrections and clarifications cost one more query (their notices),
    the same for one item as for thirty with two notices each; none when no item has one."""
    from articles.models import Correction

    first = crowd(1)
    url = scope_url(first, format, kind)
    without = count_queries(client, url)
    Correction.objects.create(article=first, text="Notice.", revision=1)
    with_one = count_queries(client, url)
    crowd(29)
    for article in Article.objects.all():
        Correction.objects.create(article=article, kind="clarification", text="More.", revision=1)
    assert with_one == without + 1 <= FEED_BUDGET + 1
    assert count_queries(client, url) == with_one


def test_not_modified_costs_two_queries(client, story, django_assert_num_queries):
    """A 304 for the site feed is answered from the item query and the content generation
    (one small query, articles.caching; behind the page cache it is the one it read)."""
    etag = client.get(feed_url("rss"))["ETag"]
    with django_assert_num_queries(2):
        assert client.get(feed_url("rss"), headers={"if-none-match": etag}).status_code == 304


# The seed story and discovery -----------------------------------------------------------


def seed_feed_urls():
    urls = [feed_url(format) for format in FORMATS]
    for kind, hub in HUB_KINDS.items():
        for obj in hub.model.objects.all():
            if hub.articles(obj).exists():
                urls.extend(feed_url(format, kind, obj) for format in FORMATS)
    return urls


def test_seed_database_feeds_read_cleanly(client, db):
    """feedparser reads every feed of the seed database without a warning."""
    report = import_stories([SEEDS])
    assert not report.errors
    urls = seed_feed_urls()
    # The site, four people, four countries, two topics and a section, in three formats.
    assert len(urls) == 3 * 12

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith("/json/"):
            (item,) = json.loads(response.content)["items"]
            assert item["authors"] == [{"name": "PTI"}]
            continue
        feed = read(response)
        assert feed.bozo == 0, (url, feed.get("bozo_exception"))
        (entry,) = feed.entries
        assert entry.title.startswith("Trump invites Netanyahu")
        assert entry.published_parsed and entry.updated_parsed and entry.id and entry.link
        # The Also Read targets are not in the seed database: pending links never show.
        assert not [link for link in entry.links if link.rel == "related"]
        assert "Also read" not in entry.content[0].value


@pytest.mark.parametrize("kind", HUB_KINDS)
def test_autodiscovery_links_lead_to_the_feeds(client, story, kind):
    """The <head> partial names each of a hub's feeds with its type, and each one works."""
    hub = HUB_ATTRIBUTES[kind](story)
    head = render_to_string("includes/feed_links.html", {"hub": hub, "hub_kind": kind})
    for format in FORMATS:
        url = feed_url(format, kind, hub)
        media_type = CONTENT_TYPES[format].split(";")[0]
        assert f'type="{media_type}"' in head
        assert f'href="{url}"' in head
        assert client.get(url)["Content-Type"].startswith(media_type)
    assert head.count('rel="alternate"') == 3


def test_site_autodiscovery(client, story):
    """Without a hub the partial names the site's three feeds."""
    head = render_to_string("includes/feed_links.html", {})
    for format in FORMATS:
        assert f'href="{feed_url(format)}"' in head
        assert client.get(feed_url(format)).status_code == 200


@pytest.mark.parametrize("kind", SCOPES)
def test_visible_feed_links(client, story, kind):
    """The visible subscribe links name the page's three feeds, escape the hub name, work."""
    hub = kind and HUB_ATTRIBUTES[kind](story)
    if hub:
        hub.name = "Q&A <desk>"
    links = render_to_string("feeds/subscribe.html", {"hub": hub, "hub_kind": kind})
    if hub:
        assert "Follow Q&amp;A &lt;desk&gt;" in links and "<desk>" not in links
    for format in FORMATS:
        url = scope_url(story, format, kind)
        assert f'href="{url}"' in links
        assert client.get(url).status_code == 200
