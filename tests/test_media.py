"""Uploaded media (library images and their renditions): served by Django in development,
never in production."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import newsroom.urls
from tests.factories import ArticleFactory, ImageFactory

pytestmark = pytest.mark.django_db


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
    return ArticleFactory(headline="Floods reach the delta", lead_image=ImageFactory())


def test_renditions_are_served_in_development(client, development):
    story = story_with_lead_image()
    page = client.get(story.get_absolute_url())
    shown = story.lead_image.renditions.get(crop="full", format="jpeg", width=480)
    assert f'<img src="{shown.file.url}"' in page.text
    assert shown.file.url.startswith("/media/images/r/")

    image = client.get(shown.file.url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content) == shown.file.read()


def test_production_leaves_media_to_the_web_server(client, media_root):
    """With DEBUG off Django serves no media: the web server or object storage does."""
    load_urls()
    story = story_with_lead_image()
    assert client.get(story.lead_image.renditions.first().file.url).status_code == 404
