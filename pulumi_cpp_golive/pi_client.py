"""The Product Ingestion (PI) HTTP client: one method per route go-live needs, no waiting logic.

The pipeline is CPP's (:mod:`.api_client`): a POST is repeated only when answered 429, the Graph token goes to
the configured host only (a ``@nextLink`` elsewhere is refused before anything is sent), a bare 401 gets one fresh
token, and every attempt honours the go-live's deadline. PI's own (``docs/product-ingestion-api.md``): the ``$version``
query parameter on every call, ``nextLink`` pages included (§1, §9); Graph-style ``{"error": {...}}`` bodies;
lists in ``{"value": [...], "@nextLink": ...}`` pages; and a configure job whose ID is only in the body (§4).
What the answers mean is read by :mod:`.pi_wire`.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

from azure.core.credentials import TokenCredential
from azure.core.rest import HttpResponse
from typing_extensions import Unpack

from .api_client import ApiHttpClient, TransportOptions, retry_after_of
from .auth import PI_SCOPE
from .errors import ApiError, UnusableAnswerError
from .pi_wire import SERVICE, ProductSearch, job_id_of, product_guid
from .segments import is_path_segment
from .settings import DEFAULT_PI_VERSION, validate_base_url


class PiClient(ApiHttpClient):
    """A thin client for the Product Ingestion routes go-live needs. Every method raises
    :class:`~.errors.ApiError` (``service="Product Ingestion"``) on failure.

    :param base_url: ``https://host[:port]/path`` (Microsoft's is :data:`~.settings.DEFAULT_PI_BASE_URL`), or
        ``http://`` on a loopback host only.
    :param credential: any azure-core token credential; tokens are asked for the Graph scope
        (:data:`~.auth.PI_SCOPE`).
    :param version: the ``$version`` sent on every call (``cpp-golive:productIngestionVersion``).
    :param options: timeouts and retries, see :class:`~.api_client.ApiHttpClient`.
    """

    def __init__(
        self,
        base_url: str,
        credential: TokenCredential,
        *,
        version: str = DEFAULT_PI_VERSION,
        **options: Unpack[TransportOptions],
    ) -> None:
        super().__init__(
            validate_base_url(base_url, setting="cpp-golive:productIngestionUrl", allow_path=True),
            credential,
            scope=PI_SCOPE,
            service=SERVICE,
            version_parameter=("$version", version),
            **options,
        )
        self.version = version

    # ---- routes -------------------------------------------------------------------------------------------

    def find_products(self, external_id: str) -> ProductSearch:
        """The products whose ``identity.externalId`` is ``external_id`` (the offer ID shown in Partner Center,
        compared without case), from ``GET product?externalId=``, and the IDs of every product listed.

        The listing is matched again here rather than trusted: a server that ignored the filter would otherwise
        hand over another offer.
        """
        wanted = external_id.casefold()
        search = ProductSearch()
        for page in self._pages(f"{self.base_url}/product", {"externalId": external_id}, self._split_page):
            for product in page:
                identity = product.get("identity")
                found = identity.get("externalId") if isinstance(identity, dict) else None
                if isinstance(found, str) and found.casefold() == wanted:
                    search.matches.append(product)
                search.listed.append(str(product.get("id"))[:60])
        return search

    def list_submissions(self, product_id: str) -> list[dict[str, Any]]:
        """Every entry of ``GET submission/{guid}`` (``product_id`` is ``product/<guid>`` or the bare GUID).

        Every page is read (``@nextLink``, or ``nextLink``), on the configured host only, for at most
        :data:`~.api_client.MAX_LIST_PAGES` pages; a loop or a longer list is an error, never a shorter list:
        a missed running go-live would lead to a second POST.
        """
        url = f"{self.base_url}/submission/{quote(product_guid(product_id), safe='')}"
        return [item for page in self._pages(url, None, self._split_page) for item in page]

    def post_configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``configure`` with ``body``; the job document, its ``jobId`` set (see :func:`~.pi_wire.job_id_of`).

        Not retried unless answered 429. Any 2xx carrying a job ID means the job was taken (200 and 202 are both
        seen). A 2xx without one raises :class:`UnusableAnswerError`: the request was taken but cannot be followed,
        so the caller must find it in the submission listing, never post again.
        """
        response = self._send("POST", f"{self.base_url}/configure", json_body=body)
        if not 200 <= response.status_code < 300:
            raise self._error(response)
        try:
            job = self._json(response)
        except ApiError:
            job = None  # the headers may still name the job
        try:
            job_id = job_id_of(job, response.headers.get("Location"))
        except UnusableAnswerError as exc:
            raise UnusableAnswerError(f"its HTTP {response.status_code} answer cannot be followed: {exc}") from None
        return {**(job if isinstance(job, dict) else {}), "jobId": job_id}

    def get_job_status(self, job_id: str) -> tuple[dict[str, Any], Optional[float]]:
        """``GET configure/{jobId}/status``: the job document and the answer's ``Retry-After`` (seconds), if any."""
        if not is_path_segment(job_id):
            raise UnusableAnswerError(f"the job ID {job_id[:100]!r} is not one URL path segment")
        response = self._get_object(f"{self.base_url}/configure/{job_id}/status")
        body = self._json(response)
        if not isinstance(body, dict):
            raise self._malformed(response, "expected a JSON object")
        return body, retry_after_of(response)

    # ---- plumbing -----------------------------------------------------------------------------------------

    def _split_page(self, response: HttpResponse, body: Any) -> tuple[list[Any], object]:
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            next_link = body.get("@nextLink")
            return body["value"], next_link if next_link not in (None, "") else body.get("nextLink")
        raise self._malformed(response, 'expected {"value": [...]}')
