"""Query budgets: a page's query count does not grow with its tags, links or list items.

Each budget counts the whole request, so it includes the one small query every public
request makes for the content generation (articles.caching keeps it in the database).
"""

from datetime import timedelta

import pycountry
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import caching, images
from articles.editorial import live
from articles.models import Article, BreakingNews, Correction, Person, SlugRedirect
from articles.reader import views
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    ImageFactory,
    SectionFactory,
    taken_down,
)
from tests.paging import older_link

pytestmark = pytest.mark.django_db

# The generation, the story, its links, its tags and authors (with each hub's count), "More
# on" its first person, its thread, and its notices when it has any.
ARTICLE_BUDGET = 7
# A story with photos: one query for its lead image's renditions, one for its body's.
ARTICLE_WITH_PHOTOS_BUDGET = ARTICLE_BUDGET + 2
HUB_BUDGET = 5
# The generation, the lead, its picture, each section's newest (two on PostgreSQL), and
# "Most linked-to".
FRONT_BUDGET = 6
ARCHIVE_BUDGET = 4
GONE_BUDGET = 3
CORRECTIONS_BUDGET = 2
# A live story's page: the story's, plus its page of entries, their authors, its key events.
LIVE_PAGE_BUDGET = ARTICLE_BUDGET + 3
# The new-entries endpoint: the generation, the story, the entries and their authors.
LIVE_ENTRIES_BUDGET = 4

COUNTRY_CODES = [country.alpha_2 for country in pycountry.countries][:10]


def known_schedule():
    """The page cache looks up the next timed change (a scheduled publication, the end of
    live coverage, the banner's expiry) and the breaking-news banner once per content
    generation, not per page; do that first so the counts below are the pages' own."""
    caching.timed_changes(caching.generation())


def queries_for(client, url, status: int = 200) -> int:
    known_schedule()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status, url
    return len(captured)


def small_article():
    return ArticleFactory(people=["Only Person"], authors=[AuthorFactory()])


def big_article():
    """30 tags, 3 authors, 12 shown links (inline and related) and stories sharing tags."""
    article = ArticleFactory(
        people=[f"Person {n}" for n in range(10)],
        countries=COUNTRY_CODES,
        topics=[f"Topic {n}" for n in range(10)],
        authors=[AuthorFactory() for _ in range(3)],
    )
    for n in range(12):
        target = ArticleFactory(people=["Person 1"], authors=[AuthorFactory()])
        CrossLinkFactory(source=article, target=target, placement=n % 4 or None, order=n)
    return article


def test_article_page_queries_do_not_grow_with_tags_or_links(client):
    """30 tags, 3 authors and 12 links cost no more queries than 1 tag and no links (which
    looks for "More on" stories sharing the tag; enough links skip that), within budget."""
    small = queries_for(client, small_article().get_absolute_url())
    big = queries_for(client, big_article().get_absolute_url())
    assert big <= small <= ARTICLE_BUDGET


def test_taken_down_notice_queries_do_not_grow_with_old_addresses_or_tags(client):
    """The 410 notice at a taken-down story's address or any of its old ones: the content
    generation, the live lookup that finds nothing, and one lookup for the takedown."""
    small = taken_down(headline="Small story taken down")
    big = taken_down(headline="Big story taken down", people=[f"P {n}" for n in range(10)])
    for n in range(10):
        SlugRedirect.objects.create(old_slug=f"old-{n}", article=big)
    counts = [
        queries_for(client, url, status=410)
        for url in (small.get_absolute_url(), big.get_absolute_url(), "/news/old-7/")
    ]
    assert counts == [GONE_BUDGET] * 3


def story_with_photos(count: int):
    """A story with a lead photo and ``count`` photos in its body."""
    body = "".join(
        "<p>A paragraph.</p>" + images.photo_html(ImageFactory().digest, "A photo")
        for _ in range(count)
    )
    return ArticleFactory(
        lead_image=ImageFactory(), body=body, people=["Only Person"], authors=[AuthorFactory()]
    )


