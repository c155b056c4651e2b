"""Tag rows carry their story's listing time (``listed_at``), which hub pages, hub feeds and
"More on" read from one index: every way a story's status or time changes keeps it true, and
a stale copy can never put a story on a public page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.editorial import editing
from articles.models import TAG_KINDS, Article, TaggedPerson
from bench.corpus import delete_corpus, generate_corpus
from tests.factories import ArticleFactory, draft, scheduled

pytestmark = pytest.mark.django_db


def listed_times(article) -> set:
    """The listing times on every tag row of ``article``."""
    return {
        row.listed_at
        for kind in TAG_KINDS
        for row in getattr(Article, kind).through.objects.filter(content_object=article)
    }


def tagged(**kwargs):
    return ArticleFactory(people=["Ann Able"], countries=["IL"], topics=["Water"], **kwargs)


def test_tag_rows_of_a_published_story_carry_its_publication_time():
    """Published or scheduled: the story's time (live() still decides when it shows)."""
    for story in (tagged(), scheduled(people=["Ann Able"], countries=["IL"], topics=["Water"])):
        assert listed_times(story) == {story.published_at}


def test_tag_rows_of_other_stories_carry_no_time():
    story = tagged(status=Article.Status.DRAFT, published_at=None)
    assert listed_times(story) == {None}
    story.status = Article.Status.ARCHIVED
    story.published_at = timezone.now()
    story.save()
    assert listed_times(story) == {None}


def test_saving_a_new_status_or_time_relists_the_story():
    story = tagged(status=Article.Status.DRAFT, published_at=None)
    story.status = Article.Status.PUBLISHED
    story.published_at = timezone.now() - timedelta(minutes=5)
    story.save()
    assert listed_times(story) == {story.published_at}
    story.published_at -= timedelta(days=1)
    story.save()
    assert listed_times(story) == {story.published_at}


def test_publishing_and_archiving_from_the_admin_relist_the_story():
    """The editors' publish and archive write with update(), which bypasses save()."""
    story = tagged(status=Article.Status.DRAFT, published_at=None)
    at = timezone.now() - timedelta(minutes=1)
    editing.publish(article=story, at=at)
    assert listed_times(story) == {at}
    editing.archive(article=story)
    assert listed_times(story) == {None}


def test_tags_added_later_are_listed_from_the_start():
    story = ArticleFactory()
    story.people.add("Ben Baker")
    story.countries.set(["IR"])
    assert listed_times(story) == {story.published_at}


def test_generated_corpus_lists_what_save_would():
    """The corpus generator writes tag rows with COPY or bulk_create, bypassing save()."""
    delete_corpus()
    generate_corpus(120, seed=3)
    for kind in TAG_KINDS:
        rows = getattr(Article, kind).through.objects.select_related("content_object")
        assert rows.exists()
        for row in rows:
            assert row.listed_at == row.content_object.listed_at, row


def test_a_stale_listing_time_never_shows_a_hidden_story(client):
    """Should a tag row keep a time its story no longer has, the publication gate still
    hides the story from the hub, its feed and "More on"."""
    shown = tagged(headline="Shown story")
    hidden = draft(headline="Hidden story", people=["Ann Able"])
    TaggedPerson.objects.filter(content_object=hidden).update(listed_at=timezone.now())

    for url in ("/people/ann-able/", "/people/ann-able/feed/rss/", shown.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Hidden story" not in html, url
    assert "Shown story" in client.get("/people/ann-able/").content.decode()


def test_hub_lists_by_publication_time_not_by_writing_order(client):
    """A story written earlier but published later comes first on its hub and in its feed."""
    now = timezone.now()
    written_first = tagged(headline="Written first", published_at=now - timedelta(hours=1))
    tagged(headline="Written second", published_at=now - timedelta(hours=2))
    html = client.get("/people/ann-able/").content.decode()
    assert html.index("Written first") < html.index("Written second")
    written_first.published_at = now - timedelta(hours=3)
    written_first.save()
    for url in ("/people/ann-able/", "/people/ann-able/feed/rss/"):
        html = client.get(url).content.decode()
        assert html.index("Written second") < html.index("Written first"), url
