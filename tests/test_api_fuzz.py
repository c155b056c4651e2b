"""The read API fuzzed against its own OpenAPI document with schemathesis: generated and
hostile parameters for every operation, sent in-process to the WSGI app (every middleware on
the way, the page cache included), must never get a 5xx, and every answer must be what the
document says (status, content type, JSON schema).

Also: the document's own schemas describe real answers about real stories (a story with
tags, links, a photo and notices; its ninjs; its hubs), which random slugs rarely reach.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from articles.models import Correction
from articles.reader import api
from tests.factories import ArticleFactory, AuthorFactory, CrossLinkFactory, ImageFactory
from tests.hostile import examples


@pytest.fixture
def wsgi_app(settings):
    """The project's WSGI application, made under the test settings (static and media
    folders of the run's own); schemathesis sends it requests for host "localhost"."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # As Django's test client does: the request signals would close the test's connection
    # (PostgreSQL), whose transaction holds the seeded data.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, settings):
    """A small newsroom for the requests to find, and no rate limit: the fuzzer sends far
    more uncached requests than a reader may."""
    settings.NEWSROOM_RATE_LIMITS = {"uncached": None, "login": None}
    story = ArticleFactory(
        headline="Ceasefire talks resume in Cairo",
        people=["Donald Trump"],
        countries=["IL"],
        topics=["Gaza ceasefire"],
        authors=[AuthorFactory(name="Jane Writer")],
        lead_image=ImageFactory(),
    )
    for n in range(3):
        target = ArticleFactory(people=["Donald Trump"])
        CrossLinkFactory(source=story, target=target, placement=n or None, order=n)
    Correction.objects.create(article=story, text="The date was wrong.", revision=1)
    return story


# The document /api/openapi.json serves (test_the_document_is_the_one_served), loaded when the
# tests are collected, before any database is there to answer a request for it.
schema = schemathesis.openapi.from_dict(api.api.get_openapi_schema())


def test_the_document_is_the_one_served(client, db):
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    assert json.loads(served.content) == json.loads(json.dumps(api.api.get_openapi_schema()))


@pytest.mark.slow
@pytest.mark.hostile
@schema.parametrize()
@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_generated_request_as_documented(case, seeded, wsgi_app):
    """No 5xx, and status, content type and body as the OpenAPI document describes."""
    case.call_and_validate(app=wsgi_app)


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/api/v1/stories/", {}),
        ("/api/v1/stories/", {"query": {"person": "donald-trump", "limit": 1}}),
        ("/api/v1/stories/{slug}/", {"path_parameters": {"slug": "STORY"}}),
        ("/api/v1/stories/{slug}/ninjs/", {"path_parameters": {"slug": "STORY"}}),
        (
            "/api/v1/hubs/{kind}/{slug}/",
            {"path_parameters": {"kind": "people", "slug": "donald-trump"}},
        ),
        ("/api/v1/hubs/{kind}/{slug}/", {"path_parameters": {"kind": "sections", "slug": "world"}}),
        ("/api/v1/search/", {"query": {"q": "ceasefire"}}),
    ],
)
def test_real_answers_match_the_document(seeded, wsgi_app, path, parameters):
    """Answers about real stories (with every part a story can have) fit the schemas the
    document publishes."""
    if "path_parameters" in parameters and parameters["path_parameters"].get("slug") == "STORY":
        parameters = {"path_parameters": {"slug": seeded.slug}}
    case = schema[path]["GET"].Case(**parameters)
    response = case.call_and_validate(app=wsgi_app)
    assert response.status_code == 200
