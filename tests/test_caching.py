"""The public page cache and the HTTP caching headers (newsroom/middleware.py, articles/caching.py).

Every change a reader could see must show on the very next request, with the local-memory
cache and with real Redis alike; the lead extends these to hubs, feeds and sitemaps.
"""

import re
import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from django.utils.http import parse_http_date
from django.views.decorators.cache import never_cache

from articles import caching
from articles.editorial.editing import archive
from articles.models import Article, ContentChange, CrossLink
from tests import outages
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, draft


def sets_a_cookie(request):
    response = HttpResponse("Signed up")
    response.set_cookie("newsletter", "yes")
    return response


@never_cache
def not_for_sharing(request):
    return HttpResponse("Only for you")


def varies_on_language(request):
    response = HttpResponse("Hello")
    response["Vary"] = "Accept-Language"
    return response


urlpatterns = [
    path("test/cookie/", sets_a_cookie),
    path("test/never/", not_for_sharing),
    path("test/vary/", varies_on_language),
    path("", include("newsroom.urls")),
]


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings, db):
    if request.param == "redis":
        config = outages.real_redis_cache()
        settings.CACHES = config
        yield request.param
        outages.forget(config)
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        yield request.param


def cached(client, url):
    """Request ``url`` twice and check the second answer came from the cache, or, for a
    404 (never stored, see newsroom.middleware), that it was rendered again."""
    client.get(url)
    response = client.get(url)
    expected = "miss" if response.status_code == 404 else "hit"
    assert response["X-Cache"] == expected, f"{url}: {response.status_code} {response['X-Cache']}"
    return response


def settle():
    """Wait for the next whole second: a page rendered in the second its content last
    changed carries no Last-Modified (``caching.settled``), only its ETag."""
    time.sleep(1.01 - time.time() % 1)


def relink(link, target):
    link.target = target
    link.save()


def max_age(response) -> int:
    return int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))


def test_second_request_is_served_from_the_cache(client, backend, django_assert_num_queries):
    """An anonymous reader's repeat request costs one tiny query, for the content generation
    that every process reads from the database (articles.caching), and nothing else."""
    story = ArticleFactory(headline="Ceasefire holds for a third day")
    for url in ("/", story.get_absolute_url()):
        first = client.get(url)
        assert first["X-Cache"] == "miss"
        with django_assert_num_queries(1) as captured:
            second = client.get(url)
        assert "articles_contentchange" in captured.captured_queries[0]["sql"]
        assert second["X-Cache"] == "hit"
        assert second.content == first.content
        assert "Ceasefire holds for a third day" in second.text


def test_publishing_shows_on_the_next_request(client, backend):
    """Publishing a draft puts it on the front page and its own page at once."""
    story = draft(headline="Talks resume in Doha")
    assert "Talks resume in Doha" not in cached(client, "/").text
    assert client.get(story.get_absolute_url()).status_code == 404

    story.status = Article.Status.PUBLISHED
    story.published_at = timezone.now() - timedelta(minutes=1)
    story.save()

    assert "Talks resume in Doha" in client.get("/").text
    assert client.get(story.get_absolute_url()).status_code == 200


def test_editing_shows_on_the_next_request(client, backend):
    """A corrected headline replaces the old one on the front page and the story page."""
    story = ArticleFactory(headline="Minister resigns over budget")
    cached(client, "/")
    cached(client, story.get_absolute_url())

    story.headline = "Minister offers to resign over budget"
    story.save()

    for url in ("/", story.get_absolute_url()):
        text = client.get(url).text
        assert "Minister offers to resign over budget" in text
        assert "Minister resigns over budget" not in text


