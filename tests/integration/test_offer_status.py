"""getOfferStatus against the simulator: each of the five states on both APIs, through the plugin's invoke and the
dynamic provider's plain function, with nothing posted."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterator

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import ConfigureRequest, InvokeRequest

from pulumi_cpp_golive import get_offer_status
from pulumi_cpp_golive.errors import ConfigurationError, OfferNotReadyError
from pulumi_cpp_golive.plugin.provider import PluginProvider
from pulumi_cpp_golive.plugin.values import to_python
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

TOKEN = "status-sim-token-31e9"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(token=TOKEN, golive_seconds=600, publish_seconds=600, pi_job_seconds=600,
                                   pi_rollout_seconds=600)) as simulator:
        yield simulator


def plugin(sim: Simulator) -> Callable[[str, str], dict[str, Any]]:
    provider = PluginProvider()
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args={key: PropertyValue(value) for key, value in {
            "baseUrl": sim.url, "accessToken": TOKEN, "productIngestionUrl": sim.pi_url,
            "productIngestionToken": TOKEN}.items()},
        accept_secrets=False, accept_resources=False)))

    def status(offer: str, api: str) -> dict[str, Any]:
        args = {"publisherId": PropertyValue("contoso"), "offerId": PropertyValue(offer), "api": PropertyValue(api)}
        response = asyncio.run(provider.invoke(InvokeRequest("cpp-golive:index:getOfferStatus", args)))
        assert not response.failures, [(f.property, f.reason) for f in response.failures or []]
        return {key: to_python(value) for key, value in (response.return_value or {}).items()}
    return status


def dynamic(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], dict[str, Any]]:
    for name, value in {"CPP_BASE_URL": sim.url, "CPP_ACCESS_TOKEN": TOKEN, "PI_BASE_URL": sim.pi_url,
                        "PI_ACCESS_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)

    def status(offer: str, api: str) -> dict[str, Any]:
        found = get_offer_status("contoso", offer, api)
        return {"state": found.state, "operationId": found.operation_id, "operationStatus": found.operation_status,
                "message": found.message}
    return status


@pytest.mark.parametrize("adapter", ["plugin", "dynamic"])
def test_the_five_states_on_cpp(adapter: str, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    status = plugin(sim) if adapter == "plugin" else dynamic(sim, monkeypatch)
    sim.add_offer("contoso", "never", state="never-published")
    sim.add_offer("contoso", "publishing", state="ready")
    sim.start_publish("contoso", "publishing")
    sim.add_offer("contoso", "ready", state="ready")
    sim.add_offer("contoso", "going", state="ready")
    operation_id = sim.start_golive("contoso", "going")
    sim.add_offer("contoso", "live", state="live")
    assert status("never", "cpp")["state"] == "never-published"
    assert status("publishing", "cpp")["state"] == "publishing"
    assert status("ready", "cpp") == {**status("ready", "cpp"), "state": "preview-ready", "operationId": ""}
    going = status("going", "cpp")
    assert (going["state"], going["operationId"], going["operationStatus"]) == ("going-live", operation_id, "running")
    live = status("live", "cpp")
    assert live["state"] == "live" and live["operationId"] and live["operationStatus"] == "succeeded"
    assert [r for r in sim.requests if r.method != "GET"] == []


@pytest.mark.parametrize("adapter", ["plugin", "dynamic"])
def test_the_five_states_on_product_ingestion(adapter: str, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    status = plugin(sim) if adapter == "plugin" else dynamic(sim, monkeypatch)
    sim.add_product("never", state="draft")
    sim.add_product("publishing", state="preview-running")
    sim.add_product("ready", state="ready")
    sim.add_product("going", state="ready")
    job_id = sim.start_pi_golive("going")
    sim.add_product("live", state="live")
    api = "product-ingestion"
    assert status("never", api)["state"] == "never-published"
    assert status("publishing", api)["state"] == "publishing"
    assert status("ready", api)["state"] == "preview-ready"
    going = status("going", api)
    assert going["state"] == "going-live" and going["operationStatus"] == "running", going
    assert job_id and status("live", api)["state"] == "live"
    assert [r for r in sim.requests if r.method != "GET"] == []


def test_an_offer_that_is_not_there_and_bad_arguments(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    status = dynamic(sim, monkeypatch)
    with pytest.raises(OfferNotReadyError):
        status("nosuch", "product-ingestion")
    with pytest.raises(ConfigurationError, match="api must be one of cpp, product-ingestion"):
        get_offer_status("contoso", "vm1", "product_ingestion")
    with pytest.raises(ConfigurationError, match="offer_id must not contain"):
        get_offer_status("contoso", "../vm1")
