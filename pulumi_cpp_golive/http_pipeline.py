"""The HTTP plumbing both marketplace clients share: CPP's (:mod:`.cpp_client`) and Product Ingestion's
(:mod:`.pi_client`).

Built on azure-core's pipeline so that retries (``Retry-After`` honoured, bounded exponential back-off), token
caching and refresh, and header-redacting logging come from the Azure SDK rather than from hand-written code.
A few small policies are ours, each for a reason azure-core has no setting for:

* :class:`_NoRepostRetryPolicy` never repeats a POST unless it was answered 429: azure-core retries POSTs on
  500/503/504 and on any ``Retry-After``, which for go-live could send an offer live twice.
* :class:`_SameHostPolicy` refuses any request whose host is not the configured one, so the bearer token cannot
  follow a tracking URL or a ``nextLink`` elsewhere.
* :class:`_RefreshOn401Policy` gets a fresh token once on a bare 401 (no challenge header).

Waiting is bounded by the go-live's :class:`~pulumi_cpp_golive.deadline.Deadline`: the retry policy's sleeps stop
at it (and on Cancel), no retry is made that could not start before it, and :class:`~.transport.DeadlineTransport`
aborts a request in flight when its time is up, whatever the server does; it also reads every body (capped at
:data:`~.transport.MAX_BODY_BYTES`), skips interim ``1xx`` answers, and decides from the socket whether a
request was sent at all. Every server-given URL passes :mod:`.urls`' one rule; a ``3xx`` is never followed.

:class:`ApiHttpClient` puts these together and holds what is the same for both APIs: sending (with the API's
version query parameter on every call), error bodies, JSON, and following ``nextLink`` pages. The two APIs differ
only in their routes, their scope, their version parameter and the name errors give them.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterator, Mapping, Optional, TypedDict, Union
from urllib.parse import parse_qsl, quote, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    RetryPolicy,
    SansIOHTTPPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest, HttpResponse

from . import __version__
from .deadline import MIN_PAUSE_SECONDS, current, parse_retry_after
from .errors import ApiError, OfferGoLiveError, UnusableAnswerError, redact
from .transport import MAX_BODY_BYTES, Answer, DeadlineTransport, MalformedBody, NotSentError
from .urls import origin, same_origin

__all__ = ["MAX_BODY_BYTES", "MAX_LIST_PAGES", "ApiHttpClient", "RedirectedError", "parse_error_body",
           "retry_after_of"]

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


class _SameHostPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuse to send anything (and so the token) to a host other than the configured one, judged by the parser
    that connects (:func:`~.urls.same_origin`: the same rule as every server-given URL)."""

    def __init__(self, base_url: str, service: str) -> None:
        super().__init__()
        self._base_url = base_url
        self._service = service

    def on_request(self, request: PipelineRequest[Any]) -> None:
        same_origin(request.http_request.url, self._base_url, what="request URL", service=self._service)


