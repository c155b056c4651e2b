import math
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.editorial.admin_views import change_form_context
from articles.intelligence.suggestions import suggest_links
from articles.models import Article, CrossLink
from tests.factories import ArticleFactory, CrossLinkFactory, archived, draft, scheduled
from tests.intel_support import staff_user  # noqa: F401

pytestmark = pytest.mark.django_db
# Adding a link changes its source story: both permissions are needed.
LINKER = ("articles.add_crosslink", "articles.change_article")


def ago(hours):
    return timezone.now() - timedelta(hours=hours)


def headlines(suggestions):
    return [s.article.headline for s in suggestions]


@pytest.fixture
def newsroom():
    """A story about Witkoff, Trump, the US and Israel, among ten common Trump/US stories."""
    story = ArticleFactory(
        headline="Witkoff flies to Riyadh",
        people=["Steve Witkoff", "Donald Trump"],
        countries=["United States", "Israel"],
        published_at=ago(1),
    )
    for i in range(10):
        ArticleFactory(
            headline=f"Trump story {i}",
            people=["Donald Trump"],
            countries=["United States"],
            published_at=ago(100 + i),
        )
    return story


def test_rarer_shared_tags_weigh_more(newsroom):
    """One shared rare tag (Witkoff) outranks two shared common ones (Trump and the US)."""
    rare = ArticleFactory(
        headline="Witkoff profile", people=["Steve Witkoff"], published_at=ago(500)
    )
    suggestions = suggest_links(newsroom)
    assert suggestions[0].article == rare
    assert suggestions[0].shared == ["Steve Witkoff"]
    assert sorted(suggestions[1].shared) == ["Donald Trump", "United States"]


def test_score_is_the_sum_of_smoothed_idf_weights(newsroom):
    """Each shared tag weighs ln(1 + live stories / live stories with the tag)."""
    ArticleFactory(headline="Witkoff profile", people=["Steve Witkoff"])
    live = 12  # the story, ten Trump stories, the profile
    top = suggest_links(newsroom)[0]
    assert top.score == pytest.approx(math.log(1 + live / 2), abs=1e-3)
    trump = next(s for s in suggest_links(newsroom) if s.article.headline == "Trump story 0")
    assert trump.score == pytest.approx(2 * math.log(1 + live / 11), abs=1e-3)


def test_ties_go_to_the_newer_story(newsroom):
    """Stories sharing the same tags rank newest first."""
    older = ArticleFactory(
        headline="Older Israel story", countries=["Israel"], published_at=ago(50)
    )
    newer = ArticleFactory(headline="Newer Israel story", countries=["Israel"], published_at=ago(5))
    ranked = headlines(suggest_links(newsroom, limit=20))
    assert ranked.index(newer.headline) < ranked.index(older.headline)
    trump_stories = [h for h in ranked if h.startswith("Trump story")]
    assert trump_stories == [f"Trump story {i}" for i in range(10)]


def test_self_linked_untagged_and_unpublished_stories_are_left_out(newsroom):
    """The story itself, stories it already links to, stories sharing nothing, and stories
    that are not live never appear."""
    linked = ArticleFactory(headline="Already linked", people=["Steve Witkoff"])
    CrossLinkFactory(source=newsroom, target=linked)
    ArticleFactory(headline="Unrelated", people=["Someone Else"], countries=["France"])
    draft(headline="Draft about Witkoff", people=["Steve Witkoff"])
    scheduled(headline="Scheduled about Witkoff", people=["Steve Witkoff"])
    archived(headline="Archived about Witkoff", people=["Steve Witkoff"])
    ranked = headlines(suggest_links(newsroom, limit=50))
    assert newsroom.headline not in ranked
    for absent in ("Already linked", "Unrelated", "Draft about Witkoff"):
        assert absent not in ranked
    assert not any("Scheduled" in h or "Archived" in h for h in ranked)
    assert len(ranked) == 10


def test_a_story_linking_here_is_still_offered(newsroom):
    """A story that links to this one (but not back) is a good candidate: linking back
    mends a one-way pair."""
    linking_here = ArticleFactory(headline="Links here", people=["Steve Witkoff"])
    CrossLinkFactory(source=linking_here, target=newsroom)
    assert headlines(suggest_links(newsroom))[0] == "Links here"


def test_an_untagged_story_gets_no_suggestions():
    """No tags, nothing to share: an empty list, not every story."""
    ArticleFactory(people=["Donald Trump"])
    assert suggest_links(ArticleFactory()) == []


def test_topics_count_too():
    """Topics are shared tags like people and countries."""
    story = ArticleFactory(topics=["Gaza ceasefire"])
    other = ArticleFactory(topics=["Gaza ceasefire"])
    assert [s.article for s in suggest_links(story)] == [other]


