"""Roles and workflow in the admin: what writers and editors may do, and lost updates."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from articles.editorial import editing
from articles.editorial.forms import MISSING_REVISION
from articles.models import Article, CrossLink, Person, SlugRedirect
from tests.admin_support import (
    ADD_URL,
    CHANGELIST_URL,
    article_data,
    change_url,
    make_user,
)
from tests.factories import ArticleFactory, CrossLinkFactory, draft, in_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(client):
    user = make_user("wanda", "Writer")
    client.force_login(user)
    return user


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def own_draft(user, **kwargs):
    story = draft(**kwargs)
    Article.objects.filter(pk=story.pk).update(created_by=user)
    story.refresh_from_db()
    return story


def test_groups_are_created_with_their_permissions():
    """The migration makes Writer and Editor; only Editor may publish or delete stories."""
    writer = set(Group.objects.get(name="Writer").permissions.values_list("codename", flat=True))
    editor = set(Group.objects.get(name="Editor").permissions.values_list("codename", flat=True))
    assert {"add_article", "change_article", "view_person"} <= writer
    assert {"publish_article", "delete_article"}.isdisjoint(writer)
    assert {"publish_article", "delete_article", "change_person"} <= editor


class TestWriter:
    def test_writes_a_draft_and_submits_it_for_review(self, client, writer):
        """A writer creates a story (credited to them) and moves it to review."""
        response = client.post(ADD_URL, article_data())
        assert response.status_code == 302
        story = Article.objects.get()
        assert (story.created_by, story.status) == (writer, Article.Status.DRAFT)
        response = client.post(change_url(story), article_data(story, status="review"))
        assert response.status_code == 302
        story.refresh_from_db()
        assert story.status == Article.Status.REVIEW

    def test_sees_only_draft_and_review_statuses(self, client, writer):
        """The status select offers a writer no way to publish or archive."""
        form = client.get(ADD_URL).context["adminform"].form
        assert [value for value, _ in form.fields["status"].choices] == ["draft", "review"]
        assert "published_at" not in form.fields

    @pytest.mark.parametrize("status", ["published", "archived"])
    def test_cannot_publish_through_the_form(self, client, writer, status):
        """A crafted POST with a publishing status is refused and nothing changes."""
        story = own_draft(writer)
        data = article_data(
            story, status=status, published_at_0="2020-01-01", published_at_1="10:00:00"
        )
        response = client.post(change_url(story), data)
        assert response.status_code == 200
        story.refresh_from_db()
        assert (story.status, story.published_at) == (Article.Status.DRAFT, None)

    def test_cannot_schedule_by_posting_a_publication_time(self, client, writer):
        """A writer's POST with a publication time does not set one."""
        story = own_draft(writer)
        data = article_data(story, published_at_0="2030-01-01", published_at_1="10:00:00")
        assert client.post(change_url(story), data).status_code == 302
        story.refresh_from_db()
        assert story.published_at is None

    def test_cannot_publish_through_the_action(self, client, writer):
        """The publish and archive actions are not offered, and posting them does nothing."""
        story = own_draft(writer)
        response = client.get(CHANGELIST_URL)
        assert response.context["action_form"] is None  # no action a writer may run
        for action in ("publish_selected", "archive_selected"):
            client.post(CHANGELIST_URL, {"action": action, ACTION_CHECKBOX_NAME: [story.pk]})
        story.refresh_from_db()
        assert story.status == Article.Status.DRAFT

    def test_cannot_edit_others_stories_or_live_ones(self, client, writer):
        """Others' drafts and any live story are read-only for a writer, even by POST."""
        others = draft(headline="Somebody else's draft")
        live = ArticleFactory(headline="A live story")
        Article.objects.filter(pk=live.pk).update(created_by=writer)
        for story in (others, live):
            response = client.get(change_url(story))
            assert response.status_code == 200
            assert not response.context["has_change_permission"]
            data = article_data(story, headline="Hijacked")
            assert client.post(change_url(story), data).status_code == 403
            story.refresh_from_db()
            assert story.headline != "Hijacked"

    def test_cannot_add_links_to_a_live_story(self, client, writer):
        """The link-back endpoint refuses a writer who cannot edit the story it changes."""
        from django.urls import reverse

        story = own_draft(writer)
        live = ArticleFactory()
        link = CrossLinkFactory(source=story, target=live)
        url = reverse("admin:articles_article_link_back", args=[story.pk, link.pk])
        assert client.post(url).status_code == 403
        assert not live.links_out.exists()

    def test_cannot_edit_links_through_the_link_list(self, client, writer):
        """The standalone link admin is read-only for writers, so live stories stay safe."""
        from django.urls import reverse

        link = CrossLinkFactory()
        url = reverse("admin:articles_crosslink_change", args=[link.pk])
        data = {"source": link.source_id, "target": "", "target_headline": "X", "order": 0}
        assert client.post(url, data).status_code == 403
        assert client.post(reverse("admin:articles_crosslink_add"), data).status_code == 403
        link.refresh_from_db()
        assert link.target is not None


