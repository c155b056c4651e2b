from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from articles.reader import api
from articles.reader.sitemaps import news_sitemap, robots_txt, sitemap_index, sitemap_section
from newsroom.health import healthz

handler404 = "newsroom.health.not_found"
handler500 = "newsroom.health.server_error"

urlpatterns = [
    # Staff pages for the story graph, inside the admin's look and login; before "admin/"
    # so the admin's catch-all does not claim them.
    path("admin/newsroom/", include("articles.editorial.admin_views")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # The read API: /api/openapi.json and /api/v1/… (articles.reader.api); other addresses
    # under api/ are free for routes of their own.
    path("api/", include((api.url_patterns(), "api"))),
    path("robots.txt", robots_txt, name="robots"),
    path("sitemap.xml", sitemap_index, name="sitemap-index"),
    path("sitemap-<section>.xml", sitemap_section, name="sitemap-section"),
    path("news-sitemap.xml", news_sitemap, name="sitemap-news"),
    path("", include("articles.urls")),
]

# Uploaded media (lead images) in development only: static() adds nothing unless DEBUG is on.
# In production a web server or object storage serves MEDIA_ROOT (README, "Media").
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.NEWSROOM_BENCH:  # bench/run's hello-world baseline; off unless asked for
    urlpatterns.insert(0, path("", include("newsroom.bench")))
