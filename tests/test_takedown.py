"""Takedowns: an editor takes a story down with a reason; from then on every address it had
answers 410 Gone with a short notice, it is on no public surface, and only an editor's
reversal brings it back as it was. Both acts are guarded, recorded and seen at once.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import importing
from articles.editorial import editing
from articles.intelligence import graph, linkhealth, suggestions, threads
from articles.models import Article, AuditEntry, SlugRedirect, TaggedPerson
from tests.admin_support import CHANGELIST_URL, article_data, change_url, make_user
from tests.factories import (
    ArticleFactory,
    CrossLinkFactory,
    archived,
    draft,
    scheduled,
    taken_down,
)
from tests.test_caching import backend, cached  # noqa: F401  (backend is a fixture)
from tests.test_invalidation import ALSO_READ, HEADLINE, HUBS, fill, fresh, newsroom  # noqa: F401

pytestmark = pytest.mark.django_db

BODY = "Defamatory claim in the third paragraph."
STANDFIRST = "A standfirst readers must not see again."
NOTE = "Removed after a court order of 3 December."
GONE_TITLE = "This story has been taken down"


def story(**kwargs):
    """A live story whose body, standfirst and tags the 410 notice must never show."""
    defaults = {
        "headline": "Minister accused of taking bribes",
        "standfirst": STANDFIRST,
        "body": f"<p>First paragraph.</p><p>{BODY}</p>",
        "people": ["Named Minister"],
    }
    return ArticleFactory(**defaults | kwargs)


def takedown_url(article):
    return reverse("admin:articles_article_takedown", args=[article.pk])


def reverse_url(article):
    return reverse("admin:articles_article_reverse_takedown", args=[article.pk])


@pytest.fixture
def editor():
    return make_user("eddie", "Editor")


@pytest.fixture
def writer():
    return make_user("wanda", "Writer")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_notice_only(response, article):
    """A 410 that says the story was taken down and gives none of its content."""
    assert response.status_code == 410
    html = response.content.decode()
    assert GONE_TITLE in html
    for content in (BODY, STANDFIRST, "Named Minister", "application/ld+json", "og:title"):
        assert content not in html, content


# The act -------------------------------------------------------------------------------------


def test_take_down_records_the_reason_and_moves_the_revision(editor):
    """The story is taken down with its reason, note and headline choice, its revision
    moves, and the audit log says who did it and why, under the story's title."""
    article = story()
    revision = article.revision
    editing.take_down(article=article, reason="legal", note=f"  {NOTE} ", user=editor)
    stored = Article.objects.get(pk=article.pk)
    assert stored.status == Article.Status.WITHDRAWN
    assert stored.status_before_takedown == Article.Status.PUBLISHED
    assert (stored.takedown_reason, stored.takedown_note) == ("legal", NOTE)
    assert stored.takedown_withholds_headline is True  # the default for a legal reason
    assert stored.taken_down_at is not None
    assert stored.revision == revision + 1 == article.revision
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.title) == ("eddie", "taken_down", article.headline)
    assert "legal" in entry.detail and NOTE in entry.detail and "withheld" in entry.detail


@pytest.mark.parametrize(
    ("reason", "withhold", "withheld"),
    [
        ("legal", None, True),
        ("privacy", None, True),
        ("error", None, False),
        ("legal", False, False),
    ],
)
def test_headline_is_withheld_by_default_for_legal_and_privacy(reason, withhold, withheld):
    article = story()
    editing.take_down(article=article, reason=reason, withhold_headline=withhold)
    assert Article.objects.get(pk=article.pk).takedown_withholds_headline is withheld


