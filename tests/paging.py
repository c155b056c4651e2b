"""Following a listing's page links as a reader does (see articles.reader.paging)."""

import re


def _link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return match[1] if match else None


def older_link(html: str) -> str | None:
    """The query string of the page's "Older stories" link, or None."""
    return _link(html, "next")


def newer_link(html: str) -> str | None:
    return _link(html, "prev")
