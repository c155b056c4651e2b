"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the front page and every hub.

One ``Feed`` class per scope (the whole site, one hub) built on ``django.contrib.syndication``;
the format only picks the generator. The generators below add what Django's leave out: the
full body (``content:encoded`` / Atom ``content``), one ``dc:creator`` / ``author`` per byline,
the lead image as ``media:content`` (a 1200-pixel rendition; also the RSS ``enclosure``, the
Atom ``link rel="enclosure"`` and the JSON Feed ``image``), and a ``related`` link to each live
Also Read target.
"""

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from io import StringIO

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db import connections, router
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import (
    Atom1Feed,
    Enclosure,
    Rss201rev2Feed,
    SyndicationFeed,
    rfc3339_date,
)
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from articles import caching, compiled, fragments, images, paths, text, websub
from articles.models import (
    Article,
    ArticleQuerySet,
    Correction,
    CrossLink,
    Rendition,
    attach_latest_key_events,
    attach_notices,
    attach_tags_and_authors,
    labelled_headline,
    lead_image_renditions,
)

from .hubs import hub_kind, redirect_moved

FEED_LENGTH = 50
# Feeds are polled hard and cached by the CDN: fresh for five minutes, then served stale
# for up to an hour while the CDN revalidates (a conditional GET, usually a cheap 304).
MAX_AGE = 5 * 60
STALE_WHILE_REVALIDATE = 60 * 60
# How an item's body shows its Also Read links (see ``ArticleFeed.item_content_html``).
ALSO_READ_BOX = '<p><strong>Also read:</strong> <a href="{url}">{title}</a></p>'
RELATED_ITEM = '<li><a href="{}">{}</a></li>'
# How an item's content opens with the newest key event of its story's live coverage.
KEY_EVENT = '<p><strong><a href="{url}">Key event, {time}</a>:</strong> {headline}</p>\n{body}\n'
KEY_EVENT_TIME = "j F Y, H:i T"
# Each item links to its story as an IPTC ninjs document (``articles.reader.ninjs``).
NINJS_LINK = {"rel": "alternate", "type": "application/json", "title": "IPTC ninjs"}
NINJS_EXTENSION = "https://iptc.org/standards/ninjs/"
# How an item's content opens with each correction or clarification of its story.
NOTICE = "<p><strong>{label}, {date}:</strong> {text}</p>"


def attach_related_links(articles) -> None:
    """Set ``related`` on each article: ``(placement, slug, headline)`` of each Also Read
    target a reader may see, in reading order, its headline labelled as listings label it
    (``labelled_headline``); one query whatever the number of items.

    Plain rows, not model instances: a feed shows a hundred-odd links and needs three values
    of each. Made per request: the liveness test holds the time it is made.
    """
    rows = (
        CrossLink.objects.shown()
        .filter(source__in=[article.pk for article in articles])
        .values_list(
            "source", "placement", "target__slug", "target__headline", "target__story_type"
        )
    )
    related = defaultdict(list)
    for source, placement, slug, headline, story_type in rows:
        related[source].append((placement, slug, labelled_headline(headline, story_type)))
    for article in articles:
        article.related = related[article.pk]


def xml_safe(value):
    """``value`` with the characters XML 1.0 forbids removed, through lists and dicts.

    Stored text can carry them (a pasted vertical tab, a NUL from a bad import); Django's XML
    writer refuses them with an exception, and JSON readers choke on some, so every string
    that reaches a generator passes here first.
    """
    if isinstance(value, str):
        return text.strip_control_chars(value)
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(xml_safe(item) for item in value)
    return value


class CleanTextFeed(SyndicationFeed):
    def __init__(self, *args, **kwargs):
        super().__init__(*xml_safe(args), **xml_safe(kwargs))

    def add_item(self, *args, **kwargs):
        super().add_item(*xml_safe(args), **xml_safe(kwargs))


def kept_item(item: dict, produce) -> str:
    """An item's text, kept between requests (``articles.fragments``) under the name the
    feed gave it, showing its story and that story's links; or ``produce()``-d now."""
    name = item.get("fragment")
    if not name:
        return produce()

    def declared():
        caching.shows(*item["keys"])
        return produce()

    return fragments.render(name, declared, inherit=False)


