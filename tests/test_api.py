"""The read API (``/api/v1/``, ``articles.reader.api``): stories with keyset paging and
filters, one story, hubs, search; caching like pages, query budgets and bad input."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import caching
from articles.models import Article, Correction, SlugRedirect
from articles.reader import api
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    ImageFactory,
    SectionFactory,
    taken_down,
)
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)

pytestmark = pytest.mark.django_db

STORIES = "/api/v1/stories/"


def story_url(slug: str) -> str:
    return f"{STORIES}{slug}/"


def get_json(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, (url, params, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def page_through(client, url=STORIES, **params) -> list[str]:
    """Every slug the list gives, following ``next`` to the end."""
    slugs, data = [], get_json(client, url, **params)
    while True:
        slugs += [item["slug"] for item in data["items"]]
        if data["next"] is None:
            assert data["next_cursor"] is None
            return slugs
        data = get_json(client, data["next"].removeprefix("http://testserver"))


@pytest.fixture
def no_rate_limits(settings):
    """Paging runs many uncached requests with query strings: more than a reader's limit."""
    settings.NEWSROOM_RATE_LIMITS = {"uncached": None, "login": None}


def test_paging_gives_every_live_story_exactly_once_newest_first(client, no_rate_limits):
    """Following the cursor visits each live story once, in publication order (newest
    first, ties by id), with stories published at the very same moment split over pages."""
    now = timezone.now()
    same_moment = now - timedelta(hours=3)
    made = [ArticleFactory(published_at=same_moment) for _ in range(5)]
    made += [ArticleFactory(published_at=now - timedelta(minutes=n)) for n in range(1, 8)]
    expected = [a.slug for a in sorted(made, key=lambda a: (a.published_at, a.pk), reverse=True)]
    assert page_through(client, limit=3) == expected
    assert page_through(client, limit=100) == expected


def test_a_story_published_while_paging_does_not_shift_the_pages(client, no_rate_limits):
    """The cursor names the last story seen, not an offset: a new story on top moves no
    story from one page to the next."""
    stories = [ArticleFactory(published_at=timezone.now() - timedelta(hours=n)) for n in range(4)]
    first = get_json(client, STORIES, limit=2)
    ArticleFactory(headline="Breaking on top")
    rest = get_json(client, STORIES, limit=2, cursor=first["next_cursor"])
    assert [i["slug"] for i in first["items"] + rest["items"]] == [s.slug for s in stories]


def test_filters_by_hub_and_time(client, no_rate_limits):
    """Each filter narrows the list to live stories of that person, country, topic,
    section or author and time; several must all match."""
    author = AuthorFactory(name="Jane Writer")
    sport = SectionFactory(name="Sport")
    now = timezone.now()
    both = ArticleFactory(
        people=["Donald Trump"], countries=["IL"], published_at=now - timedelta(days=2)
    )
    trump = ArticleFactory(people=["Donald Trump"], topics=["Tariffs"], authors=[author])
    israel = ArticleFactory(countries=["IL"], section=sport, published_at=now - timedelta(days=5))
    ArticleFactory()

    def slugs(**params):
        return [item["slug"] for item in get_json(client, STORIES, **params)["items"]]

    assert slugs(person="donald-trump") == [trump.slug, both.slug]
    assert slugs(country="israel") == [both.slug, israel.slug]
    assert slugs(person="donald-trump", country="israel") == [both.slug]
    assert slugs(topic="tariffs") == [trump.slug]
    assert slugs(section="sport") == [israel.slug]
    assert slugs(author=author.slug) == [trump.slug]
    since = (now - timedelta(days=3)).isoformat()
    until = (now - timedelta(days=1)).isoformat()
    assert slugs(country="israel", since=since) == [both.slug]
    assert slugs(since=since, until=until) == [both.slug]
    # The next page keeps the filters.
    data = get_json(client, STORIES, person="donald-trump", limit=1)
    assert "person=donald-trump" in data["next"]
    assert page_through(client, person="donald-trump", limit=1) == [trump.slug, both.slug]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "%%%"},
        {"cursor": "12-0"},
        {"cursor": "1" * 30 + "-1"},
        {"limit": "0"},
        {"limit": "-5"},
        {"limit": "1000000000000000000000000"},
        {"limit": "ten"},
        {"since": "yesterday"},
        {"until": "2025-13-45"},
        {"since": "0.5"},
        {"until": "2025-01-01T25:00:00Z"},
        {"person": "x" * 5000},
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, params):
    """Hostile or malformed parameters get a 400 with a JSON detail, never a 500; a huge
    page size is refused, not served."""
    ArticleFactory()
    data = get_json(client, STORIES, status=400, **params)
    assert list(params)[0] in json.dumps(data["detail"])


