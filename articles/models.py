import functools
import hashlib
import operator
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath

import pycountry
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import connection, models, router, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Length, Lower, RowNumber
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator, capfirst
from taggit.managers import TaggableManager, _TaggableManager
from taggit.models import ItemBase, TagBase

from . import compiled, paths, text

# Why a name is refused when it makes no address (the admin, imports and tests quote it).
NO_ADDRESS = "has no letter or digit, so it cannot have an address"
# Why a tag may not take a name that is another tag's alias, or an alias a tag's name.
NAME_IS_AN_ALIAS = "“%(name)s” is another name of “%(tag)s”; use that tag, or merge the two."
NAME_IS_A_TAG = "“%(name)s” is the name of a tag of its own; merge the two instead."


def checked_name(name: str, max_length: int, what: str = "name") -> str:
    """``name`` as it is stored: white space collapsed. ``ValueError`` with a message an editor
    can act on when it is empty, longer than ``max_length`` or has no letter or digit (it
    would make no address: ``!!!``, ``🙂``). Sections, authors and the tag kinds all keep
    their names through this one rule (``normalise_name``)."""
    name = text.collapse_whitespace(name)
    if not name:
        raise ValueError(f"the {what} is empty")
    if len(name) > max_length:
        raise ValueError(
            f"the {what} “{name[:40]}…” is {len(name)} characters long; at most {max_length}"
        )
    if not text.slugify(name):
        raise ValueError(f"the {what} “{name}” {NO_ADDRESS}")
    return name


# Story times outside this range are refused at every entry point: Python cannot represent
# some of them once converted to UTC, so they break every page that shows the story.
EARLIEST_STORY_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_STORY_TIME = datetime(2200, 1, 1, tzinfo=UTC)


def validate_story_time(value) -> None:
    if value is not None and not EARLIEST_STORY_TIME <= value < LATEST_STORY_TIME:
        raise ValidationError(
            "Use a time between %(earliest)s and %(latest)s.",
            params={"earliest": EARLIEST_STORY_TIME.year, "latest": LATEST_STORY_TIME.year - 1},
            code="out_of_range",
        )


def slug_not_empty() -> models.CheckConstraint:
    """An empty slug is no address: the pages that link to the row could not be built."""
    return models.CheckConstraint(condition=~Q(slug=""), name="%(class)s_slug_not_empty")


def validate_slug(value: str) -> None:
    if text.slugify(value) != value:
        raise ValidationError(
            "Use lower-case letters, digits and hyphens only, e.g. “%(example)s”.",
            params={"example": text.slugify(value) or "gaza-ceasefire"},
            code="invalid_slug",
        )


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.CharField(max_length=100, unique=True, validators=[validate_slug])
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Sections are shown in this order on the front page."
    )

    class Meta:
        ordering = ["position", "name"]
        constraints = [slug_not_empty()]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.normalise_name(self.name)
        self.slug = self.slug or text.slugify(self.name)
        super().save(*args, **kwargs)
        # An address taken by a hub of its own is no longer an old one (TagRedirect).
        TagRedirect.objects.filter(kind=self._meta.model_name, old_slug=self.slug).delete()

    def get_absolute_url(self):
        return paths.slug_path("articles:section", self.slug)

    @classmethod
    def normalise_name(cls, name: str) -> str:
        return checked_name(name, cls._meta.get_field("name").max_length, "section name")


class Author(models.Model):
    hub_url_name = "articles:author"

    name = models.CharField(max_length=150, unique=True)
    slug = models.CharField(max_length=150, unique=True, validators=[validate_slug])
    bio = models.TextField(blank=True)
    # Bylines name authors, permissions name users: this is how a writer is known to be
    # bylined on a story (a writer posts to the live coverage of their own stories).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author",
        help_text="The staff account that writes under this byline, if any: it may post "
        "entries to the live coverage of stories bylined to this author.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [slug_not_empty()]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.normalise_name(self.name)
        self.slug = self.slug or text.slugify(self.name)
        super().save(*args, **kwargs)
        # An address taken by a hub of its own is no longer an old one (TagRedirect).
        TagRedirect.objects.filter(kind=self._meta.model_name, old_slug=self.slug).delete()

    def get_absolute_url(self):
        return paths.slug_path(self.hub_url_name, self.slug)

    @classmethod
    def normalise_name(cls, name: str) -> str:
        return checked_name(name, cls._meta.get_field("name").max_length, "author's name")


class NewsTag(TagBase):
    """A taggit tag whose names compare without regard to case or spacing."""

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="%(class)s_name_ci_unique"),
            slug_not_empty(),
        ]

    hub_url_name = None

    @classmethod
    def normalise_name(cls, name: str) -> str:
        what = f"{cls._meta.verbose_name}'s name"
        return checked_name(name, cls._meta.get_field("name").max_length, what)

    @classmethod
    def alias_model(cls):
        """The model of this kind's other names (``PersonAlias``), or None: countries have
        pycountry's."""
        try:
            return cls._meta.get_field("aliases").related_model
        except FieldDoesNotExist:
            return None

    @classmethod
    def aliased(cls, names) -> dict:
        """The tags that ``names`` (as ``normalise_name`` keeps them) are other names of:
        name → tag, in one query. Names that are no alias are left out."""
        alias_model = cls.alias_model()
        keys = {alias_model.key_for(name): name for name in names} if alias_model else {}
        if not keys:
            return {}
        found = alias_model.objects.filter(key__in=keys).select_related("tag")
        return {keys[alias.key]: alias.tag for alias in found}

    def clean(self):
        super().clean()
        alias_model = self.alias_model()
        if alias_model is None or not self.name:
            return
        try:
            key = alias_model.key_for(self.normalise_name(self.name))
        except ValueError:
            return  # the name's own check says what is wrong with it
        owner = alias_model.objects.filter(key=key).exclude(tag=self.pk).select_related("tag")
        if alias := owner.first():
            raise ValidationError(
                {
                    "name": ValidationError(
                        NAME_IS_AN_ALIAS,
                        params={"name": alias.name, "tag": alias.tag.name},
                        code="alias_of_another",
                    )
                }
            )

    def save(self, *args, **kwargs):
        self.name = self.normalise_name(self.name)
        super().save(*args, **kwargs)
        TagRedirect.objects.filter(kind=self._meta.model_name, old_slug=self.slug).delete()

    def slugify(self, tag, i=None):
        slug = text.slugify(tag, max_length=90)
        return f"{slug}-{i}" if i is not None else slug

    def get_absolute_url(self):
        return paths.slug_path(self.hub_url_name, self.slug)


validate_wikidata_id = RegexValidator(
    r"^Q[1-9][0-9]*\Z",
    "A Wikidata identifier is a Q and digits, such as “Q7747”.",
    code="invalid_wikidata_id",
)


class IdentifiedTag(NewsTag):
    """A tag readers may need told apart from its namesakes: a person or a topic. The
    description shows on its hub; the Wikidata item names it for search engines (JSON-LD
    ``sameAs``). Both are written by editors: nothing is fetched."""

    description = models.CharField(
        max_length=300, blank=True, help_text="One line on who or what this is, shown on its page."
    )
    wikidata_id = models.CharField(
        "Wikidata ID",
        max_length=20,
        blank=True,
        validators=[validate_wikidata_id],
        help_text="The item's identifier on wikidata.org, such as Q7747; entered by hand.",
    )

    class Meta(NewsTag.Meta):
        abstract = True
        constraints = [
            *NewsTag.Meta.constraints,
            # Two tags of one kind naming the same item are one tag: merge them instead.
            models.UniqueConstraint(
                fields=["wikidata_id"],
                condition=~Q(wikidata_id=""),
                name="%(class)s_wikidata_unique",
                violation_error_message="Another tag names this Wikidata item; merge the two.",
            ),
        ]

    @property
    def same_as(self) -> list[str]:
        """The addresses of the same person or thing elsewhere (JSON-LD ``sameAs``)."""
        return [f"https://www.wikidata.org/wiki/{self.wikidata_id}"] if self.wikidata_id else []


class Person(IdentifiedTag):
    hub_url_name = "articles:person"

    class Meta(IdentifiedTag.Meta):
        verbose_name_plural = "people"


class Topic(IdentifiedTag):
    hub_url_name = "articles:topic"


def find_country(value: str):
    """The pycountry record for a code, a name, an official or a common name."""
    try:
        return pycountry.countries.lookup(text.collapse_whitespace(value))
    except LookupError:
        return None


class Country(NewsTag):
    code = models.CharField("ISO 3166-1 alpha-2 code", max_length=2, unique=True, editable=False)
    hub_url_name = "articles:country"

    class Meta(NewsTag.Meta):
        verbose_name_plural = "countries"

    @staticmethod
    def display_name(record) -> str:
        return getattr(record, "common_name", None) or record.name

    @classmethod
    def normalise_name(cls, name: str) -> str:
        record = find_country(name)
        if record is None:
            raise ValueError(f"unknown country “{text.collapse_whitespace(name)}”")
        return cls.display_name(record)

    def save(self, *args, **kwargs):
        self.name = self.normalise_name(self.name)
        self.code = find_country(self.name).alpha_2
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        record = self.name and find_country(self.name)
        if record and Country.objects.filter(code=record.alpha_2).exclude(pk=self.pk).exists():
            raise ValidationError(
                {
                    "name": ValidationError(
                        "%(name)s has a row of its own already.",
                        params={"name": self.display_name(record)},
                        code="country_exists",
                    )
                }
            )

    @property
    def is_iso_country(self) -> bool:
        """Whether the row is the ISO 3166 country its name says, with that country's code.
        Rows from before names were checked may be neither (a misspelt name, no code):
        those may be merged into the real one (``articles.governance``)."""
        record = find_country(self.name)
        return record is not None and record.alpha_2 == self.code