class KeptXmlItems:
    """RSS or Atom items written from their kept XML when the feed has it (``kept``), and
    kept as written otherwise: a feed is rendered again whenever any of its fifty stories
    changes, and the others' items are the same as before."""

    item_element = "item"

    def write_items(self, handler):
        for item in self.items:
            xml = item.get("kept") or kept_item(item, lambda item=item: self.item_xml(item))
            # Written as it is: XML this generator wrote, escaped then (a SAX handler writes
            # ignorable whitespace as given).
            handler.ignorableWhitespace(xml)

    def item_xml(self, item) -> str:
        out = StringIO()
        handler = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
        handler.startElement(self.item_element, self.item_attributes(item))
        self.add_item_elements(handler, item)
        handler.endElement(self.item_element)
        return out.getvalue()


MEDIA_NS = "http://search.yahoo.com/mrss/"


def add_media_content(handler, image):
    if not image:
        return
    attrs = {"url": image["url"], "medium": "image", "type": image["type"]}
    attrs |= {name: str(image[name]) for name in ("width", "height", "fileSize")}
    handler.startElement("media:content", attrs)
    if image["description"]:
        handler.addQuickElement("media:description", image["description"], {"type": "plain"})
    if image["credit"]:
        handler.addQuickElement("media:credit", image["credit"])
    handler.endElement("media:content")


class NewsRssFeed(KeptXmlItems, CleanTextFeed, Rss201rev2Feed):
    """RSS 2.0, with every ``title`` and ``description`` (channel and item) as HTML.

    The spec leaves open whether those hold text or HTML, and readers guess: feedparser takes
    a description as HTML and a title as HTML when it looks like some (``<b>…</b>``, an
    entity), many take both as HTML always (Django ticket #6533). The RSS Board's advice
    (``&#x3C;`` for ``<``) reaches an XML parser as the same ``<``, so it does not help. So
    the text goes in as HTML that shows it literally (``<`` as ``&amp;lt;``): a name such as
    ``<img src=x onerror=…>`` reads as written and never renders. The item description comes
    as HTML already (``ArticleFeed.item_description``, which Atom's summary shares).
    Categories, ``dc:creator`` and the ``media:`` text stay plain text, as feedparser reads them.
    """

    def __init__(self, title, link, description, *args, **kwargs):
        super().__init__(escape(title), link, escape(description), *args, **kwargs)

    def add_item(self, title, *args, **kwargs):
        super().add_item(escape(title), *args, **kwargs)

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            "xmlns:dc": "http://purl.org/dc/elements/1.1/",
            "xmlns:media": MEDIA_NS,
        }

    def add_root_elements(self, handler):
        super().add_root_elements(handler)  # atom:link rel="self" among them
        if hub := self.feed.get("hub"):
            handler.addQuickElement("atom:link", None, {"rel": "hub", "href": hub})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.addQuickElement("dc:creator", author["name"])
        handler.addQuickElement("content:encoded", item["content_html"])
        if item.get("ninjs"):
            handler.addQuickElement("atom:link", None, {**NINJS_LINK, "href": item["ninjs"]})
        add_media_content(handler, item["image"])
        for link in item["related"]:
            handler.addQuickElement(
                "atom:link", None, {"rel": "related", "href": link["url"], "title": link["title"]}
            )


class NewsAtomFeed(KeptXmlItems, CleanTextFeed, Atom1Feed):
    item_element = "entry"

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)  # link rel="self" among them
        if hub := self.feed.get("hub"):
            handler.addQuickElement("link", None, {"rel": "hub", "href": hub})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", author["name"])
            if author["url"]:
                handler.addQuickElement("uri", author["url"])
            handler.endElement("author")
        handler.addQuickElement("content", item["content_html"], {"type": "html"})
        if item.get("ninjs"):
            handler.addQuickElement("link", None, {**NINJS_LINK, "href": item["ninjs"]})
        add_media_content(handler, item["image"])
        for link in item["related"]:
            handler.addQuickElement(
                "link", None, {"rel": "related", "href": link["url"], "title": link["title"]}
            )


