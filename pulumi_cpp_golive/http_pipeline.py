"""The HTTP plumbing both marketplace clients share: CPP's (:mod:`.client`) and Product Ingestion's (:mod:`.pi_client`).

Built on azure-core's pipeline so that retries (``Retry-After`` honoured, bounded exponential back-off), token
caching and refresh, and header-redacting logging come from the Azure SDK rather than from hand-written code.
A few small policies are ours, each for a reason azure-core has no setting for:

* :class:`_NoRepostRetryPolicy` never repeats a POST unless it was answered 429: azure-core retries POSTs on
  500/503/504 and on any ``Retry-After``, which for go-live could send an offer live twice.
* :class:`_SameHostPolicy` refuses any request whose host is not the configured one, so the bearer token cannot
  follow a tracking URL or a ``nextLink`` elsewhere.
* :class:`_RefreshOn401Policy` gets a fresh token once on a bare 401 (no challenge header).

Waiting is bounded by the go-live's :class:`~pulumi_cpp_golive.deadline.Deadline`: the retry policy's sleeps stop
at it (and on Cancel), no retry is made that could not start before it, and :class:`_DeadlineTransport` aborts a
request in flight when its time is up, whatever the server does.

:class:`ApiHttpClient` puts these together and holds what is the same for both APIs: sending (with the API's
version query parameter on every call), error bodies, JSON, and following ``nextLink`` pages. The two APIs differ
only in their routes, their scope, their version parameter and the name errors give them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from typing import Any, Callable, Iterator, Mapping, Optional, TypedDict, Union
from urllib.parse import parse_qsl, quote, urlsplit

import requests
import requests.adapters
from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseTimeoutError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    RetryPolicy,
    SansIOHTTPPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.retry import Retry

from . import __version__
from .deadline import MAX_RETRY_AFTER_SECONDS, MIN_PAUSE_SECONDS, Deadline, current, parse_retry_after
from .errors import CppApiError, TrackingUrlError
from .operation import origin

_LOG = logging.getLogger(__name__)


# A paged list is followed for at most this many pages (a server that loops must not hold us forever).
MAX_LIST_PAGES = 50


class _NoRepostRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy, except that:

    * a POST is retried only when it was answered 429 (not accepted);
    * ``Retry-After`` is read by :func:`~pulumi_cpp_golive.deadline.parse_retry_after` (azure-core's own parser
      raises on ``nan``, ``inf`` or garbage and returns an unbounded delay for ``1e400``);
    * no two attempts are closer than :data:`~pulumi_cpp_golive.deadline.MIN_PAUSE_SECONDS`;
    * no retry is made when the go-live's deadline is done or would pass before the retry could start: the
      last answer (e.g. the 429) is what the caller sees.
    """

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        if response.http_request.method.upper() == "POST" and response.http_response.status_code != 429:
            return False
        return bool(super().is_retry(settings, response))

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> Optional[float]:
        return parse_retry_after(response.http_response.headers.get("Retry-After"))

    def increment(
        self,
        settings: dict[str, Any],
        response: Optional[Union[PipelineRequest[Any], PipelineResponse[Any, Any]]] = None,
        error: Optional[Exception] = None,
    ) -> bool:
        if not super().increment(settings, response=response, error=error):
            return False
        deadline = current()
        if deadline is None:
            return True
        left = deadline.remaining()
        answered = response if isinstance(response, PipelineResponse) else None
        return not deadline.done and (left is None or self._delay(settings, answered) < left)

    def sleep(self, settings: dict[str, Any], transport: Any,
              response: Optional[PipelineResponse[Any, Any]] = None) -> None:
        transport.sleep(self._delay(settings, response))

    def _delay(self, settings: dict[str, Any], response: Optional[PipelineResponse[Any, Any]]) -> float:
        retry_after = self.get_retry_after(response) if response is not None else None
        delay = retry_after if retry_after is not None else float(self.get_backoff_time(settings))
        return max(delay, MIN_PAUSE_SECONDS)


class _Aborted(OSError):
    """Raised inside urllib3 when a request's guard fired before its bytes went out."""


