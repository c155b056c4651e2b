"""articles.compiled: a query's SQL built once per shape, run with each call's values exactly
as Django would run it."""

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import compiled
from articles.models import Article, Person, _tags_and_authors, attach_tags_and_authors
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    SectionFactory,
    draft,
    scheduled,
)

pytestmark = pytest.mark.django_db


def tags_query(count_live_up_to):
    return lambda ids, now: _tags_and_authors(ids, now, count_live_up_to=count_live_up_to)


def django_sql(queryset):
    sql, params = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
    return sql, list(params)


@pytest.mark.parametrize("count_live_up_to", [None, 1001])
@pytest.mark.parametrize("ids", [[7], [3, 1, 2], list(range(40, 90))])
def test_the_sql_is_what_django_builds_for_the_same_values(count_live_up_to, ids):
    now = timezone.now() - timedelta(minutes=len(ids))
    build = tags_query(count_live_up_to)
    for values in [(ids, now), ([i + 1000 for i in ids], now + timedelta(seconds=5))]:
        assert compiled.sql_with_params(
            f"test:{count_live_up_to}", build, values, DEFAULT_DB_ALIAS
        ) == django_sql(build(*values))


def test_a_shape_is_built_once_and_then_reused():
    build = tags_query(1001)
    compiled.sql_with_params("test:reuse", build, ([1, 2], timezone.now()), DEFAULT_DB_ALIAS)
    before = compiled.compilations
    for ids in ([5, 6], [8, 9], [1, 3]):
        compiled.sql_with_params("test:reuse", build, (ids, timezone.now()), DEFAULT_DB_ALIAS)
    assert compiled.compilations == before
    # Another number of stories is another shape.
    compiled.sql_with_params("test:reuse", build, ([1, 2, 3], timezone.now()), DEFAULT_DB_ALIAS)
    assert compiled.compilations > before


def test_a_query_that_writes_a_value_into_its_sql_is_built_every_time():
    def sliced(n):  # the slice is written into the SQL, not passed as a parameter
        return Article.objects.order_by("pk").values("pk")[: n - 1_999_999_990]

    first = compiled.sql_with_params("test:inlined", sliced, (2_000_000_000,), DEFAULT_DB_ALIAS)
    assert compiled._shapes[("test:inlined", DEFAULT_DB_ALIAS, (-1,))] is None
    before = compiled.compilations
    again = compiled.sql_with_params("test:inlined", sliced, (2_000_000_001,), DEFAULT_DB_ALIAS)
    assert compiled.compilations == before + 1
    assert first != again
    assert again == django_sql(sliced(2_000_000_001))


def test_constants_equal_to_nothing_passed_stay_as_they_are():
    def build(pk):
        return Article.objects.filter(pk=pk).values("pk", flag=Value(1))

    values = (ArticleFactory().pk,)
    assert compiled.sql_with_params("test:const", build, values, DEFAULT_DB_ALIAS) == django_sql(
        build(*values)
    )
    assert compiled.rows("test:const", build, values, DEFAULT_DB_ALIAS) == [
        {"pk": values[0], "flag": 1}
    ]


def test_tags_and_authors_come_from_the_reused_sql_and_follow_edits():
    story = ArticleFactory(people=["Ada Obi"], topics=["Energy"])
    story.bylines.create(author=AuthorFactory(name="Jo Writer"), position=0)
    other = ArticleFactory(people=["Ada Obi", "Ben Ade"])
    attach_tags_and_authors([story, other], count_live_up_to=1001)  # the shape is built
    before = compiled.compilations
    Person.objects.filter(name="Ada Obi").update(name="Ada Obi-Eze")
    fresh = [Article.objects.get(pk=story.pk), Article.objects.get(pk=other.pk)]
    with CaptureQueriesContext(connection) as queries:
        attach_tags_and_authors(fresh, count_live_up_to=1001)
    assert len(queries.captured_queries) == 1
    assert compiled.compilations == before
    assert [t.name for t in fresh[0].tags["people"]] == ["Ada Obi-Eze"]
    assert [t.live_count for t in fresh[0].tags["people"]] == [2]
    assert [t.name for t in fresh[0].tags["topics"]] == ["Energy"]
    assert [a.name for a in fresh[0].bylined] == ["Jo Writer"]
    assert [t.name for t in fresh[1].tags["people"]] == ["Ada Obi-Eze", "Ben Ade"]
    assert fresh[1].bylined == []


