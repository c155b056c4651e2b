import io
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw

from articles import text
from articles.models import Article, Author, CrossLink, Image, Section


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Section {n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Author {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A live story unless told otherwise; ``status=`` and ``published_at=`` make the others."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Story number {n} about the ceasefire talks")
    slug = factory.LazyAttribute(lambda o: text.slugify(o.headline))
    standfirst = "What happened, in one sentence."
    body = factory.LazyFunction(
        lambda: text.text_to_html(
            [f"Paragraph {i} of the story, with enough words to read." for i in range(1, 6)]
        )
    )
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    section = factory.SubFactory(SectionFactory, name="World")

    @factory.post_generation
    def people(self, create, names, **kwargs):
        if create and names:
            self.people.set(names)

    @factory.post_generation
    def countries(self, create, names, **kwargs):
        if create and names:
            self.countries.set(names)

    @factory.post_generation
    def topics(self, create, names, **kwargs):
        if create and names:
            self.topics.set(names)

    @factory.post_generation
    def authors(self, create, authors, **kwargs):
        if create and authors:
            for position, author in enumerate(authors):
                self.bylines.create(author=author, position=position)


def draft(**kwargs):
    return ArticleFactory(status=Article.Status.DRAFT, published_at=None, **kwargs)


def in_review(**kwargs):
    return ArticleFactory(status=Article.Status.REVIEW, published_at=None, **kwargs)


def scheduled(**kwargs):
    return ArticleFactory(published_at=timezone.now() + timedelta(days=1), **kwargs)


def embargoed(**kwargs):
    """A story delivered with an embargo, published as it ends (what the check constraint
    allows): public only from then."""
    ends = timezone.now() + timedelta(days=1)
    return ArticleFactory(published_at=ends, embargo_until=ends, **kwargs)


def archived(**kwargs):
    return ArticleFactory(status=Article.Status.ARCHIVED, **kwargs)


def taken_down(reason=Article.TakedownReason.LEGAL, **kwargs):
    """A story taken down after it was live, as ``editing.take_down`` leaves it (without
    its audit entry): for tests of what readers see, not of the act."""
    return ArticleFactory(
        status=Article.Status.WITHDRAWN,
        status_before_takedown=Article.Status.PUBLISHED,
        takedown_reason=reason,
        takedown_withholds_headline=reason != Article.TakedownReason.ERROR,
        taken_down_at=timezone.now(),
        **kwargs,
    )


class CrossLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrossLink

    source = factory.SubFactory(ArticleFactory)
    target = factory.SubFactory(ArticleFactory)
    target_headline = factory.LazyAttribute(lambda o: o.target.headline if o.target else "")
    placement = 1
    order = 0


def photo(size=(480, 320), *, seed: int = 0, format="JPEG", mode="RGB", **save) -> bytes:
    """A picture with something in it: bands of colour and a mark at a spot ``seed`` picks,
    so no two seeds give the same bytes (the library keeps one image per file)."""
    width, height = size
    picture = PILImage.new("RGB", size, (20 + seed * 37 % 200, 90, 140))
    draw = ImageDraw.Draw(picture)
    for band in range(0, width, max(1, width // 8)):
        draw.rectangle((band, 0, band + width // 16, height), fill=(200, 180 - seed % 50, 60))
    draw.ellipse((seed % width, seed * 7 % height, seed % width + 9, seed * 7 % height + 9))
    if mode != "RGB":
        picture = picture.convert(mode)
    out = io.BytesIO()
    picture.save(out, format, **save)
    return out.getvalue()


class ImageFactory(factory.django.DjangoModelFactory):
    """A library image with alt text; its renditions are made when it is saved."""

    class Meta:
        model = Image

    file = factory.Sequence(lambda n: ContentFile(photo(seed=n + 1), name=f"photo-{n}.jpg"))
    alt_text = "Fishing boats moored in a harbour at dawn"
    caption = "The harbour at Jaffa"
    credit = "Newsroom photo desk"
