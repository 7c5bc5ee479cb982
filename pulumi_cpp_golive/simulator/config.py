"""The simulator's knobs: timings, response shapes and injectable faults.

A :class:`SimulatorConfig` is live: the server reads its attributes on every request, so a test may change them at
run time (``sim.config.fail_golive = True``) or over the control plane (``POST /_sim/config``). Single attribute
reads and writes are atomic in CPython, which is all the server relies on; the one-shot faults are cleared under the
fault injector's lock.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Mapping, Optional, Set, Tuple

from .vocabulary import STATUS_CASES

HEADER_VARIANTS = ("location", "operation-location", "both")
ID_STYLES = ("guid", "dollar")
CONFLICT_STATUSES = (400, 409)
# 202 carries the tracking header(s); the other 2xx answers carry none (the client must find the operation itself).
GOLIVE_ANSWER_STATUSES = (200, 201, 202, 204)
# What a go-live POST is answered with after its operation was created (``accepted_then_status``): a gateway that
# lost CPP's 202, or a server error.
ACCEPTED_THEN_STATUSES = (0, 500, 502, 503, 504)
# The body of that answer: a gateway's HTML page, or bytes that claim to be UTF-8 JSON and are not.
ERROR_BODIES = ("gateway", "bad-utf8")

# How each field is coerced from JSON (control plane). host/port are absent on purpose: they only matter at start.
_FIELD_KINDS: Dict[str, str] = {
    "token": "str",
    "tokens": "tokens",
    "golive_seconds": "float",
    "publish_seconds": "float",
    "header_variant": "str",
    "id_style": "str",
    "status_case": "str",
    "conflict_status": "int",
    "throttle_every": "int",
    "throttle_burst": "int",
    "retry_after": "int",
    "error500_every": "int",
    "slow_seconds": "float",
    "fail_golive": "bool",
    "golive_reset": "bool",
    "omit_tracking_header": "bool",
    "foreign_host": "bool",
    "unknown_status_first": "bool",
    "operation_404": "bool",
    "poll_retry_after": "optional-int",
    "malformed_json_every": "int",
    "unauthorized_once_after": "int",
    "reset_operation_gets": "int",
    "stall_operation_gets": "int",
    "stall_seconds": "float",
    "golive_answer_status": "int",
    "accepted_then_status": "int",
    "error_body": "str",
    "race_golive": "bool",
    "location_override": "str",
    "list_lag_seconds": "float",
    "list_page_size": "int",
}
_SECRET_FIELDS = ("token", "tokens")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names a loopback address (the simulator refuses to listen anywhere else)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class SimulatorConfig:
    """Everything that shapes the simulator's answers. See the package docstring for the meaning of each fault."""

    # Accepted bearer tokens: ``token`` plus every member of ``tokens`` (empty strings never match).
    token: str = "sim-token"  # noqa: S105 - the well-known token of a local fake, not a secret
    tokens: Set[str] = field(default_factory=set)
    host: str = "127.0.0.1"
    port: int = 0
    # Timings (seconds of the injected clock).
    golive_seconds: float = 2.0
    publish_seconds: float = 1.0
    # Response shapes.
    header_variant: str = "both"
    id_style: str = "guid"
    status_case: str = "camel"
    conflict_status: int = 400
    # Faults counted over /api/ requests.
    throttle_every: int = 0
    throttle_burst: int = 1
    retry_after: int = 1
    error500_every: int = 0
    slow_seconds: float = 0.0
    # Go-live faults.
    fail_golive: bool = False
    golive_reset: bool = False
    omit_tracking_header: bool = False
    foreign_host: bool = False
    # Polling faults.
    unknown_status_first: bool = False
    operation_404: bool = False
    poll_retry_after: Optional[int] = None
    malformed_json_every: int = 0
    unauthorized_once_after: int = 0
    # Count-down faults on operation GETs: drop the connection without answering, or stall before answering
    # (long enough to make the client's read timeout fire).
    reset_operation_gets: int = 0
    stall_operation_gets: int = 0
    stall_seconds: float = 0.0
    # Adopt-or-post faults. How an accepted go-live POST is answered (see GOLIVE_ANSWER_STATUSES).
    golive_answer_status: int = 202
    # One-shot: the next go-live POST creates its operation, then is answered with this status and ``error_body``.
    accepted_then_status: int = 0
    error_body: str = "gateway"
    # One-shot: another client's go-live lands just before the next go-live POST, which then conflicts.
    race_golive: bool = False
    # Sent as ``Location`` instead of the real tracking path (``Operation-Location`` stays right); "" = off.
    location_override: str = ""
    # The operations list leaves out operations younger than this (seconds of the injected clock).
    list_lag_seconds: float = 0.0
    # 0: the list is a plain JSON array. N > 0: pages of N as ``{"value": [...], "nextLink": ...}``.
    list_page_size: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` if a field holds a value the simulator cannot act on."""
        if not is_loopback_host(self.host):
            raise ValueError(f"host {self.host!r} is not a loopback address; the simulator only listens on loopback")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range")
        _require_choice("header_variant", self.header_variant, HEADER_VARIANTS)
        _require_choice("id_style", self.id_style, ID_STYLES)
        _require_choice("status_case", self.status_case, STATUS_CASES)
        _require_choice("conflict_status", self.conflict_status, CONFLICT_STATUSES)
        _require_choice("golive_answer_status", self.golive_answer_status, GOLIVE_ANSWER_STATUSES)
        _require_choice("accepted_then_status", self.accepted_then_status, ACCEPTED_THEN_STATUSES)
        _require_choice("error_body", self.error_body, ERROR_BODIES)
        for name in (
            "golive_seconds",
            "publish_seconds",
            "slow_seconds",
            "retry_after",
            "throttle_every",
            "error500_every",
            "malformed_json_every",
            "unauthorized_once_after",
            "reset_operation_gets",
            "stall_operation_gets",
            "stall_seconds",
            "list_lag_seconds",
            "list_page_size",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.throttle_burst < 1:
            raise ValueError("throttle_burst must be at least 1")
        if self.poll_retry_after is not None and self.poll_retry_after < 0:
            raise ValueError("poll_retry_after must not be negative")

    def accepted_tokens(self) -> FrozenSet[str]:
        """The bearer tokens accepted right now."""
        return frozenset(t for t in {self.token, *self.tokens} if t)

    def public_dict(self) -> Dict[str, Any]:
        """The fields as JSON-ready values, without the tokens (the control plane echoes this)."""
        values = dataclasses.asdict(self)
        for name in _SECRET_FIELDS:
            values.pop(name, None)
        return values


def apply_changes(config: SimulatorConfig, changes: Mapping[str, Any]) -> None:
    """Validate ``changes`` (JSON field values) as a whole, then set them on the live ``config``.

    Raises ``ValueError`` naming the first bad field; nothing is changed then.
    """
    coerced: Dict[str, Any] = {}
    for name, value in changes.items():
        kind = _FIELD_KINDS.get(name)
        if kind is None:
            raise ValueError(f"unknown or read-only config field {name!r}")
        coerced[name] = _coerce(name, kind, value)
    # Validating a copy first keeps the live config untouched when one value is bad.
    dataclasses.replace(config, **coerced)
    for name, value in coerced.items():
        setattr(config, name, value)


def _coerce(name: str, kind: str, value: Any) -> Any:
    # bool is an int subclass in Python; JSON true must not pass for a count, nor 1 for a flag.
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "optional-int" and (value is None or (isinstance(value, int) and not isinstance(value, bool))):
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "tokens" and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return set(value)
    # Never echo a token back, even a malformed one.
    shown = "a value of another type" if name in _SECRET_FIELDS else repr(value)
    raise ValueError(f"config field {name!r} expects {kind}, got {shown}")


def _require_choice(name: str, value: object, choices: Tuple[object, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
