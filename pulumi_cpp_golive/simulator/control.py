"""The control plane under ``/_sim/``: lets a test drive a simulator that runs in another process.

No authentication (the server only listens on loopback and refuses other peers); requests here are not recorded and
not counted for faults, so driving the simulator never disturbs what a test measures.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Tuple

from .config import SimulatorConfig, apply_changes
from .exchange import IncomingRequest, Reply, error_reply, json_reply
from .faults import FaultInjector
from .recording import RequestLog
from .state import SimulatorError, World

CONTROL_PREFIX = "/_sim/"


def is_control_path(path: str) -> bool:
    """Whether a raw path belongs to the control plane."""
    return path == CONTROL_PREFIX.rstrip("/") or path.startswith(CONTROL_PREFIX)


class ControlPlane:
    """Handlers for ``/_sim/...``."""

    def __init__(
        self,
        world: World,
        log: RequestLog,
        faults: FaultInjector,
        config: Callable[[], SimulatorConfig],
    ) -> None:
        self._world = world
        self._log = log
        self._faults = faults
        self._config = config
        self._routes: Dict[Tuple[str, str], Callable[[Dict[str, Any]], Reply]] = {
            ("GET", "requests"): self._requests,
            ("GET", "config"): self._get_config,
            ("POST", "config"): self._set_config,
            ("POST", "offers"): self._add_offer,
            ("POST", "reset-counts"): self._reset_counts,
            ("POST", "golive"): self._start_golive,
            ("POST", "complete"): self._complete,
        }

    def handle(self, request: IncomingRequest) -> Reply:
        """Answer one control request."""
        name = request.path[len(CONTROL_PREFIX) :].strip("/")
        handler = self._routes.get((request.method, name))
        if handler is None:
            return error_reply(404, "NotFound", f"No control route {request.method} {request.path}.")
        try:
            payload = json.loads(request.body) if request.body.strip() else {}
        except ValueError:
            return error_reply(400, "InvalidRequestBody", "The request body is not valid JSON.")
        if not isinstance(payload, dict):
            return error_reply(400, "InvalidRequestBody", "The request body must be a JSON object.")
        try:
            return handler(payload)
        except SimulatorError as refusal:
            return error_reply(refusal.status, refusal.code, refusal.message)
        except (KeyError, TypeError, ValueError) as error:
            return error_reply(400, "BadRequest", str(error))

    def reset_counts(self) -> None:
        """Forget recorded requests and restart the every-Nth fault counters."""
        self._log.clear()
        self._faults.reset()

    def _requests(self, payload: Dict[str, Any]) -> Reply:
        return json_reply(
            200,
            {"counts": self._log.counts(), "requests": [item.as_json() for item in self._log.snapshot()]},
        )

    def _get_config(self, payload: Dict[str, Any]) -> Reply:
        return json_reply(200, {"config": self._config().public_dict()})

    def _set_config(self, payload: Dict[str, Any]) -> Reply:
        apply_changes(self._config(), payload)
        return json_reply(200, {"config": self._config().public_dict()})

    def _add_offer(self, payload: Dict[str, Any]) -> Reply:
        publisher, offer = _names(payload)
        state = payload.get("state", "ready")
        emails = payload.get("emails", "")
        if not isinstance(state, str) or not isinstance(emails, str):
            raise ValueError("'state' and 'emails' must be strings")
        self._world.add_offer(publisher, offer, state, emails)
        return json_reply(201, {"publisher": publisher, "offer": offer, "state": state})

    def _reset_counts(self, payload: Dict[str, Any]) -> Reply:
        self.reset_counts()
        return json_reply(200, {"reset": True})

    def _start_golive(self, payload: Dict[str, Any]) -> Reply:
        operation = self._world.start_golive(*_names(payload))
        return json_reply(201, {"id": operation.id, "location": operation.tracking_path()})

    def _complete(self, payload: Dict[str, Any]) -> Reply:
        return json_reply(200, {"id": self._world.complete_now(*_names(payload))})


def _names(payload: Dict[str, Any]) -> Tuple[str, str]:
    publisher, offer = payload.get("publisher"), payload.get("offer")
    if not isinstance(publisher, str) or not isinstance(offer, str):
        raise ValueError("'publisher' and 'offer' must be strings")
    return publisher, offer
