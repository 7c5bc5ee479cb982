"""Injected faults: throttling, 500s, a one-off 401, malformed polls, count-down faults and the one-shot go-live faults,
shared by the CPP and PI routes.

Counters here restart on :meth:`FaultInjector.reset` (``Simulator.reset_counts``), so a test can say "the 3rd API
request from now is throttled" without knowing what came before.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable, Optional

from .core import JSON_CONTENT_TYPE, Reply, error_reply, json_reply
from .options import SimulatorConfig

# The non-standard body one real 500 carried (devigned/pub #28, docs/cpp-api.md §7).
VARIANT_500_BODY = {"Variant": {"serviceName": "Variant", "error": "Internal error. Retry is OK."}}

# What a gateway in front of CPP answers when it lost the service's reply: HTML, not CPP's JSON error shape.
GATEWAY_BODY = b"<html><body><h1>504 Gateway Time-out</h1>The upstream server did not answer in time.</body></html>"
# Claims to be UTF-8 JSON; the bytes are Latin-1 and a stray 0xff, which UTF-8 cannot decode.
BAD_UTF8_BODY = b'{"error": {"code": "InternalServerError", "message": "Serveur indisponible \xe9\xff"}}'


class FaultInjector:
    """Decides, request by request, whether a fault replaces the normal answer."""

    def __init__(self, config: Callable[[], SimulatorConfig]) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._api_requests = 0
        self._burst_left = 0
        self._operation_gets = 0

    def reset(self) -> None:
        """Restart every counter."""
        with self._lock:
            self._api_requests = 0
            self._burst_left = 0
            self._operation_gets = 0

    def on_api_request(self, pi: bool = False) -> Optional[Reply]:
        """Count one API request (CPP and PI share the count); return a fault answer for it, or None to answer
        normally. ``pi`` answers in PI's dialect: camelCase error codes, and a 500 in the ``{"error": ...}`` shape."""
        config = self._config()
        code: Callable[[str], str] = _camel if pi else str
        with self._lock:
            self._api_requests += 1
            number = self._api_requests
            if config.throttle_every > 0 and (self._burst_left > 0 or number % config.throttle_every == 0):
                # A trigger answers throttle_burst consecutive requests with 429, itself included.
                self._burst_left = self._burst_left - 1 if self._burst_left > 0 else config.throttle_burst - 1
                message = f"Rate limit exceeded; retry after {config.retry_after} seconds."
                return error_reply(429, code("TooManyRequests"), message, (("Retry-After", str(config.retry_after)),))
            self._burst_left = 0
            if config.error500_every > 0 and number % config.error500_every == 0:
                if pi:
                    return error_reply(500, "internalServerError", "Internal error. Retry is OK.")
                return json_reply(500, VARIANT_500_BODY)
            if 0 < config.unauthorized_once_after < number:
                # One-shot: a single 401 with a good token, as if it had just expired.
                config.unauthorized_once_after = 0
                challenge = (("WWW-Authenticate", 'Bearer error="invalid_token"'),)
                return error_reply(401, code("Unauthorized"), "The access token has expired.", challenge)
        return None

    def malformed_operation_get(self) -> bool:
        """Count one answered operation GET; whether its body should be truncated."""
        config = self._config()
        with self._lock:
            self._operation_gets += 1
            return config.malformed_json_every > 0 and self._operation_gets % config.malformed_json_every == 0

    def countdown(self, field_name: str) -> bool:
        """Whether a count-down fault (e.g. ``reset_operation_gets``) fires for this request; counts it down."""
        config = self._config()
        with self._lock:
            left = int(getattr(config, field_name))
            setattr(config, field_name, max(0, left - 1))
            return left > 0

    def take(self, field_name: str) -> Any:
        """A one-shot fault's value (``race_golive``, ``accepted_then_status``, ...), turned off at once (False or
        0), so that it fires for exactly one request."""
        config = self._config()
        with self._lock:
            value = getattr(config, field_name)
            setattr(config, field_name, type(value)())
            return value


def lost_answer(status: int, body_style: str) -> Reply:
    """The answer to a go-live POST whose operation was created but whose 202 was lost (``accepted_then_status``)."""
    if body_style == "bad-utf8":
        return Reply(status, BAD_UTF8_BODY, (("Content-Type", JSON_CONTENT_TYPE),))
    return Reply(status, GATEWAY_BODY, (("Content-Type", "text/html"),))


def stalled_body(reply: Reply, seconds: float) -> Reply:
    """``reply`` with its body held back ``seconds`` (real time) after the status line and headers
    (``stall_post_body_seconds``); a bodiless answer gets ``{}``, so that there is a body to wait for."""
    if seconds <= 0 or reply.drop:
        return reply
    if reply.body:
        return dataclasses.replace(reply, body_delay=seconds)
    headers = (*(h for h in reply.headers if h[0].lower() != "content-type"), ("Content-Type", JSON_CONTENT_TYPE))
    return dataclasses.replace(reply, body=b"{}", headers=headers, body_delay=seconds)


def _camel(code: str) -> str:
    """PI spells error codes in camelCase (``unauthorized``) where CPP uses PascalCase (``Unauthorized``)."""
    return code[:1].lower() + code[1:]
