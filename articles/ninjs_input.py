"""IPTC ninjs documents delivered to ``POST /api/ingest/``, read as story files.

A ninjs document (2.x; the 1.x names are read too) is turned into the text of a story file
and parsed by ``articles.importing``, so a delivery is checked by the one set of rules every
import keeps (headline, address, dates, names, body, links, embargo). What is wrong with it
is reported under the ninjs field it came from.

Read: ``headlines`` (or ``headline``), ``bodies`` (or ``body_html`` / ``body_text``),
``descriptions`` (or ``description_text``) as the standfirst, ``slugline`` as the address,
``by`` / ``bylines`` (or ``byline``) as authors, ``people`` / ``person``, ``places`` /
``place`` (the countries among them) and ``subjects`` / ``subject`` as topics,
``infosources`` or ``copyrightholder`` as the source, ``embargoed``, ``pubstatus``
(``usable``: publish; ``withheld``: a draft), ``firstcreated`` / ``versioncreated`` as the
publication time, ``associations`` with a headline as Related links. Anything else is
ignored, as ninjs readers do with properties they do not know.
"""

import re
from dataclasses import dataclass, field

from . import text
from .models import Article, find_country

# Roles naming the main headline, body and summary in ninjs 2.x lists.
MAIN_ROLES = ("main", "default", "")
SUMMARY_ROLES = ("summary", "abstract", "main", "default", "")
PUBSTATUS = {"usable": Article.Status.PUBLISHED, "withheld": Article.Status.DRAFT}


class NinjsError(Exception):
    """Something in the document that no story file could say: its field and why."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field, self.message = field_name, message


@dataclass
class StoryText:
    """A ninjs document as the text of a story file, and which ninjs field each of its
    lines came from (for reporting a problem the story-file parser finds)."""

    content: str
    fields: dict[int, str] = field(default_factory=dict)
    body_field: str = "bodies"

    def field_at(self, line: int) -> str:
        return self.fields.get(line, self.body_field)


def _string(document: dict, name: str) -> str:
    value = document.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NinjsError(name, "must be a string")
    return value


def _objects(document: dict, name: str) -> list[dict]:
    value = document.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise NinjsError(name, "must be a list of objects")
    return value


def _role_value(document: dict, name: str, roles, contenttypes=None) -> tuple[str, str] | None:
    """``(value, contenttype)`` of the item of the 2.x list ``name`` with the first of
    ``roles`` (and one of ``contenttypes``), or None."""
    items = _objects(document, name)
    for index, item in enumerate(items):
        for key in ("value", "role", "contenttype"):
            if not isinstance(item.get(key, ""), str):
                raise NinjsError(f"{name}[{index}].{key}", "must be a string")
    for role in roles:
        for item in items:
            kind = item.get("contenttype", "text/plain").split(";")[0].strip().lower()
            if item.get("role", "") == role and (contenttypes is None or kind in contenttypes):
                return item.get("value", ""), kind
    return None


def _names(document: dict, *names: str, key: str = "name") -> tuple[list[str], str]:
    """The names of the objects under the first of ``names`` the document has, and that
    field's name."""
    for name in names:
        if name in document:
            found = []
            for index, item in enumerate(_objects(document, name)):
                value = item.get(key)
                if value is not None and not isinstance(value, str):
                    raise NinjsError(f"{name}[{index}].{key}", "must be a string")
                if value and text.collapse_whitespace(value):
                    found.append(value)
            return found, name
    return [], names[0]


def _headline(document: dict) -> tuple[str, str]:
    found = _role_value(document, "headlines", MAIN_ROLES)
    if found is None and "headlines" in document and _objects(document, "headlines"):
        found = (_objects(document, "headlines")[0].get("value", ""), "text/plain")
    if found is not None:
        return found[0], "headlines"
    return _string(document, "headline"), "headline"


def _body(document: dict) -> tuple[list[str], str, str]:
    """The body as story-file paragraphs, its format (``html`` or ``text``), and its field."""
    found = _role_value(document, "bodies", MAIN_ROLES, ("text/html", "text/plain"))
    if found is not None:
        value, kind = found
        name = "bodies"
    elif document.get("body_html") is not None:
        value, kind, name = _string(document, "body_html"), "text/html", "body_html"
    else:
        value, kind, name = _string(document, "body_text"), "text/plain", "body_text"
    if kind == "text/html":
        # One story-file paragraph per block; blank lines inside a block would split it.
        blocks = text.html_blocks(text.sanitise_html(value))
        return [re.sub(r"\n\s*\n", "\n", block) for block in blocks], "html", name
    paragraphs = [text.collapse_whitespace(p) for p in re.split(r"\n\s*\n", value)]
    return [p for p in paragraphs if p], "text", name


def _authors(document: dict) -> tuple[list[str], str]:
    if "bylines" in document:
        names, _ = _names(document, "bylines", key="byline")
        return names or _names(document, "bylines")[0], "bylines"
    name = "by" if "by" in document else "byline"
    return _string(document, name).split(";"), name


