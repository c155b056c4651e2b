from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager

from articles import importing
from articles.editorial import forms
from articles.intelligence import suggestions
from articles.models import (
    NO_ADDRESS,
    TAG_KINDS,
    Article,
    ArticleQuerySet,
    Author,
    Country,
    CrossLink,
    Person,
    Section,
    Topic,
    tag_kind_of,
    tag_model,
)
from articles.reader.feeds import HubFeed
from articles.reader.hubs import HUB_KINDS
from articles.reader.sitemaps import SITEMAPS
from tests.factories import ArticleFactory, AuthorFactory, CrossLinkFactory, taken_down

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "minutes_from_now", "live"),
    [
        ("published", -1, True),
        ("published", 10, False),
        ("draft", -1, False),
        ("draft", None, False),
        ("review", -1, False),
        ("archived", -1, False),
    ],
)
def test_live_is_published_and_not_in_the_future(status, minutes_from_now, live):
    """The one publication gate: every status × past/future time combination."""
    published_at = (
        None if minutes_from_now is None else timezone.now() + timedelta(minutes=minutes_from_now)
    )
    article = ArticleFactory(status=status, published_at=published_at)
    assert Article.objects.live().filter(pk=article.pk).exists() is live
    assert Article.objects.with_liveness().get(pk=article.pk).live is live
    assert article.is_live() is live


@pytest.mark.parametrize("status", Article.Status.values)
@pytest.mark.parametrize("seconds_from_then", [-60, 0, 60, None])
def test_python_liveness_agrees_with_the_database_gate(status, seconds_from_then):
    """``Article.is_live()`` (and the row form editing uses) says what ``live()`` says, for
    every status and a past, equal, future or missing time, at a given moment."""
    then = timezone.now().replace(microsecond=0)
    published_at = (
        None if seconds_from_then is None else then + timedelta(seconds=seconds_from_then)
    )
    if status in ("published", "withdrawn") and published_at is None:
        # The database refuses the row (test below); Python must not call it live either.
        assert Article(status=status, published_at=None).is_live(at=then) is False
        return
    if status == "withdrawn":
        article = taken_down(published_at=published_at)
    else:
        article = ArticleFactory(status=status, published_at=published_at)
    in_database = Article.objects.live(at=then).filter(pk=article.pk).exists()
    annotated = Article.objects.with_liveness(at=then).values_list("live", flat=True)
    assert annotated.get(pk=article.pk) is in_database
    assert article.is_live(at=then) is in_database
    assert ArticleQuerySet.is_live_row(status, published_at, at=then) is in_database
    assert in_database is (status == "published" and seconds_from_then <= 0)


def test_published_without_time_is_refused_by_the_database():
    """Integrity lives in the database: a published story always has a time."""
    with pytest.raises(IntegrityError):
        ArticleFactory(status="published", published_at=None)


def test_tag_names_ignore_case_and_spacing():
    """'donald trump' and 'Donald  Trump' are one person."""
    first, second = ArticleFactory(), ArticleFactory()
    first.people.add("Donald Trump")
    second.people.add("donald  trump ")
    assert Person.objects.count() == 1
    assert Article.objects.filter(people=Person.objects.get()).count() == 2


def test_tag_names_are_unique_case_insensitively_in_the_database():
    """Even outside taggit's manager, two spellings cannot become two rows."""
    Person.objects.create(name="Joe Biden")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(name="JOE BIDEN", slug="joe-biden-2")


@pytest.mark.parametrize(
    "spelling", ["US", "us", "United States", "United States of America", "USA"]
)
def test_country_accepts_codes_and_names(spelling):
    """Codes, names and official names are one Country tag with its ISO code."""
    article = ArticleFactory()
    article.countries.add("United States")
    article.countries.add(spelling)
    country = Country.objects.get()
    assert (country.name, country.code) == ("United States", "US")


def test_country_uses_common_names():
    """pycountry's common name reads better than the formal one ('Iran')."""
    article = ArticleFactory()
    article.countries.add("IR")
    assert Country.objects.get().name == "Iran"


def test_unknown_country_is_an_error():
    article = ArticleFactory()
    with pytest.raises(ValueError, match="unknown country"):
        article.countries.add("Narnia")
    assert not Country.objects.exists()


def test_unicode_headlines_get_readable_working_urls(client):
    """A Hindi headline gets a Devanagari slug that the article URL serves."""
    article = ArticleFactory(headline="भारत ने नई नीति की घोषणा की", slug="")
    assert article.slug == "भारत-ने-नई-नीति-की-घोषणा-की"
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "भारत ने नई नीति" in response.text


