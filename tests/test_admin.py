"""The story admin: changelist, change form, sanitising, wire copy, tags, links, preview."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from articles.models import (
    NO_ADDRESS,
    Article,
    Correction,
    Country,
    CrossLink,
    Person,
    SlugRedirect,
)
from tests.admin_support import (
    ADD_URL,
    CHANGELIST_URL,
    article_data,
    change_url,
    link_row,
    make_user,
)
from tests.factories import ArticleFactory, CrossLinkFactory, ImageFactory, draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


def tagged_story(n: int, **kwargs):
    return ArticleFactory(
        people=[f"Person {n}", f"Other person {n}"],
        countries=["Israel", "US"],
        topics=[f"Topic {n}"],
        **kwargs,
    )


def input_value(page: str, name: str) -> str:
    """The value an ``<input name=…>`` of ``page`` shows."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page).group()
    return html.unescape(re.search(r'\bvalue="([^"]*)"', tag).group(1))


def count_queries(client, url) -> int:
    client.get(url)  # warm per-process caches (content types) so only the page is counted
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_rows_tags_or_links(client, editor):
    """The story list costs the same queries for 2 stories as for 25 tagged, linked ones."""
    first, second = tagged_story(1), tagged_story(2)
    CrossLinkFactory(source=first, target=second)
    few = count_queries(client, CHANGELIST_URL)
    for n in range(3, 26):
        story = tagged_story(n)
        CrossLinkFactory(source=story, target=first)
        CrossLinkFactory(source=first, target=story)
    assert count_queries(client, CHANGELIST_URL) == few
    assert few <= 16


def test_changelist_shows_link_counts_in_and_out(client, editor):
    """Each row counts the story's links out and links in, including pending ones."""
    hub, a, b = ArticleFactory(), ArticleFactory(), ArticleFactory()
    CrossLinkFactory(source=hub, target=a)
    CrossLinkFactory(source=hub, target=b)
    CrossLinkFactory(source=hub, target=None, target_headline="Not written yet")
    CrossLinkFactory(source=a, target=hub)
    response = client.get(CHANGELIST_URL)
    rows = {row.pk: row for row in response.context["cl"].result_list}
    assert (rows[hub.pk].links_out_n, rows[hub.pk].links_in_n) == (3, 1)
    assert (rows[b.pk].links_out_n, rows[b.pk].links_in_n) == (0, 1)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=draft", {"draft"}),
        ("people__id__exact={person}", {"tagged"}),
        ("countries__id__exact={country}", {"tagged"}),
        ("q=zebra", {"tagged"}),
    ],
)
def test_changelist_filters_and_search(client, editor, query, expected):
    """Status, person, country filters and search each narrow the list to the right story."""
    stories = {
        "tagged": ArticleFactory(
            headline="Zebra crossing plan", people=["Ann Lee"], countries=["IL"]
        ),
        "draft": draft(headline="A quiet draft"),
        "other": ArticleFactory(headline="Something else", countries=["France"]),
    }
    tagged = stories["tagged"]
    url = (
        CHANGELIST_URL
        + "?"
        + query.format(person=tagged.people.get().pk, country=tagged.countries.get().pk)
    )
    response = client.get(url)
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {stories[name].pk for name in expected}


def test_change_form_query_count_does_not_grow_with_tags_links_or_bylines(client, editor):
    """The change form costs the same queries with one link and tag as with many."""
    from tests.factories import AuthorFactory

    story = tagged_story(0)
    CrossLinkFactory(source=story, target=ArticleFactory())
    CrossLinkFactory(source=ArticleFactory(), target=story)
    story.bylines.create(author=AuthorFactory(), position=0)
    few = count_queries(client, change_url(story))
    story.people.add(*[f"Extra person {n}" for n in range(10)])
    story.countries.add("France", "India", "Iran")
    for n in range(8):
        CrossLinkFactory(source=story, target=ArticleFactory(), placement=n % 3, order=n)
        CrossLinkFactory(source=ArticleFactory(), target=story)
        CrossLinkFactory(source=story, target=None, target_headline=f"Pending story {n}")
        story.bylines.create(author=AuthorFactory(), position=n + 1)
    assert count_queries(client, change_url(story)) == few
    # 21: entity suggestions look the story's capitalised words up among people's other
    # names (aliases) even when it has no two-word name to look up.
    assert few <= 21
    # Its corrections and clarifications, however many, are one more query.
    for n in range(3):
        Correction.objects.create(article=story, text=f"Notice {n}.", revision=1)
    assert count_queries(client, change_url(story)) == few + 1


