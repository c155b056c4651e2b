"""Django's PostgreSQL backend, with every round trip to the server bounded in time.

settings.py sets ``ENGINE: "newsroom.postgresql"`` for every PostgreSQL database, with
``OPTIONS["query_deadline"]`` in seconds (None: no limit). Queries, commits and rollbacks get
that long; the check Django makes of a reused connection (``CONN_HEALTH_CHECKS``) at most
``HEALTH_CHECK_SECONDS``. When a deadline passes, the connection is closed, so nothing reuses one
left mid-query, and the caller gets ``OperationalError``: readers see the 503 page.

This is the client's side of the bound. PostgreSQL's own ``statement_timeout`` (a second
earlier, see settings) cancels slow queries on a live server and keeps the connection; the
deadline is for a server that does not answer at all (``newsroom.dbdeadline``).
"""

from contextlib import contextmanager

import psycopg
from django.db import OperationalError
from django.db.backends.postgresql import base

from newsroom.dbdeadline import watchdog

# A live server answers the health check's "SELECT 1" in a millisecond; one that takes longer
# than this is treated as gone, and Django opens a new connection (bounded by connect_timeout).
HEALTH_CHECK_SECONDS = 2.0


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self.bounded_execute)

    @property
    def query_deadline(self) -> float | None:
        seconds = self.settings_dict["OPTIONS"].get("query_deadline")
        return float(seconds) if seconds else None

    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop("query_deadline", None)  # ours, not libpq's
        return params

    def bounded_execute(self, execute, sql, params, many, context):
        with self.deadline(self.query_deadline):
            return execute(sql, params, many, context)

    def _commit(self):
        with self.deadline(self.query_deadline):
            return super()._commit()

    def _rollback(self):
        with self.deadline(self.query_deadline):
            return super()._rollback()

    def is_usable(self):
        with self.deadline(min(HEALTH_CHECK_SECONDS, self.query_deadline or HEALTH_CHECK_SECONDS)):
            return super().is_usable()  # False, not an error, when the deadline passed

    @contextmanager
    def without_time_limits(self):
        """For a long one-off job (``generate_corpus`` at a million stories commits one
        transaction of minutes): no ``statement_timeout`` and no client deadline inside the
        block, both back as configured after it."""
        options = self.settings_dict["OPTIONS"]
        saved = options.pop("query_deadline", None)
        try:
            with self.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
            yield
        finally:
            if saved is not None:
                options["query_deadline"] = saved
            if self.connection is not None and not self.connection.closed:
                with self.cursor() as cursor:
                    # Back to the connection's own setting (its startup options).
                    cursor.execute("RESET statement_timeout")

    @contextmanager
    def deadline(self, seconds: float | None):
        """Run the block's round trip for at most ``seconds``, or raise OperationalError."""
        fd = self.socket()
        if not seconds or fd is None:
            yield
            return
        with watchdog.watch(fd, seconds) as trip:
            try:
                yield
            except Exception as error:
                if not trip.expired:
                    raise
                self.close()
                raise OperationalError(
                    f"the database did not answer within {seconds:g} s"
                ) from error
        if trip.expired:  # it answered just as its socket was shut: that socket is done
            self.close()

    def socket(self) -> int | None:
        if self.connection is None:
            return None
        try:
            return self.connection.fileno()
        except psycopg.Error:  # already broken: the round trip fails at once by itself
            return None
