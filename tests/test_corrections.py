"""Corrections and clarifications: who may add them, where readers see them, and that they
follow the story's publication on every surface (issue 15 item 2)."""

import json
import re
from datetime import datetime, timedelta

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime

from articles.editorial.corrections import publish_notice
from articles.models import Article, AuditEntry, Correction
from articles.reader import views
from tests.admin_support import change_url, make_user
from tests.factories import ArticleFactory, archived, draft, in_review, scheduled
from tests.paging import newer_link, older_link
from tests.test_pages import news_article

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_correction_add")
CORRECTIONS = reverse("articles:corrections")
FEEDS = {fmt: reverse("articles:corrections_feed", args=[fmt]) for fmt in ("rss", "atom", "json")}
HIDDEN = {"draft": draft, "in review": in_review, "scheduled": scheduled, "archived": archived}


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


@pytest.fixture
def story():
    return ArticleFactory(
        headline="Minister resigns over budget leak",
        published_at=timezone.now() - timedelta(days=2),
        people=["Asha Rao"],
    )


def notice_data(article, **overrides) -> dict:
    """What the notice form posts: a correction dated now, for the story's current revision."""
    now = localtime()
    return {
        "article": article.pk,
        "kind": Correction.Kind.CORRECTION,
        "text": "An earlier version gave the minister's age as 54. She is 45.",
        "at_0": now.strftime("%Y-%m-%d"),
        "at_1": now.strftime("%H:%M:%S"),
        "revision": "",
    } | overrides


def add(article, kind=Correction.Kind.CORRECTION, text="The minister is 45, not 54.", at=None):
    """A notice added as an editor adds one (``publish_notice``), a little after ``at``."""
    notice = Correction(article=article, kind=kind, text=text, at=at or timezone.now())
    return publish_notice(notice=notice)


def page_of(client, article) -> str:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# Editors, and only editors, on live stories only ---------------------------------------


def test_an_editor_adds_a_correction_recorded_with_the_revision_it_speaks_for(
    client, editor, story
):
    """The notice names the story's revision at the time (the version readers saw), the
    story moves on a revision and an updated time, and the audit log says who corrected it."""
    before = story.revision
    response = client.post(ADD_URL, notice_data(story))
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = Correction.objects.get()
    story.refresh_from_db()
    assert (notice.revision, notice.created_by, notice.article) == (before, editor, story)
    assert story.revision == before + 1
    assert story.updated_at >= notice.at - timedelta(seconds=1)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.title) == ("eddie", "corrected", story.headline)
    assert entry.detail.startswith("Correction added: An earlier version")


def test_the_notice_may_name_an_earlier_revision_but_not_a_later_one(client, editor, story):
    Article.objects.filter(pk=story.pk).bump_revision()
    response = client.post(ADD_URL, notice_data(story, revision=5))
    assert "The story is at revision 2" in response.content.decode()
    assert not Correction.objects.exists()
    assert client.post(ADD_URL, notice_data(story, revision=1)).status_code == 302
    assert Correction.objects.get().revision == 1


def test_a_notice_cannot_be_dated_in_the_future_or_before_publication(client, editor, story):
    later = localtime() + timedelta(days=1)
    earlier = localtime(story.published_at) - timedelta(days=1)
    for moment, message in ((later, "in the future"), (earlier, "before the story was published")):
        data = notice_data(
            story, at_0=moment.strftime("%Y-%m-%d"), at_1=moment.strftime("%H:%M:%S")
        )
        assert message in client.post(ADD_URL, data).content.decode()
    assert not Correction.objects.exists()


@pytest.mark.parametrize("status", list(HIDDEN))
def test_a_story_readers_cannot_see_takes_no_notice(client, editor, status):
    """Drafts, stories in review, scheduled and archived ones: a clear error, nothing
    written, the story untouched."""
    hidden = HIDDEN[status]()
    response = client.post(ADD_URL, notice_data(hidden))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Only a story readers can see takes a correction" in page
    assert not Correction.objects.exists()
    assert not AuditEntry.objects.exists()
    assert Article.objects.get(pk=hidden.pk).revision == hidden.revision


def test_writers_may_not_add_amend_or_list_notices(client, story):
    """A writer gets 403 on every notice page, whatever they post; nothing is written."""
    client.force_login(make_user("wanda", "Writer"))
    notice = add(story)
    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, notice_data(story)).status_code == 403
    amend = reverse("admin:articles_correction_change", args=[notice.pk])
    assert client.post(amend, notice_data(story, text="Rewritten")).status_code == 403
    assert client.get(reverse("admin:articles_correction_changelist")).status_code == 403
    assert list(Correction.objects.values_list("text", flat=True)) == [notice.text]