def test_body_is_sanitised_on_the_server(client, editor):
    """Scripts, event handlers and javascript: links never reach the stored body; a photo
    keeps only its library id and alt text (articles.images.library_body)."""
    photo = ImageFactory()
    body = (
        '<p onclick="steal()">Hello <script>alert(1)</script>'
        '<a href="javascript:alert(2)">bad</a> <a href="https://example.org/">good</a></p>'
        f'<img src="javascript:x" onerror="alert(3)" data-file="{photo.digest}" alt="A boat">'
        '<p style="color:red">Styled</p>'
    )
    response = client.post(ADD_URL, article_data(body=body))
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Article.objects.get().body
    for bad in ("script", "onclick", "javascript:", "onerror", "style="):
        assert bad not in stored
    assert '<a href="https://example.org/"' in stored
    assert "Styled" in stored
    assert f'alt="A boat" data-file="{photo.digest}"' in stored


def test_pasted_wire_copy_becomes_links_at_their_placements(client, editor):
    """Also Read/Related paragraphs leave the body and become resolved or pending links."""
    existing = ArticleFactory(headline="Gaza ceasefire faces new hurdle")
    body = (
        "<p>First paragraph.</p>"
        "<p>Also Read: Gaza ceasefire faces new hurdle</p>"
        "<p>Second paragraph.</p><p>Third paragraph.</p>"
        "<p><strong>Also Read:</strong> A story still to be written</p>"
        "<p>Fourth paragraph.</p>"
        "<p>Related: Another one to come</p>"
    )
    response = client.post(ADD_URL, article_data(body=body))
    assert response.status_code == 302
    story = Article.objects.get(slug="a-new-story-about-the-talks")
    assert "Also Read" not in story.body and "Related:" not in story.body
    assert len(story.paragraphs) == 4
    links = list(story.links_out.values_list("target", "target_headline", "placement"))
    assert links == [
        (existing.pk, "Gaza ceasefire faces new hurdle", 1),
        (None, "A story still to be written", 3),
        (None, "Another one to come", None),
    ]


def test_empty_also_read_line_is_a_form_error(client, editor):
    """An Also Read line without a headline is reported on the body, nothing is saved."""
    response = client.post(ADD_URL, article_data(body="<p>Text.</p><p>Also Read:</p>"))
    assert response.status_code == 200
    assert "needs the headline" in str(response.context["adminform"].form.errors["body"])
    assert not Article.objects.exists()


def test_country_by_code_is_canonical_and_unknown_country_is_a_form_error(client, editor):
    """Countries may be typed as ISO codes; a made-up country is a message, not a 500."""
    response = client.post(ADD_URL, article_data(countries="IL, united states"))
    assert response.status_code == 302
    assert sorted(Article.objects.get().countries.names()) == ["Israel", "United States"]
    response = client.post(
        ADD_URL, article_data(slug="other", countries="Israel, Narnia", headline="Other")
    )
    assert response.status_code == 200
    assert "Narnia" in str(response.context["adminform"].form.errors["countries"])


def test_country_admin_refuses_an_unknown_country(client, editor):
    """Adding a country that does not exist is a form error, not a 500."""
    url = reverse("admin:articles_country_add")
    response = client.post(url, {"name": "Narnia"})
    assert response.status_code == 200
    assert "Not a country" in str(response.context["adminform"].form.errors["name"])
    assert client.post(url, {"name": "de"}).status_code == 302
    assert Country.objects.get().name == "Germany"


def test_tag_suggestions_match_names_and_codes(client, editor):
    """The tag inputs' suggestions find people by name and countries by ISO code."""
    ArticleFactory(people=["Benjamin Netanyahu", "Joe Biden"], countries=["Israel"])
    url = reverse("admin:articles_person_suggest")
    assert client.get(url, {"q": "netan"}).json() == {"results": ["Benjamin Netanyahu"]}
    url = reverse("admin:articles_country_suggest")
    assert client.get(url, {"q": "IL"}).json()["results"] == ["Israel"]


