"""Live coverage and the breaking-news banner (issue 18): who may start, end and post, what
readers see on the page, in the new-entries endpoint, JSON-LD, feeds and cards, that every
entry is public content like any other (cached, invalidated, 304 when nothing is new), and
the desks' command."""

import json
import re
import time
from datetime import timedelta
from io import StringIO
from unittest import mock

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from articles import caching
from articles.editorial import editing, live
from articles.models import Article, AuditEntry, BreakingNews, LiveEntry
from articles.reader.live import ENTRIES_PER_PAGE
from tests.admin_support import article_data, change_url, make_user
from tests.factories import ArticleFactory, AuthorFactory, draft, scheduled, taken_down
from tests.paging import older_link
from tests.test_caching import settle
from tests.test_cdn import directives

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return ArticleFactory(
        headline="Earthquake strikes the capital",
        published_at=timezone.now() - timedelta(hours=2),
        authors=[AuthorFactory(name="Rita Reporter")],
    )


@pytest.fixture
def covered(story):
    """The story with live coverage running."""
    return live.start_coverage(article=story, actor="test")


def coverage_page(article) -> str:
    return reverse("admin:articles_liveentry_coverage", args=[article.pk])


def endpoint(article, after: str = "") -> str:
    url = reverse("articles:live_entries", args=[article.slug])
    return f"{url}?after={after}" if after else url


def post(article, body="Rescuers reach the old town.", **kwargs) -> LiveEntry:
    return live.post_entry(article=article, body=body, **kwargs)


def json_ld(html: str) -> list[dict]:
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def writer_bylined_on(article, username="wendy"):
    """A writer whose account writes under one of the story's bylines."""
    user = make_user(username, "Writer")
    author = article.authors.first()
    author.user = user
    author.save()
    return user


# Permissions ----------------------------------------------------------------------------------


def test_only_editors_start_and_end_coverage(client, story):
    """A writer, even one bylined on the story, gets 403 for Start and End; an editor starts
    and ends it, each written to the audit log with who did it."""
    client.force_login(writer_bylined_on(story))
    response = client.post(coverage_page(story), {"action": "start"})
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.coverage_started_at is None

    editor = make_user("eddie", "Editor")
    client.force_login(editor)
    assert client.post(coverage_page(story), {"action": "start"}).status_code == 302
    story.refresh_from_db()
    assert story.covered_live

    client.force_login(writer_bylined_on(story, "walt"))
    assert client.post(coverage_page(story), {"action": "end"}).status_code == 403
    client.force_login(editor)
    assert client.post(coverage_page(story), {"action": "end"}).status_code == 302
    story.refresh_from_db()
    assert story.coverage_state() == "ended"
    actions = list(
        AuditEntry.objects.filter(subject_type="article", subject_id=story.pk)
        .order_by("at", "pk")
        .values_list("action", "actor")
    )
    assert actions == [
        (AuditEntry.Action.COVERAGE_STARTED, "eddie"),
        (AuditEntry.Action.COVERAGE_ENDED, "eddie"),
    ]


