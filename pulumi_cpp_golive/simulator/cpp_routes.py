"""The Cloud Partner Portal's routes (``/api/...``): checks, injected faults, then one handler per route.

Only what the provider and its tests use is served: publish, go-live, cancel, the operation (under the offer, and
``/api/operations/{id}`` for non-migrated offers' dollar IDs), the operations list and the offer status. A second API
sits beside this one as another :class:`~pulumi_cpp_golive.simulator.core.Api` with its own prefix and route table.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Callable, Dict, List, Optional, Sequence
from urllib.parse import urlencode

from .core import (
    DROPPED,
    JSON_CONTENT_TYPE,
    Headers,
    Match,
    Params,
    Reply,
    Request,
    Route,
    dispatch,
    error_reply,
    json_reply,
)
from .faults import FaultInjector, lost_answer, stalled_body
from .options import SimulatorConfig
from .views import Renderer
from .vocabulary import API_VERSION, matches
from .world import Operation, SimulatorError, World

_LOG = logging.getLogger(__name__)

FOREIGN_BASE_URL = "http://foreign.invalid"

# World.start_golive or World.start_publish: (publisher, offer, notification emails) -> the new operation.
Starter = Callable[[str, str, str], Operation]


class CppApi:
    """Answers the requests under ``/api/``: fault injection, bearer token and api-version checks, then the route."""

    prefix = "/api/"

    def __init__(self, world: World, faults: FaultInjector, config: Callable[[], SimulatorConfig]) -> None:
        self._world = world
        self._faults = faults
        self._config = config
        offer = "publishers/{publisher}/offers/{offer}"
        self.routes: Sequence[Route] = (
            Route("POST", offer + "/golive", "golive", self._golive),
            Route("POST", offer + "/publish", "publish", self._publish),
            Route("POST", offer + "/cancel", "cancel", self._cancel),
            Route("GET", offer + "/operations/{operation_id}", "operations", self._operation),
            Route("GET", "operations/{operation_id}", "operations", self._operation),
            Route("GET", offer + "/submissions", "submissions", self._submissions),
            Route("GET", offer + "/status", "status", self._offer_status),
            Route("GET", offer, "offer", self._offer),
        )
        self.control_routes: Sequence[Route] = (
            Route("POST", "cpp/offers/{publisher}/{offer}/edit", "edit-offer", self._edit_offer),
        )

    def answer(self, request: Request, found: Optional[Match], token_ok: bool) -> Reply:
        """Faults first (they stand for the service's front door), then the checks, then the route's handler."""
        if self._config().slow_seconds > 0:
            # Real sleep, not the injected clock: the point is to make the client's HTTP timeout fire.
            time.sleep(self._config().slow_seconds)
        fault = self._faults.on_api_request()
        if fault is not None:
            return fault
        if not token_ok:
            challenge = (("WWW-Authenticate", "Bearer"),)
            return error_reply(401, "Unauthorized", "The access token is missing or invalid.", challenge)
        version = request.query.get("api-version")
        if version != API_VERSION:
            message = f"The api-version '{version or ''}' is invalid; allowed values: {API_VERSION}"
            return error_reply(400, "InvalidAPIVersion", message)
        return dispatch(request, found, "NotFound", "MethodNotAllowed")

    # --- long-running operations ------------------------------------------------------------------------------

    def _golive(self, request: Request, params: Params) -> Reply:
        # The go-live exists before the answer leaves; stall_post_body_seconds then holds back its body.
        reply = self._start(request, params, self._world.start_golive, "golive")
        return stalled_body(reply, self._config().stall_post_body_seconds)

    def _publish(self, request: Request, params: Params) -> Reply:
        reply = self._start(request, params, self._world.start_publish, "publish")
        return stalled_body(reply, self._config().stall_post_body_seconds)

    def _start(self, request: Request, params: Params, start: Starter, kind: str) -> Reply:
        """Start a go-live or publish (``kind`` names its own one-shot faults: ``race_<kind>``, ``<kind>_reset``)."""
        publisher, offer = params["publisher"], params["offer"]
        emails = notification_emails(request.body)  # a malformed body is refused before anything starts
        if self._faults.take(f"race_{kind}"):
            # Another client's operation lands first; this one then meets the offer busy (409 or 400).
            rival = start(publisher, offer, "")
            _LOG.info("race_%s: another client started %s %s first", kind, kind, rival.id)
        operation = start(publisher, offer, emails)
        lost = self._faults.take("accepted_then_status")
        if lost:
            # A gateway (or CPP itself) failed after the operation was created: the client sees only an error.
            _LOG.info("accepted_then_status: answering %s after creating operation %s", lost, operation.id)
            return lost_answer(lost, self._config().error_body)
        if self._faults.take(f"{kind}_reset"):
            # The operation exists but the client never hears of it: an ambiguous failure it must reconcile.
            _LOG.info("%s_reset: dropping the connection after creating operation %s", kind, operation.id)
            return DROPPED
        if self._faults.take("omit_tracking_header"):
            return Reply(202)
        if self._config().foreign_host:
            path = operation.tracking_path().partition("?")[0]
            return Reply(202, headers=(("Operation-Location", FOREIGN_BASE_URL + path),))
        config = self._config()
        if kind == "golive" and config.golive_answer_status != 202:
            return Reply(config.golive_answer_status)  # a 2xx without any tracking header
        if config.location_override:
            real = tracking_headers(operation, "operation-location", request.base_url)
            return Reply(202, headers=(("Location", config.location_override), *real))
        return self._accepted(operation, request)

    def _cancel(self, request: Request, params: Params) -> Reply:
        publisher, offer = params["publisher"], params["offer"]
        operation = self._world.cancel(publisher, offer, notification_emails(request.body))
        return self._accepted(operation, request)

    def _accepted(self, operation: Operation, request: Request) -> Reply:
        return Reply(202, headers=tracking_headers(operation, self._config().header_variant, request.base_url))

    # --- reads --------------------------------------------------------------------------------------------------

    def _operation(self, request: Request, params: Params) -> Reply:
        config = self._config()
        headers: Headers = ()
        if config.poll_retry_after is not None:
            headers = (("Retry-After", str(config.poll_retry_after)),)
        if self._faults.countdown("reset_operation_gets"):
            return DROPPED
        if self._faults.countdown("stall_operation_gets"):
            time.sleep(config.stall_seconds)  # real time: the client's read timeout is what is tested
        if config.operation_404:
            return error_reply(404, "NotFound", f"Operation '{params['operation_id']}' was not found.", headers)
        try:
            with self._world.lock:
                operation = self._world.operation(params["operation_id"], params.get("publisher"), params.get("offer"))
                renderer = self._renderer(config, include_emails=operation.dollar_style)
                body = json.dumps(renderer.operation(operation, unknown_status=config.unknown_status_first))
        except SimulatorError as refusal:
            return error_reply(refusal.status, refusal.code, refusal.message, headers)
        payload = body.encode("utf-8")
        if self._faults.malformed_operation_get():
            payload = payload[: len(payload) // 2]
        return Reply(200, payload, (("Content-Type", JSON_CONTENT_TYPE), *headers))

    def _submissions(self, request: Request, params: Params) -> Reply:
        # Docs pass the filter as `status`; devigned/pub sends `submissionState` (docs/cpp-api.md §4a). Accept both.
        wanted = [request.query[key] for key in ("status", "submissionState") if request.query.get(key)]
        config = self._config()
        with self._world.lock:
            offer = self._world.offer(params["publisher"], params["offer"])
            renderer = self._renderer(config, include_emails=False)
            newest_first = sorted(offer.operations, key=lambda op: op.sequence, reverse=True)
            body = [
                renderer.submission(op)
                for op in newest_first
                # list_lag_seconds: a list that has not caught up with operations created a moment ago.
                if renderer.now - op.created >= config.list_lag_seconds
                and all(matches(op.outcome(renderer.now), value) for value in wanted)
            ]
        if config.list_page_size <= 0:
            return json_reply(200, body)
        return json_reply(200, _page(body, request, config.list_page_size))

    def _offer_status(self, request: Request, params: Params) -> Reply:
        config = self._config()
        with self._world.lock:
            offer = self._world.offer(params["publisher"], params["offer"])
            body = self._renderer(config, include_emails=config.id_style == "dollar").offer_status(offer)
        return json_reply(200, body)

    def _offer(self, request: Request, params: Params) -> Reply:
        config = self._config()
        with self._world.lock:
            offer = self._world.offer(params["publisher"], params["offer"])
            body = self._renderer(config, include_emails=False).offer(offer)
        return json_reply(200, body)

    def _edit_offer(self, request: Request, params: Params) -> Reply:
        version = self._world.edit_offer(params["publisher"], params["offer"])
        return json_reply(200, {"publisherId": params["publisher"], "offerId": params["offer"], "version": version})

    def _renderer(self, config: SimulatorConfig, *, include_emails: bool) -> Renderer:
        timeline = self._world.timeline
        return Renderer(timeline, timeline.now(), config.status_case, include_emails)


def tracking_headers(operation: Operation, variant: str, base_url: str) -> Headers:
    """The 202 tracking header(s) for ``header_variant`` (docs/cpp-api.md §2a)."""
    relative = operation.tracking_path()
    if variant == "location":
        return (("Location", relative),)
    if variant == "operation-location":
        # The 2018 docs' form: absolute, without api-version.
        return (("Operation-Location", base_url + relative.partition("?")[0]),)
    return (("Location", relative), ("Operation-Location", relative))


def notification_emails(body: bytes) -> str:
    """``metadata.notification-emails`` from an optional POST body; "" when absent. Malformed JSON is a 400."""
    if not body.strip():
        return ""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise SimulatorError(400, "InvalidRequestBody", f"The request body is not valid JSON: {error}.") from None
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    emails = metadata.get("notification-emails") if isinstance(metadata, dict) else None
    if not isinstance(payload, dict) or not isinstance(metadata, (dict, type(None))):
        raise SimulatorError(400, "InvalidRequestBody", "The body and its 'metadata' must be JSON objects.")
    if not isinstance(emails, (str, type(None))):
        raise SimulatorError(400, "InvalidRequestBody", "'metadata.notification-emails' must be a string.")
    return emails or ""


def _page(items: List[Dict[str, object]], request: Request, size: int) -> Dict[str, object]:
    """One page of a paged list, ``{"value": [...], "nextLink": <absolute URL>}``, from the ``$skip`` query."""
    try:
        skip = max(0, int(request.query.get("$skip", "0")))
    except ValueError:
        raise SimulatorError(400, "InvalidSkip", "$skip must be an integer.") from None
    page: Dict[str, object] = {"value": items[skip : skip + size]}
    if skip + size < len(items):
        query = {**request.query, "$skip": str(skip + size)}
        page["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query, safe='$')}"
    return page
