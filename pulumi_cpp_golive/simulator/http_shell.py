"""The HTTP shell around the sans-I/O core: a loopback-only ThreadingHTTPServer, and the :class:`Simulator` that
owns the world, the core and the server thread."""

from __future__ import annotations

import logging
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Dict, List, Optional, Set, Type, cast
from urllib.parse import parse_qsl, urlsplit

from ..settings import is_loopback
from .core import Api, Core, RecordedRequest, Reply, Request, error_reply
from .cpp_routes import CppApi
from .faults import FaultInjector
from .options import SimulatorConfig
from .pi_routes import PREFIX as PI_PREFIX
from .pi_routes import PiApi
from .pi_world import PiWorld
from .world import Clock, Timeline, World

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


class Simulator:
    """A local CPP and Product Ingestion API on loopback. Construct, :meth:`start` (or use as a context manager), point
    a CPP client at :attr:`url` and a PI client at :attr:`pi_url`.

    ``clock`` is a monotonic clock in seconds; pass a fake one to move operations forward without sleeping.
    """

    def __init__(self, config: Optional[SimulatorConfig] = None, *, clock: Clock = time.monotonic) -> None:
        #: The live configuration; its fields may be changed while the server runs.
        self.config = config if config is not None else SimulatorConfig()
        # Components read the config through this getter, so that assigning sim.config reaches all of them too.
        current = lambda: self.config  # noqa: E731 - a one-line getter
        timeline = Timeline(clock)
        self._world = World(current, timeline)
        self._pi_world = PiWorld(current, timeline)
        faults = FaultInjector(current)
        apis: List[Api] = [CppApi(self._world, faults, current), PiApi(self._pi_world, faults, current)]
        self._core = Core(apis, current, faults.reset)
        self._server: Optional[SimulatorServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind ``config.host``:``config.port`` (0 = ephemeral) and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        server = SimulatorServer(self.config.host, self.config.port, self._core)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how quickly stop() is noticed
            name=f"cpp-simulator-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket and open connections. Safe to call twice."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT``."""
        return self._running().base_url

    @property
    def pi_url(self) -> str:
        """Base URL of the Product Ingestion API, ``http://127.0.0.1:PORT/rp/product-ingestion``."""
        return self.url + PI_PREFIX.rstrip("/")

    def _running(self) -> SimulatorServer:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self._server

    # --- state, without HTTP ------------------------------------------------------------------------------------

    def add_offer(self, publisher: str, offer: str, state: str = "ready") -> None:
        """Create or replace an offer: ``never-published``, ``ready`` (waiting for sign-off) or ``live``."""
        self._world.add_offer(publisher, offer, state)

    def start_golive(self, publisher: str, offer: str) -> str:
        """Start a go-live as if a client had posted it (e.g. before a crash); returns the operation ID.

        Raises :class:`~pulumi_cpp_golive.simulator.world.SimulatorError` when the API would refuse it.
        """
        return self._world.start_golive(publisher, offer).id

    def start_publish(self, publisher: str, offer: str) -> str:
        """Start a publish as if a client had posted it; returns the operation ID."""
        return self._world.start_publish(publisher, offer).id

    def complete_now(self, publisher: str, offer: str) -> Optional[str]:
        """Finish the offer's running operation at once; returns its ID, or None if nothing was running."""
        return self._world.complete_now(publisher, offer)

    def tracking_path(self, operation_id: str) -> str:
        """The relative tracking URL (with api-version) of a known operation."""
        return self._world.operation(operation_id).tracking_path()

    def add_product(self, external_id: str, state: str = "ready") -> str:
        """Create or replace a PI product (``draft``, ``preview-running``, ``ready``, ``live`` or
        ``preview-failed``); returns its bare GUID."""
        return self._pi_world.add_product(external_id, state)

    def publish_preview(self, external_id: str) -> str:
        """Publish the product to preview again: a new preview submission that succeeds after ``publish_seconds``;
        returns its ID (``submission/<guid>/<n>``)."""
        return self._pi_world.publish_preview(external_id).id

    def start_pi_golive(self, external_id: str) -> str:
        """Start a PI go-live of the current preview as if a client had posted it; returns the job ID.

        Raises :class:`~pulumi_cpp_golive.simulator.world.SimulatorError` when the API would refuse it.
        """
        return self._pi_world.go_live(self._pi_world.by_external_id(external_id).guid).id

    # --- the request journal ------------------------------------------------------------------------------------

    @property
    def requests(self) -> List[RecordedRequest]:
        """Copies of every recorded request (control-plane requests excluded), oldest first."""
        return self._core.log.snapshot()

    def count(self, method: Optional[str] = None, suffix: Optional[str] = None) -> int:
        """Requests received (faulted ones included) matching ``method`` and a decoded path ending in ``suffix``."""
        return self._core.log.count(method, suffix)

    def counts(self) -> Dict[str, int]:
        """Requests per ``"METHOD /route"`` key, as ``GET /_sim/requests`` reports them."""
        return self._core.log.counts()

    def reset_counts(self) -> None:
        """Forget recorded requests and restart the every-Nth fault counters."""
        self._core.reset_counts()