def test_times_and_cursors_beyond_any_story_are_answered(client):
    """A bound before the first or after the last possible story time, or a cursor beyond
    any time or id a database holds, lists all stories or none, never a 500."""
    story = ArticleFactory()
    assert len(get_json(client, STORIES, since="0001-01-01T00:00:00+14:00")["items"]) == 1
    assert len(get_json(client, STORIES, until="9999-12-31T23:59:59-12:00")["items"]) == 1
    assert get_json(client, STORIES, until="0001-01-01T00:00:00Z")["items"] == []
    assert get_json(client, STORIES, since="9999-12-31T23:59:59Z")["items"] == []
    everything = get_json(client, STORIES, cursor="99999999999999999-9999999999999999999")
    assert [item["slug"] for item in everything["items"]] == [story.slug]
    assert get_json(client, STORIES, cursor="-99999999999999999-1")["items"] == []


def test_unknown_parameters_are_ignored_and_share_the_cached_answer(client):
    """Parameters the API does not read (``utm_source``, a misspelt filter) are dropped
    before it runs, so the clean URL's cached answer serves them."""
    ArticleFactory()
    cached(client, STORIES)
    response = client.get(STORIES, {"utm_source": "x", "persn": "nobody"})
    assert response.status_code == 200
    assert response["X-Cache"] == "hit"


def test_unknown_hub_filter_is_a_json_404(client):
    ArticleFactory(people=["Donald Trump"])
    data = get_json(client, STORIES, status=404, person="nobody-at-all")
    assert "person" in data["detail"].lower()


def test_story_has_body_tags_bylines_image_links_and_corrections(client):
    """One story: its body sanitised as on the page, tags, bylines, the lead image's
    renditions, its live Also Read links with their placements, its notices."""
    image = ImageFactory()
    story = ArticleFactory(
        body='<p>One.</p><p>Two <b>bold</b> &amp; <a href="https://example.org/">a link</a>.</p>',
        people=["Donald Trump"],
        countries=["IL"],
        topics=["Gaza ceasefire"],
        authors=[AuthorFactory(name="Jane Writer")],
        lead_image=image,
    )
    inline, listed = ArticleFactory(headline="Inline target"), ArticleFactory()
    CrossLinkFactory(source=story, target=inline, placement=1, order=0)
    CrossLinkFactory(source=story, target=listed, placement=None, order=0)
    Correction.objects.create(article=story, text="We got the date wrong.", revision=1)

    data = get_json(client, story_url(story.slug))
    assert data["headline"] == story.headline
    # The body as stored (sanitised when written, as every page shows it), block by block.
    assert data["body_html"] == "\n".join(story.paragraphs)
    assert [t["name"] for t in data["tags"]["people"]] == ["Donald Trump"]
    assert [t["name"] for t in data["tags"]["countries"]] == ["Israel"]
    assert [t["name"] for t in data["tags"]["topics"]] == ["Gaza ceasefire"]
    assert [b["name"] for b in data["bylines"]] == ["Jane Writer"]
    assert data["image"]["alt"] == image.alt_text
    renditions = data["image"]["renditions"]
    assert renditions and all(r["url"].startswith("http://testserver/media/") for r in renditions)
    assert {r["media_type"] for r in renditions} >= {"image/jpeg", "image/webp"}
    assert [(link["placement"], link["story"]["slug"]) for link in data["links"]] == [
        (1, inline.slug),
        (None, listed.slug),
    ]
    assert data["corrections"][0]["text"] == "We got the date wrong."
    assert data["ninjs_url"].endswith(f"/api/v1/stories/{story.slug}/ninjs/")


def test_story_has_its_type_and_dateline(client):
    """The dateline opens the body as on the page, and is given on its own too."""
    story = ArticleFactory(dateline="DOHA", story_type="analysis")
    data = get_json(client, story_url(story.slug))
    assert data["dateline"] == "DOHA"
    assert data["body_html"].startswith('<p><span class="dateline">DOHA —</span> ')
    assert (data["story_type"], data["story_type_label"]) == ("analysis", "Analysis")


