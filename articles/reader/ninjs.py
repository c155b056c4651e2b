"""A story as an IPTC ninjs 2.2 document (https://iptc.org/standards/ninjs/), for partners
and aggregators that take news in the IPTC's JSON format.

Output only: what a story is for readers (``articles.reader.api.load_story`` gathers it, live
stories only) written in ninjs terms. Ingesting ninjs is another module's business.
``tests/test_ninjs.py`` validates documents against the official schema, kept in
``tests/data/ninjs/``.

Mapping: ``uri`` is the story's permanent id (the ``tag:`` URI its feed items carry, which no
edit changes); the page's address is an ``altids`` entry of role ``url``. People, countries and
topics are ``people``, ``places`` and ``subjects`` (``rel: "about"``), each ``uri`` its hub's
address; the section is a subject with ``rel: "section"``. ``by`` names the bylines (or the
agency), ``located`` is the dateline and ``genres`` the type of work; ``bodies`` hold the body
as HTML as the page shows it (dateline first, photos as absolute ``<img>``), ``descriptions``
the standfirst and corrections. The lead photo is an association named ``leadimage`` of type
``picture`` with its renditions; each Also Read link is an association of type ``text``
named after where it stands: ``alsoread-after-paragraph-N``, or ``related`` for the Related
stories list.
"""

from django.conf import settings

from articles import text

from .feeds import item_id, tag_uri

NINJS_VERSION = "2.2"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
MEDIA_TYPE = "application/json"


def iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def association_name(placement: int | None) -> str:
    """Where an Also Read link stands in the story, as its association's name."""
    return "related" if placement is None else f"alsoread-after-paragraph-{placement}"


def rendition_entries(renditions, absolute) -> list[dict]:
    return [
        {
            "name": f"{r.crop}-{r.format}-{r.width}",
            "href": absolute(r.file.url),
            "contenttype": r.media_type,
            "width": r.width,
            "height": r.height,
            "sizeinbytes": r.size,
        }
        for r in renditions
    ]


def lead_image(article, request, absolute) -> dict | None:
    image = article.lead_image
    if image is None:
        return None
    picture = {
        "name": "leadimage",
        "uri": tag_uri(request, image, "image"),
        "type": "picture",
        "versioncreated": iso(image.created_at),
        "descriptions": [
            {"role": "alt", "contenttype": "text/plain", "value": image.alt_text},
        ],
        "renditions": rendition_entries(image.renditions.all(), absolute),
    }
    if image.caption:
        picture["descriptions"].append(
            {"role": "caption", "contenttype": "text/plain", "value": image.caption}
        )
    if image.credit:
        picture["by"] = image.credit
    return picture


def link_association(link, request, absolute) -> dict:
    target = link.target
    return {
        "name": association_name(link.placement),
        "uri": item_id(target, request),
        "type": "text",
        "versioncreated": iso(target.modified_at),
        "firstcreated": iso(target.published_at),
        "headlines": [{"role": "main", "contenttype": "text/plain", "value": target.headline}],
        "altids": [{"role": "url", "value": absolute(target.get_absolute_url())}],
    }


def concepts(tags, absolute, rel: str = "about") -> list[dict]:
    return [
        {"name": tag.name, "rel": rel, "uri": absolute(tag.get_absolute_url()), "literal": tag.slug}
        for tag in tags
    ]


def document(story, request) -> dict:
    """The ninjs document of ``story``: an article loaded with everything a reader sees
    (``api.load_story``: tags and bylines, notices, shown links, ``body_html``)."""
    absolute = request.build_absolute_uri
    subjects = concepts(story.tags["topics"], absolute)
    if story.section:
        subjects.append(
            {
                "name": story.section.name,
                "rel": "section",
                "uri": absolute(story.section.get_absolute_url()),
                "literal": story.section.slug,
            }
        )
    descriptions = []
    if standfirst := text.collapse_whitespace(story.standfirst):
        descriptions.append({"role": "summary", "contenttype": "text/plain", "value": standfirst})
    descriptions += [
        {"role": notice.kind, "contenttype": "text/plain", "value": notice.text}
        for notice in story.notices
    ]
    bylines = [author.name for author in story.bylined]
    associations = [link_association(link, request, absolute) for link in story.shown_links]
    if picture := lead_image(story, request, absolute):
        associations.insert(0, picture)
    doc = {
        "uri": item_id(story, request),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
        "type": "text",
        "representationtype": "full",
        "version": str(story.revision),
        "firstcreated": iso(story.published_at),
        "versioncreated": iso(story.modified_at),
        "pubstatus": "usable",
        "language": settings.LANGUAGE_CODE,
        "copyrightholder": settings.NEWSROOM_SITE_NAME,
        "slugline": story.slug,
        "headlines": [{"role": "main", "contenttype": "text/plain", "value": story.headline}],
        "descriptions": descriptions,
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/html",
                "charcount": len(story.body_text),
                "wordcount": len(story.body_text.split()),
                "value": story.body_html,
            }
        ],
        "by": ", ".join(bylines) or story.source,
        "located": story.dateline,
        "genres": [{"name": story.get_story_type_display(), "literal": story.story_type}],
        "infosources": [{"name": story.source}] if story.source else [],
        "people": concepts(story.tags["people"], absolute),
        "places": concepts(story.tags["countries"], absolute),
        "subjects": subjects,
        "associations": associations,
        "altids": [{"role": "url", "value": absolute(story.get_absolute_url())}],
    }
    # ninjs leaves out what a story does not have rather than giving it empty.
    return {key: value for key, value in doc.items() if value not in (None, "", [])}
