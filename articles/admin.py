"""Django's admin autodiscovery imports ``articles.admin``; the ModelAdmins live with the rest
of the editors' tools in ``articles.editorial``."""

from articles.editorial import (  # noqa: F401  (register the ModelAdmins)
    admin,
    corrections,
    ingest_admin,
    live_admin,
    record,
    tag_admin,
)
