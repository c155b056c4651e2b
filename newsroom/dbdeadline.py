"""A client-side deadline for round trips to the database server.

``statement_timeout`` makes a live PostgreSQL give up on a slow query, and TCP keepalives notice
a network that went away, but a server that is frozen (stopped, swapped out, its host hung)
still has a kernel acknowledging every packet, so neither fires and psycopg waits on the socket
for ever. Here one watchdog thread per process shuts down the socket of any round trip that has
outlived its deadline: libpq then sees the connection closed and psycopg raises
``OperationalError`` at once, in whichever thread was waiting (a sync worker's main thread, a
gthread worker, runserver's threads alike), with no signals involved.
"""

import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(eq=False)
class RoundTrip:
    fd: int
    deadline: float  # time.monotonic()
    expired: bool = False


def shut_down(fd: int) -> None:
    """End the connection on ``fd`` for both sides, leaving the descriptor to its owner."""
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the round trip is over anyway


class Watchdog:
    """Watches round trips; the thread wakes only when the earliest deadline is due."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # threads do not survive a fork

    def _reset(self) -> None:
        self._condition = threading.Condition()
        self._watched: set[RoundTrip] = set()
        self._wake_at: float | None = None  # None: the thread sleeps until told
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, fd: int, seconds: float):
        """Shut ``fd`` down if the block is still running after ``seconds``; the block can tell
        by the yielded round trip's ``expired``."""
        trip = RoundTrip(fd, time.monotonic() + seconds)
        with self._condition:
            self._watched.add(trip)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="database-deadline", daemon=True
                )
                self._thread.start()
            if self._wake_at is None or trip.deadline < self._wake_at:
                self._condition.notify()
        try:
            yield trip
        finally:
            with self._condition:
                self._watched.discard(trip)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for trip in [trip for trip in self._watched if trip.deadline <= now]:
                    self._watched.discard(trip)
                    trip.expired = True
                    shut_down(trip.fd)
                self._wake_at = min((trip.deadline for trip in self._watched), default=None)
                self._condition.wait(None if self._wake_at is None else self._wake_at - now)


watchdog = Watchdog()
