"""Tag governance: merging hubs that name one person, country, topic, section or author, and
renaming one, so that readers' and feed readers' addresses keep working.

The admin and ``manage.py merge_tags`` call these keyword-only functions; the rules live
here. A merge moves every story of the merged hubs to the survivor (once: no duplicate tag
rows or bylines), keeps the merged names as the survivor's aliases (people and topics) and
their addresses as redirects (``TagRedirect``), deletes the merged rows, moves the revision
of each story it changed (the lost-update guard) and records itself in the audit log, all in
one transaction; the public pages change on the next request (``caching.content_changed``).
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from . import caching, text
from .models import (
    Article,
    ArticleQuerySet,
    AuditEntry,
    Author,
    Byline,
    Country,
    NewsTag,
    Person,
    Section,
    TagRedirect,
    Topic,
    find_country,
)

# The models a merge or rename applies to, by the name commands and redirects use.
GOVERNED = {model._meta.model_name: model for model in (Person, Country, Topic, Section, Author)}


class MergeRefused(ValueError):
    """A merge that would lose or corrupt something; the message says why."""


@dataclass(frozen=True)
class MergeResult:
    survivor: object
    merged: list[str]  # the merged rows' names
    stories: int  # stories that were tagged with (or bylined to, in) one of them


def tag_rows(model):
    """For a tag model, the model of its rows on stories (``TaggedPerson``); else None."""
    if issubclass(model, NewsTag):
        return model._meta.get_field("tagged_items").related_model
    return None


def stories_of(model, pks):
    """The stories a row of ``model`` with one of ``pks`` is on."""
    if through := tag_rows(model):
        return Article.objects.filter(
            pk__in=through.objects.filter(tag__in=pks).values("content_object")
        )
    if model is Section:
        return Article.objects.filter(section__in=pks)
    return Article.objects.filter(pk__in=Byline.objects.filter(author__in=pks).values("article"))


def find_named(model, name: str):
    """The row of ``model`` called ``name`` (case and spacing aside) or with the address
    ``name``; a country also by an ISO code. None when there is none."""
    name = text.collapse_whitespace(name)
    found = model.objects.filter(Q(name__iexact=name) | Q(slug=name)).order_by("pk").first()
    if found is None and model is Country and (record := find_country(name)):
        found = Country.objects.filter(code=record.alpha_2).first()
    return found


def check_mergeable(survivor, others) -> None:
    """``MergeRefused`` unless ``others`` (one or more, of ``survivor``'s model) may become
    ``survivor``. Countries are ISO 3166 countries: a row that is not one (a misspelt name,
    no code) may be merged into a real one; two real countries are never one."""
    if not others:
        raise MergeRefused("Choose at least two to merge.")
    if any(type(other) is not type(survivor) for other in others):
        raise MergeRefused("Only tags of one kind can be merged.")
    if type(survivor) is Country:
        if not survivor.is_iso_country:
            raise MergeRefused(
                f"“{survivor}” is not an ISO 3166 country: merge it into the country it "
                "stands for instead."
            )
        if real := [other for other in others if other.is_iso_country]:
            raise MergeRefused(
                f"“{real[0]}” and “{survivor}” are two ISO 3166 countries; two countries "
                "are never one."
            )


def merge(*, survivor, others, user=None, actor: str = "") -> MergeResult:
    """Make ``others`` one with ``survivor`` (see the module's docstring). ``user`` or
    ``actor`` (a command's name) is recorded as who did it."""
    model = type(survivor)
    others = list({other.pk: other for other in others if other.pk != survivor.pk}.values())
    check_mergeable(survivor, others)
    other_pks = [other.pk for other in others]
    with transaction.atomic():
        # Locked, so two editors merging the same rows at once cannot both go ahead.
        locked = model.objects.select_for_update().filter(pk__in=[survivor.pk, *other_pks])
        if len(locked) != len(others) + 1:
            raise MergeRefused("One of them was deleted or merged meanwhile.")
        story_pks = list(stories_of(model, other_pks).values_list("pk", flat=True))
        move_stories(model, survivor.pk, other_pks)
        keep_addresses_and_names(survivor, others)
        Article.objects.filter(pk__in=story_pks).bump_revision()
        merged = [other.name for other in others]
        AuditEntry.objects.log(
            AuditEntry.Action.MERGED,
            survivor,
            user=user,
            actor=actor,
            detail=f"Merged {', '.join(f'“{name}”' for name in merged)} into “{survivor.name}” "
            f"({len(story_pks)} {'story' if len(story_pks) == 1 else 'stories'}).",
        )
        # The stories changed with update(), which sends no signal.
        caching.content_changed()
    return MergeResult(survivor, merged, len(story_pks))


def move_stories(model, survivor_pk: int, other_pks: list[int]) -> None:
    """Put every story of ``other_pks`` on ``survivor_pk`` instead, once each."""
    if model is Section:
        Article.objects.filter(section__in=other_pks).update(section=survivor_pk)
    elif model is Author:
        move_rows(Byline, "article", "author", survivor_pk, other_pks, order=("position", "pk"))
    else:
        # A moved row keeps its story's listing time (listed_at): it is the same story's.
        move_rows(tag_rows(model), "content_object", "tag", survivor_pk, other_pks, order=("pk",))


def move_rows(rows, story: str, field: str, survivor_pk, other_pks, *, order) -> None:
    """Of the ``rows`` linking a story to the survivor or to one of the others, keep the
    first by ``order`` (so a byline keeps the place of the first merged name) and point it
    at the survivor; delete the rest. No story ends with two rows for one name."""
    merged = rows.objects.filter(**{f"{field}__in": [survivor_pk, *other_pks]})
    first, *then = order
    earlier = Q(**{f"{first}__lt": OuterRef(first)})
    if then:
        earlier |= Q(**{first: OuterRef(first), f"{then[0]}__lt": OuterRef(then[0])})
    merged.filter(Exists(merged.filter(earlier, **{story: OuterRef(story)}))).delete()
    rows.objects.filter(**{f"{field}__in": other_pks}).update(**{field: survivor_pk})


def keep_addresses_and_names(survivor, others) -> None:
    """The others' addresses (and those that led to them) now lead to the survivor; their
    names and aliases become the survivor's aliases; then the others go."""
    model, kind = type(survivor), survivor._meta.model_name
    other_pks = [other.pk for other in others]
    TagRedirect.objects.filter(**{f"{kind}__in": other_pks}).update(**{kind: survivor})
    alias_model = model.alias_model() if issubclass(model, NewsTag) else None
    if alias_model is not None:
        alias_model.objects.filter(tag__in=other_pks).update(tag=survivor)
    model.objects.filter(pk__in=other_pks).delete()
    keep_identity(survivor, others)
    for other in others:
        if other.slug != survivor.slug:
            TagRedirect.to(survivor, other.slug)
        if alias_model is not None:
            keep_as_alias(alias_model, survivor, other.name)


def keep_identity(survivor, others) -> None:
    """What the survivor leaves blank (description, Wikidata item) it takes from the first
    of the others that has it; called once they are gone (an item names one tag only)."""
    fields = {
        field: value
        for field in ("description", "wikidata_id")
        if hasattr(survivor, field) and not getattr(survivor, field)
        if (value := next((getattr(o, field) for o in others if getattr(o, field)), ""))
    }
    if fields:
        type(survivor).objects.filter(pk=survivor.pk).update(**fields)
        for field, value in fields.items():
            setattr(survivor, field, value)


def keep_as_alias(alias_model, tag, name: str) -> None:
    """``name`` becomes another name of ``tag``, unless it is its name already or is one."""
    key = alias_model.key_for(name)
    if key != alias_model.key_for(tag.name) and not alias_model.objects.filter(key=key).exists():
        alias_model.objects.create(tag=tag, name=name)


def free_slug(obj, name: str) -> str:
    """The address ``name`` gives ``obj``: its slug, with ``-2``, ``-3``… when another row
    of its model has it."""
    base = obj.slugify(name) if isinstance(obj, NewsTag) else text.slugify(name)
    others = type(obj).objects.exclude(pk=obj.pk)
    slug, number = base, 1
    while others.filter(slug=slug).exists():
        number += 1
        slug = obj.slugify(name, number) if isinstance(obj, NewsTag) else f"{base}-{number}"
    return slug


def rename(*, obj, name: str, slug: str | None = None, user=None, actor: str = ""):
    """Rename ``obj`` (a tag, section or author), saving its other edited fields with it.

    A tag's address follows its name (``slug`` None); a section's or author's is the
    ``slug`` given (editors choose it). The old address keeps answering 301 (``TagRedirect``),
    and the redirects to ``obj`` now lead to the new one. A tag's old name becomes its alias,
    so the next import or suggestion using it finds the renamed tag. Recorded in the audit
    log; the stories tagged with it move their revision (story forms carry tags by name).
    """
    model = type(obj)
    with transaction.atomic():
        stored = model.objects.select_for_update().values("name", "slug").get(pk=obj.pk)
        obj.name = model.normalise_name(name)
        if slug is not None:
            obj.slug = slug
        elif text.slugify(obj.name) != text.slugify(stored["name"]):
            obj.slug = free_slug(obj, obj.name)
        obj.full_clean()
        alias_model = model.alias_model() if issubclass(model, NewsTag) else None
        if alias_model is not None:
            obj.aliases.filter(key=alias_model.key_for(obj.name)).delete()
        obj.save()
        if obj.slug != stored["slug"]:
            TagRedirect.to(obj, stored["slug"])
        if obj.name == stored["name"] and obj.slug == stored["slug"]:
            return obj
        if alias_model is not None:
            keep_as_alias(alias_model, obj, stored["name"])
        if tag_rows(model) is not None and obj.name != stored["name"]:
            stories_of(model, [obj.pk]).bump_revision()
        AuditEntry.objects.log(
            AuditEntry.Action.RENAMED,
            obj,
            user=user,
            actor=actor,
            detail=f"Renamed “{stored['name']}” ({stored['slug']}) to “{obj.name}” ({obj.slug}).",
        )
    return obj


# Finding duplicates ----------------------------------------------------------------------


def with_live_story_counts(model):
    """``model``'s rows, each with ``live_stories``: how many live stories it is on; one
    query whatever the number of rows."""
    now = timezone.now()
    if tag_rows(model) is not None:
        # A tag row's listed_at is its story's publication time while published: live is
        # listed at or before now, and no join to the stories is needed.
        live = Count("tagged_items", filter=Q(tagged_items__listed_at__lte=now))
    elif model is Section:
        live = Count("articles", filter=ArticleQuerySet.live_condition("articles__", at=now))
    else:
        live = Count("bylines", filter=ArticleQuerySet.live_condition("bylines__article__", at=now))
    return model.objects.annotate(live_stories=live)


@dataclass(frozen=True)
class Duplicate:
    """Another row that likely names the same person or thing, and why."""

    other: object
    reason: str


def likely_duplicates(rows) -> dict[int, list[Duplicate]]:
    """For each of ``rows`` (one model's), the others that likely name the same: the same
    name but for case, accents and punctuation; one name's words within the other's; a
    surname alone that ends exactly one person's name. Pairs of real countries, which can
    never be merged, are left out. Works on the names in hand: no query."""
    rows = list(rows)
    words = {row.pk: text.name_key(row.name).split() for row in rows}
    by_key = defaultdict(list)
    for row in rows:
        by_key[" ".join(words[row.pk])].append(row)
    found: dict[int, dict[int, Duplicate]] = defaultdict(dict)

    def pair(a, b, reason: str):
        if a.pk != b.pk and not (isinstance(a, Country) and a.is_iso_country and b.is_iso_country):
            found[a.pk].setdefault(b.pk, Duplicate(b, reason))
            found[b.pk].setdefault(a.pk, Duplicate(a, reason))

    for same in by_key.values():
        for a, b in combinations(same, 2):
            pair(a, b, "the same name but for case, accents or punctuation")
    surnames = defaultdict(list)
    for row in rows:
        if isinstance(row, Person) and len(words[row.pk]) > 1:
            surnames[words[row.pk][-1]].append(row)
    for row in rows:
        name_words = words[row.pk]
        shortest = 1 if not isinstance(row, Person) else 2  # a lone surname: below
        for start, end in combinations(range(len(name_words) + 1), 2):
            if shortest <= end - start < len(name_words):
                for shorter in by_key.get(" ".join(name_words[start:end]), []):
                    pair(shorter, row, f"“{shorter.name}” is part of “{row.name}”")
        bearers = surnames.get(name_words[0], []) if len(name_words) == 1 else []
        if isinstance(row, Person) and len(bearers) == 1:
            pair(row, bearers[0], f"“{row.name}” is the surname of only “{bearers[0].name}”")
    return {pk: list(duplicates.values()) for pk, duplicates in found.items()}


def suggested_survivor(rows):
    """Which of ``rows`` a merge should keep: a real country over a row that is not one,
    then the one on most live stories, then the longest name (the fullest form)."""
    return max(
        rows,
        key=lambda row: (
            not isinstance(row, Country) or row.is_iso_country,
            getattr(row, "live_stories", 0),
            len(row.name),
            -row.pk,
        ),
    )
