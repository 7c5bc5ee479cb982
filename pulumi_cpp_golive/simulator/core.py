"""The sans-I/O core: a parsed request goes in, a :class:`Reply` comes out; no sockets, no threads of its own.

:class:`Core` records every request, answers the control plane (``/_sim/``) itself and hands everything else to the
API that owns the path. An API (``cpp_routes.CppApi`` today; a second one registers beside it) is a path prefix, a
table of :class:`Route` patterns and an ``answer`` method; ``http_shell`` carries requests in and replies out.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple
from urllib.parse import unquote

from .options import SimulatorConfig
from .world import SimulatorError

Headers = Tuple[Tuple[str, str], ...]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
CONTROL_PREFIX = "/_sim/"


@dataclass(frozen=True)
class Request:
    """A parsed request. ``path`` is the raw (still percent-encoded) path without the query."""

    method: str
    path: str
    query: Dict[str, str]
    authorization: Optional[str]
    body: bytes
    # Where this simulator is reachable, for absolute tracking URLs (``http://127.0.0.1:PORT``).
    base_url: str


@dataclass(frozen=True)
class Reply:
    """An HTTP answer; ``drop`` means: close the connection without answering at all. ``body_delay``: real seconds
    between sending the status line and headers and sending the body (a stalled body)."""

    status: int
    body: bytes = b""
    headers: Headers = ()
    drop: bool = False
    body_delay: float = 0.0


DROPPED = Reply(0, drop=True)


def json_reply(status: int, payload: Any, headers: Headers = ()) -> Reply:
    """A JSON answer."""
    return Reply(status, json.dumps(payload).encode("utf-8"), (("Content-Type", JSON_CONTENT_TYPE), *headers))


def error_reply(status: int, code: str, message: str, headers: Headers = ()) -> Reply:
    """CPP's documented error shape: ``{"error": {"code": ..., "message": ...}}`` (docs/cpp-api.md §7)."""
    return json_reply(status, {"error": {"code": code, "message": message}}, headers)


# --- routes ---------------------------------------------------------------------------------------------------------

Params = Dict[str, str]
Handler = Callable[[Request, Params], Reply]


@dataclass(frozen=True)
class Route:
    """``pattern`` is relative to the API's prefix; ``{name}`` matches one non-empty, percent-decoded segment.
    ``name`` is also the counting key (``"POST /golive"``), unless ``namer`` tells it from the request (one route,
    two kinds of request: ``"POST /configure preview"``)."""

    method: str
    pattern: str
    name: str
    handler: Handler
    namer: Optional[Callable[[Request], str]] = None

    def name_for(self, request: Request) -> str:
        """The route part of ``request``'s counting key."""
        return self.name if self.namer is None else self.namer(request)

    def params(self, segments: Sequence[str]) -> Optional[Params]:
        """The ``{name}`` values if ``segments`` fit the pattern, else None."""
        wanted = self.pattern.split("/")
        if len(wanted) != len(segments):
            return None
        found: Params = {}
        for expected, actual in zip(wanted, segments):
            if expected.startswith("{"):
                if not actual:
                    return None
                found[expected.strip("{}")] = actual
            elif expected != actual:
                return None
        return found


@dataclass(frozen=True)
class Match:
    """The routes a path fits: ``route`` answers the request's method, or is None (then ``allowed`` says which)."""

    name: str
    route: Optional[Route]
    params: Params
    allowed: Tuple[str, ...]


def match(routes: Sequence[Route], prefix: str, method: str, path: str) -> Optional[Match]:
    """Find the route for a raw path under ``prefix`` (e.g. ``/api/``), or None if no pattern fits it."""
    # Decode each segment on its own, so that %24 becomes $ but %2F cannot add a level.
    segments = [unquote(segment) for segment in path[len(prefix) :].split("/")]
    # One trailing slash is allowed everywhere; the docs spell the list route as ``submissions/``.
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()
    fits = [(route, params) for route in routes if (params := route.params(segments)) is not None]
    if not fits:
        return None
    for route, params in fits:
        if route.method == method:
            return Match(route.name, route, params, ())
    return Match(fits[0][0].name, None, {}, tuple(route.method for route, _ in fits))


def dispatch(request: Request, found: Optional[Match], not_found: str, not_allowed: str) -> Reply:
    """The end of every API's answer: 404 (error code ``not_found``) when no route fits the path, 405 with
    ``Allow`` (code ``not_allowed``) when none takes the method, else the route's handler. The codes are the API's
    own spelling (CPP: ``NotFound``; Product Ingestion: ``notFound``)."""
    if found is None:
        return error_reply(404, not_found, f"No route matches {request.method} {request.path}.")
    if found.route is None:
        message = f"{request.method} is not allowed on {request.path}."
        return error_reply(405, not_allowed, message, (("Allow", ", ".join(found.allowed)),))
    return found.route.handler(request, found.params)