class TagAlias(models.Model):
    """Another name of a person or a topic (``Bibi Netanyahu`` for Benjamin Netanyahu).

    Names become tags through ``NewsTagManager``, which gives the tag for an alias, so the
    story form, imports and accepted suggestions tag the one person whatever name they use.
    A name is an alias of one tag at most (its ``key`` is unique), and never also a tag's
    name (``clean`` here, ``NewsTag.clean`` the other way).
    """

    name = models.CharField(max_length=100)
    key = models.CharField(max_length=300, unique=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.tag_model().normalise_name(self.name)
        self.key = self.key_for(self.name)
        super().save(*args, **kwargs)

    @staticmethod
    def key_for(name: str) -> str:
        """How alias names compare: as tag names do, without regard to case or spacing."""
        return text.collapse_whitespace(name).casefold()

    @classmethod
    def tag_model(cls):
        return cls._meta.get_field("tag").related_model

    def clean(self):
        try:
            self.name = self.tag_model().normalise_name(self.name)
        except ValueError as error:
            raise ValidationError({"name": f"{capfirst(str(error))}."}) from None
        if self.tag_model().objects.filter(name__iexact=self.name).exists():
            raise ValidationError(
                {
                    "name": ValidationError(
                        NAME_IS_A_TAG, params={"name": self.name}, code="name_of_a_tag"
                    )
                }
            )
        taken = type(self).objects.filter(key=self.key_for(self.name)).exclude(pk=self.pk)
        if alias := taken.select_related("tag").first():
            raise ValidationError(
                {
                    "name": ValidationError(
                        NAME_IS_AN_ALIAS,
                        params={"name": alias.name, "tag": alias.tag.name},
                        code="alias_of_another",
                    )
                }
            )


class PersonAlias(TagAlias):
    tag = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")

    class Meta(TagAlias.Meta):
        verbose_name = "other name"


class TopicAlias(TagAlias):
    tag = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="aliases")

    class Meta(TagAlias.Meta):
        verbose_name = "other name"


class NewsTagManager(_TaggableManager):
    """Taggit's manager, with tag names brought to their one canonical spelling first.

    Through taggit's public ``add`` and ``set``, the two ways it writes tags (its form
    field calls ``set``); blank names are dropped. ``tests/test_private_apis.py`` pins the
    signatures overridden here.
    """

    def canonical(self, tags) -> list:
        """``tags`` (names or tag objects) with each name as the tag model keeps it, and
        another name of a tag (an alias: ``Bibi Netanyahu``) replaced by that tag."""
        tag_model = self.through.tag_model()
        tags = [
            tag_model.normalise_name(tag) if isinstance(tag, str) else tag
            for tag in tags
            if not isinstance(tag, str) or text.collapse_whitespace(tag)
        ]
        aliased = tag_model.aliased([tag for tag in tags if isinstance(tag, str)])
        return [aliased.get(tag, tag) if isinstance(tag, str) else tag for tag in tags]

    def add(self, *tags, **kwargs):
        return super().add(*self.canonical(tags), **kwargs)

    def set(self, tags, **kwargs):
        return super().set(self.canonical(tags), **kwargs)


class TaggedBase(ItemBase):
    content_object = models.ForeignKey("Article", on_delete=models.CASCADE)
    listed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The story's publication time while it is published, else empty; kept by "
        "the story (Article.listed_at).",
    )

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="%(class)s_unique"),
        ]
        indexes = [
            # A tag's published stories, newest first, however rare or common the tag: hub
            # pages, hub feeds and "More on" read a page from the top of it or from a key.
            # Without it the database either walks the whole archive by date testing each
            # story for the tag, or reads every story of the tag and sorts them.
            models.Index(
                fields=["tag", "-listed_at", "-content_object"],
                condition=Q(listed_at__isnull=False),
                name="%(class)s_tag_listed",
            ),
            # Every other lookup by tag, so the tag's own foreign-key index is left out.
            models.Index(fields=["tag", "-content_object"], name="%(class)s_tag_story"),
        ]

    def save(self, *args, **kwargs):
        self.listed_at = self.content_object.listed_at
        super().save(*args, **kwargs)


class TaggedPerson(TaggedBase):
    tag = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )


class TaggedCountry(TaggedBase):
    tag = models.ForeignKey(
        Country, on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )


class TaggedTopic(TaggedBase):
    tag = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )


def news_tags(verbose_name: str, through, what: str) -> TaggableManager:
    """One of an article's tag kinds: its own through model, canonical names, sorted."""
    return TaggableManager(
        verbose_name,
        through=through,
        related_name="articles",
        blank=True,
        manager=NewsTagManager,
        ordering=["name"],
        help_text=f"{what}, separated by commas.",
    )


# The tag kinds, in the order stories show them: Article's tag fields, which are also the hubs'
# addresses and the story-file header keys. Every other list of tag kinds is made from this
# one (``tag_model()`` gives each kind's model); tests/test_models.py checks it names every
# tag field of Article.
TAG_KINDS = ("people", "countries", "topics")


def last_changed(prefix: str = ""):
    """When a story last changed, as the database computes it: updated, else published."""
    return Coalesce(f"{prefix}updated_at", f"{prefix}published_at")


@dataclass(frozen=True, slots=True)
class HubRef:
    """A tag or an author as a story shows it: a name linking to its hub page. Lighter than
    a model instance, and a feed shows a few hundred."""

    pk: int
    name: str
    slug: str
    url_name: str
    # How many live stories its hub lists, when asked for (``attach_tags_and_authors``).
    live_count: int | None = None

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return paths.slug_path(self.url_name, self.slug)


class CappedCount(models.Subquery):
    """How many rows a sliced subquery gives: a count that stops at the slice's end."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = models.IntegerField()


def _live_on_hub(through, count_up_to: int | None, now):
    """How many live stories the hub of each tag row's tag lists, up to ``count_up_to``,
    read from the top of the tag's listing index (``TaggedBase``); or nothing."""
    if count_up_to is None:
        return Value(None, output_field=models.IntegerField())
    rows = through.objects.filter(tag=OuterRef("tag"), listed_at__lte=now)
    return CappedCount(rows.order_by().values("pk")[:count_up_to])


def _tags_and_authors(ids: list[int], now, *, count_live_up_to: int | None):
    """The query of ``attach_tags_and_authors()``: one row per tag or author of the stories
    with ``ids``, live counts (if asked for) as of ``now``."""
    tags = [
        getattr(Article, kind)
        .through.objects.filter(content_object__in=ids)
        .values(
            "tag_id",
            article=F("content_object"),
            kind=Value(rank),
            position=Value(0),
            name=F("tag__name"),
            slug=F("tag__slug"),
            live=_live_on_hub(getattr(Article, kind).through, count_live_up_to, now),
        )
        for rank, kind in enumerate(TAG_KINDS)
    ]
    # The same columns in the same order (the union takes the names of the first part; these
    # differ where Byline has a field of that name).
    authors = (
        Byline.objects.filter(article__in=ids)
        .order_by()
        .values(
            tag_id=F("author"),
            article_=F("article"),
            kind=Value(len(TAG_KINDS)),
            position_=F("position"),
            name=F("author__name"),
            slug=F("author__slug"),
            live=Value(None, output_field=models.IntegerField()),
        )
    )
    return tags[0].union(*tags[1:], authors, all=True).order_by("kind", "position", "name")


def attach_tags_and_authors(articles, *, count_live_up_to: int | None = None) -> None:
    """Set on each article ``tags``: ``{"people": [...], "countries": [...], "topics": [...]}``,
    each list by name; ``tagged``, all of them in that order as ``(kind, tag)`` pairs;
    ``tag_names``, their names; and ``bylined``, its authors in byline order.

    One UNION ALL over the three tag tables and the bylines replaces the four prefetch
    queries the relations would make. Tags and authors carry their name and slug, enough to
    show and link them; with ``count_live_up_to``, tags carry their hub's number of live
    stories too (``HubRef.live_count``, counted up to that many), in the same query.
    """
    ids = [article.pk for article in articles]
    if not ids:
        return
    rows = compiled.rows(
        f"attach_tags_and_authors:{count_live_up_to}",
        functools.partial(_tags_and_authors, count_live_up_to=count_live_up_to),
        (ids, timezone.now()),
        using=router.db_for_read(Byline),
    )
    url_names = [getattr(Article, kind).through.tag_model().hub_url_name for kind in TAG_KINDS]
    url_names.append(Author.hub_url_name)
    found = defaultdict(lambda: [[] for _ in url_names])
    for row in rows:
        url_name = url_names[row["kind"]]
        ref = HubRef(row["tag_id"], row["name"], row["slug"], url_name, row["live"])
        found[row["article"]][row["kind"]].append(ref)
    for article in articles:
        *by_kind, article.bylined = found[article.pk]
        article.tags = dict(zip(TAG_KINDS, by_kind, strict=True))
        article.tagged = [(kind, tag) for kind in TAG_KINDS for tag in article.tags[kind]]
        article.tag_names = [tag.name for _, tag in article.tagged]


