"""Reads from read replicas, writes to the primary (``DATABASE_REPLICA_URLS``).

Replicas lag behind the primary a little, so reads stay on the primary where that would show:
inside a transaction, and while ``use_primary()`` is in effect (``PrimaryDatabaseMiddleware``
uses it for staff, for writes, and just after content changed).
"""

import random
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_on_primary = ContextVar("newsroom_reads_on_primary", default=False)


def replicas() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS]


@contextmanager
def use_primary():
    """Read from the primary within this block, e.g. to read what was just written."""
    reset = _on_primary.set(True)
    try:
        yield
    finally:
        _on_primary.reset(reset)


class PrimaryReplicaRouter:
    def __init__(self, replicas_=None):
        self.replicas = replicas() if replicas_ is None else list(replicas_)

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db  # related objects come from where their owner did
        if not self.replicas or _on_primary.get():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a transaction reads what it has written
        return random.choice(self.replicas)

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
