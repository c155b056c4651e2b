"""articles.paths: story and hub addresses without a reverse() per link, always exactly
what reverse() gives."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from articles import paths

URL_NAMES = [
    "articles:detail",
    "articles:person",
    "articles:country",
    "articles:topic",
    "articles:section",
    "articles:author",
    "api:story_ninjs",
]
SLUGS = ["ceasefire-talks", "a", "x_y-2", "मराठी-बातमी", "zürich", "with space", "a%2Fb", "100"]


@pytest.mark.parametrize("url_name", URL_NAMES)
@pytest.mark.parametrize("slug", SLUGS)
def test_slug_path_is_what_reverse_gives(url_name, slug):
    assert paths.slug_path(url_name, slug) == reverse(url_name, kwargs={"slug": slug})


def test_slug_path_follows_the_script_prefix():
    expected = reverse("articles:detail", kwargs={"slug": "story"})
    set_script_prefix("/newsroom/")
    try:
        assert paths.slug_path("articles:detail", "story") == "/newsroom" + expected
    finally:
        clear_script_prefix()
    assert paths.slug_path("articles:detail", "story") == expected


def test_slug_path_reverses_once_per_url_name(monkeypatch):
    paths.slug_path("articles:topic", "first")  # remembered
    calls = []
    monkeypatch.setattr(paths, "reverse", lambda *a, **k: calls.append(a) or "/")
    assert paths.slug_path("articles:topic", "second") == "/topics/second/"
    assert calls == []


def test_an_empty_slug_still_fails_as_reverse_does():
    with pytest.raises(NoReverseMatch):
        paths.slug_path("articles:detail", "")