class TestEditor:
    def test_publish_action_publishes_now_or_schedules(self, client, editor):
        """Publishing sets now for stories without a time and schedules future ones."""
        waiting = in_review()
        future = timezone.now() + timedelta(days=2)
        later = draft()
        Article.objects.filter(pk=later.pk).update(published_at=future)
        response = client.post(
            CHANGELIST_URL,
            {"action": "publish_selected", ACTION_CHECKBOX_NAME: [waiting.pk, later.pk]},
        )
        assert response.status_code == 302
        assert Article.objects.live().get() == waiting
        later.refresh_from_db()
        assert (later.status, later.published_at) == (Article.Status.PUBLISHED, future)

    def test_publish_action_reports_a_story_that_cannot_be_published(self, client, editor):
        """A story failing validation stays unpublished and is named in a message."""
        empty = draft(headline="Empty story", body="")
        data = {"action": "publish_selected", ACTION_CHECKBOX_NAME: [empty.pk]}
        response = client.post(CHANGELIST_URL, data, follow=True)
        texts = [str(message) for message in response.context["messages"]]
        assert any("“Empty story” was not published" in text for text in texts)
        empty.refresh_from_db()
        assert empty.status == Article.Status.DRAFT

    def test_publish_through_the_form_without_a_time_means_now(self, client, editor):
        """Choosing Published with no time publishes at once."""
        story = draft()
        response = client.post(change_url(story), article_data(story, status="published"))
        assert response.status_code == 302
        assert Article.objects.live().get() == story

    def test_archive_action_confirms_and_lists_live_stories_linking_in(self, client, editor):
        """Archiving first shows which live stories link in, each to its admin page."""
        story = ArticleFactory()
        fan = ArticleFactory(headline="A live fan of the story")
        CrossLinkFactory(source=fan, target=story)
        CrossLinkFactory(source=draft(headline="Hidden draft fan"), target=story)
        data = {"action": "archive_selected", ACTION_CHECKBOX_NAME: [story.pk]}
        response = client.post(CHANGELIST_URL, data)
        content = response.content.decode()
        assert response.status_code == 200
        assert f'<a href="{change_url(fan)}">A live fan of the story</a>' in content
        assert "Hidden draft fan" not in content
        story.refresh_from_db()
        assert story.status == Article.Status.PUBLISHED
        response = client.post(CHANGELIST_URL, data | {"confirmed": "yes"})
        assert response.status_code == 302
        story.refresh_from_db()
        assert story.status == Article.Status.ARCHIVED

    def test_unpublishing_a_linked_story_in_the_form_needs_confirmation(self, client, editor):
        """Moving a live story back to draft lists the stories losing it and asks first."""
        story = ArticleFactory()
        fan = ArticleFactory(headline="Linking story")
        CrossLinkFactory(source=fan, target=story)
        page = client.get(change_url(story)).content.decode()
        assert "takes it out of their Also Read boxes" in page
        response = client.post(change_url(story), article_data(story, status="draft"))
        assert response.status_code == 200
        assert "Linking story" in str(response.context["adminform"].form.errors["status"])
        story.refresh_from_db()
        assert story.status == Article.Status.PUBLISHED
        data = article_data(story, status="draft", confirm_unpublish="on")
        assert client.post(change_url(story), data).status_code == 302
        story.refresh_from_db()
        assert story.status == Article.Status.DRAFT


class TestLostUpdate:
    def test_a_stale_save_is_refused_and_explains_itself(self, client, editor):
        """When someone saved meanwhile, the later save is refused, nothing is overwritten."""
        story = ArticleFactory(headline="Original headline")
        opened = article_data(story)  # both editors open revision 1
        first = client.post(change_url(story), opened | {"headline": "First editor's headline"})
        assert first.status_code == 302
        story.refresh_from_db()
        assert story.revision == 2

        second = client.post(change_url(story), opened | {"body": "<p>Second editor's body</p>"})
        assert second.status_code == 200
        errors = " ".join(second.context["adminform"].form.non_field_errors())
        assert "saved by eddie" in errors and "revision 2" in errors
        assert "Headline" in errors  # what differs from the saved version
        assert change_url(story).rstrip("/") in errors
        story.refresh_from_db()
        assert (story.headline, story.revision) == ("First editor's headline", 2)
        assert "Second editor" not in story.body

    def test_each_save_bumps_the_revision(self, client, editor):
        """Saving with the current revision works and moves it on by one."""
        story = ArticleFactory()
        for expected in (2, 3):
            response = client.post(change_url(story), article_data(story, standfirst="New"))
            assert response.status_code == 302
            story.refresh_from_db()
            assert story.revision == expected


