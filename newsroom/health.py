"""``/healthz``: whether this app server can reach its database and its cache.

200 while the (primary) database answers, 503 when it does not, so a load balancer stops
sending readers to a server that can only apologise. A cache or a read replica that is down
is reported ("degraded") without failing the check: the site still serves, and failing would
take every app server out of the pool at once.

It always answers within about DATABASE_PROBE_SECONDS, whatever the database does: each database
is asked from a thread of its own, on a fresh connection (so the answer says whether this server
can reach it now), and one that has not answered in time is down.
"""

import logging
import secrets
import sys
import threading
import time

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_aliases() -> list[str]:
    return list(connections)  # the primary, "default", and any read replicas


# The longest /healthz waits for its databases; a load balancer's probe usually gives up
# after 2 to 5 s, and a server it cannot get an answer from is as good as down to it.
DATABASE_PROBE_SECONDS = 1.5


def database_ok(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError as error:
        logger.warning("Health check: database %r unavailable: %s", alias, error)
        return False
    finally:
        connections[alias].close()  # this thread's own connection; the thread ends here


class DatabaseProbes:
    """Every database asked at once, each from a thread of its own. ``results()`` waits for
    the answers until DATABASE_PROBE_SECONDS after the start and counts the missing as down;
    a probe still waiting then finishes by itself (connect_timeout and the query deadline
    end it)."""

    def __init__(self, aliases: list[str]):
        self.answers: dict[str, bool] = {}
        self.deadline = time.monotonic() + DATABASE_PROBE_SECONDS
        self.threads = {
            alias: threading.Thread(
                target=self.probe, args=(alias,), name=f"healthz-{alias}", daemon=True
            )
            for alias in aliases
        }
        for thread in self.threads.values():
            thread.start()

    def probe(self, alias: str) -> None:
        self.answers[alias] = database_ok(alias)

    def results(self) -> dict[str, bool]:
        for alias, thread in self.threads.items():
            thread.join(max(0.0, self.deadline - time.monotonic()))
            if alias not in self.answers:
                logger.warning(
                    "Health check: database %r did not answer within %g s",
                    alias,
                    DATABASE_PROBE_SECONDS,
                )
        return {alias: self.answers.get(alias, False) for alias in self.threads}


def cache_ok() -> bool:
    # Our Redis backend answers "miss" rather than raising while Redis is down, so a value
    # written and read back is the test.
    key, value = "healthz:probe", secrets.token_hex(8)
    try:
        cache.set(key, value, 10)
        return cache.get(key) == value
    except Exception as error:  # any backend, any failure: the answer is "down"
        logger.warning("Health check: cache unavailable: %s", error)
        return False


@never_cache
@require_safe
def healthz(request):
    databases = DatabaseProbes(database_aliases())
    cache_up = cache_ok()  # while the databases answer
    checks = {f"database:{alias}": ok for alias, ok in databases.results().items()}
    checks = {name.removesuffix(":default"): ok for name, ok in checks.items()}
    checks["cache"] = cache_up
    if not checks["database"]:
        status = "unavailable"
    else:
        status = "ok" if all(checks.values()) else "degraded"
    return JsonResponse(
        {"status": status, "checks": {name: "ok" if ok else "down" for name, ok in checks.items()}},
        status=503 if status == "unavailable" else 200,
    )


def server_error(request):
    """``handler500``: the 503 page when the error was the database going away outside any
    view (e.g. in a middleware), where ``DatabaseUnavailableMiddleware`` cannot see it."""
    from .middleware import unavailable_response

    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return unavailable_response()
    return defaults.server_error(request)


# Clients of the API (articles.reader.api, and anything else routed under it) read JSON, errors
# included.
API_PATH = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PATH)


def not_found(request, exception):
    """``handler404``: JSON under ``/api/`` (a mistyped address included); the site's own
    page elsewhere."""
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