def test_old_address_redirects_and_taken_down_story_is_410(client):
    """As on the site: a story's old slug answers 301 to its API address, a taken-down
    story 410, with nothing of it."""
    story = ArticleFactory(headline="New headline")
    SlugRedirect.objects.create(article=story, old_slug="old-headline")
    response = client.get(story_url("old-headline"))
    assert response.status_code == 301
    assert response["Location"] == story_url(story.slug)
    gone = taken_down(headline="Gone story", body="<p>Secretword</p>")
    for url in (story_url(gone.slug), f"{story_url(gone.slug)}ninjs/"):
        response = client.get(url)
        assert response.status_code == 410
        assert b"Secretword" not in response.content and b"Gone story" not in response.content


def test_hub_has_name_description_addresses_and_a_page_of_stories(client, no_rate_limits):
    stories = [ArticleFactory(people=["Donald Trump"]) for _ in range(3)]
    data = get_json(client, "/api/v1/hubs/people/donald-trump/", limit=2)
    assert data["name"] == "Donald Trump"
    assert data["url"] == "http://testserver/people/donald-trump/"
    assert data["feeds"]["atom"] == "http://testserver/people/donald-trump/feed/atom/"
    assert data["story_count"] == 3 and data["more_stories"] is False
    assert len(data["stories"]["items"]) == 2
    rest = get_json(client, data["stories"]["next"].removeprefix("http://testserver"))
    seen = [i["slug"] for i in data["stories"]["items"] + rest["items"]]
    assert sorted(seen) == sorted(s.slug for s in stories)
    get_json(client, "/api/v1/hubs/people/nobody/", status=404)
    get_json(client, "/api/v1/hubs/planets/earth/", status=400)


def test_search_finds_live_stories_and_hubs(client):
    story = ArticleFactory(headline="Ceasefire talks resume", people=["Donald Trump"])
    data = get_json(client, "/api/v1/search/", q="ceasefire resume")
    assert [item["slug"] for item in data["items"]] == [story.slug]
    assert get_json(client, "/api/v1/search/", q="Donald Trump")["hubs"][0]["slug"] == (
        "donald-trump"
    )
    assert get_json(client, "/api/v1/search/", q="")["items"] == []
    get_json(client, "/api/v1/search/", status=400, limit=500)