class _Guard:
    """One HTTP attempt's time limit: the sockets it uses are shut down when the time is up or on Cancel."""

    def __init__(self, deadline: Optional[Deadline], budget: float) -> None:
        self.deadline = deadline
        self.budget = budget
        self.abort_at = time.monotonic() + budget
        self.fired: Optional[str] = None  # why it was aborted
        self.sent = False  # whether any byte of the request may have reached the server
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        """Called by the connection before it sends: from now on, aborting means shutting its socket down."""
        with self._lock:
            if self.fired is not None:
                raise _Aborted(self.fired)
            if connection not in self._connections:
                self._connections.append(connection)
            self.sent = True

    def reason_to_abort(self, now: float) -> Optional[str]:
        if self.deadline is not None and self.deadline.done:
            return self.deadline.why()
        if now >= self.abort_at:
            return f"no complete answer within {self.budget:g} s"
        return None

    def fire(self, reason: str) -> None:
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
        self._guards: set[_Guard] = set()
        self._thread: Optional[threading.Thread] = None

    @contextlib.contextmanager
    def watching(self, guard: _Guard) -> Iterator[None]:
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
_WATCHDOG = _Watchdog()
_ACTIVE = threading.local()  # the guard of the request this thread is sending, read by the connections below


class _GuardedHTTPConnection(HTTPConnection):
    def send(self, data: Any) -> None:
        guard: Optional[_Guard] = getattr(_ACTIVE, "guard", None)
        if guard is not None:
            if self.sock is None:
                self.connect()  # connect first, so that the guard can reach the socket from the first byte
            guard.attach(self)
        super().send(data)


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter on connection pools whose connections register with the request's guard."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class _DeadlineTransport(RequestsTransport):  # type: ignore[misc]
    """azure-core's requests transport with a whole-request time limit and Cancel.

    Why a watchdog: requests and urllib3 time each socket read, not the request, so a server trickling a byte a
    second keeps a request alive indefinitely; azure-core's only sync transport is built on them (its aiohttp one
    would make the whole client async), and shutting the socket down is what wakes a read blocked in another
    thread. Each attempt, body included (the response is not streamed), is watched: its socket is shut down when
    ``request_timeout`` or the go-live's deadline passes, or on Cancel.
    """

    def __init__(self, *, connect_timeout: float, request_timeout: float) -> None:
        session = requests.Session()
        adapter = _GuardedAdapter(max_retries=Retry(total=False, redirect=False, raise_on_status=False))
        for prefix in ("http://", "https://"):
            session.mount(prefix, adapter)
        super().__init__(session=session, session_owner=True, connection_timeout=connect_timeout,
                         read_timeout=request_timeout)
        self.request_timeout = request_timeout

    def send(self, request: Any, **kwargs: Any) -> Any:
        deadline = current()
        budget = deadline.request_budget(self.request_timeout) if deadline is not None else self.request_timeout
        if deadline is not None and budget <= 0:
            raise ServiceRequestError(f"not sent: {deadline.why()}")
        kwargs["connection_timeout"] = min(kwargs.get("connection_timeout") or self.connection_config.timeout,
                                           budget)
        kwargs["read_timeout"] = min(kwargs.get("read_timeout") or self.request_timeout, budget)
        guard = _Guard(deadline, budget)
        _ACTIVE.guard = guard
        try:
            with _WATCHDOG.watching(guard):
                return super().send(request, **kwargs)
        except AzureError:
            if guard.fired is None:
                raise
            if guard.sent:
                raise ServiceResponseTimeoutError(f"request aborted: {guard.fired}") from None
            raise ServiceRequestError(f"not sent: {guard.fired}") from None
        finally:
            _ACTIVE.guard = None

    def sleep(self, duration: float) -> None:
        deadline = current()
        if deadline is None:
            time.sleep(min(duration, MAX_RETRY_AFTER_SECONDS))
        else:
            deadline.pause(duration)


