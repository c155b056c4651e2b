"""Tag governance: merging and renaming people, countries, topics, sections and authors, with
their old addresses answering 301; aliases that imports, suggestions, the story form and
search resolve; the duplicates page; identity (description, Wikidata) on hubs."""

import json
import re
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import caching, governance
from articles.importing import import_stories
from articles.intelligence.entities import suggest_entities
from articles.models import (
    Article,
    AuditEntry,
    Author,
    Byline,
    Country,
    Person,
    PersonAlias,
    TaggedCountry,
    TaggedPerson,
    TagRedirect,
    Topic,
    TopicAlias,
)
from tests.admin_support import ADD_URL, article_data, make_user
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, draft
from tests.test_caching import settle

pytestmark = pytest.mark.django_db

FORMATS = ("rss", "atom", "json")
# The duplicates page: session, user, permissions, the rows with their counts, the aliases.
DUPLICATES_PAGE_BUDGET = 6


@pytest.fixture
def editor(client):
    user = make_user("eddie", "Editor")
    client.force_login(user)
    return user


@pytest.fixture
def writer(client):
    user = make_user("wendy", "Writer")
    client.force_login(user)
    return user


def netanyahus():
    """Three names of one man on four stories (one a draft), two stories sharing names."""
    stories = [
        ArticleFactory(headline="Story one", people=["Benjamin Netanyahu"]),
        ArticleFactory(headline="Story two", people=["Benjamin Netanyahu", "Netanyahu"]),
        ArticleFactory(headline="Story three", people=["Netanyahu", "Bibi Netanyahu"]),
        draft(headline="Story four", people=["Bibi Netanyahu"]),
    ]
    names = ("Benjamin Netanyahu", "Netanyahu", "Bibi Netanyahu")
    return stories, [Person.objects.get(name=name) for name in names]


def misspelt_country(name="Isreal", slug="isreal", code=""):
    """A country row from before names were checked: its save() would refuse it."""
    Country.objects.bulk_create([Country(name=name, slug=slug, code=code)])
    return Country.objects.get(slug=slug)


# Merge: the rule ---------------------------------------------------------------------------


def test_merge_moves_every_story_once_and_leaves_no_duplicate_rows():
    """Every story tagged with any of the names ends tagged with the survivor once, with
    its listing time; the others are gone, their names are aliases, their addresses
    redirects; the changed stories' revisions moved; one audit entry names them."""
    stories, (benjamin, netanyahu, bibi) = netanyahus()
    revisions = {story.pk: story.revision for story in Article.objects.all()}

    result = governance.merge(survivor=benjamin, others=[netanyahu, bibi], actor="test")

    assert result.stories == 3
    rows = TaggedPerson.objects.filter(content_object__in=stories)
    assert sorted(rows.values_list("content_object", flat=True)) == sorted(s.pk for s in stories)
    assert set(rows.values_list("tag", flat=True)) == {benjamin.pk}
    for row in rows.select_related("content_object"):
        assert row.listed_at == row.content_object.listed_at
    assert list(Person.objects.values_list("name", flat=True)) == ["Benjamin Netanyahu"]
    assert sorted(benjamin.aliases.values_list("name", flat=True)) == [
        "Bibi Netanyahu",
        "Netanyahu",
    ]
    assert sorted(benjamin.redirects.values_list("old_slug", flat=True)) == [
        "bibi-netanyahu",
        "netanyahu",
    ]
    moved = {s.pk: s.revision - revisions[s.pk] for s in Article.objects.all()}
    assert moved == {stories[0].pk: 0, stories[1].pk: 1, stories[2].pk: 1, stories[3].pk: 1}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MERGED)
    assert (entry.actor, entry.subject_type, entry.subject_id) == ("test", "person", benjamin.pk)
    assert "“Netanyahu”" in entry.detail and "“Bibi Netanyahu”" in entry.detail


