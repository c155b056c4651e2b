"""Cache configurations for tests that need a real Redis (``REDIS_TEST_URL``)."""

import os
import socket
import uuid

import redis

from tests.conftest import require

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")


def redis_cache(location: str, **options) -> dict:
    """Settings for the production Redis backend at ``location``, with keys of its own."""
    return {
        "default": {
            "BACKEND": "newsroom.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3, **options},
        }
    }


def real_redis_cache() -> dict:
    require(bool(REDIS_TEST_URL), "Redis (REDIS_TEST_URL)")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        require(False, f"Redis at {REDIS_TEST_URL}")
    return redis_cache(REDIS_TEST_URL)


def forget(config: dict) -> None:
    """Delete the keys a test wrote under its own prefix (never the whole database)."""
    client = redis.Redis.from_url(config["default"]["LOCATION"])
    keys = list(client.scan_iter(f"{config['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


def free_port() -> int:
    """A TCP port nothing listens on (a closed port, until something is started on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
