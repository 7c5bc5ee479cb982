"""The simulated CPP REST API (``/api/...``): checks, injected faults, then one handler per route."""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlencode

from .config import SimulatorConfig
from .exchange import DROPPED, JSON_CONTENT_TYPE, Headers, IncomingRequest, Reply, error_reply, json_reply
from .faults import FaultInjector, lost_answer
from .recording import RecordedRequest, RequestLog
from .routing import Route, parse_api_path
from .state import Operation, SimulatorError, World
from .views import Renderer
from .vocabulary import API_VERSION, matches

_LOG = logging.getLogger(__name__)

FOREIGN_BASE_URL = "http://foreign.invalid"


class CppApi:
    """Answers every request that is not for the control plane, and records it."""

    def __init__(
        self,
        world: World,
        faults: FaultInjector,
        log: RequestLog,
        config: Callable[[], SimulatorConfig],
    ) -> None:
        self._world = world
        self._faults = faults
        self._log = log
        self._config = config
        self._handlers: Dict[str, Callable[[IncomingRequest, Route], Reply]] = {
            "publish": self._publish,
            "golive": self._golive,
            "cancel": self._cancel,
            "operations": self._operation,
            "submissions": self._submissions,
            "status": self._offer_status,
            "offer": self._offer,
        }

    def handle(self, request: IncomingRequest) -> Reply:
        """Record the request, answer it, and note the answer's status in the record."""
        is_api = request.path == "/api" or request.path.startswith("/api/")
        route = parse_api_path(request.path) if is_api else None
        token_ok = self._token_ok(request.authorization)
        record = self._log.record(
            RecordedRequest(
                method=request.method,
                path=unquote(request.path),
                query=dict(request.query),
                route=route.name if route is not None else "unknown",
                authorization_ok=token_ok,
            )
        )
        try:
            reply = self._answer(request, route, is_api, token_ok)
        except SimulatorError as refusal:
            reply = error_reply(refusal.status, refusal.code, refusal.message)
        self._log.answered(record, None if reply.drop else reply.status)
        return reply

    # --- the checks every API request goes through ------------------------------------------------------------

    def _answer(self, request: IncomingRequest, route: Optional[Route], is_api: bool, token_ok: bool) -> Reply:
        if not is_api:
            return error_reply(404, "NotFound", f"No resource at {request.path}.")
        config = self._config()
        if config.slow_seconds > 0:
            # Real sleep, not the injected clock: the point is to make the client's HTTP timeout fire.
            time.sleep(config.slow_seconds)
        fault = self._faults.on_api_request()
        if fault is not None:
            return fault
        if not token_ok:
            return error_reply(
                401,
                "Unauthorized",
                "The access token is missing or invalid.",
                (("WWW-Authenticate", "Bearer"),),
            )
        version = request.query.get("api-version")
        if version != API_VERSION:
            return error_reply(
                400,
                "InvalidAPIVersion",
                f"The api-version '{version or ''}' is invalid; allowed values: {API_VERSION}",
            )
        if route is None:
            return error_reply(404, "NotFound", f"No route matches {request.method} {request.path}.")
        if request.method != route.method:
            return error_reply(
                405,
                "MethodNotAllowed",
                f"{request.method} is not allowed on {request.path}.",
                (("Allow", route.method),),
            )
        return self._handlers[route.name](request, route)

    def _token_ok(self, authorization: Optional[str]) -> bool:
        if not authorization:
            return False
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        given = token.strip().encode("utf-8")
        # Constant-time comparison: cheap, and keeps the fake from teaching bad habits.
        return any(
            hmac.compare_digest(given, accepted.encode("utf-8")) for accepted in self._config().accepted_tokens()
        )

    # --- long-running operations ------------------------------------------------------------------------------

    def _publish(self, request: IncomingRequest, route: Route) -> Reply:
        publisher, offer = _offer_of(route)
        operation = self._world.start_publish(publisher, offer, notification_emails(request.body))
        return self._accepted(operation, request)

    def _golive(self, request: IncomingRequest, route: Route) -> Reply:
        publisher, offer = _offer_of(route)
        if self._faults.consume("race_golive"):
            # Another client's go-live lands first; this one then meets the offer busy (409 or 400).
            rival = self._world.start_golive(publisher, offer)
            _LOG.info("race_golive: another client started go-live %s first", rival.id)
        operation = self._world.start_golive(publisher, offer, notification_emails(request.body))
        lost = self._faults.take("accepted_then_status")
        if lost:
            # A gateway (or CPP itself) failed after the operation was created: the client sees only an error.
            _LOG.info("accepted_then_status: answering %s after creating operation %s", lost, operation.id)
            return lost_answer(lost, self._config().error_body)
        if self._faults.consume("golive_reset"):
            # The operation exists but the client never hears of it: an ambiguous failure it must reconcile.
            _LOG.info("golive_reset: dropping the connection after creating operation %s", operation.id)
            return DROPPED
        if self._faults.consume("omit_tracking_header"):
            return Reply(202)
        if self._config().foreign_host:
            path = operation.tracking_path().partition("?")[0]
            return Reply(202, headers=(("Operation-Location", FOREIGN_BASE_URL + path),))
        config = self._config()
        if config.golive_answer_status != 202:
            return Reply(config.golive_answer_status)  # a 2xx without any tracking header
        if config.location_override:
            real = tracking_headers(operation, "operation-location", request.base_url)
            return Reply(202, headers=(("Location", config.location_override), *real))
        return self._accepted(operation, request)

    def _cancel(self, request: IncomingRequest, route: Route) -> Reply:
        publisher, offer = _offer_of(route)
        operation = self._world.cancel(publisher, offer, notification_emails(request.body))
        return self._accepted(operation, request)

    def _accepted(self, operation: Operation, request: IncomingRequest) -> Reply:
        return Reply(202, headers=tracking_headers(operation, self._config().header_variant, request.base_url))

    # --- reads --------------------------------------------------------------------------------------------------

    def _operation(self, request: IncomingRequest, route: Route) -> Reply:
        config = self._config()
        headers: Headers = ()
        if config.poll_retry_after is not None:
            headers = (("Retry-After", str(config.poll_retry_after)),)
        if self._faults.countdown("reset_operation_gets"):
            return DROPPED
        if self._faults.countdown("stall_operation_gets"):
            time.sleep(config.stall_seconds)  # real time: the client's read timeout is what is tested
        if config.operation_404:
            return error_reply(404, "NotFound", f"Operation '{route.operation_id}' was not found.", headers)
        try:
            with self._world.lock:
                operation = self._world.operation(route.operation_id or "", route.publisher, route.offer)
                renderer = self._renderer(config, include_emails=operation.dollar_style)
                body = json.dumps(renderer.operation(operation, unknown_status=config.unknown_status_first))
        except SimulatorError as refusal:
            return error_reply(refusal.status, refusal.code, refusal.message, headers)
        payload = body.encode("utf-8")
        if self._faults.malformed_operation_get():
            payload = payload[: len(payload) // 2]
        return Reply(200, payload, (("Content-Type", JSON_CONTENT_TYPE), *headers))

    def _submissions(self, request: IncomingRequest, route: Route) -> Reply:
        # Docs pass the filter as `status`; devigned/pub sends `submissionState` (cpp-api.md §4a). Accept both.
        wanted = [request.query[key] for key in ("status", "submissionState") if request.query.get(key)]
        config = self._config()
        with self._world.lock:
            offer = self._world.offer(*_offer_of(route))
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

    def _offer_status(self, request: IncomingRequest, route: Route) -> Reply:
        config = self._config()
        with self._world.lock:
            offer = self._world.offer(*_offer_of(route))
            body = self._renderer(config, include_emails=config.id_style == "dollar").offer_status(offer)
        return json_reply(200, body)

    def _offer(self, request: IncomingRequest, route: Route) -> Reply:
        config = self._config()
        with self._world.lock:
            offer = self._world.offer(*_offer_of(route))
            body = self._renderer(config, include_emails=config.id_style == "dollar").offer(offer)
        return json_reply(200, body)

    def _renderer(self, config: SimulatorConfig, *, include_emails: bool) -> Renderer:
        timeline = self._world.timeline
        return Renderer(timeline, timeline.now(), config.status_case, include_emails)


def tracking_headers(operation: Operation, variant: str, base_url: str) -> Headers:
    """The 202 tracking header(s) for ``header_variant`` (cpp-api.md §2a)."""
    relative = operation.tracking_path()
    if variant == "location":
        return (("Location", relative),)
    if variant == "operation-location":
        # The 2018 docs' form: absolute, without api-version.
        return (("Operation-Location", base_url + relative.partition("?")[0]),)
    return (("Location", relative), ("Operation-Location", relative))


def notification_emails(body: bytes) -> Optional[str]:
    """``metadata.notification-emails`` from an optional POST body; None when absent. Malformed JSON is a 400."""
    if not body.strip():
        return None
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise SimulatorError(400, "InvalidRequestBody", f"The request body is not valid JSON: {error}.") from None
    if not isinstance(payload, dict):
        raise SimulatorError(400, "InvalidRequestBody", "The request body must be a JSON object.")
    metadata = payload.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise SimulatorError(400, "InvalidRequestBody", "'metadata' must be a JSON object.")
    emails = metadata.get("notification-emails")
    if emails is None:
        return None
    if not isinstance(emails, str):
        raise SimulatorError(400, "InvalidRequestBody", "'metadata.notification-emails' must be a string.")
    return emails


def _page(items: List[Dict[str, object]], request: IncomingRequest, size: int) -> Dict[str, object]:
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


def _offer_of(route: Route) -> Tuple[str, str]:
    # Offer routes always carry both; the check keeps the type checker and a future route table honest.
    if route.publisher is None or route.offer is None:
        raise SimulatorError(404, "NotFound", "No offer in this route.")
    return route.publisher, route.offer