def test_a_merge_keeps_the_identity_the_survivor_lacks():
    """The survivor keeps its own description and takes a Wikidata item only a merged
    person had."""
    ArticleFactory(people=["Benjamin Netanyahu", "Bibi"])
    Person.objects.filter(name="Bibi").update(wikidata_id="Q43915", description="Nickname.")
    Person.objects.filter(name="Benjamin Netanyahu").update(description="Prime Minister.")
    survivor = Person.objects.get(name="Benjamin Netanyahu")
    governance.merge(survivor=survivor, others=[Person.objects.get(name="Bibi")])
    survivor.refresh_from_db()
    assert (survivor.description, survivor.wikidata_id) == ("Prime Minister.", "Q43915")


def test_merging_authors_keeps_each_byline_in_place_without_duplicates():
    """A byline of a merged author keeps the place of the first of the merged names."""
    keep, other, third = (AuthorFactory(name=n) for n in ("Asha Rao", "A. Rao", "Sam Lee"))
    both = ArticleFactory(authors=[other, third, keep])
    one = ArticleFactory(authors=[third, other])

    governance.merge(survivor=keep, others=[other])

    def byline(story):
        return list(Byline.objects.filter(article=story).values_list("author__name", flat=True))

    assert byline(both) == ["Asha Rao", "Sam Lee"]
    assert byline(one) == ["Sam Lee", "Asha Rao"]
    assert not Author.objects.filter(pk=other.pk).exists()


def test_merging_sections_moves_their_stories():
    keep, other = SectionFactory(name="Middle East"), SectionFactory(name="Mideast")
    story = ArticleFactory(section=other)
    governance.merge(survivor=keep, others=[other])
    story.refresh_from_db()
    assert story.section == keep
    assert TagRedirect.objects.get(old_slug="mideast").target == keep


def test_a_misspelt_country_merges_into_the_real_one():
    """A row that is no ISO country (a misspelt name, no code) merges into the real one."""
    wrong, odd = misspelt_country(), misspelt_country("Israel (state)", "israel-state", "ZZ")
    story = ArticleFactory()
    TaggedCountry.objects.create(content_object=story, tag=wrong)
    both = ArticleFactory(countries=["Israel"])
    TaggedCountry.objects.create(content_object=both, tag=wrong)
    TaggedCountry.objects.create(content_object=both, tag=odd)
    israel = Country.objects.get(code="IL")

    governance.merge(survivor=israel, others=[wrong, odd])

    assert list(story.countries.names()) == ["Israel"]
    assert TaggedCountry.objects.filter(content_object=both).count() == 1
    assert list(Country.objects.all()) == [israel]
    assert set(israel.redirects.values_list("old_slug", flat=True)) == {"isreal", "israel-state"}


def test_two_real_countries_are_never_merged():
    """Israel and Iran stay two; merging anything into a row that is no country is refused
    too. Nothing is written."""
    story = ArticleFactory(countries=["Israel", "Iran"])
    israel, iran = Country.objects.get(code="IL"), Country.objects.get(code="IR")
    with pytest.raises(governance.MergeRefused, match="two ISO 3166 countries"):
        governance.merge(survivor=israel, others=[iran])
    wrong = misspelt_country()
    with pytest.raises(governance.MergeRefused, match="not an ISO 3166 country"):
        governance.merge(survivor=wrong, others=[israel])
    assert sorted(story.countries.names()) == ["Iran", "Israel"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGED).exists()


# Old addresses ---------------------------------------------------------------------------


def hub_url(kind, slug):
    return f"/{kind}/{slug}/"


def feed_url(kind, slug, format):
    return reverse("articles:hub_feed", args=[kind, slug, format])


def merged_pair(kind):
    """A survivor and a merged row of each kind of hub, each on a live story."""
    if kind == "countries":
        ArticleFactory(countries=["IL"])
        survivor, other = Country.objects.get(code="IL"), misspelt_country()
        TaggedCountry.objects.create(content_object=ArticleFactory(), tag=other)
        return survivor, other
    if kind in ("people", "topics"):
        ArticleFactory(**{kind: ["Gaza truce talks", "Truce talks"]})
        model = Person if kind == "people" else Topic
        return model.objects.get(name="Gaza truce talks"), model.objects.get(name="Truce talks")
    if kind == "sections":
        survivor, other = SectionFactory(name="Middle East"), SectionFactory(name="Mideast")
        ArticleFactory(section=survivor), ArticleFactory(section=other)
        return survivor, other
    survivor, other = AuthorFactory(name="Asha Rao"), AuthorFactory(name="A Rao")
    ArticleFactory(authors=[survivor]), ArticleFactory(authors=[other])
    return survivor, other


