"""A hostile HTTP server on loopback: every answer is scripted by the test, down to the bytes on the wire.

The simulator answers like the API; this server answers like whatever a test needs: a status line and headers
followed by a body that stalls, never ends or is a gzip bomb, a ``103`` before the ``202``, a header the standard
library would never write. Written on raw sockets (not ``http.server``) because the point is to send what a
well-behaved server library refuses to.

A route is a function ``(request, wire) -> Optional[Reply]``: return a :class:`Reply`, or write to ``wire``
yourself (raw bytes, stalls) and return None. Every request is journaled with what it carried (the
``Authorization`` header included), so a test can count POSTs and see where the token went.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

_REASONS = {100: "Continue", 103: "Early Hints", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
            301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
_READ_LIMIT = 1 << 20  # a request line, headers and body larger than this are not ours to read


@dataclasses.dataclass(frozen=True)
class Request:
    """One request as it arrived."""

    method: str
    target: str  # as sent, query included
    path: str  # decoded path
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    port: int  # the server port it arrived at

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclasses.dataclass
class Reply:
    """A whole answer: status, headers (in order, any bytes the test likes) and body."""

    status: int
    body: bytes | str | Any = b""
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    reason: Optional[str] = None

    def encode(self) -> bytes:
        body = self.body
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            if not any(name.lower() == "content-type" for name, _ in self.headers):
                self.headers.append(("Content-Type", "application/json; charset=utf-8"))
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = list(self.headers)
        if not any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers):
            headers.append(("Content-Length", str(len(data))))
        return head(self.status, headers, self.reason) + data


def head(status: int, headers: list[tuple[str, str]], reason: Optional[str] = None) -> bytes:
    """A status line and headers, as bytes (latin-1: a test may put any byte in a header)."""
    lines = [f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


Route = Callable[[Request, "Wire"], Optional[Reply]]


class Wire:
    """The connection a route may write to directly. Writes to a peer that went away are ignored."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self._stopping = stopping
        self.close_after = False  # set by a route that wants the connection closed after its answer
        self.sent = 0  # bytes written so far

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            self.sent += len(data)
            return True
        except OSError:
            return False

    def chunked_forever(self, chunk: bytes, *, rate: float, until: float) -> int:
        """Send an endless chunked body (``chunk`` again and again, at most ``rate`` bytes a second) until the
        peer goes away or ``until`` seconds passed; never the last chunk. Returns the bytes sent."""
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        started = time.monotonic()
        give_up = started + until
        while time.monotonic() < give_up and not self._stopping.is_set():
            if not self.send(frame):
                break
            ahead = self.sent / rate - (time.monotonic() - started)  # pacing, so a slow client is not flooded
            if ahead > 0:
                self._stopping.wait(ahead)
        self.close_after = True
        return self.sent

    def stall(self, seconds: float) -> None:
        """Hold the answer for ``seconds`` (ends early when the server stops)."""
        self._stopping.wait(seconds)

    def drip(self, data: bytes, every: float, until: float) -> None:
        """Send ``data`` again every ``every`` seconds for ``until`` seconds or until the peer goes away."""
        give_up = time.monotonic() + until
        while time.monotonic() < give_up and not self._stopping.is_set():
            if not self.send(data):
                return
            self._stopping.wait(every)

    def reset(self) -> None:
        """Drop the connection with a TCP reset."""
        with _quiet():
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close_after = True


class HostileServer:
    """A scripted HTTP/1.1 server on 127.0.0.1 (keep-alive, one thread per connection).

    :param routes: ``{(method, path): route}``; a path ending in ``*`` matches any path with that prefix. A
        request no route takes is answered 404.
    """

    def __init__(self, routes: Optional[dict[tuple[str, str], Route]] = None) -> None:
        self.routes: dict[tuple[str, str], Route] = dict(routes or {})
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._connections: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name=f"hostile-{self.port}", daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        with _quiet():
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the server thread
        with _quiet():
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            with _quiet():
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def route(self, method: str, path: str) -> Callable[[Route], Route]:
        """Decorator form of ``routes[(method, path)] = route``."""
        def register(route: Route) -> Route:
            self.routes[(method, path)] = route
            return route
        return register

    def count(self, method: str, path_part: str = "") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.method == method and path_part in r.path)

    def seen(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    # ---- serving -----------------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.add(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        reader = _Reader(sock)
        try:
            while not self._stopping.is_set():
                request = reader.request(self.port)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                wire = Wire(sock, self._stopping)
                reply = self._find(request)(request, wire)
                if reply is not None and not wire.send(reply.encode()):
                    return
                if wire.close_after:
                    return
        finally:
            with self._lock:
                self._connections.discard(sock)
            with _quiet():
                sock.close()

    def _find(self, request: Request) -> Route:
        found = self.routes.get((request.method, request.path))
        if found is not None:
            return found
        for (method, path), route in self.routes.items():
            if method == request.method and path.endswith("*") and request.path.startswith(path[:-1]):
                return route
        return lambda _request, _wire: Reply(404, {"error": {"code": "notFound", "message": "no such route"}})


class _Reader:
    """Reads requests off one connection (Content-Length bodies only: that is all our clients send)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def request(self, port: int) -> Optional[Request]:
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                return None
        raw_head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        while len(self._buffer) < length:
            if not self._fill():
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        parts = urlsplit(target)
        return Request(method, target, unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True)),
                       headers, body, port)

    def _fill(self) -> bool:
        try:
            data = self._sock.recv(65536)
        except OSError:
            return False
        if not data or len(self._buffer) > _READ_LIMIT:
            return False
        self._buffer += data
        return True


class _quiet:
    """Ignore OSError (a peer that went away) in a ``with`` block."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Optional[type[BaseException]], *_rest: object) -> bool:
        return kind is not None and issubclass(kind, OSError)


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """A gzip stream that expands to ``size`` zero bytes (64 MiB take 64 KiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    return b"".join([*parts, compressor.flush()])


def nested_json(depth: int) -> bytes:
    """``[[[...]]]`` nested ``depth`` levels: valid JSON that a recursive parser cannot read."""
    return b"[" * depth + b"]" * depth


def json_reply(status: int, body: Any, *headers: tuple[str, str]) -> Reply:
    return Reply(status, body, list(headers))


def serving(routes: dict[tuple[str, str], Route]) -> Iterator[HostileServer]:
    """A fixture body: a started server on ``routes``, stopped afterwards."""
    with HostileServer(routes) as server:
        yield server
