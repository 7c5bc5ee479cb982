"""Fixtures for integration tests: a real simulator on loopback and the dynamic provider configured for it."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

SIM_TOKEN = "integration-token-3b7e0d"  # a fake token whose leaks the tests look for


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class _Config:
    """Stands in for pulumi.dynamic.Config: the namespaced stack config the engine passes to ``configure``."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def get(self, key: str) -> Any:
        return self._values.get(key)


class _ConfigureRequest:
    def __init__(self, values: dict[str, Any]) -> None:
        self.config = _Config(values)


def configured_provider(config: dict[str, Any]) -> OfferGoLiveProvider:
    """The dynamic provider after ``configure`` with ``config`` (namespaced keys, as the engine passes them)."""
    provider = OfferGoLiveProvider()
    provider.configure(_ConfigureRequest(config))  # type: ignore[arg-type]
    return provider


def make_provider(url: str, token: str = SIM_TOKEN, poll_interval: float = 0.25,
                  request_timeout: float = 30.0) -> OfferGoLiveProvider:
    return configured_provider({
        "cpp-golive:baseUrl": url,
        "cpp-golive:accessToken": token,
        "cpp-golive:pollInterval": str(poll_interval),
        "cpp-golive:requestTimeout": str(request_timeout),
    })


def golive_inputs(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {"publisher_id": "contoso", "offer_id": "vm1", "wait": "completed"}
    inputs.update(overrides)
    return inputs


def accepted_posts(sim: Simulator) -> int:
    """Go-live POSTs the simulator accepted (answered 202)."""
    return sum(1 for r in sim.requests if r.method == "POST" and r.path.endswith("/golive") and r.status == 202)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(token=SIM_TOKEN, golive_seconds=0.6, publish_seconds=0.2)) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        yield simulator


@pytest.fixture
def provider(sim: Simulator) -> OfferGoLiveProvider:
    return make_provider(sim.url)
