"""Story threads: the connected groups of the link graph.

Two stories are in one thread when a chain of resolved links joins them, whichever way
the links point. Threads are an editors' view (admin), so every status counts; each
story's liveness comes from ``with_liveness()``. A thread is named by its earliest story
and found by any of its stories' pks; the list and a thread cost two queries each.

Readers see a story's thread too (``live_thread``): its live stories only, linked by links
a reader sees, as far as a few links from the story, in one query.
"""

from dataclasses import dataclass

from django.db import router
from django.db.models import Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from articles import compiled
from articles.models import Article, CrossLink

from .graph import change_url, node_status


@dataclass
class ThreadStory:
    pk: int
    headline: str
    status: str  # as in the graph: live, draft, scheduled, archived, withdrawn
    published_at: object

    @property
    def url(self) -> str:
        return change_url(self.pk)


@dataclass
class Thread:
    stories: list[ThreadStory]  # in time order, undated (never published) last

    @property
    def pk(self) -> int:
        """The thread's address: the smallest pk among its stories, stable while it lasts."""
        return min(story.pk for story in self.stories)

    @property
    def size(self) -> int:
        return len(self.stories)

    @property
    def title(self) -> str:
        return self.stories[0].headline

    @property
    def dates(self) -> list:
        return [story.published_at for story in self.stories if story.published_at]

    @property
    def starts(self):
        return min(self.dates, default=None)

    @property
    def ends(self):
        return max(self.dates, default=None)

    @property
    def span(self):
        """The time between the first and the last story, None when fewer than two dated."""
        return self.ends - self.starts if len(self.dates) > 1 else None


def _components() -> list[set[int]]:
    """Connected groups of stories joined by resolved links, via union-find (one query)."""
    parent: dict[int, int] = {}

    def root(pk: int) -> int:
        parent.setdefault(pk, pk)
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    edges = CrossLink.objects.filter(target__isnull=False).values_list("source_id", "target_id")
    for source, target in edges:
        parent[root(source)] = root(target)
    groups: dict[int, set[int]] = {}
    for pk in parent:
        groups.setdefault(root(pk), set()).add(pk)
    return list(groups.values())


def _in_time_order(story: ThreadStory):
    return (story.published_at is None, story.published_at or 0, story.pk)


def _linked_stories():
    """Every story at either end of a resolved link, as a subquery (no list of pks, which
    would run into the database's limit on query parameters in a large newsroom)."""
    resolved = CrossLink.objects.filter(target__isnull=False)
    return Q(pk__in=resolved.values("source")) | Q(pk__in=resolved.values("target"))


def _threads(groups: list[set[int]], stories_condition: Q) -> list[Thread]:
    rows = (
        Article.objects.with_liveness()
        .filter(stories_condition)
        .values_list("pk", "headline", "status", "live", "published_at")
    )
    stories = {
        pk: ThreadStory(pk, headline, node_status(status, live), published_at)
        for pk, headline, status, live, published_at in rows
    }
    threads = (
        Thread(sorted((stories[pk] for pk in group if pk in stories), key=_in_time_order))
        for group in groups
    )
    return [thread for thread in threads if thread.stories]


def story_threads(min_size: int = 2) -> list[Thread]:
    """Every thread of at least ``min_size`` stories, largest first, then most recent."""
    groups = [group for group in _components() if len(group) >= min_size]
    if not groups:
        return []
    threads = _threads(groups, _linked_stories())
    threads.sort(key=lambda t: (-t.size, -(t.ends.timestamp() if t.ends else 0), t.pk))
    return threads


def thread_of(pk: int) -> Thread | None:
    """The thread a story belongs to (itself alone when unlinked); None for no such story."""
    group = next((group for group in _components() if pk in group), None)
    # Alone, or no such story: asked by equality, which Django answers with no row for a
    # number no column can hold (an address like /threads/99…9/); ``pk__in`` would pass it
    # on, and SQLite fails on integers over 64 bits.
    condition = Q(pk=pk) if group is None else Q(pk__in=group)
    threads = _threads([group or {pk}], condition)
    return threads[0] if threads else None


# The reader's thread ------------------------------------------------------------------------

# A story's page shows the live stories at most this many links away from it, whichever
# way the links point: its thread as far as a reader would follow it. Without a bound, a
# well-linked archive is one thread, read whole on every page.
READER_THREAD_HOPS = 2
# ... and gives up beyond this many stories (the page then says the thread goes on).
READER_THREAD_MAX = 60


def _live_thread_sql(pk: int, at=None) -> tuple[str, list]:
    """SQL for the pks of the live stories within READER_THREAD_HOPS shown links (both ends
    live) of story ``pk``, itself included: a recursive query walking the links from both
    ends (each direction has its index), each step's stories deduplicated. The story's row
    and the links are Django's own SQL (the first gives the column its pk's type on every
    database); every value is a parameter."""
    start = Article.objects.filter(pk=pk).order_by().values_list("pk", Value(0))
    start_sql, start_params = start.query.sql_with_params()
    shown = CrossLink.objects.shown(at=at).order_by().values_list("source_id", "target_id")
    links_sql, links_params = shown.query.sql_with_params()
    sql = (
        "WITH RECURSIVE shown_link(source_id, target_id) AS ("  # noqa: S608 - see docstring
        + links_sql
        + "), near(id, hops) AS ("
        + start_sql
        + " UNION"
        " SELECT CASE WHEN l.source_id = near.id THEN l.target_id ELSE l.source_id END,"
        "  near.hops + 1"
        " FROM near JOIN shown_link l ON l.source_id = near.id OR l.target_id = near.id"
        " WHERE near.hops < %s"
        ") SELECT id FROM near"
    )
    return sql, [*links_params, *start_params, READER_THREAD_HOPS]


def _live_thread_query(pk: int, now):
    """The query of ``live_thread()`` for story ``pk`` at ``now``."""
    near = RawSQL(*_live_thread_sql(pk, at=now))  # noqa: S611 - parameters only
    return (
        Article.objects.live(at=now)
        .filter(pk__in=near)
        .order_by("-published_at", "-pk")[: READER_THREAD_MAX + 1]
    )


def live_thread(article: Article) -> tuple[list[Article], bool]:
    """The live stories of ``article``'s thread that a reader is shown, in time order and
    with ``article`` among them: those within READER_THREAD_HOPS links, at most
    READER_THREAD_MAX (the newest), and whether there were more. One query; nothing when
    no live story is linked to it."""
    # Built once (articles.compiled): building it cost a fifth of a story page's CPU.
    # Read with raw(): the thread shows headlines, labels and times, never sections.
    using = router.db_for_read(Article)
    sql, params = compiled.sql_with_params(
        "live_thread", _live_thread_query, (article.pk, timezone.now()), using
    )
    found = list(Article.objects.db_manager(using).raw(sql, params))
    if len(found) < 2:
        return [], False
    return found[:READER_THREAD_MAX][::-1], len(found) > READER_THREAD_MAX
