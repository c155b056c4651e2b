from django.contrib import admin
from django.urls import include, path

from newsroom.health import healthz

handler500 = "newsroom.health.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("articles.urls")),
]
