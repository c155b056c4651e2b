"""Reader search over live stories.

On PostgreSQL: full-text search over a weighted vector (headline, standfirst, body) with a GIN
index on the same expression, web-search syntax (quotes, ``-word``, ``or``), ranking and
highlighted snippets. Elsewhere (SQLite for ``make run``): every word must appear, ``-word``
excludes, and snippets are cut and highlighted in Python.
"""

import functools
import operator
import re
from dataclasses import dataclass

import nh3
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connection, router
from django.db.models import Case, Exists, Expression, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.html import escape

from articles import compiled, text
from articles.models import Article, Country, HubRef, find_country

from .hubs import HUB_KINDS

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
SNIPPET_WORDS = 30
# Words of context before the first match in a snippet made in Python.
SNIPPET_LEAD = 8
RANKED_CANDIDATES = 100
CONFIG = "english"

# What a story is searched by, most telling first, with each field's full-text weight. The
# one definition in live code: the vector below and the LIKE search on SQLite are made from
# it. Migration 0006 keeps its own frozen copy as the stored column's SQL (migrations do not
# import live code); tests/test_search.py checks the database's column is this vector.
SEARCHED_FIELDS = (("headline", "A"), ("standfirst", "B"), ("body", "C"))

SEARCH_VECTOR = functools.reduce(
    operator.add,
    (SearchVector(name, weight=weight, config=CONFIG) for name, weight in SEARCHED_FIELDS),
)


