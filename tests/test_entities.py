from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.urls import reverse

from articles.editorial.admin_views import change_form_context
from articles.intelligence.entities import suggest_entities, suggest_for_article
from articles.models import NO_ADDRESS, Person
from tests.factories import ArticleFactory
from tests.intel_support import staff_user  # noqa: F401

# The seed story as it came off the wire: no header block, so no tags to read.
SEED = Path(__file__).resolve().parent / "data" / "seed_000_raw.txt"
SEED_FILE = Path(__file__).resolve().parent.parent / "seeds" / "000_2d377d215c9101e2.txt"
SEED_SUGGESTIONS = [
    "person: Benjamin Netanyahu",
    "person: Donald Trump",
    "person: Joe Biden",
    "person: Steve Witkoff",
    "country: IL Israel",
    "country: US United States",
    "country: IR Iran",
    "country: SA Saudi Arabia",
]

pytestmark = pytest.mark.django_db


def confident(headline, body="", **kwargs):
    return {str(s) for s in suggest_entities(headline, body, **kwargs) if s.is_confident}


def test_seed_story_yields_exactly_its_people_and_countries():
    """The seed story's raw text, with no tags in the database, gives the four people and
    four countries DESIGN.md names, and nothing else (no "White House", "Middle East",
    "Prime Minister" or "Gaza")."""
    assert not Person.objects.exists()
    assert confident("", SEED.read_text()) == set(SEED_SUGGESTIONS)


def test_seed_story_guesses_are_not_absurd_either():
    """Even below the confidence line nothing names a place or a title as a person."""
    names = {s.name for s in suggest_entities("", SEED.read_text())}
    for absurd in ("White House", "Middle East", "Prime Minister", "Gaza", "Hamas", "Trump's"):
        assert absurd not in names


def test_seed_story_mentions_are_counted_through_surnames():
    """Netanyahu is named in full once or twice but mentioned by surname many times; the
    surname mentions count and lift the confidence."""
    people = {s.name: s for s in suggest_entities("", SEED.read_text()) if s.kind == "person"}
    assert people["Benjamin Netanyahu"].mentions >= 8
    assert people["Benjamin Netanyahu"].confidence > people["Steve Witkoff"].confidence


def test_title_patterns_find_people_with_unknown_names():
    """A title before a name makes it a person even when the given name is unusual."""
    found = confident(
        "Talks resume",
        "Prime Minister Shehbaz Sharif met Foreign Minister Ishaq Dar. "
        "The ministry's spokesperson, Mumtaz Baloch, said talks went well.",
    )
    assert {"person: Shehbaz Sharif", "person: Ishaq Dar", "person: Mumtaz Baloch"} <= found
    assert not any("Minister" in s for s in found)


def test_names_at_sentence_start_and_possessives():
    """A name opening a sentence, after a sentence-opening word, or in the possessive is
    the same person; the possessive "'s" never becomes part of the name."""
    found = confident(
        "Biden's legacy",
        "When Joe Biden's term ended, critics spoke. Joe Biden said little. "
        "Biden’s aides declined to comment.",
    )
    assert found == {"person: Joe Biden"}


def test_a_surname_alone_is_not_a_person():
    """Without a full mention, "the Biden administration" suggests nobody."""
    assert confident("Policy shift", "The Biden administration changed course.") == set()


def test_known_people_are_found_by_full_name(article_factory):
    """A name the newsroom already tags is found even without title or common given name."""
    article_factory(people=["Keir Starmer", "Ursula von der Leyen"])
    found = {
        s.name: s.confidence for s in suggest_entities("", "Starmer aside, Keir Starmer spoke.")
    }
    assert found["Keir Starmer"] >= 0.9


def test_countries_by_name_alias_and_demonym():
    """Names, aliases and demonyms map to ISO codes: Israeli, US, American, Saudi, UK."""
    found = confident(
        "Envoys meet",
        "Israeli and Saudi officials met American diplomats. The US and the U.K. agreed; "
        "Russia and South Korea did not.",
    )
    assert found == {
        "country: IL Israel",
        "country: SA Saudi Arabia",
        "country: US United States",
        "country: GB United Kingdom",
        "country: RU Russian Federation",
        "country: KR South Korea",
    }


def test_georgia_is_at_most_a_guess():
    """ "Georgia" may be the US state: never a confident country suggestion."""
    suggestions = suggest_entities("Storm hits Georgia", "Georgia braces for the storm.")
    georgia = [s for s in suggestions if s.code == "GE"]
    assert georgia and not georgia[0].is_confident
    assert "country: GE Georgia" not in confident("Storm hits Georgia", "Georgia braces.")


def test_places_that_contain_country_words_are_not_countries():
    """New Mexico, New Jersey and Latin American are not Mexico, Jersey, the United States."""
    found = confident("Trip", "She flew from New Mexico to New Jersey with Latin American aides.")
    assert found == set()


