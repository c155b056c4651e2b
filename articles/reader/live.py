"""Live coverage for readers: a covered story's entries on its page, newest first and paged
by time, and the endpoint its script polls for entries newer than the newest it shows.

Both are public pages like any other: cached whole until what they show changes (a new,
edited or deleted entry names its story's key, ``story:<pk>``, which both declare), keyed
on the query parameters they declare (``before`` and ``after``), with ETag and
Last-Modified from the page cache, so a thousand readers polling cost a cache hit each and
a browser whose copy is current gets a 304. Only entries of live
stories are ever shown (``LiveEntry.objects.live()``, ``Article.objects.live()``).
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from articles import caching
from articles.models import Article, LiveEntry

from . import paging

ENTRIES_PER_PAGE = 20
KEY_EVENTS_SHOWN = 20
# The endpoint sends at most this many new entries; more means the reader was away long:
# the script then offers a reload instead.
NEW_ENTRIES_MAX = 50
# While coverage runs its page and endpoint are fresh this long for browsers and CDNs (the
# page cache itself is never stale): readers see a new entry within about the poll interval.
LIVE_MAX_AGE = 10


@dataclass
class Coverage:
    """What a story page shows of its live coverage."""

    state: str  # "live" or "ended" (Article.coverage_state)
    listing: paging.ListingPage  # a page of entries, newest first
    key_events: list  # (entry, href) pairs, newest first
    poll_url: str  # the new-entries endpoint, on the first page while coverage runs
    newest_key: str  # the key of the newest entry on the page ("" with none)
    poll_seconds: int

    @property
    def entries(self) -> list[LiveEntry]:
        return self.listing.object_list


def position_above(entry: LiveEntry) -> str:
    """A page key (``?before=``) whose page starts with ``entry``: the position just above
    it, since a page lists the entries older than its key."""
    return str(paging.ListingKey(entry.created_at, entry.pk + 1))


def coverage(article: Article, *, before: str | None, after: str | None) -> Coverage | None:
    """The live coverage ``article``'s page shows, None for a story never covered live;
    ``Http404`` for a page key it has no page for. Two queries for the entries and their
    authors, one for the key events, whatever their number."""
    state = article.coverage_state()
    if not state:
        if before or after:
            raise Http404("This story has no pages of live updates.")
        return None
    entries = LiveEntry.objects.filter(article=article).for_page()
    listing = paging.listing_page(entries, ENTRIES_PER_PAGE, before=before, after=after)
    for entry in listing.object_list:
        entry.article = article
    shown = {entry.pk for entry in listing.object_list}
    key_events = [
        (
            entry,
            f"#{entry.anchor}"
            if entry.pk in shown
            else f"?before={position_above(entry)}#{entry.anchor}",
        )
        for entry in LiveEntry.objects.filter(article=article)
        .key_events()
        .newest_first()
        .only("pk", "article", "created_at", "headline", "body")[:KEY_EVENTS_SHOWN]
    ]
    polling = state == "live" and listing.first
    return Coverage(
        state=state,
        listing=listing,
        key_events=key_events,
        poll_url=reverse("articles:live_entries", args=[article.slug]) if polling else "",
        newest_key=str(paging.ListingKey.of(listing.object_list[0])) if listing.object_list else "",
        poll_seconds=settings.NEWSROOM_LIVE_POLL_SECONDS,
    )


def keep_fresh(response, state: str):
    """While coverage runs (``state`` "live"), browsers and CDNs keep the page no longer
    than LIVE_MAX_AGE (the page cache keeps the smaller max-age when it adds its own)."""
    if state == "live":
        patch_cache_control(response, max_age=LIVE_MAX_AGE)
    return response


def _covered_story(slug: str) -> Article:
    story = Article.objects.live().filter(slug=slug, coverage_started_at__isnull=False).first()
    if story is None:
        raise Http404("No live coverage here.")
    return story


def _not_covered(slug: str, query: str):
    """The endpoint's answer at an address with no live coverage: 410 for a story taken
    down (nothing of it), 301 to the story's own endpoint at an old address, else 404."""
    story = Article.objects.gone_or_moved_from(slug)
    if story is None:
        raise Http404("No live coverage here.")
    # As the story page's own 410 and 301: until the story moves on or comes back, or
    # another live story takes the address.
    caching.shows(caching.LATEST, stories=[story])
    if story.status == Article.Status.WITHDRAWN:
        return JsonResponse({"state": "gone"}, status=410)
    url = reverse("articles:live_entries", args=[story.slug])
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def _entry_data(entry: LiveEntry, request) -> dict:
    return {
        "id": entry.anchor,
        "key": str(paging.ListingKey.of(entry)),
        "summary": entry.summary,
        "is_key": entry.is_key,
        "html": render_to_string("includes/live_entry.html", {"entry": entry}, request),
    }


@caching.reads_query_params("after")
@require_safe
def new_entries(request, slug: str):
    """JSON for the page's script: the entries newer than ``?after=<entry key>`` (all of
    them, up to NEW_ENTRIES_MAX, newest first), each as the page shows it, the key to ask
    after next time, and the coverage's state ("live" or "ended"). The same answer for the
    same question until an entry changes, so a poll with nothing new is a cache hit and,
    for a browser holding it, a 304."""
    try:
        article = _covered_story(slug)
    except Http404:
        return _not_covered(slug, request.META.get("QUERY_STRING", ""))
    # Its entries and coverage are the story's (``story:<pk>``): an entry posted re-renders
    # this and the story's page, and no page of another story.
    caching.shows(stories=[article])
    after = request.GET.get("after")
    entries = LiveEntry.objects.filter(article=article).for_page()
    if after:
        entries = entries.filter(paging.ListingKey.parse(after).newer())
    rows = list(entries[: NEW_ENTRIES_MAX + 1])
    for entry in rows:
        entry.article = article
    state = article.coverage_state()
    data = {
        "state": state,
        "entries": [_entry_data(entry, request) for entry in rows[:NEW_ENTRIES_MAX]],
        "after": str(paging.ListingKey.of(rows[0])) if rows else after or "",
        "more": len(rows) > NEW_ENTRIES_MAX,
        "state_html": render_to_string(
            "includes/live_state.html", {"article": article, "state": state}, request
        ),
    }
    return keep_fresh(JsonResponse(data), state)