def test_article_page_photos_cost_two_queries_however_many(client):
    """The lead photo's renditions come with the story (one prefetch) and the body's photos
    in one query; a story without photos runs neither."""
    plain = queries_for(client, small_article().get_absolute_url())
    one = queries_for(client, story_with_photos(1).get_absolute_url())
    assert queries_for(client, story_with_photos(5).get_absolute_url()) == one
    assert one == plain + 2 <= ARTICLE_WITH_PHOTOS_BUDGET


def hub_with(items: int) -> str:
    """A person's hub with ``items`` stories, each with two authors and a section."""
    section = SectionFactory()
    for _ in range(items):
        ArticleFactory(
            people=["Hub Person"], section=section, authors=[AuthorFactory(), AuthorFactory()]
        )
    return Person.objects.get(name="Hub Person").get_absolute_url()


def test_hub_queries_do_not_grow_with_items(client):
    """A hub page with 1 or 25 stories (two pages), each with several authors, runs the same
    queries, within the budget; so does its second page."""
    url = hub_with(1)
    one = queries_for(client, url)
    hub_with(24)
    assert queries_for(client, url) == one <= HUB_BUDGET
    assert queries_for(client, url + older_link(client.get(url).content.decode())) <= HUB_BUDGET


@pytest.mark.usefixtures("without_page_cache")
def test_hub_count_is_not_recounted_per_request(client):
    """The hub's live-story count is worked out once per content generation: a second view
    of the page skips the COUNT, and a new story is counted after it changes the content."""
    url = hub_with(2)
    first = queries_for(client, url)
    assert queries_for(client, url) == first - 1
    hub_with(1)
    response = client.get(url)
    assert response.context["story_count"] == 3


def front_page_with(items: int) -> None:
    sections = [SectionFactory() for _ in range(5)]
    for n in range(items):
        ArticleFactory(section=sections[n % 5], authors=[AuthorFactory()])


def test_front_page_queries_do_not_grow_with_items(client):
    """The front page with 1 story, or 40 over ten sections linking to one another, runs the
    same queries, within the budget, and counts nothing but the links of the last days'
    stories ("Most linked-to")."""
    front_page_with(1)
    one = queries_for(client, "/")
    front_page_with(39)
    stories = list(Article.objects.all())
    for n, source in enumerate(stories):
        for target in stories[n + 1 : n + 4]:
            CrossLinkFactory(source=source, target=target)
    known_schedule()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert len(response.context["most_linked"]) == views.MOST_LINKED_COUNT
    assert len(captured) == one <= FRONT_BUDGET
    counting = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert len(counting) == 1 and "articles_crosslink" in counting[0]


def test_front_page_lead_picture_costs_one_query(client):
    """The lead's photo costs one query (its renditions), however many stories follow."""
    front_page_with(5)
    without = queries_for(client, "/")
    ArticleFactory(lead_image=ImageFactory())
    assert queries_for(client, "/") == without + 1 <= FRONT_BUDGET


def test_article_sidebar_queries_do_not_grow_with_thread_tags_or_more_on(client):
    """Beside a story: "In this story" with 30 tags and their counts, a thread of 25
    stories and "More on" its first person cost what a story alone with one tag does."""
    alone = queries_for(client, small_article().get_absolute_url())
    story = big_article()
    previous = story
    for n in range(12):
        linked = ArticleFactory(people=["Person 0"])
        CrossLinkFactory(source=linked, target=previous if n % 2 else story)
        previous = linked
    response = client.get(story.get_absolute_url())
    assert len(response.context["more_on"]) == views.MORE_ON_COUNT
    assert response.context["thread_size"] > 20
    assert queries_for(client, story.get_absolute_url()) <= alone


def test_archive_queries_do_not_grow_with_items(client):
    """The archive with 1 or 45 stories (three pages) runs the same queries, on any page."""
    ArticleFactory(authors=[AuthorFactory()])
    one = queries_for(client, "/archive/")
    for _ in range(44):
        ArticleFactory(authors=[AuthorFactory()])
    assert queries_for(client, "/archive/") == one <= ARCHIVE_BUDGET
    page_two = "/archive/" + older_link(client.get("/archive/").content.decode())
    page_three = "/archive/" + older_link(client.get(page_two).content.decode())
    assert queries_for(client, page_three) <= one


