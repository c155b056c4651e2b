"""The public read API, version 1: live stories, hubs and search as JSON, and each story as an
IPTC ninjs document (``ninjs.py``), under ``/api/v1/``, described by ``/api/openapi.json``.

django-ninja writes the OpenAPI document from the pydantic schemas below, and checks every
answer against them (``tests/test_api_fuzz.py`` fuzzes the API from that document). What a
response holds comes from the same querysets as the pages, behind the one publication gate
(``Article.objects.live()``), and it is cached, validated (ETag, 304) and invalidated like a
page by ``newsroom.middleware.PublicCacheMiddleware``: each endpoint declares what it shows
with ``caching.shows()`` and the query parameters it reads (``QUERY_PARAMS``); any other
parameter is dropped before it runs.

Lists page by key: ``next_cursor`` is an opaque token for the story after the page (its
publication time and id, ``paging.ListingKey``), so every page is one short index scan and
paging through every live story gives each exactly once while stories are published.
"""

import datetime
import functools
import re
from typing import Annotated, Literal
from urllib.parse import urlencode

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import HttpError, ValidationError
from pydantic import field_validator

from articles import caching, images, paths, text
from articles.models import (
    EARLIEST_STORY_TIME,
    LATEST_STORY_TIME,
    Article,
    CrossLink,
    attach_notices,
    attach_tags_and_authors,
)

from . import ninjs, search
from .hubs import HUB_KINDS
from .paging import ListingKey

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SEARCH_RESULTS = 50
# Longer values are no slug, cursor or search anyone sends; refused before any query.
MAX_PARAM_LENGTH = 200
# Text a request may carry: no control characters (``newsroom.control_characters`` refuses
# them with a 400 before any view; the document says so).
TEXT = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFE\uFFFF]*$"
# Filters of the story list, by the hub kind (``hubs.HUB_KINDS``) whose slug each takes.
FILTERS = {
    "person": "people",
    "country": "countries",
    "topic": "topics",
    "section": "sections",
    "author": "authors",
}
HubKindName = Literal["people", "countries", "topics", "sections", "authors"]

api = NinjaAPI(
    title="Newsroom API",
    version="1",
    description="Live stories, hubs and search, read-only; each story also as IPTC ninjs 2.2. "
    "Lists page with next_cursor. Responses carry ETag and Cache-Control like the site's "
    "pages; bad input is a 400 with a JSON detail.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    # No docs page: it loads scripts and styles from a CDN, which the site's CSP refuses.
    docs_url=None,
)


@api.exception_handler(ValidationError)
def bad_input(request, error):
    """Bad parameters are the client's error (400), naming each parameter at fault."""
    return api.create_response(request, {"detail": error.errors}, status=400)


@api.exception_handler(Http404)
def not_found(request, error):
    return api.create_response(request, {"detail": str(error) or "Not found."}, status=404)


# Schemas ---------------------------------------------------------------------------------


class Error(Schema):
    detail: str | list[dict] = Field(
        description="What is wrong; for bad parameters one entry per problem, with its 'loc'."
    )


class SectionRef(Schema):
    name: str
    slug: str
    url: str


class HubLink(Schema):
    kind: HubKindName
    name: str
    slug: str
    url: str = Field(description="The hub's page")
    api_url: str = Field(description="The hub in this API")


class StoryCard(Schema):
    slug: str
    headline: str
    summary: str = Field(description="The standfirst, else the start of the body (plain text)")
    published_at: datetime.datetime
    updated_at: datetime.datetime | None
    section: SectionRef | None
    story_type: str = Field(description="The type of work: news, analysis, opinion, …")
    story_type_label: str = Field(description="As readers are told it: News, Analysis, …")
    demo: bool = Field(description="Demo content (manage.py load_demo), illustrative only")
    url: str = Field(description="The story's page")
    api_url: str
    ninjs_url: str = Field(description="The story as an IPTC ninjs 2.2 document")


class StoryPage(Schema):
    items: list[StoryCard]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: last")
    next: str | None = Field(description="The next page's address; null on the last page")


