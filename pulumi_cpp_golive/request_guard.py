"""The time limit of one HTTP attempt, and Cancel: a guard per attempt, and a watchdog that shuts its sockets down.

requests and urllib3 time each socket read, not the request, so a server trickling a byte a second keeps a request
alive indefinitely. :class:`~.transport.DeadlineTransport` gives every attempt a :class:`RequestGuard`; the
connections it sends on (:mod:`.guarded_connections`) register with the guard of their thread (:data:`ACTIVE`)
before writing, and :data:`WATCHDOG` shuts their sockets down when ``request_timeout`` or the go-live's deadline
passes, or on Cancel. A shutdown wakes a read blocked in another thread (azure-core's only sync transport is
requests-based, and its aiohttp one would make the client async).

The guard also records what the sockets saw (a connection tried, a byte written), from which the transport
decides whether a failed request was sent at all.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Iterator, Optional

from urllib3.connection import HTTPConnection

from .deadline import Deadline

__all__ = ["ACTIVE", "WATCHDOG", "RequestGuard"]


class _Aborted(OSError):
    """Raised inside urllib3 when a request's guard fired before its bytes went out."""


class RequestGuard:
    """One HTTP attempt's time limit: the sockets it uses are shut down when the time is up or on Cancel."""

    def __init__(self, deadline: Optional[Deadline], budget: float) -> None:
        self.deadline = deadline
        self.budget = budget
        self.abort_at = time.monotonic() + budget
        self.fired: Optional[str] = None  # why it was aborted
        self.sent = False  # whether any byte of the request may have left this process
        self.connecting = False  # whether a connection was tried: without it, nothing proves "not sent"
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        """Called by the connection just before it writes: from now on the request counts as sent, and aborting
        means shutting its socket down."""
        with self._lock:
            if self.fired is not None:
                raise _Aborted(self.fired)
            if connection not in self._connections:
                self._connections.append(connection)
            self.sent = True

    def reason_to_abort(self, now: float) -> Optional[str]:
        """Why the attempt must stop at ``now`` (its go-live's deadline passed or was cancelled, or its own time is
        up), or None while it may go on."""
        if self.deadline is not None and self.deadline.done:
            return self.deadline.why()
        if now >= self.abort_at:
            return f"no complete answer within {self.budget:g} s"
        return None

    def fire(self, reason: str) -> None:
        """Abort the attempt for ``reason``: shut down the sockets attached so far, and refuse any later write."""
        with self._lock:
            self.fired = reason
            sockets = [connection.sock for connection in self._connections if connection.sock is not None]
        for sock in sockets:
            # shutdown (not close) wakes a recv blocked in another thread; on a TLS socket, the plain socket's
            # shutdown is used so that the TLS object is not torn down under the reading thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that fires the guards of in-flight requests whose time is up or whose go-live was
    cancelled. Cancel is a plain ``threading.Event``, so it is checked every :data:`_CANCEL_CHECK_SECONDS`."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._guards: set[RequestGuard] = set()
        self._thread: Optional[threading.Thread] = None

    @contextlib.contextmanager
    def watching(self, guard: RequestGuard) -> Iterator[None]:
        """Watch ``guard`` for the duration of the ``with`` block (starting the thread on first use)."""
        with self._condition:
            self._guards.add(guard)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cpp-golive-watchdog", daemon=True)
                self._thread.start()
            self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                self._guards.discard(guard)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for guard in list(self._guards):
                    reason = guard.reason_to_abort(now)
                    if reason is not None:
                        self._guards.discard(guard)
                        guard.fire(reason)
                if not self._guards:
                    self._condition.wait()
                    continue
                timeout = min(guard.abort_at for guard in self._guards) - now
                if any(guard.deadline is not None and guard.deadline.cancel is not None for guard in self._guards):
                    timeout = min(timeout, _CANCEL_CHECK_SECONDS)
                self._condition.wait(max(timeout, 0.0))


_CANCEL_CHECK_SECONDS = 0.2
WATCHDOG = _Watchdog()
# The guard of the request this thread is sending (its ``guard`` attribute): set by the transport around a send,
# read by the connections it sends on.
ACTIVE = threading.local()
