"""Template tags for library images: ``{% load images %}``.

Every picture on a public page comes from the renditions fetched with its story
(``ArticleQuerySet.with_lead_images``); nothing here opens a file or runs a query of its own
when the page fetched them.
"""

from django import template

from articles import images
from articles.models import Rendition

register = template.Library()

# How wide the article's lead image is shown: the story column (site.css ``--measure``,
# 40rem) beside the page's padding, or the screen less that padding on a phone.
ARTICLE_SIZES = "(min-width: 42rem) 40rem, calc(100vw - 2rem)"


@register.simple_tag
def picture(image, sizes: str = ARTICLE_SIZES, crop: str = Rendition.Crop.FULL, lead=False):
    """``<picture>`` of a library image (``images.picture_html``): ``lead=True`` for the one
    picture a page leads with (fetched first), every other loads lazily."""
    return images.image_html(image, sizes=sizes, crop=crop, lead=lead)


@register.simple_tag
def share_image(image):
    """The rendition social cards show (``og:image``): the 16:9 crop, 1200 wide (or as wide
    as the photo), in JPEG, which every card reader takes."""
    return images.rendition(image, Rendition.Crop.WIDE)