class ArticleQuerySet(models.QuerySet):
    @staticmethod
    def live_condition(prefix: str = "", at=None) -> Q:
        """The publication gate: published, and published at or before now.

        Every public surface goes through this one condition, directly via ``live()`` or,
        across a relation, with a ``prefix`` such as ``"target__"``.
        """
        return Q(
            **{
                f"{prefix}status": Article.Status.PUBLISHED,
                f"{prefix}published_at__lte": at or timezone.now(),
            }
        )

    @staticmethod
    def is_live_row(status: str, published_at, at=None) -> bool:
        """``live_condition()`` read in Python, for a story's values in hand (a row read
        with ``values()``, an instance: ``Article.is_live``). Kept beside the condition it
        mirrors; ``tests/test_models.py`` checks the two agree."""
        return (
            status == Article.Status.PUBLISHED
            and published_at is not None
            and published_at <= (at or timezone.now())
        )

    def live(self, at=None):
        return self.filter(self.live_condition(at=at))

    def with_listing_time(self):
        """Annotate ``listed``, the time a listing orders and pages stories by
        (``articles.reader.paging``): here their publication time; hubs of tags read it from the
        tag rows (``HubKind.articles``)."""
        return self.annotate(listed=F("published_at"))

    def with_liveness(self, at=None):
        """Annotate ``live`` for surfaces that list every status (graph, threads); a story
        in hand answers ``Article.is_live()``."""
        return self.annotate(
            live=models.ExpressionWrapper(
                self.live_condition(at=at), output_field=models.BooleanField()
            )
        )

    def for_listing(self):
        """What a story card shows (the ``story_card`` tag): with its section, newest
        first. Cards name no authors, so none are fetched."""
        return self.select_related("section").order_by("-published_at", "-pk")

    def for_detail(self):
        """With its section, its lead image (``with_lead_images``) and when its newest
        correction or clarification was made (so ``attach_notices()`` looks for them only
        when there are some); tags and authors come in one query from
        ``attach_tags_and_authors()``."""
        return (
            self.select_related("section")
            .with_lead_images()
            .annotate(latest_notice_at=Correction.objects.latest_at())
        )

    def with_lead_images(self, *crops: str, formats=()):
        """With each story's lead image and its renditions (of ``crops`` and ``formats``,
        all by default): one query more whatever the number of stories, none when no story
        has an image. Pages and feeds show images from these rows alone
        (``articles.images``)."""
        return self.select_related("lead_image").prefetch_related(
            lead_image_renditions(*crops, formats=formats)
        )

    def latest_by_section(self, per_section: int, sections=None):
        """The newest ``per_section`` stories of every section, in section order, in one query.

        Where the database can (PostgreSQL), a UNION ALL of one short index scan per section
        (``sections``, all by default: one more query): its cost does not grow with the
        archive. Elsewhere a window function ranks every story, which is fine at SQLite sizes.
        """
        if not connection.features.supports_slicing_ordering_in_compound:
            newest_first = models.Window(
                RowNumber(), partition_by="section", order_by=["-published_at", "-pk"]
            )
            return (
                self.filter(section__isnull=False)
                .select_related("section")
                .annotate(section_rank=newest_first)
                .filter(section_rank__lte=per_section)
                .order_by("section__position", "section__name", "section_rank")
            )
        sections = list(Section.objects.all() if sections is None else sections)
        if not sections:
            return self.none()
        blocks = [
            self.filter(section=section)
            .select_related("section")
            .annotate(section_order=Value(order))
            .order_by("-published_at", "-pk")[:per_section]
            for order, section in enumerate(sections)
        ]
        if len(blocks) == 1:
            return blocks[0]
        newest_first = blocks[0].union(*blocks[1:], all=True)
        return newest_first.order_by("section_order", "-published_at", "-id")

    def live_by_section(self, per_section: int, *, excluding=()) -> list:
        """``live().exclude(pk__in=excluding).latest_by_section(per_section)``, as a list, for
        the front page. On PostgreSQL its UNION of a dozen blocks cost more CPU to build than
        the database took to answer it, so its SQL is built once (``articles.compiled``) and
        the stories read with ``raw()``, each given its section from the sections read
        first (as ``select_related`` would have). Called on ``Article.objects``: the SQL is
        built from it alone."""
        excluding = list(excluding)
        if not connection.features.supports_slicing_ordering_in_compound:
            return list(
                Article.objects.live().exclude(pk__in=excluding).latest_by_section(per_section)
            )
        sections = {section.pk: section for section in Section.objects.all()}
        if not sections:
            return []

        def newest_in_each(now, excluding, section_ids):
            live = Article.objects.live(at=now).exclude(pk__in=excluding)
            blocks = [
                live.filter(section_id=section_id)
                .annotate(section_order=Value(order))
                .order_by("-published_at", "-pk")[:per_section]
                for order, section_id in enumerate(section_ids)
            ]
            if len(blocks) == 1:
                return blocks[0]
            newest_first = blocks[0].union(*blocks[1:], all=True)
            return newest_first.order_by("section_order", "-published_at", "-id")

        using = router.db_for_read(Article)
        sql, params = compiled.sql_with_params(
            f"live_by_section:{per_section}",
            newest_in_each,
            (timezone.now(), excluding, list(sections)),
            using,
        )
        # A union names its columns by position (col1, col2, …): the story's fields in order,
        # then the annotation.
        names = [field.attname for field in Article._meta.concrete_fields] + ["section_order"]
        by_position = {f"col{i}": name for i, name in enumerate(names, start=1)}
        stories = list(Article.objects.db_manager(using).raw(sql, params, translations=by_position))
        for story in stories:
            story.section = sections[story.section_id]
        return stories

    def sharing_tags(self, tagged, newest: int, excluding=()):
        """The ``newest`` stories tagged with any of ``tagged`` (``(kind, tag)`` pairs, as in
        ``Article.tagged`` from ``attach_tags_and_authors()``), newest first, leaving out the pks in
        ``excluding``.

        Each tag's newest few published stories come from the top of its listing index
        (``TaggedBase``), whether the tag has five stories or a quarter of the archive; the
        newest of those that pass this queryset's filters (``live()``) are the answer. Each
        tag gives as many more as there are stories to leave out, which may be among them.
        """
        excluding = list(excluding)
        others = self.exclude(pk__in=excluding).order_by("-published_at", "-pk")
        if not tagged or newest < 1:
            return others.none()
        now = timezone.now()
        per_tag = [
            getattr(Article, kind)
            .through.objects.filter(tag=tag.pk, listed_at__lte=now)
            .order_by("-listed_at", "-content_object")
            .values("content_object")[: newest + len(excluding)]
            for kind, tag in tagged
        ]
        if connection.features.supports_slicing_ordering_in_compound:
            shared = Q(pk__in=per_tag[0].union(*per_tag[1:], all=True))
        else:
            shared = Q()
            for stories in per_tag:
                shared |= Q(pk__in=stories)
        return others.filter(shared).select_related("section")[:newest]

    def most_linked(self, since, count: int, excluding=()):
        """The ``count`` stories of this queryset (``live()``) that the most live stories
        published since ``since`` link to (inline Also Read and Related), most first, each
        annotated ``inbound`` with that number; one query.

        The inner query counts links by target from the recent stories alone (their links
        are found by the source index) and keeps the top few, so its cost follows the
        stories published lately, not the archive.
        """
        recent = Q(source__published_at__gte=since) & ArticleQuerySet.live_condition("source__")
        linked = CrossLink.objects.filter(
            recent, ArticleQuerySet.live_condition("target__")
        ).exclude(target__in=list(excluding))
        top = (
            linked.values("target")
            .annotate(inbound=models.Count("pk"))
            .order_by("-inbound", "-target")
            .values("target")[:count]
        )
        inbound = models.Count(
            "links_in",
            filter=Q(links_in__source__published_at__gte=since)
            & ArticleQuerySet.live_condition("links_in__source__"),
        )
        return (
            self.filter(pk__in=top)
            .select_related("section")
            .annotate(inbound=inbound)
            .order_by("-inbound", "-published_at", "-pk")
        )

    def bump_revision(self, **fields) -> int:
        """Move these stories' revision on, updating ``fields`` in the same statement.

        Every write to a story or its parts (tags, links, bylines, old addresses) that is
        not the story form's own save calls this, so that a form opened before the write is
        refused (``articles.editorial.editing.check_revision``) instead of silently undoing it.
        """
        return self.update(revision=F("revision") + 1, **fields)

    def by_headline(self, headline: str):
        return self.filter(headline_key=text.headline_key(headline))

    def redirected_from(self, old_slug: str):
        """The story that used to live at ``old_slug`` (see ``SlugRedirect``), or None."""
        return self.filter(slug_redirects__old_slug=old_slug).first()

    def at_address(self, slug: str):
        """The story whose address ``slug`` is, or was before its slug changed; or None."""
        formerly_here = SlugRedirect.objects.filter(old_slug=slug).values("article")
        current_first = models.Case(models.When(slug=slug, then=Value(0)), default=Value(1))
        found = self.filter(Q(slug=slug) | Q(pk__in=formerly_here))
        return found.order_by(current_first, "pk").first()

    def holding_addresses(self):
        """Stories whose old addresses no other story may take: live ones (the addresses
        answer 301 to them) and taken-down ones (they answer 410 Gone)."""
        return self.filter(self.live_condition() | Q(status=Article.Status.WITHDRAWN))

    def gone_or_moved_from(self, slug: str):
        """What readers asking for ``slug``, which no live story has, are told of, or None
        (a 404): a taken-down story that has or had the address (410 Gone), else the live
        story that used to live there (301 to its address). One query.

        A takedown wins over a redirect, so a story taken down stays gone at every address
        it ever had, and a story never published or deleted stays a 404.
        """
        formerly_here = SlugRedirect.objects.filter(old_slug=slug).values("article")
        gone = Q(status=Article.Status.WITHDRAWN) & (Q(slug=slug) | Q(pk__in=formerly_here))
        moved = self.live_condition() & Q(pk__in=formerly_here)
        gone_first = models.Case(
            models.When(status=Article.Status.WITHDRAWN, then=Value(0)), default=Value(1)
        )
        return self.filter(gone | moved).order_by(gone_first, "pk").first()


# Images --------------------------------------------------------------------------------------


def original_upload_to(image: "Image", filename: str) -> str:
    """Where an original is stored: under a random folder, so its address cannot be guessed.

    Originals keep what the camera wrote into them (EXIF, often a GPS position) and are
    never linked from a public page; readers get renditions, which carry no metadata.
    """
    stem = text.slugify(PurePath(filename).stem, max_length=60) or "image"
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"images/originals/{secrets.token_hex(8)}/{stem}{suffix}"


def focus_validators():
    return [MinValueValidator(0.0), MaxValueValidator(1.0)]


class ImageQuerySet(models.QuerySet):
    def needing_alt_text(self):
        return self.filter(alt_text="")