class JsonFeed(CleanTextFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) from the same item data."""

    content_type = "application/feed+json; charset=utf-8"
    version = "https://jsonfeed.org/version/1.1"

    def as_dict(self) -> dict:
        feed = {
            "version": self.version,
            "title": self.feed["title"],
            "home_page_url": self.feed["link"],
            "feed_url": self.feed["feed_url"],
            "description": self.feed["description"],
            "language": self.feed["language"],
            "hubs": [{"type": "WebSub", "url": hub}] if (hub := self.feed.get("hub")) else None,
            "items": [self.kept_item_dict(item) for item in self.items],
        }
        return {key: value for key, value in feed.items() if value is not None}

    def kept_item_dict(self, item) -> dict:
        if kept := item.get("kept"):
            return json.loads(kept)
        entry = self.item_dict(item)
        kept_item(item, lambda: json.dumps(entry, ensure_ascii=False))
        return entry

    def item_dict(self, item) -> dict:
        entry = {
            "id": item["unique_id"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item["content_html"],
            "summary": item["summary"],
            "image": item["image"] and item["image"]["url"],
            "date_published": rfc3339_date(item["pubdate"]),
            "date_modified": rfc3339_date(item["updateddate"]),
            "authors": [
                {key: value for key, value in author.items() if value} for author in item["authors"]
            ],
            "tags": list(item["categories"]),
            # An extension object (JSON Feed 1.1: "_" names, with "about").
            "_ninjs": item.get("ninjs") and {"about": NINJS_EXTENSION, "url": item["ninjs"]},
        }
        return {key: value for key, value in entry.items() if value not in (None, "", [])}

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.as_dict(), ensure_ascii=False, indent=2))


FEED_TYPES = {"rss": NewsRssFeed, "atom": NewsAtomFeed, "json": JsonFeed}
FORMATS = tuple(FEED_TYPES)


class AdvertisesHub:
    """A feed naming the WebSub hub, while there is one (``articles.websub``): in the feed
    (``hub`` for the generators above) and in a ``Link`` header beside its own address."""

    def feed_extra_kwargs(self, obj):
        return {"hub": websub.hub_url()} if websub.hub_url() else {}

    def advertise_hub(self, response, obj=None) -> None:
        if websub.hub_url():
            args = () if obj is None else (obj,)
            response["Link"] = websub.link_header(self.feed_url(*args))


class ArticleFeed(AdvertisesHub, Feed):
    """The newest live stories of a scope, as one of the FEED_TYPES.

    A Feed instance serves one request: the items are fetched once in ``__call__``, which
    answers conditional requests from them before any rendering work.
    """

    def __init__(self, format: str):
        try:
            self.feed_type = FEED_TYPES[format]
        except KeyError:
            raise Http404("Feeds come as rss, atom or json.") from None
        self.format = format

    def __call__(self, request, *args, **kwargs):
        self.request = request
        self.started = timezone.now()
        obj = self.get_object(request, *args, **kwargs)
        listed = self.listed_under(obj)
        self.articles = self.kept_listing(obj, listed) or self.listing(obj, listed)
        if listed is not None:
            caching.shows(
                listed,
                *(caching.links_key(article.pk) for article in self.articles),  # related links
                stories=self.articles,
            )
        etag, last_modified = self.validators(obj)
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            feed = self.get_feed(obj, request)
            # Written to a string first: the XML writer makes thousands of small writes, and
            # each one into the response would be encoded and stored on its own.
            response = HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type)
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        patch_cache_control(
            response, public=True, max_age=MAX_AGE, stale_while_revalidate=STALE_WHILE_REVALIDATE
        )
        self.advertise_hub(response, obj)
        return response

    def item_name(self, pk) -> str:
        return fragments.name(self.request, "feed-item", self.format, pk)

    def listing(self, obj, listed: str | None) -> list:
        """The feed's stories, whole, to render their items from; which they are is kept
        while the list stays the same (``kept_listing``)."""
        stories = list(
            with_item_times(self.live_articles(obj))
            .select_related("section", "lead_image")
            .order_by("-listed", "-pk")[:FEED_LENGTH]
        )
        if listed is not None:
            pks = [story.pk for story in stories]
            fragments.remembered(self.list_name(), [listed], lambda: pks)
        return stories

    def list_name(self) -> str:
        return fragments.name(self.request, "feed-list", self.request.path)

    def kept_listing(self, obj, listed: str | None) -> list | None:
        """When the list of the feed's stories and every one of their items are kept: the
        times that say when each item changed (``validators``), and no more (making fifty
        stories whole costs more than the rest of such a feed); else None."""
        if listed is None:
            return None
        # The list and the items it named when it was kept, checked in one query (should the
        # list no longer hold, its items' keys are declared all the same: a needless
        # re-render of the feed at worst, never a stale one).
        list_name = self.list_name()
        named = fragments.peek(list_name) or []
        found = fragments.fetch([list_name, *(self.item_name(pk) for pk in named)])
        pks = found.get(list_name)
        if pks is None or any(self.item_name(pk) not in found for pk in pks):
            return None
        # Those still live (a story taken off the feed changes the list: this is a guard).
        stories = item_times(pks)
        return stories if len(stories) == len(pks) else None

    def get_feed(self, obj, request):
        """The feed, its items kept from earlier requests where they are (``kept``), and
        made now, with what they show fetched for them alone, where not."""
        listed = self.articles
        names = {article.pk: self.item_name(article.pk) for article in listed}
        kept = fragments.fetch(names.values())
        self.articles = [article for article in listed if names[article.pk] not in kept]
        if self.articles:
            self.prepare_items(self.articles)
        self.item_names = names
        try:
            feed = super().get_feed(obj, request)
        finally:
            self.articles = listed
        made = iter(feed.items)
        feed.items = [
            {
                "kept": kept[names[article.pk]],
                "pubdate": article.published_at,
                "updateddate": modified_at(article),
            }
            if names[article.pk] in kept
            else next(made)
            for article in listed
        ]
        return feed

    def prepare_items(self, articles) -> None:
        """Fetch what the items of ``articles`` show, a query for each kind of thing."""
        # The images' renditions: one JPEG of the whole photo each (``item_image``).
        prefetch_related_objects(
            articles,
            lead_image_renditions(Rendition.Crop.FULL, formats=[Rendition.Format.JPEG]),
        )
        attach_related_links(articles)
        attach_tags_and_authors(articles)
        attach_notices(articles)  # a query only when an item has notices
        attach_latest_key_events(articles)  # a query only when one is covered live
        self.body_photos = images.renditions_by_digest(
            images.body_digests(a.paragraphs for a in articles if "<img" in a.body)
        )

    def validators(self, obj):
        """ETag and Last-Modified (a timestamp) of this feed, without rendering it.

        The ETag covers which stories are in the feed and when each changed, so one leaving
        it (archived, unpublished) changes it. An item also shows what is not its own: its
        Also Read targets, their headlines, its tag and section names. So the validators
        cover when the newest of its targets went live (a scheduled one going live adds a
        related link with nothing saved), and the public content generation
        (``articles.caching``), which moves with any saved change. Last-Modified is the
        latest of those times; after any change a conditional GET gets the new feed, never
        a stale 304.
        """
        token = caching.generation()
        stamps = [(a.pk, modified_at(a).isoformat(), a.links_live_since) for a in self.articles]
        scope = (self.format, str(obj), getattr(obj, "pk", None))
        digest = hashlib.sha256(repr((scope, stamps, token)).encode()).hexdigest()[:32]
        times = [modified_at(a) for a in self.articles]
        times += [a.links_live_since for a in self.articles if a.links_live_since]
        if times and token:
            times.append(caching.changed_at(token))
        last_modified = max(times, default=None)
        if last_modified is not None and not caching.settled(last_modified, self.started):
            last_modified = None  # in the second the feed was read: the ETag alone
        return f'W/"{digest}"', last_modified and int(last_modified.timestamp())

    def live_articles(self, obj):
        """The scope's live stories, with ``listed`` to order them by."""
        raise NotImplementedError

    def listed_under(self, obj) -> str | None:
        """The key (``articles.caching``) of the list of stories the feed shows; None: the
        feed changes with any change."""
        return None

    def items(self):
        return self.articles

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def subtitle(self, obj):
        return self._get_dynamic_attr("description", obj)

    # Items -----------------------------------------------------------------------------

    def item_title(self, article):
        """The headline, "Opinion: …" and "Sponsored: …" labelled (``labelled_headline``):
        a feed reader shows an item by its title alone."""
        return article.labelled_headline

    def item_description(self, article):
        """The summary as HTML (RSS ``description``, Atom ``summary type="html"``)."""
        return escape(article.summary)

    def item_guid(self, article):
        return item_id(article, self.request)

    item_guid_is_permalink = False

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return modified_at(article)

    def item_categories(self, article):
        """Its type of work (but news), section and tags, as RSS and Atom categories and
        JSON Feed tags."""
        names = [article.type_label] if article.type_label else []
        names += [article.section.name] if article.section else []
        return list(dict.fromkeys([*names, *article.tag_names]))

    def item_extra_kwargs(self, article):
        related = [
            {"url": self.absolute(Article.url_for(slug)), "title": headline, "placement": placement}
            for placement, slug, headline in article.related
        ]
        return {
            "authors": self.item_authors(article),
            "content_html": self.key_event_html(article)
            + notices_html(article)
            + self.item_content_html(article, related),
            "summary": article.summary,
            "image": self.item_image(article),
            "related": related,
            "ninjs": self.absolute(paths.slug_path("api:story_ninjs", article.slug)),
            # Kept under this name (``kept_item``), showing the story and its links.
            "fragment": self.item_names[article.pk],
            "keys": [caching.story_key(article.pk), caching.links_key(article.pk)],
        }

    def item_authors(self, article):
        authors = [
            {"name": author.name, "url": self.absolute(author.get_absolute_url())}
            for author in article.bylined
        ]
        # Wire copy has no byline, only the agency credit; that is who wrote it.
        if not authors and article.source:
            authors = [{"name": article.source, "url": None}]
        return authors

    def item_image(self, article):
        """The lead image's JPEG rendition about 1200 pixels wide, from the rows fetched with
        the items; None for a story without one. (Asked for twice per item: its
        ``media:content`` and its enclosure.)"""
        if not hasattr(article, "feed_image"):
            article.feed_image = self._item_image(article)
        return article.feed_image

    def _item_image(self, article):
        found = images.rendition(article.lead_image, Rendition.Crop.FULL)
        if found is None:
            return None
        return {
            "url": self.absolute(found.file.url),
            "type": found.media_type,
            "width": found.width,
            "height": found.height,
            "fileSize": found.size,
            "description": article.lead_image.caption or article.lead_image.alt_text,
            "credit": article.lead_image.credit,
        }

    def item_enclosures(self, article):
        image = self.item_image(article)
        if image is None:
            return []
        return [Enclosure(image["url"], str(image["fileSize"]), image["type"])]

    def key_event_html(self, article) -> str:
        """The newest key event of the story's live coverage, to lead its item: the item
        keeps its id, and its updated time is the key event's (``editing.live`` moves the
        story's ``updated_at``), so feed readers show the development as an update."""
        entry = article.latest_key_event
        if entry is None:
            return ""
        moment = date_format(timezone.localtime(entry.created_at), KEY_EVENT_TIME)
        # Paragraphs are sanitised HTML (LiveEntry.save); this is where they become safe.
        body = mark_safe("\n".join(entry.paragraphs))  # noqa: S308
        return format_html(
            KEY_EVENT,
            url=self.absolute(entry.get_absolute_url()),
            time=moment,
            body=body,
            headline=entry.headline,
        )

    def item_content_html(self, article, related) -> str:
        """The body (its dateline opening the first paragraph) with its Also Read boxes where
        the page shows them, then Related stories.

        Boxes go where ``text.place_links`` puts them on every surface. Built with
        ``format_html`` rather than a template: a feed renders fifty of these per request,
        and a template render costs more than the rest of the item together.
        """
        paragraphs = images.with_plain_images(
            text.with_dateline(article.paragraphs, article.dateline),
            self.body_photos,
            self.absolute,
        )
        body, listed = text.place_links(
            paragraphs, related, placement=lambda link: link["placement"]
        )
        parts = []
        # Paragraphs are sanitised HTML (Article.paragraphs); this is where they become safe.
        for block in body:
            if block.html:
                parts.append(mark_safe(block.html))  # noqa: S308
            parts += [format_html(ALSO_READ_BOX, **link) for link in block.links]
        if listed:
            items = format_html_join(
                "", RELATED_ITEM, ((link["url"], link["title"]) for link in listed)
            )
            parts.append(format_html("<h2>Related stories</h2>\n<ul>{}</ul>", items))
        return "\n".join(parts)