def test_tag_suggestions_need_staff_login(client):
    """Anonymous visitors cannot list tag names through the admin."""
    response = client.get(reverse("admin:articles_person_suggest"), {"q": "a"})
    assert response.status_code == 302


def test_article_autocomplete_finds_stories_by_headline(client, editor):
    """The link target picker searches headlines through the admin's autocomplete."""
    wanted = ArticleFactory(headline="Trump invites Netanyahu")
    ArticleFactory(headline="Something else")
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "invites",
            "app_label": "articles",
            "model_name": "crosslink",
            "field_name": "target",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(wanted.pk)]


def test_placement_choices_show_each_paragraphs_first_words(client, editor):
    """The placement select names paragraphs by their words, with the end list first."""
    story = ArticleFactory(
        body="<p>Tehran rejected the offer on Monday evening after long talks.</p><p>Two.</p>"
    )
    CrossLinkFactory(source=story, target=ArticleFactory(), placement=1)
    response = client.get(change_url(story))
    formset = response.context["inline_admin_formsets"][1].formset
    choices = formset.forms[0].fields["placement"].choices
    assert choices[0] == ("", "Related stories list (end)")
    assert (1, "After ¶1: Tehran rejected the offer on Monday evening after…") in choices
    assert (2, "After ¶2: Two.") in choices


def test_links_are_placed_in_the_body_saved_with_them(client, editor):
    """A new story's links may sit after paragraphs that exist only in the same POST."""
    target = ArticleFactory()
    body = "<p>One.</p><p>Also Read: Something pending</p><p>Two.</p><p>Three.</p>"
    data = article_data(body=body, **{"links_out-TOTAL_FORMS": "1"})
    response = client.post(ADD_URL, data | link_row(0, target=target, placement=3))
    assert response.status_code == 302, response.context["inline_admin_formsets"][1].formset.errors
    story = Article.objects.get(slug="a-new-story-about-the-talks")
    assert story.links_out.get(target=target).placement == 3
    response = client.post(ADD_URL, data | link_row(0, target=target, placement=4) | {"slug": "x"})
    assert response.status_code == 200  # there is no fourth paragraph to follow


