"""The exceptions a user of pulumi-cpp-golive sees.

Every message is written for the person reading a failed ``pulumi up``: it names the HTTP status, the CPP error
code and message, the request (method and URL without its query) and, whenever one is known, the go-live
operation ID. No message ever contains a bearer token or a client secret: the client never puts one into an
exception, and every :class:`CppError`'s text passes through :func:`redact`, which masks the secrets this process
actually uses (registered with :func:`remember_secret`: the static token, the client secret, every token
azure-identity hands out), whatever their shape, as well as anything shaped like a bearer token or a JWT. That
matters because servers echo what they were sent: an error body may quote the token verbatim.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote, quote_plus

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
    "install_log_redaction",
    "redact",
    "remember_secret",
]

# Anything shaped like a JWT or a "Bearer <token>" pair is masked before it can reach a message. A token is at
# least 16 characters, so that prose such as "the bearer token" stays readable.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
)


# Values shorter than this are not masked: no real token or secret is that short, and masking e.g. "ab" would
# garble every message.
MIN_SECRET_LENGTH = 6

_KNOWN_SECRETS: set[str] = set()
_KNOWN_LOCK = threading.Lock()


def remember_secret(value: Optional[str]) -> None:
    """Register a secret this process uses, so that :func:`redact` masks it from now on, in every thread.

    The value is kept in memory only (never written anywhere); spellings a server may echo it in (JSON-escaped,
    percent-encoded) are masked too.
    """
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    spellings = {value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value, safe="")}
    with _KNOWN_LOCK:
        _KNOWN_SECRETS.update(s for s in spellings if len(s) >= MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    """``text`` with every registered secret (:func:`remember_secret`) and anything shaped like a token masked."""
    with _KNOWN_LOCK:
        known = set(_KNOWN_SECRETS)
    for secret in sorted(known, key=len, reverse=True):  # longest first: one secret may contain another
        text = text.replace(secret, "***")
    text = _SECRET_PATTERNS[0].sub(r"\1***", text)
    return _SECRET_PATTERNS[1].sub("***", text)


_LOG_REDACTION_INSTALLED = False


def install_log_redaction() -> None:
    """Make every log record of this process pass through :func:`redact`, whoever logs it (idempotent).

    Libraries log what servers answered: azure-identity's warning on a refused token request quotes the token
    endpoint's error body, and a careless endpoint echoes the client secret. A record factory (rather than a
    handler filter) covers handlers added later and Python's last-resort stderr handler alike.
    """
    global _LOG_REDACTION_INSTALLED
    with _KNOWN_LOCK:
        if _LOG_REDACTION_INSTALLED:
            return
        _LOG_REDACTION_INSTALLED = True
    make_record = logging.getLogRecordFactory()

    def redacting_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a malformed logging call must not raise here; it is still shown, and still masked
            text = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(text), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(redacting_record)


class CppError(Exception):
    """Base class of every error raised by pulumi-cpp-golive. Its text never shows a registered secret."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))

    def __str__(self) -> str:
        # Redact again when shown: a secret may have been registered after the error was made.
        return redact(super().__str__())


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
        service: str = "CPP",
    ) -> None:
        self.service = service  # which API answered: "CPP" or "Product Ingestion"
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
        text = f"{self.service} API {self.method} {self.url} failed: {status}"
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
                           message=self.message, operation_id=operation_id, retry_after=self.retry_after,
                           service=self.service)

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