def _countries(document: dict) -> tuple[list[str], str]:
    """The places that are countries (by name or ISO code, ``literal`` or ``qcode``); a
    city or region is no hub of this site and is left out."""
    name = "places" if "places" in document else "place"
    countries = []
    for index, place in enumerate(_objects(document, name)):
        for key in ("name", "literal", "qcode"):
            value = place.get(key)
            if value is not None and not isinstance(value, str):
                raise NinjsError(f"{name}[{index}].{key}", "must be a string")
            candidate = (value or "").rpartition(":")[2] if key == "qcode" else value
            if candidate and find_country(candidate):
                countries.append(candidate)
                break
    return countries, name


def _source(document: dict) -> tuple[str, str]:
    sources, name = _names(document, "infosources")
    if sources:
        return sources[0], name
    return _string(document, "copyrightholder"), "copyrightholder"


def _status(document: dict, may_publish: bool) -> tuple[str, str]:
    """The status asked for: ``usable`` publishes (if the token may), anything else, or
    no ``pubstatus``, makes a draft."""
    given = _string(document, "pubstatus").lower()
    if not given:
        return Article.Status.DRAFT, "pubstatus"
    if given not in PUBSTATUS:
        raise NinjsError(
            "pubstatus",
            f"'{given}' cannot be delivered: 'usable' or 'withheld' (a story is taken down "
            "by an editor, not by a delivery)",
        )
    return PUBSTATUS[given] if may_publish else Article.Status.DRAFT, "pubstatus"


def _related(document: dict) -> list[str]:
    associations = document.get("associations")
    if associations is None:
        return []
    if isinstance(associations, dict):
        associations = list(associations.values())
    if not isinstance(associations, list) or not all(isinstance(a, dict) for a in associations):
        raise NinjsError("associations", "must be an object (or list) of ninjs objects")
    headlines = []
    for association in associations:
        if association.get("type", "text") == "text":
            headline, _ = _headline(association)
            if text.collapse_whitespace(headline):
                headlines.append(text.collapse_whitespace(headline))
    return headlines


def header_lines(document: dict, may_publish: bool) -> list[tuple[str, str, str]]:
    """(story-file key, value, ninjs field) for each header line the document gives."""
    kind = _string(document, "type")
    if kind and kind != "text":
        raise NinjsError("type", f"'{kind}' cannot be delivered as a story: only 'text'")
    status, status_field = _status(document, may_publish)
    headline, headline_field = _headline(document)
    if not text.collapse_whitespace(headline):
        raise NinjsError(headline_field, "the story has no headline (a 'main' headline)")
    standfirst = _role_value(document, "descriptions", SUMMARY_ROLES, ("text/plain", "text/html"))
    authors, authors_field = _authors(document)
    people, people_field = _names(document, "people", "person")
    topics, topics_field = _names(document, "subjects", "subject")
    countries, countries_field = _countries(document)
    source, source_field = _source(document)
    published = _string(document, "firstcreated") or _string(document, "versioncreated")
    lines = [
        ("Headline", headline, headline_field),
        ("Slug", text.slugify(_string(document, "slugline")), "slugline"),
        ("Status", status, status_field),
        ("Embargo", _string(document, "embargoed"), "embargoed"),
        ("Source", source, source_field),
        ("Authors", "; ".join(authors), authors_field),
        ("People", "; ".join(people), people_field),
        ("Countries", "; ".join(countries), countries_field),
        ("Topics", "; ".join(topics), topics_field),
    ]
    if status == Article.Status.PUBLISHED and not _string(document, "embargoed"):
        # An embargoed story is published as its embargo ends (articles.importing).
        if not published:
            raise NinjsError(
                "versioncreated",
                "a usable story needs its publication time: 'firstcreated' or "
                "'versioncreated' (or 'embargoed')",
            )
        lines.append(("Published", published, "firstcreated"))
    if standfirst:
        lines.append(("Standfirst", text.html_to_text(standfirst[0]), "descriptions"))
    elif _string(document, "description_text"):
        lines.append(("Standfirst", _string(document, "description_text"), "description_text"))
    return lines


def story_text(document, *, may_publish: bool = False) -> StoryText:
    """The story file a ninjs ``document`` (parsed JSON) says, published only if it asks
    to be and ``may_publish``; ``NinjsError`` for what no story file could say (a field of
    the wrong type, a status that cannot be delivered)."""
    if not isinstance(document, dict):
        raise NinjsError("(document)", "a ninjs document is a JSON object")
    out, fields = [], {}
    for key, value, ninjs_field in header_lines(document, may_publish):
        value = text.collapse_whitespace(text.strip_control_chars(value))
        if value:
            out.append(f"{key}: {value}")
            fields[len(out)] = ninjs_field
    paragraphs, body_format, body_field = _body(document)
    if body_format == "html":
        out.append("Format: html")
        fields[len(out)] = body_field
    related = [f"Related: {headline}" for headline in _related(document)]
    content = "\n".join(out) + "\n\n" + "\n\n".join([*paragraphs, *related]) + "\n"
    return StoryText(content, fields, body_field)
