"""The base of both marketplace clients, CPP's (:mod:`.cpp_client`) and Product Ingestion's (:mod:`.pi_client`):
:class:`ApiHttpClient`, which sends through an azure-core pipeline, turns answers into errors and follows
``nextLink`` pages; and :class:`RedirectedError`, the answer it never follows.

Built on azure-core's pipeline so that retries (``Retry-After`` honoured, bounded exponential back-off), token
caching and refresh, and header-redacting logging come from the Azure SDK rather than from hand-written code; the
few policies that are ours (no re-POST, the token kept to the configured host, a fresh token on a bare 401) are in
:mod:`.pipeline_policies`, and the reading of error bodies in :mod:`.error_bodies`.

Waiting is bounded by the go-live's :class:`~pulumi_cpp_golive.deadline.Deadline`: the retry policy's sleeps stop
at it (and on Cancel), no retry is made that could not start before it, and :class:`~.transport.DeadlineTransport`
aborts a request in flight when its time is up, whatever the server does; it also reads every body (capped at
:data:`~.transport.MAX_BODY_BYTES`), skips interim ``1xx`` answers, and decides from the socket whether a
request was sent at all. Every server-given URL passes :mod:`.urls`' one rule; a ``3xx`` is never followed.

What is the same for both APIs is here: sending (with the API's version query parameter on every call), error
bodies, JSON, and following ``nextLink`` pages. The two APIs differ only in their routes, their scope, their
version parameter and the name errors give them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Optional, TypedDict
from urllib.parse import parse_qsl, quote, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import HeadersPolicy, HttpLoggingPolicy, UserAgentPolicy
from azure.core.rest import HttpRequest, HttpResponse

from . import __version__
from .deadline import parse_retry_after
from .error_bodies import charset_of, decoded_body, parse_error_body, snippet
from .errors import ApiError, CredentialError, OfferGoLiveError, UnusableAnswerError
from .pipeline_policies import NoRepostRetryPolicy, RefreshOn401Policy, SameHostPolicy
from .settings import no_token_message
from .transport import Answer, DeadlineTransport, MalformedBody, NotSentError
from .urls import origin, same_origin

__all__ = ["MAX_LIST_PAGES", "ApiHttpClient", "RedirectedError", "TransportOptions", "retry_after_of"]


# A paged list is followed for at most this many pages (a server that loops must not hold us forever).
MAX_LIST_PAGES = 50


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
            NoRepostRetryPolicy(
                retry_total=retry_total,
                retry_backoff_factor=retry_backoff,
                retry_backoff_max=retry_backoff_max,
            ),
            SameHostPolicy(self.base_url, service),
            RefreshOn401Policy(credential, scope, service=service),
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
        except CredentialError as exc:
            raise CredentialError(no_token_message(self.service, str(exc))) from None
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
        text, clean = decoded_body(response)
        if clean:
            code, message = parse_error_body(text)
        elif isinstance(response, Answer) and response.body_error is not None:
            code, message = None, f"the error body could not be read: {response.body_error}"
        else:
            # Not what the API's JSON serializer writes, so no error code is trusted from it; show what decodes.
            code, message = None, f"error body is not valid {charset_of(response)}: {snippet(text)}"
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


def _transport_message(exc: BaseException) -> str:
    # The transport's own text can be long and nested; its first line names the cause (timeout, refused, reset).
    text = str(getattr(exc, "message", None) or exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
