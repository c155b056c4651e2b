"""Sitemaps (every live story and hub), a Google News sitemap and robots.txt.

A sitemap with no URL is not a valid sitemap (the protocol's ``urlset`` needs one), so the
index lists only sitemaps with URLs and such a sitemap answers 404. The Google News sitemap
is the exception: Google documents it as empty whenever nothing was published in its window.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Exists, Max, OuterRef, Subquery, Value
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from articles import caching, fragments
from articles.models import Article, last_changed

from .hubs import HUB_KINDS

NEWS_WINDOW = timedelta(hours=48)


def whole_seconds(moment):
    return moment.replace(microsecond=0)


class ArticleSitemap(Sitemap):
    limit = 10_000

    def items(self):
        return (
            Article.objects.live()
            .annotate(lastmod=last_changed())
            .only("slug", "published_at", "updated_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, article):
        return whole_seconds(article.lastmod)

    def has_urls(self) -> bool:
        return self.items().exists()

    def get_latest_lastmod(self):
        """The latest publication or edit of a live story: two index lookups, where
        Django's default calls ``lastmod()`` on every story in the archive."""
        times = Article.objects.live().aggregate(Max("published_at"), Max("updated_at"))
        latest = max(filter(None, times.values()), default=None)
        return latest and whole_seconds(latest)


class HubSitemap(Sitemap):
    """Hubs with at least one live story; lastmod is when their newest live story last
    changed.

    One instance per request (``SITEMAPS`` holds factories): the hubs are read once, in one
    query, and the paginator and the index's lastmod use that list. The newest story of each
    hub comes from the top of the hub's listing index, not from a maximum over all its
    stories, which would read a quarter of the archive for the busiest hubs.
    """

    def __init__(self, hub_kind):
        self.hub_kind = hub_kind

    @cached_property
    def hubs(self) -> list:
        newest = (
            self.hub_kind.articles(OuterRef("pk"))
            .order_by("-listed", "-pk")
            .values(changed=last_changed())
        )
        return list(
            self.hub_kind.model.objects.annotate(lastmod=Subquery(newest[:1]))
            .filter(lastmod__isnull=False)
            .only("slug")
            .order_by("slug")
        )

    def items(self):
        return self.hubs

    def has_urls(self) -> bool:
        return bool(self.hubs)

    def get_latest_lastmod(self):
        return max((self.lastmod(hub) for hub in self.hubs), default=None)

    def lastmod(self, hub):
        return whole_seconds(hub.lastmod)


class NewsSitemap(ArticleSitemap):
    """Google News: live stories published in the last 48 hours."""

    limit = 1000

    def items(self):
        return (
            super()
            .items()
            .filter(published_at__gte=timezone.now() - NEWS_WINDOW)
            .only("slug", "headline", "published_at", "updated_at")
        )


class IndexEntry:
    """What the sitemap index says of one sitemap, worked out without listing it: whether
    it has URLs, its page count and its latest change. Recomputed after each change to
    public content and fetched first by crawlers, so it reads no list: the counts are kept
    while which stories or hubs are live stays the same (``fragments.remembered``), and the
    latest change is the top of an index."""

    protocol = None  # the request's, as for the sitemaps themselves

    def __init__(self, request, section: str, count, changed: dict, limit: int):
        name = fragments.name(request, "sitemap-count", section)
        self.count = fragments.remembered(name, count[1], count[0])
        self.changed = changed
        self.limit = limit

    def has_urls(self) -> bool:
        return self.count > 0

    @cached_property
    def paginator(self) -> Paginator:
        return Paginator(range(self.count), self.limit)

    def get_latest_lastmod(self):
        latest = max(filter(None, self.changed.values()), default=None)
        return latest and whole_seconds(latest)


def index_entries(request) -> dict[str, IndexEntry]:
    """The sitemap index's entries, stories first, then each kind of hub: a kept count each
    (one query checks them all), and one query for the latest changes of all."""
    live = Article.objects.live()
    stories = {"articles": live}
    counts = {"articles": (live.count, [caching.LATEST])}
    for kind, hub_kind in HUB_KINDS.items():
        hubs = hub_kind.model.objects.filter(Exists(hub_kind.articles(OuterRef("pk"))))
        counts[kind] = (hubs.count, [caching.LATEST, caching.any_hub_key(kind)])
        # The latest change of a live story the kind's hubs list: at least as late as that
        # of the newest story of each (what each hub's own lastmod is), never earlier.
        stories[kind] = live.filter(hub_kind.listed_anywhere())
    fragments.fetch(fragments.name(request, "sitemap-count", section) for section in counts)
    latest = latest_changes(stories)
    return {
        section: IndexEntry(
            request,
            section,
            counts[section],
            latest[section],
            (ArticleSitemap if section == "articles" else HubSitemap).limit,
        )
        for section in counts
    }


def latest_changes(stories: dict) -> dict[str, dict]:
    """For each set of ``stories``, its latest publication and latest update: the top of
    the publication and update indexes, walked until a story of the set (``MAX()`` with a
    subquery in the filter reads every row); one query where the database can."""
    tops = [
        (section, field, subset.filter(**{f"{field}__isnull": False}).order_by(f"-{field}"))
        for section, subset in stories.items()
        for field in ("published_at", "updated_at")
    ]
    latest = {section: {} for section in stories}
    firsts = [
        top.annotate(sitemap=Value(section), column=Value(field)).values_list(
            "sitemap", "column", field
        )[:1]
        for section, field, top in tops
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        rows = firsts[0].union(*firsts[1:], all=True).order_by()
    else:  # SQLite: one query each
        rows = [row for first in firsts for row in first]
    for section, field, moment in rows:
        latest[section][field] = moment
    return latest


SITEMAPS = {"articles": ArticleSitemap} | {
    kind: partial(HubSitemap, hub_kind) for kind, hub_kind in HUB_KINDS.items()
}


@require_safe
def sitemap_index(request):
    """The index of the sitemaps that have URLs (``index_entries``: kept counts and the
    tops of two indexes, no list read). With nothing public at all there is no index: 404."""
    # The latest change of any story or hub; the page counts say which are live.
    caching.shows(caching.STORIES)
    listed = {
        section: entry for section, entry in index_entries(request).items() if entry.has_urls()
    }
    if not listed:
        raise Http404("Nothing is published yet.")
    return sitemap_views.index(request, listed, sitemap_url_name="sitemap-section")


@require_safe
@caching.reads_query_params("p")  # Django's sitemap view reads its page number
def sitemap_section(request, section):
    """One page of one sitemap; a page without URLs (no live story or hub of the kind) is
    404, as is an unknown section or page."""
    response = sitemap_views.sitemap(
        request, SITEMAPS, section=section, template_name="sitemaps/sitemap.xml"
    )
    if not response.context_data["urlset"]:
        raise Http404("This sitemap has no URLs.")
    return response


@require_safe
@caching.reads_query_params("p")  # Django's sitemap view reads its page number
def news_sitemap(request):
    response = sitemap_views.sitemap(
        request, {"news": NewsSitemap}, template_name="sitemaps/news.xml"
    )
    response.context_data |= {
        "publication_name": settings.NEWSROOM_SITE_NAME,
        "language": settings.LANGUAGE_CODE.split("-")[0],
    }
    return response


@require_safe
def robots_txt(request):
    def absolute(name):
        return request.build_absolute_uri(reverse(name))

    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        "",
        f"Sitemap: {absolute('sitemap-index')}",
        f"Sitemap: {absolute('sitemap-news')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
