import math
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.suggestions import suggest_links
from tests.factories import ArticleFactory, CrossLinkFactory, archived, draft, scheduled

pytestmark = pytest.mark.django_db


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
    """Suggestions cost the same few queries for a story with 3 tags as with 45."""
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
        with django_assert_max_num_queries(8):
            result = suggest_links(story)
        assert result
