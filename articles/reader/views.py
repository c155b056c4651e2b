"""The public reader site: front page, archive, article pages, hubs and search.

Views stay thin: what a page shows comes from the querysets in ``models.py`` (behind the one
publication gate, ``Article.objects.live()``) and from ``hubs.py`` and ``search.py``.
"""

from datetime import timedelta
from itertools import groupby

from django.http import Http404, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.generic import DetailView, ListView, TemplateView

from articles import caching, fragments, images, text
from articles.intelligence import threads
from articles.models import (
    TAG_KINDS,
    Article,
    Correction,
    CrossLink,
    attach_notices,
    attach_tags_and_authors,
    tag_model,
)

from . import hubs, live, paging, search
from .hubs import hub_kind

PAGE_SIZE = 20
SECTION_BLOCK_SIZE = 4
# "Most linked-to" on the front page: the stories most linked to by those of these last days.
MOST_LINKED_DAYS = 7
MOST_LINKED_COUNT = 5
# "More on <first person>" beside a story: that many of the person's newest stories.
MORE_ON_COUNT = 4
# How many stories of its thread a story's page lists, around itself in time.
THREAD_SHOWN = 7
# Search terms longer than this are cut; nobody types more, and it bounds the work.
SEARCH_MAX_CHARS = 500
SEARCH_RESULTS = 20


class KeptPartsMixin:
    """A public page whose ``parts`` (blocks of its template in ``{% fragment %}``) are
    kept between requests by its address (``articles.fragments``): when every one is kept,
    the page is made of them without a query. The parts show what the view declares."""

    parts = ("content",)

    def part_names(self) -> dict[str, str]:
        # The address as the page cache keys it: only the query parameters the view reads.
        address = self.request.get_full_path()
        return {part: fragments.name(self.request, "page", part, address) for part in self.parts}

    def get(self, request, *args, **kwargs):
        names = self.part_names()
        if len(fragments.fetch(names.values())) == len(names):
            return TemplateResponse(request, self.template_name, {"fragment": names})
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(fragment=self.part_names(), **kwargs)


class LiveArticlesMixin:
    def get_queryset(self):
        return Article.objects.live()


