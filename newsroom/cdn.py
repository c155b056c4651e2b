"""A CDN in front: surrogate keys on public responses, and purging them when content changes.

Every shareable public response names what it shows in a header (``NEWSROOM_SURROGATE_KEY_
HEADER``: ``Surrogate-Key`` for Fastly, ``xkey`` for Varnish's xkey module, ``Cache-Tag`` for
Cloudflare): the keys its view declared (``articles.caching.shows``: ``story:12``,
``people:7``, ``latest``…), or ``any-change`` for a page that declared nothing and so changes
with anything, and ``everything`` on all of them. After a change commits, the purger named
by ``NEWSROOM_CDN_PURGER`` drops the pages with the keys it changed (and ``any-change``), or
``everything``. The purge runs in a thread of its own, batched, retried on failure and
logged, never on the request path and never failing the save; it is sent again a few
seconds later, for a page rendered from the old content while the change committed.
"""

import atexit
import heapq
import itertools
import json
import logging
import os
import threading
import time
import urllib.request
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# On every public response: purged when everything changed.
EVERYTHING = "everything"
# On pages that declared nothing they show: purged on any change.
ANY_CHANGE = "any-change"


def surrogate_keys(shown: frozenset[str] | None) -> list[str]:
    """The keys of a response showing ``shown`` (None: everything)."""
    return [EVERYTHING, *(sorted(shown) if shown is not None else [ANY_CHANGE])]


def purge_keys(changed: frozenset[str] | None) -> list[str]:
    """The keys to purge when ``changed`` changed (None: everything)."""
    return [EVERYTHING] if changed is None else [ANY_CHANGE, *sorted(changed)]


def set_surrogate_keys(response, shown: frozenset[str] | None) -> None:
    """Name what ``response`` shows in the configured header; Cloudflare separates the keys
    with commas, Fastly and Varnish with spaces."""
    name = settings.NEWSROOM_SURROGATE_KEY_HEADER
    if name:
        separator = "," if name.lower() == "cache-tag" else " "
        response[name] = separator.join(surrogate_keys(shown))


class Purger:
    """Drops the CDN's copies of pages by surrogate key. Subclasses implement ``send()``, one
    request for at most ``batch_size`` keys that raises on failure."""

    batch_size = 256
    timeout = 5.0  # seconds for one request to the CDN
    retry_delays = (1.0, 5.0, 30.0)

    def __init__(self):
        self.queue = PurgeQueue(self)

    def send(self, keys: list[str]) -> None:
        raise NotImplementedError

    def purge_later(self, changed: frozenset[str] | None) -> None:
        """Purge what ``changed`` shows, now and again ``NEWSROOM_CDN_PURGE_AGAIN_SECONDS``
        later (a page rendered from the old content while the change committed may have
        reached the CDN after the first purge)."""
        keys = purge_keys(changed)
        self.queue.put(keys)
        if settings.NEWSROOM_CDN_PURGE_AGAIN_SECONDS > 0:
            self.queue.put(keys, delay=settings.NEWSROOM_CDN_PURGE_AGAIN_SECONDS)

    def purge(self, keys: list[str]) -> None:
        """Purge ``keys`` now, in batches."""
        for start in range(0, len(keys), self.batch_size):
            self.send(keys[start : start + self.batch_size])

    def request(self, url: str, method: str, headers: dict, body: dict | None = None) -> bytes:
        """One HTTP request to the CDN; urllib raises HTTPError for a 4xx or 5xx answer."""
        data = None if body is None else json.dumps(body).encode()
        # The operator's URL (settings), not a reader's.
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return response.read()