class Image(models.Model):
    """A photo of the image library: stories use it as their lead image or in their body.

    Its renditions (``Rendition``) are made once, when it is saved (``articles.images``), so
    pages only read rows. Alt text describes the photo for readers who cannot see it; a
    story cannot be published with a photo that has none.
    """

    file = models.ImageField(
        "photo",
        upload_to=original_upload_to,
        max_length=200,
        help_text="JPEG, PNG, WebP or GIF, at most 25 MB and 50 megapixels. Readers get "
        "renditions made from it (without its camera metadata), never this file.",
    )
    alt_text = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the photo shows, for readers who cannot see it, e.g. “Two men shake "
        "hands in front of US and Israeli flags”. Not the caption, not the credit. A story "
        "cannot be published with a photo that has none.",
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(
        max_length=200, blank=True, help_text="Photographer or agency, e.g. AP or Reuters."
    )
    focus_x = models.FloatField(
        "focal point, across",
        default=0.5,
        validators=focus_validators(),
        help_text="Where the subject is, from 0 (left edge) to 1 (right edge). Cropped "
        "versions (wide, 4:3, square) keep this point in the picture.",
    )
    focus_y = models.FloatField(
        "focal point, down",
        default=0.5,
        validators=focus_validators(),
        help_text="From 0 (top edge) to 1 (bottom edge).",
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    digest = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="SHA-256 of the original file: the same file is one library image.",
    )
    renditions_key = models.CharField(
        max_length=16,
        blank=True,
        editable=False,
        help_text="What the current renditions were made from (file, focal point, settings).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(focus_x__gte=0, focus_x__lte=1, focus_y__gte=0, focus_y__lte=1),
                name="image_focus_inside",
            ),
        ]

    def __str__(self):
        label = self.alt_text or self.caption or PurePath(self.file.name or "").name
        return Truncator(label).chars(80) or f"image {self.pk}"


class Rendition(models.Model):
    """One stored version of a library image: a crop, a format and a width.

    Made by ``articles.images`` when the image is saved; a page reads these rows (fetched
    with the story) and never opens or stats a file.
    """

    class Crop(models.TextChoices):
        FULL = "full", "Whole photo"
        WIDE = "16:9", "16:9"
        STANDARD = "4:3", "4:3"
        SQUARE = "1:1", "Square"

    class Format(models.TextChoices):
        AVIF = "avif", "AVIF"
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renditions")
    crop = models.CharField(max_length=4, choices=Crop.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="The file's length in bytes.")
    file = models.FileField(max_length=200)

    class Meta:
        ordering = ["image", "crop", "format", "width"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "crop", "format", "width"], name="rendition_unique"
            ),
        ]

    def __str__(self):
        return f"{self.image_id} {self.crop} {self.width}×{self.height} {self.format}"

    @property
    def media_type(self) -> str:
        return f"image/{self.format}"


def lead_image_renditions(*crops: str, formats=()) -> models.Prefetch:
    """The prefetch of the renditions of stories' lead images (of ``crops`` and
    ``formats``, all by default), for ``with_lead_images`` or ``prefetch_related_objects``
    on stories fetched already (with their ``lead_image``)."""
    renditions = Rendition.objects.all()
    if crops:
        renditions = renditions.filter(crop__in=crops)
    if formats:
        renditions = renditions.filter(format__in=formats)
    return models.Prefetch("lead_image__renditions", queryset=renditions)


# A story without a standfirst is summed up by the start of its body, cut to this many words.
SUMMARY_WORDS = 60

# Why a story with a photo that has no alt text cannot be published (admin, import, publish).
LEAD_IMAGE_NEEDS_ALT = (
    "A story cannot be published with a photo that has no alt text. Add it to the photo in "
    "the image library: what the photo shows, for readers who cannot see it (a caption is "
    "not alt text)."
)

BODY_IMAGE_NEEDS_ALT = (
    "A story cannot be published with a photo in its body that has no alt text. Give each "
    "one its alt text in the figure dialog: what the photo shows, for readers who cannot "
    "see it (a caption is not alt text)."
)

# Why an embargoed story cannot be published before its embargo ends (form, publish, import).
PUBLISHED_BEFORE_EMBARGO = (
    "The story is embargoed until %(embargo)s: it cannot be published before then. Set its "
    "publication time to the embargo's end or later (it is then scheduled), or lift the "
    "embargo."
)

OLD_ADDRESS_OF_LIVE_STORY = (
    "“%(slug)s” is an old address of the live story “%(headline)s”, and readers following it "
    "are sent there. Choose another slug."
)
OLD_ADDRESS_OF_TAKEN_DOWN_STORY = (
    "“%(slug)s” is an old address of “%(headline)s”, which was taken down: it keeps "
    "answering 410 Gone. Choose another slug."
)


# A dateline is a place name or two ("DOHA", "GAZA CITY, Gaza Strip").
DATELINE_MAX_LENGTH = 60
# Dashes an editor may type after the place; the page adds its own.
_DATELINE_DASHES = " \t-–—:"


def normalise_dateline(value: str) -> str:
    """A dateline as it is stored: one line, without a trailing dash."""
    return text.collapse_whitespace(value or "").strip(_DATELINE_DASHES)


