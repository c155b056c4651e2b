"""Hostile deliveries to ``POST /api/ingest/``: any story file, any bytes, any JSON shaped
more or less like ninjs. Each gets a 2xx or a 4xx JSON error naming what is wrong, never a
500, and a refused one writes nothing."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article, AuditEntry, IngestToken
from tests.hostile import examples, rolled_back
from tests.test_hostile_story_files import HOSTILE_TEXT, story_files

pytestmark = [pytest.mark.django_db, pytest.mark.hostile, pytest.mark.slow]

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=12,
)
NINJS_KEYS = [
    "headlines",
    "headline",
    "bodies",
    "body_html",
    "body_text",
    "descriptions",
    "slugline",
    "by",
    "bylines",
    "people",
    "places",
    "subjects",
    "infosources",
    "copyrightholder",
    "embargoed",
    "pubstatus",
    "firstcreated",
    "versioncreated",
    "associations",
    "type",
]
NAMED_LIST = st.lists(st.fixed_dictionaries({"name": JSON_VALUES}), max_size=3)
ROLE_LIST = st.lists(
    st.fixed_dictionaries(
        {"value": st.one_of(HOSTILE_TEXT, JSON_VALUES)},
        optional={"role": st.sampled_from(["main", "summary", 7]), "contenttype": HOSTILE_TEXT},
    ),
    max_size=3,
)
NINJS = st.fixed_dictionaries(
    {"headlines": ROLE_LIST},
    optional={
        key: st.one_of(JSON_VALUES, NAMED_LIST, ROLE_LIST, HOSTILE_TEXT)
        for key in NINJS_KEYS
        if key != "headlines"
    },
)
DELIVERIES = st.one_of(
    st.tuples(st.just("text/plain"), story_files().map(str.encode)),
    st.tuples(st.just("text/plain"), st.binary(max_size=300)),
    st.tuples(st.just("application/json"), NINJS.map(lambda d: json.dumps(d).encode())),
    st.tuples(st.just("application/json"), JSON_VALUES.map(lambda d: json.dumps(d).encode())),
    st.tuples(st.just("application/ninjs+json"), st.binary(max_size=300)),
)


@pytest.fixture
def secret(settings):
    settings.NEWSROOM_RATE_LIMITS = {**settings.NEWSROOM_RATE_LIMITS, "ingest": None}
    return IngestToken.objects.issue(name="Fuzz", allows=IngestToken.Allows.PUBLISHED)[1]


@settings(
    max_examples=examples(80),
    deadline=None,
    # One token for every example: what it allows does not change between them.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(delivery=DELIVERIES)
def test_any_delivery_is_answered_without_a_server_error(secret, delivery):
    content_type, body = delivery
    with rolled_back():
        stories = Article.objects.count()
        response = Client().generic(
            "POST", "/api/ingest/", body, content_type, HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        assert response.status_code < 500, response.content
        answer = response.json()
        if response.status_code >= 400:
            assert answer["error"] and "Traceback" not in answer["error"]
            assert Article.objects.count() == stories
            assert not AuditEntry.objects.filter(action=AuditEntry.Action.INGESTED).exists()
        else:
            assert Article.objects.filter(slug=answer["slug"]).exists()