@pytest.mark.parametrize("kind", ["people", "topics", "countries", "sections", "authors"])
def test_a_merged_hub_and_its_feeds_answer_301_at_once(client, kind):
    """The merged hub's page and every feed, cached beforehand, answer 301 to the
    survivor's on the next request: GET, HEAD and conditional GET alike."""
    survivor, other = merged_pair(kind)
    settle()
    old_urls = [hub_url(kind, other.slug), *(feed_url(kind, other.slug, f) for f in FORMATS)]
    validators = {}
    for url in old_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        validators[url] = response

    governance.merge(survivor=survivor, others=[other])

    expected = [hub_url(kind, survivor.slug), *(feed_url(kind, survivor.slug, f) for f in FORMATS)]
    for url, target in zip(old_urls, expected, strict=True):
        before = validators[url]
        conditional = {
            "HTTP_IF_NONE_MATCH": before["ETag"],
            "HTTP_IF_MODIFIED_SINCE": before["Last-Modified"],
        }
        for response in (client.get(url), client.head(url), client.get(url, **conditional)):
            assert response.status_code == 301, url
            assert response["Location"] == target
        assert client.get(target).status_code == 200


def test_a_redirect_is_only_to_a_hub_readers_may_see(client):
    """An old address leads nowhere while its hub has no live story (a draft's person)."""
    story = draft(people=["Hidden Person", "Hidden P"])
    survivor, other = Person.objects.get(name="Hidden Person"), Person.objects.get(name="Hidden P")
    governance.merge(survivor=survivor, others=[other])
    assert client.get(hub_url("people", "hidden-p")).status_code == 404
    story.status, story.published_at = Article.Status.PUBLISHED, story.created_at
    story.save()
    assert client.get(hub_url("people", "hidden-p")).status_code == 301


def test_sitemaps_list_only_the_survivors(client):
    _, (benjamin, netanyahu, bibi) = netanyahus()
    governance.merge(survivor=benjamin, others=[netanyahu, bibi])
    sitemap = client.get("/sitemap-people.xml").content.decode()
    assert "/people/benjamin-netanyahu/" in sitemap
    assert "/people/netanyahu/" not in sitemap
    assert "/people/bibi-netanyahu/" not in sitemap


def test_redirect_chains_collapse():
    """A merged into B, then B into C: A's address leads straight to C."""
    ArticleFactory(topics=["Truce", "Gaza truce", "Gaza ceasefire"])
    truce, gaza_truce, ceasefire = (
        Topic.objects.get(name=name) for name in ("Truce", "Gaza truce", "Gaza ceasefire")
    )
    governance.merge(survivor=gaza_truce, others=[truce])
    governance.merge(survivor=ceasefire, others=[gaza_truce])
    assert {r.old_slug: r.target for r in TagRedirect.objects.all()} == {
        "truce": ceasefire,
        "gaza-truce": ceasefire,
    }
    assert sorted(ceasefire.aliases.values_list("name", flat=True)) == ["Gaza truce", "Truce"]


def test_a_hub_taking_an_old_address_wins_over_the_redirect(client):
    keep, other = SectionFactory(name="Middle East"), SectionFactory(name="Gaza")
    ArticleFactory(section=keep)
    governance.merge(survivor=keep, others=[other])
    assert client.get("/sections/gaza/").status_code == 301
    ArticleFactory(section=SectionFactory(name="Gaza"))
    assert client.get("/sections/gaza/").status_code == 200
    assert not TagRedirect.objects.filter(old_slug="gaza").exists()


# Rename ----------------------------------------------------------------------------------


