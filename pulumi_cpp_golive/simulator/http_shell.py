"""The :class:`Simulator`: owns the worlds, the sans-I/O core and the thread of the HTTP server
(:mod:`.http_server`) around it, and offers the worlds' set-up and the request journal without HTTP."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Dict, List, Optional, Type

from .core import Api, Core, RecordedRequest
from .cpp_routes import CppApi
from .faults import FaultInjector
from .http_server import SimulatorServer
from .options import SimulatorConfig
from .pi_routes import PREFIX as PI_PREFIX
from .pi_routes import PiApi
from .pi_world import PiWorld
from .timeline import Clock, Timeline
from .world import World


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
        pi = PiApi(self._pi_world, faults, current)
        cpp = CppApi(self._world, faults, current)
        apis: List[Api] = [cpp, pi]
        self._core = Core(apis, current, faults.reset, control=(*cpp.control_routes, *pi.control_routes))
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

    def add_offer(self, publisher: str, offer: str, state: str = "ready", edited: bool = False) -> None:
        """Create or replace an offer: ``never-published``, ``ready`` (waiting for sign-off) or ``live``.
        ``edited``: the offer has a new version since its last publish, so a publish to preview has work to do
        (without it a ready offer's preview already is what a publish would make)."""
        self._world.add_offer(publisher, offer, state, edited)

    def start_golive(self, publisher: str, offer: str) -> str:
        """Start a go-live as if a client had posted it (e.g. before a crash); returns the operation ID.

        Raises :class:`~pulumi_cpp_golive.simulator.world.SimulatorError` when the API would refuse it.
        """
        return self._world.start_golive(publisher, offer).id

    def start_publish(self, publisher: str, offer: str, emails: str = "") -> str:
        """Start a publish as if a client had posted it (``emails``: its comma-joined notification emails); returns
        the operation ID.

        Raises :class:`~pulumi_cpp_golive.simulator.world.SimulatorError` when the API would refuse it.
        """
        return self._world.start_publish(publisher, offer, emails).id

    def edit_offer(self, publisher: str, offer: str) -> int:
        """Change the offer's definition, so that a publish has a new version to take to preview; returns the
        offer's new version (its ``changedTime`` is now)."""
        return self._world.edit_offer(publisher, offer)

    def complete_now(self, publisher: str, offer: str) -> Optional[str]:
        """Finish the offer's running operation at once; returns its ID, or None if nothing was running."""
        return self._world.complete_now(publisher, offer)

    def tracking_path(self, operation_id: str) -> str:
        """The relative tracking URL (with api-version) of a known operation."""
        return self._world.operation(operation_id).tracking_path()

    def add_product(self, external_id: str, state: str = "ready", draft_changed: Optional[bool] = None) -> str:
        """Create or replace a PI product (``draft``, ``preview-running``, ``ready``, ``live`` or
        ``preview-failed``); returns its bare GUID. ``draft_changed``: whether its draft has changes a publish to
        preview would publish (default: only for ``draft``)."""
        return self._pi_world.add_product(external_id, state, draft_changed)

    def edit_draft(self, external_id: str) -> None:
        """Change the product's draft, so that the next publish to preview has something to publish."""
        self._pi_world.edit_draft(external_id)

    def publish_preview(self, external_id: str) -> str:
        """Someone else publishes the product to preview (no job): a new preview submission that succeeds after
        ``publish_seconds``, and a draft without changes; returns its ID (``submission/<guid>/<n>``)."""
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