def test_a_bylined_writer_posts_and_edits_entries_others_may_not(client, covered):
    """The writer whose account has the story's byline posts from the quick form (by their
    byline by default) and edits entries; a writer not bylined gets 403 for both; neither
    writer may delete an entry."""
    writer = writer_bylined_on(covered)
    client.force_login(writer)
    page = client.get(coverage_page(covered)).content.decode()
    assert 'name="body"' in page and "Key event" in page
    response = client.post(
        coverage_page(covered), {"action": "post", "body": "Aftershock felt.", "is_key": "on"}
    )
    assert response.status_code == 302
    entry = LiveEntry.objects.get()
    assert entry.is_key and list(entry.authors.values_list("name", flat=True)) == ["Rita Reporter"]
    edit = reverse("admin:articles_liveentry_change", args=[entry.pk])
    assert 'name="base_revision" value="1"' in client.get(edit).content.decode()
    delete = reverse("admin:articles_liveentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403

    client.force_login(make_user("other", "Writer"))
    assert 'name="body"' not in client.get(coverage_page(covered)).content.decode()
    assert client.post(coverage_page(covered), {"action": "post", "body": "X"}).status_code == 403
    # They may read it (view permission), not change it.
    page = client.get(edit)
    assert page.status_code == 200 and 'name="base_revision"' not in page.content.decode()
    data = {"headline": "", "body": "Changed.", "base_revision": entry.revision}
    assert client.post(edit, data).status_code == 403
    entry.refresh_from_db()
    assert entry.body == "<p>Aftershock felt.</p>" and LiveEntry.objects.count() == 1


def test_a_writer_cannot_post_to_a_story_not_covered_live(client, story):
    """Bylined or not, a writer cannot post before coverage starts or after it ends."""
    client.force_login(writer_bylined_on(story))
    response = client.post(coverage_page(story), {"action": "post", "body": "Too early."})
    assert response.status_code == 403
    live.start_coverage(article=story, actor="test")
    live.end_coverage(article=story, actor="test")
    response = client.post(coverage_page(story), {"action": "post", "body": "Too late."})
    assert response.status_code == 403
    assert not LiveEntry.objects.exists()


def test_an_editor_posting_after_coverage_ended_is_told_why(client, covered):
    client.force_login(make_user("eddie", "Editor"))
    live.end_coverage(article=covered, actor="test")
    response = client.post(coverage_page(covered), {"action": "post", "body": "Late."})
    assert response.status_code == 200
    assert "Not posted: Live coverage of" in response.content.decode()
    assert not LiveEntry.objects.exists()


def test_editors_edit_and_delete_entries_in_the_audit_log(client, covered):
    """An editor's edit is shown as updated; deleting goes back to the coverage page and is
    written to the audit log."""
    entry = post(covered)
    client.force_login(make_user("eddie", "Editor"))
    edit = reverse("admin:articles_liveentry_change", args=[entry.pk])
    data = {
        "headline": "Old town reached",
        "body": "<p>Rescuers reach the old town at last.</p>",
        "base_revision": entry.revision,
    }
    assert client.post(edit, data).status_code == 302
    entry.refresh_from_db()
    assert entry.headline == "Old town reached" and entry.was_updated and entry.revision == 2
    delete = reverse("admin:articles_liveentry_delete", args=[entry.pk])
    response = client.post(delete, {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == coverage_page(covered)
    assert not LiveEntry.objects.exists()
    logged = AuditEntry.objects.get(subject_type="liveentry")
    assert logged.action == AuditEntry.Action.DELETED and logged.actor == "eddie"


def test_an_entry_edited_meanwhile_is_not_overwritten(client, covered):
    """An edit from a form opened before someone else's is refused, saying why."""
    entry = post(covered)
    client.force_login(make_user("eddie", "Editor"))
    edit = reverse("admin:articles_liveentry_change", args=[entry.pk])
    first = {"headline": "", "body": "First edit.", "base_revision": 1}
    second = {"headline": "", "body": "Second edit.", "base_revision": 1}
    assert client.post(edit, first).status_code == 302
    response = client.post(edit, second)
    assert response.status_code == 200
    assert "someone changed this entry" in response.content.decode()
    entry.refresh_from_db()
    assert entry.body == "<p>First edit.</p>"


# The story and its revision -------------------------------------------------------------------


def test_entries_leave_an_open_story_form_valid(client, covered):
    """Entries are their own rows: posting one, even a key event, does not move the story's
    revision, so an editor's story form opened before still saves."""
    client.force_login(make_user("eddie", "Editor"))
    covered.refresh_from_db()
    opened = article_data(covered, standfirst="A new standfirst.")
    post(covered)
    post(covered, is_key=True)
    response = client.post(change_url(covered), opened)
    assert response.status_code == 302, response.content.decode()[:2000]
    covered.refresh_from_db()
    assert covered.standfirst == "A new standfirst."


def test_starting_coverage_moves_the_revision(client, story):
    """Starting and ending change what the story shows: a story form opened before is
    refused rather than writing the old coverage back."""
    client.force_login(make_user("eddie", "Editor"))
    opened = article_data(story, standfirst="Edited meanwhile.")
    live.start_coverage(article=story, actor="test")
    response = client.post(change_url(story), opened)
    assert response.status_code == 200
    assert "Not saved" in response.content.decode()
    story.refresh_from_db()
    assert story.covered_live and story.standfirst != "Edited meanwhile."


def test_a_key_event_moves_the_updated_time_and_a_routine_entry_does_not(covered):
    """Readers see a key event as an update of the story; a routine entry has its own time."""
    covered.refresh_from_db()
    before = covered.updated_at
    post(covered)
    covered.refresh_from_db()
    assert covered.updated_at == before
    key = post(covered, is_key=True)
    covered.refresh_from_db()
    assert covered.updated_at == key.created_at


def test_a_story_save_keeps_a_key_events_updated_time(covered):
    """A story loaded just before a key event is saved after it: the save does not write
    the older updated time back (editing.save_article keeps the later one)."""
    loaded = Article.objects.get(pk=covered.pk)
    key = post(covered, is_key=True)
    loaded.source = "Wire"  # not an update readers see: updated_at stays the key event's
    editing.save_article(article=loaded, base_revision=loaded.revision)
    covered.refresh_from_db()
    assert covered.updated_at == key.created_at


def test_coverage_needs_a_live_story_and_a_running_coverage(story):
    """Clear refusals: a story readers cannot see is not covered; entries need coverage to
    run; an end before now is refused; coverage running cannot be started again."""
    for hidden in (draft(), scheduled()):
        with pytest.raises(ValidationError, match="not live"):
            live.start_coverage(article=hidden, actor="test")
    with pytest.raises(ValidationError, match="has not started"):
        post(story)
    live.start_coverage(article=story, actor="test")
    with pytest.raises(ValidationError, match="running already"):
        live.start_coverage(article=story, actor="test")
    with pytest.raises(ValidationError, match="cannot end before now"):
        live.end_coverage(article=story, at=timezone.now() - timedelta(hours=1), actor="test")
    live.end_coverage(article=story, actor="test")
    with pytest.raises(ValidationError, match="ended on"):
        post(story)
    with pytest.raises(ValidationError):
        post(ArticleFactory(), body="   ")


def test_entry_text_is_sanitised(covered):
    """An entry's HTML goes through the site's sanitiser; plain text becomes paragraphs."""
    html = post(covered, body='<p onclick="x()">Hi<script>alert(1)</script></p>').body
    assert html == "<p>Hi</p>"
    plain = post(covered, body="One & two\n\nThree <3").body
    assert plain == "<p>One &amp; two</p>\n<p>Three &lt;3</p>"


# The reader's page ----------------------------------------------------------------------------


def test_the_page_shows_entries_newest_first_with_anchors_and_key_events(client, covered):
    """Newest first, each with its anchor and time; the key events box links to them; the
    Live marker and the polling script while coverage runs."""
    first = post(covered, body="First entry.")
    key = post(covered, body="Second entry.", headline="Bridge collapses", is_key=True)
    third = post(covered, body="Third entry.")
    html = client.get(covered.get_absolute_url()).content.decode()
    positions = [html.index(f'id="{entry.anchor}"') for entry in (third, key, first)]
    assert positions == sorted(positions)
    assert f'<time datetime="{timezone.localtime(third.created_at).isoformat()[:19]}' in html
    keys = html[html.index('class="key-events"') : html.index("</nav>", html.index("key-events"))]
    assert f'href="#{key.anchor}"' in keys and "Bridge collapses" in keys
    assert 'class="live-marker"' in html
    assert "data-live-poll=" in html and "articles/live.js" in html
    assert 'aria-live="polite"' in html


def test_ended_coverage_says_so_and_stops_polling(client, covered):
    post(covered)
    live.end_coverage(article=covered, actor="test")
    html = client.get(covered.get_absolute_url()).content.decode()
    assert "Coverage ended" in html
    assert "data-live-poll" not in html and "live.js" not in html
    assert 'class="live-marker"' not in html


def test_long_coverage_is_paged_by_time(client, covered):
    """Older entries are on keyset pages (?before=); a key event off the first page is
    linked to the page that starts with it."""
    entries = [
        post(covered, body=f"Entry {n}.", is_key=n == 0) for n in range(ENTRIES_PER_PAGE + 5)
    ]
    url = covered.get_absolute_url()
    html = client.get(url).content.decode()
    assert html.count('<article class="live-entry') == ENTRIES_PER_PAGE
    older = client.get(url + older_link(html)).content.decode()
    assert older.count('<article class="live-entry') == 5
    assert f'id="{entries[0].anchor}"' in older and "data-live-poll" not in older
    link = re.search(r'<nav class="key-events".*?href="([^"]+)"', html, re.S)[1]
    assert link.endswith(f"#{entries[0].anchor}")
    assert f'id="{entries[0].anchor}"' in client.get(url + link.split("#")[0]).content.decode()
    assert client.get(url + "?before=nonsense").status_code == 404


def test_a_story_never_covered_has_no_pages_of_entries(client, story):
    assert (
        client.get(story.get_absolute_url() + "?before=20260101T000000000000Z-5").status_code == 404
    )
    assert 'class="live-coverage"' not in client.get(story.get_absolute_url()).content.decode()


def test_json_ld_is_a_live_blog_posting(client, covered):
    """LiveBlogPosting with its coverage times and a BlogPosting per entry (headline, time,
    author, address with its anchor), parsed as JSON."""
    entry = post(
        covered,
        body="Rescuers reach the <b>old</b> town.",
        authors=[AuthorFactory(name="Desk One")],
    )
    live.end_coverage(article=covered, at=timezone.now() + timedelta(hours=1), actor="test")
    html = client.get(covered.get_absolute_url()).content.decode()
    (posting,) = [block for block in json_ld(html) if block["@type"] == "LiveBlogPosting"]
    assert posting["coverageStartTime"].startswith(
        str(timezone.localtime(covered.coverage_started_at).date())
    )
    assert "coverageEndTime" in posting
    (update,) = posting["liveBlogUpdate"]
    assert update["@type"] == "BlogPosting"
    assert update["headline"] == "Rescuers reach the old town."
    assert update["author"] == [
        {"@type": "Person", "name": "Desk One", "url": "http://testserver/authors/desk-one/"}
    ]
    assert update["url"] == f"http://testserver{covered.get_absolute_url()}#{entry.anchor}"
    assert update["datePublished"]


# The new-entries endpoint --------------------------------------------------------------------


def test_the_endpoint_gives_only_newer_entries(client, covered):
    first = post(covered, body="First.")
    data = client.get(endpoint(covered)).json()
    assert [e["id"] for e in data["entries"]] == [first.anchor] and data["state"] == "live"
    assert f'id="{first.anchor}"' in data["entries"][0]["html"]
    second = post(covered, body="Second.", is_key=True)
    newer = client.get(endpoint(covered, data["after"])).json()
    assert [e["id"] for e in newer["entries"]] == [second.anchor]
    assert client.get(endpoint(covered, newer["after"])).json()["entries"] == []


def test_the_endpoint_answers_304_when_nothing_is_new(client, covered):
    """A poll with nothing new is a cache hit, and a 304 for a browser holding the answer,
    even after unrelated content changed; a new entry gets a 200 with it."""
    post(covered)
    after = client.get(endpoint(covered)).json()["after"]
    url = endpoint(covered, after)
    response = client.get(url)
    assert response.status_code == 200 and response.json()["entries"] == []
    etag = response["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    ArticleFactory(headline="Unrelated story")  # a new content generation
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    entry = post(covered, body="News.")
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200 and response.json()["entries"][0]["id"] == entry.anchor
    assert "max-age=10" in response["Cache-Control"]


def test_the_endpoint_of_a_story_not_covered_live(client, story):
    """No coverage: 404; a draft: 404; taken down: 410 with nothing of it; an old address:
    301 to the story's own endpoint; a malformed key: 404."""
    assert client.get(endpoint(story)).status_code == 404
    assert client.get(endpoint(draft())).status_code == 404
    gone = taken_down(headline="A story taken down")
    response = client.get(endpoint(gone))
    assert response.status_code == 410 and response.json() == {"state": "gone"}
    live.start_coverage(article=story, actor="test")
    story.refresh_from_db()
    story.slug = "earthquake-latest"
    editing.save_article(article=story, base_revision=story.revision)
    response = client.get(reverse("articles:live_entries", args=["earthquake-strikes-the-capital"]))
    assert response.status_code == 301
    assert response["Location"] == reverse("articles:live_entries", args=["earthquake-latest"])
    assert client.get(endpoint(story, "bad")).status_code == 404


def test_the_endpoint_reads_only_its_declared_parameter(client, covered):
    post(covered)
    plain = client.get(endpoint(covered))
    tracked = client.get(endpoint(covered) + "?utm_source=x")
    assert tracked["X-Cache"] == "hit" and tracked.content == plain.content


# Public content: caching and invalidation -----------------------------------------------------


def test_every_entry_write_shows_on_the_next_request(client, covered):
    """The cached page changes with a new entry, an edit and a deletion."""
    url = covered.get_absolute_url()
    client.get(url)
    entry = post(covered, body="Fresh entry.")
    assert "Fresh entry." in client.get(url).content.decode()
    client.get(url)
    entry.body = "Edited entry."
    live.save_entry(entry=entry, base_revision=1)
    assert "Edited entry." in client.get(url).content.decode()
    live.delete_entry(entry=LiveEntry.objects.get(), actor="test")
    assert "Edited entry." not in client.get(url).content.decode()


def test_a_live_page_is_fresh_for_ten_seconds(client, covered):
    response = client.get(covered.get_absolute_url())
    assert "max-age=10" in response["Cache-Control"]


def test_cards_show_the_live_marker_while_coverage_runs(client, covered):
    """Front page, archive and the story's hubs mark it Live; not once coverage ended."""
    urls = ["/", "/archive/", covered.authors.first().get_absolute_url()]
    for url in urls:
        assert 'class="live-marker"' in client.get(url).content.decode(), url
    live.end_coverage(article=covered, actor="test")
    for url in urls:
        assert 'class="live-marker"' not in client.get(url).content.decode(), url


def test_coverage_reaching_its_end_time_changes_cached_pages(client, story):
    """An end set in advance bounds how long pages are kept, as a scheduled story does."""
    live.start_coverage(article=story, ends_at=timezone.now() + timedelta(seconds=1), actor="test")
    assert 'class="live-marker"' in client.get("/").content.decode()
    assert caching.expiry(caching.generation(), 3600) <= story.coverage_ends_at
    time.sleep(1.1)
    assert 'class="live-marker"' not in client.get("/").content.decode()
    assert "Coverage ended" in client.get(story.get_absolute_url()).content.decode()


@pytest.mark.parametrize("timed", ["coverage end", "banner expiry"])
def test_cdn_copies_never_outlive_a_coverage_end_or_a_banner_expiry(client, story, settings, timed):
    """max-age, s-maxage and stale-while-revalidate of any page (the front page, the
    covered story's, its endpoint) never reach past the end of live coverage or the
    banner's expiry, as they never reach past a scheduled publication: a CDN may not serve,
    even stale, a page still marking the story Live or showing an expired banner."""
    at = timezone.now() + timedelta(seconds=100)
    live.start_coverage(article=story, ends_at=at if timed == "coverage end" else None, actor="t")
    if timed == "banner expiry":
        banner(expires_at=at)
    settings.NEWSROOM_HTTP_SHARED_MAX_AGE = 3600
    for before in (90, 30, 1):
        with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=before)):
            for url in ["/", story.get_absolute_url(), endpoint(story)]:
                found = directives(client.get(url))
                longest = max(found["max-age"], found["s-maxage"])
                assert longest + found["stale-while-revalidate"] <= before, (url, found)


# Feeds ----------------------------------------------------------------------------------------


def test_feed_items_lead_with_the_latest_key_event(client, covered):
    """The story's item keeps its id, takes the key event's time as its updated time and
    opens with it; routine entries do not show."""
    feed_url = reverse("articles:feed", args=["atom"])
    before = feedparser.parse(client.get(feed_url).content).entries[0]
    post(covered, body="Routine entry.")
    key = post(covered, body="Dam breaks north of the city.", headline="Dam breaks", is_key=True)
    after = feedparser.parse(client.get(feed_url).content).entries[0]
    assert after.id == before.id
    assert after.updated_parsed != before.updated_parsed
    content = after.content[0].value
    assert content.index("Dam breaks north of the city.") < content.index("Paragraph 1")
    assert "Routine entry." not in content
    assert key.anchor in content
    for fmt in ("rss", "json"):
        body = client.get(reverse("articles:feed", args=[fmt])).content.decode()
        assert "Dam breaks north of the city." in body


# The breaking-news banner ------------------------------------------------------------------------


def banner(**kwargs) -> BreakingNews:
    fields = {
        "text": "Earthquake hits the capital",
        "expires_at": timezone.now() + timedelta(hours=1),
    }
    return BreakingNews.objects.create(**(fields | kwargs))


def test_the_banner_is_on_every_public_page_until_cleared(client, story):
    """Set in the admin, it is on the next request of every page (the cached ones too);
    cleared, it is gone from the next one."""
    pages = ["/", "/archive/", story.get_absolute_url(), "/news/no-such-story/", "/search/?q=x"]
    for url in pages:
        assert "breaking-news" not in client.get(url).content.decode()
    editor = make_user("eddie", "Editor")
    client.force_login(editor)
    add = reverse("admin:articles_breakingnews_add")
    expires = timezone.localtime() + timedelta(hours=1)
    response = client.post(
        add,
        {
            "text": "Earthquake hits the capital: follow live",
            "link": story.get_absolute_url(),
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302
    client.logout()
    for url in pages:
        html = client.get(url).content.decode()
        assert "Earthquake hits the capital: follow live" in html, url
        assert f'href="{story.get_absolute_url()}">Earthquake' in html
    client.force_login(editor)
    changelist = reverse("admin:articles_breakingnews_changelist")
    selected = {"action": "clear_selected", "_selected_action": [BreakingNews.objects.get().pk]}
    assert client.post(changelist, selected).status_code == 302
    client.logout()
    for url in pages:
        assert "breaking-news" not in client.get(url).content.decode(), url


def test_the_banner_expires_by_itself(client):
    """At its expiry the banner leaves every page, cached ones included, and a browser
    asking whether its copy from before (with the banner) is still good is told it is not:
    the expiry moves Last-Modified, as a scheduled story going live does."""
    # In a later second than the banner's own (Last-Modified counts whole seconds, and a
    # change within the second of a client's copy is the ETag's to tell).
    expires = timezone.now().replace(microsecond=0) + timedelta(seconds=2)
    banner(expires_at=expires)
    settle()
    before = client.get("/")
    assert "Earthquake hits the capital" in before.content.decode()
    time.sleep((expires - timezone.now()).total_seconds() + 0.1)
    response = client.get("/", headers={"if-modified-since": before["Last-Modified"]})
    assert response.status_code == 200
    assert "Earthquake hits the capital" not in response.content.decode()


def test_the_newest_banner_wins(client):
    banner(text="Older banner")
    banner(text="Newer banner")
    html = client.get("/").content.decode()
    assert "Newer banner" in html and "Older banner" not in html


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "//evil.example/",
        "ftp://example.org/x",
        "data:text/html,x",
        "/\\evil",
    ],
)
def test_the_banner_link_is_a_web_or_site_address(link):
    with pytest.raises(ValidationError):
        BreakingNews(
            text="x", link=link, expires_at=timezone.now() + timedelta(hours=1)
        ).full_clean()


@pytest.mark.parametrize("link", ["", "/news/earthquake/", "https://example.org/live?x=1"])
def test_good_banner_links_are_kept(link):
    BreakingNews(text="x", link=link, expires_at=timezone.now() + timedelta(hours=1)).full_clean()


def test_writers_cannot_set_the_banner(client):
    client.force_login(make_user("wendy", "Writer"))
    assert client.get(reverse("admin:articles_breakingnews_add")).status_code == 403


# The command ----------------------------------------------------------------------------------


def test_add_live_entry_starts_coverage_and_posts(story):
    AuthorFactory(name="Desk One")
    out = StringIO()
    call_command(
        "add_live_entry",
        story.slug,
        "--text",
        "Rescuers reach the old town.\n\nMore soon.",
        "--key",
        "--author",
        "desk one",
        "--headline",
        "Old town reached",
        "--start",
        stdout=out,
    )
    entry = LiveEntry.objects.get()
    assert entry.is_key and entry.headline == "Old town reached"
    assert entry.body == "<p>Rescuers reach the old town.</p>\n<p>More soon.</p>"
    assert list(entry.authors.values_list("name", flat=True)) == ["Desk One"]
    assert "Started live coverage" in out.getvalue() and entry.anchor in out.getvalue()
    assert (
        AuditEntry.objects.get(action=AuditEntry.Action.COVERAGE_STARTED).actor == "add_live_entry"
    )
    call_command("add_live_entry", story.slug, "--text", "Second.", "--start", stdout=StringIO())
    assert LiveEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("make", "options", "message"),
    [
        (None, ["no-such-story", "--text", "x"], "No story has the address"),
        ("story", ["--text", "x"], "has not started.*--start"),
        ("story", ["--text", "x", "--author", "Nobody", "--start"], "No author is named"),
        ("story", ["--text", "   ", "--start"], "Write the entry"),
        ("draft", ["--text", "x", "--start"], "is not live"),
    ],
)
def test_add_live_entry_errors(story, make, options, message):
    if make == "draft":
        options = [draft(headline="A draft").slug, *options]
    elif make == "story":
        options = [story.slug, *options]
    with pytest.raises(CommandError, match=message):
        call_command("add_live_entry", *options, stdout=StringIO())
    assert not LiveEntry.objects.exists()
    story.refresh_from_db()
    assert story.coverage_started_at is None


def test_staff_preview_shows_the_coverage_privately(client, covered):
    """The preview shows what readers will see, entries included, and is never shared."""
    entry = post(covered, body="Seen in the preview.")
    client.force_login(make_user("eddie", "Editor"))
    response = client.get(reverse("articles:preview", args=[covered.pk]))
    assert f'id="{entry.anchor}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
