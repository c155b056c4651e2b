"""The public pages a reader sees: front page, archive, article page, search, errors."""

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.template import loader
from django.urls import reverse
from django.utils import timezone

from articles import text
from articles.importing import story_text
from articles.models import CrossLink, SlugRedirect
from articles.text import place_links
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    ImageFactory,
    SectionFactory,
    draft,
)
from tests.paging import older_link

pytestmark = pytest.mark.django_db


def body_of(*paragraphs):
    return text.text_to_html(list(paragraphs))


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def news_article(html: str) -> dict:
    return next(data for data in json_ld(html) if data["@type"] == "NewsArticle")


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


# Front page and archive


def test_front_page_shows_lead_sections_and_archive_link(client):
    """The newest story leads; each section has a block of its newest stories, the lead
    not among them (it is not repeated right below itself); the archive is linked."""
    business = SectionFactory(name="Business", position=2)
    world = SectionFactory(name="World", position=1)
    older = ArticleFactory(headline="Older world story", section=world, published_at=ago(days=2))
    money = ArticleFactory(headline="Markets rally", section=business, published_at=ago(days=1))
    lead = ArticleFactory(
        headline="Lead story of the day", section=world, published_at=ago(hours=1)
    )

    response = client.get(reverse("articles:front"))

    assert response.status_code == 200
    assert response.context["lead"] == lead
    assert response.context["sections"] == [(world, [older]), (business, [money])]
    html = response.content.decode()
    assert html.count(lead.get_absolute_url()) == 1
    assert 'class="card card-lead"' in html
    assert reverse("articles:archive") in html
    assert reverse("articles:section", kwargs={"slug": business.slug}) in html


def test_front_page_leads_with_the_newest_story_and_its_picture(client):
    """The lead shows its photo first (fetchpriority high, a 16:9 rendition with srcset);
    no other picture on the page is fetched before it."""
    lead = ArticleFactory(headline="Lead with a photo", lead_image=ImageFactory())
    html = client.get("/").content.decode()
    card = html[html.index('class="card card-lead"') :]
    card = card[: card.index("</article>")]
    assert 'fetchpriority="high"' in card and "srcset=" in card
    assert lead.lead_image.alt_text in card
    assert html.count('fetchpriority="high"') == 1


def test_most_linked_to_counts_links_from_live_stories_of_the_last_days(client):
    """ "Most linked-to" ranks stories by the live stories of the last days linking to
    them: links from old, draft or future stories do not count; the lead is left out."""
    popular = ArticleFactory(headline="Popular", published_at=ago(days=30))
    liked = ArticleFactory(headline="Liked", published_at=ago(days=30))
    ArticleFactory(headline="Never linked", published_at=ago(days=30))
    for n in range(3):
        CrossLinkFactory(source=ArticleFactory(published_at=ago(days=n + 1)), target=popular)
    CrossLinkFactory(source=ArticleFactory(published_at=ago(days=2)), target=liked)
    for source in (
        ArticleFactory(published_at=ago(days=20)),  # too old
        ArticleFactory(status="draft", published_at=None),
        ArticleFactory(published_at=timezone.now() + timedelta(days=1)),  # scheduled
    ):
        CrossLinkFactory(source=source, target=liked)

    response = client.get("/")

    assert response.context["most_linked"] == [popular, liked]
    assert [story.inbound for story in response.context["most_linked"]] == [3, 1]
    html = response.content.decode()
    assert "Most linked-to" in html and "Linked from 3 stories" in html
    assert "Never linked" not in html


def test_front_page_advertises_site_feeds(client):
    """The front page's <head> carries the site's feed autodiscovery links."""
    ArticleFactory()
    html = client.get("/").content.decode()
    rss = reverse("articles:feed", args=["rss"])
    assert f'type="application/rss+xml" title="Latest stories (RSS)" href="{rss}"' in html
    assert 'type="application/atom+xml"' in html


def test_front_page_describes_the_site_in_json_ld(client):
    """The front page's JSON-LD names the site and how to search it."""
    site = json_ld(client.get("/").content.decode())[0]
    assert site["@type"] == "WebSite"
    assert site["potentialAction"]["target"] == "http://testserver/search/?q={search_term_string}"


def test_front_page_without_stories_is_friendly(client):
    """An empty site still renders a front page, with a message instead of stories."""
    response = client.get("/")
    assert response.status_code == 200
    assert "No stories have been published yet." in response.content.decode()


