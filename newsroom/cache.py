"""A Redis cache that a stopped Redis slows down but never breaks.

Django's ``RedisCache`` raises when Redis cannot be reached, which would turn every page into a
500. Here a connection failure is a cache miss (``get`` returns the default, ``set`` does
nothing), logged once as a warning; for a few seconds after a failure Redis is not even tried,
so requests do not each wait for a dead server. When Redis answers again, the cache is used
again: no restart needed, and nothing is stale: the pages are stored under the content
generation, which lives in the database (``articles.caching``), so a change made while Redis
was unreachable has already moved it.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


def _when_unavailable(fallback):
    """Answer ``fallback(*args, **kwargs)`` instead of raising while Redis is unavailable."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._retry_at:
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                self._failed(error)
                return fallback(*args, **kwargs)
            if self._retry_at:
                logger.warning("Redis cache at %s is available again.", self._location)
                self._retry_at = 0.0
            return result

        return wrapper

    return decorator


class ResilientRedisCache(RedisCache):
    #: Seconds to wait after a failure before trying Redis again.
    retry_after = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server
        self._retry_at = 0.0

    def _failed(self, error):
        if not self._retry_at:
            logger.warning(
                "Redis cache at %s is unavailable (%s); serving without it.", self._location, error
            )
        self._retry_at = time.monotonic() + self.retry_after

    add = _when_unavailable(lambda *args, **kwargs: False)(RedisCache.add)
    get = _when_unavailable(lambda key, default=None, version=None: default)(RedisCache.get)
    set = _when_unavailable(lambda *args, **kwargs: None)(RedisCache.set)
    # Rate-limit counters (newsroom.ratelimit): while Redis is down, nobody is over a limit.
    incr = _when_unavailable(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    touch = _when_unavailable(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _when_unavailable(lambda *args, **kwargs: False)(RedisCache.delete)
    get_many = _when_unavailable(lambda *args, **kwargs: {})(RedisCache.get_many)
    has_key = _when_unavailable(lambda *args, **kwargs: False)(RedisCache.has_key)
    set_many = _when_unavailable(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    delete_many = _when_unavailable(lambda *args, **kwargs: None)(RedisCache.delete_many)
    clear = _when_unavailable(lambda *args, **kwargs: False)(RedisCache.clear)
