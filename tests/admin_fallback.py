"""Admin URLs for stories, even before ``articles/admin.py`` registers Article.

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
