"""Admin test support: story change URLs that reverse, and staff users with permissions.

The graph, link-health and thread pages link every story to its admin change page. On a
branch without the article admin, register a plain ModelAdmin so those URLs reverse; once
the real admin is merged this does nothing.
"""

import importlib
import sys

import pytest
from django.contrib import admin
from django.urls import clear_url_caches

from articles.models import Article

if not admin.site.is_registered(Article):
    admin.site.register(Article)
    if "newsroom.urls" in sys.modules:
        importlib.reload(sys.modules["newsroom.urls"])
    clear_url_caches()


def staff_user(django_user_model, *permissions: str, username: str = "editor"):
    """A staff member holding the given ``app_label.codename`` permissions."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def plain_static_storage(settings):
    """Admin pages use {% static %}; tests run without collectstatic's manifest."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