def test_live_by_section_is_latest_by_section_of_the_live_stories_less_those_excluded():
    world, sport, empty = (SectionFactory(name=n) for n in ("World", "Sport", "Empty"))
    now = timezone.now()
    stories = {
        section: [
            ArticleFactory(section=section, published_at=now - timedelta(hours=h))
            for h in range(1, 7)
        ]
        for section in (world, sport)
    }
    draft(section=world)
    scheduled(section=sport)
    left_out = stories[world][0].pk
    expected = list(Article.objects.live().exclude(pk=left_out).latest_by_section(4))
    for _ in range(2):  # built, then reused
        with CaptureQueriesContext(connection) as queries:
            found = Article.objects.live_by_section(4, excluding=[left_out])
            sections = [story.section.name for story in found]  # no query more
        assert [story.pk for story in found] == [story.pk for story in expected]
        assert sections == [story.section.name for story in expected]
        assert len(queries.captured_queries) == (2 if connection.vendor == "postgresql" else 1)
    assert len(found) == 8 and empty.name not in sections
    assert [s.headline for s in found] == [s.headline for s in expected]
    assert [s.published_at for s in found] == [s.published_at for s in expected]
    # A story published since is on the next call, with the same SQL.
    newest = ArticleFactory(section=sport, published_at=timezone.now() - timedelta(seconds=1))
    assert newest.pk in [s.pk for s in Article.objects.live_by_section(4, excluding=[left_out])]


def test_live_by_section_with_a_single_section():
    world = SectionFactory(name="World")
    stories = [ArticleFactory(section=world) for _ in range(5)]
    found = Article.objects.live_by_section(4, excluding=[stories[0].pk])
    expected = Article.objects.live().exclude(pk=stories[0].pk).latest_by_section(4)
    assert [s.pk for s in found] == [s.pk for s in expected]
    assert {s.section.name for s in found} == {"World"}


def test_hubs_named_reuses_its_sql_and_sees_new_hubs_at_once():
    from articles.reader.search import hubs_named

    ArticleFactory(people=["Ada Obi"], countries=["France"])
    assert [hub.name for _, hub in hubs_named("ada obi")] == ["Ada Obi"]
    assert [hub.name for _, hub in hubs_named("FR")] == ["France"]  # by its code
    before = compiled.compilations
    assert hubs_named("Ben Ade") == []
    ArticleFactory(people=["Ben Ade"])
    assert [hub.name for _, hub in hubs_named("Ben Ade")] == ["Ben Ade"]
    assert [hub.name for _, hub in hubs_named("FRA")] == ["France"]
    assert compiled.compilations == before


def test_live_thread_reuses_its_sql_and_follows_links_and_publication_at_once():
    from articles.intelligence.threads import live_thread

    now = timezone.now()
    a, b = (ArticleFactory(published_at=now - timedelta(hours=h)) for h in (3, 2))
    CrossLinkFactory(source=a, target=b)
    assert live_thread(a) == ([a, b], False)
    before = compiled.compilations
    c = ArticleFactory(published_at=now - timedelta(hours=1))
    CrossLinkFactory(source=c, target=b)
    thread, goes_on = live_thread(a)
    assert [s.pk for s in thread] == [a.pk, b.pk, c.pk] and not goes_on
    assert [s.headline for s in thread] == [a.headline, b.headline, c.headline]
    Article.objects.filter(pk=b.pk).update(status=Article.Status.ARCHIVED)
    assert live_thread(a) == ([], False)  # b was the only way from a to c
    assert compiled.compilations == before
