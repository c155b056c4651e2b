"""Each story as an IPTC ninjs 2.2 document (``/api/v1/stories/<slug>/ninjs/``,
``articles.reader.ninjs``), valid against the official schema, linked from its page and from
every feed item.

``tests/data/ninjs/ninjs-schema_2.2.json`` is IPTC's published schema, unmodified, from
https://github.com/iptc/newsinjson (``specification/ninjs-schema_2.2.json``, commit
3ace39707a725d6674279c3151e2f5323dc81074, the 2.2 release approved in May 2025).
"""

import datetime
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from articles.models import Correction
from tests.factories import ArticleFactory, AuthorFactory, CrossLinkFactory, ImageFactory, draft

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "ninjs" / "ninjs-schema_2.2.json").read_text("utf-8")
)

# jsonschema checks the "uri" and "date-time" formats only with optional packages; these
# two checkers hold ninjs to them without more dependencies: an absolute URI (RFC 3986: a
# scheme, no spaces) and an RFC 3339 date-time with its offset.
formats = FormatChecker()
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@formats.checks("uri")
def is_uri(value) -> bool:
    scheme = urlsplit(value).scheme
    return bool(URI_SCHEME.fullmatch(scheme)) and not re.search(r"\s", value)


@formats.checks("date-time")
def is_date_time(value) -> bool:
    if not RFC3339.fullmatch(value):
        return False
    datetime.datetime.fromisoformat(value)
    return True


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=formats)


def ninjs_of(client, story) -> dict:
    response = client.get(f"/api/v1/stories/{story.slug}/ninjs/")
    assert response.status_code == 200
    return json.loads(response.content)


def assert_valid(document):
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_is_iptcs_ninjs_2_2():
    assert SCHEMA["$id"] == "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#"
    assert SCHEMA["title"] == "IPTC ninjs - News in JSON - version 2.2"
    Draft202012Validator.check_schema(SCHEMA)


def test_the_validator_refuses_what_ninjs_refuses():
    """The checks bite: a missing uri, an unknown property, a bad time or URI fail."""
    for bad in (
        {"type": "text"},
        {"uri": "tag:x,2025-01-01:article:1", "headline": "not a ninjs property"},
        {"uri": "tag:x,2025-01-01:article:1", "versioncreated": "yesterday"},
        {"uri": "not a uri"},
        {"uri": "tag:x,2025:a:1", "associations": [{"uri": "tag:x,2025:a:2"}]},  # no name
    ):
        assert list(VALIDATOR.iter_errors(bad)), bad


def test_a_full_story_is_valid_ninjs_with_everything_it_shows(client):
    """Headline, standfirst, body, people, places, subjects, bylines, corrections, the lead
    photo with its renditions and the Also Read links as associations."""
    story = ArticleFactory(
        headline="Trump invites Netanyahu to the White House",
        people=["Donald Trump", "Benjamin Netanyahu"],
        countries=["US", "IL"],
        topics=["Gaza ceasefire"],
        authors=[AuthorFactory(name="Jane Writer"), AuthorFactory(name="Sam Reporter")],
        lead_image=ImageFactory(),
        source="PTI",
        dateline="WASHINGTON",
        story_type="analysis",
    )
    inline, listed = ArticleFactory(headline="Inline target"), ArticleFactory(headline="Listed")
    CrossLinkFactory(source=story, target=inline, placement=2)
    CrossLinkFactory(source=story, target=listed, placement=None)
    Correction.objects.create(article=story, text="The date was wrong.", revision=1)

    document = ninjs_of(client, story)
    assert_valid(document)
    assert document["uri"].startswith("tag:testserver,")
    assert document["headlines"][0]["value"] == story.headline
    assert document["bodies"][0]["value"].startswith('<p><span class="dateline">WASHINGTON —')
    assert document["located"] == "WASHINGTON"
    assert document["genres"] == [{"name": "Analysis", "literal": "analysis"}]
    assert document["bodies"][0]["contenttype"] == "text/html"
    assert {p["name"] for p in document["people"]} == {"Donald Trump", "Benjamin Netanyahu"}
    assert {p["name"] for p in document["places"]} == {"United States", "Israel"}
    assert {(s["name"], s["rel"]) for s in document["subjects"]} == {
        ("Gaza ceasefire", "about"),
        ("World", "section"),
    }
    assert document["by"] == "Jane Writer, Sam Reporter"
    assert document["infosources"] == [{"name": "PTI"}]
    assert {"role": "correction", "contenttype": "text/plain", "value": "The date was wrong."} in (
        document["descriptions"]
    )
    picture, *links = document["associations"]
    assert picture["type"] == "picture" and picture["name"] == "leadimage"
    assert picture["renditions"] and all(
        r["href"].startswith("http://testserver/media/") for r in picture["renditions"]
    )
    assert [(a["name"], a["headlines"][0]["value"]) for a in links] == [
        ("alsoread-after-paragraph-2", "Inline target"),
        ("related", "Listed"),
    ]
    assert links[0]["uri"] == ninjs_of(client, inline)["uri"]


def test_a_bare_story_is_valid_ninjs(client):
    """No standfirst, tags, section, bylines, photo or links: absent, not empty."""
    story = ArticleFactory(standfirst="", section=None)
    document = ninjs_of(client, story)
    assert_valid(document)
    assert "associations" not in document and "people" not in document


def test_hostile_text_stays_text_and_valid(client):
    """Markup and control characters in names and headlines come out as plain JSON strings
    in a valid document."""
    story = ArticleFactory(
        headline='<img src=x onerror="alert(1)"> & "quotes"',
        people=["<b>Not bold</b>"],
        authors=[AuthorFactory(name="O'Brien </script>")],
    )
    document = ninjs_of(client, story)
    assert_valid(document)
    assert document["headlines"][0]["value"] == story.headline


def test_the_story_page_links_to_its_ninjs(client):
    story = ArticleFactory()
    html = client.get(story.get_absolute_url()).content.decode()
    assert (
        f'<link rel="alternate" type="application/json" title="This story as IPTC ninjs" '
        f'href="/api/v1/stories/{story.slug}/ninjs/">'
    ) in html


@pytest.mark.parametrize("format", ["rss", "atom", "json"])
def test_every_feed_item_links_to_its_ninjs(client, format):
    story = ArticleFactory()
    url = f"http://testserver/api/v1/stories/{story.slug}/ninjs/"
    for feed in (f"/feed/{format}/", f"/sections/world/feed/{format}/"):
        body = client.get(feed).content.decode()
        if format == "json":
            assert json.loads(body)["items"][0]["_ninjs"]["url"] == url
        else:
            links = feedparser.parse(body).entries[0].links
            assert {"rel": "alternate", "type": "application/json", "href": url} in [
                {key: link.get(key) for key in ("rel", "type", "href")} for link in links
            ]


def test_a_preview_links_to_no_ninjs(admin_client):
    """A draft's preview (staff) names no ninjs address: the draft has none yet."""
    story = draft()
    html = admin_client.get(f"/preview/{story.pk}/").content.decode()
    assert "IPTC ninjs" not in html