def test_a_story_cannot_link_to_itself():
    article = ArticleFactory()
    with pytest.raises(IntegrityError):
        CrossLink.objects.create(source=article, target=article, target_headline="x")


def test_one_link_per_source_and_target():
    link = CrossLinkFactory()
    with pytest.raises(IntegrityError):
        CrossLink.objects.create(source=link.source, target=link.target, placement=3)


def test_pending_link_resolves_when_a_story_with_that_headline_is_created():
    """Headlines match after normalising case, quotes, punctuation and spacing."""
    source = ArticleFactory()
    link = CrossLink.objects.create(
        source=source, target_headline="‘Israel reserves right’: Netanyahu’s warning", placement=1
    )
    assert link.is_pending
    target = ArticleFactory(headline="'Israel reserves right' — Netanyahu's WARNING")
    link.refresh_from_db()
    assert link.target == target


def test_a_link_saved_pending_resolves_when_its_story_exists():
    """A link is pending only while no story has its headline, however it is saved."""
    target = ArticleFactory(headline="Ceasefire holds")
    source = ArticleFactory()
    link = CrossLink.objects.create(source=source, target_headline="ceasefire  holds", placement=1)
    assert link.target == target
    CrossLink.objects.create(source=target, target_headline="Ceasefire holds")
    assert not target.links_out.get().target  # never a link to itself


def test_resolution_never_makes_a_self_link_or_a_duplicate_edge():
    """A story never resolves its own pending link, nor a second link to the same target."""
    target = ArticleFactory(headline="Ceasefire holds")
    source = ArticleFactory()
    CrossLink.objects.create(source=source, target=target, placement=1)
    duplicate = CrossLink.objects.create(source=source, target_headline="Ceasefire holds")
    target.save()
    duplicate.refresh_from_db()
    assert duplicate.is_pending


def test_shown_links_need_both_ends_live():
    """Links to or from stories that are not live are never shown."""
    live_link = CrossLinkFactory()
    CrossLinkFactory(target=ArticleFactory(status="draft", published_at=None))
    CrossLinkFactory(source=ArticleFactory(status="archived"))
    CrossLink.objects.create(source=live_link.source, target_headline="Not written yet")
    assert list(CrossLink.objects.shown()) == [live_link]


def test_a_headline_whose_key_folds_longer_still_saves(db):
    story = ArticleFactory(headline="㎒" * 300)
    story.refresh_from_db()
    assert story.headline == "㎒" * 300
    assert Article.objects.by_headline("MHz" * 300).get() == story


@pytest.mark.parametrize("model", [Section, Author, Person, Topic])
@pytest.mark.parametrize("name", ["!!!", "🙂", " - "])
def test_saving_a_name_without_an_address_is_refused(model, name):
    """In the shell as in the admin, a name that makes no address is refused with a
    message saying why, and nothing is written."""
    with pytest.raises(ValueError, match=NO_ADDRESS):
        model.objects.create(name=name)
    assert not model.objects.exists()


def test_tagging_a_name_without_an_address_is_refused():
    """Taggit's manager goes through the same rule."""
    article = ArticleFactory()
    with pytest.raises(ValueError, match=NO_ADDRESS):
        article.people.add("Joe Biden", "!!!")
    assert not Person.objects.exists()


@pytest.mark.parametrize("model", [Section, Author, Person, Topic, Country])
def test_the_database_refuses_an_empty_slug(model):
    """Raw SQL cannot give a section, author or tag an empty slug (no address) either."""
    row = model.objects.create(name="Israel")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        table = model._meta.db_table  # a model's own table name, not input
        cursor.execute(f"UPDATE {table} SET slug = '' WHERE id = %s", [row.pk])  # noqa: S608
    row.refresh_from_db()
    assert row.slug == "israel"


def migrate_articles(target: str | None = None) -> None:
    """Bring the articles app's schema to migration ``target``, or the newest one."""
    executor = MigrationExecutor(connection)
    if target is None:
        (node,) = executor.loader.graph.leaf_nodes("articles")
    else:
        node = ("articles", target)
    executor.migrate([node])


