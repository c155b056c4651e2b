"""A timed change (a scheduled story going live) passing while a page is being rendered.

The page and its kept parts were rendered from what was live before the publication, so they
may be kept only until it: not until the timed change after it, worked out once rendering is
over and the publication has passed (then the story would stay missing for up to
``PAGE_CACHE_SECONDS``, on every surface rendered across it).
"""

from datetime import timedelta

import pytest
from django.core.handlers.base import BaseHandler
from django.utils import timezone

from articles import caching, fragments
from articles.reader.views import FrontPageView
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

SCHEDULED = "Geneva talks end in a deal"


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


@pytest.fixture
def scheduled(monkeypatch):
    """A live story, a story scheduled a minute from now on the same hub, and a clock
    that stands a second before the publication and that the test moves."""
    story = ArticleFactory(headline="Talks resume in Geneva", people=["Amina Fernandes"])
    at = timezone.now() + timedelta(minutes=1)
    ArticleFactory(headline=SCHEDULED, people=["Amina Fernandes"], published_at=at)
    clock = Clock(at - timedelta(seconds=1))
    monkeypatch.setattr(timezone, "now", clock)
    return story, at, clock


def passing_while_rendering(monkeypatch, clock, to):
    """Move ``clock`` to ``to`` as the view's response is done, before the page cache's
    middleware stores it (as a render under way at the publication does)."""
    render = BaseHandler._get_response

    def rendered_across(self, request):
        response = render(self, request)
        clock.at = to
        return response

    monkeypatch.setattr(BaseHandler, "_get_response", rendered_across)


@pytest.mark.parametrize("url", ["/", "/archive/", "/feed/rss/", "hub"])
def test_a_page_rendered_across_a_publication_is_not_kept_past_it(
    client, scheduled, monkeypatch, url
):
    story, at, clock = scheduled
    url = story.people.first().get_absolute_url() if url == "hub" else url
    passing_while_rendering(monkeypatch, clock, at + timedelta(seconds=1))
    assert SCHEDULED not in client.get(url).content.decode()
    monkeypatch.undo()
    monkeypatch.setattr(timezone, "now", clock)
    clock.at = at + timedelta(seconds=2)
    assert SCHEDULED in client.get(url).content.decode()


def parts_passing_while_rendering(monkeypatch, clock, to):
    """Move ``clock`` to ``to`` as each kept part is done, before it is kept."""
    render = fragments.render

    def rendered_across(name, produce, **kwargs):
        def produced():
            made = produce()
            clock.at = to
            return made

        return render(name, produced, **kwargs)

    rendered_across.__wrapped__ = render
    monkeypatch.setattr(fragments, "render", rendered_across)


@pytest.mark.parametrize("url", ["/", "/feed/rss/", "hub"])
def test_parts_rendered_across_a_publication_are_not_kept_past_it(
    client, scheduled, monkeypatch, settings, url
):
    settings.NEWSROOM_PAGE_CACHE = False
    settings.NEWSROOM_FRAGMENT_CACHE = True
    story, at, clock = scheduled
    url = story.people.first().get_absolute_url() if url == "hub" else url
    parts_passing_while_rendering(monkeypatch, clock, at + timedelta(seconds=1))
    assert SCHEDULED not in client.get(url).content.decode()
    monkeypatch.setattr(fragments, "render", fragments.render.__wrapped__)
    clock.at = at + timedelta(seconds=2)
    assert SCHEDULED in client.get(url).content.decode()


def test_a_figure_worked_out_across_a_publication_is_not_kept_past_it(scheduled):
    story, at, clock = scheduled
    live = ArticleFactory._meta.model.objects.live

    def counted():
        count = live().count()
        clock.at = at + timedelta(seconds=1)
        return count

    assert caching.remembered("live-count", counted) == 1
    clock.at = at + timedelta(seconds=2)
    assert caching.remembered("live-count", lambda: live().count()) == 2


@pytest.mark.parametrize("url", ["/", "/archive/", "/feed/rss/", "hub"])
def test_a_page_rendered_before_a_publication_ends_with_it(client, scheduled, monkeypatch, url):
    story, at, clock = scheduled
    url = story.people.first().get_absolute_url() if url == "hub" else url
    assert SCHEDULED not in client.get(url).content.decode()
    clock.at = at + timedelta(seconds=2)
    assert SCHEDULED in client.get(url).content.decode()


@pytest.mark.parametrize("page_cache", [True, False])
def test_parts_of_what_the_view_read_before_a_publication_end_with_it(
    client, scheduled, monkeypatch, settings, page_cache
):
    """The front page's view reads the live stories, then its kept part is rendered from
    them: the publication passing in between ends the part too."""
    settings.NEWSROOM_PAGE_CACHE = page_cache
    settings.NEWSROOM_FRAGMENT_CACHE = True
    _, at, clock = scheduled
    read = FrontPageView.get_context_data

    def read_before(self, **kwargs):
        context = read(self, **kwargs)
        clock.at = at + timedelta(seconds=1)
        return context

    monkeypatch.setattr(FrontPageView, "get_context_data", read_before)
    assert SCHEDULED not in client.get("/").content.decode()
    monkeypatch.setattr(FrontPageView, "get_context_data", read)
    clock.at = at + timedelta(seconds=2)
    assert SCHEDULED in client.get("/").content.decode()