def test_query_count_does_not_grow_with_tags(django_assert_max_num_queries):
    """Suggestions cost the same three queries for a story with 3 tags as with 45."""
    few = ArticleFactory(people=["A One"], countries=["France"], topics=["Trade"])
    many = ArticleFactory(
        people=[f"Person {i}" for i in range(15)],
        countries=["France", "Germany", "Italy", "Spain", "Chile", "Peru", "India", "China"]
        + ["Japan", "Kenya", "Ghana", "Egypt", "Iran", "Iraq", "Israel"],
        topics=[f"Topic {i}" for i in range(15)],
    )
    for i in range(15):
        ArticleFactory(people=[f"Person {i}"], countries=["France"], topics=[f"Topic {i}"])
    for story in (few, many):
        with django_assert_max_num_queries(3):
            result = suggest_links(story)
        assert result


def change(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def test_add_as_also_read_creates_the_link(client, django_user_model):
    """The one-click button posts to a staff view that adds an Also Read link halfway down
    the story and returns to the change form; a second click adds nothing."""
    source = ArticleFactory(people=["Steve Witkoff"])
    target = ArticleFactory(people=["Steve Witkoff"])
    url = reverse("newsroom_admin:add_link", args=[source.pk])
    client.force_login(staff_user(django_user_model, *LINKER, "articles.view_article"))
    response = client.post(url, {"suggested_target": target.pk})
    assert response.status_code == 302 and response["Location"] == change(source)
    link = CrossLink.objects.get(source=source)
    assert (link.target, link.target_headline, link.placement) == (target, target.headline, 3)
    response = client.post(url, {"suggested_target": target.pk}, follow=True)
    assert "already links there" in response.content.decode()
    assert CrossLink.objects.filter(source=source).count() == 1
    assert suggest_links(source) == []


def test_add_link_refuses_bad_input_and_the_unauthorised(client, django_user_model):
    """GET is 405; anonymous users go to login; staff without add_crosslink get 403; a
    missing or self target is a message, never a 500; a missing source is a 404."""
    source = ArticleFactory()
    url = reverse("newsroom_admin:add_link", args=[source.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"suggested_target": ArticleFactory().pk})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(staff_user(django_user_model, "articles.view_article", username="v"))
    assert client.post(url, {"suggested_target": ArticleFactory().pk}).status_code == 403
    client.force_login(staff_user(django_user_model, *LINKER, "articles.view_article"))
    for bad in (
        {"suggested_target": "nonsense"},
        {"suggested_target": 10**9},
        {},
        {"suggested_target": source.pk},
    ):
        response = client.post(url, bad, follow=True)
        assert response.status_code == 200
    assert "cannot link to itself" in response.content.decode()
    assert not CrossLink.objects.exists()
    missing = reverse("newsroom_admin:add_link", args=[10**9])
    assert client.post(missing, {"suggested_target": source.pk}).status_code == 404


def test_add_link_needs_the_csrf_token(django_user_model):
    """The action is a POST form protected by CSRF: without the token it is refused."""
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(staff_user(django_user_model, *LINKER))
    source, target = ArticleFactory(), ArticleFactory()
    url = reverse("newsroom_admin:add_link", args=[source.pk])
    assert csrf_client.post(url, {"suggested_target": target.pk}).status_code == 403
    assert not CrossLink.objects.exists()


def test_link_suggestions_partial_renders_one_form_per_suggestion(rf, django_user_model):
    """The change-form partial lists each suggestion with its shared tags and a POST form
    (with CSRF token) to add it."""
    story = ArticleFactory(people=["Steve Witkoff"])
    other = ArticleFactory(headline="Witkoff <lands>", people=["Steve Witkoff"])
    request = rf.get("/")
    request.user = staff_user(django_user_model, *LINKER)
    context = change_form_context(story, request)
    html = render_to_string(
        "admin/articles/includes/link_suggestions.html",
        {"original": story, **context},
        request=request,
    )
    assert html.count("<form ") == 1
    assert f'name="suggested_target" value="{other.pk}"' in html
    assert reverse("newsroom_admin:add_link", args=[story.pk]) in html
    assert "csrfmiddlewaretoken" in html
    assert "Witkoff &lt;lands&gt;" in html
    assert "shares Steve Witkoff" in html


def test_add_link_returns_to_the_page_it_came_from_if_local(client, django_user_model):
    """The action returns to the page the button was on (the graph page, say), but never
    to another site: an outside ``next`` falls back to the change form."""
    source = ArticleFactory()
    url = reverse("newsroom_admin:add_link", args=[source.pk])
    client.force_login(staff_user(django_user_model, *LINKER))
    graph_page = reverse("newsroom_admin:graph", args=[source.pk])
    response = client.post(url, {"suggested_target": ArticleFactory().pk, "next": graph_page})
    assert response["Location"] == graph_page
    response = client.post(
        url, {"suggested_target": ArticleFactory().pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == change(source)
    assert CrossLink.objects.filter(source=source).count() == 2


def test_graph_page_offers_the_suggestions_the_user_may_act_on(client, django_user_model):
    """The graph page shows link suggestions to editors who may add links, and tag
    suggestions to editors who may change stories; each form comes back to the page."""
    story = ArticleFactory(
        body="<p>President Joe Biden met envoy Amos Hochstein.</p>", people=["Amos Hochstein"]
    )
    other = ArticleFactory(headline="Hochstein in Beirut", people=["Amos Hochstein"])
    url = reverse("newsroom_admin:graph", args=[story.pk])
    client.force_login(staff_user(django_user_model, "articles.view_article", username="v"))
    html = client.get(url).content.decode()
    assert "Suggested links" not in html and "Suggested tags" not in html
    client.force_login(
        staff_user(
            django_user_model,
            "articles.view_article",
            "articles.add_crosslink",
            "articles.change_article",
        )
    )
    html = client.get(url).content.decode()
    assert "Hochstein in Beirut" in html and f'value="{other.pk}"' in html
    assert 'value="person:Joe Biden"' in html
    assert f'name="next" value="{url}"' in html


def test_partials_nest_inside_the_change_form(rf, django_user_model):
    """Inside the story's own <form> (forms cannot nest) the partials bring no form of
    their own: each button posts the change form, with its CSRF token, to the action."""
    story = ArticleFactory(
        body="<p>President Joe Biden met envoy Amos Hochstein.</p>", people=["Amos Hochstein"]
    )
    ArticleFactory(people=["Amos Hochstein"])
    request = rf.get("/")
    request.user = staff_user(
        django_user_model, "articles.add_crosslink", "articles.change_article"
    )
    context = {"original": story, "inside_change_form": True}
    context |= change_form_context(story, request)
    for partial, action in (
        ("link_suggestions", "add_link"),
        ("entity_suggestions", "accept_entity"),
    ):
        html = render_to_string(f"admin/articles/includes/{partial}.html", context, request)
        assert "<form" not in html and "csrfmiddlewaretoken" not in html
        url = reverse(f"newsroom_admin:{action}", args=[story.pk])
        assert f'formaction="{url}" formmethod="post" formnovalidate' in html


def test_add_link_ignores_the_rest_of_the_change_form(client, django_user_model):
    """Posted from inside the change form, the action sees every story field too; it uses
    only the clicked button's value and changes nothing else."""
    source = ArticleFactory(headline="Original headline")
    target = ArticleFactory()
    client.force_login(staff_user(django_user_model, *LINKER))
    payload = {
        "headline": "Edited but unsaved headline",
        "links_out-TOTAL_FORMS": "0",
        "suggested_target": target.pk,
    }
    client.post(reverse("newsroom_admin:add_link", args=[source.pk]), payload)
    source.refresh_from_db()
    assert source.headline == "Original headline"
    assert source.links_out.get().target == target


def test_the_article_admins_per_story_permission_is_respected(
    client, rf, django_user_model, monkeypatch
):
    """Where the article admin narrows who may change a story (a writer and someone
    else's story), the one-click actions refuse it and the suggestions are not offered,
    even to a user holding the model permissions."""
    from django.contrib import admin

    model_admin = admin.site.get_model_admin(Article)
    monkeypatch.setattr(
        model_admin,
        "has_change_permission",
        lambda request, obj=None: obj is None or obj.headline != "Not yours",
    )
    theirs = ArticleFactory(headline="Not yours", people=["Amos Hochstein"])
    ArticleFactory(people=["Amos Hochstein"])
    user = staff_user(
        django_user_model,
        "articles.view_article",
        "articles.add_crosslink",
        "articles.change_article",
    )
    client.force_login(user)
    add_link = reverse("newsroom_admin:add_link", args=[theirs.pk])
    accept = reverse("newsroom_admin:accept_entity", args=[theirs.pk])
    assert client.post(add_link, {"suggested_target": ArticleFactory().pk}).status_code == 403
    assert client.post(accept, {"suggested_tag": "person:Joe Biden"}).status_code == 403
    assert not CrossLink.objects.exists() and not theirs.people.filter(name="Joe Biden")
    request = rf.get("/")
    request.user = user
    assert set(change_form_context(theirs, request)) == {"story_graph"}