def test_reversal_restores_exactly_the_state_before(editor):
    """A reversed takedown brings the story back to its status and times, relists it under
    its tags, and is recorded with the reason it was taken down for."""
    published_at = timezone.now() - timedelta(days=3)
    article = story(published_at=published_at, updated_at=published_at + timedelta(hours=1))
    before = Article.objects.filter(pk=article.pk).values("published_at", "updated_at").get()
    editing.take_down(article=article, reason="privacy", note=NOTE, user=editor)
    assert TaggedPerson.objects.get(content_object=article).listed_at is None

    editing.reverse_takedown(article=article, user=editor)

    stored = Article.objects.get(pk=article.pk)
    assert stored.status == Article.Status.PUBLISHED
    assert stored.is_live()
    assert Article.objects.filter(pk=article.pk).values("published_at", "updated_at").get() == (
        before
    )
    assert (stored.takedown_reason, stored.takedown_note, stored.taken_down_at) == ("", "", None)
    assert stored.revision == article.revision
    assert TaggedPerson.objects.get(content_object=article).listed_at == published_at
    entry = AuditEntry.objects.order_by("pk").last()
    assert (entry.action, entry.actor) == ("reinstated", "eddie")
    assert "privacy" in entry.detail and "published" in entry.detail


def test_an_archived_story_comes_back_archived():
    """A story archived, then taken down, is archived again after the reversal (404)."""
    article = archived(headline="Old report")
    editing.take_down(article=article, reason="error")
    editing.reverse_takedown(article=article)
    assert Article.objects.get(pk=article.pk).status == Article.Status.ARCHIVED
    assert Client().get(article.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("make", [draft, scheduled], ids=["draft", "scheduled"])
def test_a_story_never_published_cannot_be_taken_down(make):
    """Nothing to take down: it stays a 404, and nothing is written."""
    article = make()
    with pytest.raises(ValidationError, match="never published"):
        editing.take_down(article=article, reason="legal")
    assert Article.objects.get(pk=article.pk).status == article.status
    assert not AuditEntry.objects.exists()
    assert Client().get(article.get_absolute_url()).status_code == 404


def test_refusals_write_nothing():
    """An unknown reason, a note too long, a second takedown and a reversal of a story not
    taken down are refused."""
    article = story()
    with pytest.raises(ValidationError, match="Unknown takedown reason"):
        editing.take_down(article=article, reason="boredom")
    with pytest.raises(ValidationError, match="at most 500"):
        editing.take_down(article=article, reason="legal", note="x" * 501)
    with pytest.raises(ValidationError, match="not taken down"):
        editing.reverse_takedown(article=article)
    editing.take_down(article=article, reason="legal")
    with pytest.raises(ValidationError, match="taken down already"):
        editing.take_down(article=article, reason="error")
    assert AuditEntry.objects.count() == 1


def test_a_stale_takedown_is_refused():
    """A takedown decided on a version that someone has changed since is refused."""
    article = story()
    seen = article.revision
    Article.objects.filter(pk=article.pk).bump_revision()
    with pytest.raises(editing.StaleRevision):
        editing.take_down(article=article, reason="legal", base_revision=seen)
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


def test_the_entry_is_written_in_the_transaction_of_the_takedown():
    article = story()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        editing.take_down(article=article, reason="legal")
        raise Boom
    assert not AuditEntry.objects.exists()
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


def test_only_a_reversal_brings_a_story_back():
    """Saving, publishing or archiving a taken-down story is refused, and so is taking a
    story down by saving it with the status."""
    article = taken_down()
    for act in (editing.publish, editing.archive):
        with pytest.raises(ValidationError, match="only reversing"):
            act(article=Article.objects.get(pk=article.pk))
    article.status = Article.Status.PUBLISHED
    with pytest.raises(ValidationError, match="only reversing"):
        editing.save_article(article=article, base_revision=article.revision)
    live = story()
    live.status = Article.Status.WITHDRAWN
    with pytest.raises(ValidationError, match="Take down"):
        editing.save_article(article=live, base_revision=live.revision)
    assert Article.objects.get(pk=article.pk).status == Article.Status.WITHDRAWN
    assert Article.objects.get(pk=live.pk).status == Article.Status.PUBLISHED


def test_the_database_refuses_a_half_made_takedown():
    """The status and the takedown's fields go together, whoever writes the row."""
    from django.db import IntegrityError

    article = story()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status=Article.Status.WITHDRAWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(takedown_reason="legal")


def test_old_addresses_of_a_taken_down_story_stay_its_own():
    """No story may take an old address of a taken-down story: it keeps answering 410."""
    article = story()
    SlugRedirect.objects.create(old_slug="bribes-story", article=article)
    editing.take_down(article=article, reason="legal")
    newcomer = ArticleFactory.build(headline="Another story", slug="bribes-story")
    with pytest.raises(ValidationError, match="taken down"):
        newcomer.full_clean()


# What readers get ------------------------------------------------------------------------------


def test_every_address_of_the_story_answers_410(client):
    """Its address, each old address (410 itself, not a 301 to one), HEAD, and a
    conditional GET with the ETag of the page as it was; the address without its final
    slash is sent to the one with it, like every page."""
    article = story()
    SlugRedirect.objects.create(old_slug="minister-bribes", article=article)
    SlugRedirect.objects.create(old_slug="bribes-claim", article=article)
    url = article.get_absolute_url()
    etag = client.get(url)["ETag"]
    assert client.get("/news/minister-bribes/").status_code == 301
    editing.take_down(article=article, reason="error")

    for address in (url, "/news/minister-bribes/", "/news/bribes-claim/"):
        assert_notice_only(client.get(address), article)
    head = client.head(url)
    assert head.status_code == 410 and head.content == b""
    conditional = client.get(url, headers={"if-none-match": etag})
    assert_notice_only(conditional, article)
    unslashed = client.get(url.rstrip("/"))
    assert (unslashed.status_code, unslashed["Location"]) == (301, url)


def test_notice_names_the_story_reason_and_date_unless_withheld(client):
    article = story()
    editing.take_down(article=article, reason="error", note=NOTE)
    shown = client.get(article.get_absolute_url())
    html = shown.content.decode()
    assert_notice_only(shown, article)
    assert article.headline in html
    assert "published in error" in html
    assert NOTE in html
    assert timezone.localtime(article.taken_down_at).strftime("%-d %B %Y") in html
    assert '<meta name="robots" content="noindex">' in html

    other = story(headline="Private details of a named child", slug="private-details")
    editing.take_down(article=other, reason="privacy")
    withheld = client.get(other.get_absolute_url()).content.decode()
    assert "Private details" not in withheld  # not in the title either
    assert "privacy" in withheld


def test_note_is_escaped(client):
    article = story()
    editing.take_down(article=article, reason="legal", note="<script>alert(1)</script>")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_stories_never_published_or_deleted_stay_404(client):
    gone = draft(headline="Never out")
    deleted = story()
    url = deleted.get_absolute_url()
    editing.take_down(article=deleted, reason="legal")
    deleted.delete()
    assert client.get(gone.get_absolute_url()).status_code == 404
    assert client.get(url).status_code == 404


def test_preview_gives_readers_nothing_and_staff_the_story(client, editor):
    article = story()
    editing.take_down(article=article, reason="legal")
    url = reverse("articles:preview", args=[article.pk])
    response = client.get(url)
    assert response.status_code == 404
    assert BODY not in response.content.decode()
    staff = signed_in(editor).get(url)
    assert staff.status_code == 200
    assert BODY in staff.content.decode()
    assert "taken down" in staff.content.decode()


def test_410_is_cached_and_a_reversal_shows_on_the_next_request(client, backend):  # noqa: F811
    article = story()
    url = article.get_absolute_url()
    editing.take_down(article=article, reason="error")
    gone = cached(client, url)
    assert gone.status_code == 410

    editing.reverse_takedown(article=article)

    back = fresh(client, url, gone)
    assert back.status_code == 200
    assert BODY in back.content.decode()


def test_taken_down_story_leaves_every_surface_on_the_next_request(client, newsroom):  # noqa: F811
    """With every surface cached (its page, the Also Read box linking to it, its hubs, the
    front page, every feed, sitemaps, the News sitemap, search), a takedown empties them
    all at once, and its page is a 410 rather than a 404."""
    room = newsroom()
    urls = {**room.surfaces(), "archive": "/archive/"}
    before = fill(client, [*urls.values(), *room.listings()])
    assert ALSO_READ in before[room.linking.get_absolute_url()].text

    editing.take_down(article=room.target, reason="error")

    for name, url in urls.items():
        response = fresh(client, url, before[url])
        if name == "story":
            assert response.status_code == 410
            assert HEADLINE in response.text  # the notice names it: an error, not withheld
        elif name == "own hub":
            assert response.status_code == 404
        else:
            assert response.status_code == 200, name
            assert HEADLINE not in response.text, name
    for url, address in room.listings().items():
        assert address not in fresh(client, url, before[url]).text, url
    assert ALSO_READ not in client.get(room.linking.get_absolute_url()).text
    for url in HUBS.values():
        assert ">1 story<" in client.get(url).text, url


# Editors' tools --------------------------------------------------------------------------------


def test_graph_threads_suggestions_and_link_health_know_it_is_down():
    """The admin's graph and threads mark it taken down (not live, not a draft), link
    suggestions leave it out, and link health flags live stories still linking to it."""
    article = story()
    linking = ArticleFactory(headline="Linking story", people=["Named Minister"])
    CrossLinkFactory(source=linking, target=article)
    editing.take_down(article=article, reason="legal")

    nodes = {node.pk: node.status for node in graph.neighbourhood(linking).nodes}
    assert nodes[article.pk] == "withdrawn"
    assert graph.STATUSES["withdrawn"] == "Taken down"
    statuses = {entry.pk: entry.status for entry in threads.thread_of(article.pk).stories}
    assert statuses == {article.pk: "withdrawn", linking.pk: "live"}
    other = ArticleFactory(people=["Named Minister"])
    assert article not in [s.article for s in suggestions.suggest_links(other)]
    report = linkhealth.link_health(max_age=timedelta(days=7))
    assert not report.ok


def test_writers_get_403_and_change_nothing(writer):
    article = story(created_by=writer)
    client = signed_in(writer)
    data = {"reason": "legal", "headline": "default", "base_revision": article.revision}
    assert client.get(takedown_url(article)).status_code == 403
    assert client.post(takedown_url(article), data).status_code == 403
    editing.take_down(article=article, reason="legal")
    article.refresh_from_db()
    assert client.post(reverse_url(article), {"base_revision": article.revision}).status_code == (
        403
    )
    # Nor may the writer edit it, though they wrote it.
    assert client.post(change_url(article), article_data(article)).status_code == 403
    assert Article.objects.get(pk=article.pk).status == Article.Status.WITHDRAWN
    assert AuditEntry.objects.filter(user=writer).count() == 0


def test_editor_takes_down_from_the_story_after_seeing_what_links_to_it(editor):
    """The change form offers "Take down…"; its page lists the live stories linking to the
    story, and the editor's choice of reason, note and headline is what is done."""
    article = story()
    linking = ArticleFactory(headline="A live story linking to it")
    CrossLinkFactory(source=linking, target=article)
    CrossLinkFactory(source=draft(headline="A draft linking to it"), target=article)
    client = signed_in(editor)
    assert takedown_url(article) in client.get(change_url(article)).content.decode()

    page = client.get(takedown_url(article)).content.decode()
    assert "A live story linking to it" in page
    assert "A draft linking to it" not in page
    response = client.post(
        takedown_url(article),
        {"reason": "legal", "note": NOTE, "headline": "show", "base_revision": article.revision},
    )
    assert response.status_code == 302
    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.takedown_reason, stored.takedown_note) == (
        "withdrawn",
        "legal",
        NOTE,
    )
    assert stored.takedown_withholds_headline is False
    assert AuditEntry.objects.get().user == editor

    form = client.get(change_url(article)).content.decode()
    assert reverse_url(article) in form
    assert takedown_url(article) not in form
    assert "answer 410 Gone" in form