class FrontPageView(KeptPartsMixin, LiveArticlesMixin, TemplateView):
    """The newest story with its picture, then each section's newest few, then the stories
    most linked to lately; none of them twice in a row (the lead is in neither list)."""

    template_name = "articles/front.html"

    def get_context_data(self, **kwargs):
        live = self.get_queryset()
        lead = live.for_listing().with_lead_images(images.Crop.WIDE).first()
        others = live.exclude(pk=lead.pk) if lead else live
        by_section = Article.objects.live_by_section(
            SECTION_BLOCK_SIZE, excluding=[lead.pk] if lead else []
        )
        sections = [
            (section, list(stories))
            for section, stories in groupby(by_section, key=lambda article: article.section)
        ]
        since = timezone.now() - timedelta(days=MOST_LINKED_DAYS)
        most_linked = list(
            others.most_linked(since, MOST_LINKED_COUNT, excluding=[lead.pk] if lead else [])
        )
        caching.shows(
            caching.LATEST,
            caching.LINKED,
            stories=[
                *([lead] if lead else []),
                *(story for _, block in sections for story in block),
                *most_linked,
            ],
        )
        return super().get_context_data(
            lead=lead,
            sections=sections,
            most_linked=most_linked,
            most_linked_days=MOST_LINKED_DAYS,
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


class ArchiveView(KeptPartsMixin, LiveArticlesMixin, NewestFirstListView):
    template_name = "articles/archive.html"
    parts = ("title", "meta", "content")

    def get_queryset(self):
        return super().get_queryset().for_listing().with_listing_time()

    def listed_under(self) -> str:
        return caching.LATEST


class ArticleDetailView(KeptPartsMixin, LiveArticlesMixin, DetailView):
    template_name = "articles/detail.html"
    # Pages of a live story's entries (``articles.reader.live``); other stories have none.
    query_params = ("before", "after")

    # The parts of a story's page kept between requests: they hold only while nothing of the
    # story changed (a new slug, a takedown, an edit), so while it is live at this address.
    parts = ("title", "meta", "crumbs", "main", "aside")

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
        if not hasattr(self, "object"):
            return response  # made of kept parts: never a page of running coverage
        return live.keep_fresh(response, self.object.coverage_state())

    def get_queryset(self):
        return super().get_queryset().for_detail()

    def get_context_data(self, **kwargs):
        article = self.object
        coverage = live.coverage(
            article, before=self.request.GET.get("before"), after=self.request.GET.get("after")
        )
        context = super().get_context_data(live=coverage, **kwargs)
        if coverage:  # changes by the minute and pages by its query: rendered every time
            context["fragment"] = {}
        return context | self.story_context(article)

    def story_context(self, article) -> dict:
        """What the page shows besides the story's own row, and what each part shows."""
        links = list(CrossLink.objects.shown_from(article))
        # Photos in the body as renditions (one query, only when it has any).
        paragraphs = text.with_dateline(article.paragraphs, article.dateline)
        body, related = text.place_links(images.with_pictures(paragraphs), links)
        # With "In this story"'s counts: how many live stories each tag's hub lists.
        attach_tags_and_authors([article], count_live_up_to=hubs.COUNT_CAP + 1)
        attach_notices([article])
        targets = [link.target for link in links]
        # "In this story": its people, countries and topics with their hubs' counts.
        in_this_story = [
            (tag_model(kind)._meta.verbose_name_plural.capitalize(), article.tags[kind])
            for kind in TAG_KINDS
            if article.tags[kind]
        ]
        # "More on <first person>" (else its first country or topic): that hub's newest
        # stories, less those the page shows already.
        more_on_tag = article.tagged[:1]
        more_on = list(
            Article.objects.live().sharing_tags(
                more_on_tag, newest=MORE_ON_COUNT, excluding=[article.pk, *(t.pk for t in targets)]
            )
        )
        thread, thread_goes_on = threads.live_thread(article)
        shown = parts_shown(article, targets, more_on, thread, thread_goes_on)
        caching.shows(*shown["aside"])
        return {
            "fragment_keys": shown,
            "body": body,
            "related": related,
            "in_this_story": in_this_story,
            "hub_count_cap": hubs.COUNT_CAP,
            "more_on": more_on,
            "more_on_tag": more_on_tag[0][1] if more_on_tag else None,
            "thread": around(thread, article, THREAD_SHOWN),
            "thread_size": len(thread),
            "thread_goes_on": thread_goes_on,
            # A correction leads the story, a clarification follows it.
            "corrections": [n for n in article.notices if n.kind == Correction.Kind.CORRECTION],
            "clarifications": [
                n for n in article.notices if n.kind == Correction.Kind.CLARIFICATION
            ],
            **article.tags,
        }


def parts_shown(article, targets, more_on, thread, thread_goes_on) -> dict[str, list[str]]:
    """What each part of a story's page shows (``articles.caching`` keys), by part."""
    own = [caching.story_key(article.pk)]
    boxes = [*own, caching.links_key(article.pk), *(caching.story_key(t.pk) for t in targets)]
    aside = [
        *boxes,  # "More on" leaves out what the boxes show
        # The counts and "More on" change with the stories listed on those hubs.
        *(caching.hub_key(kind, tag.pk) for kind, tag in article.tagged),
        # The thread changes with the links of any story in it.
        *(caching.graph_key(story.pk) for story in [article, *thread]),
        *([caching.LINKED] if thread_goes_on else []),
        *(caching.story_key(story.pk) for story in [*more_on, *thread]),
    ]
    return {"title": own, "meta": own, "crumbs": own, "main": boxes, "aside": aside}


def around(stories: list, story, count: int) -> list:
    """``count`` of ``stories`` (in time order) nearest to ``story`` in that order, itself
    among them when it is in the list; the newest ``count`` when it is not."""
    if story not in stories:
        return stories[-count:]
    start = max(0, min(stories.index(story) - count // 2, len(stories) - count))
    return stories[start : start + count]


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


class HubView(KeptPartsMixin, NewestFirstListView):
    """A person, country, topic, section or author page: its live stories, newest first."""

    kind = None
    template_name = "articles/hub.html"
    parts = ("title", "meta", "head", "content")

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


class SearchView(KeptPartsMixin, TemplateView):
    template_name = "articles/search.html"
    query_params = ("q",)
    parts = ("title", "content")

    def get_context_data(self, **kwargs):
        caching.shows(caching.STORIES)  # what any search finds changes with any story
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
