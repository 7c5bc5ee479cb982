"""The CPP HTTP client: one method per route, no waiting logic.

The pipeline (retries that never repeat a POST unless it was answered 429, the token kept to the configured host,
a fresh token on a 401, the go-live's deadline on every attempt) is shared with the Product Ingestion client and
lives in :mod:`.api_client`; this module holds CPP's routes and its ``api-version``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import quote

from azure.core.credentials import TokenCredential
from azure.core.rest import HttpResponse
from typing_extensions import Unpack

from .api_client import ApiHttpClient, TransportOptions, retry_after_of
from .auth import CPP_SCOPE
from .cpp_paths import API_VERSION
from .cpp_wire import resolve_operation_url, tracking_url
from .errors import UnusableAnswerError
from .settings import validate_base_url

__all__ = ["Accepted", "CppClient", "OperationSnapshot"]


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


class CppClient(ApiHttpClient):
    """A thin client for the CPP routes go-live needs. Every method raises :class:`ApiError` on failure.

    :param base_url: ``https://host[:port]``, or ``http://`` on a loopback host only.
    :param credential: any azure-core token credential.
    :param options: timeouts and retries, see :class:`~.api_client.ApiHttpClient`.
    """

    def __init__(
        self,
        base_url: str,
        credential: TokenCredential,
        **options: Unpack[TransportOptions],
    ) -> None:
        super().__init__(
            validate_base_url(base_url),  # plain http only on loopback
            credential,
            scope=CPP_SCOPE,
            service="CPP",
            version_parameter=("api-version", API_VERSION),
            **options,
        )

    # ---- routes -------------------------------------------------------------------------------------------

    def post_golive(self, publisher_id: str, offer_id: str, notification_emails: Sequence[str] = ()) -> Accepted:
        """POST ``.../offers/{offerId}/golive``; returns where to poll. Not retried unless answered 429.

        Any 2xx means CPP took the go-live. When the answer names no operation of this offer (a 204, a 200/201
        without tracking header, headers pointing elsewhere) :class:`UnusableAnswerError` says so: the operation runs,
        and the caller finds it in the operations list.
        """
        return self._post_operation(publisher_id, offer_id, "golive", notification_emails)

    def post_publish(self, publisher_id: str, offer_id: str, notification_emails: Sequence[str]) -> Accepted:
        """POST ``.../offers/{offerId}/publish`` (to preview) with the addresses CPP notifies; as :meth:`post_golive`
        otherwise."""
        return self._post_operation(publisher_id, offer_id, "publish", notification_emails)

    def _post_operation(self, publisher_id: str, offer_id: str, route: str,
                        notification_emails: Sequence[str]) -> Accepted:
        body = {"metadata": {"notification-emails": ",".join(notification_emails)}} if notification_emails else None
        response = self._send("POST", self._offer_path(publisher_id, offer_id, route), json_body=body)
        if not 200 <= response.status_code < 300:
            raise self._error(response)
        try:
            url = tracking_url(response.headers, self.base_url, publisher_id, offer_id)
        except UnusableAnswerError as exc:
            status = response.status_code
            raise UnusableAnswerError(f"its HTTP {status} answer has no usable tracking URL ({exc})") from None
        return Accepted(url, retry_after_of(response))

    def get_operation(self, location: str) -> OperationSnapshot:
        """GET an operation by its tracking URL (relative or absolute on the CPP host)."""
        response = self._get_object(resolve_operation_url(location, self.base_url))
        body = self._json(response)
        if isinstance(body, list) and len(body) == 1:  # the docs' sample wraps the object in an array
            body = body[0]
        if not isinstance(body, dict):
            raise self._malformed(response, "expected a JSON object")
        return OperationSnapshot(body, retry_after_of(response))

    def list_submissions(self, publisher_id: str, offer_id: str, status: Optional[str] = None) -> list[dict[str, Any]]:
        """GET ``.../submissions/`` (the operations list), optionally filtered by state (e.g. ``running``).

        The docs show a plain JSON array; Azure-style ``{"value": [...], "nextLink": ...}`` pages are accepted
        too and followed, on the CPP host only and for at most :data:`~.api_client.MAX_LIST_PAGES` pages. A list
        that cannot be read whole is an error, never a shorter list: a missed running go-live would lead to a second
        POST.
        """
        params: Optional[dict[str, str]] = {"status": status} if status else None
        url = self._offer_path(publisher_id, offer_id, "submissions/")
        return [item for page in self._pages(url, params, self._split_page) for item in page]

    def get_offer_status(self, publisher_id: str, offer_id: str) -> dict[str, Any]:
        """GET ``.../offers/{offerId}/status``."""
        return self._object(self._offer_path(publisher_id, offer_id, "status"))

    def get_offer(self, publisher_id: str, offer_id: str) -> dict[str, Any]:
        """GET ``.../offers/{offerId}``: the offer's summary (``version``, ``changedTime``, ``definition``)."""
        return self._object(self._offer_path(publisher_id, offer_id, ""))

    def _object(self, url: str) -> dict[str, Any]:
        response = self._get_object(url)
        body = self._json(response)
        if not isinstance(body, dict):
            raise self._malformed(response, "expected a JSON object")
        return body

    # ---- plumbing -----------------------------------------------------------------------------------------

    def _offer_path(self, publisher_id: str, offer_id: str, tail: str) -> str:
        path = f"{self.base_url}/api/publishers/{quote(publisher_id, safe='')}/offers/{quote(offer_id, safe='')}"
        return f"{path}/{tail}" if tail else path

    def _split_page(self, response: HttpResponse, body: Any) -> tuple[list[Any], object]:
        if isinstance(body, list):
            return body, None
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            return body["value"], body.get("nextLink")
        raise self._malformed(response, 'expected a JSON array or {"value": [...]}')