class StoryType(models.TextChoices):
    """The type of work a story is, which readers are told (its label above the
    headline, on its cards, in feeds) and search engines too (the JSON-LD type)."""

    NEWS = "news", "News"
    ANALYSIS = "analysis", "Analysis"
    OPINION = "opinion", "Opinion"
    EXPLAINER = "explainer", "Explainer"
    FACT_CHECK = "fact-check", "Fact check"
    OBITUARY = "obituary", "Obituary"
    SPONSORED = "sponsored", "Sponsored"


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"
        # Off every public surface, its addresses answering 410 Gone with a notice; only
        # editing.take_down and editing.reverse_takedown move a story in or out of it.
        WITHDRAWN = "withdrawn", "Taken down"

    StoryType = StoryType

    class TakedownReason(models.TextChoices):
        LEGAL = "legal", "Legal"
        PRIVACY = "privacy", "Privacy"
        ERROR = "error", "Published in error"

    headline = models.CharField(max_length=300)
    headline_key = models.CharField(
        max_length=text.HEADLINE_KEY_MAX_LENGTH, editable=False, db_index=True
    )
    slug = models.CharField(
        max_length=120,
        unique=True,
        validators=[validate_slug],
        help_text="The story's address and identity. Changing it keeps the old address working.",
    )
    standfirst = models.TextField(
        blank=True, help_text="One or two sentences under the headline; used as summary."
    )
    body = models.TextField(help_text="Paragraphs of the story. HTML is sanitised.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=[validate_story_time],
        help_text="A time in the future schedules the story; it goes live then.",
    )
    updated_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=[validate_story_time],
        help_text="When the published story last changed.",
    )
    # A published story's publication time is never before its embargo (a check constraint
    # keeps it so), so the publication gate, live(), keeps it off every public surface until
    # then, and the caches' timed changes end at its publication like any scheduled story's.
    embargo_until = models.DateTimeField(
        "embargo",
        null=True,
        blank=True,
        validators=[validate_story_time],
        help_text="Not to be published before this time (an agency's or source's embargo). "
        "Empty: no embargo.",
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles", blank=True)
    source = models.CharField(
        max_length=100, blank=True, help_text="Agency or source credit, e.g. PTI."
    )
    story_type = models.CharField(
        "type of work",
        max_length=12,
        choices=StoryType.choices,
        default=StoryType.NEWS,
        help_text="Shown above the headline and wherever the story is listed; opinion and "
        "sponsored work are always labelled as such.",
    )
    dateline = models.CharField(
        max_length=DATELINE_MAX_LENGTH,
        blank=True,
        help_text="Where the story was reported, e.g. DOHA; it opens the first paragraph "
        "(“DOHA —”). Leave empty for none.",
    )
    lead_image = models.ForeignKey(
        Image,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_of",
        help_text="A photo from the image library; its alt text, caption and credit show "
        "with it. Readers get renditions sized for their screen.",
    )
    people = news_tags("people", TaggedPerson, "People the story is about")
    countries = news_tags("countries", TaggedCountry, "Countries by name or ISO code")
    topics = news_tags("topics", TaggedTopic, "Topics")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revision = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped on every save; guards lost updates."
    )
    # What the last import wrote (articles.importing): a later import replaces the story only
    # while its revision is still the one the import left, unless the operator insists.
    imported_digest = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Digest of the story file as last imported; empty if never imported.",
    )
    imported_revision = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The revision the last import left; a later one means the newsroom edited it.",
    )

    is_demo = models.BooleanField(
        "demo content",
        default=False,
        editable=False,
        help_text="Made by manage.py load_demo to show Newsroom's features (story files "
        "say 'Demo: yes'); readers see it marked as a demo, and load_demo --remove deletes it.",
    )

    # The takedown (articles.editorial.editing.take_down): set together while the story is
    # taken down, empty otherwise (a check constraint keeps them so).
    takedown_reason = models.CharField(
        max_length=10, choices=TakedownReason.choices, blank=True, editable=False
    )
    takedown_note = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        help_text="Shown to readers on the story's 410 notice.",
    )
    takedown_withholds_headline = models.BooleanField(
        default=False,
        editable=False,
        help_text="The 410 notice does not name the story.",
    )
    taken_down_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_before_takedown = models.CharField(
        max_length=10,
        choices=Status.choices,
        blank=True,
        editable=False,
        help_text="What reversing the takedown brings the story back to.",
    )

    # Live coverage (articles.editorial.live): running from coverage_started_at until
    # coverage_ends_at (empty: until an editor ends it). Only editors start or end it.
    coverage_started_at = models.DateTimeField(
        "live coverage started",
        null=True,
        blank=True,
        editable=False,
        validators=[validate_story_time],
    )
    coverage_ends_at = models.DateTimeField(
        "live coverage ends",
        null=True,
        blank=True,
        editable=False,
        validators=[validate_story_time],
        help_text="When live coverage ends, or ended; empty while it runs with no end set.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_live_idx"),
            # Listings walk these newest first and stop after a page: the archive and the
            # front page's latest stories, and each section's block and page.
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(status="published"),
                name="article_published_idx",
            ),
            models.Index(
                fields=["section", "-published_at", "-id"],
                condition=Q(status="published"),
                name="article_section_published_idx",
            ),
            # The latest edit of any live story (the sitemap index) is the top of this.
            models.Index(
                fields=["-updated_at"],
                condition=Q(status="published"),
                name="article_updated_idx",
            ),
            # When live coverage ends, pages change with nobody saving (caching.timed_changes
            # asks for the last end and the next, once per content generation).
            models.Index(
                fields=["coverage_ends_at"],
                condition=Q(coverage_ends_at__isnull=False),
                name="article_coverage_ends_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="article_published_has_time",
            ),
            # validate_story_time for every writer, the shell and raw SQL included: a time
            # Python cannot represent breaks every page that shows the story.
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__isnull": True})
                    | Q(
                        **{
                            f"{field}__gte": EARLIEST_STORY_TIME,
                            f"{field}__lt": LATEST_STORY_TIME,
                        }
                    ),
                    name=f"article_{field}_in_range",
                )
                for field in ("published_at", "updated_at", "embargo_until")
            ),
            # No write path (form, action, import, ingest, shell) publishes before an embargo.
            models.CheckConstraint(
                condition=Q(embargo_until__isnull=True)
                | ~Q(status="published")
                | Q(published_at__gte=F("embargo_until")),
                name="article_not_published_before_embargo",
            ),
            # A taken-down story says why, since when, and what a reversal restores (a
            # story that was public); any other story carries no takedown.
            models.CheckConstraint(
                condition=Q(
                    status="withdrawn",
                    takedown_reason__in=["legal", "privacy", "error"],
                    taken_down_at__isnull=False,
                    status_before_takedown__in=["published", "archived"],
                    published_at__isnull=False,
                )
                | (
                    ~Q(status="withdrawn")
                    & Q(
                        takedown_reason="",
                        takedown_note="",
                        takedown_withholds_headline=False,
                        taken_down_at__isnull=True,
                        status_before_takedown="",
                    )
                ),
                name="article_takedown_consistent",
            ),
            # The importer and the shell bypass the form's choices.
            models.CheckConstraint(
                condition=Q(story_type__in=StoryType.values), name="article_story_type_known"
            ),
            # Coverage ends after it starts, and both are times every page can show.
            models.CheckConstraint(
                condition=Q(coverage_ends_at__isnull=True)
                | Q(
                    coverage_started_at__isnull=False,
                    coverage_ends_at__gte=F("coverage_started_at"),
                    coverage_ends_at__lt=LATEST_STORY_TIME,
                ),
                name="article_coverage_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(coverage_started_at__isnull=True)
                | Q(
                    coverage_started_at__gte=EARLIEST_STORY_TIME,
                    coverage_started_at__lt=LATEST_STORY_TIME,
                ),
                name="article_coverage_started_in_range",
            ),
        ]
        permissions = [
            ("publish_article", "Can publish, schedule, archive and edit any story"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.headline = text.collapse_whitespace(self.headline)
        self.headline_key = text.headline_key(self.headline)
        self.slug = self.slug or text.slugify(self.headline)
        self.dateline = normalise_dateline(self.dateline)
        # One transaction, so the page cache's on-commit invalidation (articles.caching)
        # comes after the links resolved here with update(), which sends no signal.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)
            # How many links the save resolved: edges of the story graph (articles.caching).
            self._resolved_links = CrossLink.objects.resolve_pending(self)
            self.relist()

    def get_absolute_url(self):
        return self.url_for(self.slug)

    @staticmethod
    def url_for(slug: str) -> str:
        """The address of the story with ``slug``, for code holding the slug alone."""
        return paths.slug_path("articles:detail", slug)

    def clean(self):
        errors = {}
        if self.status == self.Status.PUBLISHED and not self.published_at:
            errors["published_at"] = "A published story needs a publication time."
        publishing = self.status == self.Status.PUBLISHED
        if publishing and self.published_before_embargo:
            errors["published_at"] = ValidationError(
                PUBLISHED_BEFORE_EMBARGO,
                params={"embargo": f"{timezone.localtime(self.embargo_until):%Y-%m-%d %H:%M %Z}"},
                code="published_before_embargo",
            )
        if publishing and self.lead_image and not self.lead_image.alt_text:
            errors["lead_image"] = ValidationError(LEAD_IMAGE_NEEDS_ALT, code="image_without_alt")
        if publishing and any(not image.alt for image in text.body_images(self.body)):
            errors["body"] = ValidationError(BODY_IMAGE_NEEDS_ALT, code="image_without_alt")
        # An old address of a live story belongs to it: taking it would turn the links
        # readers have to that story into a 404, and later into another story. Those of a
        # taken-down story keep answering 410 Gone, whatever is published later.
        owner = self.slug and (
            Article.objects.holding_addresses().exclude(pk=self.pk).redirected_from(self.slug)
        )
        if owner:
            gone = owner.status == self.Status.WITHDRAWN
            errors["slug"] = ValidationError(
                OLD_ADDRESS_OF_TAKEN_DOWN_STORY if gone else OLD_ADDRESS_OF_LIVE_STORY,
                params={"slug": self.slug, "headline": owner.headline},
                code="old_address_of_taken_down_story" if gone else "old_address_of_live_story",
            )
        if errors:
            raise ValidationError(errors)

    @property
    def published_before_embargo(self) -> bool:
        """Whether the publication time falls before the embargo's end (refused for a
        published story)."""
        return bool(
            self.embargo_until and self.published_at and self.published_at < self.embargo_until
        )

    def is_embargoed(self, at=None) -> bool:
        """Whether the story's embargo has not ended yet (at ``at``, default now)."""
        return bool(self.embargo_until and self.embargo_until > (at or timezone.now()))

    def is_live(self, at=None) -> bool:
        """Whether readers may see the story (at ``at``, default now): the publication gate
        ``live()`` applies in the database, for a story in hand."""
        return ArticleQuerySet.is_live_row(self.status, self.published_at, at=at)

    @property
    def listed_at(self):
        """When the story is listed under its tags: its publication time while it is
        published. Whether it is live yet is still for ``live()`` to say."""
        return self.published_at if self.status == self.Status.PUBLISHED else None

    def relist(self) -> None:
        """Copy ``listed_at`` onto the story's tag rows; after any change of its status or
        publication time that bypasses ``save()``."""
        for kind in TAG_KINDS:
            through = getattr(Article, kind).through
            through.objects.filter(content_object=self).update(listed_at=self.listed_at)

    @property
    def paragraphs(self) -> list[str]:
        return text.html_blocks(self.body)

    @property
    def summary(self) -> str:
        """The story in a sentence or two, as plain text: its standfirst, else the start of
        the body (its first paragraph with words, cut to ``SUMMARY_WORDS``). The one summary
        feeds, the meta description and JSON-LD show."""
        if standfirst := text.collapse_whitespace(self.standfirst):
            return standfirst
        # A photo's caption is not the story's opening.
        opening = next(
            (
                words
                for block in self.paragraphs
                if not block.startswith("<figure") and (words := text.html_to_text(block))
            ),
            "",
        )
        return Truncator(opening).words(SUMMARY_WORDS)

    def coverage_state(self, at=None) -> str:
        """ "live" while live coverage runs (started, and not at its end time yet), "ended"
        after, "" for a story never covered live. Whether readers may see the story at all
        is still ``is_live()``'s to say."""
        if self.coverage_started_at is None:
            return ""
        at = at or timezone.now()
        if self.coverage_ends_at is not None and self.coverage_ends_at <= at:
            return "ended"
        return "live" if self.coverage_started_at <= at else ""

    @property
    def covered_live(self) -> bool:
        """Whether live coverage runs now (the "Live" marker on its page and its cards)."""
        return self.coverage_state() == "live"

    @property
    def type_label(self) -> str:
        """The type of work as readers see it above the headline and on cards ("Analysis");
        empty for news, which needs no label."""
        return "" if self.story_type == self.StoryType.NEWS else self.get_story_type_display()

    @property
    def listing_label(self) -> str:
        """The label a listing that shows nothing but the headline (a feed item's title,
        an Also Read link) puts before it: "Opinion" or "Sponsored", never left out there."""
        return self.get_story_type_display() if self.story_type in LABELLED_TYPES else ""

    @property
    def labelled_headline(self) -> str:
        """The headline with its ``listing_label``: "Opinion: Why the talks stalled"."""
        return labelled_headline(self.headline, self.story_type)

    @property
    def was_updated(self) -> bool:
        return bool(self.updated_at and self.published_at and self.updated_at > self.published_at)

    @property
    def modified_at(self):
        """When the story last changed for readers: its publication, its last update, or
        its newest correction or clarification (``latest_notice_at``, set by
        ``attach_notices()`` or annotated with ``Correction.objects.latest_at()``), whichever
        is latest. Feeds and JSON-LD give it as the story's modified time."""
        times = (self.published_at, self.updated_at, getattr(self, "latest_notice_at", None))
        return max(filter(None, times), default=None)


# Types of work readers must never take for the newsroom's reporting: every listing names
# them, down to a feed item's title and an Also Read link.
LABELLED_TYPES = (Article.StoryType.OPINION, Article.StoryType.SPONSORED)


def labelled_headline(headline: str, story_type: str) -> str:
    """``headline`` as a listing of headlines alone shows it: "Opinion: …" for the
    ``LABELLED_TYPES``, as it stands for any other."""
    if story_type in LABELLED_TYPES:
        return f"{Article.StoryType(story_type).label}: {headline}"
    return headline


def tag_model(kind: str) -> type[NewsTag]:
    """The tag model of one of ``TAG_KINDS``: ``Person`` for "people"."""
    return getattr(Article, kind).through.tag_model()


def tag_kind_of(model: type[NewsTag]) -> str:
    """The tag kind whose tags are ``model`` rows: "people" for ``Person``."""
    return next(kind for kind in TAG_KINDS if tag_model(kind) is model)


class SlugRedirect(models.Model):
    """An address a story had before its slug changed; it answers 301 to the new one."""

    old_slug = models.CharField(max_length=120, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="slug_redirects")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["old_slug"]

    def __str__(self):
        return f"{self.old_slug} → {self.article.slug}"


# The models with hubs, by model name: a TagRedirect's kinds.
HUB_MODEL_NAMES = ("person", "country", "topic", "section", "author")


def points_at_one_of(kinds) -> Q:
    """The reference named by ``kind`` is set, and no other."""
    return functools.reduce(
        operator.or_,
        (
            Q(kind=kind, **{f"{kind}__isnull": False})
            & Q(**{f"{other}__isnull": True for other in kinds if other != kind})
            for kind in kinds
        ),
    )


class TagRedirect(models.Model):
    """An address a hub had before it was merged into another or renamed: the hub's page
    and each of its feeds answer 301 to the hub it became (as ``SlugRedirect`` does for
    stories). One model for the five kinds of hub: ``kind`` names which of the references
    is set. A hub that takes the old address for itself wins over the redirect (each kind's
    ``save`` deletes it), and a redirect always points at a hub that exists, so chains
    cannot form: a merge points the merged hubs' redirects at the survivor."""

    kind = models.CharField(max_length=10, choices=[(kind, kind) for kind in HUB_MODEL_NAMES])
    old_slug = models.CharField(max_length=150)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.CASCADE, related_name="redirects"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "old_slug"]
        constraints = [
            # old_slug first: a hub's lookup by an old address reads this index.
            models.UniqueConstraint(
                fields=["old_slug", "kind"], name="tagredirect_one_per_address"
            ),
            models.CheckConstraint(
                condition=points_at_one_of(HUB_MODEL_NAMES), name="tagredirect_points_at_its_kind"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.old_slug} → {self.target.slug}"

    @property
    def target(self):
        return getattr(self, self.kind)

    @classmethod
    def to(cls, target, old_slug: str) -> "TagRedirect":
        """Send ``old_slug`` of ``target``'s kind to ``target`` from now on."""
        kind = target._meta.model_name
        redirect, _ = cls.objects.update_or_create(
            kind=kind, old_slug=old_slug, defaults={kind: target}
        )
        return redirect


class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique"),
        ]

    def __str__(self):
        return f"{self.author} on {self.article}"


class CrossLinkQuerySet(models.QuerySet):
    def shown(self, at=None):
        """Links a reader may see (at ``at``, now by default): both ends live, the target
        resolved."""
        return self.filter(
            ArticleQuerySet.live_condition("source__", at=at),
            ArticleQuerySet.live_condition("target__", at=at),
        )

    def pending(self):
        return self.filter(target__isnull=True)

    def shown_from(self, article):
        """The links a reader sees on ``article``, in reading order, with their targets.

        Only live targets show; whether ``article`` itself may be shown is the page's
        business (the reader's page serves live stories only, a staff preview any).
        """
        return self.filter(
            ArticleQuerySet.live_condition("target__"), source=article
        ).select_related("target__section")

    def resolve_pending(self, article: Article) -> int:
        """Point pending links written with this story's headline at it.

        The stories holding them keep their revision: a resolution is no editor's change,
        and one opened in a form meanwhile cannot undo it (``CrossLink.save`` resolves a
        pending link again).
        """
        already_linking = self.filter(target=article).values("source")
        return (
            self.pending()
            .filter(target_key=article.headline_key)
            .exclude(source=article)
            .exclude(source__in=already_linking)
            .update(target=article)
        )

    def resolution_for(self, link: "CrossLink") -> Article | None:
        """The story a pending ``link`` points at once saved: the newest with its headline,
        unless that is its own story or one its story links to already."""
        linked = self.filter(source=link.source_id, target__isnull=False).exclude(pk=link.pk)
        return (
            Article.objects.filter(headline_key=link.target_key)
            .exclude(pk=link.source_id)
            .exclude(pk__in=linked.values("target"))
            .order_by("-published_at", "pk")
            .first()
        )


class CrossLink(models.Model):
    """A directed edge of the story graph: ``source`` shows an Also Read box for ``target``."""

    source = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="links_in",
        help_text="Empty while the linked story does not exist yet (a pending link).",
    )
    target_headline = models.CharField(
        max_length=300, help_text="The headline as written in the copy."
    )
    target_key = models.CharField(
        max_length=text.HEADLINE_KEY_MAX_LENGTH, editable=False, db_index=True
    )
    placement = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Number of body paragraphs before the Also Read box; empty puts the "
        "link in the Related stories list at the end.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CrossLinkQuerySet.as_manager()

    class Meta:
        ordering = [F("placement").asc(nulls_last=True), "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="crosslink_not_to_itself"
            ),
            models.UniqueConstraint(fields=["source", "target"], name="crosslink_one_per_pair"),
        ]

    def __str__(self):
        return f"{self.source} → {self.target or self.target_headline}"

    def save(self, *args, **kwargs):
        if self.target_id and not self.target_headline:
            self.target_headline = self.target.headline
        self.target_headline = text.collapse_whitespace(self.target_headline)
        self.target_key = text.headline_key(self.target_headline)
        if self.target_id is None:
            # Pending only while no story has the headline, however the link was saved (a
            # story form opened before it resolved included).
            self.target = CrossLink.objects.resolution_for(self)
        super().save(*args, **kwargs)

    @property
    def is_pending(self) -> bool:
        return self.target_id is None


