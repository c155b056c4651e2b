"""Wire ingest: ``POST /api/ingest/`` with an ingest token, story files and ninjs documents,
drafts or as the token allows, never over the newsroom's work, bad input refused by field."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, AuditEntry, CrossLink, IngestToken, StoryVersion
from tests.admin_support import make_user
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

URL = "/api/ingest/"

STORY = """Headline: Agency reports talks resume in Doha
Section: World
Source: Wire Agency
People: Benjamin Netanyahu
Countries: Qatar
Topics: Gaza ceasefire

Negotiators met again in Doha on Tuesday.

Also Read: An earlier story about the talks

Mediators said the next round would follow within days.
"""


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def token():
    return IngestToken.objects.issue(name="Wire Agency")


@pytest.fixture
def publishing_token():
    return IngestToken.objects.issue(name="Trusted Desk", allows=IngestToken.Allows.PUBLISHED)


def deliver(client, secret, body, content_type="text/plain; charset=utf-8"):
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", URL, data, content_type=content_type, **bearer(secret))


def ninjs(**fields) -> str:
    document = {
        "uri": "urn:wire:2026:1",
        "type": "text",
        "headlines": [{"role": "main", "value": "Ceasefire talks resume in Cairo"}],
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/html",
                "value": "<p>Talks resumed.</p><p>Also Read: An earlier story about the talks</p>"
                "<p>More <b>soon</b>.</p><script>alert(1)</script>",
            }
        ],
        "descriptions": [{"role": "summary", "value": "Delegations met again."}],
        "people": [{"name": "Benjamin Netanyahu"}],
        "places": [{"name": "Egypt"}, {"name": "Gaza City"}],
        "subjects": [{"name": "Gaza ceasefire"}],
        "bylines": [{"byline": "Rita Reporter"}],
        "infosources": [{"name": "Wire Agency"}],
    }
    document.update(fields)
    return json.dumps({key: value for key, value in document.items() if value is not None})


# Authentication --------------------------------------------------------------------------


def test_missing_token_is_401(client):
    response = client.post(URL, STORY, content_type="text/plain")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "error" in response.json()
    assert not Article.objects.exists()


def test_wrong_token_is_401(client, token):
    response = deliver(client, "nrw_not-a-token", STORY)
    assert response.status_code == 401
    assert not Article.objects.exists()


def test_revoked_token_is_403(client, token):
    row, secret = token
    row.revoked_at = timezone.now()
    row.save()
    response = deliver(client, secret, STORY)
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_only_the_digest_of_a_token_is_stored(token):
    row, secret = token
    assert secret.startswith("nrw_") and len(secret) > 40
    assert secret not in (row.digest, row.hint)
    assert IngestToken.objects.holding(secret) == row


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_405(client, token, method):
    response = getattr(client, method)(URL, **bearer(token[1]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"]


def test_ingest_needs_no_csrf_token_but_the_admin_does(token):
    csrf_client = Client(enforce_csrf_checks=True)
    response = deliver(csrf_client, token[1], STORY)
    assert response.status_code == 201
    assert csrf_client.post(reverse("admin:login"), {}).status_code == 403


# Story files -----------------------------------------------------------------------------


def test_story_file_arrives_as_a_tagged_draft_with_links_resolved(client, token):
    earlier = ArticleFactory(headline="An earlier story about the talks")
    response = deliver(client, token[1], STORY)
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["outcome"] == "created" and answer["status"] == "draft"
    story = Article.objects.get(slug=answer["slug"])
    assert story.status == Article.Status.DRAFT
    assert story.source == "Wire Agency"
    assert list(story.people.names()) == ["Benjamin Netanyahu"]
    assert list(story.countries.names()) == ["Qatar"]
    assert story.links_out.get().target == earlier
    entry = AuditEntry.objects.get(action=AuditEntry.Action.INGESTED)
    assert entry.actor == "ingest: Wire Agency" and entry.subject_id == story.pk
    assert StoryVersion.objects.filter(article=story, actor="ingest: Wire Agency").exists()
    token[0].refresh_from_db()
    assert token[0].last_used_at is not None


def test_pending_link_resolves_when_its_story_is_delivered(client, token):
    deliver(client, token[1], STORY)
    link = CrossLink.objects.get()
    assert link.target is None
    deliver(client, token[1], "Headline: An earlier story about the talks\n\nBody.\n")
    link.refresh_from_db()
    assert link.target.headline == "An earlier story about the talks"


def test_draft_token_cannot_publish(client, token):
    published = "Status: published\nPublished: 2026-01-01T10:00:00Z\n" + STORY
    response = deliver(client, token[1], published)
    assert response.status_code == 201
    assert Article.objects.get().status == Article.Status.DRAFT


def test_publishing_token_publishes(client, publishing_token):
    published = "Status: published\nPublished: 2026-01-01T10:00:00Z\n" + STORY
    response = deliver(client, publishing_token[1], published, "text/markdown")
    assert response.status_code == 201
    story = Article.objects.get()
    assert story.is_live()
    assert client.get(story.get_absolute_url()).status_code == 200


def test_same_delivery_again_changes_nothing(client, token):
    assert deliver(client, token[1], STORY).status_code == 201
    story = Article.objects.get()
    again = deliver(client, token[1], STORY)
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert Article.objects.get().revision == story.revision
    changed = deliver(client, token[1], STORY.replace("Tuesday", "Wednesday"))
    assert changed.json()["outcome"] == "updated"
    assert "Wednesday" in Article.objects.get().body


def test_delivery_never_replaces_newsroom_edits(client, token):
    deliver(client, token[1], STORY)
    story = Article.objects.get()
    Article.objects.filter(pk=story.pk).update(
        body="<p>The desk rewrote this.</p>", revision=story.revision + 1
    )
    response = deliver(client, token[1], STORY.replace("Tuesday", "Wednesday"))
    assert response.status_code == 409
    assert response.json()["field"] == "slug"
    assert "edited in the newsroom" in response.json()["error"]
    assert Article.objects.get().body == "<p>The desk rewrote this.</p>"


def test_delivery_never_replaces_a_story_written_in_the_newsroom(client, token):
    ArticleFactory(headline="Agency reports talks resume in Doha", body="<p>Ours.</p>")
    response = deliver(client, token[1], STORY)
    assert response.status_code == 409
    assert Article.objects.get().body == "<p>Ours.</p>"


# ninjs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", "application/ninjs+json"])
def test_ninjs_document_arrives_as_a_draft(client, token, content_type):
    earlier = ArticleFactory(headline="An earlier story about the talks")
    response = deliver(client, token[1], ninjs(), content_type)
    assert response.status_code == 201, response.json()
    story = Article.objects.get(slug=response.json()["slug"])
    assert story.headline == "Ceasefire talks resume in Cairo"
    assert story.status == Article.Status.DRAFT
    assert story.standfirst == "Delegations met again."
    assert "<script" not in story.body and "<b>soon</b>" in story.body
    assert list(story.people.names()) == ["Benjamin Netanyahu"]
    assert list(story.countries.names()) == ["Egypt"]  # a city is no country hub
    assert list(story.topics.names()) == ["Gaza ceasefire"]
    assert [a.name for a in story.authors.all()] == ["Rita Reporter"]
    assert story.source == "Wire Agency"
    assert story.links_out.get().target == earlier


def test_ninjs_usable_publishes_with_a_publishing_token(client, publishing_token):
    document = ninjs(pubstatus="usable", versioncreated="2026-01-02T08:00:00Z")
    response = deliver(client, publishing_token[1], document, "application/json")
    assert response.status_code == 201, response.json()
    assert Article.objects.get().is_live()


def test_ninjs_related_associations_become_links(client, token):
    document = ninjs(associations={"related": {"headlines": [{"value": "Some other story"}]}})
    deliver(client, token[1], document, "application/json")
    link = CrossLink.objects.get(placement=None)
    assert (link.target_headline, link.placement) == ("Some other story", None)


# Embargo ---------------------------------------------------------------------------------


def test_embargoed_ninjs_stays_off_every_public_surface_until_its_time(client, publishing_token):
    embargo = timezone.now() + timedelta(hours=2)
    document = ninjs(pubstatus="usable", embargoed=embargo.isoformat())
    response = deliver(client, publishing_token[1], document, "application/json")
    assert response.status_code == 201, response.json()
    story = Article.objects.get()
    assert story.status == Article.Status.PUBLISHED
    assert story.embargo_until == story.published_at
    assert not story.is_live()
    assert client.get(story.get_absolute_url()).status_code == 404
    with mock.patch("django.utils.timezone.now", return_value=embargo + timedelta(seconds=1)):
        assert client.get(story.get_absolute_url()).status_code == 200


def test_story_file_published_before_its_embargo_is_refused(client, publishing_token):
    early = (
        "Status: published\nPublished: 2030-01-01T10:00:00Z\nEmbargo: 2030-01-01T12:00:00Z\n"
        + STORY
    )
    response = deliver(client, publishing_token[1], early)
    assert response.status_code == 422
    answer = response.json()
    assert answer["field"] == "published" and answer["line"] == 2
    assert "delivery:2:" in answer["error"] and "embargo" in answer["error"]
    assert not Article.objects.exists()


def test_story_file_embargo_without_publication_time_publishes_at_its_end(client, publishing_token):
    embargoed = "Status: published\nEmbargo: 2030-01-01T12:00:00Z\n" + STORY
    response = deliver(client, publishing_token[1], embargoed)
    assert response.status_code == 201, response.json()
    story = Article.objects.get()
    assert story.published_at == story.embargo_until
    assert response.json()["embargo"] == "2030-01-01T12:00:00+00:00"


# Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "line"),
    [
        ("Headline: A\nPublished: yesterday\n\nBody.\n", "published", 2),
        ("Headline: A\nEmbargo: soon\n\nBody.\n", "embargo", 2),
        ("Headline: A\nBogus: 1\n\nBody.\n", "bogus", 2),
        ("Headline: A\nStatus: withdrawn\n\nBody.\n", "status", 2),
        ("Headline: A\nImage: ../../etc/passwd\nImage-Alt: x\n\nBody.\n", "image", 2),
        ('Headline: A\nFormat: html\n\n<p><img src="/etc/passwd" alt="x"></p>\n', "body", 4),
        ("Headline: A\n", "body", 2),
        ("no header at all\n\nBody.\n", "headline", 1),
    ],
)
def test_bad_story_files_are_422_naming_field_and_line(client, token, body, field, line):
    response = deliver(client, token[1], body)
    assert response.status_code == 422, response.content
    answer = response.json()
    assert (answer["field"], answer["line"]) == (field, line)
    assert answer["error"].startswith(f"delivery:{line}:")
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"headlines": "not a list"}, "headlines"),
        ({"headlines": [{"value": 7}]}, "headlines[0].value"),
        ({"headlines": [{"value": ""}]}, "headlines"),
        ({"embargoed": "tomorrow"}, "embargoed"),
        ({"pubstatus": "canceled"}, "pubstatus"),
        ({"type": "picture"}, "type"),
        ({"people": [{"name": ["x"]}]}, "people[0].name"),
        ({"bodies": [{"role": "main", "contenttype": "text/html", "value": ""}]}, "bodies"),
    ],
)
def test_bad_ninjs_is_422_naming_the_field(client, publishing_token, document, field):
    response = deliver(client, publishing_token[1], ninjs(**document), "application/json")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b"[1, 2]", b'"x"']
)
def test_malformed_json_is_4xx(client, token, body):
    response = deliver(client, token[1], body, "application/json")
    assert response.status_code in (400, 422)
    assert response.json()["error"]
    assert not Article.objects.exists()


def test_hostile_bytes_in_a_story_file_are_422(client, token):
    for body in (b"Headline: A\x00\n\nBody.\n", b"Headline: \xff\n\nBody.\n"):
        response = deliver(client, token[1], body)
        assert response.status_code == 422
        assert response.json()["field"] == "headline"
    assert not Article.objects.exists()


def test_unknown_media_type_is_415(client, token):
    response = deliver(client, token[1], STORY, "application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["field"] == "Content-Type"
    response = deliver(client, token[1], STORY, "text/plain; charset=latin-1")
    assert response.status_code == 415


def test_huge_body_is_413_unread(client, token, settings):
    settings.NEWSROOM_INGEST_MAX_BYTES = 1000
    response = deliver(client, token[1], STORY + "x" * 1000)
    assert response.status_code == 413
    assert not Article.objects.exists()


def test_empty_body_is_400(client, token):
    assert deliver(client, token[1], b"").status_code == 400


def test_rate_limit_per_token(client, token, publishing_token, settings):
    settings.NEWSROOM_RATE_LIMITS = {**settings.NEWSROOM_RATE_LIMITS, "ingest": (2, 60)}
    assert deliver(client, token[1], STORY).status_code == 201
    assert deliver(client, token[1], STORY).status_code == 200
    refused = deliver(client, token[1], STORY)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    # Another token from the same address has its own allowance.
    assert deliver(client, publishing_token[1], "Headline: Other\n\nBody.\n").status_code == 201


def test_database_refusal_writes_nothing(client, token):
    """A slug that is an old address of a live story: the model refuses it after the
    parser let it through; the transaction leaves no row, tag, name or audit entry."""
    owner = ArticleFactory(headline="Owner")
    owner.slug_redirects.create(old_slug="taken-address")
    body = "Headline: New\nSlug: taken-address\nAuthors: Fresh Author\nPeople: New Person\n\nB.\n"
    response = deliver(client, token[1], body)
    assert response.status_code == 422
    assert response.json()["field"] == "slug"
    assert not Article.objects.filter(slug="taken-address").exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.INGESTED).exists()


# Tokens in the admin -----------------------------------------------------------------------


def test_editor_creates_a_token_seeing_its_secret_once_and_revokes_it(client):
    editor = make_user("eddie", "Editor")
    client.force_login(editor)
    add = reverse("admin:articles_ingesttoken_add")
    response = client.post(add, {"name": "Reuters desk", "allows": "draft"}, follow=True)
    assert response.status_code == 200
    token = IngestToken.objects.get()
    assert token.created_by == editor and token.allows == "draft"
    secret = next(word for word in response.text.split() if word.startswith("nrw_"))
    assert IngestToken.objects.holding(secret) == token
    change = reverse("admin:articles_ingesttoken_change", args=[token.pk])
    assert secret not in client.get(change).text
    assert deliver(Client(), secret, STORY).status_code == 201

    changelist = reverse("admin:articles_ingesttoken_changelist")
    client.post(changelist, {"action": "revoke_selected", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REVOKED).exists()
    assert deliver(Client(), secret, STORY).status_code == 403


def test_writers_cannot_make_tokens(client):
    client.force_login(make_user("wendy", "Writer"))
    assert client.get(reverse("admin:articles_ingesttoken_add")).status_code == 403
