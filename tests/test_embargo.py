"""Embargoes: a story embargoed until a time is on no public surface before it and on all of
them after, with no save in between; no write path publishes it earlier; editors see it."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime

from articles import importing
from articles.editorial import editing
from articles.models import Article, Country, Person, Topic
from tests.admin_support import CHANGELIST_URL, article_data, change_url, make_user
from tests.factories import ArticleFactory, AuthorFactory, CrossLinkFactory, SectionFactory, draft
from tests.test_caching import cached

pytestmark = pytest.mark.django_db

HEADLINE = "Embargoed budget figures"
WORD = "Zanzibarquux"


@pytest.fixture
def embargoed_newsroom():
    """A live story, and an embargoed one published as its embargo ends, sharing every
    tag, section and author with it and linked from it inline and in its Related list."""
    author = AuthorFactory(name="Shared Author")
    section = SectionFactory(name="Shared Section")
    shared = {
        "people": ["Shared Person"],
        "countries": ["IL"],
        "topics": ["Shared topic"],
        "section": section,
        "authors": [author],
    }
    live = ArticleFactory(headline="The one live story", **shared)
    ends = timezone.now() + timedelta(hours=2)
    embargoed = ArticleFactory(
        headline=HEADLINE,
        body=f"<p>{WORD} in the body.</p>",
        published_at=ends,
        embargo_until=ends,
        **shared,
    )
    CrossLinkFactory(source=live, target=embargoed, placement=1)
    related_from = ArticleFactory(headline="Another live story")
    CrossLinkFactory(source=related_from, target=embargoed, placement=None)
    hubs = [
        Person.objects.get(name="Shared Person"),
        Country.objects.get(code="IL"),
        Topic.objects.get(name="Shared topic"),
        section,
        author,
    ]
    return live, embargoed, hubs + [related_from], ends


def surfaces(live, hubs) -> list[str]:
    urls = [
        "/",
        reverse("articles:archive"),
        live.get_absolute_url(),
        f"/search/?q={WORD}",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/news-sitemap.xml",
        "/corrections/",
    ]
    *hubs, related_from = hubs
    urls.append(related_from.get_absolute_url())  # its Related list
    for hub in hubs:
        urls.append(hub.get_absolute_url())
        kind = hub.get_absolute_url().strip("/").split("/")[0]
        urls += [f"/{kind}/{hub.slug}/feed/{fmt}/" for fmt in ("rss", "atom", "json")]
    urls += [f"/feed/{fmt}/" for fmt in ("rss", "atom", "json")]
    return urls


def test_embargoed_story_is_on_no_surface_until_its_time(client, embargoed_newsroom):
    live, embargoed, hubs, ends = embargoed_newsroom
    for url in surfaces(live, hubs):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert HEADLINE not in response.text, url
        assert embargoed.slug not in response.text, url
        if "search" not in url:  # which echoes the query
            assert WORD not in response.text, url
    assert client.get(embargoed.get_absolute_url()).status_code == 404

    with mock.patch("django.utils.timezone.now", return_value=ends + timedelta(seconds=1)):
        assert client.get(embargoed.get_absolute_url()).status_code == 200
        assert HEADLINE in client.get("/").text
        assert HEADLINE in client.get("/feed/atom/").text
        assert HEADLINE in client.get(live.get_absolute_url()).text  # its Also Read box
        assert HEADLINE in client.get(hubs[0].get_absolute_url()).text
        assert embargoed.slug in client.get("/sitemap-articles.xml").text
        assert HEADLINE in client.get(f"/search/?q={WORD}").text


def test_cached_pages_and_cdn_copies_end_with_the_embargo(client, embargoed_newsroom, settings):
    """Pages cached before the embargo ends are kept no longer than it (like a scheduled
    publication): the front page shows the story the moment it ends, with nobody saving."""
    settings.NEWSROOM_HTTP_SHARED_MAX_AGE = 3600
    live, embargoed, hubs, ends = embargoed_newsroom
    ends_soon = timezone.now() + timedelta(seconds=30)
    Article.objects.filter(pk=embargoed.pk).update(published_at=ends_soon, embargo_until=ends_soon)
    front = cached(client, "/")
    assert HEADLINE not in front.text
    directives = dict(
        (part.strip().split("=") + ["0"])[:2] for part in front["Cache-Control"].split(",")
    )
    assert int(directives["max-age"]) <= 30
    assert int(directives["s-maxage"]) <= 30
    with mock.patch("django.utils.timezone.now", return_value=ends_soon + timedelta(seconds=1)):
        assert HEADLINE in client.get("/").text


# No write path publishes before the embargo -------------------------------------------------


def test_model_refuses_publication_before_the_embargo():
    ends = timezone.now() + timedelta(hours=1)
    story = draft(embargo_until=ends)
    story.status = Article.Status.PUBLISHED
    story.published_at = ends - timedelta(minutes=1)
    with pytest.raises(ValidationError) as refused:
        story.full_clean()
    assert "embargoed until" in " ".join(refused.value.message_dict["published_at"])
    story.published_at = ends
    story.full_clean()  # at the embargo's end: scheduled


def test_database_refuses_publication_before_the_embargo():
    """Even a write that skips validation (update(), the shell, raw SQL) cannot."""
    ends = timezone.now() + timedelta(hours=1)
    story = draft(embargo_until=ends)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=story.pk).update(
            status=Article.Status.PUBLISHED, published_at=timezone.now()
        )
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT


def test_publish_service_refuses_before_the_embargo():
    story = draft(embargo_until=timezone.now() + timedelta(hours=1))
    with pytest.raises(ValidationError):
        editing.publish(article=story)
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def embargo_fields(moment) -> dict:
    moment = localtime(moment)
    return {
        "embargo_until_0": moment.strftime("%Y-%m-%d"),
        "embargo_until_1": moment.strftime("%H:%M:%S"),
    }


def test_admin_form_refuses_publication_before_the_embargo(client, editor):
    ends = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    story = draft(headline="Budget under embargo", embargo_until=ends)
    data = article_data(story, status=Article.Status.PUBLISHED) | embargo_fields(ends)
    now = localtime(timezone.now())
    data |= {"published_at_0": now.strftime("%Y-%m-%d"), "published_at_1": now.strftime("%H:%M")}
    response = client.post(change_url(story), data)
    assert response.status_code == 200
    assert "embargoed until" in response.text
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT

    # At the embargo's end it is scheduled.
    data |= {
        "published_at_0": localtime(ends).strftime("%Y-%m-%d"),
        "published_at_1": localtime(ends).strftime("%H:%M:%S"),
    }
    response = client.post(change_url(story), data)
    assert response.status_code == 302, response.text
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED and not story.is_live()


def test_admin_publish_action_refuses_before_the_embargo(client, editor):
    ends = timezone.now() + timedelta(hours=1)
    story = draft(headline="Budget under embargo", embargo_until=ends)
    response = client.post(
        CHANGELIST_URL,
        {"action": "publish_selected", "_selected_action": [story.pk]},
        follow=True,
    )
    assert "was not published" in response.text and "embargoed until" in response.text
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT


def test_editors_see_the_embargo_in_list_and_form(client, editor):
    ends = timezone.now() + timedelta(hours=1)
    story = draft(headline="Budget under embargo", embargo_until=ends)
    listing = client.get(CHANGELIST_URL)
    assert "column-embargo_listed" in listing.text
    assert "<strong>until " in listing.text
    form = client.get(change_url(story))
    assert 'name="embargo_until_0"' in form.text
    assert "Embargoed until" in form.text
    assert "cannot be published" in form.text


def test_writers_cannot_lift_an_embargo(client):
    writer = make_user("wendy", "Writer")
    client.force_login(writer)
    ends = timezone.now() + timedelta(hours=1)
    story = draft(headline="Budget under embargo", embargo_until=ends)
    story.created_by = writer
    story.save()
    form = client.get(change_url(story))
    assert 'name="embargo_until_0"' not in form.text


# Story files ---------------------------------------------------------------------------------


def test_story_file_embargo_round_trips(tmp_path):
    ends = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    story = draft(headline="Budget under embargo", embargo_until=ends)
    text = importing.story_text(story)
    assert f"Embargo: {ends.isoformat()}" in text
    story.delete()
    path = tmp_path / "story.txt"
    path.write_text(text)
    report = importing.import_stories([path])
    assert not report.errors
    assert Article.objects.get().embargo_until == ends


def test_story_file_published_before_its_embargo_names_the_line(tmp_path):
    path = tmp_path / "early.txt"
    path.write_text(
        "Headline: Too early\nPublished: 2030-01-01T10:00:00Z\nEmbargo: 2030-01-01T12:00:00Z\n"
        "\nBody.\n"
    )
    report = importing.import_stories([path])
    assert [str(error) for error in report.errors] == [
        f"{path}:2: published before its embargo ends ('Embargo: 2030-01-01T12:00:00Z', "
        "line 3); publish at the embargo's end or later"
    ]
    assert not Article.objects.exists()


def test_stories_without_an_embargo_keep_their_digest():
    """Files written before embargoes existed are still "unchanged" when imported again."""
    content = "Headline: Same as ever\nPublished: 2025-01-01T10:00:00Z\n\nBody.\n"
    story = importing.parse_story(importing.Path("a.txt"), content)
    assert story.embargo is None
    assert "embargo" not in repr(story.values)
