"""Project middleware: the public page cache with its HTTP caching headers, rate limits for
what it cannot answer, the friendly 503 while the database is down, and keeping staff on the
primary database."""

import contextlib
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.http import http_date, parse_http_date_safe

from articles import caching

from . import cdn, db_router, ratelimit

logger = logging.getLogger(__name__)

# Responses whose content depends only on the URL and the database: shared with browsers and
# CDNs, and kept in the page cache, except a 404: made-up addresses are endless, so storing
# their answers would let a script fill the cache (answering one costs a lookup by slug).
SHAREABLE_STATUSES = {200, 301, 404, 410}
STORED_STATUSES = SHAREABLE_STATUSES - {404}


def is_personal(request) -> bool:
    """Whether the request comes with a session or credentials: then it is someone's own
    (staff), never served from nor stored in the public cache, and never cached downstream."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "authorization" in request.headers


def is_private_path(request) -> bool:
    return request.path.startswith(tuple(settings.NEWSROOM_PRIVATE_PATHS))


def is_public(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not is_personal(request)
        and not is_private_path(request)
    )


def keep_private(response) -> None:
    """Browsers, proxies and CDNs must neither store nor share this response."""
    response.headers.pop("Expires", None)
    response["Cache-Control"] = "private, no-store"


def opts_out(response) -> bool:
    """Whether the view said how to cache its response and ruled out sharing it."""
    directives = response.get("Cache-Control", "").lower()
    return any(word in directives for word in ("private", "no-store", "no-cache"))


def shareable(response) -> bool:
    return (
        response.status_code in SHAREABLE_STATUSES
        and not response.streaming
        and not response.cookies  # a cookie is meant for one client
        and not opts_out(response)
        # The cache key is the URL alone; a response that varies on more cannot be shared.
        and {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
        <= {"cookie"}
    )


def params_read_by_view(path_info: str) -> tuple[str, ...]:
    """The query parameters the view routed to ``path_info`` declares it reads
    (``query_params`` on the view class or function); none for a path no view answers.

    A path that only lacks its final slash counts as the one CommonMiddleware redirects to,
    so ``/search?q=…`` keeps its query on the way to ``/search/?q=…``.
    """
    try:
        match = resolve(path_info)
    except Resolver404:
        if settings.APPEND_SLASH and not path_info.endswith("/"):
            return params_read_by_view(path_info + "/")
        return ()
    view = getattr(match.func, "view_class", match.func)
    return tuple(getattr(view, "query_params", ()))


def keep_read_params_only(request) -> None:
    """Reduce the query string to what the view reads, one value each, in a fixed order.

    The page is stored under that query string (``page_key``), so the view must not see
    anything else: ``?utm_source=…`` gets the page of the clean URL, from the cache, and
    cannot make a new entry; ``?q=a&q=b`` is the page of ``?q=a``.
    """
    if not request.META.get("QUERY_STRING"):
        return
    kept = QueryDict(mutable=True)
    for name in sorted(params_read_by_view(request.path_info)):
        values = request.GET.getlist(name)
        if values:
            kept[name] = values[0]
    request.META["QUERY_STRING"] = kept.urlencode()
    request.GET = QueryDict(request.META["QUERY_STRING"])


def page_key(request) -> str:
    """The cache key of a public page: the path routing used, exactly as requested (not
    normalised: ``/news/../`` is not ``/``), on this scheme and host, with the query string
    ``keep_read_params_only`` left."""
    address = "{}://{}{}?{}".format(
        request.scheme, request.get_host(), request.path, request.META.get("QUERY_STRING", "")
    )
    return f"public-page:{hashlib.sha256(address.encode()).hexdigest()}"


class PublicCacheMiddleware:
    """Serve what anonymous readers see from the shared cache, and tell CDNs they may too.

    Works for every public view: an anonymous GET or HEAD of any path outside
    ``NEWSROOM_PRIVATE_PATHS`` is stored with what it shows (the keys its view declared
    with ``caching.shows()``; all content for a view that declares nothing) and the content
    generation it was rendered under, and served again while nothing it shows has changed
    since (``articles.caching``), and no longer than the next timed change (a scheduled
    publication, the end of live coverage, the banner's expiry: ``caching.expiry``). The
    same keys go to a CDN in front as surrogate keys (``newsroom.cdn``). Requests with a
    session (staff) neither read nor fill the cache, and everything they get is
    ``private, no-store``. A view that reads query parameters declares them
    (``query_params``); the others are dropped before it.

    Views keep control: a response with cookies, with ``Cache-Control`` ruling out sharing
    (``never_cache``, previews), or varying on more than the URL is not stored or shared.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        caching.cdn_purger()  # a misconfigured CDN purger stops the server from starting

    def __call__(self, request):
        if not is_public(request):
            response = self.get_response(request)
            keep_private(response)
            return response
        keep_read_params_only(request)
        # NEWSROOM_PAGE_CACHE off (benchmarks' uncached runs): render every time.
        key = page_key(request) if settings.NEWSROOM_PAGE_CACHE else None
        entry = self.stored(key)
        with caching.pinned_generation(entry and entry["stamp"]) as (token, holds):
            if holds and entry["expires"] > timezone.now():
                response = entry["response"]
                response["X-Cache"] = "hit"
                self.date_once_settled(response, entry.get("undated"))
            elif caching.database_unavailable():
                return unavailable_response()  # rendering would wait on it again, in vain
            else:
                response, entry = self.render_and_store(request, token, key if token else None)
                if entry is None:
                    return response  # not to be shared: as the view made it
        self.share(response, entry["until"])
        return self.answer(request, response)

    @staticmethod
    def stored(key):
        """What the cache holds for ``key``: the response; until when the page cache keeps
        it (``expires``) and until when it may be shared (``until``: the next timed change,
        or None); and the stamp saying what it shows and under which
        generation it was rendered."""
        entry = cache.get(key) if key else None
        return entry if isinstance(entry, dict) and "stamp" in entry else None

    @staticmethod
    def answer(request, response):
        """The shared page as this request asked for it: without a body for HEAD, or a 304
        when the client's copy is still the current one."""
        if request.method == "HEAD":
            response.content = b""  # stored whole for GETs; Content-Length still tells the size
        answer = get_conditional_response(
            request,
            etag=response.get("ETag"),  # none for an empty body, e.g. a redirect
            last_modified=parse_http_date_safe(response.get("Last-Modified")),
            response=response,
        )
        keys = settings.NEWSROOM_SURROGATE_KEY_HEADER
        if answer is not response and keys and response.has_header(keys):
            answer[keys] = response[keys]  # a CDN revalidating keeps knowing what it shows
        return answer

    def render_and_store(self, request, token, key):
        """The view's response, and its cache entry (``stored``), kept under ``key`` if it
        may be; no entry for a response to send as it is."""
        started = timezone.now()
        try:
            # Read before rendering: a page rendered across a timed change (a scheduled
            # story going live meanwhile) shows what was live before it (``caching.expiry``).
            timetable = caching.timed_changes(token)
        except DatabaseError:
            timetable = None
        with caching.collecting_shown() as shown:
            response = self.get_response(request)
        if response.status_code == 304 and not opts_out(response):
            # The view answered a conditional request itself (feeds do): nothing to store,
            # but the copy it confirms is shared no longer than the page would be.
            with contextlib.suppress(DatabaseError):
                timetable = timetable or caching.timed_changes(token)
                self.share(response, timetable.next_change)
                cdn.set_surrogate_keys(response, shown.frozen)
            return response, None
        if not shareable(response):
            if response.cookies or response.status_code >= 500:
                keep_private(response)
            return response, None
        if timetable is None:
            return response, None  # rendered without knowing until when: serve, once
        expires = caching.expiry(token, settings.NEWSROOM_PAGE_CACHE_SECONDS, timetable)
        until = timetable.next_change
        changed = caching.last_modified(token, timetable) if token else timezone.now()
        if not response.has_header("ETag"):
            set_response_etag(response)
        undated = None
        if not response.has_header("Last-Modified"):
            if caching.settled(changed, started):
                # The same in every worker (not the time of rendering), like the ETag.
                response["Last-Modified"] = http_date(changed.timestamp())
            else:
                undated = changed  # dated once that second has passed: date_once_settled
        stamp = shown.stamp(token or caching.NO_CHANGE_YET)
        # "Not found" changes with anything (a story taking the address), whatever the view
        # declared before it gave up.
        cdn.set_surrogate_keys(response, None if response.status_code == 404 else stamp.keys)
        entry = {
            "response": response,
            "expires": expires,
            "until": until,
            "stamp": stamp,
            "undated": undated,
        }
        seconds = (expires - timezone.now()).total_seconds()
        if key and seconds > 0 and response.status_code in STORED_STATUSES:
            cache.set(key, entry, int(seconds) + 1)
        response["X-Cache"] = "miss"
        return response, entry

    @staticmethod
    def date_once_settled(response, changed) -> None:
        """Date a stored page rendered in the second of its last change (``changed``; it
        has its ETag only: ``caching.settled``) once that second is over. A page still
        served then saw no change of what it shows later in that second (such a change
        would have ended it), so a later one is dated in a later second."""
        if changed is not None and caching.settled(changed, timezone.now()):
            response["Last-Modified"] = http_date(changed.timestamp())

    @staticmethod
    def share(response, until) -> None:
        """Let browsers and CDNs keep the page for a minute, and serve it stale while they
        fetch it again, but never past ``until`` (the next timed change, if any: a scheduled
        publication, the end of live coverage, the banner's expiry): a page rendered before
        it may miss the story going live, still show the "Live" marker or the banner."""
        left = int((until - timezone.now()) / timedelta(seconds=1)) if until else 2**31
        left = max(0, left)
        max_age = min(settings.NEWSROOM_HTTP_MAX_AGE, left)
        directives = {"public": True, "max_age": max_age}
        if settings.NEWSROOM_HTTP_SHARED_MAX_AGE is not None:
            directives["s_maxage"] = min(settings.NEWSROOM_HTTP_SHARED_MAX_AGE, left)
        kept = max(max_age, directives.get("s_maxage", 0))
        patch_cache_control(
            response,
            **directives,
            stale_while_revalidate=max(
                0, min(settings.NEWSROOM_HTTP_STALE_WHILE_REVALIDATE, left - kept)
            ),
            stale_if_error=settings.NEWSROOM_HTTP_STALE_IF_ERROR,
        )
        # The same URL is private for staff, whose requests carry the session cookie.
        patch_vary_headers(response, ["Cookie"])


class RateLimitMiddleware:
    """429 Too Many Requests, with Retry-After, for a client sending more than its share of
    what costs a render every time (``settings.NEWSROOM_RATE_LIMITS``, ``newsroom.ratelimit``).

    Limited: admin login attempts, and public pages for readers not logged in that carry a
    query string a view reads (each search is a page of its own) or a session cookie or
    credentials that skip the public cache. Never limited: cache hits, which
    ``PublicCacheMiddleware`` answers before this, and logged-in staff.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = self.scope(request)
        wait = ratelimit.seconds_to_wait(scope, request) if scope else None
        if wait is not None:
            return too_many_requests(wait)
        return self.get_response(request)

    @staticmethod
    def scope(request) -> str | None:
        if request.method == "POST":
            return "login" if request.path == reverse("admin:login") else None
        if (
            request.method in ("GET", "HEAD")
            and not is_private_path(request)
            and (request.META.get("QUERY_STRING") or is_personal(request))
            and not request.user.is_authenticated
        ):
            return "uncached"
        return None


def too_many_requests(wait: int) -> HttpResponse:
    response = HttpResponse(render_to_string("429.html"), status=429)
    response["Retry-After"] = str(wait)
    keep_private(response)
    return response


class DatabaseUnavailableMiddleware:
    """A friendly 503 page, not a traceback, while the database cannot be reached.

    Django closes a broken connection at the end of the request and opens a fresh one for
    the next, so the site recovers by itself when the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable for %s: %s", request.path, exception)
        return unavailable_response()


def unavailable_response() -> HttpResponse:
    # Rendered without a request: context processors could query the database.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    keep_private(response)
    return response


class PrimaryDatabaseMiddleware:
    """With read replicas, keep reads on the primary where a replica could be behind: for
    staff and writes (read-your-own-writes), and for a moment after content changed, so no
    page is rendered, and cached, from a replica that has not caught up yet."""

    def __init__(self, get_response):
        if not db_router.replicas():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if is_public(request) and not self.changed_recently():
            return self.get_response(request)
        with db_router.use_primary():
            return self.get_response(request)

    @staticmethod
    def changed_recently() -> bool:
        token = caching.generation()
        if token is None:
            return True  # no cache: no way to tell
        lag = timedelta(seconds=settings.NEWSROOM_REPLICA_LAG_SECONDS)
        return timezone.now() - caching.changed_at(token) < lag
