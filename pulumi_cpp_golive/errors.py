"""The exceptions a user of pulumi-cpp-golive sees.

Every message is written for the person reading a failed ``pulumi up``: it names the HTTP status, the CPP error
code and message, the request (method and URL without its query) and, whenever one is known, the go-live
operation ID. No message ever contains a bearer token or a client secret: the client never puts one into an
exception, and :func:`redact` is applied to anything that echoes server text back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .operation import OperationRecord

__all__ = [
    "AmbiguousGoLiveError",
    "ConfigurationError",
    "CppApiError",
    "CppError",
    "GoLiveCancelledError",
    "GoLiveError",
    "GoLiveFailedError",
    "GoLiveTimeoutError",
    "OfferNotReadyError",
    "TrackingUrlError",
    "redact",
]

# Anything shaped like a JWT or a "Bearer xyz" pair is masked before it can reach a message.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
)


def redact(text: str, *secrets: Optional[str]) -> str:
    """Mask ``secrets`` and anything that looks like a bearer token in ``text``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _SECRET_PATTERNS[0].sub(r"\1***", text)
    return _SECRET_PATTERNS[1].sub("***", text)


class CppError(Exception):
    """Base class of every error raised by pulumi-cpp-golive."""


class ConfigurationError(CppError, ValueError):
    """A setting (base URL, poll interval, credentials) is missing or invalid."""


class CppApiError(CppError):
    """The CPP API answered with an error (after any retries the client was allowed to make).

    Attributes carry the pieces separately so callers can branch on them; ``str()`` gives one readable line.
    ``retry_after`` is the answer's parsed ``Retry-After`` (seconds), when it had one.
    """

    def __init__(
        self,
        *,
        status: Optional[int],
        method: str,
        url: str,
        code: Optional[str] = None,
        message: Optional[str] = None,
        operation_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url.split("?", 1)[0]
        self.code = code
        self.message = redact(message) if message else message
        self.operation_id = operation_id
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no HTTP response"
        text = f"CPP API {self.method} {self.url} failed: {status}"
        if self.code:
            text += f" {self.code}"
        if self.message:
            text += f": {self.message}"
        if self.operation_id:
            text += f" (operation {self.operation_id})"
        return text

    def with_operation(self, operation_id: str) -> CppApiError:
        """The same error, naming the go-live operation it concerns."""
        return CppApiError(status=self.status, method=self.method, url=self.url, code=self.code,
                           message=self.message, operation_id=operation_id, retry_after=self.retry_after)

    @property
    def transient(self) -> bool:
        """True for answers worth asking again later: throttling, server errors, no response at all."""
        if self.code == "MalformedResponse":
            return True
        return self.status is None or self.status in (408, 429) or self.status >= 500


class OfferNotReadyError(CppError):
    """The offer is in no state to go live (e.g. never published to preview); nothing was posted."""


class TrackingUrlError(CppError):
    """A 202 answer carried no usable tracking header, or one pointing at a host the token must not go to."""


class AmbiguousGoLiveError(CppError):
    """The go-live POST may or may not have reached CPP and no running operation could be found to adopt.

    Nothing was re-posted. Running ``pulumi up`` again is safe: it looks for a running go-live before posting.
    """


class GoLiveError(CppError):
    """A go-live operation was accepted but did not end well. ``record`` holds its ID and last known state."""

    def __init__(self, message: str, record: OperationRecord) -> None:
        self.record = record
        super().__init__(message)

    @property
    def operation_id(self) -> str:
        return self.record.operation_id


class GoLiveFailedError(GoLiveError):
    """The operation ended ``failed`` or ``canceled``; the message carries CPP's own messages."""


class GoLiveTimeoutError(GoLiveError):
    """The wait ran out of time while the operation was still running. It was not re-posted; it can be resumed."""


class GoLiveCancelledError(GoLiveError):
    """The wait was cancelled (Ctrl-C / engine Cancel) while the operation was still running; it can be resumed."""
