from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from articles.caching import reads_query_params
from articles.sitemaps import SITEMAPS, news_sitemap, robots_txt
from newsroom.health import healthz

handler500 = "newsroom.health.server_error"

urlpatterns = [
    # Staff pages for the story graph, inside the admin's look and login; before "admin/"
    # so the admin's catch-all does not claim them.
    path("admin/newsroom/", include("articles.admin_views")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        reads_query_params("p")(sitemap_views.sitemap),  # the page number
        {"sitemaps": SITEMAPS, "template_name": "sitemaps/sitemap.xml"},
        name="sitemap-section",
    ),
    path("news-sitemap.xml", news_sitemap, name="sitemap-news"),
    path("", include("articles.urls")),
]

if settings.NEWSROOM_BENCH:  # bench/run's hello-world baseline; off unless asked for
    urlpatterns.insert(0, path("", include("newsroom.bench")))