def test_renaming_a_tag_in_the_admin_moves_its_address_and_keeps_the_old_one(client, editor):
    """The slug follows the new name; the old hub and feeds answer 301; the old name is an
    alias (the next import finds the tag); the stories' revisions move; it is recorded."""
    story = ArticleFactory(people=["Benjamin Netanyahu"])
    person = Person.objects.get()
    for url in [hub_url("people", person.slug), feed_url("people", person.slug, "atom")]:
        assert client.get(url).status_code == 200  # staff: not cached, but a real page
    response = client.post(
        reverse("admin:articles_person_change", args=[person.pk]),
        {
            "name": "Binyamin Netanyahu",
            "description": "",
            "wikidata_id": "",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.slug) == ("Binyamin Netanyahu", "binyamin-netanyahu")
    client.logout()
    assert client.get("/people/benjamin-netanyahu/")["Location"] == "/people/binyamin-netanyahu/"
    old_feed = client.head(feed_url("people", "benjamin-netanyahu", "atom"))
    assert old_feed.status_code == 301
    assert old_feed["Location"] == feed_url("people", "binyamin-netanyahu", "atom")
    assert list(person.aliases.values_list("name", flat=True)) == ["Benjamin Netanyahu"]
    assert Article.objects.get(pk=story.pk).revision == story.revision + 1
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RENAMED)
    assert (entry.actor, entry.subject_id) == ("eddie", person.pk)
    assert "benjamin-netanyahu" in entry.detail and "binyamin-netanyahu" in entry.detail


def test_renames_collapse_and_case_changes_keep_the_address(client):
    ArticleFactory(topics=["Ceasefire"])
    topic = Topic.objects.get()
    governance.rename(obj=topic, name="ceasefire")  # the same address
    assert topic.slug == "ceasefire" and not TagRedirect.objects.exists()
    governance.rename(obj=topic, name="Gaza truce")
    governance.rename(obj=topic, name="Gaza ceasefire")
    assert {r.old_slug for r in topic.redirects.all()} == {"ceasefire", "gaza-truce"}
    assert client.get("/topics/ceasefire/")["Location"] == "/topics/gaza-ceasefire/"


def test_a_section_keeps_its_old_address_when_its_slug_changes(client, editor):
    section = SectionFactory(name="World")
    ArticleFactory(section=section)
    response = client.post(
        reverse("admin:articles_section_change", args=[section.pk]),
        {"name": "World news", "slug": "world-news", "position": 0},
    )
    assert response.status_code == 302
    client.logout()
    assert client.get("/sections/world/")["Location"] == "/sections/world-news/"
    assert client.get("/sections/world/feed/json/")["Location"] == "/sections/world-news/feed/json/"


# Aliases ---------------------------------------------------------------------------------


@pytest.fixture
def aliases():
    ArticleFactory(people=["Benjamin Netanyahu", "Joe Biden"], topics=["Gaza ceasefire"])
    benjamin, biden = (
        Person.objects.get(name="Benjamin Netanyahu"),
        Person.objects.get(name="Joe Biden"),
    )
    PersonAlias.objects.create(tag=benjamin, name="Bibi Netanyahu")
    PersonAlias.objects.create(tag=biden, name="Biden")
    PersonAlias.objects.create(tag=biden, name="President Biden")
    TopicAlias.objects.create(tag=Topic.objects.get(), name="Gaza truce")
    return benjamin, biden


def test_tagging_with_an_alias_tags_the_person(aliases):
    story = ArticleFactory()
    story.people.add("bibi  netanyahu", "President Biden")
    story.topics.set(["Gaza Truce"])
    assert sorted(story.people.names()) == ["Benjamin Netanyahu", "Joe Biden"]
    assert list(story.topics.names()) == ["Gaza ceasefire"]
    assert Person.objects.count() == 2


def test_import_resolves_aliases(aliases, tmp_path):
    (tmp_path / "story.txt").write_text(
        "Headline: Talks in Washington\nPublished: 2025-01-29T09:30:00+00:00\n"
        "People: Bibi Netanyahu; Biden\nTopics: Gaza truce\n\nThey met.\n"
    )
    import_stories([tmp_path])
    story = Article.objects.get(slug="talks-in-washington")
    assert sorted(story.people.names()) == ["Benjamin Netanyahu", "Joe Biden"]
    assert list(story.topics.names()) == ["Gaza ceasefire"]
    assert Person.objects.count() == 2


