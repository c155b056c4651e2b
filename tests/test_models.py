from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Article, Country, CrossLink, Person
from tests.factories import ArticleFactory, CrossLinkFactory

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
    assert Article.objects.with_liveness().get(pk=article.pk).is_live is live


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