class RenditionOut(Schema):
    url: str
    media_type: str
    crop: str
    width: int
    height: int
    size: int


class ImageOut(Schema):
    alt: str
    caption: str
    credit: str
    renditions: list[RenditionOut]


class LinkedStory(Schema):
    slug: str
    headline: str
    published_at: datetime.datetime
    url: str
    api_url: str


class AlsoRead(Schema):
    placement: int | None = Field(
        description="Paragraphs of the body before the Also Read box; null: in the Related "
        "stories list after the story"
    )
    order: int
    story: LinkedStory


class Notice(Schema):
    kind: Literal["correction", "clarification"]
    text: str
    at: datetime.datetime


class Tags(Schema):
    people: list[HubLink]
    countries: list[HubLink]
    topics: list[HubLink]


class Story(StoryCard):
    dateline: str = Field(description="Where it was reported (it also opens body_html)")
    body_html: str = Field(description="The body, sanitised as on the page; photos as <img>")
    source: str
    bylines: list[HubLink]
    tags: Tags
    image: ImageOut | None
    links: list[AlsoRead]
    corrections: list[Notice]


class Hub(Schema):
    kind: HubKindName
    slug: str
    name: str
    description: str
    url: str
    feeds: dict[str, str] = Field(description="The hub's feeds: rss, atom, json")
    story_count: int = Field(description="Live stories, counted up to 1,000")
    more_stories: bool = Field(description="Whether it has more than story_count")
    stories: StoryPage


class SearchResult(StoryCard):
    snippet: str = Field(description="HTML: text of the body around the match, matches in <mark>")


class SearchAnswer(Schema):
    query: str
    items: list[SearchResult]
    more: bool = Field(description="Whether more stories match than were given")
    hubs: list[HubLink]


# An ISO 8601 date and time (RFC 3339; without an offset it is UTC). Not pydantic's lax
# parsing, which takes "0.5" for a Unix time.
ISO_DATE_TIME = re.compile(
    r"(\d{4})-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:?\d\d)?", re.IGNORECASE
)


def story_time(value) -> datetime.datetime | None:
    """A time from ISO 8601 text, held within the times a story may have: a bound before
    the earliest (or after the latest) is one no story passes or every story passes alike,
    and never reaches a database that may not represent it."""
    if value is None:
        return None
    match = ISO_DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be an ISO 8601 date and time, e.g. 2025-01-29T09:30:00Z")
    year = int(match[1])
    if year < EARLIEST_STORY_TIME.year:
        return EARLIEST_STORY_TIME
    if year >= LATEST_STORY_TIME.year:
        return LATEST_STORY_TIME
    if match[3]:  # Python reads six digits of a second at most
        value = value.replace(match[3], match[3][:7])
    moment = datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


# A page's cursor: the place of its last story (``encode_cursor``); opaque to clients.
CURSOR = r"^-?[0-9]{1,17}-[1-9][0-9]{0,18}$"
Cursor = Field(None, pattern=CURSOR, description="The next_cursor of the page before")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
MAX_ID = 2**63 - 1  # the largest id PostgreSQL and SQLite hold
PageSize = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Stories per page")


def SlugFilter(description: str):  # noqa: N802  (a Field, named like one)
    return Field(None, max_length=MAX_PARAM_LENGTH, pattern=TEXT, description=description)


class StoryFilters(Schema):
    person: str | None = SlugFilter("A person's slug")
    country: str | None = SlugFilter("A country's slug")
    topic: str | None = SlugFilter("A topic's slug")
    section: str | None = SlugFilter("A section's slug")
    author: str | None = SlugFilter("An author's slug")
    since: datetime.datetime | None = Field(None, description="Published at or after (ISO 8601)")
    until: datetime.datetime | None = Field(None, description="Published before (ISO 8601)")
    cursor: str | None = Cursor
    limit: int = PageSize

    _times = field_validator("since", "until", mode="before")(story_time)


class PageParams(Schema):
    cursor: str | None = Cursor
    limit: int = PageSize


