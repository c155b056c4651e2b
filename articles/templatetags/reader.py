"""Template helpers for the reader site: absolute URLs, summaries and JSON-LD."""

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from articles import caching, fragments, images, text

register = template.Library()

DESCRIPTION_CHARS = 160
PUBLISHED_FORMAT = "j F Y, H:i T"

# The escapes ``json_script`` applies, so no string in the data can close the <script>.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data) -> str:
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped above
    )


@register.simple_tag(takes_context=True)
def absolute(context, location: str) -> str:
    """``location`` (a path or URL) as an absolute URL on this site."""
    return context["request"].build_absolute_uri(location)


@register.simple_tag(takes_context=True)
def canonical_url(context) -> str:
    """This listing's address without stray query parameters, keeping its page's key."""
    request = context["request"]
    path = request.path
    if context.get("listing") is not None:
        for direction in ("before", "after"):
            if key := request.GET.get(direction):
                path = f"{path}?{urlencode({direction: key})}"
    return request.build_absolute_uri(path)


@register.filter
def summary(article) -> str:
    """The story's summary (``Article.summary``) cut to the length search engines show, for
    the meta description and JSON-LD."""
    return Truncator(article.summary).chars(DESCRIPTION_CHARS)


@register.simple_tag
def published(article) -> str:
    """The story's publication time as a ``<time>`` element, in the site's time zone.

    A tag rather than an included template: lists show it on every card.
    """
    moment = timezone.localtime(article.published_at)
    return format_html(
        '<time datetime="{}">{}</time>', iso(moment), date_format(moment, PUBLISHED_FORMAT)
    )


def type_label_html(article, label: str) -> str:
    return format_html('<span class="type-label type-{}">{}</span>', article.story_type, label)


@register.simple_tag
def headline_label(article) -> str:
    """The label before a headline shown alone (an Also Read link): "Opinion" and
    "Sponsored" (``Article.listing_label``), followed by a space; nothing for other work."""
    if not article.listing_label:
        return ""
    return format_html("{} ", type_label_html(article, article.listing_label))


@register.simple_tag
def story_labels(article, *, hide_section=False, hide_demo=False, then="") -> str:
    """The kicker line above a story's headline, wherever it is shown: the "Live" marker,
    the demo label, its type of work ("Opinion", "Analysis"; none for news), its section and
    ``then`` (a notice's kind); nothing when there is none of these. The one place a
    story's labels are made, so opinion and sponsored work are labelled in every listing.

    ``hide_section`` leaves out the section (a listing of one section, a page with
    breadcrumbs); ``hide_demo`` the demo label (the story page shows the demo note instead).
    A tag rather than an included template: lists show it on every card.
    """
    # Boxed labels stand apart by their boxes; plain words (a type such as "Explainer", the
    # section, a notice's kind) get a dot between them, or "Explainer World" reads as one.
    boxes, words = [], []
    if article.covered_live:
        boxes.append(mark_safe(get_template("includes/live_marker.html").render().strip()))  # noqa: S308 - a template
    if article.is_demo and not hide_demo:
        boxes.append(mark_safe('<span class="demo-label">Demo</span>'))  # noqa: S308 - constant
    if article.type_label:
        label = type_label_html(article, article.type_label)
        (boxes if article.listing_label else words).append(label)
    if article.section and not hide_section:
        words.append(article.section.name)
    if then:
        words.append(then)
    if words:
        boxes.append(format_html_join(" · ", "{}", ((w,) for w in words)))
    if not boxes:
        return ""
    return format_html(
        '<p class="kicker">{}</p>', format_html_join(" ", "{}", ((b,) for b in boxes))
    )


# One story in a list (front page, hubs, archive, Related stories, More on). A tag rather
# than an included template: a page shows up to two dozen, and an include of the card cost
# more than the rest of a hub page's rendering together. The markup, whitespace included,
# is what includes/story_card.html gave (tests/test_story_card.py keeps a copy of it).
STORY_CARD = (
    '\n<article class="card{featured}">\n'
    "  {picture_open}\n"
    "  {labels}\n"
    '  <{heading} class="card-headline"><a href="{url}">{headline}</a></{heading}>\n'
    "  {standfirst}\n"
    '  <p class="meta">{published}</p>\n'
    "  {picture_close}\n"
    "</article>\n"
)


