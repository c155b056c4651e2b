"""Parts of public pages kept between requests (articles/fragments.py).

The page cache is off here (as in the benchmarks' uncached runs), so every request renders
its page; what a kept part saves shows in the queries, and what it must never do — show
something stale, or leak a draft — in the pages themselves.
"""

import time
import warnings
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import CacheKeyWarning
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import caching, fragments
from articles.models import Article
from tests.factories import ArticleFactory, CrossLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def render_every_request(settings):
    settings.NEWSROOM_PAGE_CACHE = False
    settings.NEWSROOM_FRAGMENT_CACHE = True


@pytest.fixture
def story():
    story = ArticleFactory(headline="Talks resume in Geneva", people=["Amina Fernandes"])
    target = ArticleFactory(headline="Ceasefire holds for a week", people=["Amina Fernandes"])
    CrossLinkFactory(source=story, target=target, placement=1)
    return story


def get(client, url):
    # The timetable of timed changes is worked out once per generation, not per page.
    caching.timed_changes(caching.generation())
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(captured)


def pages(story) -> list[str]:
    hub = story.people.first()
    return [
        story.get_absolute_url(),
        "/",
        "/archive/",
        hub.get_absolute_url(),
        "/search/?q=Geneva",
        "/feed/rss/",
        "/feed/atom/",
        "/feed/json/",
        f"{hub.get_absolute_url()}feed/rss/",
    ]


def test_pages_made_of_kept_parts_are_the_pages_rendered_afresh(client, story, settings):
    for url in pages(story):
        settings.NEWSROOM_FRAGMENT_CACHE = False
        fresh, _ = get(client, url)
        settings.NEWSROOM_FRAGMENT_CACHE = True
        first, _ = get(client, url)
        kept, queries = get(client, url)
        assert first == fresh == kept, url
        # The generation and, for a feed, which stories it lists (and which hub); no more.
        assert queries <= (1 if "/feed/" not in url else 2 if url.startswith("/feed/") else 3), url


def test_a_story_page_of_kept_parts_asks_for_nothing_but_the_generation(client, story):
    get(client, story.get_absolute_url())
    _, queries = get(client, story.get_absolute_url())
    assert queries == 1


def test_an_edit_shows_at_once_and_only_what_shows_it_is_rendered_again(client, story):
    other = ArticleFactory(headline="Harvest festival opens")
    url = story.get_absolute_url()
    get(client, url)
    get(client, other.get_absolute_url())

    # A story this page does not show changes: its parts still hold (one query says so).
    other.standfirst = "A new standfirst."
    other.save()
    html, queries = get(client, url)
    assert queries == 2  # the generation, and whether the parts still hold
    assert "Talks resume in Geneva" in html

    # The story its Also Read box shows changes: the page shows the new headline at once.
    target = Article.objects.get(headline="Ceasefire holds for a week")
    target.headline = "Ceasefire collapses after a week"
    target.save()
    html, _ = get(client, url)
    assert "Ceasefire collapses after a week" in html
    assert "Ceasefire holds for a week" not in html


def test_a_story_taken_off_the_site_is_not_served_from_its_parts(client, story):
    url = story.get_absolute_url()
    get(client, url)
    get(client, url)
    Article.objects.filter(pk=story.pk).update(status=Article.Status.DRAFT)
    caching.content_changed(keys=[caching.story_key(story.pk)])
    assert client.get(url).status_code == 404


def test_a_scheduled_story_going_live_ends_every_kept_part(client, story):
    soon = timezone.now() + timedelta(seconds=1)
    ArticleFactory(
        headline="Geneva talks end in a deal", people=["Amina Fernandes"], published_at=soon
    )
    hub = story.people.first().get_absolute_url()
    get(client, hub)
    html, _ = get(client, hub)
    assert "Geneva talks end in a deal" not in html
    # Nobody saves anything: only time moves past the publication.
    time.sleep(max(0, (soon - timezone.now()).total_seconds()) + 0.05)
    html, _ = get(client, hub)
    assert "Geneva talks end in a deal" in html


def test_parts_kept_for_a_timed_change_no_longer_hold_after_it(client, story, monkeypatch):
    url = story.get_absolute_url()
    get(client, url)
    token = caching.generation()
    later = caching.Timetable(last_change=timezone.now(), next_change=None)
    monkeypatch.setattr(caching, "timed_changes", lambda token=None: later)
    _, queries = get(client, url)
    assert queries > 1  # rendered again: the story, its links, its tags…
    assert caching.generation() == token