def test_unknown_address_under_the_api_is_a_json_404(client):
    for url in ("/api/v1/nothing/", "/api/v2/stories/", "/api/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"


def test_an_address_without_its_slash_is_sent_to_it(client):
    response = client.get("/api/v1/stories?limit=5")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/stories/?limit=5"


def test_openapi_document_describes_the_api(client):
    """``/api/openapi.json`` lists every endpoint, versioned under /api/v1/."""
    data = get_json(client, "/api/openapi.json")
    assert data["openapi"].startswith("3.")
    assert set(data["paths"]) == {
        "/api/v1/stories/",
        "/api/v1/stories/{slug}/",
        "/api/v1/stories/{slug}/ninjs/",
        "/api/v1/hubs/{kind}/{slug}/",
        "/api/v1/search/",
    }


def test_no_docs_page(client):
    """ninja's docs page loads scripts from a CDN, which the CSP refuses: it is off."""
    assert client.get("/api/docs").status_code == 404


# HTTP caching and invalidation --------------------------------------------------------


def test_responses_are_cached_and_validated_like_pages(client):
    """Cache-Control like a page's, an ETag, and a 304 for a client holding the current
    copy; HEAD answered too."""
    story = ArticleFactory()
    for url in (STORIES, story_url(story.slug), f"{story_url(story.slug)}ninjs/"):
        first = client.get(url)
        assert first["X-Cache"] == "miss"
        assert "public" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
        assert first.has_header("ETag")
        again = client.get(url, headers={"if-none-match": first["ETag"]})
        assert again.status_code == 304
        head = client.head(url)
        assert head.status_code == 200 and head.content == b""


def test_staff_get_private_answers(admin_client):
    ArticleFactory()
    response = admin_client.get(STORIES)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_edit_changes_every_api_answer_on_the_next_request(client, backend):  # noqa: F811
    """With the local-memory cache and with Redis: after an edit, the list, the story, its
    ninjs, a linking story, the hub and search answer the new headline at once, and the old
    ETag gets no 304."""
    story = ArticleFactory(headline="Old headline here", people=["Donald Trump"])
    linking = ArticleFactory()
    CrossLinkFactory(source=linking, target=story, placement=1)
    urls = [
        STORIES,
        story_url(story.slug),
        f"{story_url(story.slug)}ninjs/",
        story_url(linking.slug),
        "/api/v1/hubs/people/donald-trump/",
    ]
    before = {url: cached(client, url) for url in urls}
    story.headline = "New headline here"
    story.save()
    for url in urls:
        response = client.get(url, headers={"if-none-match": before[url]["ETag"]})
        assert response.status_code == 200, url
        assert response["X-Cache"] == "miss", url
        assert "New headline here" in response.content.decode(), url


def test_an_unrelated_edit_keeps_the_story_cached(client):
    """Targeted invalidation: the API's story answer declares what it shows, so an edit of
    a story it does not show leaves it in the cache."""
    story, other = ArticleFactory(), ArticleFactory()
    cached(client, story_url(story.slug))
    other.headline = "Something else entirely"
    other.save()
    assert client.get(story_url(story.slug))["X-Cache"] == "hit"


def test_a_story_going_off_leaves_the_list_and_its_address(client):
    story = ArticleFactory()
    cached(client, STORIES)
    cached(client, story_url(story.slug))
    Article.objects.get(pk=story.pk).__class__.objects.filter(pk=story.pk)
    story.status = Article.Status.ARCHIVED
    story.save()
    assert get_json(client, STORIES)["items"] == []
    assert client.get(story_url(story.slug)).status_code == 404


# Query budgets ----------------------------------------------------------------------------


def busy_newsroom(n: int, name: str) -> list[str]:
    """``n`` stories of person ``name`` with ``n`` people and topics each, an author, a
    photo; the first links to the others and carries a notice per link. The API's URLs
    showing them."""
    image = ImageFactory()
    author = AuthorFactory(name=f"{name} Writer")
    stories = [
        ArticleFactory(
            people=[f"{name} {i}" for i in range(n)] + [name],
            countries=["IL", "US"],
            topics=[f"{name} topic {i}" for i in range(n)],
            authors=[author],
            lead_image=image,
        )
        for _ in range(n)
    ]
    for story in stories[1:]:
        CrossLinkFactory(source=stories[0], target=story, placement=1)
        Correction.objects.create(article=stories[0], text=f"Note on {story.pk}", revision=1)
    slug, person = stories[0].slug, stories[0].people.get(name=name).slug
    return [
        f"{STORIES}?person={person}",
        story_url(slug),
        f"{story_url(slug)}ninjs/",
        f"/api/v1/hubs/people/{person}/",
        f"/api/v1/search/?q={name}",
        f"{STORIES}?person={person}&country=israel&topic={person}-topic-0"
        f"&author={author.slug}&section=world",
    ]


# Whole requests, the content generation's query included (as tests/test_query_budgets.py).
BUDGETS = [
    3,  # list: generation, the filter's hub, the page
    7,  # story: generation, story, lead image renditions, links, tags and bylines, notices;
    #     one more for photos in the body (none here)
    7,  # ninjs: the same
    4,  # hub: generation, hub, its count (once per content generation), the page
    3,  # search: generation, results, hubs named
    7,  # list with five hub filters: generation, a query per hub, the page
]


def test_query_counts_do_not_grow_with_the_content(client, no_rate_limits):
    """Each endpoint runs the same queries for 2 stories, tags and links as for 8, within
    its budget."""
    small = busy_newsroom(2, "Small")
    big = busy_newsroom(8, "Big")
    for small_url, big_url, budget in zip(small, big, BUDGETS, strict=True):
        counts = []
        for url in (small_url, big_url):
            caching.timed_changes(caching.generation())  # once per generation, not per page
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            assert response["X-Cache"] == "miss"
            counts.append(len(queries))
        assert counts[0] == counts[1] <= budget, (big_url, counts)


def test_cursor_round_trip():
    """A cursor names the last story's publication time (to the microsecond) and id, and
    decodes to the same key, before 1970 too."""
    story = ArticleFactory()
    story.listed = story.published_at
    key = api.ListingKey.of(story)
    assert api.decode_cursor(api.encode_cursor(key)) == key
    old = api.ListingKey(api.EPOCH - timedelta(days=20_000, microseconds=7), 3)
    assert api.decode_cursor(api.encode_cursor(old)) == old
