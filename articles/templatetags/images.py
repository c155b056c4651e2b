"""Template tags for library images: ``{% load images %}``.

Every picture on a public page comes from the renditions fetched with its story
(``ArticleQuerySet.with_lead_images``); nothing here opens a file or runs a query of its own
when the page fetched them.
"""

from django import template

from articles import images
from articles.models import Rendition

register = template.Library()


@register.simple_tag
def picture(image, sizes=images.ARTICLE_SIZES, crop=Rendition.Crop.FULL, lead=False):
    """``<picture>`` of a library image (``images.picture_html``), e.g. on a card
    ``{% picture article.lead_image sizes="(min-width: 48rem) 20rem, 100vw" crop="4:3" %}``
    (with ``with_lead_images()`` on the listing's queryset, so no query per card):
    ``lead=True`` for the one picture a page leads with (fetched first), every other loads
    lazily. ``sizes`` says how wide the slot is; the story column by default."""
    return images.image_html(image, sizes=sizes, crop=crop, lead=lead)


@register.simple_tag
def share_image(image):
    """The rendition social cards show (``og:image``): the 16:9 crop, 1200 wide (or as wide
    as the photo), in JPEG, which every card reader takes."""
    return images.rendition(image, Rendition.Crop.WIDE)
