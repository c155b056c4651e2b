"""Uploaded media (lead images): served by Django in development, never in production."""

import importlib
import io

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import clear_url_caches
from PIL import Image

import newsroom.urls
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def load_urls():
    """Build the URL patterns again: which exist depends on DEBUG when they are built."""
    importlib.reload(newsroom.urls)
    clear_url_caches()


@pytest.fixture
def media_root(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


@pytest.fixture
def development(media_root):
    """`make run`'s settings: DEBUG on (from .env)."""
    with override_settings(DEBUG=True):
        load_urls()
        yield
    load_urls()


def story_with_lead_image():
    story = ArticleFactory(headline="Floods reach the delta")
    story.image.save("delta.png", ContentFile(png()))
    return story


def test_lead_images_are_served_in_development(client, development):
    story = story_with_lead_image()
    page = client.get(story.get_absolute_url())
    assert f'<img src="{story.image.url}"' in page.text
    assert story.image.url.startswith("/media/articles/")

    image = client.get(story.image.url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == png()


def test_production_leaves_media_to_the_web_server(client, media_root):
    """With DEBUG off Django serves no media: the web server or object storage does."""
    load_urls()
    story = story_with_lead_image()
    assert client.get(story.image.url).status_code == 404
