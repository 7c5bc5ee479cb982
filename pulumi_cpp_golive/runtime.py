"""One place that turns settings into a ready :class:`~pulumi_cpp_golive.golive.GoLive`, for both adapters.

Clients are built lazily inside the provider process and are never stored on anything Pulumi serialises, so no
token or client can end up in state. The credential is shared per settings (one token cache per process); the
HTTP client is per thread because a ``requests`` session is not meant to be shared between threads.
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

from azure.core.credentials import TokenCredential

from .auth import credential_for
from .client import CppClient
from .errors import redact
from .golive import GoLive, Reporter
from .settings import Settings

_LOCK = threading.Lock()
_CREDENTIALS: dict[Settings, TokenCredential] = {}
_LOCAL = threading.local()


def credential(settings: Settings) -> TokenCredential:
    with _LOCK:
        found = _CREDENTIALS.get(settings)
        if found is None:
            found = _CREDENTIALS[settings] = credential_for(settings)
        return found


def client(settings: Settings) -> CppClient:
    clients: Optional[dict[Settings, CppClient]] = getattr(_LOCAL, "clients", None)
    if clients is None:
        clients = _LOCAL.clients = {}
    found = clients.get(settings)
    if found is None:
        found = clients[settings] = CppClient(settings.base_url, credential(settings),
                                             request_timeout=settings.request_timeout)
    return found


def golive(settings: Settings, report: Optional[Reporter] = None) -> GoLive:
    """A :class:`GoLive` for ``settings`` using this thread's client. Every progress line it reports is redacted
    (a line may quote a server's answer, and a server may echo the token)."""
    sink = report or logging.getLogger("pulumi_cpp_golive").info
    return GoLive(client(settings), default_poll_interval=settings.poll_interval,
                  report=lambda line: sink(redact(line)), adopt_window=settings.adopt_timeout)