def test_archiving_and_deleting_show_on_the_next_request(client, backend):
    """An archived story leaves the front page and its page is gone; so is a deleted one."""
    archived = ArticleFactory(headline="Story to archive")
    deleted = ArticleFactory(headline="Story to delete")
    cached(client, "/")
    cached(client, archived.get_absolute_url())
    cached(client, deleted.get_absolute_url())

    archived.status = Article.Status.ARCHIVED
    archived.save()
    deleted_url = deleted.get_absolute_url()
    deleted.delete()

    front = client.get("/").text
    assert "Story to archive" not in front
    assert "Story to delete" not in front
    assert client.get(archived.get_absolute_url()).status_code == 404
    assert client.get(deleted_url).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda a, b: CrossLink.objects.create(source=a, target=b), id="link"),
        pytest.param(lambda a, b: a.links_out.all().delete(), id="unlink"),
        pytest.param(lambda a, b: relink(a.links_out.get(), b), id="relink"),
        pytest.param(lambda a, b: a.people.add("Joe Biden"), id="tag"),
        pytest.param(lambda a, b: a.countries.clear(), id="untag"),
        pytest.param(lambda a, b: a.bylines.create(author=AuthorFactory()), id="byline"),
        pytest.param(lambda a, b: SectionFactory(name="World").save(), id="section"),
        pytest.param(lambda a, b: a.links_out.get().target.save(), id="linked-story"),
    ],
)
def test_any_change_to_public_content_renders_pages_afresh(client, backend, change):
    """Links, tags, bylines, sections and linked stories all invalidate the cached pages
    showing them (here the story's page and the site feed, whose items show its links, tags,
    bylines and section), so Also Read boxes, hubs and lists can never show what was true
    before."""
    source = ArticleFactory(countries=["Israel"])
    target = ArticleFactory()
    CrossLink.objects.create(source=source, target=ArticleFactory())
    for url in ("/feed/rss/", source.get_absolute_url()):
        cached(client, url)

    change(source, target)

    for url in ("/feed/rss/", source.get_absolute_url()):
        assert client.get(url)["X-Cache"] == "miss"


def test_scheduled_story_appears_at_its_time(client, backend):
    """A scheduled story shows up at its publication time with no cron job and no save: the
    pages cached before are good until then and not a moment longer."""
    ArticleFactory(headline="Already out")
    at = timezone.now() + timedelta(seconds=30)
    story = ArticleFactory(headline="Embargoed budget statement", published_at=at)

    front = cached(client, "/")
    assert "Embargoed budget statement" not in front.text
    assert max_age(front) <= 30  # nor may a CDN keep it past the publication
    assert client.get(story.get_absolute_url()).status_code == 404

    with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=1)):
        assert client.get("/")["X-Cache"] == "hit"
    with mock.patch("django.utils.timezone.now", return_value=at + timedelta(seconds=1)):
        assert "Embargoed budget statement" in client.get("/").text
        assert client.get(story.get_absolute_url()).status_code == 200


def test_staff_are_not_served_cached_pages(client, backend, admin_user):
    """Logged-in staff always get the page rendered for them, never the public copy."""
    story = ArticleFactory(headline="Original headline")
    cached(client, "/")
    # Changed behind the cache's back (no signals), so the public copy is now stale.
    Article.objects.filter(pk=story.pk).update(headline="Quietly changed headline")

    staff = Client()
    staff.force_login(admin_user)
    response = staff.get("/")
    assert "Quietly changed headline" in response.text
    assert "X-Cache" not in response
    assert response["Cache-Control"] == "private, no-store"
    assert "Original headline" in client.get("/").text  # the public copy was not replaced


def test_staff_do_not_fill_the_public_cache(client, backend, admin_user):
    """A page rendered for staff is never stored for readers."""
    story = ArticleFactory(headline="Original headline")
    staff = Client()
    staff.force_login(admin_user)
    staff.get("/")
    staff.get(story.get_absolute_url())
    Article.objects.filter(pk=story.pk).update(headline="Quietly changed headline")

    assert "Quietly changed headline" in client.get("/").text
    assert "Quietly changed headline" in client.get(story.get_absolute_url()).text


# HTTP caching headers


@pytest.mark.parametrize("hit", [False, True], ids=["miss", "hit"])
def test_public_pages_tell_cdns_how_long_to_keep_them(client, db, hit):
    """Anonymous pages carry validators and a public Cache-Control a CDN can act on."""
    story = ArticleFactory()
    settle()
    for url in ("/", story.get_absolute_url()):
        response = cached(client, url) if hit else client.get(url)
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"public", "max-age=60", "stale-while-revalidate=60"} <= directives
        assert response["ETag"]
        assert response["Last-Modified"]
        assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("hit", [False, True], ids=["miss", "hit"])
