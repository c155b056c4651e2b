"""Hubs: the person, country, topic, section and author pages and feeds.

Each hub kind names the model behind it and how its live stories are found, so the views,
feeds and sitemaps agree on what a hub holds.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, F, OuterRef
from django.http import Http404, HttpResponsePermanentRedirect
from django.utils import timezone

from articles import caching
from articles.models import TAG_KINDS, Article, Author, Section, tag_model

# Hubs count their stories up to this many and say "more than" beyond it: the busiest hold
# a quarter of the archive, and counting them all would read every one of their rows.
COUNT_CAP = 1000


@dataclass(frozen=True)
class HubKind:
    kind: str  # URL segment, e.g. "people"
    model: type[models.Model]
    lookup: str  # Article field that points at the hub object
    label: str  # singular, for headings: "Person"

    @property
    def url_name(self) -> str:
        return f"articles:{self.model._meta.model_name}"

    @property
    def tag_rows(self) -> str | None:
        """For a tag kind, the relation from a story to its rows of that tag, which carry
        ``listed_at`` under an index on (tag, listed_at): a page of a tag's newest stories is
        read from the top of it."""
        if self.lookup not in TAG_KINDS:
            return None
        through = getattr(Article, self.lookup).through
        return through._meta.get_field("content_object").related_query_name()

    def articles(self, obj, at=None):
        """The hub's live stories (at ``at``, now by default), with ``listed``, the time they
        are listed by (newest first: ``order_by("-listed", "-pk")``); ``obj`` may be an
        ``OuterRef``."""
        now = at or timezone.now()
        live = Article.objects.live(at=now)
        if self.tag_rows is None:
            return live.filter(**{self.lookup: obj}).with_listing_time()
        # One filter() call, so the tag row filtered on is the one whose time is read.
        return live.filter(
            **{f"{self.tag_rows}__tag": obj, f"{self.tag_rows}__listed_at__lte": now}
        ).annotate(listed=F(f"{self.tag_rows}__listed_at"))

    def listed_anywhere(self) -> Exists:
        """Whether a story is listed on some hub of this kind (has such a tag, a section,
        an author), for a filter of stories."""
        return Exists(
            Article.objects.filter(pk=OuterRef("pk"), **{f"{self.lookup}__isnull": False})
        )

    def live_count(self, obj) -> tuple[int, bool]:
        """How many live stories the hub has, counted up to ``COUNT_CAP``, and whether it
        has more; counted once per content generation."""
        capped = self.articles(obj).order_by()[: COUNT_CAP + 1]
        counted = caching.remembered(f"hub-count:{self.kind}:{obj.pk}", capped.count)
        return min(counted, COUNT_CAP), counted > COUNT_CAP

    def get(self, slug: str):
        """The hub object for a slug, or 404 when it has no live story."""
        has_live_story = Exists(self.articles(OuterRef("pk")))
        obj = self.model.objects.filter(has_live_story, slug=slug).first()
        if obj is None:
            raise Http404(f"No {self.label.lower()} with live stories at this address.")
        return obj

    def moved(self, slug: str):
        """The hub that had the address ``slug`` before a merge or a rename
        (``TagRedirect``), if it has live stories and no hub of the kind holds the address
        now; else None. One query."""
        has_live_story = Exists(self.articles(OuterRef("pk")))
        taken = Exists(self.model.objects.filter(slug=slug))
        return self.model.objects.filter(has_live_story, ~taken, redirects__old_slug=slug).first()


HUB_KINDS = {
    hub.kind: hub
    for hub in (
        *(
            HubKind(kind, tag_model(kind), kind, tag_model(kind)._meta.verbose_name.capitalize())
            for kind in TAG_KINDS
        ),
        HubKind("sections", Section, "section", "Section"),
        HubKind("authors", Author, "authors", "Author"),
    )
}


def hub_kind(kind: str) -> HubKind:
    try:
        return HUB_KINDS[kind]
    except KeyError:
        raise Http404("No such kind of page.") from None


def redirect_moved(kind: str, slug: str, address) -> HttpResponsePermanentRedirect:
    """301 to ``address(hub)`` of the hub that had ``slug`` before a merge or a rename (its
    page, or one of its feeds), as old story addresses do; Http404 when none had it."""
    hub = hub_kind(kind).moved(slug)
    if hub is None:
        raise Http404(f"No {hub_kind(kind).label.lower()} with live stories at this address.")
    return HttpResponsePermanentRedirect(address(hub))
