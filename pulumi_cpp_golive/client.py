"""The CPP HTTP client: one method per route, no waiting logic.

Built on azure-core's pipeline so that retries (``Retry-After`` honoured, bounded exponential back-off), token
caching and refresh, and header-redacting logging come from the Azure SDK rather than from hand-written code.
Two small policies are ours, each for a reason azure-core has no setting for:

* :class:`_CppRetryPolicy` never repeats a POST unless it was answered 429: azure-core retries POSTs on
  500/503/504 and on any ``Retry-After``, which for go-live could send an offer live twice.
* :class:`_SameHostPolicy` refuses any request whose host is not the configured CPP host, so the bearer token
  cannot follow a tracking URL elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import quote, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ServiceRequestError
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

from . import __version__
from .auth import CPP_SCOPE
from .errors import CppApiError, TrackingUrlError
from .operation import API_VERSION, origin, resolve_operation_url, tracking_url
from .settings import validate_base_url

_LOG = logging.getLogger(__name__)


# A paged operations list is followed for at most this many pages (a server that loops must not hold us forever).
MAX_LIST_PAGES = 50


@dataclasses.dataclass(frozen=True)
class Accepted:
    """A 2xx answer to a long-running POST: where to poll, and how soon the server wants us to."""

    url: str
    retry_after: Optional[float]


@dataclasses.dataclass(frozen=True)
class OperationSnapshot:
    """One GET of an operation: its JSON body and the server's ``Retry-After`` hint, if any."""

    body: Mapping[str, Any]
    retry_after: Optional[float]


class _CppRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy, except that a POST is retried only when it was answered 429 (not accepted)."""

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        if response.http_request.method.upper() == "POST" and response.http_response.status_code != 429:
            return False
        return bool(super().is_retry(settings, response))


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

    azure-core only re-authorises when the 401 carries a ``WWW-Authenticate`` challenge; CPP's may not.
    """

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = super().send(request)
        if response.http_response.status_code == 401 and not request.context.get("cpp_reauthorised"):
            request.context["cpp_reauthorised"] = True
            _LOG.info("CPP answered 401; acquiring a new token and retrying once")
            self.authorize_request(request, *self._scopes)
            response = self.next.send(request)
        return response


def parse_error_body(text: str) -> tuple[Optional[str], Optional[str]]:
    """``(code, message)`` from a CPP error body: ``{"error":{...}}``, the ``{"Variant":{...}}`` shape, or text."""
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


def _retry_after(response: HttpResponse) -> Optional[float]:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP-date is legal but CPP is not known to send one; fall back to the poll interval
    return max(seconds, 0.0)