class Api(Protocol):
    """One simulated REST API: the requests under ``prefix`` and the route table they are matched against."""

    prefix: str
    routes: Sequence[Route]

    def answer(self, request: Request, found: Optional[Match], token_ok: bool) -> Reply:
        """Answer a request under ``prefix``: its own checks and faults first, then ``found.route``'s handler."""
        ...


# --- the request journal --------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request as received. ``status`` is None until answered, and stays None if the connection was dropped."""

    method: str
    path: str
    query: Dict[str, str] = field(default_factory=dict)
    route: str = "unknown"
    authorization_ok: bool = False
    status: Optional[int] = None

    @property
    def key(self) -> str:
        """The counting key, e.g. ``"POST /golive"``."""
        return f"{self.method} /{self.route}"


class RequestLog:
    """Thread-safe list of :class:`RecordedRequest`, in arrival order (never a token)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: List[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> RecordedRequest:
        """Append a request on arrival (so it counts even if answering fails or is slow)."""
        with self._lock:
            self._items.append(request)
        return request

    def answered(self, request: RecordedRequest, status: Optional[int]) -> None:
        """Note the status a recorded request was answered with."""
        with self._lock:
            request.status = status

    def snapshot(self) -> List[RecordedRequest]:
        """Copies of the records, safe to read while the server keeps appending."""
        with self._lock:
            return [dataclasses.replace(item, query=dict(item.query)) for item in self._items]

    def count(self, method: Optional[str] = None, suffix: Optional[str] = None) -> int:
        """How many requests match ``method`` (case-insensitive) and whose decoded path ends with ``suffix``."""
        return sum(
            1
            for item in self.snapshot()
            if (method is None or item.method == method.upper()) and (suffix is None or item.path.endswith(suffix))
        )

    def counts(self) -> Dict[str, int]:
        """Requests per counting key (``"POST /golive"``, ``"GET /operations"``, ...)."""
        totals: Dict[str, int] = {}
        for item in self.snapshot():
            totals[item.key] = totals.get(item.key, 0) + 1
        return totals

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._items.clear()


# --- the dispatcher -------------------------------------------------------------------------------------------------


class Core:
    """Records and answers requests: the control plane here, the rest by the API that owns the path.

    Control-plane requests (``GET /_sim/requests``, ``POST /_sim/reset-counts``, and the ``control`` routes the
    APIs add under ``/_sim/``; no auth, the shell only serves loopback) are neither recorded nor counted for faults,
    so driving the simulator never disturbs a measurement.
    """

    def __init__(
        self,
        apis: Sequence[Api],
        config: Callable[[], SimulatorConfig],
        reset: Callable[[], None],
        control: Sequence[Route] = (),
    ) -> None:
        self.apis = list(apis)
        self.log = RequestLog()
        self._config = config
        self._reset_faults = reset
        self._control_routes = list(control)

    def handle(self, request: Request) -> Reply:
        """Answer one request."""
        if request.path == CONTROL_PREFIX.rstrip("/") or request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        api = next((api for api in self.apis if request.path.startswith(api.prefix)), None)
        found = match(api.routes, api.prefix, request.method, request.path) if api is not None else None
        token_ok = self._token_ok(request.authorization)
        route = "unknown" if found is None else found.name if found.route is None else found.route.name_for(request)
        record = self.log.record(
            RecordedRequest(
                method=request.method,
                path=unquote(request.path),
                query=dict(request.query),
                route=route,
                authorization_ok=token_ok,
            )
        )
        try:
            if api is None:
                reply = error_reply(404, "NotFound", f"No resource at {request.path}.")
            else:
                reply = api.answer(request, found, token_ok)
        except SimulatorError as refusal:
            reply = error_reply(refusal.status, refusal.code, refusal.message)
        self.log.answered(record, None if reply.drop else reply.status)
        return reply

    def reset_counts(self) -> None:
        """Forget recorded requests and restart the every-Nth fault counters."""
        self.log.clear()
        self._reset_faults()

    def _control(self, request: Request) -> Reply:
        name = (request.method, request.path[len(CONTROL_PREFIX) :].strip("/"))
        if name == ("GET", "requests"):
            records = [dataclasses.asdict(item) for item in self.log.snapshot()]
            return json_reply(200, {"counts": self.log.counts(), "requests": records})
        if name == ("POST", "reset-counts"):
            self.reset_counts()
            return json_reply(200, {"reset": True})
        found = match(self._control_routes, CONTROL_PREFIX, request.method, request.path)
        if found is None or found.route is None:
            return error_reply(404, "NotFound", f"No control route {request.method} {request.path}.")
        try:
            return found.route.handler(request, found.params)
        except SimulatorError as refusal:
            return error_reply(refusal.status, refusal.code, refusal.message)

    def _token_ok(self, authorization: Optional[str]) -> bool:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        given = token.strip().encode("utf-8")
        # Constant-time comparison: cheap, and keeps the fake from teaching bad habits.
        return any(hmac.compare_digest(given, t.encode("utf-8")) for t in self._config().accepted_tokens())
