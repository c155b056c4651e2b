"""Story versions: recorded at every save, listed, read, compared, restored and purged."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import text
from articles.editorial import editing, revisions
from articles.importing import IMPORT_ACTOR, import_stories
from articles.models import (
    BEFORE_VERSIONS_ACTOR,
    Article,
    AuditEntry,
    Author,
    ContentChange,
    CrossLink,
    Section,
    StoryVersion,
)
from tests.admin_support import ADD_URL, CHANGELIST_URL, article_data, change_url, make_user
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    ImageFactory,
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


def test_a_takedown_and_its_reversal_record_versions_with_their_status(editor):
    story = ArticleFactory()
    editing.take_down(article=story, reason="legal", user=editor)
    editing.reverse_takedown(article=story, actor="takedown")
    assert [(v.actor, v.status) for v in versions_of(story)] == [
        (BEFORE_VERSIONS_ACTOR, "published"),
        ("eddie", "withdrawn"),
        ("takedown", "published"),
    ]


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
    AuditEntry.objects.log(AuditEntry.Action.CORRECTED, story, user=editor)
    assert ContentChange.objects.count() == changes


# The History page, a version, a comparison ------------------------------------------------


def test_history_lists_versions_newest_first_with_who_when_status_and_live_mark(client, editor):
    story = in_review(headline="Talks open")
    editing.publish(article=story, user=editor)
    story.refresh_from_db()
    client.post(change_url(story), article_data(story, headline="Talks open in Cairo"))
    response = client.get(history_url(story))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [(v.revision, v.actor, v.status, v.was_live) for v in rows] == [
        (rows[0].revision, "eddie", "published", True),
        (rows[1].revision, "eddie", "published", True),
        (rows[2].revision, BEFORE_VERSIONS_ACTOR, "review", False),
    ]
    assert [v.headline_then for v in rows] == ["Talks open in Cairo", "Talks open", "Talks open"]
    page = response.content.decode()
    assert page.count('class="live-mark">Live') == 2
    assert version_url(story, rows[2]) in page
    assert compare_url(story, rows[1], rows[0]).replace("&", "&amp;") in page


def test_a_scheduled_version_counts_as_live_once_its_time_passed_before_the_next_save():
    story = draft()
    StoryVersion.objects.capture(story)
    StoryVersion.objects.filter(article=story).update(
        status="published", published_at=timezone.now() - timedelta(minutes=5)
    )
    marked = StoryVersion.objects.filter(article=story).with_liveness().get()
    assert marked.was_live
    StoryVersion.objects.filter(article=story).update(
        published_at=timezone.now() + timedelta(days=1)
    )
    assert not StoryVersion.objects.filter(article=story).with_liveness().get().was_live


def test_a_version_opens_read_only_with_its_text_tags_and_links(client, editor):
    story = add_story_in_admin(client)
    (version,) = versions_of(story)
    client.post(change_url(story), article_data(story, body=body("Replaced.")))
    response = client.get(version_url(story, version))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Negotiators met." in page and "Replaced." not in page
    assert "Benjamin Netanyahu, Joe Biden" in page
    assert "Also Read: Talks stall in Doha" in page
    assert "A story still to come (pending)" in page
    assert 'name="headline"' not in page, "read-only: no form fields but the restore button"
    assert "Restore this version" in page


def test_compare_marks_inserted_deleted_and_changed_paragraphs_and_fields(client, editor):
    story = draft(
        headline="Talks open",
        body=body("Kept as it was.", "Dropped later.", "The talks began on Monday."),
    )
    StoryVersion.objects.capture(story, user=editor)
    client.post(
        change_url(story),
        article_data(
            story,
            headline="Talks open in Cairo",
            body=body("Kept as it was.", "The talks began on Tuesday.", "Added at the end."),
        ),
    )
    older, newer = versions_of(story)
    response = client.get(compare_url(story, newer, older))  # either order
    assert response.status_code == 200
    assert (response.context["older"], response.context["newer"]) == (older, newer)
    kinds = [(c.kind, c.old, c.new) for c in response.context["paragraphs"]]
    assert kinds[0] == ("equal", "Kept as it was.", "Kept as it was.")
    assert ("delete", "Dropped later.", "") in kinds
    assert ("insert", "", "Added at the end.") in kinds
    changed = {row.label: (row.old, row.new) for row in response.context["rows"] if row.changed}
    assert changed == {"Headline": ("Talks open", "Talks open in Cairo")}
    page = response.content.decode()
    assert "Added paragraph: </span>Added at the end.</ins>" in page
    assert "Removed paragraph: </span>Dropped later.</del>" in page


def test_a_paragraph_changed_in_place_is_marked_word_by_word():
    old = revisions.Snapshot({"body": body("The talks began on Monday in Cairo.")})
    new = revisions.Snapshot({"body": body("The talks began on Tuesday in Cairo.")})
    (change,) = revisions.paragraph_diff(old, new)
    assert change.kind == "replace"
    assert [(s.kind, s.words) for s in change.segments] == [
        ("equal", "The talks began on"),
        ("delete", "Monday"),
        ("insert", "Tuesday"),
        ("equal", "in Cairo."),
    ]


def test_history_page_queries_do_not_grow_with_versions(client, editor):
    def queries(story) -> int:
        client.get(history_url(story))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(history_url(story)).status_code == 200
        return len(captured)

    few, many = draft(), draft()
    for story, saves in ((few, 2), (many, 40)):
        for n in range(saves):
            Article.objects.filter(pk=story.pk).update(headline=f"Headline {n}", revision=n + 2)
            StoryVersion.objects.capture(story, user=editor)
    assert queries(few) == queries(many) <= 10


@pytest.mark.parametrize(
    "path",
    [
        "/admin/articles/article/abc/history/",
        "/admin/articles/article/abc/history/1/",
        "/admin/articles/article/{story}/history/{other}/",
        "/admin/articles/article/{story}/history/compare/?a=x&b={own}",
        "/admin/articles/article/{story}/history/compare/?a={own}",
        "/admin/articles/article/{story}/history/compare/?a={own}&b={other}",
        "/admin/articles/article/{story}/history/99999999999999999999/",
        "/admin/articles/article/99999999999999999999/history/",
    ],
)
def test_hostile_story_and_version_ids_are_404(client, editor, path):
    story, elsewhere = draft(), draft()
    own = StoryVersion.objects.capture(story)
    other = StoryVersion.objects.capture(elsewhere)
    url = path.format(story=story.pk, own=own.pk, other=other.pk)
    assert client.get(url).status_code == 404
    if "/compare/" not in url and not url.endswith("/history/"):
        assert client.post(f"{url}restore/", {"base_revision": story.revision}).status_code == 404


def test_restore_takes_posts_only(client, editor):
    story = draft()
    version = StoryVersion.objects.capture(story)
    assert client.get(restore_url(story, version)).status_code == 405


# Restore ------------------------------------------------------------------------------------


def restored_story(client, editor):
    """A story saved twice in the admin: its first version, and the story after the second."""
    story = add_story_in_admin(client)
    (first,) = versions_of(story)
    client.post(
        change_url(story),
        article_data(
            story,
            headline="A rewritten story",
            body=body("Different words."),
            people="Someone Else",
            topics="",
            **{"links_out-0-DELETE": "on", "links_out-1-DELETE": "on"},
        ),
    )
    story.refresh_from_db()
    story.bylines.all().delete()
    return story, first


def test_restore_brings_back_the_text_tags_bylines_and_links_as_a_new_version(client, editor):
    story, first = restored_story(client, editor)
    assert story.links_out.count() == 0 and story.headline == "A rewritten story"
    before = story.revision
    response = client.post(restore_url(story, first), {"base_revision": story.revision})
    assert response.status_code == 302
    assert response["Location"] == change_url(story)
    story.refresh_from_db()
    assert story.revision == before + 1
    assert (story.headline, story.body) == (first.snapshot["headline"], first.snapshot["body"])
    assert sorted(story.people.names()) == ["Benjamin Netanyahu", "Joe Biden"]
    assert sorted(story.topics.names()) == ["Gaza ceasefire"]
    assert list(story.authors.values_list("name", flat=True)) == ["Rana Ayyub"]
    assert list(story.links_out.values_list("target_headline", "placement")) == [
        ("Talks stall in Doha", 1),
        ("A story still to come", None),
    ]
    versions = versions_of(story)
    assert len(versions) == 3, "history is kept: a restore adds a version"
    newest = versions[-1]
    assert newest.revision == story.revision and newest.actor == "eddie"
    for key in ("headline", "body", "tags", "authors", "links"):
        assert newest.snapshot[key] == first.snapshot[key]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORED)
    assert entry.actor == "eddie"
    assert entry.detail == f"to version of {revisions.version_label(first)}"
    assert f"(revision {first.revision})" in entry.detail


def test_the_change_form_shows_the_restored_text(client, editor):
    story, first = restored_story(client, editor)
    client.post(restore_url(story, first), {"base_revision": story.revision})
    page = client.get(change_url(story)).content.decode()
    assert "Negotiators met." in page and "Different words." not in page
    assert "Restored the version of" in page


def test_readers_see_the_restored_text_at_once(client, editor):
    story = ArticleFactory(body=body("The first account."))
    client.post(change_url(story), article_data(story, body=body("A later account.")))
    story.refresh_from_db()
    reader = type(client)()
    assert "A later account." in reader.get(story.get_absolute_url()).content.decode()
    first = versions_of(story)[0]
    client.post(restore_url(story, first), {"base_revision": story.revision})
    assert "The first account." in reader.get(story.get_absolute_url()).content.decode()


def test_restore_keeps_status_publication_time_and_address(client, editor):
    story = in_review(headline="Talks open")
    StoryVersion.objects.capture(story)
    editing.publish(article=story, user=editor)
    story.refresh_from_db()
    client.post(change_url(story), article_data(story, headline="Talks open in Cairo"))
    story.refresh_from_db()
    published_at = story.published_at
    client.post(restore_url(story, versions_of(story)[0]), {"base_revision": story.revision})
    story.refresh_from_db()
    assert (story.headline, story.status, story.published_at) == (
        "Talks open",
        Article.Status.PUBLISHED,
        published_at,
    )
    assert story.updated_at is not None, "a live story's change shows as an update"


def nothing_written(story, revision, versions) -> bool:
    story.refresh_from_db()
    return (
        story.revision == revision
        and len(versions_of(story)) == versions
        and not AuditEntry.objects.filter(action=AuditEntry.Action.RESTORED).exists()
    )


def test_a_stale_restore_is_refused_and_writes_nothing(client, editor):
    story, first = restored_story(client, editor)
    opened_at = story.revision
    Article.objects.filter(pk=story.pk).bump_revision()  # someone saved meanwhile
    versions = len(versions_of(story))
    response = client.post(restore_url(story, first), {"base_revision": opened_at})
    assert response.status_code == 409
    assert "Not restored: the story was saved after you opened this page" in (
        response.content.decode()
    )
    assert nothing_written(story, opened_at + 1, versions)
    assert story.headline == "A rewritten story"


@pytest.mark.parametrize("posted", [{}, {"base_revision": "x"}, {"base_revision": "1e3"}])
def test_a_restore_that_does_not_say_where_it_began_is_refused(client, editor, posted):
    story, first = restored_story(client, editor)
    versions = len(versions_of(story))
    response = client.post(restore_url(story, first), posted)
    assert response.status_code == 400
    assert "did not say which revision" in response.content.decode()
    assert nothing_written(story, story.revision, versions)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ({"headline": "x" * 400}, "headline: Ensure this value has at most 300 characters"),
        ({"body": ""}, "body: This field cannot be blank"),
        ({"tags": {"people": ["!!!"]}}, "cannot have an address"),
        ({"links": [{"target_id": None, "target_headline": "", "placement": 1}]}, "blank"),
        ({"links": [{"target_headline": "Somewhere", "placement": -1}]}, "greater than"),
        ({"tags": {"people": "Joe Biden"}}, "damaged"),
        ({"authors": "Rana"}, "damaged"),
    ],
)
def test_a_version_that_would_make_an_invalid_story_is_refused_with_the_reason(
    client, editor, damage, message
):
    story, first = restored_story(client, editor)
    StoryVersion.objects.filter(pk=first.pk).update(snapshot=first.snapshot | damage)
    versions = len(versions_of(story))
    response = client.post(restore_url(story, first), {"base_revision": story.revision})
    assert response.status_code == 400
    assert "Not restored" in response.content.decode()
    assert message in response.content.decode()
    assert nothing_written(story, story.revision, versions)


def test_a_damaged_record_shows_as_an_error_not_a_server_error(client, editor):
    story = draft()
    version = StoryVersion.objects.capture(story)
    StoryVersion.objects.filter(pk=version.pk).update(snapshot=["not", "a", "story"])
    response = client.get(version_url(story, version))
    assert response.status_code == 200
    assert "damaged" in response.content.decode()
    assert "Restore this version" not in response.content.decode()


def test_a_lead_photo_removed_since_comes_back(client, editor):
    """The version names the library photo; restoring brings that photo back as the lead."""
    photo = ImageFactory(alt_text="Delegates at the table", credit="AP")
    story = draft(lead_image=photo)
    first = StoryVersion.objects.capture(story, user=editor)
    assert first.snapshot["image"] | {"name": ""} == {
        "id": photo.pk,
        "name": "",
        "alt": "Delegates at the table",
        "caption": photo.caption,
        "credit": "AP",
    }
    client.post(change_url(story), article_data(story, lead_image=""))
    story.refresh_from_db()
    assert story.lead_image is None
    client.post(restore_url(story, first), {"base_revision": story.revision})
    story.refresh_from_db()
    assert story.lead_image == photo


@pytest.mark.parametrize(
    "image",
    [
        {"id": 987654, "name": "articles/gone.jpg", "alt": "A photo"},
        # Versions recorded before the image library named a file, not a library photo.
        {"name": "../../etc/passwd", "alt": "A photo"},
        {"name": "/etc/passwd"},
    ],
)
def test_a_lead_photo_gone_from_the_library_is_left_as_it_is(client, editor, image):
    story, first = restored_story(client, editor)
    StoryVersion.objects.filter(pk=first.pk).update(snapshot=first.snapshot | {"image": image})
    response = client.post(
        restore_url(story, first), {"base_revision": story.revision}, follow=True
    )
    assert "no longer in the image library" in response.content.decode()
    story.refresh_from_db()
    assert (story.lead_image, story.body) == (None, first.snapshot["body"])


def test_links_to_stories_deleted_since_come_back_pending_by_headline(client, editor):
    story, first = restored_story(client, editor)
    Article.objects.filter(headline="Talks stall in Doha").delete()
    client.post(restore_url(story, first), {"base_revision": story.revision})
    assert list(story.links_out.values_list("target", "target_headline")) == [
        (None, "Talks stall in Doha"),
        (None, "A story still to come"),
    ]
    # …and a story with that headline written later resolves it, as any pending link.
    newcomer = ArticleFactory(headline="Talks stall in Doha", slug="talks-stall-again")
    assert CrossLink.objects.get(source=story, target_headline="Talks stall in Doha").target == (
        newcomer
    )


def test_a_missing_author_or_section_is_a_warning_and_the_rest_is_restored(client, editor):
    story, first = restored_story(client, editor)
    Section.objects.filter(name="Middle East").delete()
    Author.objects.filter(name="Rana Ayyub").delete()
    story.refresh_from_db()
    response = client.post(
        restore_url(story, first), {"base_revision": story.revision}, follow=True
    )
    page = response.content.decode()
    assert "The author “Rana Ayyub” no longer exists." in page
    assert "The section “Middle East” no longer exists." in page
    story.refresh_from_db()
    assert (story.headline, story.section) == (first.snapshot["headline"], None)
    assert not story.bylines.exists()


class TestPermissions:
    @pytest.fixture
    def writer(self, client):
        user = make_user("wanda", "Writer")
        client.force_login(user)
        return user

    def test_a_writer_restores_their_own_draft(self, client, writer):
        story = draft(body=body("First draft."), created_by=writer)
        StoryVersion.objects.capture(story, user=writer)
        client.post(change_url(story), article_data(story, body=body("Second draft.")))
        story.refresh_from_db()
        first = versions_of(story)[0]
        response = client.post(restore_url(story, first), {"base_revision": story.revision})
        assert response.status_code == 302
        story.refresh_from_db()
        assert story.body == body("First draft.")

    def test_a_writer_cannot_restore_a_live_story_even_their_own(self, client, writer):
        story = ArticleFactory(body=body("Live words."), created_by=writer)
        first = StoryVersion.objects.capture(story)
        Article.objects.filter(pk=story.pk).update(body=body("Later words."), revision=2)
        StoryVersion.objects.capture(story)
        response = client.post(restore_url(story, first), {"base_revision": 2})
        assert response.status_code == 403
        assert nothing_written(story, 2, 2)
        page = client.get(version_url(story, first)).content.decode()
        assert "Restore this version" not in page, "they may still read it"

    def test_a_writer_cannot_restore_someone_elses_draft(self, client, writer):
        story = draft()
        first = StoryVersion.objects.capture(story)
        response = client.post(restore_url(story, first), {"base_revision": story.revision})
        assert response.status_code == 403

    def test_staff_without_story_permissions_see_no_history(self, client):
        client.force_login(make_user("visitor", None))
        story = draft()
        version = StoryVersion.objects.capture(story)
        assert client.get(history_url(story)).status_code == 403
        assert client.get(version_url(story, version)).status_code == 403


# purge_revisions ---------------------------------------------------------------------------


def aged(version: StoryVersion, days: int) -> None:
    StoryVersion.objects.filter(pk=version.pk).update(
        captured_at=timezone.now() - timedelta(days=days)
    )


def test_purge_keeps_published_and_latest_versions_and_says_what_it_removed():
    story = draft(headline="Kept story")
    old_draft = StoryVersion.objects.capture(story)
    Article.objects.filter(pk=story.pk).update(
        status="published", published_at=timezone.now() - timedelta(days=50), revision=2
    )
    live = StoryVersion.objects.capture(story)
    Article.objects.filter(pk=story.pk).update(headline="Kept story, edited", revision=3)
    live_again = StoryVersion.objects.capture(story)
    Article.objects.filter(pk=story.pk).update(status="draft", revision=4)
    latest = StoryVersion.objects.capture(story)
    recent_draft = StoryVersion.objects.capture(draft(headline="Recent"))
    for version, days in ((old_draft, 60), (live, 40), (live_again, 35), (latest, 31)):
        aged(version, days)
    output = StringIO()
    call_command("purge_revisions", "--keep-days", "30", stdout=output)
    assert set(StoryVersion.objects.values_list("pk", flat=True)) == {
        live.pk,
        live_again.pk,
        latest.pk,
        recent_draft.pk,
    }
    assert "Removed 1 version of 1 story" in output.getvalue()


def test_purge_lists_each_story_when_verbose():
    story = draft(headline="Chatty story")
    first = StoryVersion.objects.capture(story)
    Article.objects.filter(pk=story.pk).update(headline="Chatty story, again", revision=2)
    StoryVersion.objects.capture(story)
    aged(first, 10)
    output = StringIO()
    call_command("purge_revisions", "--keep-days", "5", verbosity=2, stdout=output)
    assert "Chatty story, again: 1 version" in output.getvalue()


@pytest.mark.parametrize("days", ["-1", "x", "100000", ""])
def test_purge_refuses_a_bad_number_of_days(days):
    with pytest.raises(CommandError):
        call_command("purge_revisions", "--keep-days", days)