class LatestFeed(ArticleFeed):
    def live_articles(self, obj):
        return Article.objects.live().with_listing_time()

    def listed_under(self, obj) -> str:
        return caching.LATEST

    def title(self):
        return f"{settings.NEWSROOM_SITE_NAME}: latest stories"

    def description(self):
        return f"The newest stories from {settings.NEWSROOM_SITE_NAME}."

    def link(self):
        return reverse("articles:front")

    def feed_url(self):
        return websub.public_url(reverse("articles:feed", kwargs={"format": self.format}))


class HubFeed(ArticleFeed):
    DESCRIPTIONS = {
        "people": "Stories about {name}",
        "countries": "Stories about {name}",
        "topics": "Stories on {name}",
        "sections": "Stories in {name}",
        "authors": "Stories by {name}",
    }

    def get_object(self, request, kind, slug):
        self.hub = hub_kind(kind)
        return self.hub.get(slug)

    def live_articles(self, obj):
        return self.hub.articles(obj)

    def listed_under(self, obj) -> str:
        return caching.hub_key(self.hub.kind, obj.pk)

    def title(self, obj):
        return f"{obj.name} · {settings.NEWSROOM_SITE_NAME}"

    def description(self, obj):
        return self.DESCRIPTIONS[self.hub.kind].format(name=obj.name) + (
            f", the newest first, from {settings.NEWSROOM_SITE_NAME}."
        )

    def link(self, obj):
        return obj.get_absolute_url()

    def feed_url(self, obj):
        return websub.public_url(self.feed_url_of(self.hub.kind, obj))

    def feed_url_of(self, kind: str, obj) -> str:
        return reverse(
            "articles:hub_feed", kwargs={"kind": kind, "slug": obj.slug, "format": self.format}
        )


