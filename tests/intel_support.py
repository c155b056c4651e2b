"""Admin test support: story change URLs that reverse, and staff users with permissions.

The graph, link-health and thread pages link every story to its admin change page. On a
branch without the article admin, register a plain ModelAdmin so those URLs reverse; once
the real admin is merged this does nothing.
"""

import importlib
import sys

from django.contrib import admin
from django.urls import clear_url_caches

from articles.models import Article

if not admin.site.is_registered(Article):
    admin.site.register(Article)
    if "newsroom.urls" in sys.modules:
        importlib.reload(sys.modules["newsroom.urls"])
    clear_url_caches()


def staff_user(django_user_model, *permissions: str, username: str = "editor", editor=True):
    """A staff member holding the given ``app_label.codename`` permissions.

    As an editor (the default) they may also publish where that permission exists, so an
    article admin that lets writers change only their own drafts lets them change any
    story: these tests are about the pages, not the roles.
    """
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    wanted = [p.split(".") for p in permissions]
    if editor and permissions:
        wanted.append(["articles", "publish_article"])
    for app_label, codename in wanted:
        found = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        if not found and codename != "publish_article":
            raise LookupError(f"no permission {app_label}.{codename}")
        user.user_permissions.add(*found)
    return user