def test_a_takedown_page_opened_before_a_change_is_refused(editor):
    article = story()
    client = signed_in(editor)
    seen = article.revision
    article.headline = "Changed meanwhile"
    editing.save_article(article=article, base_revision=seen)
    response = client.post(
        takedown_url(article), {"reason": "legal", "headline": "default", "base_revision": seen}
    )
    assert response.status_code == 200
    assert "changed after you opened this page" in response.content.decode()
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


def test_a_story_form_opened_before_the_takedown_cannot_save_over_it(editor):
    """The takedown moved the revision: the old form is refused as stale."""
    article = story()
    opened = article_data(article, headline="Edited in an old tab")
    editing.take_down(article=article, reason="legal")
    response = signed_in(editor).post(change_url(article), opened)
    assert response.status_code == 200
    assert "Not saved" in response.content.decode()
    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.headline) == ("withdrawn", article.headline)


def test_editors_can_edit_a_taken_down_story_but_not_its_status(editor):
    """An editor may correct the copy; status and publication time are read-only, so a
    posted status changes nothing."""
    article = story()
    editing.take_down(article=article, reason="error")
    article.refresh_from_db()
    data = article_data(article, body="<p>Corrected copy.</p>", status="published")
    response = signed_in(editor).post(change_url(article), data)
    assert response.status_code == 302
    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.body) == ("withdrawn", "<p>Corrected copy.</p>")