def test_suggestions_resolve_aliases(aliases):
    """``Bibi Netanyahu``, ``President Biden`` and a lone ``Biden`` are the tagged people."""
    found = {
        str(s)
        for s in suggest_entities(
            "Bibi Netanyahu flies to Washington",
            "Bibi Netanyahu will meet President Biden on Monday. Biden said talks would help.",
        )
        if s.is_confident and s.kind == "person"
    }
    assert found == {"person: Benjamin Netanyahu", "person: Joe Biden"}


def test_the_story_form_resolves_aliases(client, editor, aliases):
    response = client.post(
        ADD_URL,
        article_data(headline="Talks", slug="talks", people="Bibi Netanyahu, Biden"),
    )
    assert response.status_code == 302
    story = Article.objects.get(slug="talks")
    assert sorted(story.people.names()) == ["Benjamin Netanyahu", "Joe Biden"]


def test_search_for_an_alias_finds_the_hub(client, aliases):
    html = client.get("/search/", {"q": "bibi netanyahu"}).content.decode()
    assert 'href="/people/benjamin-netanyahu/">Benjamin Netanyahu</a>' in html
    html = client.get("/search/", {"q": "Gaza truce"}).content.decode()
    assert 'href="/topics/gaza-ceasefire/">Gaza ceasefire</a>' in html
    html = client.get("/search/", {"q": "IL"}).content.decode()
    assert "hub-matches" not in html  # no live story tagged Israel
    draft(people=["Secret Source"])
    assert "hub-matches" not in client.get("/search/", {"q": "Secret Source"}).content.decode()


def test_a_name_is_an_alias_of_one_tag_and_never_also_a_tag_name(aliases):
    benjamin, biden = aliases

    def refusal(row) -> str:
        with pytest.raises(ValidationError) as refused:
            row.full_clean()
        return " ".join(refused.value.messages)

    assert "name of a tag" in refusal(PersonAlias(tag=benjamin, name="joe biden"))
    assert "another name of “Joe Biden”" in refusal(PersonAlias(tag=benjamin, name="BIDEN"))
    assert "another name of “Benjamin Netanyahu”" in refusal(Person(name="Bibi Netanyahu"))