class ContentChange(models.Model):
    """A moment public content changed: the newest row is the current content generation
    (``articles.caching``), kept in the database so every process sees it at once.

    Each row names one ``key`` of what changed (``story:12``, ``people:7``, ``latest``…), or
    ``*`` for everything; one change inserts a row per key. A stored page is stale once a
    row newer than its rendering names one of the keys it shows.

    Append-only: a change inserts rows rather than updating one, so concurrent editors'
    transactions never wait on each other's row lock. Old rows are pruned now and then.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    key = models.CharField(max_length=100, default="*")

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Whether anything a page shows changed since it was rendered: one short range
            # of this index per key the page shows.
            models.Index(fields=["key", "id"], name="contentchange_key_id"),
        ]

    def __str__(self):
        return f"content change {self.pk} at {self.at:%Y-%m-%d %H:%M:%S}"


class AuditEntryQuerySet(models.QuerySet):
    def log(self, action: str, subject, *, user=None, actor: str = "", detail: str = ""):
        """Record that ``user`` (or ``actor``, a command's name, when no one is signed in)
        did ``action`` to ``subject``, a model instance, under its title of the moment.

        Call it inside the change's transaction: the entry and the change stand or fall
        together.
        """
        return self.create(
            action=action,
            user=user if getattr(user, "pk", None) else None,
            actor=(user.get_username() if getattr(user, "pk", None) else actor)[:150],
            subject_type=subject._meta.model_name,
            subject_id=subject.pk,
            title=str(subject)[:300],
            detail=detail,
        )

    def log_story_transition(self, article, *, before, user=None, actor: str = ""):
        """Record the editorial step a save of ``article`` took from ``before``, the
        stored ``(status, published_at)`` (None for a new story); nothing for an edit that
        kept the story where it was."""
        if action := AuditEntry.Action.for_transition(before, article):
            return self.log(action, article, user=user, actor=actor)
        return None


class AuditEntry(models.Model):
    """One editorial act: who did what to which story or tag, and when.

    Append-only: the admin shows entries and neither edits nor deletes them, and a
    deleted user or story keeps its entries (name and title are copied, not referenced).
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        SUBMITTED = "submitted", "Submitted for review"
        PUBLISHED = "published", "Published"
        SCHEDULED = "scheduled", "Scheduled"
        UNPUBLISHED = "unpublished", "Unpublished"
        ARCHIVED = "archived", "Archived"
        TAKEN_DOWN = "taken_down", "Took down"
        REINSTATED = "reinstated", "Reversed takedown"
        RESTORED = "restored", "Restored a version"
        CORRECTED = "corrected", "Corrected"
        MERGED = "merged", "Merged"
        RENAMED = "renamed", "Renamed"
        DELETED = "deleted", "Deleted"
        COVERAGE_STARTED = "coverage_started", "Started live coverage"
        COVERAGE_ENDED = "coverage_ended", "Ended live coverage"
        INGESTED = "ingested", "Delivered by wire"
        TOKEN_REVOKED = "token_revoked", "Revoked an ingest token"

        @classmethod
        def for_transition(cls, before, article) -> str | None:
            """The step from ``before``, ``(status, published_at)`` or None for a new
            story, to ``article``'s status now."""
            status = Article.Status
            if before is None:
                return cls.CREATED
            old_status, old_published_at = before
            if article.status == status.PUBLISHED:
                moved = old_status != status.PUBLISHED or old_published_at != article.published_at
                if not moved:
                    return None
                return cls.SCHEDULED if not article.is_live() else cls.PUBLISHED
            if article.status == old_status:
                return None
            if article.status == status.ARCHIVED:
                return cls.ARCHIVED
            if old_status == status.PUBLISHED:
                return cls.UNPUBLISHED
            if article.status == status.REVIEW:
                return cls.SUBMITTED
            return None

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for commands and imports; see actor.",
    )
    actor = models.CharField(
        max_length=150, help_text="The user's name at the time, or the command that acted."
    )
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    subject_type = models.CharField(max_length=40, help_text="article, person, topic, …")
    subject_id = models.BigIntegerField(null=True)
    title = models.CharField(max_length=300, help_text="The subject's title at the time.")
    detail = models.TextField(blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["subject_type", "subject_id", "-at"])]

    def __str__(self):
        return f"{self.actor or 'someone'} {self.get_action_display().lower()} “{self.title}”"


