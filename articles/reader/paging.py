"""Keyset paging for the archive and the hubs: newest first, however deep.

A page is addressed by the story next to it, not by its number: ``?before=<key>`` lists the
stories older than that one, ``?after=<key>`` the ones newer, in the order of their listing
time ``listed`` (``ArticleQuerySet.with_listing_time()``, ``HubKind.articles()``) and pk.
Each page is one short scan of a newest-first index from its key, so page 500 of the busiest
hub costs what page 1 does, where ``OFFSET`` reads every story before it. The addresses also
stay put as stories are published, so readers, crawlers and caches see the same page at the
same URL.
"""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

# A story's place in the listing: its listing time (UTC, to the microsecond) and pk.
_KEY = re.compile(r"(\d{8}T\d{12})Z-([1-9]\d{0,18})")
_KEY_TIME = "%Y%m%dT%H%M%S%f"


@dataclass(frozen=True)
class ListingKey:
    listed: datetime.datetime
    pk: int

    @classmethod
    def of(cls, article) -> "ListingKey":
        return cls(article.listed, article.pk)

    @classmethod
    def parse(cls, value: str) -> "ListingKey":
        match = _KEY.fullmatch(value)
        try:
            listed = datetime.datetime.strptime(match[1], _KEY_TIME)
        except (TypeError, ValueError):
            raise Http404("Not a page of this listing.") from None
        return cls(listed.replace(tzinfo=datetime.UTC), int(match[2]))

    def __str__(self):
        return f"{self.listed.astimezone(datetime.UTC):{_KEY_TIME}}Z-{self.pk}"

    def older(self) -> Q:
        """Stories listed after this one, newest first. The bare bound on the time lets the
        database start its index scan at the key; the rest only settles ties."""
        return Q(listed__lte=self.listed) & (Q(listed__lt=self.listed) | Q(pk__lt=self.pk))

    def newer(self) -> Q:
        return Q(listed__gte=self.listed) & (Q(listed__gt=self.listed) | Q(pk__gt=self.pk))


@dataclass
class ListingPage:
    """One page of a newest-first listing, with the keys of its neighbours."""

    object_list: list
    older: ListingKey | None  # link to ?before=… when older stories exist
    newer: ListingKey | None  # link to ?after=… when newer stories exist
    first: bool  # the listing's own address, with no key

    @property
    def newest(self):
        """The listing time of the page's first row (a story's publication, a notice's
        date), which names the page."""
        return self.object_list[0].listed if self.object_list else None


def listing_page(queryset, per_page: int, *, before: str | None, after: str | None):
    """The page of ``queryset`` (live stories) older than ``before`` or newer than ``after``,
    or its first page; ``Http404`` for a key that is malformed or has nothing beyond it.

    Reads ``per_page + 1`` rows to know whether there is more in the direction of travel;
    the other direction is known from the key. A page of newer stories that reaches the
    top of the listing is reported as the first page, so it links no further up.
    """
    if before and after:
        raise Http404("A page is either before or after a story.")
    newest_first = queryset.order_by("-listed", "-pk")
    if after:
        rows = list(
            queryset.filter(ListingKey.parse(after).newer()).order_by("listed", "pk")[
                : per_page + 1
            ]
        )
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        if not rows:
            raise Http404("No newer stories.")
        return ListingPage(
            rows,
            older=ListingKey.of(rows[-1]),
            newer=ListingKey.of(rows[0]) if more_newer else None,
            first=not more_newer,
        )
    if before:
        newest_first = newest_first.filter(ListingKey.parse(before).older())
    rows = list(newest_first[: per_page + 1])
    if before and not rows:
        raise Http404("No older stories.")
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    return ListingPage(
        rows,
        older=ListingKey.of(rows[-1]) if more_older else None,
        newer=ListingKey.of(rows[0]) if before else None,
        first=not before,
    )
