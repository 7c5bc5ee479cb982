"""The HTTP transport both API clients send through: azure-core's requests transport, with what it lacks for an
API whose POST must never be sent twice and whose answers may be hostile.

* **Whether a request was sent is decided here, from what the socket saw**, not from the class of the exception
  another library chose: a request is :class:`NotSentError` only when no byte of it was written (connection
  refused, DNS, TLS handshake); anything after the first byte (a timeout, a reset, a stalled or broken body, any
  exception) is :class:`NoAnswerError`, ambiguous. azure-core reports a body's read timeout as
  ``ServiceRequestError`` ("not sent"), which made the state machine post a go-live twice.
* **A POST's answer is its status line and headers**; every body is read here, inside the same time limit,
  capped at :data:`MAX_BODY_BYTES` after decompression (urllib3 bounds each decompression step). A POST's body
  that cannot be read (too large, stalled, cut, undecodable gzip) leaves the answer standing with
  :attr:`Answer.body_error` set: a ``202`` whose ``Location`` names the operation is still a ``202`` when its body
  is garbage. A GET's answer is its body: one cut short is :class:`NoAnswerError` (retried); one too large or
  not in its declared encoding stands with ``body_error`` (the client reports it as a malformed answer).
* **A whole-request time limit and Cancel**, from :mod:`.request_guard` (the guard of each attempt and the watchdog
  that shuts its sockets down), on the connections of :mod:`.guarded_connections` (which also skip interim
  ``1xx`` answers).
"""

from __future__ import annotations

import codecs
import contextlib
import json
import time
from typing import Any, Optional

import requests
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from urllib3.exceptions import DecodeError
from urllib3.util.retry import Retry

from .deadline import MAX_RETRY_AFTER_SECONDS, current
from .guarded_connections import GuardedAdapter
from .request_guard import ACTIVE, WATCHDOG, RequestGuard

# No answer of either API comes near this; a larger body (after decompression) is a malformed answer, not a
# reason to run out of memory (an endless chunked body arrives at hundreds of MB/s on loopback).
MAX_BODY_BYTES = 16 * 1024 * 1024
_READ_CHUNK = 64 * 1024


class NotSentError(ServiceRequestError):
    """No byte of the request left this process: sending it again cannot make a second go-live."""


class NoAnswerError(ServiceResponseError):
    """The request was (at least partly) written and no status line came back: it may have been acted on."""


class MalformedBody(ValueError):
    """An answer's body cannot be decoded as what it says it is (raised by :meth:`Answer.text`, :meth:`Answer.json`).

    A ``ValueError`` so that a caller catching a JSON error catches it; never a LookupError, UnicodeDecodeError or
    RecursionError of the decoder's.
    """


class Answer(RestRequestsTransportResponse):
    """azure-core's response, whose body was read by the transport, and whose decoding fails only with
    :class:`MalformedBody`. ``body_error`` says why the body could not be read (None when it was)."""

    body_error: Optional[str] = None

    def text(self, encoding: Optional[str] = None) -> str:
        if self.body_error is not None:
            raise MalformedBody(f"the body could not be read: {self.body_error}")
        charset: object = encoding
        try:
            charset = charset or self.encoding  # parsed by the email package: may be a tuple (RFC 2231), or odd
            if charset is None:  # no charset: UTF-8, marking bad bytes (azure-core's own choice)
                return codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(bytes(self.content))
            if not isinstance(charset, str) or not codecs.lookup(charset)._is_text_encoding:
                raise LookupError(charset)  # base64, rot13, zlib: codecs, but not charsets
            return bytes(self.content).decode("utf-8-sig" if charset.lower() in ("utf-8", "utf8") else charset)
        except (LookupError, UnicodeError, TypeError, ValueError):
            raise MalformedBody(f"the body is not valid text in charset {str(charset)[:40]!r}") from None

    def json(self) -> Any:
        text = self.text()
        try:
            return json.loads(text)
        except RecursionError:
            raise MalformedBody("the body is JSON nested too deeply") from None
        except ValueError:
            raise MalformedBody("the body is not valid JSON") from None


