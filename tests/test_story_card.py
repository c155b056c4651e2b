"""The story_card tag gives, byte for byte, what the included template it replaced gave
(tests/data/story_card.html, as it stood)."""

from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe

from articles.models import Article
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

OLD_CARD = Template((Path(__file__).parent / "data" / "story_card.html").read_text())
TAG = Template(
    "{% load reader %}{% story_card article heading=heading show_standfirst=show_standfirst "
    "featured=featured picture=picture hide_section=hide_section %}"
)
OPTIONS = [
    {},
    {"heading": "h2"},
    {"heading": "h4", "hide_section": True},
    {
        "heading": "h3",
        "show_standfirst": True,
        "featured": True,
        "picture": mark_safe('<picture><img src="/a.jpg" alt=""></picture>'),
    },
    {"show_standfirst": True, "picture": "<b>not safe</b>"},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize(
    "story",
    [
        {"headline": "Plain news", "standfirst": "A standfirst."},
        {"headline": "Fish & <chips>", "standfirst": "", "story_type": "opinion"},
        {"headline": "Explained", "standfirst": "Why \"this\" & 'that'", "story_type": "explainer"},
    ],
)
def test_the_tag_gives_what_the_template_gave(story, options):
    article = ArticleFactory(section=SectionFactory(name="World & Co"), **story)
    article = Article.objects.for_listing().get(pk=article.pk)
    old = OLD_CARD.render(Context({"article": article, **options}))
    new = TAG.render(
        Context(
            {
                "article": article,
                "heading": options.get("heading", ""),
                "show_standfirst": options.get("show_standfirst", False),
                "featured": options.get("featured", False),
                "picture": options.get("picture", ""),
                "hide_section": options.get("hide_section", False),
            }
        )
    )
    assert new == old