def test_search_lists_the_best_matches_in_one_query(client):
    """A search runs one query for its results however many stories match (besides the
    content generation's and the one for hubs it names), and shows at most SEARCH_RESULTS of
    them, saying there are more."""
    views_limit = views.SEARCH_RESULTS
    for n in range(views_limit + 2):
        ArticleFactory(headline=f"Zeppelin sighted {n}", authors=[AuthorFactory()])
    known_schedule()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", {"q": "zeppelin"})
    assert len(response.context["results"]) == views_limit
    assert f"more than {views_limit} stories" in response.content.decode()
    assert len(captured) <= 1 + 1 + 1


def noticed_stories(count: int) -> None:
    """``count`` live stories, each with a correction and a clarification."""
    for _ in range(count):
        story = ArticleFactory(authors=[AuthorFactory()])
        for kind in Correction.Kind.values:
            Correction.objects.create(article=story, kind=kind, text="Notice.", revision=1)


def test_corrections_page_queries_do_not_grow_with_notices(client):
    """/corrections/ with 2 notices or 50 (three pages) runs the same queries, on any page:
    the content generation and one page of notices with their stories."""
    noticed_stories(1)
    one = queries_for(client, "/corrections/")
    noticed_stories(24)
    assert queries_for(client, "/corrections/") == one <= CORRECTIONS_BUDGET
    page_two = "/corrections/" + older_link(client.get("/corrections/").content.decode())
    assert queries_for(client, page_two) <= one


def test_article_page_queries_do_not_grow_with_notices(client):
    """A story with ten corrections and clarifications costs what one with one does, and a
    story with none does not look for them (for_detail knows it has none)."""
    plain = small_article()
    small = small_article()
    Correction.objects.create(article=small, text="Notice.", revision=1)
    big = small_article()
    for n in range(10):
        kind = Correction.Kind.values[n % 2]
        Correction.objects.create(article=big, kind=kind, text=f"Notice {n}.", revision=1)
    one = queries_for(client, small.get_absolute_url())
    assert queries_for(client, big.get_absolute_url()) == one <= ARTICLE_BUDGET
    assert queries_for(client, plain.get_absolute_url()) == one - 1


def covered_story(entries: int):
    """A live story covered live with ``entries`` entries, every third a key event, each by
    two authors."""
    story = small_article()
    live.start_coverage(article=story, actor="test")
    for n in range(entries):
        live.post_entry(
            article=story,
            body=f"Entry {n}.",
            is_key=n % 3 == 0,
            authors=[AuthorFactory(), AuthorFactory()],
        )
    return story


def test_live_page_queries_do_not_grow_with_entries(client):
    """A live story's page with 1 entry or 30 (two pages of them, ten key events, two
    authors each) runs the same queries, on either page, within the budget; so does the
    new-entries endpoint."""
    one = covered_story(1)
    many = covered_story(30)
    small = queries_for(client, one.get_absolute_url())
    assert queries_for(client, many.get_absolute_url()) == small <= LIVE_PAGE_BUDGET
    page_two = many.get_absolute_url() + older_link(
        client.get(many.get_absolute_url()).content.decode()
    )
    assert queries_for(client, page_two) <= small
    endpoint = reverse("articles:live_entries", args=[many.slug])
    assert queries_for(client, endpoint) == queries_for(
        client, endpoint.replace(many.slug, one.slug)
    )
    assert queries_for(client, endpoint) <= LIVE_ENTRIES_BUDGET


def test_the_banner_costs_a_page_no_query(client, settings):
    """The breaking-news banner comes with the content generation's timetable: a page shows
    it at the cost of a page without it (both rendered whole: a page made of kept parts
    would ask whether they still hold)."""
    settings.NEWSROOM_FRAGMENT_CACHE = False
    url = small_article().get_absolute_url()
    without = queries_for(client, url)
    BreakingNews.objects.create(
        text="Breaking line", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert queries_for(client, url) == without
    assert "Breaking line" in client.get(url).content.decode()
