"""Hostile parameters to the admin, as a logged-in editor: the search box (``?q=``) and the
other changelist parameters of every registered ModelAdmin, the autocomplete view, the tag
inputs' suggestions, and every admin URL pattern. Never a 500, never a traceback.

Models and patterns are read from the admin site and the URLconf, so a model registered later
is fuzzed without touching this file.
"""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.hostile import (
    NOTORIOUS_PIECES,
    check_response,
    examples,
    query_string,
    rolled_back,
    seed_newsroom,
    site_routes,
    staff_user,
    url_text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.hostile, pytest.mark.slow]

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
ADMIN_ROUTES = [route for route in site_routes() if route.is_admin]
YEARS = ["2025", "0", "1", "1899", "10000", "99999", "-1", "2025.5", "٢٠٢٥"]


@pytest.fixture
def newsroom():
    return seed_newsroom()


@pytest.fixture
def editor():
    return staff_user("fuzzing-editor", "Editor")


@pytest.fixture
def superuser():
    return staff_user("fuzzing-superuser", superuser=True)


def logged_in(user) -> Client:
    client = Client()  # raises the view's own exception on a 500
    client.force_login(user)
    return client


def staff_for(model, editor, superuser):
    """The editor, for what editors may see; a superuser for the rest (users, groups)."""
    opts = model._meta
    return editor if editor.has_perm(f"{opts.app_label}.view_{opts.model_name}") else superuser


def changelist_parameters(model_admin, known) -> dict[str, list[str]]:
    """The changelist's own parameters, with values that exist and values that should not."""
    statuses = ["published", "draft", "review", "archived", "live"]
    booleans = ["0", "1", "True", "False", "yes", ""]
    values = known["pk"] + statuses + booleans + YEARS
    parameters = {
        "q": known["q"] + known["slug"],
        "o": ["1", "-1", "2.-1", "99", "1.1.1", "-0", "x"],
        "p": known["p"],
        "all": [""],
        "e": ["1"],
        "_popup": ["1"],
        "_to_field": ["id", "slug", "name", "password", "headline"],
    }
    for entry in model_admin.list_filter:
        name = getattr(entry, "parameter_name", None) or (
            entry[0] if isinstance(entry, tuple) else entry
        )
        for lookup in ("", "__exact", "__id__exact", "__isnull", "__gte", "__lt", "__in"):
            parameters[f"{name}{lookup}"] = values
    if model_admin.date_hierarchy:
        for part in ("year", "month", "day"):
            parameters[f"{model_admin.date_hierarchy}__{part}"] = YEARS + ["13", "32", "00"]
    return parameters


def test_changelist_search_and_filters_never_fail(newsroom, editor, superuser, subtests):
    """Every registered ModelAdmin's changelist in turn (a subtest each)."""
    clients = {user: logged_in(user) for user in (editor, superuser)}
    for model, model_admin in MODEL_ADMINS:
        with subtests.test(model=model._meta.label):
            client = clients[staff_for(model, editor, superuser)]
            fuzz_changelist(client, model, model_admin, newsroom.known)


def fuzz_changelist(client, model, model_admin, known):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    parameters = changelist_parameters(model_admin, known)

    @settings(max_examples=examples(12))
    @given(term=url_text(parameters["q"]), query=query_string(parameters))
    def hostile(term, query):
        asked = f"{url}?q={term}" + (f"&{query}" if query else "")
        with rolled_back():
            check_response(client.get(asked), asked)

    for piece in NOTORIOUS_PIECES:
        hostile = example(term=piece, query="")(hostile)
    for name in parameters:
        hostile = example(term="", query=f"{name}=%00")(hostile)
    hostile()


def autocomplete_fields() -> list[tuple[str, str, str]]:
    """(app_label, model_name, field_name) of every autocomplete field in the admin,
    inlines included: what ``/admin/autocomplete/`` answers for."""
    found = []
    for model, model_admin in admin.site._registry.items():
        for owner in (model_admin, *model_admin.inlines):
            opts = owner.model._meta if owner is not model_admin else model._meta
            for name in owner.autocomplete_fields:
                found.append((opts.app_label, opts.model_name, name))
    return sorted(set(found))


AUTOCOMPLETE_FIELDS = autocomplete_fields()


def test_autocomplete_fields_are_found():
    assert ("articles", "crosslink", "target") in AUTOCOMPLETE_FIELDS
    assert ("articles", "byline", "author") in AUTOCOMPLETE_FIELDS


@st.composite
def autocomplete_query(draw, known):
    app_label, model_name, field_name = draw(st.sampled_from(AUTOCOMPLETE_FIELDS))
    parameters = {
        "term": draw(url_text(known["q"] + known["slug"])),
        "app_label": app_label,
        "model_name": model_name,
        "field_name": field_name,
    }
    for name in draw(st.sets(st.sampled_from(sorted(parameters)), max_size=2)):
        parameters[name] = draw(url_text([app_label, model_name, field_name, "id", "pk"]))
    if draw(st.booleans()):
        parameters["page"] = draw(url_text(known["p"]))
    return "&".join(f"{name}={value}" for name, value in parameters.items())


def test_autocomplete_never_fails(newsroom, editor):
    client = logged_in(editor)
    url = reverse("admin:autocomplete")

    @settings(max_examples=examples(40))
    @given(query=autocomplete_query(newsroom.known))
    def hostile(query):
        asked = f"{url}?{query}"
        with rolled_back():
            check_response(client.get(asked), asked)

    for app_label, model_name, field_name in AUTOCOMPLETE_FIELDS:
        for piece in ("%00", "\U0001f642", "x" * 2000):
            query = f"term={piece}&app_label={app_label}&model_name={model_name}"
            hostile = example(query=f"{query}&field_name={field_name}")(hostile)
    hostile()


SUGGEST_ROUTES = [route for route in ADMIN_ROUTES if route.name.endswith("_suggest")]


def test_tag_suggestions_never_fail(newsroom, editor, subtests):
    """The tag inputs of the story form ask ``…/suggest/?q=`` as the editor types."""
    client = logged_in(editor)
    assert SUGGEST_ROUTES
    for route in SUGGEST_ROUTES:
        with subtests.test(route=str(route)):
            fuzz_suggestions(client, route.filled(""), newsroom.known)


def fuzz_suggestions(client, url, known):
    @settings(max_examples=examples(10))
    @given(term=url_text(known["slug"] + ["Joe Biden", "Israel", "IL"]))
    def hostile(term):
        asked = f"{url}?q={term}"
        with rolled_back():
            check_response(client.get(asked), asked)

    for piece in NOTORIOUS_PIECES:
        hostile = example(term=piece)(hostile)
    hostile()


def test_admin_patterns_never_fail(newsroom, editor, subtests):
    """Every admin address in turn (a subtest each), its parameters (object ids, link ids,
    content types) and query string hostile, asked for by an editor with GET, which
    changes nothing."""
    client = logged_in(editor)
    for route in ADMIN_ROUTES:
        with subtests.test(route=str(route)):
            fuzz_admin_route(client, route, newsroom.known)


def fuzz_admin_route(client, route, known):
    @settings(max_examples=examples(3))
    @given(path=route.url(known), query=query_string(known, ["_changelist_filters", "next"]))
    def hostile(path, query):
        asked = f"{path}?{query}" if query else path
        with rolled_back():
            check_response(client.get(asked), asked)

    if route.has_parameters:
        for piece in ("%00", "9" * 30, "%ff", ".."):
            hostile = example(path=route.filled(piece), query="")(hostile)
    hostile()
