"""Sitemaps (every live story and hub), a Google News sitemap and robots.txt."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from .hubs import HUB_KINDS
from .models import Article, ArticleQuerySet

NEWS_WINDOW = timedelta(hours=48)


def last_changed(prefix: str = ""):
    return Coalesce(f"{prefix}updated_at", f"{prefix}published_at")


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


class HubSitemap(Sitemap):
    """Hubs with at least one live story; lastmod is their newest live story's change."""

    def __init__(self, hub_kind):
        self.hub_kind = hub_kind

    def items(self):
        prefix = "articles__"
        return (
            self.hub_kind.model.objects.annotate(
                lastmod=Max(last_changed(prefix), filter=ArticleQuerySet.live_condition(prefix))
            )
            .filter(lastmod__isnull=False)
            .only("slug")
            .order_by("slug")
        )

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


SITEMAPS = {"articles": ArticleSitemap} | {
    kind: HubSitemap(hub_kind) for kind, hub_kind in HUB_KINDS.items()
}


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
