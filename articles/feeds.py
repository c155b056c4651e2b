"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the front page and every hub (issue: feeds)."""

from django.http import Http404

FORMATS = ("rss", "atom", "json")


def site_feed(request, format):
    raise Http404("Feeds are not built yet.")


def hub_feed(request, kind, slug, format):
    raise Http404("Feeds are not built yet.")