class SearchParams(Schema):
    q: str = Field("", pattern=TEXT, description="Words, as on the site's search page")
    limit: int = Field(20, ge=1, le=MAX_SEARCH_RESULTS)


# What each endpoint reads of the query string (the page cache keeps these alone).
QUERY_PARAMS = {
    "stories": tuple(StoryFilters.model_fields),
    "hub": tuple(PageParams.model_fields),
    "search": tuple(SearchParams.model_fields),
}

# Paging ----------------------------------------------------------------------------------


def encode_cursor(key: ListingKey) -> str:
    """``<microseconds since 1970 UTC>-<id>`` of the last story of a page."""
    return f"{(key.listed - EPOCH) // MICROSECOND}-{key.pk}"


def decode_cursor(cursor: str) -> ListingKey:
    """The key a cursor (``CURSOR``, checked by the schema) stands for. Any such cursor is a
    place in the listing, however made up: beyond the times and ids a database holds, it is
    held at the last one, where the listing has nothing older or everything."""
    micros, pk = (int(part) for part in cursor.rsplit("-", 1))
    earliest, latest = (
        (t - EPOCH) // MICROSECOND for t in (EARLIEST_STORY_TIME, LATEST_STORY_TIME)
    )
    listed = EPOCH + MICROSECOND * max(earliest, min(micros, latest))
    return ListingKey(listed, min(pk, MAX_ID))


