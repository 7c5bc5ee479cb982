"""The exceptions a user of pulumi-cpp-golive sees.

Every message is written for the person reading a failed ``pulumi up``: it names the HTTP status, the CPP error
code and message, the request (method and URL without its query) and, whenever one is known, the go-live
operation ID. No message ever contains a bearer token or a client secret: the client never puts one into an
exception, and every :class:`OfferGoLiveError`'s text passes through :func:`~.redaction.redact`, which masks the secrets
this process actually uses in every spelling a server may echo them in (see :mod:`.redaction`).

The tree (catch :class:`OfferGoLiveError` for all of them)::

    OfferGoLiveError                 every error of this package; its text never shows a registered secret
    ├── ConfigurationError           a bad setting or input, named (also a ValueError)
    │   └── CredentialError          no token for an API: which settings would give one, and what azure-identity said
    ├── ApiError                     an API's error answer, either API: status, code, message, operation ID
    │   └── RedirectedError          a 3xx, never followed (api_client.py)
    ├── UnusableAnswerError          an answer that cannot be used as it is: a foreign or malformed URL, no job or
    │                                operation ID, an ID of the wrong shape
    ├── OfferNotReadyError           the offer cannot go live now (never published, another publish running)
    ├── AmbiguousGoLiveError         the POST may or may not have started a go-live, and looking did not tell
    └── GoLiveError                  about a known operation: carries its record
        ├── GoLiveFailedError        it ended failed or canceled
        ├── GoLiveTimeoutError       the wait reached its time limit; the operation may still run
        └── GoLiveCancelledError     the wait was cancelled (Ctrl-C); the operation may still run
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .redaction import redact

if TYPE_CHECKING:
    from .record import OperationRecord

__all__ = [
    "AmbiguousGoLiveError",
    "ApiError",
    "ConfigurationError",
    "CredentialError",
    "GoLiveCancelledError",
    "GoLiveError",
    "GoLiveFailedError",
    "GoLiveTimeoutError",
    "OfferGoLiveError",
    "OfferNotReadyError",
    "UnusableAnswerError",
]

class OfferGoLiveError(Exception):
    """Base class of every error raised by pulumi-cpp-golive. Its text never shows a registered secret."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))

    def __str__(self) -> str:
        # Redact again when shown: a secret may have been registered after the error was made.
        return redact(super().__str__())


class ConfigurationError(OfferGoLiveError, ValueError):
    """A setting (base URL, poll interval, credentials) is missing or invalid."""


class CredentialError(ConfigurationError):
    """No token could be had for an API: none is configured, and azure-identity's ``DefaultAzureCredential`` found
    no sign-in (or was refused). The message says which API, and which settings give it a token."""


class ApiError(OfferGoLiveError):
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

    def with_operation(self, operation_id: str) -> ApiError:
        """The same error, naming the go-live operation it concerns."""
        return ApiError(status=self.status, method=self.method, url=self.url, code=self.code,
                           message=self.message, operation_id=operation_id, retry_after=self.retry_after,
                           service=self.service)

    @property
    def ambiguous(self) -> bool:
        """True for an answer that neither took nor refused a request (an informational or redirect status as
        the final answer): after a POST, the go-live may have started."""
        return self.status is not None and (self.status < 200 or 300 <= self.status < 400)

    @property
    def transient(self) -> bool:
        """True for answers worth asking again later: throttling, server errors, no response at all."""
        if self.code == "MalformedResponse":
            return True
        return self.status is None or self.status in (408, 429) or self.status >= 500


class OfferNotReadyError(OfferGoLiveError):
    """The offer is in no state to go live (e.g. never published to preview); nothing was posted."""


class UnusableAnswerError(OfferGoLiveError):
    """A 202 answer carried no usable tracking header, or one pointing at a host the token must not go to."""


class AmbiguousGoLiveError(OfferGoLiveError):
    """The go-live POST may or may not have started a go-live, and none could be found to adopt in this run.

    Nothing was re-posted. ``posted`` says whether any byte of a POST left this process: when it did, the next
    run must look for the go-live (for ``adoptTimeout``) before it posts; the plugin records that in the stack.
    """

    def __init__(self, message: str, *, posted: bool = True, sent_at: str = "") -> None:
        self.posted = posted
        #: When the POST was sent (ISO-8601 UTC), for the record of it; "" when unknown.
        self.sent_at = sent_at
        super().__init__(message)


class GoLiveError(OfferGoLiveError):
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