class CppClient:
    """A thin client for the CPP routes go-live needs. Every method raises :class:`CppApiError` on failure.

    :param base_url: ``https://host[:port]``, or ``http://`` on a loopback host only.
    :param credential: any azure-core token credential.
    :param retry_total: attempts azure-core may repeat a GET (or a POST answered 429).
    :param retry_backoff: exponential back-off factor in seconds between retries without ``Retry-After``.
    """

    def __init__(
        self,
        base_url: str,
        credential: TokenCredential,
        *,
        connect_timeout: float = 15.0,
        read_timeout: float = 120.0,
        retry_total: int = 5,
        retry_backoff: float = 0.8,
        retry_backoff_max: int = 60,
    ) -> None:
        self.base_url = validate_base_url(base_url)  # plain http only on loopback
        self._https = self.base_url.lower().startswith("https://")
        policies: Sequence[Any] = [
            HeadersPolicy({"Accept": "application/json"}),
            UserAgentPolicy(f"pulumi-cpp-golive/{__version__}"),
            _CppRetryPolicy(
                retry_total=retry_total,
                retry_backoff_factor=retry_backoff,
                retry_backoff_max=retry_backoff_max,
            ),
            _SameHostPolicy(origin(self.base_url)),
            _RefreshOn401Policy(credential, CPP_SCOPE),
            HttpLoggingPolicy(),
        ]
        self._pipeline: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self.base_url,
            policies=list(policies),
            transport=RequestsTransport(connection_timeout=connect_timeout, read_timeout=read_timeout),
        )

    def close(self) -> None:
        self._pipeline.close()

    # ---- routes -------------------------------------------------------------------------------------------

    def post_golive(self, publisher_id: str, offer_id: str, notification_emails: Sequence[str] = ()) -> Accepted:
        """POST ``.../offers/{offerId}/golive``; returns where to poll. Not retried unless answered 429.

        Any 2xx means CPP took the go-live. When the answer names no operation of this offer (a 204, a 200/201
        without tracking header, headers pointing elsewhere) :class:`TrackingUrlError` says so: the operation runs,
        and the caller finds it in the operations list.
        """
        body = {"metadata": {"notification-emails": ",".join(notification_emails)}} if notification_emails else None
        response = self._send("POST", self._offer_path(publisher_id, offer_id, "golive"), json_body=body)
        if not 200 <= response.status_code < 300:
            raise self._error(response)
        try:
            url = tracking_url(response.headers, self.base_url, publisher_id, offer_id)
        except TrackingUrlError as exc:
            status = response.status_code
            raise TrackingUrlError(f"its HTTP {status} answer has no usable tracking URL ({exc})") from None
        return Accepted(url, _retry_after(response))

    def get_operation(self, location: str) -> OperationSnapshot:
        """GET an operation by its tracking URL (relative or absolute on the CPP host)."""
        response = self._send("GET", resolve_operation_url(location, self.base_url))
        if response.status_code != 200:
            raise self._error(response)
        body = self._json(response)
        if isinstance(body, list) and len(body) == 1:  # the docs' sample wraps the object in an array
            body = body[0]
        if not isinstance(body, dict):
            raise self._malformed(response, "expected a JSON object")
        return OperationSnapshot(body, _retry_after(response))

    def list_submissions(self, publisher_id: str, offer_id: str, status: Optional[str] = None) -> list[dict[str, Any]]:
        """GET ``.../submissions/`` (the operations list), optionally filtered by state (e.g. ``running``).

        The docs show a plain JSON array; Azure-style ``{"value": [...], "nextLink": ...}`` pages are accepted
        too and followed, on the CPP host only and for at most :data:`MAX_LIST_PAGES` pages. A list that cannot
        be read whole is an error, never a shorter list: a missed running go-live would lead to a second POST.
        """
        params: Optional[dict[str, str]] = {"status": status} if status else None
        url = self._offer_path(publisher_id, offer_id, "submissions/")
        items: list[dict[str, Any]] = []
        visited: set[str] = set()
        for _ in range(MAX_LIST_PAGES):
            visited.add(url)
            response = self._send("GET", url, params=params)
            if response.status_code != 200:
                raise self._error(response)
            body = self._json(response)
            if isinstance(body, list):
                page, next_link = body, None
            elif isinstance(body, dict) and isinstance(body.get("value"), list):
                page, next_link = body["value"], body.get("nextLink")
            else:
                raise self._malformed(response, 'expected a JSON array or {"value": [...]}')
            items.extend(item for item in page if isinstance(item, dict))
            if next_link is None or next_link == "":
                return items
            url = self._next_page(response, next_link)
            if url in visited:
                raise self._bad_next_link(response, "the nextLink points back at a page already read")
            params = None  # the nextLink carries its own query
        raise self._bad_next_link(response, f"the list has more than {MAX_LIST_PAGES} pages")

    def get_offer_status(self, publisher_id: str, offer_id: str) -> dict[str, Any]:
        """GET ``.../offers/{offerId}/status``."""
        response = self._send("GET", self._offer_path(publisher_id, offer_id, "status"))
        if response.status_code != 200:
            raise self._error(response)
        body = self._json(response)
        if not isinstance(body, dict):
            raise self._malformed(response, "expected a JSON object")
        return body

    # ---- plumbing -----------------------------------------------------------------------------------------

    def _offer_path(self, publisher_id: str, offer_id: str, tail: str) -> str:
        return (f"{self.base_url}/api/publishers/{quote(publisher_id, safe='')}"
                f"/offers/{quote(offer_id, safe='')}/{tail}")

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        json_body: Optional[Any] = None,
    ) -> HttpResponse:
        query = {"api-version": API_VERSION, **(params or {})}
        if "api-version=" in url:
            query.pop("api-version")
        request = HttpRequest(method, url, params=query, json=json_body)
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
            ) from None

    def _next_page(self, response: HttpResponse, next_link: object) -> str:
        if not isinstance(next_link, str):
            raise self._bad_next_link(response, "the nextLink is not a string")
        value = next_link.strip()
        absolute = self.base_url + value if value.startswith("/") and not value.startswith("//") else value
        try:
            same_host = origin(absolute) == origin(self.base_url)
        except TrackingUrlError:
            same_host = False
        if not same_host or urlsplit(absolute).scheme.lower() not in ("http", "https"):
            # The bearer token goes with every page: never to another host.
            raise self._bad_next_link(response, "the nextLink is not on the configured CPP host")
        return absolute

    def _bad_next_link(self, response: HttpResponse, what: str) -> CppApiError:
        return CppApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code="InvalidNextLink", message=what)

    def _error(self, response: HttpResponse) -> CppApiError:
        text, clean = _decoded_body(response)
        if clean:
            code, message = parse_error_body(text)
        else:
            # Not what CPP's JSON serializer writes, so no CPP error code is trusted from it; show what decodes.
            shown = " ".join(text.split())[:300]
            code, message = None, f"error body is not valid {response.encoding or 'text'}: {shown}"
        return CppApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code=code, message=message)

    def _json(self, response: HttpResponse) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._malformed(response, "the body is not valid JSON") from None

    def _malformed(self, response: HttpResponse, what: str) -> CppApiError:
        return CppApiError(status=response.status_code, method=response.request.method, url=response.request.url,
                           code="MalformedResponse", message=what)


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