def page_of(stories, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of ``stories`` (annotated with ``listed``) newest first, after ``cursor``,
    and the cursor of the next page (None on the last)."""
    newest_first = stories.order_by("-listed", "-pk")
    if cursor:
        newest_first = newest_first.filter(decode_cursor(cursor).older())
    rows = list(newest_first[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(ListingKey.of(rows[-1])) if more else None


def next_address(request, cursor: str | None, **params) -> str | None:
    """The address of the story list's page at ``cursor`` with the same ``params``."""
    if cursor is None:
        return None
    query = {k: v for k, v in params.items() if v not in (None, "")} | {"cursor": cursor}
    return request.build_absolute_uri(f"{reverse('api:stories')}?{urlencode(query)}")


# Shapes ----------------------------------------------------------------------------------


def story_api_url(request, slug: str) -> str:
    return request.build_absolute_uri(paths.slug_path("api:story", slug))


def card(story: Article, request) -> dict:
    absolute = request.build_absolute_uri
    section = story.section
    return {
        "slug": story.slug,
        "headline": story.headline,
        "summary": story.summary,
        "published_at": story.published_at,
        "updated_at": story.updated_at,
        "section": section
        and {
            "name": section.name,
            "slug": section.slug,
            "url": absolute(section.get_absolute_url()),
        },
        "story_type": story.story_type,
        "story_type_label": story.get_story_type_display(),
        "demo": story.is_demo,
        "url": absolute(story.get_absolute_url()),
        "api_url": story_api_url(request, story.slug),
        "ninjs_url": absolute(paths.slug_path("api:story_ninjs", story.slug)),
    }


def hub_link(kind: str, ref, request) -> dict:
    absolute = request.build_absolute_uri
    return {
        "kind": kind,
        "name": ref.name,
        "slug": ref.slug,
        "url": absolute(ref.get_absolute_url()),
        "api_url": absolute(reverse("api:hub", kwargs={"kind": kind, "slug": ref.slug})),
    }


def rendition(r, absolute) -> dict:
    return {
        "url": absolute(r.file.url),
        "media_type": r.media_type,
        "crop": r.crop,
        "width": r.width,
        "height": r.height,
        "size": r.size,
    }


# Loading ---------------------------------------------------------------------------------


def filtered_stories(filters: StoryFilters):
    """The live stories the filters ask for, with ``listed``, and the keys of the lists they
    come from (``caching.shows``). A hub filter whose slug names no hub with live stories is
    a 404, like its page. The first hub filter reads its hub's own listing index."""
    stories, keys = None, []
    for name, kind in FILTERS.items():
        slug = getattr(filters, name)
        if slug is None:
            continue
        hub = HUB_KINDS[kind]
        obj = hub.get(slug)
        keys.append(caching.hub_key(kind, obj.pk))
        first = stories is None
        stories = hub.articles(obj) if first else stories.filter(**{hub.lookup: obj})
    if stories is None:
        stories = Article.objects.live().with_listing_time()
        keys.append(caching.LATEST)
    if filters.since:
        stories = stories.filter(published_at__gte=filters.since)
    if filters.until:
        stories = stories.filter(published_at__lt=filters.until)
    return stories.select_related("section"), keys


def load_story(slug: str, request) -> Article:
    """The live story at ``slug`` with everything a reader sees of it: ``tags``,
    ``bylined``, ``notices``, ``shown_links`` (Also Read links to live stories),
    ``body_html`` (photos as absolute ``<img>``) and ``body_text``. Declares what it shows.

    An old address of a story answers 301 to its new one, a taken-down story 410, as its
    page does; anything else 404."""
    story = Article.objects.live().for_detail().filter(slug=slug).first()
    if story is None:
        gone_or_moved = Article.objects.gone_or_moved_from(slug)
        if gone_or_moved is None:
            raise Http404("No live story at this address.")
        caching.shows(caching.LATEST, stories=[gone_or_moved])
        if gone_or_moved.status == Article.Status.WITHDRAWN:
            raise HttpError(410, "This story was taken down.")
        return gone_or_moved
    story.shown_links = list(CrossLink.objects.shown_from(story))
    attach_tags_and_authors([story])
    attach_notices([story])
    blocks = text.with_dateline(story.paragraphs, story.dateline)  # as the page opens it
    photos = (
        images.renditions_by_digest(images.body_digests([blocks])) if "<img" in story.body else {}
    )
    story.body_html = "\n".join(
        images.with_plain_images(blocks, photos, request.build_absolute_uri)
    )
    story.body_text = text.html_to_text(story.body_html)
    caching.shows(
        caching.links_key(story.pk), stories=[story, *(link.target for link in story.shown_links)]
    )
    return story


def moved(request, story: Article, name: str) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(reverse(name, kwargs={"slug": story.slug}))


# Endpoints -------------------------------------------------------------------------------

v1 = Router(tags=["v1"])
Slug = Annotated[str, Path(pattern=TEXT)]
NOT_FOUND = {400: Error, 404: Error}


@v1.get("/stories/", response={200: StoryPage, **NOT_FOUND}, url_name="stories")
def stories(request, filters: Query[StoryFilters]):
    """Live stories, newest first (publication time, then id), a page at a time; filtered by
    hubs (slugs, all must match) and publication time."""
    found, keys = filtered_stories(filters)
    page, cursor = page_of(found, cursor=filters.cursor, limit=filters.limit)
    caching.shows(*keys, stories=page)
    params = {name: request.GET.get(name) for name in QUERY_PARAMS["stories"] if name != "cursor"}
    return {
        "items": [card(story, request) for story in page],
        "next_cursor": cursor,
        "next": next_address(request, cursor, **params),
    }


@v1.get(
    "/stories/{slug}/",
    response={200: Story, 301: None, **NOT_FOUND, 410: Error},
    url_name="story",
)
def story(request, slug: Slug):
    """One live story: body, tags, bylines, image renditions, Also Read links, notices."""
    found = load_story(slug, request)
    if found.slug != slug:
        return moved(request, found, "api:story")
    absolute = request.build_absolute_uri
    image = found.lead_image
    return {
        **card(found, request),
        "dateline": found.dateline,
        "body_html": found.body_html,
        "source": found.source,
        "bylines": [hub_link("authors", author, request) for author in found.bylined],
        "tags": {
            kind: [hub_link(kind, tag, request) for tag in tags]
            for kind, tags in found.tags.items()
        },
        "image": image
        and {
            "alt": image.alt_text,
            "caption": image.caption,
            "credit": image.credit,
            "renditions": [rendition(r, absolute) for r in image.renditions.all()],
        },
        "links": [
            {
                "placement": link.placement,
                "order": link.order,
                "story": {
                    "slug": link.target.slug,
                    "headline": link.target.headline,
                    "published_at": link.target.published_at,
                    "url": absolute(link.target.get_absolute_url()),
                    "api_url": story_api_url(request, link.target.slug),
                },
            }
            for link in found.shown_links
        ],
        "corrections": [
            {"kind": notice.kind, "text": notice.text, "at": notice.at} for notice in found.notices
        ],
    }


@v1.get(
    "/stories/{slug}/ninjs/",
    response={200: dict, 301: None, **NOT_FOUND, 410: Error},
    url_name="story_ninjs",
)
def story_ninjs(request, slug: Slug):
    """One live story as an IPTC ninjs 2.2 document (https://iptc.org/standards/ninjs/)."""
    found = load_story(slug, request)
    if found.slug != slug:
        return moved(request, found, "api:story_ninjs")
    return ninjs.document(found, request)


@v1.get("/hubs/{kind}/{slug}/", response={200: Hub, **NOT_FOUND}, url_name="hub")
def hub(request, kind: HubKindName, slug: Slug, paging: Query[PageParams]):
    """A person, country, topic, section or author with live stories: its page, feeds,
    count and a page of its stories (the next ones from the story list, filtered by it)."""
    hub_kind = HUB_KINDS[kind]
    obj = hub_kind.get(slug)
    story_count, more_stories = hub_kind.live_count(obj)
    page, cursor = page_of(
        hub_kind.articles(obj).select_related("section"), cursor=paging.cursor, limit=paging.limit
    )
    caching.shows(caching.hub_key(kind, obj.pk), stories=page)
    filter_name = next(name for name, of in FILTERS.items() if of == kind)
    absolute = request.build_absolute_uri
    return {
        "kind": kind,
        "slug": obj.slug,
        "name": obj.name,
        "description": getattr(obj, "description", "") or getattr(obj, "bio", ""),
        "url": absolute(obj.get_absolute_url()),
        "feeds": {
            format: absolute(
                reverse(
                    "articles:hub_feed", kwargs={"kind": kind, "slug": obj.slug, "format": format}
                )
            )
            for format in ("rss", "atom", "json")
        },
        "story_count": story_count,
        "more_stories": more_stories,
        "stories": {
            "items": [card(story, request) for story in page],
            "next_cursor": cursor,
            "next": next_address(request, cursor, limit=paging.limit, **{filter_name: obj.slug}),
        },
    }


@v1.get("/search/", response={200: SearchAnswer, 400: Error}, url_name="search")
def search_stories(request, params: Query[SearchParams]):
    """Live stories matching the words, best first, as the site's search finds them, and
    the hubs the words name. (Changes with any content change: it declares nothing.)"""
    query = search.clean_query(params.q)
    found = search.search_articles(query)[: params.limit + 1] if query else []
    kinds = {hub.url_name: kind for kind, hub in HUB_KINDS.items()}
    return {
        "query": query,
        "items": [
            {**card(story, request), "snippet": story.snippet} for story in found[: params.limit]
        ],
        "more": len(found) > params.limit,
        "hubs": [
            hub_link(kinds[ref.url_name], ref, request)
            for _, ref in (search.hubs_named(query) if query else [])
        ],
    }


api.add_router("/v1/", v1)


# Wiring ----------------------------------------------------------------------------------


def answering_head(view, query_params: tuple[str, ...]):
    """``view`` declaring the query parameters it reads (``caching.reads_query_params``)
    and answering HEAD as GET (the page cache sends it without the body): ninja routes
    GET alone."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        if request.method != "HEAD":
            return view(request, *args, **kwargs)
        request.method = "GET"
        try:
            return view(request, *args, **kwargs)
        finally:
            request.method = "HEAD"

    answer.query_params = query_params
    return answer


def url_patterns() -> list:
    """The API's URL patterns, for ``include()`` under ``api/`` with the namespace "api":
    ``openapi.json`` and ``v1/…``; nothing else under ``api/`` is theirs."""
    patterns, _, _ = api.urls
    for pattern in patterns:
        pattern.callback = answering_head(pattern.callback, QUERY_PARAMS.get(pattern.name, ()))
    return patterns