def test_an_editor_amends_a_notice_but_deletes_none(client, editor, story):
    """Amending moves the story on and is recorded; the story cannot be changed from the
    notice; no one deletes a notice from the admin."""
    notice = add(story)
    story.refresh_from_db()
    other = ArticleFactory()
    amend = reverse("admin:articles_correction_change", args=[notice.pk])
    response = client.post(
        amend, notice_data(other, text="The minister is 45.", revision=notice.revision)
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.text, notice.article_id) == ("The minister is 45.", story.pk)
    assert Article.objects.get(pk=story.pk).revision == story.revision + 1
    assert AuditEntry.objects.latest("pk").detail == "Correction amended: The minister is 45."
    delete = reverse("admin:articles_correction_delete", args=[notice.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Correction.objects.filter(pk=notice.pk).exists()


def test_the_story_form_lists_its_notices_and_offers_to_add_one(client, editor, story):
    add(story, text="The minister is 45, not 54.")
    page = client.get(change_url(story)).content.decode()
    assert "The minister is 45, not 54." in page
    assert f"{ADD_URL}?article={story.pk}" in page
    response = client.get(ADD_URL, {"article": story.pk})
    assert response.context["adminform"].form.initial["article"] == str(story.pk)


def test_a_story_form_opened_before_a_notice_is_stale(client, editor, story):
    """Adding a notice moves the story's revision: a form opened before it is refused
    rather than saved over the newer story."""
    from tests.admin_support import article_data

    opened = article_data(story, status=Article.Status.PUBLISHED)
    add(story)
    response = client.post(change_url(story), opened | {"headline": "Overwritten"})
    assert response.status_code == 200
    assert "Not saved" in response.content.decode()
    assert Article.objects.get(pk=story.pk).headline == story.headline


def test_notice_text_is_plain_one_line_and_bounded():
    """White space and control characters are collapsed; empty and overlong text refused."""
    story = ArticleFactory()
    notice = add(story, text="  Two\n\nlines\x00 and\ttabs.  ")
    assert notice.text == "Two lines and tabs."
    from django.core.exceptions import ValidationError

    for bad in (" \n ", "x" * 2001):
        with pytest.raises(ValidationError):
            add(story, text=bad)
    assert Correction.objects.count() == 1


# The article page ------------------------------------------------------------------------


def test_a_correction_leads_the_story_and_a_clarification_follows_it(client, story):
    """Each in a region named by its heading, dated with a <time datetime>, in that place."""
    correction = add(story, text="The minister is 45, not 54.")
    clarification = add(story, kind=Correction.Kind.CLARIFICATION, text="The leak was a draft.")
    page = page_of(client, story).split("<body>", 1)[1]
    body = page.index('class="story-body"')
    assert page.index(correction.text) < body < page.index(clarification.text)
    assert page.index("<h1>") < page.index(correction.text)
    for kind, notice in (("corrections", correction), ("clarifications", clarification)):
        assert f'aria-labelledby="{kind}-heading"' in page
        assert re.search(rf'<h2 id="{kind}-heading">{kind[:-1].title()}</h2>', page)
        stamp = localtime(notice.at).replace(microsecond=0).isoformat()
        assert f'id="notice-{notice.pk}"><time datetime="{stamp}">' in page


def test_notice_text_is_escaped_everywhere(client, story):
    """Markup in a notice is shown as text on the page, /corrections/ and in JSON-LD."""
    add(story, text="<script>alert(1)</script> & <b>bold</b>")
    for url in (story.get_absolute_url(), CORRECTIONS):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    ld = news_article(page_of(client, story))
    assert ld["correction"][0]["text"] == "<script>alert(1)</script> & <b>bold</b>"


def test_json_ld_lists_each_notice_and_moves_date_modified(client, story):
    """``correction``: a CorrectionComment per notice, with its text and date; the story's
    dateModified is the newest notice's time."""
    first = add(story, text="The minister is 45.", at=timezone.now() - timedelta(hours=3))
    second = add(story, kind=Correction.Kind.CLARIFICATION, text="The leak was a draft.")
    # Only the notices move the modified time here.
    Article.objects.filter(pk=story.pk).update(updated_at=None)
    ld = news_article(page_of(client, story))
    assert [(c["@type"], c["text"], c["name"]) for c in ld["correction"]] == [
        ("CorrectionComment", first.text, "Correction"),
        ("CorrectionComment", second.text, "Clarification"),
    ]
    assert datetime.fromisoformat(ld["correction"][0]["datePublished"]) == first.at.replace(
        microsecond=0
    )
    assert datetime.fromisoformat(ld["dateModified"]) == second.at.replace(microsecond=0)
    assert ld["correction"][1]["url"].endswith(f"{story.get_absolute_url()}#notice-{second.pk}")


def test_a_story_without_notices_has_no_correction_in_json_ld(client, story):
    assert "correction" not in news_article(page_of(client, story))


# /corrections/ ---------------------------------------------------------------------------


def test_corrections_page_lists_notices_newest_first_linking_to_their_place(client, story):
    older = add(story, text="Older notice.", at=timezone.now() - timedelta(hours=2))
    newer = add(story, kind=Correction.Kind.CLARIFICATION, text="Newer notice.")
    response = client.get(CORRECTIONS)
    page = response.content.decode()
    assert list(response.context["object_list"]) == [newer, older]
    assert page.index("Newer notice.") < page.index("Older notice.")
    assert f'href="{story.get_absolute_url()}#notice-{older.pk}"' in page
    assert f'id="notice-{older.pk}"' in page_of(client, story)


def test_corrections_page_pages_by_key(client, story):
    """25 notices: 20 on the first page, 5 on the next, and back again."""
    start = timezone.now() - timedelta(hours=30)
    notices = [add(story, text=f"Notice {n}.", at=start + timedelta(hours=n)) for n in range(25)]
    first = client.get(CORRECTIONS)
    assert len(first.context["object_list"]) == views.PAGE_SIZE
    assert first.context["object_list"][0] == notices[-1]
    older = older_link(first.content.decode())
    assert "Older notices" in first.content.decode()
    second = client.get(CORRECTIONS + older)
    assert list(second.context["object_list"]) == notices[4::-1]
    assert older_link(second.content.decode()) is None
    back = client.get(CORRECTIONS + newer_link(second.content.decode()))
    assert list(back.context["object_list"]) == list(first.context["object_list"])
    assert client.get(CORRECTIONS + "?before=not-a-key").status_code == 404


@pytest.mark.parametrize("status", list(HIDDEN))
def test_notices_of_hidden_stories_appear_nowhere(client, status):
    """A notice of a story that is not live (however it got one: an import, or added
    while the story was live) is on no page or feed."""
    hidden = HIDDEN[status](headline=f"Leaked {status} story")
    Correction.objects.create(article=hidden, text="Leaked notice.", revision=1)
    live = ArticleFactory(headline="The live story")
    add(live, text="Public notice.")
    urls = [CORRECTIONS, *FEEDS.values(), reverse("articles:feed", args=["json"])]
    for url in urls:
        content = client.get(url).content.decode()
        assert "Public notice." in content, url
        assert "Leaked" not in content, url


def test_a_story_leaving_takes_its_notices_along(client, story):
    """Archiving a corrected story takes its notice off /corrections/ at once (the page
    cache on, default local memory)."""
    from articles.editorial import editing

    add(story, text="Visible while live.")
    assert "Visible while live." in client.get(CORRECTIONS).content.decode()
    editing.archive(article=story)
    assert "Visible while live." not in client.get(CORRECTIONS).content.decode()


def test_the_page_advertises_its_three_feeds(client, story):
    add(story)
    page = client.get(CORRECTIONS).content.decode()
    for fmt, media_type in (
        ("rss", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("json", "application/feed+json"),
    ):
        assert f'<link rel="alternate" type="{media_type}"' in page
        assert f'href="{FEEDS[fmt]}"' in page
        assert client.get(FEEDS[fmt])["Content-Type"].startswith(media_type)


def test_every_page_links_to_corrections(client, story):
    assert f'href="{CORRECTIONS}"' in page_of(client, story)


def test_unknown_query_params_are_dropped_by_the_page_cache(client, story):
    """/corrections/ reads before and after only: ?utm_source=… is the clean page."""
    add(story)
    client.get(CORRECTIONS)
    assert client.get(CORRECTIONS + "?utm_source=x")["X-Cache"] == "hit"


# /corrections/ feeds -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_corrections_feeds_read_cleanly(client, story, fmt):
    notice = add(story, text="The minister is 45 <not 54>.")
    feed = feedparser.parse(client.get(FEEDS[fmt]).content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert entry.title == f"Correction: {story.headline}"
    assert entry.link == f"http://testserver{story.get_absolute_url()}#notice-{notice.pk}"
    assert (
        entry.id == f"tag:testserver,{notice.created_at.date().isoformat()}:correction:{notice.pk}"
    )
    assert "The minister is 45 &lt;not 54&gt;." in entry.content[0].value
    assert feed.feed.title.endswith("corrections and clarifications")


def test_corrections_json_feed(client, story):
    notice = add(story, kind=Correction.Kind.CLARIFICATION, text="The leak was a draft.")
    data = json.loads(client.get(FEEDS["json"]).content)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["feed_url"] == FEEDS["json"] or data["feed_url"].endswith(FEEDS["json"])
    (item,) = data["items"]
    assert item["title"] == f"Clarification: {story.headline}"
    assert item["summary"] == "The leak was a draft."
    assert datetime.fromisoformat(item["date_published"]) == notice.at
    assert item["tags"] == ["Clarification"]


def test_unknown_corrections_feed_format_is_404(client):
    assert client.get("/corrections/feed/xml/").status_code == 404


# Story feeds -------------------------------------------------------------------------------


def story_feeds(article):
    person = article.people.first()
    for fmt in ("rss", "atom", "json"):
        yield reverse("articles:feed", args=[fmt])
        yield reverse("articles:hub_feed", args=["people", person.slug, fmt])


def item_of(client, url, article):
    """(id, updated time, content) of the story's item in the feed at ``url``."""
    response = client.get(url)
    assert response.status_code == 200, url
    if url.endswith("/json/"):
        items = json.loads(response.content)["items"]
        (item,) = [i for i in items if i["url"].endswith(article.get_absolute_url())]
        return item["id"], datetime.fromisoformat(item["date_modified"]), item["content_html"]
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, (url, feed.get("bozo_exception"))
    (entry,) = [e for e in feed.entries if e.link.endswith(article.get_absolute_url())]
    # RSS items have no updated time (only pubDate): there the notice leads the content.
    updated = datetime.fromisoformat(entry.updated) if "/atom/" in url else None
    return entry.id, updated, entry.content[0].value


@pytest.mark.usefixtures("without_page_cache")
def test_story_feed_items_lead_with_the_notice_and_move_their_updated_time(client, story):
    """Site and hub feeds, every format: the item keeps its id, its updated time becomes
    the notice's, and the notice opens its content."""
    before = {url: item_of(client, url, story) for url in story_feeds(story)}
    # Imported notices move no updated_at: the item's time must come from the notice itself.
    notice = Correction.objects.create(
        article=story, text="The minister is 45, not 54.", revision=story.revision
    )
    for url, (item_id, updated, _) in before.items():
        new_id, new_updated, content = item_of(client, url, story)
        assert new_id == item_id, url
        if updated is not None:
            assert new_updated == notice.at, url
        assert content.startswith("<p><strong>Correction, "), (url, content[:200])
        assert "The minister is 45, not 54." in content.split("Paragraph 1")[0], url


@pytest.mark.usefixtures("without_page_cache")
def test_newest_notice_leads_the_item(client, story):
    add(story, text="First notice.", at=timezone.now() - timedelta(hours=1))
    add(story, kind=Correction.Kind.CLARIFICATION, text="Second notice.")
    _, _, content = item_of(client, reverse("articles:feed", args=["atom"]), story)
    assert content.index("Second notice.") < content.index("First notice.")


# Caches ------------------------------------------------------------------------------------


def test_adding_a_notice_changes_the_cached_pages_at_once(client, story):
    """With the page cache on (the default local-memory cache), the story page and
    /corrections/ show a notice on the very next request."""
    for url in (story.get_absolute_url(), CORRECTIONS):
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit"
    add(story, text="Fresh notice.")
    for url in (story.get_absolute_url(), CORRECTIONS, reverse("articles:feed", args=["rss"])):
        response = client.get(url)
        assert "Fresh notice." in response.content.decode(), url


def test_amending_a_notice_changes_the_cached_pages_at_once(client, story):
    notice = add(story, text="Old wording.")
    client.get(CORRECTIONS)
    notice.text = "New wording."
    publish_notice(notice=notice)
    assert "New wording." in client.get(CORRECTIONS).content.decode()
    assert "New wording." in page_of(client, story)


def test_history_shows_each_notice_with_the_version_it_speaks_for(client, editor, story):
    """The admin answers "did we tell readers?" beside the versions: each notice links to
    the version of the revision it names, and the audit log link selects this story."""
    from articles.models import StoryVersion

    first = StoryVersion.objects.capture(story, user=editor)
    Article.objects.filter(pk=story.pk).update(body="<p>Her age was wrong.</p>", revision=5)
    story.refresh_from_db()
    fixed = StoryVersion.objects.capture(story, user=editor)
    add(story, text="Her age is 45.")
    history = reverse("admin:articles_article_history", args=[story.pk])
    page = client.get(history).content.decode()
    told = page.split("What readers were told", 1)[1]
    version_url = reverse("admin:articles_article_version", args=[story.pk, fixed.pk])
    assert "Her age is 45." in told
    assert f'href="{version_url}"' in told
    assert reverse("admin:articles_article_version", args=[story.pk, first.pk]) not in told
    assert f"subject_type=article&amp;subject_id={story.pk}" in told
    log = reverse("admin:articles_auditentry_changelist")
    entries = client.get(log, {"subject_type": "article", "subject_id": story.pk})
    assert entries.status_code == 200
    assert "Minister resigns over budget leak" in entries.content.decode()
