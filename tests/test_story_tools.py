"""The story form shows the story's graph, link suggestions and tag suggestions."""

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory, CrossLinkFactory

pytestmark = pytest.mark.django_db


def test_story_form_shows_graph_and_suggestions(admin_client):
    """An editor opening a story sees its neighbourhood and useful links and tags offered."""
    story = ArticleFactory(
        headline="Netanyahu to visit Washington",
        body="<p>Prime Minister Benjamin Netanyahu will meet President Donald Trump.</p>",
        people=["Benjamin Netanyahu"],
    )
    linked = CrossLinkFactory(source=story).target
    candidate = ArticleFactory(
        headline="Netanyahu's coalition wobbles", people=["Benjamin Netanyahu"]
    )
    response = admin_client.get(reverse("admin:articles_article_change", args=[story.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page
    assert reverse("admin:articles_article_change", args=[linked.pk]) in page
    assert f"Add “{candidate.headline.replace(chr(39), '&#x27;')}” as Also Read" in page
    assert "Donald Trump" in page  # suggested as a person


def test_admin_index_links_to_link_health_and_threads(admin_client):
    """Editors reach the graph reports from the admin's front page."""
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("newsroom_admin:link_health") in page
    assert reverse("newsroom_admin:threads") in page
