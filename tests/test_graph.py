from html.parser import HTMLParser

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.editorial.admin_views import change_form_context
from articles.intelligence.graph import MAX_NODES, neighbourhood
from articles.models import CrossLink
from tests.factories import ArticleFactory, CrossLinkFactory, archived, draft, in_review, scheduled
from tests.intel_support import staff_user  # noqa: F401

pytestmark = pytest.mark.django_db


def change(article):
    return reverse("admin:articles_article_change", args=[article.pk])


class SvgReader(HTMLParser):
    """Collects the SVG's links, titles and circles from the rendered partial."""

    def __init__(self):
        super().__init__()
        self.links, self.titles, self.circles, self.lines = [], [], [], []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs.get("href"))
        elif tag == "title":
            self._in_title = True
            self.titles.append("")
        elif tag == "circle" and "node" in attrs.get("class", ""):
            self.circles.append(attrs["class"])
        elif tag == "line":
            self.lines.append(attrs)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.titles[-1] += data


def render(graph):
    html = render_to_string("admin/articles/includes/graph.html", {"graph": graph})
    reader = SvgReader()
    reader.feed(html)
    return html, reader


@pytest.fixture
def crafted():
    """A centre story with a neighbour of every status, a pending link, a mutual pair and a
    chain running three hops out."""
    centre = ArticleFactory(headline="Centre story")
    stories = {
        "live": ArticleFactory(headline="Live neighbour"),
        "draft": draft(headline="Draft neighbour"),
        "review": in_review(headline="Review neighbour"),
        "scheduled": scheduled(headline="Scheduled neighbour"),
        "archived": archived(headline="Archived neighbour"),
        "mutual": ArticleFactory(headline="Mutual neighbour"),
        "two_hops": ArticleFactory(headline="Two hops out"),
        "three_hops": ArticleFactory(headline="Three hops out"),
    }
    for key in ("live", "scheduled", "archived", "mutual"):
        CrossLinkFactory(source=centre, target=stories[key])
    for key in ("draft", "review", "mutual"):
        CrossLinkFactory(source=stories[key], target=centre)
    CrossLink.objects.create(source=centre, target_headline="A story not yet written")
    CrossLinkFactory(source=stories["live"], target=stories["two_hops"])
    CrossLinkFactory(source=stories["two_hops"], target=stories["three_hops"])
    return centre, stories


def test_nodes_carry_status_and_hop(crafted):
    """Every neighbour appears with its status (review counts as draft; a future published
    story is scheduled; a pending link is its own node) and its distance."""
    centre, _ = crafted
    graph = neighbourhood(centre)
    found = {node.headline: (node.status, node.hop) for node in graph.nodes}
    assert found == {
        "Centre story": ("live", 0),
        "Live neighbour": ("live", 1),
        "Draft neighbour": ("draft", 1),
        "Review neighbour": ("draft", 1),
        "Scheduled neighbour": ("scheduled", 1),
        "Archived neighbour": ("archived", 1),
        "Mutual neighbour": ("live", 1),
        "A story not yet written": ("pending", 1),
        "Two hops out": ("live", 2),
    }
    assert graph.hidden_count == 0


def test_edges_keep_their_direction(crafted):
    """Edges point from the story showing the link to its target; a mutual pair is one
    edge marked mutual."""
    centre, _ = crafted
    graph = neighbourhood(centre)
    edges = {(e.source.headline, e.target.headline, e.mutual) for e in graph.edges}
    assert ("Centre story", "Live neighbour", False) in edges
    assert ("Draft neighbour", "Centre story", False) in edges
    assert ("Centre story", "A story not yet written", False) in edges
    assert ("Live neighbour", "Two hops out", False) in edges
    mutual = [e for e in graph.edges if e.mutual]
    assert len(mutual) == 1
    assert {mutual[0].source.headline, mutual[0].target.headline} == {
        "Centre story",
        "Mutual neighbour",
    }
    assert len(graph.edges) == 8  # nine links, the mutual pair drawn once


def test_svg_links_every_story_to_its_admin_page(crafted):
    """Each story node is an <a> to its change page with a <title> naming headline and
    status; pending nodes have no page to link to; the legend names every status."""
    centre, stories = crafted
    html, svg = render(neighbourhood(centre))
    expected = {change(centre)} | {change(s) for k, s in stories.items() if k != "three_hops"}
    assert set(svg.links) == expected
    assert "Draft neighbour (Draft or in review)" in svg.titles
    assert "A story not yet written (Pending (story not written yet))" in svg.titles
    assert "Centre story → Live neighbour" in svg.titles
    assert "Centre story ↔ Mutual neighbour" in svg.titles or (
        "Mutual neighbour ↔ Centre story" in svg.titles
    )
    assert len(svg.circles) == 9
    for label in ("Live", "Draft or in review", "Scheduled", "Archived", "Pending"):
        assert label in html
    assert "Three hops out" not in html


def test_headlines_are_escaped_in_the_svg():
    """A headline with markup is text in the drawing, never markup."""
    centre = ArticleFactory(headline="<script>alert(1)</script> & co")
    CrossLinkFactory(source=centre, target=ArticleFactory())
    html, _ = render(neighbourhood(centre))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_layout_is_deterministic(crafted):
    """The same graph draws the same picture, byte for byte."""
    centre, _ = crafted
    assert render(neighbourhood(centre))[0] == render(neighbourhood(centre))[0]


