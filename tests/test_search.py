import html
import re

import pytest
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from articles import text
from articles.models import Article
from articles.reader.search import (
    SEARCH_VECTOR,
    SEARCHED_FIELDS,
    SNIPPET_LEAD,
    SNIPPET_WORDS,
    contains,
    full_text_matches,
    python_snippet,
    search_articles,
)
from tests.factories import ArticleFactory, archived, draft, in_review, scheduled

pytestmark = pytest.mark.django_db


def story(headline, *paragraphs, **kwargs):
    return ArticleFactory(headline=headline, body=text.text_to_html(list(paragraphs)), **kwargs)


def headlines(results):
    return [article.headline for article in results[0 : results.count()]]


def test_finds_live_stories_by_a_word_from_the_body():
    """A word from the body finds the story, with that word highlighted in the snippet."""
    story("Talks resume", "Negotiators met in Doha to discuss hostages.")
    story("Markets calm", "Shares rose slightly.")
    results = search_articles("hostages")
    assert headlines(results) == ["Talks resume"]
    assert "<mark>hostages</mark>" in results[0].snippet


def test_headline_matches_rank_above_body_matches():
    story("Ceasefire news", "Other things entirely.")
    story("Other news", "A ceasefire was mentioned once.")
    assert headlines(search_articles("ceasefire"))[0] == "Ceasefire news"


def test_minus_word_excludes_and_quotes_keep_phrases():
    """Web-search syntax: -word excludes; "quoted words" must appear together."""
    story("Gaza talks", "The ceasefire deal in Gaza holds.")
    story("Lebanon talks", "The ceasefire deal in Lebanon holds.")
    assert headlines(search_articles("ceasefire -lebanon")) == ["Gaza talks"]
    assert headlines(search_articles('"deal in Gaza"')) == ["Gaza talks"]


def test_no_story_that_is_not_live_is_ever_found():
    """Drafts, stories in review, scheduled and archived stories never appear in results."""
    for make in (draft, in_review, scheduled, archived):
        make(headline=f"Secret {make.__name__}", body="<p>classified plans</p>")
    story("Public story", "Nothing classified here.")
    assert headlines(search_articles("classified")) == ["Public story"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\x00",
        "a\x00b",
        "x" * 10_000,
        '"',
        "' OR 1=1; --",
        "<script>alert(1)</script>",
        "-",
        "--",
        "!!!",
        "&&",
        "ceasefire:*",
        "(((",
        "🙂",
        "כל",
    ],
)
def test_any_input_gives_results_or_nothing_never_an_error(query):
    """Whatever a reader types, search answers; HTML in the query never comes back unescaped."""
    story("Ceasefire <script>", "Body &amp; more <b>bold</b> ceasefire.")
    results = search_articles(query)
    for article in results[0:20]:
        assert "<script" not in article.snippet
        assert "<b>" not in article.snippet


def test_snippet_escapes_body_text():
    """Text that looks like markup in a story stays text in the snippet."""
    story("Escaping", "Readers wrote <script> in the ceasefire comments.")
    [result] = search_articles("ceasefire")[0:1]
    assert "<script>" not in result.snippet
    assert "&lt;script&gt;" in result.snippet


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN index is PostgreSQL only")
def test_postgres_search_can_use_the_gin_index():
    """The query's vector expression is the indexed one, so the planner can use the index."""
    story("Index check", "A ceasefire story.")
    matches = full_text_matches(Article.objects.all(), SearchQuery("ceasefire", config="english"))
    assert matches.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = matches.values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "article_search_idx" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stored vector is PostgreSQL only")
