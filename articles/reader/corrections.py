"""The public record of corrections and clarifications: ``/corrections/`` and its feeds.

Every notice of a live story, newest first; a story that leaves the public site (unpublished,
archived, taken down) takes its notices along, through the one publication gate
(``Correction.objects.live()``). The page pages by key like the archive
(``articles.reader.paging``); the feeds use the site's feed formats (``feeds.FEED_TYPES``).
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import escape, format_html
from django.views.decorators.http import require_safe

from articles.models import Correction

from .feeds import FEED_LENGTH, FEED_TYPES, MAX_AGE, STALE_WHILE_REVALIDATE, tag_uri
from .views import NewestFirstListView

NOTICE_ITEM = '<p>{text}</p>\n<p>{label} to <a href="{url}">{headline}</a>.</p>'


class CorrectionsView(NewestFirstListView):
    template_name = "articles/corrections.html"

    def get_queryset(self):
        return Correction.objects.live().for_listing()


class CorrectionsFeed(Feed):
    """The newest notices of live stories, as one of the site's feed formats. Each item is
    a notice, linking to where it stands on its story's page."""

    def __init__(self, format: str):
        try:
            self.feed_type = FEED_TYPES[format]
        except KeyError:
            raise Http404("Feeds come as rss, atom or json.") from None
        self.format = format

    def __call__(self, request, *args, **kwargs):
        # Django's Feed would set Last-Modified from the newest item, which moves back when
        # a story leaves with its notices; the page cache sets it from the content
        # generation instead (newsroom.middleware).
        self.request = request
        self.notices = list(Correction.objects.live().for_listing()[:FEED_LENGTH])
        feed = self.get_feed(None, request)
        response = HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type)
        patch_cache_control(
            response, public=True, max_age=MAX_AGE, stale_while_revalidate=STALE_WHILE_REVALIDATE
        )
        return response

    def items(self):
        return self.notices

    def title(self):
        return f"{settings.NEWSROOM_SITE_NAME}: corrections and clarifications"

    def description(self):
        return (
            f"What {settings.NEWSROOM_SITE_NAME} got wrong or left unclear, and put right, "
            "newest first."
        )

    def subtitle(self):
        return self.description()

    def link(self):
        return reverse("articles:corrections")

    def feed_url(self):
        return reverse("articles:corrections_feed", kwargs={"format": self.format})

    def item_title(self, notice):
        return f"{notice.get_kind_display()}: {notice.article.labelled_headline}"

    def item_description(self, notice):
        """The notice as HTML that shows its text as written (RSS ``description``, Atom
        ``summary``)."""
        return escape(notice.text)

    def item_guid(self, notice):
        return tag_uri(self.request, notice, "correction")

    item_guid_is_permalink = False

    def item_pubdate(self, notice):
        return notice.at

    def item_updateddate(self, notice):
        return notice.at

    def item_categories(self, notice):
        return [notice.get_kind_display()]

    def item_extra_kwargs(self, notice):
        story_url = self.request.build_absolute_uri(notice.article.get_absolute_url())
        return {
            "authors": [],
            "content_html": format_html(
                NOTICE_ITEM,
                text=notice.text,
                label=notice.get_kind_display(),
                url=story_url,
                headline=notice.article.labelled_headline,
            ),
            "summary": notice.text,
            "image": None,
            "related": [{"url": story_url, "title": notice.article.labelled_headline}],
        }


@require_safe
def corrections_feed(request, format):
    return CorrectionsFeed(format)(request)