class TestEveryWriteMovesTheRevision:
    """A write to a story or its parts outside its form (one-click actions, other admins)
    moves the story's revision on: a form opened before it is refused instead of silently
    undoing the write."""

    @pytest.fixture
    def story(self):
        story = ArticleFactory(people=["Joe Biden"])
        CrossLink.objects.create(
            source=story, target_headline="Rafah crossing reopens", placement=1
        )
        return story

    def accept_suggested_person(self, client, story):
        url = reverse("newsroom_admin:accept_entity", args=[story.pk])
        client.post(url, {"suggested_tag": "person:Steve Witkoff"})
        return lambda: "Steve Witkoff" in story.people.names()

    def add_suggested_link(self, client, story):
        target = ArticleFactory()
        url = reverse("newsroom_admin:add_link", args=[story.pk])
        client.post(url, {"suggested_target": target.pk})
        return lambda: story.links_out.filter(target=target).exists()

    def link_back_here(self, client, story):
        fan = ArticleFactory()
        link = CrossLinkFactory(source=fan, target=story)
        client.post(reverse("admin:articles_article_link_back", args=[story.pk, link.pk]))
        return lambda: story.links_out.filter(target=fan).exists()

    def rename_its_person(self, client, story):
        person = story.people.get()
        client.post(
            reverse("admin:articles_person_change", args=[person.pk]),
            {"name": "Joseph Biden", "aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"},
        )
        return lambda: list(story.people.names()) == ["Joseph Biden"]

    def delete_its_person(self, client, story):
        person = story.people.get()
        client.post(reverse("admin:articles_person_delete", args=[person.pk]), {"post": "yes"})
        return lambda: not Person.objects.exists()

    def point_its_pending_link_in_the_link_list(self, client, story):
        pending, target = story.links_out.get(), ArticleFactory()
        url = reverse("admin:articles_crosslink_change", args=[pending.pk])
        data = {"source": story.pk, "target": target.pk, "target_headline": "Rafah", "order": 0}
        client.post(url, data | {"placement": 1})
        return lambda: story.links_out.get().target == target

    def give_it_an_old_address(self, client, story):
        url = reverse("admin:articles_slugredirect_add")
        client.post(url, {"old_slug": "an-older-address", "article": story.pk})
        return lambda: SlugRedirect.objects.filter(article=story).exists()

    @pytest.mark.parametrize(
        "write",
        [
            accept_suggested_person,
            add_suggested_link,
            link_back_here,
            rename_its_person,
            delete_its_person,
            point_its_pending_link_in_the_link_list,
            give_it_an_old_address,
        ],
    )
    def test_a_form_opened_before_the_write_is_refused(self, client, editor, story, write):
        opened = article_data(story, standfirst="Edited in a form opened earlier")
        write_survives = write(self, client, story)
        assert write_survives()

        response = client.post(change_url(story), opened)
        assert response.status_code == 200
        assert "saved by" in " ".join(response.context["adminform"].form.non_field_errors())
        story.refresh_from_db()
        assert story.standfirst != "Edited in a form opened earlier"
        assert write_survives()

    def test_a_form_opened_before_a_link_resolved_does_not_unresolve_it(
        self, client, editor, story
    ):
        """A pending link resolving when its story is written is no editor's change, so the
        form stays valid; saving it leaves the link pointing at the story."""
        opened = article_data(story, standfirst="Edited in a form opened earlier")
        awaited = ArticleFactory(headline="Rafah crossing reopens")
        response = client.post(change_url(story), opened)
        assert response.status_code == 302, response.context["adminform"].form.errors
        story.refresh_from_db()
        assert story.standfirst == "Edited in a form opened earlier"
        assert story.links_out.get().target == awaited

    def test_the_refusal_names_what_the_write_changed(self, client, editor, story):
        """After a suggested tag was accepted, the message names its kind and its author."""
        opened = article_data(story)
        self.accept_suggested_person(client, story)
        response = client.post(change_url(story), opened)
        errors = " ".join(response.context["adminform"].form.non_field_errors())
        assert "saved by eddie" in errors
        differs = errors.split("Where yours differ from the saved version: ")[1].split(".")[0]
        assert "People" in differs.split(", ")