def test_the_admin_refuses_a_person_named_like_an_alias(client, editor, aliases):
    response = client.post(
        reverse("admin:articles_person_add"),
        {"name": "Bibi Netanyahu", "aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    assert "another name of" in str(response.context["adminform"].form.errors["name"])


# Duplicates page and merging in the admin ----------------------------------------------------


def duplicates_url(model_name="person"):
    return reverse(f"admin:articles_{model_name}_duplicates")


def merge_url(model_name="person"):
    return reverse(f"admin:articles_{model_name}_merge")


def test_likely_duplicates():
    """Same name but for case, accents and punctuation; a name within another. A surname
    two people end with is nobody's in particular. Real countries are never flagged."""
    names = [
        "Benjamin Netanyahu",
        "Benjamín Netanyahu.",
        "Donald Trump",
        "Melania Trump",
        "Trump",
        "Joe Biden",
        "Joe Biden Jr",
    ]
    people = [Person.objects.create(name=name) for name in names]
    found = governance.likely_duplicates(people)

    def flagged(name):
        pk = next(p.pk for p in people if p.name == name)
        return sorted(d.other.name for d in found.get(pk, []))

    assert flagged("Benjamin Netanyahu") == ["Benjamín Netanyahu."]
    assert flagged("Trump") == []
    assert flagged("Joe Biden") == ["Joe Biden Jr"]
    topics = [Topic.objects.create(name=n) for n in ("Gaza", "Gaza ceasefire", "Ceasefire")]
    assert sorted(d.other.name for d in governance.likely_duplicates(topics)[topics[1].pk]) == [
        "Ceasefire",
        "Gaza",
    ]
    countries = [Country.objects.create(name=n) for n in ("Guinea", "Papua New Guinea")]
    countries.append(misspelt_country(name="Guinea.", slug="guinea-2"))
    found = governance.likely_duplicates(countries)
    assert [d.other.name for d in found[countries[0].pk]] == ["Guinea."]
    assert [d.other.name for d in found[countries[1].pk]] == ["Guinea."]  # not Guinea


def test_a_lone_surname_of_one_person_is_flagged():
    people = [Person.objects.create(name=n) for n in ("Steve Witkoff", "Witkoff")]
    found = governance.likely_duplicates(people)
    assert [d.other.name for d in found[people[1].pk]] == ["Steve Witkoff"]
    assert "surname" in found[people[1].pk][0].reason


def test_duplicates_page_lists_counts_and_offers_a_merge(client, editor):
    ArticleFactory(people=["Steve Witkoff"])
    (
        ArticleFactory(people=["Witkoff"]),
        ArticleFactory(people=["Witkoff"]),
        draft(people=["Witkoff"]),
    )
    html = client.get(duplicates_url()).content.decode()
    row = re.search(
        r'<tr class="flagged">\s*<th scope="row"><a[^>]*>Witkoff</a>.*?</tr>', html, re.S
    )
    assert row, html
    assert "<td>2</td>" in row.group()  # live stories: the draft does not count
    assert f'action="{merge_url()}"' in row.group()
    assert 'name="csrfmiddlewaretoken"' in row.group()
    assert "Merge into “Witkoff”…" in row.group()  # on more live stories


def count_page_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_duplicates_page_queries_do_not_grow_with_tags(client, editor):
    ArticleFactory(people=["Person 0", "P0"], topics=["Topic 0"])
    few = count_page_queries(client, duplicates_url())
    for n in range(1, 30):
        ArticleFactory(people=[f"Person {n}", f"Person {n} Jr"], topics=[f"Topic {n}"])
    PersonAlias.objects.create(tag=Person.objects.get(name="Person 3"), name="Pers Three")
    assert count_page_queries(client, duplicates_url()) == few <= DUPLICATES_PAGE_BUDGET
    for model_name in ("topic", "country", "section", "author"):
        assert client.get(duplicates_url(model_name)).status_code == 200


def test_one_click_merge_asks_first_then_merges(client, editor):
    _, (benjamin, netanyahu, _) = netanyahus()
    chosen = {ACTION_CHECKBOX_NAME: [benjamin.pk, netanyahu.pk], "survivor": benjamin.pk}
    confirm = client.post(merge_url(), chosen | {"next": duplicates_url()})
    assert confirm.status_code == 200
    assert Person.objects.filter(pk=netanyahu.pk).exists()
    html = confirm.content.decode()
    assert f'value="{benjamin.pk}" id="survivor-{benjamin.pk}" checked' in html
    done = client.post(merge_url(), chosen | {"confirmed": "yes", "next": duplicates_url()})
    assert done.status_code == 302 and done["Location"] == duplicates_url()
    assert not Person.objects.filter(pk=netanyahu.pk).exists()
    assert AuditEntry.objects.get(action="merged").actor == "eddie"


def test_the_merge_action_shows_the_confirmation(client, editor):
    _, people = netanyahus()
    response = client.post(
        reverse("admin:articles_person_changelist"),
        {"action": "merge_selected", ACTION_CHECKBOX_NAME: [p.pk for p in people]},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "admin/articles/merge_confirmation.html"
    assert f'action="{merge_url()}"' in response.content.decode()


def test_the_admin_refuses_to_merge_two_countries(client, editor):
    ArticleFactory(countries=["Israel", "Iran"])
    pks = list(Country.objects.values_list("pk", flat=True))
    response = client.post(
        merge_url("country"),
        {ACTION_CHECKBOX_NAME: pks, "survivor": pks[0], "confirmed": "yes"},
        follow=True,
    )
    assert "two ISO 3166 countries" in response.content.decode()
    assert Country.objects.count() == 2


@pytest.mark.parametrize("bad", [["x"], ["1"], []])
def test_a_merge_of_fewer_than_two_is_sent_back(client, editor, bad):
    response = client.post(merge_url(), {ACTION_CHECKBOX_NAME: bad, "confirmed": "yes"})
    assert response.status_code == 302


def test_writers_cannot_merge(client, writer):
    """Writers lack the tag change permissions: no merge, no duplicates page (403), and
    the action is not offered."""
    _, (benjamin, netanyahu, _) = netanyahus()
    assert not writer.has_perm("articles.change_person")
    data = {ACTION_CHECKBOX_NAME: [benjamin.pk, netanyahu.pk], "survivor": benjamin.pk}
    assert client.post(merge_url(), data | {"confirmed": "yes"}).status_code == 403
    assert client.get(duplicates_url()).status_code == 403
    changelist = client.get(reverse("admin:articles_person_changelist"))
    assert "merge_selected" not in changelist.content.decode()
    assert Person.objects.filter(pk=netanyahu.pk).exists()


def test_merging_needs_a_post(client, editor):
    assert client.get(merge_url()).status_code == 405


# The command -----------------------------------------------------------------------------


def test_merge_tags_command():
    _, (benjamin, netanyahu, bibi) = netanyahus()
    out = StringIO()
    call_command(
        "merge_tags", "person", "netanyahu", "Bibi Netanyahu", into="Benjamin Netanyahu", stdout=out
    )
    assert "into “Benjamin Netanyahu”: 3 stories moved" in out.getvalue()
    assert list(Person.objects.all()) == [benjamin]
    assert AuditEntry.objects.get(action="merged").actor == "merge_tags"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["planet", "Mars"], "unknown kind “planet”"),
        (["person", "Nobody Here"], "no person called “Nobody Here”"),
        (["person", "Benjamin Netanyahu"], "at least two"),
        (["country", "Iran"], "two ISO 3166 countries"),
    ],
)
def test_merge_tags_command_errors(args, message):
    ArticleFactory(people=["Benjamin Netanyahu"], countries=["Israel", "Iran"])
    into = "Israel" if args[0] == "country" else "Benjamin Netanyahu"
    with pytest.raises(CommandError, match=message):
        call_command("merge_tags", *args, into=into)


