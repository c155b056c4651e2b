"""``/healthz``: whether this app server can reach its database and its cache.

200 while the (primary) database answers, 503 when it does not, so a load balancer stops
sending readers to a server that can only apologise. A cache or a read replica that is down
is reported ("degraded") without failing the check: the site still serves, and failing would
take every app server out of the pool at once.
"""

import logging
import secrets
import sys

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_aliases() -> list[str]:
    return list(connections)  # the primary, "default", and any read replicas


def database_ok(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError as error:
        logger.warning("Health check: database %r unavailable: %s", alias, error)
        return False


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
    checks = {f"database:{alias}": database_ok(alias) for alias in database_aliases()}
    checks = {name.removesuffix(":default"): ok for name, ok in checks.items()}
    checks["cache"] = cache_ok()
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