# Who a version is credited to when it records a story as it stood before versions were kept.
BEFORE_VERSIONS_ACTOR = "(as found when versions began)"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def story_snapshot(pk: int) -> tuple[dict, Article]:
    """The stored story ``pk`` as one JSON-ready dict, and its row: every field a reader or
    an editor sees, its tags by name, its bylines in order and its links with placements.

    Read from the database, not from an instance in hand, so that a version records what
    the transaction wrote (inlines, tags and links included), in four queries.
    """
    article = Article.objects.select_related("section", "lead_image").get(pk=pk)
    attach_tags_and_authors([article])
    links = CrossLink.objects.filter(source=pk).values(
        "target_id", "target_headline", "placement", "order", target_slug=F("target__slug")
    )
    snapshot = {
        "headline": article.headline,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body,
        "source": article.source,
        "story_type": article.story_type,
        "dateline": article.dateline,
        "status": article.status,
        "published_at": _iso(article.published_at),
        "updated_at": _iso(article.updated_at),
        # Only when there is one: stories without keep the snapshot they had before embargoes.
        **({"embargo_until": _iso(article.embargo_until)} if article.embargo_until else {}),
        "section": article.section and {"id": article.section.pk, "name": article.section.name},
        "tags": {kind: [tag.name for tag in article.tags[kind]] for kind in TAG_KINDS},
        "authors": [{"id": author.pk, "name": author.name} for author in article.bylined],
        "links": [dict(link) for link in links],
        # The lead photo of the image library, with its details as they stood (they belong
        # to the library image, which other stories may share; a restore brings back the
        # photo, not its details).
        "image": article.lead_image
        and {
            "id": article.lead_image.pk,
            "name": article.lead_image.file.name,
            "alt": article.lead_image.alt_text,
            "caption": article.lead_image.caption,
            "credit": article.lead_image.credit,
        },
    }
    return snapshot, article


class StoryVersionQuerySet(models.QuerySet):
    def capture(self, article, *, user=None, actor: str = ""):
        """Record the stored state of ``article`` as a new version by ``user`` (or ``actor``,
        a command's name), unless it is what the latest version says already; the new
        version, or None.

        The one way versions are written. Call it inside the change's transaction, after
        everything the change writes (the story, its tags, bylines and links).
        """
        snapshot, stored = story_snapshot(article.pk)
        latest = self.filter(article=stored.pk).order_by("-pk").values("snapshot").first()
        if latest is not None and latest["snapshot"] == snapshot:
            return None
        signed_in = getattr(user, "pk", None) is not None
        return self.create(
            article=stored,
            revision=stored.revision,
            user=user if signed_in else None,
            actor=(user.get_username() if signed_in else actor)[:150],
            status=stored.status,
            published_at=stored.published_at,
            snapshot=snapshot,
        )

    def keep_baseline(self, article):
        """Before the first change of a story that has no version yet (one written before
        versions were kept), record it as it stands, so the change can be compared with it
        and undone."""
        if article.pk is None or self.filter(article=article.pk).exists():
            return None
        return self.capture(article, actor=BEFORE_VERSIONS_ACTOR)

    def at_revision(self, article, revision: int):
        """The version that shows ``article`` as it stood at ``revision``: the newest one
        recorded at or before it (a save that changed nothing records no version), or None."""
        at_or_before = self.filter(article=article, revision__lte=revision)
        return at_or_before.order_by("-revision", "-pk").first()

    def with_liveness(self, at=None):
        """Annotate ``superseded_at`` (when the next version of its story was recorded; None
        for the latest) and ``was_live``: whether readers saw this version, i.e. it was
        published with a publication time before it was superseded (or ``at``, now)."""
        later = (
            StoryVersion.objects.filter(article=OuterRef("article"), pk__gt=OuterRef("pk"))
            .order_by("pk")
            .values("captured_at")[:1]
        )
        until = Coalesce(
            "superseded_at", Value(at or timezone.now(), output_field=models.DateTimeField())
        )
        return self.annotate(superseded_at=Subquery(later)).annotate(
            was_live=models.ExpressionWrapper(
                Q(status=Article.Status.PUBLISHED, published_at__lte=until),
                output_field=models.BooleanField(),
            )
        )

    def purgeable(self, before):
        """Versions recorded before ``before`` that may go: never one readers saw, nor the
        latest of its story (what the story says now)."""
        latest = (
            StoryVersion.objects.filter(article=OuterRef("article"))
            .order_by("-pk")
            .values("pk")[:1]
        )
        return (
            self.with_liveness()
            .filter(captured_at__lt=before, was_live=False)
            .exclude(pk=Subquery(latest))
        )

    def purge(self, before, batch: int = 1000) -> dict[str, int]:
        """Delete the ``purgeable(before)`` versions, a batch at a time; how many went, by
        the headline of their story."""
        doomed = self.purgeable(before).values_list("pk", "article__headline").order_by("pk")
        removed: dict[str, int] = defaultdict(int)
        rows = list(doomed)
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            StoryVersion.objects.filter(pk__in=[pk for pk, _ in chunk]).only("pk").delete()
            for _, headline in chunk:
                removed[headline] += 1
        return dict(removed)


class StoryVersion(models.Model):
    """A story as one save left it: text, tags, bylines, links, image, status and times,
    with who saved it and when. Written by ``StoryVersion.objects.capture`` and never
    changed; restoring one writes the story again and records a new version.

    One JSON snapshot per save (not a history table per model): the tags live in three
    taggit through tables, bylines and links in two more, and comparing two versions wants
    the whole story at once.
    """

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    revision = models.PositiveIntegerField(
        help_text="The story's revision when this version was recorded (Article.revision)."
    )
    captured_at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for commands and imports; see actor.",
    )
    actor = models.CharField(
        max_length=150, help_text="The user's name at the time, or the command that saved."
    )
    # The two fields "was readers' version" depends on, as columns for the history list and
    # purge_revisions to query; everything else is in the snapshot.
    status = models.CharField(max_length=10, choices=Article.Status.choices)
    published_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(help_text="The story as saved: see models.story_snapshot.")

    objects = StoryVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [
            # A story's versions newest first (its history page, the latest for capture).
            models.Index(fields=["article", "-id"], name="storyversion_newest"),
            # The version at a revision (corrections name the revision that made them).
            models.Index(fields=["article", "revision"], name="storyversion_revision"),
        ]

    def __str__(self):
        return f"{self.headline} (revision {self.revision}, {self.captured_at:%Y-%m-%d %H:%M})"

    @property
    def headline(self) -> str:
        return self.snapshot.get("headline", "") if isinstance(self.snapshot, dict) else ""


# A notice is a sentence or a short paragraph, on one line of a story file.
NOTICE_MAX_LENGTH = 2000


class CorrectionQuerySet(models.QuerySet):
    def live(self, at=None):
        """Notices readers may see: those of live stories, through the one publication gate
        (a story unpublished, archived or taken down takes its notices with it)."""
        return self.filter(ArticleQuerySet.live_condition("article__", at=at))

    def for_listing(self):
        """The ``/corrections/`` page and feeds: each notice with its story (and the story's
        section), newest first, with ``listed`` to page them by (``articles.reader.paging``)."""
        return (
            self.select_related("article__section").annotate(listed=F("at")).order_by("-at", "-pk")
        )

    def latest_at(self, prefix: str = "") -> "models.Subquery":
        """The time of a story's newest notice, for annotating stories (``OuterRef`` to the
        story's pk through ``prefix``); None when it has none."""
        return models.Subquery(
            self.filter(article=models.OuterRef(f"{prefix}pk")).order_by("-at").values("at")[:1]
        )


class Correction(models.Model):
    """A correction or clarification published with a story: what readers were told was
    wrong or unclear, and when. Shown on the story's page (a correction at the top, a
    clarification at the end), on ``/corrections/``, in feeds and in JSON-LD, while the
    story is live."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CLARIFICATION = "clarification", "Clarification"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=13, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(
        max_length=NOTICE_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTICE_MAX_LENGTH)],
        help_text="What was wrong or unclear and what is right, in plain text (no HTML); "
        "readers see it as written.",
    )
    at = models.DateTimeField(
        "time",
        default=timezone.now,
        validators=[validate_story_time],
        help_text="When the notice was made; readers see this date.",
    )
    revision = models.PositiveIntegerField(
        blank=True,
        help_text="The story's revision that made the change this notice tells readers about; "
        "empty for the story's current revision.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The notice's identity in feeds (``tag:`` URIs name its day), which editing ``at`` must
    # not move.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # /corrections/ and its feeds walk every notice newest first, a page at a time.
            models.Index(fields=["-at", "-id"], name="correction_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["correction", "clarification"]), name="correction_kind"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="correction_text_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), NOTICE_MAX_LENGTH),
                name="correction_text_length",
            ),
            models.CheckConstraint(
                condition=Q(at__gte=EARLIEST_STORY_TIME, at__lt=LATEST_STORY_TIME),
                name="correction_at_in_range",
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="correction_revision"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to “{self.article}”"

    def save(self, *args, **kwargs):
        self.text = self.normalise_text(self.text)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The notice where it stands on its story's page."""
        return f"{self.article.get_absolute_url()}#{self.anchor}"

    def clean(self):
        self.text = self.normalise_text(self.text)
        if not self.text:
            raise ValidationError({"text": "Write what readers should know."})

    @property
    def anchor(self) -> str:
        return f"notice-{self.pk}"

    @classmethod
    def normalise_text(cls, value: str) -> str:
        """The text as stored: one line of plain text, control characters and runs of white
        space collapsed (the story file gives each notice one line)."""
        return text.collapse_whitespace(value or "")


