"""Rate limits per client address, for requests the public page cache cannot answer.

A fixed window per client and scope (``settings.NEWSROOM_RATE_LIMITS``), counted in Django's
cache: with Redis the workers and servers share the counts; with the local-memory cache each
worker process counts for itself, so a client gets up to the limit times the number of
workers. While Redis is unreachable nothing is counted (``newsroom.cache``): the site serves
on, unlimited, rather than refusing everyone.

Written here rather than taken from django-ratelimit: its system check refuses the
local-memory cache we ship as default (and warns on Django's own Redis backend, which
``make serve``'s deploy check turns into a refusal to start), it gives no Retry-After, and
the trusted-proxy address below would be ours to write anyway.
"""

import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache

UNKNOWN_ADDRESS = "unknown"


def client_address(request) -> str:
    """The address the request came from, as far as this server can vouch for it.

    ``REMOTE_ADDR``, unless the operator says ``TRUSTED_PROXY_COUNT`` proxies stand in front
    and each appends the address it saw to ``X-Forwarded-For``: then the entry that many
    from the right, the address the outermost trusted proxy saw. The entries left of it are
    whatever the client sent and are never believed. IPv6 addresses count by their /64
    network, which one subscriber usually holds whole.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NEWSROOM_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= proxies:
            address = forwarded[-proxies].strip()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        try:
            ip = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return UNKNOWN_ADDRESS  # e.g. a Unix socket: configure the proxy count
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def seconds_to_wait(scope: str, request, client: str | None = None) -> int | None:
    """Count this request against ``scope``'s limit for its client (``client``, e.g. an
    ingest token, or else its address): None while within it, else how many seconds until
    the client's window ends."""
    rate = settings.NEWSROOM_RATE_LIMITS.get(scope)
    if rate is None:
        return None
    limit, period = rate
    now = time.time()
    window = int(now // period)
    key = f"rate-limit:{scope}:{client or client_address(request)}:{window}"
    cache.add(key, 0, period)
    try:
        count = cache.incr(key)
    except ValueError:  # expired or evicted since add()
        count = 1
        cache.set(key, count, period)
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))