@dataclass(frozen=True)
class ListedStory:
    """A story in a feed whose item is kept: what says when the item changed."""

    pk: int
    published_at: datetime.datetime
    updated_at: datetime.datetime | None
    latest_notice_at: datetime.datetime | None
    links_live_since: datetime.datetime | None

    modified_at = Article.modified_at  # the same rule, from the same three times


def with_item_times(stories, at=None):
    """``stories`` with the times their items change besides their own: when the newest of
    their live Also Read targets went live (at ``at``, now by default) and their newest
    notice."""
    return stories.annotate(
        links_live_since=newest_live_target(at), latest_notice_at=Correction.objects.latest_at()
    )


def _item_times(pks: list, now):
    return (
        with_item_times(Article.objects.live(at=now).filter(pk__in=pks), at=now)
        .order_by()
        .values_list("pk", "published_at", "updated_at", "latest_notice_at", "links_live_since")
    )


def item_times(pks: list) -> list["ListedStory"]:
    """What says when the items of the live stories among ``pks`` changed, in that order;
    the query's SQL built once per number of stories (``articles.compiled``)."""
    using = router.db_for_read(Article)
    rows = compiled.tuples("feed-item-times", _item_times, (list(pks), timezone.now()), using)
    connection = connections[using]
    found = {
        pk: ListedStory(
            pk, *(moment and caching.db_timestamp(moment, connection) for moment in times)
        )
        for pk, *times in rows
    }
    return [found[pk] for pk in pks if pk in found]


