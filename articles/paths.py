"""Addresses of stories and hubs without a ``reverse()`` per link.

A page links a few dozen stories and hubs (a feed a few hundred), all by slug under one of a
handful of URL names, and ``reverse()`` costs about 0.15 ms each: matching the pattern,
checking the converter, quoting. The address of a name is the same around every slug, so it
is reversed once (per URL configuration and script prefix, both of which ``reverse()`` reads
too) and the slug put in its place. Only slugs that need no quoting and that every slug
converter accepts take that path; any other goes through ``reverse()`` as before, so every
address is exactly what ``reverse()`` gives (tests/test_paths.py).
"""

import re

from django.urls import get_script_prefix, get_urlconf, reverse

# Nothing in these needs quoting in a path, and `str` and `slug` converters both match them.
_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_PLACEHOLDER = "0slug0placeholder0"
_around: dict[tuple, tuple[str, str]] = {}


def slug_path(url_name: str, slug: str) -> str:
    """``reverse(url_name, kwargs={"slug": slug})``, reversed once per ``url_name``."""
    if not _PLAIN_SLUG.fullmatch(slug):
        return reverse(url_name, kwargs={"slug": slug})
    key = (url_name, get_urlconf(), get_script_prefix())
    around = _around.get(key)
    if around is None:
        before, placeholder, after = reverse(url_name, kwargs={"slug": _PLACEHOLDER}).partition(
            _PLACEHOLDER
        )
        if not placeholder or _PLACEHOLDER in after:  # a pattern this does not understand
            return reverse(url_name, kwargs={"slug": slug})
        around = _around[key] = (before, after)
    return f"{around[0]}{slug}{around[1]}"
