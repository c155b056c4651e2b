from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # Staff pages for the story graph, inside the admin's look and login; before "admin/"
    # so the admin's catch-all does not claim them.
    path("admin/newsroom/", include("articles.admin_views")),
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
]
