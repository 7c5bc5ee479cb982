"""The :class:`Simulator` facade: owns the state, the fault injector, the journal and the server thread."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Dict, List, Optional, Type

from .api import CppApi
from .config import SimulatorConfig
from .control import ControlPlane
from .faults import FaultInjector
from .recording import RecordedRequest, RequestLog
from .server import SimulatorServer
from .state import World
from .timeline import Clock, Timeline


class Simulator:
    """A local CPP on loopback. Construct, :meth:`start` (or use as a context manager), point a client at :attr:`url`.

    ``clock`` is a monotonic clock in seconds; pass a fake one to move operations forward without sleeping.
    """

    def __init__(self, config: Optional[SimulatorConfig] = None, *, clock: Clock = time.monotonic) -> None:
        self._config = config if config is not None else SimulatorConfig()
        self._timeline = Timeline(clock)
        # Components read the config through this getter, so that assigning sim.config reaches all of them.
        self._world = World(self._get_config, self._timeline)
        self._log = RequestLog()
        self._faults = FaultInjector(self._get_config)
        self._api = CppApi(self._world, self._faults, self._log, self._get_config)
        self._control = ControlPlane(self._world, self._log, self._faults, self._get_config)
        self._server: Optional[SimulatorServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def config(self) -> SimulatorConfig:
        """The live configuration; its fields may be changed while the server runs."""
        return self._config

    @config.setter
    def config(self, value: SimulatorConfig) -> None:
        self._config = value

    def _get_config(self) -> SimulatorConfig:
        return self._config

    def start(self) -> Simulator:
        """Bind ``config.host``:``config.port`` (0 = ephemeral) and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        server = SimulatorServer(self._config.host, self._config.port, self._api, self._control)
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
    def port(self) -> int:
        """The bound port."""
        return int(self._running().server_address[1])

    def _running(self) -> SimulatorServer:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self._server

    # --- state, without HTTP ------------------------------------------------------------------------------------

    def add_offer(self, publisher: str, offer: str, state: str = "ready", emails: str = "") -> None:
        """Create or replace an offer: ``never-published``, ``ready`` (waiting for sign-off) or ``live``."""
        self._world.add_offer(publisher, offer, state, emails)

    def start_golive(self, publisher: str, offer: str) -> str:
        """Start a go-live as if a client had posted it (e.g. before a crash); returns the operation ID.

        Raises :class:`~pulumi_cpp_golive.simulator.state.SimulatorError` when the API would refuse it.
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

    # --- the request journal ------------------------------------------------------------------------------------

    @property
    def requests(self) -> List[RecordedRequest]:
        """Copies of every recorded request (control-plane requests excluded), oldest first."""
        return self._log.snapshot()

    def count(self, method: Optional[str] = None, suffix: Optional[str] = None) -> int:
        """Requests received (faulted ones included) matching ``method`` and a decoded path ending in ``suffix``."""
        return self._log.count(method, suffix)

    def counts(self) -> Dict[str, int]:
        """Requests per ``"METHOD /route"`` key, as ``GET /_sim/requests`` reports them."""
        return self._log.counts()

    def reset_counts(self) -> None:
        """Forget recorded requests and restart the every-Nth fault counters."""
        self._control.reset_counts()
