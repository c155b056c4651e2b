"""The public reader site: front page, archive, article pages, hubs and search.

Views stay thin: what a page shows comes from the querysets in ``models.py`` (behind the one
publication gate, ``Article.objects.live()``) and from ``hubs.py`` and ``search.py``.
"""

from itertools import groupby

from django.http import Http404, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse
from django.views.generic import DetailView, ListView, TemplateView

from articles import caching, images, text
from articles.models import (
    Article,
    Correction,
    CrossLink,
    attach_notices,
    attach_tags_and_authors,
)

from . import hubs, live, paging, search
from .hubs import hub_kind

PAGE_SIZE = 20
SECTION_BLOCK_SIZE = 4
LATEST_ON_FRONT = 10
# "More on …" fills the story's related list up to this many items when it has few links.
RELATED_TARGET = 4
# … from stories sharing one of its first few tags (people first, then countries, topics).
MORE_ON_TAGS = 3
# Search terms longer than this are cut; nobody types more, and it bounds the work.
SEARCH_MAX_CHARS = 500
SEARCH_RESULTS = 20


class LiveArticlesMixin:
    def get_queryset(self):
        return Article.objects.live()


class FrontPageView(LiveArticlesMixin, TemplateView):
    template_name = "articles/front.html"

    def get_context_data(self, **kwargs):
        latest = list(self.get_queryset().for_listing()[: LATEST_ON_FRONT + 1])
        by_section = self.get_queryset().latest_by_section(SECTION_BLOCK_SIZE)
        sections = [
            (section, list(stories))
            for section, stories in groupby(by_section, key=lambda article: article.section)
        ]
        caching.shows(
            caching.LATEST, stories=[*latest, *(story for _, block in sections for story in block)]
        )
        return super().get_context_data(
            lead=latest[0] if latest else None,
            latest=latest[1:],
            sections=sections,
            **kwargs,
        )


class NewestFirstListView(ListView):
    """A listing of live stories paged by key (``articles.reader.paging``)."""

    query_params = ("before", "after")  # the only ones read (the page cache keys on them)

    def listed_under(self) -> str | None:
        """The key (``articles.caching``) of the list of stories this listing pages through;
        None for a listing of something else, whose pages then change with any change."""
        return None

    def get_context_data(self, **kwargs):
        listing = paging.listing_page(
            self.object_list,
            PAGE_SIZE,
            before=self.request.GET.get("before"),
            after=self.request.GET.get("after"),
        )
        if (listed := self.listed_under()) is not None:
            caching.shows(listed, stories=listing.object_list)
        return super().get_context_data(object_list=listing.object_list, listing=listing, **kwargs)


class ArchiveView(LiveArticlesMixin, NewestFirstListView):
    template_name = "articles/archive.html"

    def get_queryset(self):
        return super().get_queryset().for_listing().with_listing_time()

    def listed_under(self) -> str:
        return caching.LATEST


class ArticleDetailView(LiveArticlesMixin, DetailView):
    template_name = "articles/detail.html"
    # Pages of a live story's entries (``articles.reader.live``); other stories have none.
    query_params = ("before", "after")

    def get(self, request, *args, **kwargs):
        try:
            response = super().get(request, *args, **kwargs)
        except Http404:
            story = Article.objects.gone_or_moved_from(kwargs["slug"])
            if story is None:
                raise
            # Until the story moves on or comes back, or another live story takes the address.
            caching.shows(caching.LATEST, stories=[story])
            if story.status == Article.Status.WITHDRAWN:
                return taken_down_notice(request, story)
            # An old address of a story whose slug changed: send readers on for good.
            return HttpResponsePermanentRedirect(story.get_absolute_url())
        return live.keep_fresh(response, self.object.coverage_state())

    def get_queryset(self):
        return super().get_queryset().for_detail()

    def get_context_data(self, **kwargs):
        article = self.object
        links = list(CrossLink.objects.shown_from(article))
        # Photos in the body as renditions (one query, only when it has any).
        paragraphs = text.with_dateline(article.paragraphs, article.dateline)
        body, related = text.place_links(images.with_pictures(paragraphs), links)
        attach_tags_and_authors([article])
        attach_notices([article])
        # "More on …" tops the story's own links up to RELATED_TARGET with stories sharing
        # one of the tags its heading names.
        named = article.tagged[:MORE_ON_TAGS]
        newest = RELATED_TARGET - len(links)
        more_on = list(
            Article.objects.live().sharing_tags(
                named, newest=newest, excluding=[article.pk, *(link.target_id for link in links)]
            )
        )
        # "More on" changes with the newest stories of those tags, when there is one.
        caching.shows(
            caching.links_key(article.pk),
            *(caching.hub_key(kind, tag.pk) for kind, tag in named if newest > 0),
            stories=[article, *(link.target for link in links), *more_on],
        )
        return super().get_context_data(
            body=body,
            live=live.coverage(
                article, before=self.request.GET.get("before"), after=self.request.GET.get("after")
            ),
            related=related,
            more_on=more_on,
            more_on_names=[tag.name for _, tag in named],
            # A correction leads the story, a clarification follows it.
            corrections=[n for n in article.notices if n.kind == Correction.Kind.CORRECTION],
            clarifications=[n for n in article.notices if n.kind == Correction.Kind.CLARIFICATION],
            **article.tags,
            **kwargs,
        )


def taken_down_notice(request, story: Article) -> TemplateResponse:
    """410 Gone, at every address the story had: a short notice of when and why it was
    taken down, naming it unless the takedown withholds the headline. Nothing of the story
    itself (body, standfirst, image, tags, JSON-LD) is given to the template."""
    notice = {
        "headline": "" if story.takedown_withholds_headline else story.headline,
        "reason": story.takedown_reason,
        "note": story.takedown_note,
        "taken_down_at": story.taken_down_at,
    }
    return TemplateResponse(request, "articles/taken_down.html", {"notice": notice}, status=410)


class HubView(NewestFirstListView):
    """A person, country, topic, section or author page: its live stories, newest first."""

    kind = None
    template_name = "articles/hub.html"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # An address the hub had before a merge or a rename: readers are sent on.
            return hubs.redirect_moved(
                self.kind, kwargs["slug"], lambda hub: hub.get_absolute_url()
            )

    def get_queryset(self):
        self.hub_kind = hub_kind(self.kind)
        self.hub = self.hub_kind.get(self.kwargs["slug"])
        return self.hub_kind.articles(self.hub).for_listing()

    def listed_under(self) -> str:
        return caching.hub_key(self.hub_kind.kind, self.hub.pk)

    def get_context_data(self, **kwargs):
        story_count, more_stories = self.hub_kind.live_count(self.hub)
        return super().get_context_data(
            hub=self.hub,
            hub_kind=self.hub_kind.kind,
            hub_label=self.hub_kind.label,
            story_count=story_count,
            more_stories=more_stories,
            **kwargs,
        )


class SearchView(TemplateView):
    template_name = "articles/search.html"
    query_params = ("q",)

    def get_context_data(self, **kwargs):
        query = text.collapse_whitespace(self.request.GET.get("q", ""))[:SEARCH_MAX_CHARS]
        # The best SEARCH_RESULTS matches, in one query: a common word can match a good part
        # of the archive, and neither a page of thousands nor counting them helps anyone.
        found = search.search_articles(query)[: SEARCH_RESULTS + 1] if query else []
        return super().get_context_data(
            query=query,
            hubs=search.hubs_named(query) if query else [],
            results=found[:SEARCH_RESULTS],
            more_results=len(found) > SEARCH_RESULTS,
            **kwargs,
        )
