"""The azure-core pipeline policies that are ours, each for a reason azure-core has no setting for.

* :class:`NoRepostRetryPolicy` never repeats a POST unless it was answered 429: azure-core retries POSTs on
  500/503/504 and on any ``Retry-After``, which for go-live could send an offer live twice. Its sleeps and its
  retries are bounded by the go-live's :class:`~pulumi_cpp_golive.deadline.Deadline` (and stop on Cancel).
* :class:`SameHostPolicy` refuses any request whose host is not the configured one, so the bearer token cannot
  follow a tracking URL or a ``nextLink`` elsewhere.
* :class:`RefreshOn401Policy` gets a fresh token once on a bare 401 (no challenge header).

:class:`~.api_client.ApiHttpClient` puts them in its pipeline, between azure-core's own header, user-agent and
logging policies.
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Union

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy, SansIOHTTPPolicy

from .deadline import MIN_PAUSE_SECONDS, current, parse_retry_after
from .urls import same_origin

__all__ = ["NoRepostRetryPolicy", "RefreshOn401Policy", "SameHostPolicy"]

_LOG = logging.getLogger(__name__)


class NoRepostRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
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


class SameHostPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuse to send anything (and so the token) to a host other than the configured one, judged by the parser
    that connects (:func:`~.urls.same_origin`: the same rule as every server-given URL)."""

    def __init__(self, base_url: str, service: str) -> None:
        super().__init__()
        self._base_url = base_url
        self._service = service

    def on_request(self, request: PipelineRequest[Any]) -> None:
        same_origin(request.http_request.url, self._base_url, what="request URL", service=self._service)


class RefreshOn401Policy(BearerTokenCredentialPolicy):  # type: ignore[type-arg]
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