def test_status_choices_never_offer_a_takedown(editor):
    article = story()
    html = signed_in(editor).get(change_url(article)).content.decode()
    assert 'value="withdrawn"' not in html
    data = article_data(article, status="withdrawn")
    response = signed_in(editor).post(change_url(article), data)
    assert response.status_code == 200  # the form refuses the choice
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


def test_bulk_actions_leave_a_taken_down_story_down(editor):
    article = taken_down()
    client = signed_in(editor)
    for action in ("publish_selected", "archive_selected"):
        data = {"action": action, ACTION_CHECKBOX_NAME: [article.pk], "confirmed": "yes"}
        response = client.post(CHANGELIST_URL, data, follow=True)
        assert "only reversing the takedown" in response.content.decode(), action
    assert Article.objects.get(pk=article.pk).status == Article.Status.WITHDRAWN


def test_editor_reverses_after_a_confirmation(editor):
    article = story()
    linking = ArticleFactory(headline="A live story linking to it")
    CrossLinkFactory(source=linking, target=article)
    editing.take_down(article=article, reason="legal")
    article.refresh_from_db()
    client = signed_in(editor)
    page = client.get(reverse_url(article)).content.decode()
    assert "A live story linking to it" in page and "published" in page
    response = client.post(reverse_url(article), {"base_revision": article.revision})
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).is_live()
    assert AuditEntry.objects.order_by("pk").last().action == "reinstated"