def test_a_country_word_inside_a_name_is_part_of_the_name(article_factory):
    """ "Jordan" in a known person's name is not the country."""
    article_factory(people=["Jordan Bardella"])
    found = confident("Vote", "Jordan Bardella leads the polls.")
    assert found == {"person: Jordan Bardella"}


def test_html_body_and_also_read_lines():
    """HTML bodies are read as text, entities escaped in HTML are decoded, and Also Read
    lines (which describe other stories) are ignored."""
    body = "<p>President Emmanuel Macron &amp; aides met.</p><p>Also Read: Iran talks stall</p>"
    found = confident("Paris summit", body, is_html=True)
    assert found == {"person: Emmanuel Macron"}


def test_suggest_for_article_leaves_out_existing_tags(article_factory):
    """On the change form, tags the story already has are not offered again."""
    article = article_factory(
        headline="Trump meets Netanyahu",
        body="<p>President Donald Trump met Israeli Prime Minister Benjamin Netanyahu.</p>",
        people=["Donald Trump"],
        countries=["Israel"],
    )
    found = {str(s) for s in suggest_for_article(article)}
    assert found == {"person: Benjamin Netanyahu"}


def test_entity_suggestions_use_at_most_one_query(django_assert_max_num_queries, article_factory):
    """Finding entities costs one query (known people) however long the text."""
    article_factory(people=[f"Person Number{i}" for i in range(30)])
    text = SEED.read_text() * 5
    with django_assert_max_num_queries(1):
        suggest_entities("", text)


def test_suggest_tags_command_prints_one_suggestion_a_line(capsys):
    """`suggest_tags FILE` prints the seed's suggestions in the documented format."""
    call_command("suggest_tags", str(SEED))
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(SEED_SUGGESTIONS)


def test_suggest_tags_reads_story_files_without_their_tag_lines(tmp_path, capsys):
    """A story file's header gives headline and standfirst, not its People/Countries
    lines: with those lines naming someone absent from the text, nobody extra appears."""
    story = tmp_path / "story.txt"
    content = SEED_FILE.read_text().replace("People: ", "People: Kim Jong Un; ", 1)
    story.write_text(content)
    call_command("suggest_tags", str(story))
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(SEED_SUGGESTIONS)


def test_suggest_tags_command_verbose_shows_guesses(tmp_path, capsys):
    """With -v 2 the low-confidence guesses show too, each with its confidence."""
    story = tmp_path / "georgia.txt"
    story.write_text("Georgia braces for the storm.")
    call_command("suggest_tags", str(story))
    assert capsys.readouterr().out == ""
    call_command("suggest_tags", str(story), verbosity=2)
    assert capsys.readouterr().out.strip() == "country: GE Georgia  (0.30)"


def test_suggest_tags_command_rejects_unreadable_files(tmp_path):
    """A missing or binary file is a CommandError naming it, not a traceback."""
    with pytest.raises(CommandError, match="missing.txt"):
        call_command("suggest_tags", str(tmp_path / "missing.txt"))
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CommandError, match="binary.txt"):
        call_command("suggest_tags", str(binary))


def test_factory_article_is_unaffected():
    """Sanity: the default factory story (no names in it) yields no suggestions."""
    article = ArticleFactory()
    assert suggest_for_article(article) == []