# Identity ----------------------------------------------------------------------------------


def test_hub_shows_the_description_and_names_the_wikidata_item(client):
    ArticleFactory(people=["Benjamin Netanyahu"])
    Person.objects.update(description="Prime Minister of Israel.", wikidata_id="Q43915")
    html = client.get("/people/benjamin-netanyahu/").content.decode()
    assert '<p class="hub-description">Prime Minister of Israel.</p>' in html
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    page = next(d for d in map(json.loads, scripts) if d["@type"] == "CollectionPage")
    assert page["about"]["@type"] == "Person"
    assert page["about"]["sameAs"] == ["https://www.wikidata.org/wiki/Q43915"]
    assert page["about"]["description"] == "Prime Minister of Israel."


def test_wikidata_ids_are_checked_and_unique(client, editor):
    ArticleFactory(people=["Benjamin Netanyahu", "Bibi"])
    benjamin, bibi = Person.objects.get(name="Benjamin Netanyahu"), Person.objects.get(name="Bibi")
    url = reverse("admin:articles_person_change", args=[benjamin.pk])
    form = {"name": benjamin.name, "description": "", "aliases-TOTAL_FORMS": "0"}
    form["aliases-INITIAL_FORMS"] = "0"
    assert (
        client.post(url, form | {"wikidata_id": "https://www.wikidata.org/wiki/q43915"}).status_code
        == 302
    )
    benjamin.refresh_from_db()
    assert benjamin.wikidata_id == "Q43915"
    refused = client.post(url, form | {"wikidata_id": "X12"})
    assert "Q and digits" in str(refused.context["adminform"].form.errors)
    bibi_url = reverse("admin:articles_person_change", args=[bibi.pk])
    taken = client.post(bibi_url, form | {"name": "Bibi", "wikidata_id": "Q43915"})
    assert "merge the two" in str(taken.context["adminform"].form.errors)


# Caches ----------------------------------------------------------------------------------


def test_a_merge_starts_a_new_content_generation(client):
    """With the default cache: the survivor's cached hub shows the moved stories at once."""
    stories, (benjamin, netanyahu, bibi) = netanyahus()
    before = client.get("/people/benjamin-netanyahu/")
    assert "Story three" not in before.content.decode()
    generation = caching.generation()
    governance.merge(survivor=benjamin, others=[netanyahu, bibi])
    assert caching.generation() != generation
    after = client.get("/people/benjamin-netanyahu/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert "Story three" in after.content.decode()
    assert "Story four" not in after.content.decode()  # a draft