def test_pages_for_acts_that_do_not_apply_send_the_editor_back(editor):
    client = signed_in(editor)
    never = draft()
    response = client.get(takedown_url(never), follow=True)
    assert "never published" in response.content.decode()
    response = client.post(reverse_url(story()), {"base_revision": 1}, follow=True)
    assert "not taken down" in response.content.decode()
    assert client.get(reverse("admin:articles_article_takedown", args=[99999])).status_code == 404
    assert not AuditEntry.objects.exists()


# The command -----------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("takedown", *args, stdout=out)
    return out.getvalue()


def test_command_takes_down_lists_linking_stories_and_reverses():
    article = story()
    SlugRedirect.objects.create(old_slug="old-bribes", article=article)
    linking = ArticleFactory(headline="A live story linking to it")
    CrossLinkFactory(source=linking, target=article)

    out = run("old-bribes", "--reason", "Legal", "--note", NOTE)

    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.takedown_reason, stored.takedown_note) == (
        "withdrawn",
        "legal",
        NOTE,
    )
    assert "410 Gone" in out
    assert "1 live story links to it" in out
    assert f"A live story linking to it ({linking.get_absolute_url()})" in out
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.user, entry.action) == ("takedown", None, "taken_down")

    out = run(article.slug, "--reverse")
    assert "published again" in out
    assert Article.objects.get(pk=article.pk).is_live()
    assert AuditEntry.objects.order_by("pk").last().action == "reinstated"


