"""``POST /api/ingest/``: stories delivered by wire (``articles.ingest``), answered in JSON.

Authenticated by an ingest token, not a session: so exempt from CSRF (a browser cannot send
the ``Authorization`` header cross-site without the page knowing the secret), and never
cached. Checked in this order, each refusal a JSON ``{"error", "field"}``: the method (405),
the token (401, 403), the token's rate (429), the size (413), the media type (415), the
delivery itself (400, 422), the newsroom's work (409).
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt

from articles import ingest
from newsroom import ratelimit

SUCCESS_STATUS = {"created": 201}


def answer(payload: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(payload, status=status, headers=headers)
    add_never_cache_headers(response)
    return response


def refused(error: ingest.IngestError, **headers) -> JsonResponse:
    return answer(error.as_json(), error.status, **headers)


def body_of(request) -> bytes:
    """The request body, read up to the limit; 413 past it (the ``Content-Length`` given
    is believed only to refuse early), 400 for a length that is no number."""
    limit = settings.NEWSROOM_INGEST_MAX_BYTES
    given = request.META.get("CONTENT_LENGTH") or "0"
    if not given.isdigit():
        raise ingest.IngestError(400, "Content-Length is no number", "Content-Length")
    too_large = ingest.IngestError(
        413, f"a delivery may be at most {limit} bytes", "Content-Length"
    )
    if int(given) > limit:
        raise too_large
    data = request.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ingest.IngestError(400, "the delivery is empty", "(body)")
    return data


@csrf_exempt
def ingest_story(request):
    if request.method != "POST":
        error = ingest.IngestError(405, "deliver stories with POST")
        return refused(error, Allow="POST")
    try:
        token = ingest.authenticated_token(request.headers.get("Authorization", ""))
    except ingest.IngestError as error:
        return refused(error, **({"WWW-Authenticate": "Bearer"} if error.status == 401 else {}))
    wait = ratelimit.seconds_to_wait("ingest", request, client=f"ingest-token:{token.pk}")
    if wait is not None:
        error = ingest.IngestError(429, f"too many deliveries with this token; wait {wait} s")
        return refused(error, **{"Retry-After": str(wait)})
    try:
        data = body_of(request)
        delivery = ingest.parse_delivery(request.META.get("CONTENT_TYPE", ""), data, token)
        done = ingest.deliver(delivery, token)
    except ingest.IngestError as error:
        return refused(error)
    return answer(done, SUCCESS_STATUS.get(done["outcome"], 200))