def test_conditional_get_answers_not_modified(client, db, hit):
    """A reader or CDN holding the current page gets a 304 with no body."""
    story = ArticleFactory()
    settle()
    url = story.get_absolute_url()
    page = client.get(url)
    if hit:
        cached(client, url)
    unchanged = client.get(url, headers={"if-none-match": page["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert "public" in unchanged["Cache-Control"]
    since = client.get(url, headers={"if-modified-since": page["Last-Modified"]})
    assert since.status_code == 304


def test_changed_page_is_not_answered_not_modified(client, db):
    """After an edit the old ETag no longer matches: the reader gets the new page."""
    story = ArticleFactory(headline="First version")
    etag = client.get(story.get_absolute_url())["ETag"]
    story.headline = "Second version"
    story.save()
    response = client.get(story.get_absolute_url(), headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "Second version" in response.text


def test_head_request_is_served_like_get(client, db):
    """HEAD requests share the cached page and its headers (the body is dropped on the way
    out, not in the cache)."""
    ArticleFactory()
    get = client.get("/")
    head = client.head("/")
    assert head.status_code == 200
    assert head["X-Cache"] == "hit"
    assert head["ETag"] == get["ETag"]
    assert head["Content-Length"] == str(len(get.content))
    Client().head("/archive/")  # a HEAD fills the cache whole, for the GETs after it
    assert client.get("/archive/")["X-Cache"] == "hit"
    assert client.get("/archive/").content


def test_admin_and_sessions_are_never_stored_downstream(client, db, admin_user):
    """The admin, and any response to a request with a session, is private and not stored."""
    ArticleFactory()
    assert client.get("/admin/login/")["Cache-Control"] == "private, no-store"
    client.force_login(admin_user)
    for url in ("/", "/admin/", "/no-such-page/"):
        assert client.get(url)["Cache-Control"] == "private, no-store"


@pytest.mark.urls("tests.test_caching")
@pytest.mark.parametrize("url", ["/test/cookie/", "/test/never/", "/test/vary/"])
def test_responses_meant_for_one_client_are_not_shared(client, db, url):
    """A response that sets a cookie, opts out with never_cache, or varies on more than the
    URL is neither stored nor marked public."""
    client.get(url)
    response = client.get(url)
    assert "X-Cache" not in response
    assert "public" not in response.get("Cache-Control", "")


def test_pages_are_not_shared_past_the_next_scheduled_publication(client, db):
    """max-age shrinks as a scheduled publication approaches."""
    ArticleFactory()
    at = timezone.now() + timedelta(seconds=20)
    ArticleFactory(published_at=at)
    assert max_age(client.get("/")) <= 20
    with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=5)):
        assert max_age(client.get("/")) <= 5


def test_redirects_are_cached_too(client, db):
    """A redirect (here CommonMiddleware's added slash) is cached and shared like a page."""
    story = ArticleFactory()
    url = story.get_absolute_url().rstrip("/")
    first = client.get(url)
    assert first.status_code == 301
    assert first["Location"] == story.get_absolute_url()
    second = client.get(url)
    assert second.status_code == 301
    assert second["X-Cache"] == "hit"
    assert "public" in second["Cache-Control"]


@pytest.mark.django_db
def test_page_cache_switch_off_renders_every_request(client, settings):
    """NEWSROOM_PAGE_CACHE=off (for uncached benchmarks) serves every request from the view."""
    settings.NEWSROOM_PAGE_CACHE = False
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Cache"] == "miss"


def test_not_modified_from_a_view_is_shared_like_the_page(client, db):
    """A 304 the view answers itself (feeds check their ETag before rendering) tells a CDN
    no more than a page would: not past the next scheduled publication, and Vary: Cookie."""
    ArticleFactory()
    ArticleFactory(published_at=timezone.now() + timedelta(seconds=20))
    etag = client.get("/feed/rss/")["ETag"]
    cache.clear()  # as on another worker, which does not have the feed cached yet
    response = client.get("/feed/rss/", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert "X-Cache" not in response
    assert max_age(response) <= 20
    assert "Cookie" in response["Vary"]


# The content generation (articles.caching) ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_change_moves_the_generation_now_and_again_on_commit():
    """Inside the transaction the change is seen at once by the request making it; after
    the commit there is a newer generation still, for pages other requests rendered from
    the data before the commit."""
    before = caching.generation()
    with transaction.atomic():
        caching.content_changed()
        during = caching.generation()
        assert during != before
    assert caching.generation() not in (before, during)
    assert caching.changed_at(caching.generation()) >= caching.changed_at(during)


@pytest.mark.django_db(transaction=True)
def test_old_content_changes_are_pruned(monkeypatch):
    """The table of changes stays small: now and then the old rows go, outside editors'
    transactions (deleting inside one would lock rows another editor's save may need)."""
    monkeypatch.setattr(caching, "PRUNE_EVERY", 5)
    monkeypatch.setattr(caching, "KEEP_CHANGES", 10)
    with transaction.atomic():
        for _ in range(30):
            caching.content_changed()
        assert ContentChange.objects.count() >= 30
    for _ in range(30):
        caching.content_changed()
    assert ContentChange.objects.count() <= 15
    newest = ContentChange.objects.first()
    assert caching.generation().endswith(f"-{newest.pk}")


def test_a_story_going_live_moves_last_modified(client, db):
    """A page's Last-Modified is the generation's time, or a scheduled story's going live
    since, whichever is later: a reader holding the page from before the story went live
    (If-Modified-Since, no ETag) gets the new page, not a 304."""
    at = timezone.now() + timedelta(seconds=30)
    ArticleFactory(headline="Embargoed budget statement", published_at=at)
    settle()
    page = client.get("/")
    with mock.patch("django.utils.timezone.now", return_value=at + timedelta(seconds=5)):
        response = client.get("/", headers={"if-modified-since": page["Last-Modified"]})
    assert response.status_code == 200
    assert "Embargoed budget statement" in response.text


@pytest.fixture
def database_hung(transactional_db, monkeypatch):
    """The database at an address that accepts connections and never answers: what a
    frozen PostgreSQL looks like to a new connection (it waits for connect_timeout)."""
    outages.require_postgresql()
    outages.forget_database_failures(monkeypatch)
    connection = connections[DEFAULT_DB_ALIAS]
    real = dict(connection.settings_dict)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield lambda: (
            connection.close(),
            connection.settings_dict.update(HOST="127.0.0.1", PORT=str(silent.getsockname()[1])),
        )
        connection.close()
        connection.settings_dict.update(HOST=real["HOST"], PORT=real["PORT"])


def test_a_hung_database_is_waited_for_once_not_on_every_request(client, database_hung):
    """While the database does not answer, cached pages are served under the generation
    last seen; only the first request waits to find that out, not every reader."""
    ArticleFactory(headline="Election results in full")
    client.get("/")
    database_hung()

    started = time.monotonic()
    assert "Election results in full" in client.get("/").text
    assert time.monotonic() - started > 1  # it did wait for the database, once
    started = time.monotonic()
    for _ in range(5):
        assert client.get("/")["X-Cache"] == "hit"
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("url", ["/", "/archive/", "/feed/rss/", "/feed/json/"])
def test_a_copy_from_the_second_of_a_change_is_not_confirmed_by_date(client, db, url):
    """Two changes in one second: a reader holding the page from between them and asking
    with If-Modified-Since alone (a feed reader, a browser, a CDN without the ETag) must get
    the new page, not a 304 keeping the story since taken off the site. Last-Modified
    counts whole seconds, so a page rendered in the second of its last change has none."""
    ArticleFactory(headline="Stays on the site")
    leaving = ArticleFactory(headline="Leaves the site")
    settle()  # all that follows within the next second
    caching.content_changed(keys=[caching.LATEST])
    copy = client.get(url)
    assert "Leaves the site" in copy.text
    archive(article=leaving)
    since = {"if-modified-since": copy.get("Last-Modified", "")}
    assert client.get(url, headers=since).status_code == 200


@pytest.mark.parametrize("url", ["/", "/feed/rss/"])
def test_a_page_from_the_second_of_a_change_is_dated_once_that_second_is_over(client, db, url):
    """The copy kept from the second of its last change has its ETag only while that second
    lasts; served from the cache after it, it carries the date, which then confirms it."""
    ArticleFactory(headline="Harbour reopens")
    caching.content_changed(keys=[caching.LATEST])
    changed = caching.changed_at(caching.generation())
    # Rendered in that second however long the lines above took (a busy CI machine).
    with mock.patch("django.utils.timezone.now", return_value=changed):
        first = client.get(url)
    assert first["X-Cache"] == "miss" and not first.has_header("Last-Modified")
    later = timezone.now() + timedelta(seconds=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        hit = client.get(url)
        assert hit["X-Cache"] == "hit"
        dated = hit["Last-Modified"]
        since = {"if-modified-since": dated}
        assert client.get(url, headers=since).status_code == 304
    assert parse_http_date(dated) == int(caching.changed_at(caching.generation()).timestamp())