def test_the_stored_search_vector_is_the_live_definition():
    """The generated column migration 0006 wrote is, expression for expression, the vector
    live code defines (SEARCH_VECTOR from SEARCHED_FIELDS): PostgreSQL reads both back in
    its own normal form, one as the column's expression, one as a probe index's."""
    probe = GinIndex(SEARCH_VECTOR, name="search_vector_probe")
    with connection.schema_editor() as editor:
        editor.add_index(Article, probe)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attrdef d
            JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = %s::regclass AND a.attname = 'search_vector'
              AND a.attgenerated = 's'
            """,
            [Article._meta.db_table],
        )
        (stored,) = cursor.fetchone()
        cursor.execute(
            "SELECT pg_get_expr(indexprs, indrelid) FROM pg_index "
            "WHERE indexrelid = 'search_vector_probe'::regclass"
        )
        (live,) = cursor.fetchone()
    assert "setweight" in stored
    assert stored == live


def test_every_searched_field_is_searched_without_full_text():
    """The search without full text (SQLite) looks in every field of SEARCHED_FIELDS."""
    assert [name for name, _ in SEARCHED_FIELDS] == ["headline", "standfirst", "body"]
    for name, _ in SEARCHED_FIELDS:
        found = Article.objects.filter(contains("zanzibar")).values_list(name, flat=True)
        assert not found
    story("Plain headline", "Plain body.", standfirst="Zanzibar talks")
    if connection.vendor != "postgresql":
        assert headlines(search_articles("zanzibar")) == ["Plain headline"]
    assert Article.objects.filter(contains("zanzibar")).count() == 1


# Snippets made in Python (SQLite) -------------------------------------------------------


def snippet_of(paragraphs, *terms):
    """The Python snippet of a story with this body, for these search terms."""
    return python_snippet(Article(body=text.text_to_html(list(paragraphs))), list(terms))


def shown_words(snippet):
    """The snippet as a reader reads it: marks dropped, entities decoded, split into words."""
    return html.unescape(re.sub(r"</?mark>", "", snippet)).split()


# Seven words between the first word a snippet shows and the match (SNIPPET_LEAD is 8).
BETWEEN = "und die Straße nach Norden am Meer"


@pytest.mark.parametrize(
    ("first_word", "matched", "term", "marked"),
    [
        ("Donald", "Trump", "Trump", "<mark>Trump</mark>"),
        ("Jerusalem", "Israel's", "israel", "<mark>Israel</mark>&#x27;s"),
        ("(Jerusalem)", "(Israelis)", "Israel", "(<mark>Israel</mark>is)"),
        ("“Quoted,”", "“Trump,”", "Trump", "“<mark>Trump</mark>,”"),
        ("İzmir", "Ankara", "ankara", "<mark>Ankara</mark>"),
        ("Maßnahmen", "Straßen", "straßen", "<mark>Straßen</mark>"),
        ("राष्ट्रपति", "मोदी", "मोदी", "<mark>मोदी</mark>"),
        ("שָׁלוֹם", "Netanyahu", "Netanyahu", "<mark>Netanyahu</mark>"),
    ],
)
def test_python_snippet_keeps_whole_words(first_word, matched, term, marked):
    """The snippet starts at a whole word: after punctuation, after letters that casefold
    to more letters (ß, İ), in scripts with combining marks; the match keeps its case."""
    body = f"Words before. {first_word} {BETWEEN} {matched} after."
    assert snippet_of(["Earlier paragraph.", body], term) == (
        f"{escape(first_word)} {BETWEEN} {marked} after."
    )


@pytest.mark.parametrize(
    ("paragraph", "term", "expected"),
    [
        ("Trump spoke.", "trump", "<mark>Trump</mark> spoke."),
        ("“Trump,” he said.", "Trump", "“<mark>Trump</mark>,” he said."),
        ("Talks (Israeli) ended.", "Israel", "Talks (<mark>Israel</mark>i) ended."),
    ],
)
def test_python_snippet_of_a_short_body_is_all_of_it(paragraph, term, expected):
    """A match at the start of the text, or a body shorter than a snippet, shows whole."""
    assert snippet_of([paragraph], term) == expected


def test_python_snippet_starts_a_few_words_before_the_match():
    """A match deep in the body shows SNIPPET_LEAD whole words before it and stops at
    SNIPPET_WORDS words."""
    words = [f"word{n}" for n in range(100)]
    snippet = snippet_of([" ".join(words)], "word50")
    assert shown_words(snippet) == words[50 - SNIPPET_LEAD : 50 - SNIPPET_LEAD + SNIPPET_WORDS]
    assert "<mark>word50</mark>" in snippet


def test_python_snippet_marks_the_longest_term():
    """Of two terms where one contains the other, the longer one is marked whole."""
    snippet = snippet_of(["The Gaza ceasefire holds."], "Gaza", "Gaza ceasefire")
    assert "<mark>Gaza ceasefire</mark>" in snippet


WORD = st.text(
    st.characters(categories=["L", "M", "N", "P", "S"], exclude_characters="\ufffe\uffff"),
    min_size=1,
    max_size=8,
)


@given(
    paragraphs=st.lists(st.lists(WORD, min_size=1, max_size=12), min_size=1, max_size=6),
    data=st.data(),
)
def test_python_snippet_is_a_run_of_whole_words_around_the_match(paragraphs, data):
    """Whatever the body and wherever the term sits in it, the snippet reads as a run of
    the body's whole words that holds the word the first match is in, the matches marked."""
    words = [word for paragraph in paragraphs for word in paragraph]
    where = data.draw(st.integers(0, len(words) - 1))
    begin = data.draw(st.integers(0, len(words[where]) - 1))
    term = words[where][begin : data.draw(st.integers(begin + 1, len(words[where])))]

    snippet = snippet_of([" ".join(paragraph) for paragraph in paragraphs], term)

    shown = shown_words(snippet)
    runs = [words[n : n + len(shown)] for n in range(len(words) - len(shown) + 1)]
    assert shown in runs
    first = re.search(re.escape(term), " ".join(words), re.IGNORECASE).start()
    matched_word = len(" ".join(words)[:first].split(" ")) - 1
    start = runs.index(shown)
    assert start <= matched_word < start + len(shown)
    for marked in re.findall(r"<mark>(.*?)</mark>", snippet):
        assert re.fullmatch(re.escape(term), html.unescape(marked), re.IGNORECASE)
