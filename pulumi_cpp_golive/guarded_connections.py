"""The connections :class:`~.transport.DeadlineTransport` sends on: urllib3's, registering with the request's
:class:`~.request_guard.RequestGuard` before they write, and reading past interim answers.

* A connection marks its guard ``connecting`` before it connects and attaches itself just before its first write:
  from then on the request counts as sent, and the watchdog can shut its socket down.
* **Interim answers** (``1xx``) are skipped: http.client skips only ``100``, and takes a ``103 Early Hints`` for
  the final answer, leaving the real one in the socket for the next request to read.
"""

from __future__ import annotations

import http.client
from typing import Any, Optional

import requests.adapters
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

from .request_guard import ACTIVE, RequestGuard

__all__ = ["MAX_INTERIM_ANSWERS", "GuardedAdapter"]

# Interim (1xx) answers skipped before a final one; more is a server in a loop, not an answer.
MAX_INTERIM_ANSWERS = 16


class _FinalAnswerOnly(http.client.HTTPResponse):
    """http.client's response, reading past every interim (1xx) answer to the final one.

    Written here because http.client skips ``100 Continue`` only (a ``103`` becomes the answer, and the real one
    is left for the next request on the connection), and urllib3 and requests add nothing.
    """

    def _read_status(self) -> tuple[str, int, str]:
        for _ in range(MAX_INTERIM_ANSWERS):
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 100 <= status < 200 or status == 101:  # 101 Switching Protocols is final (and not ours)
                return version, status, reason
            http.client.parse_headers(self.fp)  # the interim answer's headers: skipped with it
        raise http.client.HTTPException(f"more than {MAX_INTERIM_ANSWERS} interim (1xx) answers")


class _GuardedHTTPConnection(HTTPConnection):
    response_class = _FinalAnswerOnly

    def connect(self) -> None:
        guard: Optional[RequestGuard] = getattr(ACTIVE, "guard", None)
        if guard is not None:
            guard.connecting = True
        super().connect()

    def send(self, data: Any) -> None:
        guard: Optional[RequestGuard] = getattr(ACTIVE, "guard", None)
        if guard is not None:
            if self.sock is None:
                self.connect()  # connect first (refused, DNS, TLS: not sent), so the guard reaches the socket
            guard.attach(self)
        super().send(data)


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter on connection pools whose connections register with the request's guard."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
