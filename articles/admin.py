"""Django's admin autodiscovery imports ``articles.admin``; the ModelAdmins live with the rest
of the editors' tools in ``articles.editorial.admin``."""

from articles.editorial import admin  # noqa: F401  (registers the ModelAdmins)
