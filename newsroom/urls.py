from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
]

if settings.NEWSROOM_BENCH:  # bench/run's hello-world baseline; off unless asked for
    urlpatterns.insert(0, path("", include("newsroom.bench")))
