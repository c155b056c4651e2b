"""Where our code leans on a library's internals or on its extension points, pinned.

Each piece has two tests: one that the library still offers what we override or call, in
the shape we use it (so an upgrade fails here, naming what moved, rather than somewhere far
away or not at all), and one that runs our code through the library end to end.
"""

import inspect
from inspect import Parameter

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query
from django.forms.widgets import ChoiceWidget
from taggit.managers import TaggableManager, _TaggableManager

from articles.editorial.forms import KnownChoiceAutocompleteSelect
from articles.models import Article, CrossLink, NewsTagManager
from articles.reader.search import StoredSearchVector, search_articles
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def shape(function) -> list[tuple[str, inspect._ParameterKind]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


def assert_shape(function, expected, what: str):
    assert shape(function) == expected, (
        f"{what} changed shape: {shape(function)}; our override or call expects {expected}. "
        "Read the library's new code before changing the expectation."
    )


ARG, VAR, KW, VARKW = (
    Parameter.POSITIONAL_OR_KEYWORD,
    Parameter.VAR_POSITIONAL,
    Parameter.KEYWORD_ONLY,
    Parameter.VAR_KEYWORD,
)


# django-taggit: NewsTagManager (articles/models.py) --------------------------------------


def test_taggit_manager_add_and_set_keep_the_signatures_news_tag_manager_overrides():
    """NewsTagManager overrides taggit's ``add`` and ``set`` and is plugged in through
    ``TaggableManager(manager=…)``, which must still take a ``_TaggableManager``."""
    assert issubclass(NewsTagManager, _TaggableManager)
    manager = inspect.signature(TaggableManager).parameters.get("manager")
    assert manager is not None and manager.default is _TaggableManager, (
        "TaggableManager no longer takes manager=_TaggableManager: NewsTagManager is not used"
    )
    assert_shape(
        _TaggableManager.add,
        [("self", ARG), ("tags", VAR), ("through_defaults", KW), ("tag_kwargs", KW)]
        + [("kwargs", VARKW)],
        "taggit _TaggableManager.add",
    )
    assert_shape(
        _TaggableManager.set,
        [("self", ARG), ("tags", ARG), ("through_defaults", KW), ("kwargs", VARKW)],
        "taggit _TaggableManager.set",
    )


def test_taggit_manager_normalises_tag_names_on_add_and_set():
    """Every way taggit writes a story's tags stores the one canonical name: codes and
    spacing become the country's name, blank names are dropped, nothing is doubled."""
    story = ArticleFactory()
    story.countries.add(" US ", "il", "   ")
    assert sorted(story.countries.names()) == ["Israel", "United States"]
    story.countries.set(["Israel", "PS", ""])
    assert sorted(story.countries.names()) == ["Israel", "Palestine, State of"]
    story.countries.set(["gb"], clear=True)
    assert list(story.countries.names()) == ["United Kingdom"]
    story.people.add("  Joe   Biden ", "joe biden")
    story.people.set(["Joe Biden", " Kamala  Harris"])
    assert sorted(story.people.names()) == ["Joe Biden", "Kamala Harris"]
    with pytest.raises(ValueError, match="no letter or digit"):
        story.people.add("!!!")


# Django's SQL compiler: StoredSearchVector (articles/search.py) ---------------------------


def test_sql_compiler_internals_stored_search_vector_uses_still_exist():
    """StoredSearchVector names the query's own story table through
    ``compiler.query.get_initial_alias()`` and ``compiler.quote_name()``."""
    assert_shape(Query.get_initial_alias, [("self", ARG)], "Django Query.get_initial_alias")
    assert_shape(SQLCompiler.quote_name, [("self", ARG), ("name", ARG)], "SQLCompiler.quote_name")
    assert "query" in inspect.signature(SQLCompiler).parameters


def test_stored_search_vector_sql_names_the_querys_own_table():
    """The column is qualified by the alias of the query it is in: the table itself at the
    top level, Django's ``U0`` inside a subquery (as the PostgreSQL search uses it)."""
    top = Article.objects.annotate(search=StoredSearchVector()).values("search")
    assert '"articles_article".search_vector' in str(top.query)
    inner = Article.objects.annotate(search=StoredSearchVector()).filter(search__isnull=False)
    nested = Article.objects.filter(pk__in=inner.values("pk"))
    assert '"U0".search_vector' in str(nested.query)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stored vector is PostgreSQL's")
def test_stored_search_vector_in_the_search_query_finds_and_ranks():
    """The real search runs with the vector in both places and finds the story."""
    ArticleFactory(headline="Ceasefire holds in the north")
    results = search_articles("ceasefire")
    sql = str(results.queryset.query)
    assert 'ts_rank("articles_article".search_vector' in sql
    assert '"U0".search_vector @@' in sql
    assert [a.headline for a in results[0:10]] == ["Ceasefire holds in the north"]


# Django's admin: KnownChoiceAutocompleteSelect (articles/forms.py) ------------------------


def test_autocomplete_widget_methods_known_choice_select_overrides_keep_their_shape():
    """KnownChoiceAutocompleteSelect overrides ``optgroups`` and calls ``create_option``
    positionally; it reads ``choices.field.empty_values``, ``is_required`` and
    ``allow_multiple_selected`` as the base widget does."""
    assert_shape(
        AutocompleteSelect.optgroups,
        [("self", ARG), ("name", ARG), ("value", ARG), ("attr", ARG)],
        "AutocompleteSelect.optgroups",
    )
    assert_shape(
        ChoiceWidget.create_option,
        [("self", ARG), ("name", ARG), ("value", ARG), ("label", ARG), ("selected", ARG)]
        + [("index", ARG), ("subindex", ARG), ("attrs", ARG)],
        "ChoiceWidget.create_option",
    )
    assert AutocompleteSelect.allow_multiple_selected is False
    field = known_choice_field({})
    assert field.widget.choices.field is field, "choices no longer lead back to their field"


def known_choice_field(known):
    widget = KnownChoiceAutocompleteSelect(CrossLink._meta.get_field("target"), admin.site)
    widget.known = known
    return forms.ModelChoiceField(Article.objects.all(), widget=widget, required=False)


def test_known_choice_select_renders_the_known_story_without_a_query(
    django_assert_num_queries,
):
    """A row that already carries its story renders it selected with no query; a story
    it does not carry is looked up as the admin's own widget does."""
    story, other = ArticleFactory(headline="Known & loaded"), ArticleFactory()
    field = known_choice_field({story.pk: story})
    with django_assert_num_queries(0):
        page = field.widget.render("target", story.pk)
    assert f'<option value="{story.pk}" selected>Known &amp; loaded</option>' in page
    assert '<option value=""></option>' in page  # a link may be left pending
    with django_assert_num_queries(1):
        page = field.widget.render("target", other.pk)
    assert f'<option value="{other.pk}" selected>{other.headline}</option>' in page