def test_command_headline_options():
    article = story()
    run(article.slug, "--reason", "published in error", "--withhold-headline")
    stored = Article.objects.get(pk=article.pk)
    assert (stored.takedown_reason, stored.takedown_withholds_headline) == ("error", True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-story", "--reason", "legal"], "No story has the address"),
        (["SLUG", "--reason", "the lawyers said so"], "Unknown reason"),
        (["SLUG"], "Say why with --reason"),
        (["SLUG", "--reverse"], "not taken down"),
        (["SLUG", "--reverse", "--reason", "legal"], "--reverse takes no --reason"),
        (["DRAFT", "--reason", "legal"], "never published"),
    ],
)
def test_command_errors_are_command_errors(args, message):
    article = story()
    never = draft(headline="Unpublished draft")
    args = [{"SLUG": article.slug, "DRAFT": never.slug}.get(arg, arg) for arg in args]
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED
    assert not AuditEntry.objects.exists()


def test_command_refuses_a_second_takedown():
    article = story()
    run(article.slug, "--reason", "privacy")
    with pytest.raises(CommandError, match="taken down already"):
        run(article.slug, "--reason", "legal")


# Story files -----------------------------------------------------------------------------------

STORY_FILE = (
    "Headline: Minister accused of taking bribes\nSlug: {slug}\n"
    "Published: 2026-01-02T10:00:00Z\n\nA new version of the copy.\n"
)


@pytest.mark.parametrize("overwrite", [False, True])
def test_import_never_reverses_a_takedown(tmp_path, overwrite):
    """A story file for a taken-down story is skipped, with the reason, even when told to
    overwrite; the story stays down and unchanged."""
    article = story()
    editing.take_down(article=article, reason="legal")
    path = tmp_path / "story.txt"
    path.write_text(STORY_FILE.format(slug=article.slug))

    report = importing.import_stories([path], overwrite=overwrite)

    assert report.outcomes == {path: importing.TAKEN_DOWN_SKIP}
    assert "taken down" in report.notes[path] and "--reverse" in report.notes[path]
    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.body) == ("withdrawn", article.body)


def test_import_command_reports_the_skip_without_offering_overwrite(tmp_path):
    article = taken_down(headline="Down story")
    path = tmp_path / "story.txt"
    path.write_text(STORY_FILE.format(slug=article.slug))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", str(path), stdout=out, stderr=err)
    assert f"{path}: skipped (taken down): story '{article.slug}' was taken down" in err.getvalue()
    assert "1 skipped (taken down)" in out.getvalue()
    assert "--overwrite replaces" not in out.getvalue()


def test_a_story_file_cannot_take_a_story_down(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Headline: Anything\nStatus: withdrawn\n\nCopy.\n")
    report = importing.import_stories([path])
    assert [error.line for error in report.errors] == [2]
    assert "cannot take a story down" in str(report.errors[0])
    assert not Article.objects.exists()


def test_export_leaves_taken_down_stories_out(tmp_path):
    """A taken-down story's copy stays in the database: no file an import elsewhere would
    publish again. The command says how many it left out."""
    kept = story(headline="Still live", slug="still-live")
    gone = taken_down(headline="Down story")
    out = io.StringIO()
    call_command("export_articles", str(tmp_path), stdout=out)
    assert sorted(path.name for path in tmp_path.glob("*.txt")) == [f"{kept.slug}.txt"]
    assert not (tmp_path / f"{gone.slug}.txt").exists()
    assert "Left out 1 taken-down stories." in out.getvalue()