class PurgeQueue:
    """The keys waiting to be purged, and the thread purging them, in this process.

    The thread starts with the first purge (after gunicorn forks its workers) and coalesces
    what is due into as few requests as it can. A failed batch is tried again after each
    of ``Purger.retry_delays``, then given up with an error in the log. At exit the process
    waits a little for what is left, so a command's changes reach the CDN too.
    """

    def __init__(self, purger: Purger):
        self.purger = purger
        self.waiting = []  # a heap of (due, sequence, attempt, keys)
        self.sequence = itertools.count()
        self.condition = threading.Condition()
        self.sending = False
        self.thread = None
        self.pid = None

    def put(self, keys, *, delay: float = 0.0, attempt: int = 0) -> None:
        with self.condition:
            due = time.monotonic() + delay
            heapq.heappush(self.waiting, (due, next(self.sequence), attempt, tuple(keys)))
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.start()
            self.condition.notify_all()

    def start(self) -> None:
        if self.pid != os.getpid():
            atexit.register(self.flush, settings.NEWSROOM_CDN_PURGE_AGAIN_SECONDS + 5)
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self.run, name="cdn-purge", daemon=True)
        self.thread.start()

    def run(self) -> None:
        while True:
            with self.condition:
                while not self.waiting or self.waiting[0][0] > time.monotonic():
                    wait = self.waiting[0][0] - time.monotonic() if self.waiting else None
                    self.condition.wait(wait)
                due = []
                while self.waiting and self.waiting[0][0] <= time.monotonic():
                    due.append(heapq.heappop(self.waiting))
                self.sending = True
            try:
                self.send(due)
            finally:
                with self.condition:
                    self.sending = False
                    self.condition.notify_all()

    def send(self, due) -> None:
        by_attempt = defaultdict(set)
        for _, _, attempt, keys in due:
            by_attempt[attempt].update(keys)
        for attempt, keys in sorted(by_attempt.items()):
            ordered = [EVERYTHING] if EVERYTHING in keys else sorted(keys)
            for start in range(0, len(ordered), self.purger.batch_size):
                self.send_batch(ordered[start : start + self.purger.batch_size], attempt)

    def send_batch(self, keys: list[str], attempt: int) -> None:
        try:
            self.purger.send(keys)
        except Exception as error:  # any failure is retried, then logged; saves never see it
            delays = self.purger.retry_delays
            if attempt < len(delays):
                logger.warning(
                    "CDN purge of %d keys failed (%s); trying again in %ss.",
                    len(keys),
                    error,
                    delays[attempt],
                )
                self.put(keys, delay=delays[attempt], attempt=attempt + 1)
            else:
                logger.error(
                    "CDN purge of %s failed %d times (%s); giving up: the CDN may serve these "
                    "pages until their max-age runs out.",
                    " ".join(keys),
                    attempt + 1,
                    error,
                )

    def flush(self, timeout: float) -> bool:
        """Wait until nothing is waiting or being sent (at most ``timeout`` seconds), what
        is due later included; whether it all went."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.waiting or self.sending:
                left = deadline - time.monotonic()
                if left <= 0 or self.thread is None or not self.thread.is_alive():
                    return False
                self.condition.wait(min(left, 0.1))
        return True


class VarnishPurger(Purger):
    """Varnish with the xkey module (``deploy/varnish/newsroom.vcl``): a ``PURGE`` request
    naming the keys in ``xkey-purge``, to each of ``NEWSROOM_VARNISH_PURGE_URLS``."""

    batch_size = 200  # one header line: Varnish allows 8 KB

    def __init__(self):
        if not settings.NEWSROOM_VARNISH_PURGE_URLS:
            raise ImproperlyConfigured("VarnishPurger needs VARNISH_PURGE_URLS.")
        super().__init__()

    def send(self, keys: list[str]) -> None:
        for url in settings.NEWSROOM_VARNISH_PURGE_URLS:
            self.request(url, "PURGE", {"xkey-purge": " ".join(keys)})


class FastlyPurger(Purger):
    """Fastly's purge by surrogate key (``POST /service/<id>/purge``, 256 keys a request)."""

    def __init__(self):
        if not (settings.NEWSROOM_FASTLY_API_TOKEN and settings.NEWSROOM_FASTLY_SERVICE_ID):
            raise ImproperlyConfigured("FastlyPurger needs FASTLY_API_TOKEN and FASTLY_SERVICE_ID.")
        super().__init__()

    def send(self, keys: list[str]) -> None:
        url = "{}/service/{}/purge".format(
            settings.NEWSROOM_FASTLY_API_URL.rstrip("/"), settings.NEWSROOM_FASTLY_SERVICE_ID
        )
        headers = {
            "Fastly-Key": settings.NEWSROOM_FASTLY_API_TOKEN,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.request(url, "POST", headers, {"surrogate_keys": keys})


class CloudflarePurger(Purger):
    """Cloudflare's purge by cache tag (``POST /zones/<id>/purge_cache``, 100 tags a request;
    set ``SURROGATE_KEY_HEADER=Cache-Tag``)."""

    batch_size = 100

    def __init__(self):
        if not (settings.NEWSROOM_CLOUDFLARE_API_TOKEN and settings.NEWSROOM_CLOUDFLARE_ZONE_ID):
            raise ImproperlyConfigured(
                "CloudflarePurger needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID."
            )
        super().__init__()

    def send(self, keys: list[str]) -> None:
        url = "{}/zones/{}/purge_cache".format(
            settings.NEWSROOM_CLOUDFLARE_API_URL.rstrip("/"), settings.NEWSROOM_CLOUDFLARE_ZONE_ID
        )
        headers = {
            "Authorization": f"Bearer {settings.NEWSROOM_CLOUDFLARE_API_TOKEN}",
            "Content-Type": "application/json",
        }
        answer = json.loads(self.request(url, "POST", headers, {"tags": keys}) or b"{}")
        if not answer.get("success"):
            raise RuntimeError(f"Cloudflare refused the purge: {answer.get('errors')}")