def test_pending_link_can_be_pointed_at_a_story(client, editor):
    """Picking a story for a pending link resolves it and takes the story's headline."""
    story = ArticleFactory()
    pending = CrossLinkFactory(source=story, target=None, target_headline="Old wording")
    target = ArticleFactory(headline="The real headline")
    data = article_data(story, **{"links_out-0-target": target.pk})
    response = client.post(change_url(story), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    pending.refresh_from_db()
    assert (pending.target, pending.target_headline) == (target, "The real headline")


def test_link_to_itself_is_refused(client, editor):
    """A story cannot be its own Also Read link, even by a crafted POST."""
    story = ArticleFactory()
    data = article_data(story, **{"links_out-TOTAL_FORMS": "1"}, **link_row(0, target=story))
    response = client.post(change_url(story), data)
    assert response.status_code == 200
    assert not CrossLink.objects.exists()


def test_linked_from_lists_inbound_links_with_admin_links(client, editor):
    """The form lists the stories linking here, each linking to its own admin page."""
    story = ArticleFactory()
    source = ArticleFactory(headline="Source story here")
    CrossLinkFactory(source=source, target=story)
    content = client.get(change_url(story)).content.decode()
    assert f'<a href="{change_url(source)}">Source story here</a> (live)' in content
    assert reverse("admin:articles_article_link_back", args=[story.pk, 1]).rsplit("/", 2)[0] in (
        content
    )


def link_back_url(story, link) -> str:
    return reverse("admin:articles_article_link_back", args=[story.pk, link.pk])


def test_linked_from_markup_offers_link_back_and_escapes_headlines(client, editor):
    """Each story linking here is an item: its admin link (headline escaped), its state,
    and a Link back button unless this story already links to it."""
    story = ArticleFactory()
    live_source = ArticleFactory(headline='A <b>bold</b> & "quoted" story')
    draft_source = draft(headline="Zebra draft story")
    inbound = CrossLinkFactory(source=live_source, target=story)
    CrossLinkFactory(source=draft_source, target=story)
    CrossLinkFactory(source=story, target=draft_source)  # already linked back
    content = client.get(change_url(story)).content.decode()
    assertInHTML(
        f"""<ul class="linked-from">
        <li><a href="{change_url(live_source)}">A &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;
        story</a> (live) <button type="submit" class="button" formnovalidate
        formaction="{link_back_url(story, inbound)}"
        title="Adds it to this story's Related list; unsaved edits are lost">Link back</button></li>
        <li><a href="{change_url(draft_source)}">Zebra draft story</a> (draft)</li>
        </ul>""",
        content,
    )
    lonely = ArticleFactory()
    assert "No story links here yet." in client.get(change_url(lonely)).content.decode()


def test_link_state_shows_target_state_and_link_back_button(client, editor):
    """Each saved Also Read row says whether its story is live, hidden or pending, and
    offers to link back from a story that does not link here yet (headline escaped)."""
    story = ArticleFactory()
    one_way = CrossLinkFactory(source=story, target=ArticleFactory(headline="Tom & <Jerry>"))
    both_ways = CrossLinkFactory(source=story, target=draft(headline="Draft linking back"))
    CrossLinkFactory(source=both_ways.target, target=story)
    CrossLinkFactory(source=story, target=None, target_headline="Not written yet", order=1)
    content = client.get(change_url(story)).content.decode()
    title = (
        "Adds this story to the Related list of “Tom &amp; &lt;Jerry&gt;”; "
        "unsaved edits here are lost"
    )
    assertInHTML(
        f"""<p>Live <button type="submit" class="button" formnovalidate
        formaction="{link_back_url(story, one_way)}" title="{title}">Link back</button></p>""",
        content,
    )
    assertInHTML("<p>Draft (hidden)</p>", content)
    assertInHTML("<p>Pending: no story with this headline yet</p>", content)


def test_link_back_adds_the_reciprocal_link_once(client, editor):
    """One POST adds the reverse link to the Related list; repeating adds nothing more."""
    story, target = ArticleFactory(), ArticleFactory()
    link = CrossLinkFactory(source=story, target=target)
    url = reverse("admin:articles_article_link_back", args=[story.pk, link.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    back = CrossLink.objects.get(source=target)
    assert (back.target, back.placement) == (story, None)


def test_changing_slug_keeps_the_old_address(client, editor):
    """A renamed slug is kept as a redirect the reader's detail view can follow."""
    story = ArticleFactory(slug="old-address")
    response = client.post(change_url(story), article_data(story, slug="new-address"))
    assert response.status_code == 302
    assert SlugRedirect.objects.get().old_slug == "old-address"
    assert Article.objects.live().redirected_from("old-address") == story
    assert Article.objects.live().redirected_from("new-address") is None
    story.refresh_from_db()
    client.post(change_url(story), article_data(story, slug="old-address"))
    assert Article.objects.live().redirected_from("new-address") == story
    assert Article.objects.live().redirected_from("old-address") is None


def test_updated_time_is_set_when_a_live_story_changes(client, editor):
    """Correcting a live story's text marks it updated; touching a draft does not."""
    live = ArticleFactory(published_at=timezone.now() - timedelta(days=1))
    client.post(change_url(live), article_data(live, headline="Corrected headline"))
    live.refresh_from_db()
    assert live.updated_at and live.updated_at > live.published_at
    unchanged = ArticleFactory(published_at=timezone.now() - timedelta(days=1))
    client.post(change_url(unchanged), article_data(unchanged, source="AP"))
    unchanged.refresh_from_db()
    assert unchanged.updated_at is None  # the credit is not the story's content
    story = draft()
    client.post(change_url(story), article_data(story, headline="Draft headline changed"))
    story.refresh_from_db()
    assert story.updated_at is None


class TestPreview:
    def test_staff_preview_shows_a_draft_without_caching(self, client, editor):
        """Staff see a draft at its preview URL, never cached nor indexed."""
        story = draft(headline="Secret draft headline")
        response = client.get(reverse("articles:preview", args=[story.pk]))
        assert response.status_code == 200
        assert "Secret draft headline" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert "noindex" in response["X-Robots-Tag"]

    def test_readers_get_404(self, client):
        """A reader cannot open a preview, logged in or not."""
        story = draft()
        url = reverse("articles:preview", args=[story.pk])
        assert client.get(url).status_code == 404
        client.force_login(make_user("reader", None))
        assert client.get(url).status_code == 404


class TestTagInputs:
    """Commas separate tag names, spaces never do; a name the model refuses is a message."""

    def test_a_name_with_spaces_is_one_tag(self, client, editor):
        """ "Joe Biden" alone is one person, "Gaza ceasefire" one topic, "United States" one
        country (taggit's own parser splits on spaces when there is no comma)."""
        data = article_data(people="Joe Biden", topics="Gaza ceasefire", countries="United States")
        response = client.post(ADD_URL, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        story = Article.objects.get()
        assert list(story.people.names()) == ["Joe Biden"]
        assert list(story.topics.names()) == ["Gaza ceasefire"]
        assert list(story.countries.names()) == ["United States"]

    def test_commas_separate_names_and_quotes_are_optional(self, client, editor):
        """Names are what lies between commas, spacing tidied; quotes may wrap a name."""
        data = article_data(people=' Joe   Biden ,"Benjamin Netanyahu",, Dwayne "The Rock" Johnson')
        assert client.post(ADD_URL, data).status_code == 302
        assert sorted(Article.objects.get().people.names()) == [
            "Benjamin Netanyahu",
            'Dwayne "The Rock" Johnson',
            "Joe Biden",
        ]

    def test_names_with_commas_and_quotes_survive_an_unchanged_save(self, client, editor):
        """The form shows a name holding a comma or a quote in quotes, so saving the form
        as shown keeps each tag whole."""
        story = ArticleFactory(
            people=["Joe Biden", 'Dwayne "The Rock" Johnson', "Smith, John"],
            countries=["PS", "Israel"],
        )
        page = client.get(change_url(story)).content.decode()
        shown = {kind: input_value(page, kind) for kind in ("people", "countries")}
        assert shown["countries"] == 'Israel, "Palestine, State of"'
        data = article_data(story) | shown
        response = client.post(change_url(story), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert sorted(story.people.names()) == [
            'Dwayne "The Rock" Johnson',
            "Joe Biden",
            "Smith, John",
        ]
        assert sorted(story.countries.names()) == ["Israel", "Palestine, State of"]

    @pytest.mark.parametrize("kind", ["people", "topics"])
    @pytest.mark.parametrize("name", ["!!!", "🙂", "x" * 101])
    def test_a_name_without_an_address_is_a_form_error(self, client, editor, kind, name):
        """A name with no letter or digit (no address) or too long is a message on its
        field, never a server error, and nothing is saved."""
        response = client.post(ADD_URL, article_data(**{kind: f"Joe Biden, {name}"}))
        assert response.status_code == 200
        errors = str(response.context["adminform"].form.errors[kind])
        assert "cannot have an address" in errors or "at most 100" in errors
        assert not Article.objects.exists()
        assert not Person.objects.exists()


# The other-names (aliases) rows of a person's or topic's form: none.
NO_ALIAS_ROWS = {"aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"}


@pytest.mark.parametrize(
    ("model_name", "data"),
    [
        ("section", {"name": "!!!", "slug": "x", "position": 0}),
        ("author", {"name": "🙂", "slug": "x", "bio": ""}),
        ("person", {"name": "!!!", **NO_ALIAS_ROWS}),
        ("topic", {"name": "🙂", **NO_ALIAS_ROWS}),
    ],
)
def test_name_admins_refuse_a_name_without_an_address(client, editor, model_name, data):
    """Sections, authors and tags whose name has no letter or digit are refused with a
    message on the name (the model's own rule), not a server error."""
    url = reverse(f"admin:articles_{model_name}_add")
    response = client.post(url, data)
    assert response.status_code == 200
    assert NO_ADDRESS in str(response.context["adminform"].form.errors["name"])
    response = client.post(url, data | {"name": "Joe  Biden"})
    assert response.status_code == 302