class TestFormsWithoutARevision:
    @pytest.mark.parametrize("base_revision", [None, "", "two"])
    def test_a_change_form_without_its_revision_is_refused(self, client, editor, base_revision):
        """A change-form POST without a usable ``base_revision`` could undo any change made
        since: it is refused with a message telling the editor to reload."""
        story = ArticleFactory(headline="Original headline")
        data = article_data(story, headline="Blind overwrite")
        if base_revision is None:
            del data["base_revision"]
        else:
            data["base_revision"] = base_revision
        response = client.post(change_url(story), data)
        assert response.status_code == 200
        assert MISSING_REVISION in response.context["adminform"].form.non_field_errors()
        story.refresh_from_db()
        assert (story.headline, story.revision) == ("Original headline", 1)

    def test_a_new_story_needs_no_revision(self, client, editor):
        """Adding a story has nothing to guard: no revision field is needed."""
        assert client.post(ADD_URL, article_data()).status_code == 302

    def test_saving_an_existing_story_needs_its_revision(self):
        """The editing service refuses an edit of a stored story that does not say which
        revision it began from, whoever calls it."""
        story = ArticleFactory(headline="Original headline")
        story.headline = "Blind overwrite"
        with pytest.raises(editing.StaleRevision):
            editing.save_article(article=story, base_revision=None)
        story.refresh_from_db()
        assert story.headline == "Original headline"


class TestOldAddresses:
    """An old address of a live story belongs to it (its SlugRedirect answers 301 there)."""

    @pytest.fixture
    def renamed(self):
        story = ArticleFactory(headline="Talks resume", slug="new-address")
        SlugRedirect.objects.create(old_slug="old-address", article=story)
        return story

    def assert_still_redirects(self, client, renamed):
        client.logout()
        response = client.get("/news/old-address/")
        assert (response.status_code, response["Location"]) == (301, renamed.get_absolute_url())

    def test_a_writer_cannot_take_a_live_storys_old_address(self, client, writer, renamed):
        """A writer's draft given a live story's old address is refused with a message; the
        redirect stays and readers following it still reach the story."""
        story = own_draft(writer)
        response = client.post(change_url(story), article_data(story, slug="old-address"))
        assert response.status_code == 200
        errors = str(response.context["adminform"].form.errors["slug"])
        assert "old address of the live story “Talks resume”" in errors
        story.refresh_from_db()
        assert story.slug != "old-address"
        self.assert_still_redirects(client, renamed)

    def test_an_editor_cannot_take_it_either(self, client, editor, renamed):
        """Editors too: neither a new story nor an existing one may take it."""
        response = client.post(ADD_URL, article_data(slug="old-address"))
        assert response.status_code == 200
        assert "old address of the live story" in str(response.context["adminform"].form.errors)
        story = draft()
        response = client.post(change_url(story), article_data(story, slug="old-address"))
        assert response.status_code == 200
        assert not Article.objects.filter(slug="old-address").exists()
        self.assert_still_redirects(client, renamed)

    def test_every_entry_point_that_validates_refuses_it(self, renamed):
        """The rule is the model's (the importer and services call full_clean)."""
        story = Article(headline="Other story", slug="old-address", body="<p>Text.</p>")
        with pytest.raises(ValidationError) as refused:
            story.full_clean()
        assert list(refused.value.message_dict) == ["slug"]

    def test_an_editor_may_take_the_old_address_of_a_story_not_live(self, client, editor, renamed):
        """Once the story is archived, its old address serves nothing: an editor may give it
        to another story, and the redirect goes."""
        editing.archive(article=renamed)
        story = draft()
        response = client.post(change_url(story), article_data(story, slug="old-address"))
        assert response.status_code == 302, response.context["adminform"].form.errors
        story.refresh_from_db()
        assert story.slug == "old-address"
        assert not SlugRedirect.objects.filter(old_slug="old-address").exists()

    def test_a_writer_may_not_take_any_other_storys_old_address(self, client, writer, renamed):
        """Giving away a story's old address is an editor's decision."""
        editing.archive(article=renamed)
        story = own_draft(writer)
        response = client.post(change_url(story), article_data(story, slug="old-address"))
        assert response.status_code == 200
        assert "only an editor" in str(response.context["adminform"].form.errors["slug"])
        assert SlugRedirect.objects.filter(old_slug="old-address").exists()
