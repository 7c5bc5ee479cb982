"""What every benchmark section shares: the figure record, the simulator on loopback, the project root."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.e2e.conftest (the engine Stack helper) lives in the checkout, not the venv

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig  # noqa: E402
from tests.e2e.conftest import E2E_TOKEN  # noqa: E402

SMOKE = "quick run: target not judged"  # the note on a timing figure that --quick measures but does not judge
TOKEN = E2E_TOKEN  # the token tests.e2e.conftest.Stack configures; one token for every simulator here
PUBLISHER = "contoso"


@dataclass
class Figure:
    """One row of the table: what was measured, against which target, and whether it met it."""

    name: str
    measured: str
    target: str
    ok: Optional[bool]  # None: reported only (a baseline, or a figure without a target)
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)  # the raw numbers behind ``measured``

    @property
    def verdict(self) -> str:
        return "-" if self.ok is None else ("pass" if self.ok else "MISS")

    def as_json(self) -> dict[str, Any]:
        return {"figure": self.name, "measured": self.measured, "target": self.target, "pass": self.ok,
                "note": self.note, "values": self.values}


def start_sim(offers: Iterable[str] = ("vm1",), clock: Callable[[], float] = time.monotonic,
              **config: Any) -> Simulator:
    """A started loopback simulator holding ``offers`` (ready for go-live) under publisher ``contoso``."""
    sim = Simulator(SimulatorConfig(token=TOKEN, **config), clock=clock).start()
    for offer in offers:
        sim.add_offer(PUBLISHER, offer, state="ready")
    return sim


def failed(section: str, exc: BaseException) -> Figure:
    """A section that could not run: one MISS row naming the error, instead of a crashed benchmark."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return Figure(f"{section}: could not run", "error", "runs", False, f"{type(exc).__name__}: {first[:200]}")