class DeadlineTransport(RequestsTransport):  # type: ignore[misc]
    """azure-core's requests transport with a whole-request time limit and Cancel, the body read (capped) inside
    it, interim answers skipped, and "not sent" decided from the socket. Every answer is an :class:`Answer`."""

    def __init__(self, *, connect_timeout: float, request_timeout: float) -> None:
        session = requests.Session()
        adapter = GuardedAdapter(max_retries=Retry(total=False, redirect=False, raise_on_status=False))
        for prefix in ("http://", "https://"):
            session.mount(prefix, adapter)
        super().__init__(session=session, session_owner=True, connection_timeout=connect_timeout,
                         read_timeout=request_timeout)
        self.request_timeout = request_timeout

    def send(self, request: Any, **kwargs: Any) -> Answer:
        deadline = current()
        budget = deadline.request_budget(self.request_timeout) if deadline is not None else self.request_timeout
        if deadline is not None and budget <= 0:
            raise NotSentError(f"not sent: {deadline.why()}")
        kwargs["connection_timeout"] = min(kwargs.get("connection_timeout") or self.connection_config.timeout,
                                           budget)
        kwargs["read_timeout"] = min(kwargs.get("read_timeout") or self.request_timeout, budget)
        kwargs["stream"] = True  # the body is read below, capped, inside the guard: not by requests, unbounded
        guard = RequestGuard(deadline, budget)
        ACTIVE.guard = guard
        try:
            with WATCHDOG.watching(guard):
                try:
                    streamed = super().send(request, **kwargs)
                except Exception as exc:  # whatever class a library chose: the socket says whether it was sent
                    raise _transport_error(guard, exc) from None
                internal: requests.Response = streamed.internal_response
                body_error, malformed = _read_body(internal, guard)
        finally:
            ACTIVE.guard = None
        if body_error is not None and not malformed and request.method.upper() != "POST":
            # A GET's answer is its body: a cut one is no answer (and azure-core's retry asks again). A POST's
            # answer is its status line and headers (a Location names the operation): it stands, body or not;
            # so does a GET's whose body is malformed (asking again would read the same; the caller decides).
            raise NoAnswerError(f"HTTP {internal.status_code} answer, but its body could not be read: {body_error}")
        answer = Answer(request=request, internal_response=internal,  # type: ignore[no-untyped-call]
                        block_size=self.connection_config.data_block_size)
        answer.body_error = body_error
        return answer

    def sleep(self, duration: float) -> None:
        deadline = current()
        if deadline is None:
            time.sleep(min(duration, MAX_RETRY_AFTER_SECONDS))
        else:
            deadline.pause(duration)


def _read_body(internal: requests.Response, guard: RequestGuard) -> tuple[Optional[str], bool]:
    """Read ``internal``'s body (decompressed, at most :data:`MAX_BODY_BYTES`) into it. Returns why it could not
    be read whole (None when it was), and whether that was the body's own fault (too large, not the gzip it says:
    asking again gets the same) rather than the connection's (cut, reset, stalled). The status line and headers
    stand either way."""
    chunks: list[bytes] = []
    size = 0
    problem: Optional[str] = None
    malformed = False
    try:
        for chunk in internal.raw.stream(_READ_CHUNK, decode_content=True):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                problem, malformed = f"the body is larger than {MAX_BODY_BYTES} bytes", True
                break
            chunks.append(chunk)
    except DecodeError as exc:
        problem, malformed = guard.fired or _first_line(exc), guard.fired is None
    except Exception as exc:  # a stall, a reset, a cut: the body is lost, not the answer
        problem = guard.fired or _first_line(exc)
    if guard.fired is not None and problem is None:
        problem = guard.fired
    if problem is not None:
        with contextlib.suppress(Exception):  # what is left of the body must not be read as the next answer
            internal.raw.close()
        chunks = []
    internal._content = b"".join(chunks)
    internal._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag: the body is in
    with contextlib.suppress(Exception):
        internal.raw.release_conn()
    return problem, malformed


def _transport_error(guard: RequestGuard, exc: Exception) -> ServiceRequestError | ServiceResponseError:
    """"Not sent" needs proof: a connection was tried (or the guard fired first) and no byte was written. A
    failure the sockets never saw (a mocked adapter, a library's error before connecting) proves nothing."""
    if isinstance(exc, (NotSentError, NoAnswerError)):
        return exc  # a verdict already (a test double standing in for the sockets)
    cause = guard.fired or _first_line(exc)
    if not guard.sent and (guard.connecting or guard.fired is not None):
        return NotSentError(f"not sent: {cause}")
    return NoAnswerError(f"no answer: {cause}")


def _first_line(exc: BaseException) -> str:
    # A transport's own text can be long and nested; its first line names the cause (timeout, refused, reset).
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
