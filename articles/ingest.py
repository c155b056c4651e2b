"""Wire ingest: stories delivered to ``POST /api/ingest/`` by agencies and desks.

A delivery is a story file (``text/plain``, ``text/markdown``) or an IPTC ninjs document
(``application/json``, ``application/ninjs+json``), sent with an ingest token an editor made
in the admin (``Authorization: Bearer <secret>``). It goes the import's way
(``articles.importing``): the same parser and checks, one transaction, pending links
resolved, tags, an audit entry and a story version, and never over the newsroom's work (a
story edited in the newsroom since it was delivered, or written there, is refused with 409;
the same delivery again changes nothing). It arrives as a draft unless the token allows
publishing; an embargo keeps it off every public surface until it ends.

The view (``articles.editorial.ingest_api``) turns ``IngestError`` into a JSON answer
naming the field.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from . import importing, ninjs_input
from .models import Article, AuditEntry, IngestToken

STORY_FILE_TYPES = ("text/plain", "text/markdown")
NINJS_TYPES = ("application/json", "application/ninjs+json")
# What errors name as the file of a delivery (``delivery:3: …``).
DELIVERY = Path("delivery")
# Outcomes of importing.write_story a delivery reports as a conflict (409): the story is
# the newsroom's now, or taken down.
REFUSED = ("skipped", importing.TAKEN_DOWN_SKIP)


class IngestError(Exception):
    """A delivery refused: the HTTP status, why, and the field (header key or ninjs
    property) and line it concerns, when there is one."""

    def __init__(self, status: int, message: str, field: str = "", line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.line = status, message, field, line

    def as_json(self) -> dict:
        answer = {"error": self.message}
        if self.field:
            answer["field"] = self.field
        if self.line is not None:
            answer["line"] = self.line
        return answer


def authenticated_token(authorization: str) -> IngestToken:
    """The token an ``Authorization: Bearer <secret>`` header names; 401 without a header
    or for a secret no token has, 403 for a revoked token."""
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise IngestError(401, "send an ingest token: 'Authorization: Bearer <token>'")
    token = IngestToken.objects.holding(secret)
    if token is None:
        raise IngestError(401, "no ingest token has this secret")
    if token.revoked:
        raise IngestError(403, f"this ingest token was revoked on {token.revoked_at:%Y-%m-%d}")
    return token


@dataclass
class Delivery:
    """A delivery parsed, not written yet, and where each line of its story file came
    from: a header key of the file delivered, or a ninjs property."""

    story: importing.StoryFile
    kind: str  # "story file" or "ninjs"
    field_at: Callable[[int], str]


def media_type(content_type: str) -> str:
    """``text/plain; charset=utf-8`` → ``text/plain``; 415 unless UTF-8 (or unsaid)."""
    kind, _, parameters = content_type.partition(";")
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value.strip('"').lower() not in ("utf-8", "utf8"):
            raise IngestError(415, "deliveries are UTF-8: send charset=utf-8", "Content-Type")
    return kind.strip().lower()


def parse_delivery(content_type: str, data: bytes, token: IngestToken) -> Delivery:
    """The story a delivery holds, as the token allows it to arrive; ``IngestError``
    (415, 400 or 422) naming the field for anything wrong with it."""
    kind = media_type(content_type)
    may_publish = token.allows == IngestToken.Allows.PUBLISHED
    if kind in STORY_FILE_TYPES:
        return parse_story_file(data, may_publish)
    if kind in NINJS_TYPES:
        return parse_ninjs(data, may_publish)
    raise IngestError(
        415,
        "send a story file (text/plain or text/markdown) or a ninjs document "
        "(application/json or application/ninjs+json)",
        "Content-Type",
    )


def as_allowed(story: importing.StoryFile, may_publish: bool) -> importing.StoryFile:
    """A token that allows drafts only makes any delivery a draft (a story in review
    stays in review): an editor publishes it."""
    unpublished = (Article.Status.DRAFT, Article.Status.REVIEW)
    if not may_publish and story.values["status"] not in unpublished:
        story.values["status"] = Article.Status.DRAFT
    return story


def parse_story_file(data: bytes, may_publish: bool) -> Delivery:
    # For naming the line of a problem, even in bytes that are no UTF-8 text.
    content = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")

    def field_at(line: int) -> str:
        return header_key_at(content, line)

    try:
        content = importing.decode_story_text(DELIVERY, data)
        story = importing.parse_story(
            DELIVERY, content, default_status=Article.Status.DRAFT, files=False
        )
    except importing.StoryFileError as error:
        raise IngestError(422, str(error), field_at(error.line), error.line) from None
    return Delivery(as_allowed(story, may_publish), "story file", field_at)


def header_key_at(content: str, line: int) -> str:
    """The story-file header key on ``line`` (``published``…), ``body`` past the header
    block; a header line that is no ``Key: value`` is ``headline`` first, ``header`` after."""
    lines = content.split("\n")
    number = first = next((n for n, given in enumerate(lines) if given.strip()), len(lines))
    while number < len(lines) and lines[number].strip():
        if number + 1 == line:
            match = importing.HEADER_LINE.match(lines[number].strip())
            if match:
                return match["key"].lower()
            return "headline" if number == first else "header"
        number += 1
    return "body"


def parse_ninjs(data: bytes, may_publish: bool) -> Delivery:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise IngestError(400, f"not a JSON document ({error})", "(document)") from None
    try:
        written = ninjs_input.story_text(document, may_publish=may_publish)
        story = importing.parse_story(
            DELIVERY, written.content, default_status=Article.Status.DRAFT, files=False
        )
    except ninjs_input.NinjsError as error:
        raise IngestError(422, error.message, error.field) from None
    except importing.StoryFileError as error:
        raise IngestError(422, error.message, written.field_at(error.line)) from None
    return Delivery(as_allowed(story, may_publish), "ninjs", written.field_at)


def deliver(delivery: Delivery, token: IngestToken) -> dict:
    """Write the story, in one transaction with its audit entry and the token's use; what
    happened, for the answer. ``IngestError`` (409) when the story is the newsroom's now
    or taken down, 422 when the database refuses it; nothing is written then."""
    actor = f"ingest: {token.name}"[:150]
    story = delivery.story
    try:
        with transaction.atomic():
            outcome, note = importing.write_story(story, actor=actor)
            if outcome in REFUSED:
                # Replacing it is an editor's act; a delivery never overwrites.
                raise IngestError(409, note.removesuffix("; use --overwrite to replace it"), "slug")
            article = Article.objects.get(slug=story.slug)
            if outcome != "unchanged":
                AuditEntry.objects.log(
                    AuditEntry.Action.INGESTED,
                    article,
                    actor=actor,
                    detail=f"{delivery.kind}, {outcome}, as {article.status}",
                )
            IngestToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    except importing.StoryFileError as error:
        # The database or a model refused a line the parser let through (a slug another
        # live story used, a name too long…).
        line = error.line if delivery.kind == "story file" else None
        raise IngestError(422, str(error), delivery.field_at(error.line), line) from None
    return {
        "outcome": outcome,
        "slug": article.slug,
        "status": article.status,
        "embargo": article.embargo_until and article.embargo_until.isoformat(),
        "published": article.published_at and article.published_at.isoformat(),
        "id": article.pk,
    }