class StoredSearchVector(Expression):
    """The ``search_vector`` column (SEARCH_VECTOR, stored by PostgreSQL: migration 0006) of
    the query's own story table, under whatever alias the query gives it. The alias comes
    from the SQL compiler's internals: ``tests/test_private_apis.py`` pins them."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name(alias)}.search_vector", []


def clean_query(raw: str) -> str:
    """What is left of any input to search for: no control characters, bounded length."""
    return text.collapse_whitespace(raw)[:MAX_QUERY_LENGTH]


@dataclass(frozen=True)
class Terms:
    required: list[str]
    excluded: list[str]

    @classmethod
    def parse(cls, query: str) -> "Terms":
        phrases = re.findall(r'(-?)"([^"]+)"|(-?)([^\s"]+)', query)
        required, excluded = [], []
        for minus, phrase, minus_word, word in phrases[:MAX_TERMS]:
            term = text.collapse_whitespace(phrase or word).strip("'")
            if not text.headline_key(term):
                continue
            (excluded if (minus or minus_word) else required).append(term)
        return cls(required, excluded)


class SearchResults:
    """A lazily sliced result list that Django's Paginator can page through.

    Snippets are made only for the stories on the page being shown.
    """

    def __init__(self, queryset, query: str, terms: Terms | None = None):
        self.queryset = queryset
        self.query = query
        self.terms = terms

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        items = self.queryset[index]
        if isinstance(index, int):
            return self._with_snippets([items])[0]
        return self._with_snippets(list(items))

    def _with_snippets(self, articles):
        for article in articles:
            if self.terms is None:
                article.snippet = nh3.clean(article.snippet, tags={"mark"}, attributes={})
            else:
                article.snippet = python_snippet(article, self.terms.required)
        return articles


def full_text_matches(queryset, search_query: SearchQuery):
    """Stories whose stored vector matches, with the GIN index on it."""
    return queryset.annotate(search=StoredSearchVector()).filter(search=search_query)


def search_articles(raw_query: str) -> SearchResults:
    """Live stories matching the query, best match first; each with a ``snippet`` (safe HTML)."""
    query = clean_query(raw_query)
    live = Article.objects.live().for_listing()
    if not text.headline_key(query):
        return SearchResults(live.none(), query, Terms([], []))
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, search_type="websearch", config=CONFIG)
        # A common word matches tens of thousands of a million stories; ranking them all
        # would read every one's vector, so only the newest RANKED_CANDIDATES matches are
        # ranked (found with the GIN index, or walking the newest stories for common words).
        newest_matches = (
            full_text_matches(Article.objects.live(), search_query)
            .order_by("-published_at", "-pk")
            .values("pk")[:RANKED_CANDIDATES]
        )
        queryset = (
            live.filter(pk__in=newest_matches)
            .annotate(
                rank=SearchRank(StoredSearchVector(), search_query),
                snippet=SearchHeadline(
                    "body",
                    search_query,
                    config=CONFIG,
                    start_sel="<mark>",
                    stop_sel="</mark>",
                    max_words=SNIPPET_WORDS,
                    min_words=15,
                ),
            )
            .order_by("-rank", "-published_at", "-pk")
        )
        return SearchResults(queryset, query)

    terms = Terms.parse(query)
    if not terms.required:
        return SearchResults(live.none(), query, terms)
    condition = Q()
    for term in terms.required:
        condition &= contains(term)
    for term in terms.excluded:
        condition &= ~contains(term)
    in_headline = Q()
    for term in terms.required:
        in_headline &= Q(headline__icontains=term)
    ranked = live.filter(condition).annotate(
        in_headline=Case(When(in_headline, then=1), default=0, output_field=IntegerField())
    )
    return SearchResults(ranked.order_by("-in_headline", "-published_at", "-pk"), query, terms)


def hubs_named(raw_query: str) -> list[tuple[str, HubRef]]:
    """The hubs with live stories that the query names: by name (case aside), by another
    name of a person or topic (an alias: ``Bibi Netanyahu`` finds Benjamin Netanyahu), and
    countries by any name or code pycountry knows. ``(label, hub)`` pairs in the order of
    ``HUB_KINDS``; one query, a UNION whose SQL is built once (``articles.compiled``)."""
    query = clean_query(raw_query)
    if not text.slugify(query):
        return []
    kinds = list(HUB_KINDS.values())
    # Codes only as written ("IL"): "is" is a word before it is Iceland.
    record = (len(query) > 3 or query.isupper()) and find_country(query)
    code = [record.alpha_2] if record else []
    alias_keys = [alias_model.key_for(query) for alias_model in _alias_models(kinds)]
    rows = compiled.tuples(
        "hubs_named",
        functools.partial(_hubs_named_query, kinds),
        (query, timezone.now(), alias_keys, code),
        using=router.db_for_read(Article),
    )
    return [
        (kinds[rank].label, HubRef(pk, name, slug, kinds[rank].url_name))
        for rank, pk, name, slug in rows
    ]


def _alias_models(kinds) -> list:
    return [
        alias_model
        for hub in kinds
        if (alias_model := getattr(hub.model, "alias_model", lambda: None)())
    ]


def _hubs_named_query(kinds, query: str, now, alias_keys: list[str], code: list[str]):
    """The query of ``hubs_named()``: each kind's hubs named ``query`` (or, where the kind
    has other names, with one whose key is among ``alias_keys``, in kind order; or, for
    countries, with the ISO code in ``code``), with a live story at ``now``."""
    alias_keys = iter(alias_keys)
    named = []
    for rank, hub in enumerate(kinds):
        condition = Q(name_key=Lower(Value(query)))
        if alias_model := getattr(hub.model, "alias_model", lambda: None)():
            aliases = alias_model.objects.filter(tag=OuterRef("pk"), key=next(alias_keys))
            condition |= Exists(aliases)
        if hub.model is Country and code:
            condition |= Q(code=code[0])
        named.append(
            hub.model.objects.alias(name_key=Lower("name"))
            .filter(condition, Exists(hub.articles(OuterRef("pk"), at=now)))
            .annotate(rank=Value(rank))
            .order_by()
            .values_list("rank", "pk", "name", "slug")
        )
    return named[0].union(*named[1:], all=True).order_by("rank", "name")


def contains(term: str) -> Q:
    """Stories with ``term`` in any searched field, for the search without full text."""
    return functools.reduce(
        operator.or_, (Q(**{f"{name}__icontains": term}) for name, _ in SEARCHED_FIELDS)
    )


def python_snippet(article: Article, terms: list[str]) -> str:
    """Whole words of the body around the first match, matches wrapped in <mark>.

    Positions come from one pattern matched against the body itself: a casefolded copy
    can differ in length ("ß" folds to "ss"), and a count of characters rebuilt from split
    words misses the spaces between them. The window starts at the word the first match
    starts in (a match may begin inside one: "srael" in "Israeli"), SNIPPET_LEAD words earlier.
    """
    body = text.html_to_text(article.body)
    # Longest first, so "Gaza ceasefire" is marked whole where "Gaza" also matches.
    alternatives = sorted({re.escape(term) for term in terms if term}, key=len, reverse=True)
    pattern = re.compile("|".join(alternatives) or "(?!)", re.IGNORECASE)  # (?!): no match
    words = list(re.finditer(r"\S+", body))
    first = pattern.search(body)
    offset = first.start() if first else 0
    at = next((n for n, word in enumerate(words) if word.end() > offset), 0)
    start = max(at - SNIPPET_LEAD, 0)
    window = " ".join(word.group() for word in words[start : start + SNIPPET_WORDS])
    pieces, last = [], 0
    for match in pattern.finditer(window):
        pieces += [escape(window[last : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        last = match.end()
    pieces.append(escape(window[last:]))
    return "".join(pieces)
