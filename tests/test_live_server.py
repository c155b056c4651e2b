"""The live server the browser tests drive, on SQLite: requests arriving side by side (a
page's scripts and styles) must not use the shared-cache, in-memory test database at once
(conftest.py's _live_server_one_view_at_a_time)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from urllib.request import urlopen

import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from tests.factories import ArticleFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_requests_side_by_side_never_query_sqlite_at_once(live_server, settings):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL serves the live server's requests in parallel")
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    settings.NEWSROOM_FRAGMENT_CACHE = False
    stories = ArticleFactory.create_batch(4)
    addresses = [live_server.url + story.get_absolute_url() for story in stories] * 8
    querying, most, guard = set(), [0], threading.Lock()

    def watched(execute, sql, params, many, context):
        with guard:
            querying.add(threading.get_ident())
            most[0] = max(most[0], len(querying))
        try:
            time.sleep(0.002)  # widens the window in which another request would overlap
            return execute(sql, params, many, context)
        finally:
            with guard:
                querying.discard(threading.get_ident())

    # The server's threads share the connection the test had when the (session-wide) live
    # server started if its database existed by then; otherwise each opens its own.
    def watch(sender, connection, **kwargs):
        connection.execute_wrappers.append(watched)

    shared = {id(c): c for c in [connection, *live_server.thread.connections_override.values()]}

    def status(address: str) -> int:
        with urlopen(address, timeout=30) as response:  # noqa: S310 (the test's own server)
            response.read()
            return response.status

    connection_created.connect(watch)
    try:
        with ExitStack() as watching, ThreadPoolExecutor(max_workers=8) as pool:
            for each in shared.values():
                watching.enter_context(each.execute_wrapper(watched))
            answers = list(pool.map(status, addresses))
    finally:
        connection_created.disconnect(watch)

    assert answers == [200] * len(addresses)
    assert most[0] == 1
