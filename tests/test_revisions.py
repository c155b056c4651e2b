"""Story versions: recorded at every save, listed, read, compared, restored and purged."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from articles import text
from articles.editorial import editing
from articles.importing import IMPORT_ACTOR, import_stories
from articles.models import (
    BEFORE_VERSIONS_ACTOR,
    Article,
    ContentChange,
    StoryVersion,
)
from tests.admin_support import ADD_URL, CHANGELIST_URL, article_data, change_url, make_user
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    SectionFactory,
    draft,
    in_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def history_url(story) -> str:
    return reverse("admin:articles_article_history", args=[story.pk])


def version_url(story, version) -> str:
    return reverse("admin:articles_article_version", args=[story.pk, version.pk])


def restore_url(story, version) -> str:
    return reverse("admin:articles_article_restore", args=[story.pk, version.pk])


def compare_url(story, older, newer) -> str:
    url = reverse("admin:articles_article_compare", args=[story.pk])
    return f"{url}?a={older.pk}&b={newer.pk}"


def versions_of(story) -> list[StoryVersion]:
    return list(StoryVersion.objects.filter(article=story).order_by("pk"))


def body(*paragraphs: str) -> str:
    return text.text_to_html(list(paragraphs))


def add_story_in_admin(client, **overrides) -> Article:
    """Add a story through the form with tags, one byline and two links (one pending)."""
    target = ArticleFactory(headline="Talks stall in Doha")
    author = AuthorFactory(name="Rana Ayyub")
    data = article_data(
        section=SectionFactory(name="Middle East").pk,
        body=body("Negotiators met.", "They talked.", "Nothing was agreed."),
        people="Joe Biden, Benjamin Netanyahu",
        countries="Israel, US",
        topics="Gaza ceasefire",
        **{
            "bylines-TOTAL_FORMS": "1",
            "bylines-0-author": author.pk,
            "bylines-0-position": "0",
            "links_out-TOTAL_FORMS": "2",
            "links_out-0-target": target.pk,
            "links_out-0-target_headline": "",
            "links_out-0-placement": "1",
            "links_out-0-order": "0",
            "links_out-1-target": "",
            "links_out-1-target_headline": "A story still to come",
            "links_out-1-placement": "",
            "links_out-1-order": "0",
        },
    )
    response = client.post(ADD_URL, data | overrides)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Article.objects.get(slug=data["slug"])


# Capture on every path ---------------------------------------------------------------------


def test_an_admin_add_records_the_story_with_tags_bylines_and_links(client, editor):
    story = add_story_in_admin(client)
    (version,) = versions_of(story)
    snapshot = version.snapshot
    assert (version.revision, version.user, version.actor) == (story.revision, editor, "eddie")
    assert version.status == Article.Status.DRAFT
    assert snapshot["headline"] == story.headline
    assert snapshot["body"] == story.body
    assert snapshot["tags"] == {
        "people": ["Benjamin Netanyahu", "Joe Biden"],
        "countries": ["Israel", "United States"],
        "topics": ["Gaza ceasefire"],
    }
    assert [author["name"] for author in snapshot["authors"]] == ["Rana Ayyub"]
    target = Article.objects.get(headline="Talks stall in Doha")
    assert snapshot["links"] == [
        {
            "target_id": target.pk,
            "target_slug": target.slug,
            "target_headline": "Talks stall in Doha",
            "placement": 1,
            "order": 0,
        },
        {
            "target_id": None,
            "target_slug": None,
            "target_headline": "A story still to come",
            "placement": None,
            "order": 0,
        },
    ]


def test_each_admin_change_records_a_version_and_a_no_op_save_records_none(client, editor):
    story = add_story_in_admin(client)
    client.post(change_url(story), article_data(story, body=body("New words.")))
    story.refresh_from_db()
    assert [v.revision for v in versions_of(story)] == [1, 2]
    assert versions_of(story)[-1].snapshot["body"] == body("New words.")

    response = client.post(change_url(story), article_data(story))  # the same again
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.revision == 3, "a save still moves the revision"
    assert len(versions_of(story)) == 2, "but records no version when nothing changed"


def test_wire_links_pasted_in_the_body_are_in_the_version_of_that_save(client, editor):
    data = article_data(body=body("One.", "Also Read: A story still to come", "Two."))
    client.post(ADD_URL, data)
    story = Article.objects.get()
    (version,) = versions_of(story)
    assert version.revision == story.revision, "after add_wire_links moved the revision"
    assert [link["target_headline"] for link in version.snapshot["links"]] == [
        "A story still to come"
    ]


def test_publish_and_archive_actions_record_versions_with_their_status(client, editor):
    story = in_review()
    for action in ("publish_selected", "archive_selected"):
        client.post(
            CHANGELIST_URL,
            {"action": action, ACTION_CHECKBOX_NAME: [story.pk], "confirmed": "yes"},
        )
    versions = versions_of(story)
    assert [(v.actor, v.status) for v in versions] == [
        (BEFORE_VERSIONS_ACTOR, "review"),
        ("eddie", "published"),
        ("eddie", "archived"),
    ]
    assert versions[1].published_at is not None
    assert [v.revision for v in versions] == sorted({v.revision for v in versions})


def test_a_story_from_before_versions_gets_its_old_state_recorded_before_its_first_change(
    client, editor
):
    story = ArticleFactory(body=body("What it said before."))
    assert versions_of(story) == []
    client.post(change_url(story), article_data(story, body=body("What it says now.")))
    before, after = versions_of(story)
    assert (before.actor, before.user, before.snapshot["body"]) == (
        BEFORE_VERSIONS_ACTOR,
        None,
        body("What it said before."),
    )
    assert (after.actor, after.snapshot["body"]) == ("eddie", body("What it says now."))
    assert before.revision < after.revision


def test_imports_record_versions_as_the_command_and_not_again_for_the_same_file(tmp_path):
    ArticleFactory(headline="Talks stall in Doha")
    story_file = tmp_path / "story.txt"
    story_file.write_text(
        "Headline: From the wire\nStatus: draft\nAuthors: Rana Ayyub\nPeople: Joe Biden\n"
        "Topics: Gaza ceasefire\n\nA paragraph.\n\nAlso Read: Talks stall in Doha\n\nMore.\n"
    )
    import_stories([story_file])
    import_stories([story_file])
    story = Article.objects.get(slug="from-the-wire")
    (version,) = versions_of(story)
    assert (version.actor, version.user, version.revision) == (IMPORT_ACTOR, None, story.revision)
    assert version.snapshot["tags"]["people"] == ["Joe Biden"]
    assert [a["name"] for a in version.snapshot["authors"]] == ["Rana Ayyub"]
    assert version.snapshot["links"][0]["target_headline"] == "Talks stall in Doha"
    assert version.snapshot["links"][0]["placement"] == 1


def test_suggestions_and_link_back_record_versions_by_their_editor(editor):
    story, other = draft(), ArticleFactory()
    editing.tag_story(article=story, kind="people", name="Joe Biden", user=editor)
    link = editing.add_also_read(source=story, target=other, user=editor)
    editing.add_reciprocal(link=link, user=editor)
    assert [v.snapshot["tags"]["people"] for v in versions_of(story)] == [[], ["Joe Biden"]] + [
        ["Joe Biden"]
    ]
    assert versions_of(story)[-1].snapshot["links"][0]["target_id"] == other.pk
    assert versions_of(other)[-1].snapshot["links"][0]["target_id"] == story.pk
    assert {v.actor for v in versions_of(story)[1:]} == {"eddie"}


def test_editing_a_link_in_the_link_admin_records_a_version_of_its_story(client, editor):
    link = CrossLinkFactory(placement=1)
    client.post(
        reverse("admin:articles_crosslink_change", args=[link.pk]),
        {
            "source": link.source_id,
            "target": link.target_id,
            "target_headline": link.target_headline,
            "placement": "2",
            "order": "0",
        },
    )
    (version,) = versions_of(link.source)
    assert version.snapshot["links"][0]["placement"] == 2


def test_the_version_at_a_revision_is_the_newest_recorded_at_or_before_it(client, editor):
    story = add_story_in_admin(client)
    client.post(change_url(story), article_data(story, body=body("New words.")))
    story.refresh_from_db()
    client.post(change_url(story), article_data(story))  # revision 3, no version
    first, second = versions_of(story)
    assert StoryVersion.objects.at_revision(story, 1) == first
    assert StoryVersion.objects.at_revision(story, 2) == second
    assert StoryVersion.objects.at_revision(story, 3) == second
    assert StoryVersion.objects.at_revision(story, 0) is None


def test_recording_a_version_is_no_new_public_content(editor):
    """Versions are never shown to readers: writing one starts no new content generation."""
    story = draft()
    changes = ContentChange.objects.count()
    StoryVersion.objects.capture(story, user=editor)
    assert ContentChange.objects.count() == changes
