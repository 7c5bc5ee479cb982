"""The loopback-only HTTP server that carries requests into the sans-I/O core and its replies out: one
ThreadingHTTPServer, one daemon thread per connection."""

from __future__ import annotations

import logging
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Set, cast
from urllib.parse import parse_qsl, urlsplit

from ..settings import is_loopback
from .core import Core, Reply, Request, error_reply

_LOG = logging.getLogger("pulumi_cpp_golive.simulator")

# Bodies here are tiny JSON documents; anything larger is a client bug, not something to buffer.
MAX_BODY_BYTES = 1 << 20


class SimulatorServer(ThreadingHTTPServer):
    """Serves the simulator on a loopback address; one daemon thread per connection."""

    daemon_threads = True
    # The stock listen backlog of 5 makes concurrent benchmark clients wait out SYN retries.
    request_queue_size = 128

    def __init__(self, host: str, port: int, core: Core) -> None:
        if not is_loopback(host):
            raise ValueError(f"refusing to listen on non-loopback host {host!r}")
        bind_host = "127.0.0.1" if host == "localhost" else host
        # Set before the base constructor creates the socket.
        self.address_family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
        self.core = core
        # Set by Simulator.stop(): ends a stalled body's wait (stall_post_body_seconds) at once.
        self.stopping = threading.Event()
        self._connections: Set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((bind_host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a reverse DNS lookup that can stall in sandboxes.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 hosts in brackets)."""
        host = str(self.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_address[1]}"

    # Track open connections so that stop() can unblock threads waiting on idle keep-alive sockets.
    def process_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, reset) is routine in fault tests; the stock handler prints a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, socket.timeout)):
            _LOG.debug("client %s went away: %r", client_address, error)
            return
        _LOG.exception("error while serving %s", client_address)

    def close_connections(self) -> None:
        """Shut every open connection down (their threads then finish on their own)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its thread


class _Handler(BaseHTTPRequestHandler):
    """Parses one request, delegates it, writes the :class:`Reply` (or drops the connection)."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real service; every reply carries Content-Length
    server_version = "CPPSimulator/1.0"
    timeout = 60  # seconds an idle keep-alive connection may hold its thread
    # Headers and body leave in two writes; with Nagle on, the client's delayed ACK adds ~40 ms to every request.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # name fixed by BaseHTTPRequestHandler
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def version_string(self) -> str:
        # The stock value appends the Python version; the fake has no reason to advertise it.
        return self.server_version

    def _serve(self) -> None:
        server = cast(SimulatorServer, self.server)
        if not is_loopback(str(self.client_address[0])):
            # Unreachable while bound to loopback; kept so that a misconfiguration can never expose the fake.
            self._write(error_reply(403, "Forbidden", "The simulator only serves loopback clients."))
            return
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError as error:
            self.close_connection = True
            self._write(error_reply(400, "InvalidRequestBody", str(error)))
            return
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            authorization=self.headers.get("Authorization"),
            body=body,
            base_url=server.base_url,
        )
        reply = server.core.handle(request)
        # Method, path and status only: never headers (the Authorization header holds the token).
        _LOG.info("%s %s %s", self.command, request.path, "dropped" if reply.drop else reply.status)
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # Every client here sends Content-Length; a chunked body is refused rather than misread.
            raise ValueError("chunked request bodies are not supported; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ValueError("Content-Length is not a number") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise ValueError("Content-Length is out of range")
        return self.rfile.read(length)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()  # writes the status line and headers to the socket (the handler's wfile is unbuffered)
        if reply.body_delay > 0 and cast(SimulatorServer, self.server).stopping.wait(reply.body_delay):
            self.close_connection = True  # stopped during the stall: the body is never sent
            return
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # signature fixed by the base class
        # The stock handler writes every line to stderr; _serve logs its own line, so keep these at debug.
        _LOG.debug(format, *args)
