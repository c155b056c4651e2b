"""The audit log: every editorial act recorded in its own transaction, and read-only."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from articles.editorial import editing
from articles.importing import import_stories
from articles.models import Article, AuditEntry, Person
from tests.admin_support import ADD_URL, CHANGELIST_URL, article_data, change_url, make_user
from tests.factories import (
    ArticleFactory,
    CrossLinkFactory,
    SectionFactory,
    in_review,
)

pytestmark = pytest.mark.django_db

LOG_URL = reverse("admin:articles_auditentry_changelist")


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def acts():
    return [(entry.actor, entry.action, entry.title) for entry in AuditEntry.objects.order_by("pk")]


def test_the_admin_records_create_submit_publish_unpublish_and_delete(client, editor):
    client.post(ADD_URL, article_data(headline="Talks open", slug="talks-open"))
    story = Article.objects.get(slug="talks-open")
    client.post(change_url(story), article_data(story, status=Article.Status.REVIEW))
    story.refresh_from_db()
    now = timezone.localtime()
    client.post(
        change_url(story),
        article_data(
            story,
            status=Article.Status.PUBLISHED,
            published_at_0=now.strftime("%Y-%m-%d"),
            published_at_1=now.strftime("%H:%M:%S"),
        ),
    )
    story.refresh_from_db()
    # An edit that leaves the story where it is records no step.
    client.post(change_url(story), article_data(story, body="<p>New words.</p>"))
    story.refresh_from_db()
    client.post(change_url(story), article_data(story, status=Article.Status.DRAFT))
    client.post(reverse("admin:articles_article_delete", args=[story.pk]), {"post": "yes"})
    assert acts() == [
        ("eddie", "created", "Talks open"),
        ("eddie", "submitted", "Talks open"),
        ("eddie", "published", "Talks open"),
        ("eddie", "unpublished", "Talks open"),
        ("eddie", "deleted", "Talks open"),
    ]


def test_actions_record_scheduling_archiving_and_bulk_deletion(client, editor):
    later = ArticleFactory(
        headline="Later",
        status=Article.Status.DRAFT,
        published_at=timezone.now() + timedelta(days=1),
    )
    now = in_review(headline="Now")
    for action, stories in (
        ("publish_selected", [later, now]),
        ("archive_selected", [now]),
        ("delete_selected", [later]),
    ):
        client.post(
            CHANGELIST_URL,
            {
                "action": action,
                ACTION_CHECKBOX_NAME: [story.pk for story in stories],
                "confirmed": "yes",
                "post": "yes",
            },
        )
    assert sorted(acts()[:2]) == [("eddie", "published", "Now"), ("eddie", "scheduled", "Later")]
    assert acts()[2:] == [("eddie", "archived", "Now"), ("eddie", "deleted", "Later")]


def test_imports_record_creation_and_publication_as_the_command(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Headline: From the wire\nStatus: draft\n\nA paragraph.\n")
    import_stories([story])
    story.write_text(
        "Headline: From the wire\nStatus: published\nPublished: 2026-01-02T10:00:00Z\n\n"
        "A paragraph.\n"
    )
    import_stories([story])
    assert acts() == [
        ("import_articles", "created", "From the wire"),
        ("import_articles", "published", "From the wire"),
    ]


def test_an_entry_is_written_in_the_transaction_of_its_change():
    """A step that fails after the entry was written leaves no entry behind."""
    story = in_review()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        from django.db import transaction

        with transaction.atomic():
            editing.publish(article=story)
            raise Boom
    assert not AuditEntry.objects.exists()
    assert Article.objects.get(pk=story.pk).status == Article.Status.REVIEW


def test_editors_read_the_log_filtered_but_no_one_can_change_it(client, editor):
    editing.publish(article=in_review(headline="Filed"), user=editor)
    entry = AuditEntry.objects.get()
    response = client.get(LOG_URL, {"action": "published", "user__id__exact": editor.pk})
    assert response.status_code == 200
    assert "Filed" in response.content.decode()
    assert "Filed" not in client.get(LOG_URL, {"action": "deleted"}).content.decode()
    change = reverse("admin:articles_auditentry_change", args=[entry.pk])
    assert client.post(change, {"title": "Rewritten"}).status_code == 403
    delete = reverse("admin:articles_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:articles_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get().title == "Filed"


def test_the_log_keeps_its_entries_when_the_user_goes(editor):
    editing.publish(article=in_review(headline="Filed"), user=editor)
    editor.delete()
    assert acts() == [("eddie", "published", "Filed")]


def test_writers_cannot_read_the_log(client):
    client.force_login(make_user("wanda", "Writer"))
    assert client.get(LOG_URL).status_code == 403


def test_deleting_a_tag_section_or_author_is_recorded_but_a_link_is_not(client, editor):
    person = Person.objects.create(name="Asha Rao")
    section = SectionFactory(name="Business")
    link = CrossLinkFactory()
    AuditEntry.objects.all().delete()
    client.post(reverse("admin:articles_person_delete", args=[person.pk]), {"post": "yes"})
    client.post(
        reverse("admin:articles_section_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [section.pk], "post": "yes"},
    )
    client.post(reverse("admin:articles_crosslink_delete", args=[link.pk]), {"post": "yes"})
    assert acts() == [("eddie", "deleted", "Asha Rao"), ("eddie", "deleted", "Business")]
    assert [e.subject_type for e in AuditEntry.objects.order_by("pk")] == ["person", "section"]


@pytest.mark.django_db(transaction=True)
def test_test_users_get_their_group_after_a_flush():
    """Under xdist's work stealing a test using groups may follow a transactional test whose
    flush removed them (they come from a migration): make_user brings them back."""
    from django.contrib.auth.models import Group

    Group.objects.all().delete()
    user = make_user("eddie", "Editor")
    assert user.has_perm("articles.view_auditentry")
    assert user.has_perm("articles.publish_article")