@register.simple_tag
def story_card(
    article, *, heading="h3", show_standfirst=False, featured=False, picture="", hide_section=False
) -> str:
    """A story card: its labels (``story_labels``), its headline as a ``heading`` (h3 unless
    given) linking to it, with ``show_standfirst`` its standfirst, its publication time;
    ``picture`` (a ``<picture>``) before the text, ``featured`` for the lead story's card."""
    return format_html(
        STORY_CARD,
        featured=" card-lead" if featured else "",
        picture_open=(
            format_html('<div class="card-image">{}</div><div class="card-text">', picture)
            if picture
            else ""
        ),
        labels=story_labels(article, hide_section=hide_section),
        heading=heading or "h3",
        url=article.get_absolute_url(),
        headline=article.headline,
        standfirst=(
            format_html('<p class="card-standfirst">{}</p>', article.standfirst)
            if show_standfirst and article.standfirst
            else ""
        ),
        published=published(article),
        picture_close=mark_safe("</div>") if picture else "",  # noqa: S308 - constant
    )


@register.filter
def iso(moment) -> str:
    """ISO 8601 in the site's time zone, to the second (HTML's datetime allows no more)."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat() if moment else ""


def _thing(request, schema_type: str, obj) -> dict:
    return {
        "@type": schema_type,
        "name": obj.name,
        "url": request.build_absolute_uri(obj.get_absolute_url()),
    }


def _publisher(request) -> dict:
    return {
        "@type": "Organization",
        "name": settings.NEWSROOM_SITE_NAME,
        "url": request.build_absolute_uri(reverse("articles:front")),
    }


def _breadcrumbs(request, trail) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": name,
                "item": request.build_absolute_uri(url),
            }
            for position, (name, url) in enumerate(trail, start=1)
        ],
    }


# Each type of work (Article.StoryType) as schema.org types it. A fact check stays a
# NewsArticle: ClaimReview would need the claim, who made it and a rating, which stories do
# not record. Sponsored work is no NewsArticle at all.
SCHEMA_TYPES = {
    "news": "NewsArticle",
    "analysis": "AnalysisNewsArticle",
    "opinion": "OpinionNewsArticle",
    "explainer": "BackgroundNewsArticle",
    "fact-check": "NewsArticle",
    "obituary": "NewsArticle",
    "sponsored": "AdvertiserContentArticle",
}
# The types that have schema.org's ``dateline`` (NewsArticle and its subtypes).
DATELINED_SCHEMA_TYPES = {
    "NewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
}


@register.simple_tag(takes_context=True)
def article_json_ld(context, article) -> str:
    """JSON-LD for a live story page: the schema.org type of its type of work (a
    ``NewsArticle`` for news, ``OpinionNewsArticle`` for opinion, a ``LiveBlogPosting``
    while covered live …), and a ``BreadcrumbList``."""
    request = context["request"]
    url = request.build_absolute_uri(article.get_absolute_url())
    # The page attached the story's tags and authors (models.attach_tags_and_authors).
    authors = [_thing(request, "Person", author) for author in article.bylined]
    if not authors and article.source:
        authors = [{"@type": "Organization", "name": article.source}]
    news_article = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES[article.story_type],
        "headline": article.headline,
        "description": summary(article),
        "datePublished": iso(article.published_at),
        # Moved on by an update and by a correction or clarification (the page attached its
        # notices: models.attach_notices).
        "dateModified": iso(article.modified_at),
        "author": authors or [_publisher(request)],
        "publisher": _publisher(request),
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "about": [_thing(request, "Person", person) for person in article.tags["people"]],
        "mentions": [_thing(request, "Country", country) for country in article.tags["countries"]],
        "keywords": [topic.name for topic in article.tags["topics"]],
    }
    if pictures := images.json_ld(article.lead_image, request.build_absolute_uri):
        news_article["image"] = pictures  # the 16:9, 4:3 and 1:1 crops
    if article.type_label:
        news_article["genre"] = article.type_label
    if (live := context.get("live")) is not None:
        news_article |= live_blog_posting(request, article, live, authors)
    if article.dateline and news_article["@type"] in DATELINED_SCHEMA_TYPES:
        news_article["dateline"] = article.dateline
    if notices := getattr(article, "notices", None):
        news_article["correction"] = [
            {
                "@type": "CorrectionComment",
                "name": notice.get_kind_display(),
                "text": notice.text,
                "datePublished": iso(notice.at),
                "url": request.build_absolute_uri(notice.get_absolute_url()),
            }
            for notice in notices
        ]
    trail = [(settings.NEWSROOM_SITE_NAME, reverse("articles:front"))]
    if article.section:
        trail.append((article.section.name, article.section.get_absolute_url()))
    trail.append((article.headline, article.get_absolute_url()))
    return json_ld_script(news_article) + json_ld_script(_breadcrumbs(request, trail))


def live_blog_posting(request, article, live, story_authors) -> dict:
    """What makes a covered story's ``NewsArticle`` a ``LiveBlogPosting``: the coverage's
    times and the entries on this page as ``liveBlogUpdate``s (``BlogPosting`` each, with its
    address on this page); modified when its newest entry was."""
    page = request.build_absolute_uri(request.get_full_path())
    updates = [
        {
            "@type": "BlogPosting",
            "headline": entry.summary,
            "articleBody": text.html_to_text(entry.body),
            "datePublished": iso(entry.created_at),
            "dateModified": iso(entry.updated_at or entry.created_at),
            "author": [_thing(request, "Person", author) for author in entry.authors.all()]
            or story_authors
            or [_publisher(request)],
            "url": f"{page}#{entry.anchor}",
        }
        for entry in live.entries
    ]
    modified = max(
        filter(None, [article.modified_at, *(e.updated_at or e.created_at for e in live.entries)])
    )
    posting = {
        "@type": "LiveBlogPosting",
        "coverageStartTime": iso(article.coverage_started_at),
        "liveBlogUpdate": updates,
        "dateModified": iso(modified),
    }
    if article.coverage_ends_at:
        posting["coverageEndTime"] = iso(article.coverage_ends_at)
    return posting


@register.inclusion_tag("includes/breaking_news.html", takes_context=True)
def breaking_news(context) -> dict:
    """The breaking-news banner, when one is shown: from the page cache's timetable
    (``articles.caching.breaking_news``), which costs a page no query. Pages rendered with
    no request (the 500 page) show none: the database may be why they are shown."""
    if context.get("request") is None:
        return {"banner": None}
    return {"banner": caching.breaking_news(caching.generation())}


# What each kind of hub is about, as schema.org types.
HUB_SCHEMA_TYPES = {
    "people": "Person",
    "countries": "Country",
    "topics": "Thing",
    "sections": "Thing",
    "authors": "Person",
}


@register.simple_tag(takes_context=True)
def hub_json_ld(context, hub, kind: str) -> str:
    """JSON-LD for a hub page: a ``CollectionPage`` about its person, country or topic (with
    the editors' description, and the Wikidata item as ``sameAs``), and a ``BreadcrumbList``."""
    request = context["request"]
    about = _thing(request, HUB_SCHEMA_TYPES[kind], hub)
    if description := getattr(hub, "description", ""):
        about["description"] = description
    if same_as := getattr(hub, "same_as", []):
        about["sameAs"] = same_as
    page = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": hub.name,
        "url": about["url"],
        "about": about,
    }
    trail = [
        (settings.NEWSROOM_SITE_NAME, reverse("articles:front")),
        (hub.name, hub.get_absolute_url()),
    ]
    return json_ld_script(page) + json_ld_script(_breadcrumbs(request, trail))