def test_staff_neither_read_nor_fill_kept_parts(admin_client, client, story):
    url = story.get_absolute_url()
    admin_client.get(url)
    assert not [key for key in cache._cache if "fragment:" in key]
    get(client, url)
    assert [key for key in cache._cache if "fragment:" in key]
    _, queries = get(admin_client, url)
    assert queries > 2  # the staff member's page is made afresh


def test_parts_are_kept_per_site_name(client, story, settings):
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]
    get(client, story.get_absolute_url())
    html = client.get(story.get_absolute_url(), headers={"host": "mirror.example"})
    assert 'href="http://mirror.example/' in html.content.decode()


def test_kept_parts_declare_what_they_show_to_the_page_cache(client, story, settings):
    """A page made of kept parts names all it shows, so its own cache entry and its CDN
    keys still follow every change."""
    url = story.get_absolute_url()
    first = client.get(url)
    kept = client.get(url)
    assert first["Surrogate-Key"] and set(kept["Surrogate-Key"].split()) == set(
        first["Surrogate-Key"].split()
    )
    assert caching.links_key(story.pk) in kept["Surrogate-Key"].split()


def test_a_part_that_shows_everything_is_never_kept(rf, db):
    request = rf.get("/")
    with caching.pinned_generation(), caching.collecting_shown():
        caching.content_changed()
        fragments.render(fragments.name(request, "x"), lambda: "made")
    assert not [key for key in cache._cache if "fragment:" in key]


def test_search_is_rendered_again_when_any_story_changes(client, story):
    url = "/search/?q=Geneva"
    html, _ = get(client, url)
    assert "Harvest in Geneva" not in html
    ArticleFactory(headline="Harvest in Geneva")
    html, _ = get(client, url)
    assert "Harvest in Geneva" in html


def test_any_address_makes_a_plain_cache_key(client, story):
    """Parts are kept by address, and addresses hold anything: a 500-character search in
    any script, a Unicode slug. The cache gets short plain keys all the same."""
    url = "/search/?q=" + quote("Genève ☃ " * 55)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        get(client, url)
        _, queries = get(client, url)
    assert queries == 1


def test_a_feed_of_kept_items_leaves_out_a_story_taken_off_at_once(client, story):
    """A feed whose list and items are all kept reads only when each item changed; a story
    taken off the site is off the feed on the next request all the same."""
    get(client, "/feed/rss/")
    html, queries = get(client, "/feed/rss/")
    assert queries == 2 and "Talks resume in Geneva" in html
    Article.objects.filter(pk=story.pk).update(status=Article.Status.ARCHIVED)
    caching.content_changed(keys=caching.changed_story_keys(story, relisted=True))
    html, _ = get(client, "/feed/rss/")
    assert "Talks resume in Geneva" not in html
    assert "Ceasefire holds for a week" in html


def test_a_feed_checks_its_kept_list_and_items_in_one_query(client, story):
    """After an edit to one of its stories a hub feed checks its list and every item at once,
    then makes that one item again: the generation, the hub, that check, and the story with
    its links and tags."""
    url = f"{story.people.first().get_absolute_url()}feed/rss/"
    get(client, url)
    story.standfirst = "Negotiators return to the table."
    story.save()
    html, queries = get(client, url)
    assert "Negotiators return to the table." in html
    assert "Ceasefire holds for a week" in html
    assert queries == 6


def test_a_page_found_holding_is_still_checked_after_the_next_change(client, story, settings):
    """A stored page found to hold under a generation skips the look-up of its keys while
    that generation lasts (``caching._held_under``); the next change brings it back."""
    settings.NEWSROOM_PAGE_CACHE = True
    url = story.get_absolute_url()
    other = ArticleFactory(headline="Harvest festival opens")
    assert client.get(url)["X-Cache"] == "miss"
    other.standfirst = "Unrelated."
    other.save()
    assert client.get(url)["X-Cache"] == "hit"  # found holding under this generation
    assert client.get(url)["X-Cache"] == "hit"  # and not looked up again
    target = Article.objects.get(headline="Ceasefire holds for a week")
    target.headline = "Ceasefire collapses after a week"
    target.save()
    response = client.get(url)
    assert response["X-Cache"] == "miss"
    assert "Ceasefire collapses after a week" in response.content.decode()