def test_archive_paginates_twenty_a_page_newest_first(client):
    """The archive lists 20 stories a page, newest first, with a link to older stories."""
    stories = [ArticleFactory(published_at=ago(hours=n + 1)) for n in range(25)]

    first = client.get(reverse("articles:archive"))
    second = client.get(reverse("articles:archive") + older_link(first.content.decode()))

    assert list(first.context["object_list"]) == stories[:20]
    assert list(second.context["object_list"]) == stories[20:]
    assert older_link(second.content.decode()) is None


@pytest.mark.parametrize("key", ["x", "0", "-1", "1.5", "9" * 30, "20000101T000000000000Z-1"])
def test_archive_rejects_bad_page_keys_with_404(client, key):
    """A page key that is malformed or has nothing older is a 404, not a 500."""
    ArticleFactory()
    assert client.get(reverse("articles:archive"), {"before": key}).status_code == 404


HOSTILE_KEYS = [
    "\x00",
    "' OR 1=1; --",
    "9" * 10_000,
    "🙂",
    "٢٠٢٥٠١٠١T000000000000Z-١",
    "20250230T000000000000Z-1",
    "00010101T000000000000Z-1",
    "99991231T235959999999Z-9999999999999999999",
]
LISTINGS = [
    "/archive/",
    "/people/joe-biden/",
    "/countries/israel/",
    "/topics/gaza/",
    "/sections/world/",
    "/authors/asha-rao/",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_listings_answer_any_page_key_without_an_error(client, key):
    """The archive and every kind of hub answer a page or a 404 to any ?before=/?after=,
    both at once, or either given twice: never a 500 (a control character is a 400 before
    any view, newsroom/control_characters.py)."""
    ArticleFactory(people=["Joe Biden"], countries=["IL"], topics=["Gaza"])
    ArticleFactory(authors=[AuthorFactory(name="Asha Rao")])
    client.raise_request_exception = False
    for url in LISTINGS:
        for query in ({"before": key}, {"after": key}, {"before": key, "after": key}):
            assert client.get(url, query).status_code in (200, 400, 404), (url, query)
        assert client.get(url, {"before": [key, "x"]}).status_code in (200, 400, 404), url


# Article page


def test_article_page_shows_headline_standfirst_bylines_and_times(client, settings):
    """Headline, standfirst, bylines in their order and the times in the site's time zone."""
    settings.TIME_ZONE = "Asia/Kolkata"
    published = datetime(2025, 1, 29, 9, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    zoe, adam = AuthorFactory(name="Zoe Writer"), AuthorFactory(name="Adam Reporter")
    article = ArticleFactory(
        headline="Trump invites Netanyahu",
        standfirst="A first visit in the second term.",
        published_at=published,
        updated_at=published + timedelta(hours=2, minutes=15),
        authors=[zoe, adam],
        source="PTI",
    )

    html = client.get(article.get_absolute_url()).content.decode()

    assert "<h1>Trump invites Netanyahu</h1>" in html
    assert "A first visit in the second term." in html
    assert html.index("Zoe Writer") < html.index("Adam Reporter")
    assert f'href="{zoe.get_absolute_url()}"' in html
    assert "29 January 2025, 09:30 IST" in html
    assert 'datetime="2025-01-29T09:30:00+05:30"' in html
    assert "Updated <time" in html and "29 January 2025, 11:45 IST" in html
    assert news_article(html)["dateModified"] == "2025-01-29T11:45:00+05:30"


def test_article_page_says_nothing_about_updates_when_unchanged(client):
    """ "Updated …" only shows when the story changed after it was published."""
    article = ArticleFactory(updated_at=None)
    assert "Updated" not in client.get(article.get_absolute_url()).content.decode()


def test_article_page_shows_lead_image_with_caption_credit_and_alt(client):
    """The lead image carries its alt text, and its caption and credit sit under it."""
    image = ImageFactory(
        caption="The two leaders met in 2020",
        credit="AP",
        alt_text="Two men shaking hands in front of flags",
    )
    article = ArticleFactory(lead_image=image)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'alt="Two men shaking hands in front of flags"' in html
    assert "<figcaption>The two leaders met in 2020" in html
    assert "Photo: AP" in html
    wide = image.renditions.get(crop="16:9", format="jpeg", width=480)
    assert f'<meta property="og:image" content="http://testserver{wide.file.url}">' in html


def test_also_read_boxes_sit_right_after_their_paragraphs(client):
    """Each Also Read box follows its paragraph; links at one placement keep their order;
    a placement beyond a body that got shorter lands at the end; placement 0 leads."""
    source = ArticleFactory(body=body_of("First para.", "Second para.", "Third para."))
    at = {}
    for name, placement, order in [
        ("Opening link", 0, 0),
        ("After first B", 1, 1),
        ("After first A", 1, 0),
        ("Beyond the end", 9, 0),
        ("Listed at the end", None, 0),
    ]:
        at[name] = CrossLinkFactory(
            source=source,
            target=ArticleFactory(headline=name),
            placement=placement,
            order=order,
        )

    html = client.get(source.get_absolute_url()).content.decode()
    body = html[html.index('class="story-body"') : html.index("</article>")]

    def pos(fragment):
        return body.index(fragment)

    assert pos("Opening link") < pos("First para.")
    assert pos("First para.") < pos("After first A") < pos("After first B") < pos("Second para.")
    assert pos("Third para.") < pos("Beyond the end")
    assert body.count('class="also-read"') == 3
    assert "Listed at the end" not in body
    related = html[html.index('id="related-heading"') :]
    assert "Listed at the end" in related


def test_page_feed_and_export_place_also_read_boxes_alike(client):
    """One placement rule (``text.place_links``) for every surface: the story page, its feed
    item and its story file put each box after the same paragraph, a placement past the end
    of the body after the last one, and placement-less links after the body."""
    source = ArticleFactory(headline="Placed story", body=body_of("Alpha.", "Beta.", "Gamma."))
    for headline, placement, order in [
        ("Box zero", 0, 0),
        ("Box one b", 1, 1),
        ("Box one a", 1, 0),
        ("Box far", 9, 0),
        ("Listed one", None, 0),
    ]:
        CrossLinkFactory(
            source=source,
            target=ArticleFactory(headline=headline),
            placement=placement,
            order=order,
        )
    markers = ["Alpha.", "Beta.", "Gamma.", "Box zero", "Box one a", "Box one b", "Box far"]
    markers.append("Listed one")

    def reading_order(rendered):
        return sorted(markers, key=rendered.index)

    page = client.get(source.get_absolute_url()).content.decode()
    page = page[page.index('class="story-body"') :]
    feed = client.get(reverse("articles:feed", kwargs={"format": "json"})).json()
    item = next(item for item in feed["items"] if item["title"] == "Placed story")
    exported = story_text(source)
    expected = ["Box zero", "Alpha.", "Box one a", "Box one b", "Beta.", "Gamma.", "Box far"]
    expected.append("Listed one")
    assert reading_order(page) == reading_order(item["content_html"]) == expected
    assert reading_order(exported) == expected


@pytest.mark.parametrize(
    ("standfirst", "body", "summary"),
    [
        ("Calm  returns\nto Gaza.", body_of("First para."), "Calm returns to Gaza."),
        ("", "<hr>\n<p>Opening   words here.</p>\n<p>Next.</p>", "Opening words here."),
    ],
)
def test_feed_meta_description_and_json_ld_share_one_summary(client, standfirst, body, summary):
    """One summary rule (``Article.summary``): the standfirst, else the first paragraph with
    words (not a rule that leads the body), in the feed item, meta description and JSON-LD."""
    story = ArticleFactory(headline="Summed story", standfirst=standfirst, body=body)
    assert story.summary == summary
    page = client.get(story.get_absolute_url()).content.decode()
    assert f'<meta name="description" content="{summary}">' in page
    news_article = next(data for data in json_ld(page) if data["@type"] == "NewsArticle")
    assert news_article["description"] == summary
    feed = client.get(reverse("articles:feed", kwargs={"format": "json"})).json()
    item = next(item for item in feed["items"] if item["title"] == "Summed story")
    assert item["summary"] == summary


class LandmarkNames(HTMLParser):
    """The text of every element with an id, and the attributes of each ``<aside>``: enough
    to work out the accessible name ``aria-labelledby`` or ``aria-label`` gives each box."""

    def __init__(self, html):
        super().__init__()
        self.text_by_id, self.asides, self.open = {}, [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "aside":
            self.asides.append(attrs)
        if "id" in attrs:
            assert attrs["id"] not in self.text_by_id, f"id {attrs['id']} twice"
            self.text_by_id[attrs["id"]] = ""
            self.open.append((tag, attrs["id"]))

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_data(self, data):
        for _, element_id in self.open:
            self.text_by_id[element_id] += data

    def name(self, attrs):
        if "aria-labelledby" in attrs:
            return " ".join(
                self.text_by_id[ref].strip() for ref in attrs["aria-labelledby"].split()
            )
        return attrs.get("aria-label", "")

    def aside_names(self):
        return [self.name(aside) for aside in self.asides if aside.get("class") == "also-read"]


def test_each_also_read_box_has_its_own_accessible_name(client):
    """Three boxes on one story are three landmarks with three names: the box's label and
    its first headline, taken from ids that appear once on the page (axe landmark-unique)."""
    source = ArticleFactory(body=body_of("First para.", "Second para.", "Third para."))
    for placement, headline in [(1, "Talks resume"), (2, "Envoy lands"), (3, "Markets <calm>")]:
        CrossLinkFactory(
            source=source, target=ArticleFactory(headline=headline), placement=placement
        )
    CrossLinkFactory(
        source=source, target=ArticleFactory(headline="Second in box"), placement=2, order=1
    )

    names = LandmarkNames(client.get(source.get_absolute_url()).content.decode()).aside_names()

    assert names == [
        "Also Read Talks resume",
        "Also Read Envoy lands",
        "Also Read Markets <calm>",
    ]


def test_placement_survives_an_empty_body():
    """A story whose body is empty still shows its Also Read links, at the end."""
    link = CrossLink(target_headline="x", placement=3)
    blocks, related = place_links([], [link])
    assert [(block.html, block.links) for block in blocks] == [("", [link])]
    assert related == []


def test_pending_links_and_links_to_unpublished_stories_show_nothing(client):
    """A link whose target does not exist yet, or is not live, leaves no box behind."""
    source = ArticleFactory(body=body_of("Only paragraph."))
    CrossLink.objects.create(source=source, target_headline="A story not written yet", placement=1)
    CrossLinkFactory(source=source, target=draft(headline="Secret draft"), placement=1)

    html = client.get(source.get_absolute_url()).content.decode()

    assert "also-read" not in html
    assert "A story not written yet" not in html
    assert "Secret draft" not in html


def test_in_this_story_links_every_person_country_and_topic_to_its_hub(client):
    """ "In this story" links the story's people, countries and topics to their hubs."""
    article = ArticleFactory(people=["Donald Trump"], countries=["IL"], topics=["Gaza ceasefire"])
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'href="/people/donald-trump/"' in html
    assert 'href="/countries/israel/"' in html
    assert 'href="/topics/gaza-ceasefire/"' in html


def test_more_on_lists_the_newest_stories_of_the_first_person(client):
    """ "More on <first person>" beside the story: that person's newest live stories,
    newest first; stories only sharing another tag, or none, are not there."""
    now = timezone.now()
    busy = [
        ArticleFactory(people=["Ann Able"], published_at=now - timedelta(days=n))
        for n in range(10, 0, -1)
    ]
    ArticleFactory(headline="Only Ben", people=["Ben Baker"])
    ArticleFactory(headline="Weather report", people=["Someone Else"])
    article = ArticleFactory(people=["Ann Able", "Ben Baker"], countries=["IL"])

    response = client.get(article.get_absolute_url())

    assert response.context["more_on"] == busy[::-1][:4]
    html = response.content.decode()
    assert "More on Ann Able" in html
    assert "Only Ben" not in html and "Weather report" not in html


def test_more_on_falls_back_to_the_first_country_or_topic(client):
    """A story naming no person draws "More on" from its first country."""
    article = ArticleFactory(countries=["IL"], topics=["Gaza ceasefire"])
    sharing = ArticleFactory(headline="Israel today", countries=["IL"])
    ArticleFactory(headline="Only the topic", topics=["Gaza ceasefire"])

    response = client.get(article.get_absolute_url())

    assert response.context["more_on"] == [sharing]
    assert "More on Israel" in response.content.decode()


def test_more_on_does_not_repeat_the_story_or_its_links_and_still_fills_up(client):
    """Stories the page already shows (itself, its Also Read targets) are left out of
    "More on", even when they are the tag's newest, and older ones take their places."""
    now = timezone.now()
    older = [
        ArticleFactory(people=["Joe Biden"], published_at=now - timedelta(days=n))
        for n in (5, 4, 3)
    ]
    linked = ArticleFactory(people=["Joe Biden"], published_at=now - timedelta(days=1))
    article = ArticleFactory(people=["Joe Biden"], published_at=now - timedelta(hours=1))
    CrossLinkFactory(source=article, target=linked)

    response = client.get(article.get_absolute_url())

    assert response.context["more_on"] == older[::-1]


def test_in_this_story_counts_each_hubs_live_stories(client):
    """ "In this story" links each person, country and topic to its hub with the number of
    live stories there; drafts and scheduled stories are not counted."""
    for _ in range(2):
        ArticleFactory(people=["Joe Biden"])
    ArticleFactory(people=["Joe Biden"], status="draft", published_at=None)
    ArticleFactory(people=["Joe Biden"], published_at=timezone.now() + timedelta(days=1))
    article = ArticleFactory(people=["Joe Biden"], countries=["IL"], topics=["Gaza ceasefire"])

    response = client.get(article.get_absolute_url())

    groups = dict(response.context["in_this_story"])
    assert [(tag.name, tag.live_count) for tag in groups["People"]] == [("Joe Biden", 3)]
    assert [(tag.name, tag.live_count) for tag in groups["Countries"]] == [("Israel", 1)]
    html = response.content.decode()
    assert '<aside class="story-aside" aria-labelledby="story-aside-heading">' in html
    assert "3 stories" in html and "1 story" in html


def test_thread_beside_the_story_follows_live_links_both_ways(client):
    """The story's thread lists the live stories linked to it, and to those, whichever way
    the links point, oldest first, the story itself marked; a draft or a story three links
    away is not in it."""
    story = ArticleFactory(headline="Middle", published_at=ago(days=2))
    earlier = ArticleFactory(headline="Earlier", published_at=ago(days=3))
    later = ArticleFactory(headline="Later", published_at=ago(days=1))
    further = ArticleFactory(headline="Two links away", published_at=ago(days=4))
    beyond = ArticleFactory(headline="Three links away", published_at=ago(days=5))
    draft = ArticleFactory(headline="Draft", status="draft", published_at=None)
    CrossLinkFactory(source=story, target=earlier)
    CrossLinkFactory(source=later, target=story)
    CrossLinkFactory(source=earlier, target=further)
    CrossLinkFactory(source=beyond, target=further)
    CrossLinkFactory(source=story, target=draft)

    response = client.get(story.get_absolute_url())

    assert response.context["thread"] == [further, earlier, story, later]
    html = response.content.decode()
    assert "The story so far" in html and 'aria-current="page"' in html
    assert "Three links away" not in html


def test_a_thread_cut_short_says_so_and_changes_with_any_link(client, monkeypatch):
    """A thread larger than the page reads is cut to its newest stories; the page says it
    goes on, and (not knowing the rest) changes with any link between live stories."""
    from articles.intelligence import threads

    monkeypatch.setattr(threads, "READER_THREAD_MAX", 3)
    story = ArticleFactory(headline="Hub of links", published_at=ago(days=9))
    for n in range(5):
        CrossLinkFactory(source=ArticleFactory(published_at=ago(days=n + 1)), target=story)

    response = client.get(story.get_absolute_url())

    assert response.context["thread_goes_on"] and len(response.context["thread"]) == 3
    assert "More than 3 linked stories" in response.content.decode()
    assert "linked" in response["Surrogate-Key"].split()


def test_thread_labels_opinion_and_sponsored_work(client):
    """An opinion piece in a story's thread is labelled there, as in every listing."""
    story = ArticleFactory(headline="Talks resume")
    opinion = ArticleFactory(headline="Why the talks stalled", story_type="opinion")
    CrossLinkFactory(source=opinion, target=story)
    html = client.get(story.get_absolute_url()).content.decode()
    thread = html[html.index("The story so far") :]
    assert '<span class="type-label type-opinion">Opinion</span> Why the talks stalled' in thread


def test_article_page_has_title_description_canonical_and_social_tags(client):
    """<title>, meta description, canonical and OpenGraph/Twitter tags describe the story."""
    article = ArticleFactory(headline="Ceasefire holds", standfirst="Calm returns to Gaza.")
    html = client.get(article.get_absolute_url()).content.decode()
    url = f"http://testserver{article.get_absolute_url()}"
    assert "<title>Ceasefire holds – Newsroom</title>" in html
    assert '<meta name="description" content="Calm returns to Gaza.">' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Ceasefire holds">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_article_json_ld_describes_the_news_article(client):
    """JSON-LD NewsArticle names headline, dates, authors, publisher, page, people, countries."""
    author = AuthorFactory(name="Zoe Writer")
    article = ArticleFactory(
        headline="Ceasefire holds",
        authors=[author],
        people=["Donald Trump"],
        countries=["IL"],
        lead_image=ImageFactory(),
        section=SectionFactory(name="World"),
    )
    data = json_ld(client.get(article.get_absolute_url()).content.decode())
    story = next(item for item in data if item["@type"] == "NewsArticle")
    crumbs = next(item for item in data if item["@type"] == "BreadcrumbList")
    url = f"http://testserver{article.get_absolute_url()}"

    assert story["headline"] == "Ceasefire holds"
    published = timezone.localtime(article.published_at).replace(microsecond=0)
    assert story["datePublished"] == published.isoformat()
    assert story["dateModified"] == story["datePublished"]
    assert story["author"][0]["name"] == "Zoe Writer"
    assert story["publisher"]["name"] == "Newsroom"
    assert [image["@type"] for image in story["image"]] == ["ImageObject"] * 3
    assert story["mainEntityOfPage"]["@id"] == url
    assert [person["name"] for person in story["about"]] == ["Donald Trump"]
    assert [country["name"] for country in story["mentions"]] == ["Israel"]
    assert [crumb["name"] for crumb in crumbs["itemListElement"]] == [
        "Newsroom",
        "World",
        "Ceasefire holds",
    ]


def test_user_text_is_escaped_in_html_and_json_ld(client):
    """Headlines with markup cannot break out of the page or of the JSON-LD <script>."""
    nasty = '</script><script>alert("x")</script> & <b>bold</b>'
    article = ArticleFactory(headline=nasty, standfirst=nasty, people=[nasty[:60]])
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    assert news_article(html)["headline"] == nasty


def test_hidden_and_unknown_stories_are_404(client):
    """Only live stories have pages."""
    assert client.get(draft().get_absolute_url()).status_code == 404
    assert client.get("/news/no-such-story/").status_code == 404


# Search


def test_search_finds_live_stories_by_a_word_in_the_body(client):
    """Search lists live stories containing the word, never drafts."""
    found = ArticleFactory(headline="Envoy visit", body=body_of("Witkoff flew to Riyadh."))
    draft(headline="Draft envoy", body=body_of("Witkoff flew to Doha."))

    response = client.get(reverse("articles:search"), {"q": "Witkoff"})

    assert response.status_code == 200
    assert list(response.context["results"]) == [found]
    assert "Draft envoy" not in response.content.decode()


def test_search_without_results_shows_a_friendly_message(client):
    """A search with no hits says so and suggests what to do next."""
    ArticleFactory()
    html = client.get(reverse("articles:search"), {"q": "zzyzx"}).content.decode()
    assert "No stories match “zzyzx”." in html


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "nul\x00byte",
        '"unbalanced quote',
        "-minus OR | & ! :*",
        "'; DROP TABLE articles_article; --",
        "<script>alert(1)</script>",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "é" * 10_000,
        "AT&T q=x&q=y %00 %ff",
        "“curly” ‘quotes’ \"straight\" 'single'",
        "1' UNION SELECT password FROM auth_user --",
        "שלום OR مرحبا -नमस्ते",
    ],
)
def test_search_survives_any_input(client, query):
    """Any query — empty, huge, quotes, operators, SQL, HTML — renders a page; one with a NUL
    byte, which is not text, is a bad request (newsroom/control_characters.py), never a 500."""
    ArticleFactory()
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == (400 if "\x00" in query else 200)
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_search_page_is_not_indexed(client):
    """Result pages are thin content; search engines are asked not to index them."""
    html = client.get(reverse("articles:search"), {"q": "x"}).content.decode()
    assert '<meta name="robots" content="noindex">' in html


# Errors


def test_404_page_is_friendly_and_in_site_style(client):
    """A missing page explains itself, offers search and home, and uses the site's CSS."""
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "We can’t find that page" in html
    assert 'action="/search/"' in html
    assert "articles/site.css" in html


def test_500_page_renders_without_any_context():
    """The 500 page renders with no request or context, as Django's handler calls it."""
    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert "articles/site.css" in html


def test_an_old_slug_answers_301_to_the_current_address(client):
    """Changing a slug keeps old links working; drafts are not revealed by their old slug."""
    story = ArticleFactory(headline="Renamed story", slug="new-address")
    SlugRedirect.objects.create(old_slug="old-address", article=story)
    response = client.get("/news/old-address/")
    assert response.status_code == 301
    assert response["Location"] == "/news/new-address/"
    hidden = ArticleFactory(headline="Hidden", slug="hidden-now", status="draft", published_at=None)
    SlugRedirect.objects.create(old_slug="hidden-before", article=hidden)
    assert client.get("/news/hidden-before/").status_code == 404
    assert client.get("/news/never-existed/").status_code == 404
