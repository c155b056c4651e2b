"""Requests no honest client sends: control characters in the address, the query string or a
cookie. On PostgreSQL a NUL that reached the ORM was a 500; now every such request is a 400
before any view runs, on every database."""

import logging

import pytest
from django.test import Client

from tests.admin_support import ADD_URL, article_data, make_user
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/news/%00/",
    "/people/%00/",
    "/authors/%00/",
    "/people/%00/feed/rss/",
    "/sections/%00/feed/atom/",
    "/search/?q=%00",
    "/search/?q=talks%00",
    "/?before=%00",
    "/archive/?before=%00",
    "/archive/?after=%00",
    "/news/some-story/?%00=1",
    "/news/%01/",
    "/search/?q=%1B%5B2J",  # an escape sequence for a terminal reading the logs
]
ADMIN = [
    "/admin/articles/article/?q=%00",
    "/admin/articles/article/?status__exact=%00",
    "/admin/autocomplete/?term=%00&app_label=articles&model_name=crosslink&field_name=target",
    "/admin/autocomplete/?term=%00&app_label=articles&model_name=article&field_name=section",
    "/admin/articles/person/suggest/?q=%00",
]


@pytest.fixture
def reader():
    ArticleFactory(headline="Talks resume in Cairo", slug="some-story")
    return Client(raise_request_exception=False)


@pytest.fixture
def editor(reader):
    reader.force_login(make_user("eddie", "Editor"))
    return reader


@pytest.mark.parametrize("url", PUBLIC)
def test_control_characters_in_public_addresses_are_a_bad_request(reader, url):
    response = reader.get(url)
    assert response.status_code == 400
    assert "Traceback" not in response.text


@pytest.mark.parametrize("url", ["/news/a%7Fb/", "/search/?q=%EF%BF%BE"])
def test_what_stored_text_may_not_hold_is_refused_in_a_request_too(reader, url):
    """One rule (articles.text.CONTROL_CHARS) for what is not text: DEL and the Unicode
    non-characters, which XML feeds cannot carry, are refused like NUL."""
    assert reader.get(url).status_code == 400


@pytest.mark.parametrize("url", ADMIN)
def test_control_characters_in_the_admins_search_and_autocomplete_are_a_bad_request(editor, url):
    assert editor.get(url).status_code == 400


def test_a_refusal_is_logged_in_one_line_without_a_traceback(reader, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        reader.get("/news/%00/")
    assert [(record.getMessage(), record.exc_info) for record in caplog.records] == [
        ("Bad Request: /news/\\x00/", None)  # escaped, as Django logs it
    ]


def test_a_session_cookie_with_nul_is_a_bad_request(reader):
    """Cookie values may quote octal escapes ("\\000"), which Django decodes: a session key
    with NULs reached the session table on any page that looks at the user."""
    reader.cookies["sessionid"] = "\x00" * 32
    assert reader.get("/admin/").status_code == 400
    assert reader.get("/").status_code == 400


def test_ordinary_text_still_passes(reader):
    """Tabs and line breaks are text (a pasted search term may hold them), and so is every
    script; only the characters that are not text are refused."""
    assert reader.get("/search/", {"q": "talks\tin\r\nCairo"}).status_code == 200
    assert reader.get("/search/", {"q": "مفاوضات القاهرة"}).status_code == 200
    assert reader.get("/news/some-story/").status_code == 200
    assert reader.get("/news/no-such-story/").status_code == 404


@pytest.mark.parametrize("field", ["headline", "slug", "standfirst", "people", "topics", "source"])
def test_posted_form_fields_with_nul_are_form_errors(editor, field):
    """POSTed fields are Django's to check: every form CharField refuses NUL itself, so the
    story form answers with its errors, saving nothing."""
    response = editor.post(ADD_URL, article_data(**{field: "Talks\x00resume"}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not response.context["adminform"].form.is_valid()
