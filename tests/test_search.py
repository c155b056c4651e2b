import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from articles import text
from articles.models import Article
from articles.search import full_text_matches, search_articles
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