class _RefreshOn401Policy(BearerTokenCredentialPolicy):  # type: ignore[type-arg]
    """On a 401, fetch a fresh token once and resend (a token can expire during a days-long wait).

    azure-core only re-authorises when the 401 carries a ``WWW-Authenticate`` challenge; CPP's may not, and no
    source shows Product Ingestion's doing so.
    """

    def __init__(self, credential: TokenCredential, scope: str, *, service: str) -> None:
        super().__init__(credential, scope)
        self._service = service

    def on_challenge(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> bool:
        """azure-core's handling of a claims challenge, or (when the challenge cannot be read) none: a bare 401.

        azure-core base64-decodes ``claims="..."`` as the server sent it, so ``claims="__4"`` raises
        UnicodeDecodeError and ``claims="a"`` a binascii error out of the pipeline, losing the answer.
        """
        try:
            return bool(super().on_challenge(request, response))
        except Exception:  # an unreadable challenge is no challenge; the 401 stands (and is refreshed once below)
            _LOG.info("%s sent a WWW-Authenticate challenge that cannot be read; treating it as a bare 401",
                      self._service)
            return False

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
    snippet = _snippet(text)
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
    plumbing of sending, errors and paging. Every failure is a :class:`ApiError` naming ``service``.

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
            _SameHostPolicy(self.base_url, service),
            _RefreshOn401Policy(credential, scope, service=service),
            HttpLoggingPolicy(),
        ]
        self._pipeline: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self.base_url,
            policies=policies,
            transport=DeadlineTransport(connect_timeout=connect_timeout, request_timeout=request_timeout),
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        json_body: Optional[Any] = None,
    ) -> HttpResponse:
        """Send one request through the pipeline, with the version parameter; the final answer (any status but
        a redirect), its body read or :attr:`~.transport.Answer.body_error` set.

        A failure without an answer is a :class:`ApiError` with ``status=None`` and code ``NotSent`` only when
        the transport saw no byte of the request leave (:class:`~.transport.NotSentError`); any other failure,
        whatever raised it, is ``NoResponse``: the request may have been acted on. A ``3xx`` is never followed
        and raises :class:`RedirectedError` (``status=None``: ambiguous after a POST), as does a final ``1xx``
        (``101``: interim ones are skipped by the transport).
        """
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
        except OfferGoLiveError:
            raise
        except Exception as exc:  # any failure without an answer is reported as one, never raised raw
            raise ApiError(
                status=None,
                method=method,
                url=url,
                code="NotSent" if isinstance(exc, NotSentError) else "NoResponse",
                message=_transport_message(exc),
                service=self.service,
            ) from None
        if response.status_code < 200 or 300 <= response.status_code < 400:
            raise RedirectedError(response, self.service)
        return response

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
            # Parsed once, by the parser that connects: the host checked is the host the token would go to.
            same_origin(absolute, self.base_url, what="nextLink", service=self.service)
        except UnusableAnswerError as exc:
            # The bearer token goes with every page: never to another host.
            raise self._bad_next_link(
                response, f"the nextLink is not on the configured {self.service} host ({exc})") from None
        return absolute

    def _bad_next_link(self, response: HttpResponse, what: str) -> ApiError:
        return ApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code="InvalidNextLink", message=what, service=self.service)

    def _error(self, response: HttpResponse) -> ApiError:
        """The error an answer that is not the one wanted carries: its status, and its body's code and message
        when the body reads as the API's error JSON (else what of it decodes, masked, then cut)."""
        text, clean = _decoded_body(response)
        if clean:
            code, message = parse_error_body(text)
        elif isinstance(response, Answer) and response.body_error is not None:
            code, message = None, f"the error body could not be read: {response.body_error}"
        else:
            # Not what the API's JSON serializer writes, so no error code is trusted from it; show what decodes.
            code, message = None, f"error body is not valid {_charset(response)}: {_snippet(text)}"
        return ApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code=code, message=message, retry_after=retry_after_of(response), service=self.service)

    def _json(self, response: HttpResponse) -> Any:
        """The answer's body as JSON; else :class:`ApiError` with code ``MalformedResponse`` and the answer's
        status (a body that could not be read, an unknown or non-text charset, JSON nested too deeply or not JSON
        at all): decoding never raises anything else."""
        try:
            return response.json()
        except MalformedBody as exc:
            raise self._malformed(response, str(exc)) from None
        except (ValueError, LookupError, RecursionError):  # not an Answer (a test double): the same rule
            raise self._malformed(response, "the body is not valid JSON") from None

    def _malformed(self, response: HttpResponse, what: str) -> ApiError:
        return ApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code="MalformedResponse", message=what, service=self.service)


class RedirectedError(ApiError):
    """A ``3xx`` answer (code ``Redirected``), or a final ``1xx`` (``101``; code ``UnexpectedStatus``).

    Redirects are never followed (to any host: the bearer token goes with a request), and after a POST neither
    answer proves anything about whether the request was acted on: ``status`` is None, as for an answer never
    received, so that the go-live machine looks for the go-live rather than taking it as a refusal.
    ``answered_status`` is the status the server gave.
    """

    def __init__(self, response: HttpResponse, service: str) -> None:
        self.answered_status = response.status_code
        location = response.headers.get("Location") or ""
        where = f" to {origin_or_none(location) or 'a URL that is not one'}" if location else ""
        redirect = 300 <= self.answered_status < 400
        what = f"redirect{where} was not followed" if redirect else "answer is not a final answer to this request"
        super().__init__(status=None, method=response.request.method, url=response.request.url,
                         code="Redirected" if redirect else "UnexpectedStatus",
                         message=f"HTTP {self.answered_status} {what}; the request may have been acted on",
                         retry_after=retry_after_of(response), service=service)

    def _describe(self) -> str:
        return super()._describe().replace("no HTTP response", f"HTTP {self.answered_status}, not an answer", 1)


def origin_or_none(url: str) -> Optional[str]:
    """The origin of ``url`` (:func:`~.urls.origin`), or None when it is not a URL a request could go to."""
    try:
        return origin(url)
    except UnusableAnswerError:
        return None


def _charset(response: HttpResponse) -> str:
    try:
        return str(response.encoding or "text")[:40]
    except Exception:  # azure-core's charset lookup raises TypeError on an RFC 2231 ``charset*=`` parameter
        return "text"


def _snippet(text: str) -> str:
    # Masked before it is cut: a secret cut at the edge would otherwise escape the mask.
    return " ".join(redact(text).split())[:300]


def _decoded_body(response: HttpResponse) -> tuple[str, bool]:
    """The body as text, and whether it decoded cleanly in its declared charset (else: with replacement marks,
    or empty when it could not be read at all)."""
    try:
        return response.text(), True
    except (MalformedBody, UnicodeDecodeError, LookupError):  # bytes that lie about their charset, or no charset
        if isinstance(response, Answer) and response.body_error is not None:
            return "", False
        return bytes(response.content).decode("utf-8", errors="replace"), False


def _transport_message(exc: BaseException) -> str:
    # The transport's own text can be long and nested; its first line names the cause (timeout, refused, reset).
    text = str(getattr(exc, "message", None) or exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