def change(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def test_accepting_a_suggestion_adds_the_tag(client, django_user_model):
    """One click tags the person or the country (by ISO code) and returns to the form;
    the accepted suggestion is not offered again."""
    article = ArticleFactory(
        body="<p>President Donald Trump spoke with Israeli officials.</p>", people=[]
    )
    url = reverse("newsroom_admin:accept_entity", args=[article.pk])
    client.force_login(staff_user(django_user_model, "articles.change_article"))
    response = client.post(url, {"suggested_tag": "person:Donald Trump"})
    assert response.status_code == 302 and response["Location"] == change(article)
    response = client.post(url, {"suggested_tag": "country:IL"})
    assert response.status_code == 302
    assert list(article.people.names()) == ["Donald Trump"]
    assert [c.code for c in article.countries.all()] == ["IL"]
    assert suggest_for_article(article) == []


def test_accept_refuses_bad_input_and_the_unauthorised(client, django_user_model):
    """Anonymous users go to login, staff without change permission get 403, unknown
    kinds and countries are a message and tag nothing."""
    article = ArticleFactory()
    url = reverse("newsroom_admin:accept_entity", args=[article.pk])
    response = client.post(url, {"suggested_tag": "person:Donald Trump"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(staff_user(django_user_model, "articles.view_article", username="v"))
    assert client.post(url, {"suggested_tag": "person:Donald Trump"}).status_code == 403
    client.force_login(
        staff_user(django_user_model, "articles.change_article", "articles.view_article")
    )
    for bad in (
        {"suggested_tag": "topic:Gaza"},
        {"suggested_tag": "country:Atlantis"},
        {"suggested_tag": "person:"},
        {"suggested_tag": "person:" + "x" * 500},
        {"suggested_tag": "person:!!!"},
    ):
        response = client.post(url, bad, follow=True)
        assert response.status_code == 200
    response = client.post(url, {"suggested_tag": "country:Atlantis"}, follow=True)
    assert "unknown country “atlantis”" in response.content.decode().lower()
    response = client.post(url, {"suggested_tag": "person:🙂"}, follow=True)
    assert NO_ADDRESS in response.content.decode()
    assert not article.people.exists() and not article.countries.exists()


def test_entity_suggestions_partial_renders_accept_forms(rf, django_user_model):
    """The change-form partial offers each suggestion with a POST form carrying the kind
    and the name (a country by its code)."""
    article = ArticleFactory(body="<p>Prime Minister Benjamin Netanyahu visited Iran.</p>")
    request = rf.get("/")
    request.user = staff_user(django_user_model, "articles.change_article")
    context = change_form_context(article, request)
    assert "link_suggestions" not in context  # no add_crosslink permission
    html = render_to_string(
        "admin/articles/includes/entity_suggestions.html",
        {"original": article, **context},
        request=request,
    )
    assert html.count("<form ") == 1
    assert html.count('name="suggested_tag"') == 2
    assert 'value="person:Benjamin Netanyahu"' in html
    assert 'value="country:IR"' in html
    assert "csrfmiddlewaretoken" in html


def test_an_empty_also_read_line_does_not_break_suggestions():
    """Copy with a bare "Also Read:" line (a mistake the importer reports) still gets
    suggestions: this runs on every save and must never fail on odd text."""
    found = confident("", "President Joe Biden spoke.\n\nAlso Read:\n\nRelated: Iran")
    assert found == {"person: Joe Biden"}


def test_names_with_particles_and_country_words():
    """ "bin", "von der" stay inside a name; a demonym before a title is a country, not a
    first name; "Jordan" opening a person's name is not the country, but "Jordan's" is."""
    found = confident(
        "Gulf diplomacy",
        "Saudi Crown Prince Mohammed bin Salman met Ursula von der Leyen. "
        "Jordan's foreign minister, Ayman Safadi, joined Jordan Bardella later.",
    )
    assert found == {
        "person: Mohammed bin Salman",
        "person: Ursula von der Leyen",
        "person: Ayman Safadi",
        "person: Jordan Bardella",
        "country: SA Saudi Arabia",
        "country: JO Jordan",
    }


def test_title_case_headlines_do_not_make_verbs_into_names():
    """In Title Case every word is capitalised: names are still cut out of the run, and
    "Trade Deal" or "White House" never become people."""
    assert confident("Joe Biden Says Trade Deal Is Close") == {"person: Joe Biden"}
    assert confident("Netanyahu Invites Steve Witkoff To The White House") == {
        "person: Steve Witkoff"
    }
    assert confident("President Joe Biden Hosts Saudi Crown Prince") == {
        "person: Joe Biden",
        "country: SA Saudi Arabia",
    }


def test_a_title_and_a_known_surname_name_a_known_person(article_factory):
    """ "President Trump" is Donald Trump when the newsroom tags exactly one Trump; a
    surname two tagged people share ("Speaker Johnson") stays unresolved; with nobody
    tagged, a lone surname suggests nobody."""
    text = "President Trump met Prime Minister Starmer and Speaker Johnson. Trump left."
    assert confident("", text) == set()
    article_factory(people=["Donald Trump", "Keir Starmer", "Boris Johnson", "Mike Johnson"])
    found = {s.name: s for s in suggest_entities("", text) if s.is_confident}
    assert set(found) == {"Donald Trump", "Keir Starmer"}
    assert found["Donald Trump"].mentions == 2


def test_a_known_surname_query_is_still_one_query(django_assert_num_queries, article_factory):
    """Full names and titled surnames are looked up together, in one query."""
    article_factory(people=["Donald Trump"])
    with django_assert_num_queries(1):
        suggest_entities("", "President Trump met Joe Biden and Prime Minister Starmer.")


def test_suggestions_for_a_story_cost_two_queries(django_assert_num_queries, article_factory):
    """Known people and the story's own tags: two queries, however many tags it has."""
    article = article_factory(
        body="<p>President Donald Trump met Israeli Prime Minister Benjamin Netanyahu.</p>",
        people=[f"Person {i}" for i in range(20)],
        countries=["France", "Israel", "Chile"],
    )
    with django_assert_num_queries(2):
        found = suggest_for_article(article)
    assert {str(s) for s in found} == {"person: Donald Trump", "person: Benjamin Netanyahu"}