@register.simple_tag(takes_context=True)
def site_json_ld(context) -> str:
    """JSON-LD ``WebSite`` with its search, for the front page."""
    request = context["request"]
    search = request.build_absolute_uri(reverse("articles:search"))
    return json_ld_script(
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": settings.NEWSROOM_SITE_NAME,
            "url": request.build_absolute_uri(reverse("articles:front")),
            "publisher": _publisher(request),
            "potentialAction": {
                "@type": "SearchAction",
                "target": f"{search}?q={{search_term_string}}",
                "query-input": "required name=search_term_string",
            },
        }
    )


@register.simple_tag
def site_name() -> str:
    return settings.NEWSROOM_SITE_NAME


class FragmentNode(template.Node):
    def __init__(self, name, keys, nodelist):
        self.name, self.keys, self.nodelist = name, keys, nodelist

    def render(self, context):
        name = self.name.resolve(context)
        if not name:
            return self.nodelist.render(context)
        keys = self.keys.resolve(context) if self.keys else ()

        def produce():
            caching.shows(*keys)
            return self.nodelist.render(context)

        # Without keys of its own, it shows what the page does (the view declared it).
        return fragments.render(name, produce, inherit=self.keys is None)


@register.tag
def fragment(parser, token):
    """``{% fragment name [shows=keys] %}…{% endfragment %}``: the part between, kept and
    used again by ``name`` (``articles.fragments``; views name parts with
    ``fragments.name()``) while what it shows holds: the content keys (``articles.caching``)
    declared while it renders, and ``keys``, or without ``keys`` those the view declared
    for the page. An empty name renders it every time. The view
    hands over nothing costly for a part it found kept (``fragments.fetch``)."""
    bits = token.split_contents()
    keys = None
    if len(bits) == 3 and bits[2].startswith("shows="):
        keys = parser.compile_filter(bits[2].removeprefix("shows="))
    elif len(bits) != 2:
        raise template.TemplateSyntaxError("{% fragment name [shows=keys] %}")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(parser.compile_filter(bits[1]), keys, nodelist)