def attach_notices(articles) -> None:
    """Set ``notices`` on each article: its corrections and clarifications, oldest first,
    in one query whatever the number of articles; and ``latest_notice_at``, the newest
    one's time (None without one).

    An article annotated with ``latest_notice_at`` None (``Correction.objects.latest_at()``,
    as ``for_detail()`` and the feeds do) is known to have none: most stories have none, and
    when no article may have one there is no query.
    """
    found = defaultdict(list)
    unknown = object()
    asked = [a.pk for a in articles if getattr(a, "latest_notice_at", unknown) is not None]
    notices = Correction.objects.filter(article__in=asked).order_by("at", "pk")
    for notice in notices if asked else ():
        found[notice.article_id].append(notice)
    for article in articles:
        article.notices = found[article.pk]
        for notice in article.notices:
            notice.article = article  # no query per notice for its story's address
        article.latest_notice_at = article.notices[-1].at if article.notices else None


# A live entry is a short post: a few paragraphs (HTML, as stored after sanitising).
LIVE_ENTRY_MAX_LENGTH = 10_000
# How much of an entry stands for it where it has no headline (key events, JSON-LD, feeds).
LIVE_ENTRY_SUMMARY_CHARS = 110


class LiveEntryQuerySet(models.QuerySet):
    def live(self, at=None):
        """Entries readers may see: those of live stories covered live (running or ended),
        through the one publication gate. A story unpublished, archived or taken down takes
        its entries with it."""
        return self.filter(
            ArticleQuerySet.live_condition("article__", at=at),
            article__coverage_started_at__isnull=False,
        )

    def newest_first(self):
        """With ``listed``, the time entries are paged by (``articles.reader.paging``): when
        each was posted, which no edit moves."""
        return self.annotate(listed=F("created_at")).order_by("-created_at", "-pk")

    def for_page(self):
        """What a reader sees of each entry, its authors included (one more query for all)."""
        by_name = models.Prefetch("authors", queryset=Author.objects.order_by("name"))
        return self.newest_first().prefetch_related(by_name)

    def key_events(self):
        return self.filter(is_key=True)


class LiveEntry(models.Model):
    """One short, timed post of a story's live coverage (``Article.coverage_started_at``).

    Its own row, not part of the story: a desk posting every minute neither moves the
    story's revision (an editor's open story form stays valid) nor records story versions.
    Edits are guarded by the entry's own ``revision``. A key event moves the story's
    ``updated_at``: it is the news readers see as an update (the page's "Updated" line,
    feeds, sitemaps, JSON-LD); routine entries carry their own times.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="live_entries")
    headline = models.CharField(
        max_length=200, blank=True, help_text="Optional: a few words that sum the entry up."
    )
    body = models.TextField(
        help_text="Plain text (a blank line starts a paragraph) or HTML, which is sanitised."
    )
    is_key = models.BooleanField(
        "key event",
        default=False,
        help_text="A development readers should not miss: listed under Key events, and it "
        "leads the story's item in feeds.",
    )
    authors = models.ManyToManyField(Author, related_name="live_entries", blank=True)
    created_at = models.DateTimeField("posted", default=timezone.now, editable=False)
    updated_at = models.DateTimeField(
        "edited",
        null=True,
        blank=True,
        editable=False,
        help_text="When readers last saw it change.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revision = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped on every edit; guards lost updates."
    )

    objects = LiveEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "live entry"
        verbose_name_plural = "live entries"
        indexes = [
            # A story's entries newest first, a page at a time, and those newer than a key.
            models.Index(fields=["article", "-created_at", "-id"], name="liveentry_newest"),
            models.Index(
                fields=["article", "-created_at", "-id"],
                condition=Q(is_key=True),
                name="liveentry_key_events",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="liveentry_body_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), LIVE_ENTRY_MAX_LENGTH),
                name="liveentry_body_length",
            ),
            models.CheckConstraint(
                condition=Q(created_at__gte=EARLIEST_STORY_TIME, created_at__lt=LATEST_STORY_TIME),
                name="liveentry_created_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.summary} ({self.article})" if self.article_id else self.summary

    def save(self, *args, **kwargs):
        self.headline = text.collapse_whitespace(self.headline)
        self.body = text.rich_text_html(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The entry where it stands on its story's page, while it is among the newest
        (the reader's page links older ones to the page of entries from it down)."""
        return f"{self.article.get_absolute_url()}#{self.anchor}"

    def clean(self):
        self.headline = text.collapse_whitespace(self.headline)
        self.body = text.rich_text_html(self.body)
        if not self.body:
            raise ValidationError({"body": "Write the entry."}, code="required")
        if len(self.body) > LIVE_ENTRY_MAX_LENGTH:
            raise ValidationError(
                {
                    "body": ValidationError(
                        "The entry is %(length)s characters long (as HTML); at most %(limit)s.",
                        params={"length": len(self.body), "limit": LIVE_ENTRY_MAX_LENGTH},
                        code="too_long",
                    )
                }
            )

    @property
    def anchor(self) -> str:
        return f"entry-{self.pk}"

    @property
    def paragraphs(self) -> list[str]:
        return text.html_blocks(self.body)

    @property
    def summary(self) -> str:
        """The headline, else the start of the text: how lists and machines name it."""
        return self.headline or Truncator(text.html_to_text(self.body)).chars(
            LIVE_ENTRY_SUMMARY_CHARS
        )

    @property
    def was_updated(self) -> bool:
        return self.updated_at is not None and self.updated_at > self.created_at


def attach_latest_key_events(articles) -> None:
    """Set ``latest_key_event`` on each article: the newest key event of its live coverage
    (None without one), in one query whatever the number of articles, and none when no
    article was ever covered live. For live stories only: the caller's list is public."""
    found = {}
    covered = [a.pk for a in articles if a.coverage_started_at is not None]
    if covered:
        newest = (
            LiveEntry.objects.key_events()
            .filter(article=OuterRef("article"))
            .order_by("-created_at", "-pk")
            .values("pk")[:1]
        )
        entries = LiveEntry.objects.filter(article__in=covered, pk=Subquery(newest))
        found = {entry.article_id: entry for entry in entries}
    for article in articles:
        article.latest_key_event = found.get(article.pk)
        if article.latest_key_event is not None:
            article.latest_key_event.article = article


def validate_banner_link(value: str) -> None:
    """An address on the web (http or https) or on this site (``/news/…``), nothing else:
    the banner is on every page, so a ``javascript:`` link would be on every page too."""
    if value.startswith("/"):
        if value.startswith("//") or not url_has_allowed_host_and_scheme(value, None):
            raise ValidationError(
                "Use an address on this site such as /news/…, or a full http(s) address.",
                code="invalid_link",
            )
        return
    URLValidator(
        schemes=["http", "https"],
        message="Use a full http:// or https:// address, or one on this site such as /news/….",
    )(value)


class BreakingNewsQuerySet(models.QuerySet):
    def shown(self, at=None):
        """The banners not expired yet, the newest first: the first is the one shown."""
        return self.filter(expires_at__gt=at or timezone.now()).order_by("-created_at", "-pk")


class BreakingNews(models.Model):
    """A one-line breaking-news banner on every public page until it expires (or an editor
    clears it, which expires it at once). The newest one not expired is shown. Its expiry
    bounds how long pages are cached (``articles.caching.timed_changes``)."""

    text = models.CharField(
        max_length=200, help_text="One line, such as “Earthquake hits the capital: follow live”."
    )
    link = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_banner_link],
        help_text="Optional: where the banner leads, e.g. /news/… or https://….",
    )
    expires_at = models.DateTimeField(
        "shown until",
        validators=[validate_story_time],
        help_text="Readers stop seeing the banner at this time.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = BreakingNewsQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "breaking-news banner"
        verbose_name_plural = "breaking-news banners"
        indexes = [models.Index(fields=["expires_at"], name="breakingnews_expires_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="breakingnews_text_not_empty"),
            models.CheckConstraint(
                condition=Q(expires_at__gte=EARLIEST_STORY_TIME, expires_at__lt=LATEST_STORY_TIME),
                name="breakingnews_expires_in_range",
            ),
        ]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        self.text = text.collapse_whitespace(self.text)
        self.link = self.link.strip()
        super().save(*args, **kwargs)

    def clean(self):
        self.text = text.collapse_whitespace(self.text)
        if not self.text:
            raise ValidationError({"text": "Write the banner's line."}, code="required")

    def is_shown(self, at=None) -> bool:
        return self.expires_at > (at or timezone.now())


class IngestTokenQuerySet(models.QuerySet):
    def issue(self, *, name: str, allows: str = "draft", user=None) -> tuple["IngestToken", str]:
        """A new token and its secret, which is stored only as a digest: shown once."""
        secret = INGEST_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.create(
            name=name,
            allows=allows,
            digest=IngestToken.digest_of(secret),
            hint=secret[: len(INGEST_TOKEN_PREFIX) + 4],
            created_by=user if getattr(user, "pk", None) else None,
        )
        return token, secret

    def holding(self, secret: str):
        """The token whose secret is ``secret`` (revoked or not), or None."""
        return self.filter(digest=IngestToken.digest_of(secret)).first()


# Tokens start with this, so a leaked one is recognisable (secret scanners, logs).
INGEST_TOKEN_PREFIX = "nrw_"  # noqa: S105 (a prefix, not a secret)


class IngestToken(models.Model):
    """What an agency or desk delivering stories to ``POST /api/ingest/`` authenticates
    with (``Authorization: Bearer <secret>``). Editors create and revoke them in the admin;
    the secret is shown once, at creation, and only its SHA-256 digest is kept (secrets are
    32 random bytes: a fast digest is enough)."""

    class Allows(models.TextChoices):
        DRAFT = "draft", "Drafts only (an editor publishes)"
        PUBLISHED = "published", "Publishing (as the delivery says, embargo kept)"

    name = models.CharField(max_length=100, help_text="Who delivers with it: the agency, desk…")
    allows = models.CharField(
        "stories arrive as",
        max_length=10,
        choices=Allows.choices,
        default=Allows.DRAFT,
        help_text="Drafts: every delivery arrives as a draft (or in review) whatever it "
        "says. Publishing: a delivery may publish or schedule, never before its embargo.",
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=16,
        editable=False,
        help_text="The secret's first characters, to tell tokens apart.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = IngestTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "ingest token"

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
