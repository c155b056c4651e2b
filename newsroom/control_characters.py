"""Refuse requests that carry characters which are not text, before any view sees them.

NUL and the other C0 control characters (tab, line feed and carriage return excepted), DEL and
the Unicode non-characters U+FFFE and U+FFFF (``articles.text.CONTROL_CHARS``) have no
place in an address, a query parameter or a cookie. PostgreSQL cannot store NUL, so one in a
slug, a search term or a session cookie reached the ORM as a 500; XML 1.0, which the feeds and
sitemaps are written in, forbids them all. Form fields posted to the admin are checked by the
``ProhibitNullCharactersValidator`` Django gives every form ``CharField``.
"""

from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.views import defaults

from articles.text import CONTROL_CHARS

from .health import is_api

REFUSED = "control characters in the address, query string or cookies"


def request_text(request):
    """Everything the client chose that views may read: path, query parameters, cookies."""
    yield request.path
    for name, values in request.GET.lists():
        yield name
        yield from values
    for name, value in request.COOKIES.items():
        yield name
        yield value


class RefuseControlCharactersMiddleware:
    """400 Bad Request for a request carrying control characters (see the module's doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(CONTROL_CHARS.search(text) for text in request_text(request)):
            # Answered rather than raised: Django logs one line for it, not a traceback.
            if is_api(request):
                return JsonResponse({"detail": REFUSED}, status=400)
            return defaults.bad_request(request, BadRequest(REFUSED))
        return self.get_response(request)