class _SameHostPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuse to send anything (and so the token) to a host other than the configured one."""

    def __init__(self, allowed_origin: str) -> None:
        super().__init__()
        self._origin = allowed_origin

    def on_request(self, request: PipelineRequest[Any]) -> None:
        target = origin(request.http_request.url)
        if target != self._origin:
            raise TrackingUrlError(f"refusing to send a request to {target}: only {self._origin} gets the token")


class _RefreshOn401Policy(BearerTokenCredentialPolicy):  # type: ignore[type-arg]
    """On a 401, fetch a fresh token once and resend (a token can expire during a days-long wait).

    azure-core only re-authorises when the 401 carries a ``WWW-Authenticate`` challenge; CPP's may not, and no
    source shows Product Ingestion's doing so.
    """

    def __init__(self, credential: TokenCredential, scope: str, *, service: str) -> None:
        super().__init__(credential, scope)
        self._service = service

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = super().send(request)
        if response.http_response.status_code == 401 and not request.context.get("cpp_reauthorised"):
            request.context["cpp_reauthorised"] = True
            _LOG.info("%s answered 401; acquiring a new token and retrying once", self._service)
            self.authorize_request(request, *self._scopes)
            response = self.next.send(request)
        return response


def parse_error_body(text: str) -> tuple[Optional[str], Optional[str]]:
    """``(code, message)`` from an error body: ``{"error":{...}}`` (CPP's documented shape, and the Graph shape
    Product Ingestion answers with), CPP's ``{"Variant":{...}}`` shape, a flat ``{"code","message"}``, or text."""
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return _str_or_none(error.get("code")), _str_or_none(error.get("message"))
        if isinstance(error, str):
            return None, error
        variant = data.get("Variant")
        if isinstance(variant, dict):
            return "Variant", _str_or_none(variant.get("error")) or _str_or_none(variant.get("message"))
        if "code" in data or "message" in data:
            return _str_or_none(data.get("code")), _str_or_none(data.get("message"))
    snippet = " ".join(text.split())[:300]
    return None, snippet or None


def _str_or_none(value: object) -> Optional[str]:
    return str(value) if value is not None and str(value).strip() else None


def retry_after_of(response: HttpResponse) -> Optional[float]:
    """The answer's ``Retry-After`` in seconds (parsed robustly, capped), or None."""
    return parse_retry_after(response.headers.get("Retry-After"))


# How a client reads one page of a list: ``(items, next link)`` from the response and its parsed JSON body.
PageSplitter = Callable[[HttpResponse, Any], "tuple[list[Any], object]"]


class TransportOptions(TypedDict, total=False):
    """How a client talks HTTP (:class:`ApiHttpClient`'s keyword arguments of the same names and defaults)."""

    connect_timeout: float
    request_timeout: float
    retry_total: int
    retry_backoff: float
    retry_backoff_max: int