def test_a_hub_with_200_neighbours_stays_readable(django_assert_max_num_queries):
    """A hub story linked from 200 others draws at most MAX_NODES nodes, says how many
    more there are, and costs two queries."""
    hub = ArticleFactory(headline="Hub")
    neighbours = ArticleFactory.create_batch(200)
    CrossLink.objects.bulk_create(
        CrossLink(source=n, target=hub, target_headline="Hub", target_key="hub") for n in neighbours
    )
    with django_assert_max_num_queries(2):
        graph = neighbourhood(hub)
    assert len(graph.nodes) == MAX_NODES
    assert graph.hidden_count == 200 - (MAX_NODES - 1)
    html, svg = render(graph)
    assert len(svg.circles) == MAX_NODES
    assert f"And {200 - (MAX_NODES - 1)} more not drawn" in html


def test_query_count_does_not_grow_with_the_neighbourhood(django_assert_max_num_queries):
    """Two hops of 30 × 5 stories cost the same two queries as a single link."""
    centre = ArticleFactory()
    for _ in range(30):
        middle = ArticleFactory()
        CrossLinkFactory(source=centre, target=middle)
        for _ in range(5):
            CrossLinkFactory(source=middle, target=ArticleFactory())
    with django_assert_max_num_queries(2):
        graph = neighbourhood(centre)
    assert graph.hidden_count == 30 * 5 + 30 - (MAX_NODES - 1)


def test_graph_page_is_for_staff_with_permission(client, django_user_model, crafted):
    """Anonymous visitors go to the login page, non-staff are refused, staff without
    view permission get 403, editors see the graph."""
    centre, _ = crafted
    url = reverse("newsroom_admin:graph", args=[centre.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    member = django_user_model.objects.create_user("reader", password="pw")
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(staff_user(django_user_model, username="intern"))
    assert client.get(url).status_code == 403
    client.force_login(staff_user(django_user_model, "articles.view_article"))
    response = client.get(url)
    assert response.status_code == 200
    assert b"Live neighbour" in response.content
    assert client.get(reverse("newsroom_admin:graph", args=[999999])).status_code == 404


def test_second_hop_stories_sit_beside_the_story_that_links_them():
    """Each drawn second-hop story is linked to a drawn first-hop story and placed near
    it: its edge is shorter than the distance between the rings' far sides, so edges do
    not cut across the drawing."""
    centre = ArticleFactory()
    for i in range(6):
        middle = ArticleFactory(headline=f"Middle {i}")
        CrossLinkFactory(source=centre, target=middle)
        for j in range(3):
            CrossLinkFactory(source=middle, target=ArticleFactory(headline=f"Outer {i}.{j}"))
    graph = neighbourhood(centre)
    outer_edges = [e for e in graph.edges if e.target.hop == 2]
    assert len(outer_edges) == len(graph.second_ring) == 18
    for edge in outer_edges:
        assert edge.source.headline[-1] == edge.target.headline.split()[-1][0]
        length = (
            (edge.source.x - edge.target.x) ** 2 + (edge.source.y - edge.target.y) ** 2
        ) ** 0.5
        assert length < 200


def test_graph_page_queries_do_not_grow(client, django_user_model):
    """The graph page, with its link and tag suggestions, costs the same queries with
    ten more neighbours, tags and tagged stories."""
    story = ArticleFactory(
        body="<p>Envoy Amos Hochstein met President Joseph Aoun.</p>",
        people=["Amos Hochstein"],
        countries=["Lebanon"],
    )
    CrossLinkFactory(source=story, target=ArticleFactory())
    ArticleFactory(people=["Amos Hochstein"], countries=["Lebanon"])  # a suggestion
    client.force_login(
        staff_user(
            django_user_model,
            "articles.view_article",
            "articles.add_crosslink",
            "articles.change_article",
        )
    )
    url = reverse("newsroom_admin:graph", args=[story.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(10):
        CrossLinkFactory(source=story, target=ArticleFactory(people=["Amos Hochstein"]))
        CrossLinkFactory(source=ArticleFactory(countries=["Lebanon"]), target=story)
        story.people.add(f"Person {i}")
        ArticleFactory(people=[f"Person {i}"])
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)


def test_story_tools_partial_for_the_change_form(rf, django_user_model, crafted):
    """The one include the change form needs draws the graph, offers the suggestions as
    buttons of the change form (no nested forms), links the staff pages, and has no
    inline styles (the Content Security Policy allows only our own style sheets)."""
    centre, _ = crafted
    request = rf.get("/")
    request.user = staff_user(
        django_user_model,
        "articles.view_article",
        "articles.add_crosslink",
        "articles.change_article",
    )
    context = {"original": centre, **change_form_context(centre, request)}
    html = render_to_string("admin/articles/includes/story_tools.html", context, request)
    assert "<svg" in html and "<form" not in html
    assert "style=" not in html and "<style" not in html
    assert "articles/admin/story-tools.css" in html
    assert "Suggested links" in html and "Suggested tags" in html
    for name in ("graph", "thread"):
        assert reverse(f"newsroom_admin:{name}", args=[centre.pk]) in html
    assert reverse("newsroom_admin:link_health") in html


def test_the_drawing_shrinks_to_the_rings_it_has():
    """A story with only direct neighbours is drawn without room for a second ring, and a
    story with no links at all is a small drawing, not a large empty one."""
    alone = ArticleFactory()
    assert neighbourhood(alone).frame["height"] == 80
    centre = ArticleFactory()
    CrossLinkFactory(source=centre, target=ArticleFactory())
    one_ring = neighbourhood(centre)
    assert one_ring.frame["height"] == 2 * (150 + 40)
    html, _ = render(one_ring)
    assert 'viewBox="0 130 640 380"' in html