def newest_live_target(at=None) -> Subquery:
    """When the newest live Also Read target of the story went live (None without one)."""
    return Subquery(
        CrossLink.objects.filter(
            ArticleQuerySet.live_condition("target__", at=at), source=OuterRef("pk")
        )
        .order_by("-target__published_at")
        .values("target__published_at")[:1]
    )


def modified_at(article: Article) -> datetime.datetime:
    """When a published story last changed: its update time or its newest notice, never
    before publication (``Article.modified_at``)."""
    return article.modified_at


def notices_html(article) -> str:
    """The story's corrections and clarifications, newest first, to lead its item: a
    reader sees at once what changed since they last read it."""
    return format_html_join(
        "",
        NOTICE,
        (
            {
                "label": notice.get_kind_display(),
                "date": date_format(timezone.localtime(notice.at), "j F Y"),
                "text": notice.text,
            }
            for notice in reversed(article.notices)
        ),
    )


def item_id(article: Article, request) -> str:
    """The item's permanent identity: GUID, ``atom:id`` and JSON Feed ``id``.

    A tag URI (RFC 4151) from the site's host, the day the row was created (in UTC, so a
    TIME_ZONE change cannot move it) and the primary key: none of these change when an
    editor changes the slug, headline, section or publication time, so feed readers never
    show an edited story twice. The link, by contrast, is always the current URL.
    ``NEWSROOM_FEED_ID_HOST`` pins the host when the site answers on several names.
    """
    return tag_uri(request, article, "article")


def tag_uri(request, row, kind: str) -> str:
    """``tag:<host>,<day row was created>:<kind>:<pk>``, the permanent id of a feed item."""
    host = settings.NEWSROOM_FEED_ID_HOST or split_domain_port(request.get_host())[0]
    day = row.created_at.astimezone(datetime.UTC).date().isoformat()
    return f"tag:{host},{day}:{kind}:{row.pk}"


@require_safe
def site_feed(request, format):
    return LatestFeed(format)(request)


@require_safe
def hub_feed(request, kind, slug, format):
    feed = HubFeed(format)
    try:
        return feed(request, kind=kind, slug=slug)
    except Http404:
        # The feed of a hub merged or renamed since: feed readers are sent on, same format.
        return redirect_moved(kind, slug, lambda hub: feed.feed_url_of(kind, hub))