class ApiHttpClient:
    """What the CPP and Product Ingestion clients share: an azure-core pipeline with our policies, and the
    plumbing of sending, errors and paging. Every failure is a :class:`CppApiError` naming ``service``.

    :param base_url: the validated base URL (the subclass validates it: CPP admits no path, PI needs one).
    :param credential: any azure-core token credential; its tokens go only to ``base_url``'s host.
    :param scope: the token scope of the API.
    :param service: how errors and log lines name the API ("CPP", "Product Ingestion").
    :param version_parameter: ``(name, value)`` of the query parameter sent on every call (CPP's ``api-version``,
        PI's ``$version``), unless the URL already carries it (a tracking URL or a ``nextLink`` may).
    :param retry_total: attempts azure-core may repeat a GET (or a POST answered 429).
    :param retry_backoff: exponential back-off factor in seconds between retries without ``Retry-After``.
    :param request_timeout: the longest one HTTP attempt may take, from connecting to the body's last byte
        (also shortened to the go-live's deadline).
    """

    def __init__(
        self,
        base_url: str,
        credential: TokenCredential,
        *,
        scope: str,
        service: str,
        version_parameter: tuple[str, str],
        connect_timeout: float = 15.0,
        request_timeout: float = 120.0,
        retry_total: int = 5,
        retry_backoff: float = 0.8,
        retry_backoff_max: int = 60,
    ) -> None:
        self.base_url = base_url
        self.service = service
        self._version_parameter = version_parameter
        self._https = self.base_url.lower().startswith("https://")
        self._base_path = urlsplit(self.base_url).path
        policies: list[Any] = [
            HeadersPolicy({"Accept": "application/json"}),
            UserAgentPolicy(f"pulumi-cpp-golive/{__version__}"),
            _NoRepostRetryPolicy(
                retry_total=retry_total,
                retry_backoff_factor=retry_backoff,
                retry_backoff_max=retry_backoff_max,
            ),
            _SameHostPolicy(origin(self.base_url)),
            _RefreshOn401Policy(credential, scope, service=service),
            HttpLoggingPolicy(),
        ]
        self._pipeline: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self.base_url,
            policies=policies,
            transport=_DeadlineTransport(connect_timeout=connect_timeout, request_timeout=request_timeout),
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        json_body: Optional[Any] = None,
    ) -> HttpResponse:
        """Send one request through the pipeline, with the version parameter; transport failures become
        :class:`CppApiError` with code ``NotSent`` (nothing reached the server) or ``NoResponse``."""
        name, version = self._version_parameter
        query = {name: version, **(params or {})}
        if any(key == name for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)):
            query.pop(name)
        # azure-core puts parameter values into the URL as they are: an ``&`` in an offer ID would split it.
        request = HttpRequest(method, url, params={key: quote(value, safe="") for key, value in query.items()},
                              json=json_body)
        if method == "POST" and json_body is None:
            request.headers["Content-Length"] = "0"  # bodiless POST, as real clients send it
        try:
            response = self._pipeline.send_request(request, enforce_https=self._https)
            response.read()
            return response
        except (TrackingUrlError, CppApiError):
            raise
        except AzureError as exc:
            raise CppApiError(
                status=None,
                method=method,
                url=url,
                code="NotSent" if isinstance(exc, ServiceRequestError) else "NoResponse",
                message=_transport_message(exc),
                service=self.service,
            ) from None

    def _get_object(self, url: str) -> HttpResponse:
        """GET ``url``; the 200 answer, else the error it carries."""
        response = self._send("GET", url)
        if response.status_code != 200:
            raise self._error(response)
        return response

    def _pages(self, url: str, params: Optional[Mapping[str, str]],
               split: PageSplitter) -> Iterator[list[dict[str, Any]]]:
        """The items of each page of a list, following its next links on the configured host only, for at most
        :data:`MAX_LIST_PAGES` pages. A list that cannot be read whole raises, never ends early: a caller that
        missed a running go-live would post a second one."""
        visited: set[str] = set()
        response: Optional[HttpResponse] = None
        for _ in range(MAX_LIST_PAGES):
            visited.add(url)
            response = self._send("GET", url, params=params)
            if response.status_code != 200:
                raise self._error(response)
            page, next_link = split(response, self._json(response))
            yield [item for item in page if isinstance(item, dict)]
            if next_link is None or next_link == "":
                return
            url = self._next_page(response, next_link)
            if url in visited:
                raise self._bad_next_link(response, "the nextLink points back at a page already read")
            params = None  # the nextLink carries its own query
        assert response is not None  # MAX_LIST_PAGES > 0
        raise self._bad_next_link(response, f"the list has more than {MAX_LIST_PAGES} pages")

    def _next_page(self, response: HttpResponse, next_link: object) -> str:
        if not isinstance(next_link, str):
            raise self._bad_next_link(response, "the nextLink is not a string")
        value = next_link.strip()
        if value.startswith("/") and not value.startswith("//"):
            # A path is taken from the host when it already names the base URL's path, else from the base URL.
            under_base = value == self._base_path or value.startswith(self._base_path + "/")
            absolute = self.base_url + (value[len(self._base_path):] if under_base else value)
        else:
            absolute = value
        try:
            same_host = origin(absolute) == origin(self.base_url)
        except TrackingUrlError:
            same_host = False
        if not same_host or urlsplit(absolute).scheme.lower() not in ("http", "https"):
            # The bearer token goes with every page: never to another host.
            raise self._bad_next_link(response, f"the nextLink is not on the configured {self.service} host")
        return absolute

    def _bad_next_link(self, response: HttpResponse, what: str) -> CppApiError:
        return CppApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code="InvalidNextLink", message=what, service=self.service)

    def _error(self, response: HttpResponse) -> CppApiError:
        text, clean = _decoded_body(response)
        if clean:
            code, message = parse_error_body(text)
        else:
            # Not what the API's JSON serializer writes, so no error code is trusted from it; show what decodes.
            shown = " ".join(text.split())[:300]
            code, message = None, f"error body is not valid {response.encoding or 'text'}: {shown}"
        return CppApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code=code, message=message, retry_after=retry_after_of(response), service=self.service)

    def _json(self, response: HttpResponse) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._malformed(response, "the body is not valid JSON") from None

    def _malformed(self, response: HttpResponse, what: str) -> CppApiError:
        return CppApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code="MalformedResponse", message=what, service=self.service)


def _decoded_body(response: HttpResponse) -> tuple[str, bool]:
    """The body as text, and whether it decoded cleanly in its declared charset (else: with replacement marks)."""
    try:
        return response.text(), True
    except (UnicodeDecodeError, LookupError):  # bytes that lie about their charset, or an unknown charset name
        return response.content.decode("utf-8", errors="replace"), False


def _transport_message(exc: AzureError) -> str:
    # The transport's own text can be long and nested; its first line names the cause (timeout, refused, reset).
    text = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"