@pytest.mark.django_db(transaction=True)
def test_rows_without_an_address_get_one_and_every_page_works(client):
    """Sections, authors and tags saved with an empty slug before names were checked
    (“!!!”) made the front page, feeds, sitemaps and article pages fail. The migration that
    makes the database refuse empty slugs first gives each such row ``<kind>-<pk>``."""
    story = ArticleFactory(
        people=["Joe Biden"], topics=["Gaza"], countries=["IL"], authors=[AuthorFactory()]
    )
    migrate_articles("0011_imports_import_record")
    with connection.cursor() as cursor:
        for model in (Section, Author, Person, Topic, Country):
            table = model._meta.db_table
            cursor.execute(f"UPDATE {table} SET name = '!!!', slug = ''")  # noqa: S608
    migrate_articles()

    rows = [hub.model.objects.get() for hub in HUB_KINDS.values()]
    assert [row.slug for row in rows] == [f"{row._meta.model_name}-{row.pk}" for row in rows]
    urls = [
        "/",
        story.get_absolute_url(),
        *(reverse("articles:feed", args=[format]) for format in ("rss", "atom", "json")),
        reverse("sitemap-index"),
        *(reverse("sitemap-section", args=[section]) for section in SITEMAPS),
        reverse("sitemap-news"),
    ]
    for kind, row in zip(HUB_KINDS, rows, strict=True):
        urls += [row.get_absolute_url(), reverse("articles:hub_feed", args=[kind, row.slug, "rss"])]
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("field", ["published_at", "updated_at"])
@pytest.mark.parametrize("year", [1, 1899, 2200, 9999])
def test_the_database_refuses_a_story_time_out_of_range(field, year):
    """The shell bypasses validate_story_time; the database still refuses what Python could
    not load again (year 1 at +05:00 is year 0 in UTC)."""
    moment = timezone.now().replace(year=year, month=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(**{field: moment})


@pytest.mark.django_db(transaction=True)
def test_stories_with_times_out_of_range_are_brought_into_it(client):
    """Rows saved before times were checked are clamped by the migration that adds the
    constraints, and then load, show and delete like any other."""
    early = ArticleFactory(headline="Early story")
    late = ArticleFactory(headline="Late story")
    migrate_articles("0013_content_change")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE articles_article SET published_at = %s WHERE id = %s",
            ["0001-01-01 00:00:00", early.pk],
        )
        cursor.execute(
            "UPDATE articles_article SET updated_at = %s WHERE id = %s",
            ["9999-12-31 23:59:59", late.pk],
        )
    migrate_articles()

    early.refresh_from_db()
    late.refresh_from_db()
    assert early.published_at.year == 1900
    assert late.updated_at.year == 2199
    assert client.get("/archive/").status_code == 200
    early.delete()


def test_tag_kinds_are_declared_once_and_every_list_is_made_from_them():
    """TAG_KINDS names every tag field of Article, in order; the lists and per-kind tables
    elsewhere (hubs, story-file keys, suggestions, the story form, hub feeds) hold exactly
    those kinds, so a new kind cannot be half added."""
    tag_fields = [
        field.name for field in Article._meta.get_fields() if isinstance(field, TaggableManager)
    ]
    assert tuple(tag_fields) == TAG_KINDS == ("people", "countries", "topics")
    assert [tag_model(kind) for kind in TAG_KINDS] == [Person, Country, Topic]
    assert [tag_kind_of(model) for model in (Person, Country, Topic)] == list(TAG_KINDS)
    hub_tags = [kind for kind, hub in HUB_KINDS.items() if hub.tag_rows is not None]
    assert hub_tags == list(TAG_KINDS)
    assert [HUB_KINDS[kind].label for kind in TAG_KINDS] == ["Person", "Country", "Topic"]
    assert [key for key in importing.LIST_KEYS if key in TAG_KINDS] == list(TAG_KINDS)
    assert {importing.NAMED[kind] for kind in TAG_KINDS} == {Person, Country, Topic}
    assert tuple(suggestions.TAG_THROUGH) == TAG_KINDS
    meta = forms.ArticleAdminForm.Meta
    assert set(TAG_KINDS) <= set(meta.fields)
    assert set(meta.field_classes) == set(TAG_KINDS)
    assert {meta.field_classes[kind].tag_model for kind in TAG_KINDS} == {Person, Country, Topic}
    assert set(TAG_KINDS) <= set(meta.widgets)
    assert set(HubFeed.DESCRIPTIONS) == set(HUB_KINDS)
    for kind in TAG_KINDS:
        assert reverse(tag_model(kind).hub_url_name, kwargs={"slug": "x"}) == f"/{kind}/x/"
