"""The plugin's provider methods against the simulator (no engine): names, partial state, cancel, concurrency."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DiffRequest,
    PropertyDiffKind,
    ReadRequest,
)

from pulumi_cpp_golive.errors import OfferGoLiveError
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.simulator import Simulator

from .conftest import SIM_TOKEN

URN = "urn:pulumi:dev::p::cpp-golive:index:OfferGoLive::golive"


def props(**values: Any) -> dict[str, PropertyValue]:
    return {key: from_python(value) for key, value in values.items()}


def plain(values: dict[str, PropertyValue]) -> dict[str, Any]:
    return {key: to_python(value) for key, value in values.items()}


def configured(sim: Simulator, lines: list[str] | None = None) -> PluginProvider:
    provider = PluginProvider(log=lambda urn, text: (lines if lines is not None else []).append(f"{urn} {text}"))
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args=props(baseUrl=sim.url, accessToken=SIM_TOKEN, pollInterval="0.25"),
        accept_secrets=False, accept_resources=False)))
    return provider


def create(provider: PluginProvider, offer: str = "vm1", timeout: float = 0.0, **extra: Any) -> Any:
    values = {"publisherId": "contoso", "offerId": offer, "wait": "completed", **extra}
    request = CreateRequest(URN, props(**values), timeout, False)
    return asyncio.run(provider.create(request))


def test_check_names_failures_in_camel_case(sim: Simulator) -> None:
    response = asyncio.run(configured(sim).check(CheckRequest(URN, {}, props(publisherId="contoso", offerId="",
                                                                                pollIntervalSeconds=-1.0), b"")))
    failures = {f.property: f.reason for f in response.failures or []}
    assert failures == {"offerId": "offerId must not be empty",
                        "pollIntervalSeconds": "pollIntervalSeconds must be a positive number of seconds, got -1.0"}
    assert sim.requests == []


def test_check_fills_the_default_wait(sim: Simulator) -> None:
    request = CheckRequest(URN, {}, props(publisherId="contoso", offerId="vm1"), b"")
    response = asyncio.run(configured(sim).check(request))
    assert plain(response.inputs or {})["wait"] == "completed"


def test_create_returns_camel_case_outputs_and_logs_to_the_resource(sim: Simulator) -> None:
    lines: list[str] = []
    response = create(configured(sim, lines))
    outputs = plain(response.properties)
    assert outputs["status"] == "succeeded" and outputs["offerId"] == "vm1"
    assert response.resource_id == f"contoso/vm1/{outputs['operationId']}"
    assert any(line.startswith(URN) and "go-live accepted" in line for line in lines)
    assert sim.count("POST", "/golive") == 1


def test_failed_operation_is_partial_state(sim: Simulator) -> None:
    sim.config.fail_golive = True
    with pytest.raises(ResourceInitError) as caught:
        create(configured(sim))
    outputs = plain(caught.value.properties)
    assert outputs["status"] == "failed"
    assert caught.value.resource_id == f"contoso/vm1/{outputs['operationId']}"
    assert "simulated failure" in caught.value.message


def test_engine_timeout_is_partial_state_with_running_status(sim: Simulator) -> None:
    sim.config.golive_seconds = 5.0
    with pytest.raises(ResourceInitError) as caught:
        create(configured(sim), timeout=0.5)
    assert plain(caught.value.properties)["status"] == "running"
    assert "re-run `pulumi up`" in caught.value.message


def test_cancel_stops_every_wait_promptly(sim: Simulator) -> None:
    sim.config.golive_seconds = 60.0
    offers = [f"vm{index}" for index in range(3)]
    for offer in offers:
        sim.add_offer("contoso", offer, state="ready")
    provider = configured(sim)

    def polled(offer: str) -> int:
        return sum(1 for r in sim.requests if f"/offers/{offer}/operations/" in r.path and r.status == 200)

    async def scenario() -> tuple[list[Any], float]:
        tasks = [asyncio.ensure_future(provider.create(CreateRequest(
            URN, props(publisherId="contoso", offerId=offer, wait="completed"), 0.0, False))) for offer in offers]
        # Cancel only once every create is inside its wait: each offer's operation answered at least twice.
        deadline = time.monotonic() + 30
        while not all(polled(offer) >= 2 for offer in offers):
            assert time.monotonic() < deadline, f"waits never started: {[polled(o) for o in offers]}"
            assert not any(task.done() for task in tasks), [task.result() for task in tasks if task.done()]
            await asyncio.sleep(0.05)
        cancelled_at = time.monotonic()
        await provider.cancel()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
        return results, time.monotonic() - cancelled_at

    results, after_cancel = asyncio.run(scenario())
    assert after_cancel < 2.0  # Cancel ends every wait within 2 s (poll interval 0.25 s, golive 60 s)
    for offer, result in zip(offers, results):
        assert isinstance(result, ResourceInitError) and "was cancelled" in result.message
        outputs = plain(result.properties)
        assert outputs["offerId"] == offer and outputs["status"] == "running"
        assert result.resource_id == f"contoso/{offer}/{outputs['operationId']}"  # partial state keeps the ID
    assert sim.count("POST", "/golive") == 3


def test_twenty_waits_run_side_by_side(sim: Simulator) -> None:
    sim.config.golive_seconds = 2.0
    for index in range(20):
        sim.add_offer("contoso", f"vm{index}", state="ready")
    provider = configured(sim)

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(provider.create(CreateRequest(
            URN, props(publisherId="contoso", offerId=f"vm{i}", wait="completed"), 0.0, False)) for i in range(20)))

    started = time.monotonic()
    results = asyncio.run(scenario())
    elapsed = time.monotonic() - started
    assert {plain(r.properties)["status"] for r in results} == {"succeeded"}
    assert elapsed < 2.0 * 3  # serial would take 40 s; a 4-worker host about 10 s


def test_diff_and_import_read(sim: Simulator) -> None:
    provider = configured(sim)
    created = create(provider, wait="accepted")
    state = created.properties
    diff = asyncio.run(provider.diff(DiffRequest(URN, created.resource_id, state,
                                                 props(publisherId="contoso", offerId="vm1", wait="completed"), [])))
    assert diff.changes is True and diff.replaces == []
    # The detailed diff the engine prints ([diff: ~wait], --diff's old and new values) names the input and its kind.
    assert {name: change.kind for name, change in diff.detailed_diff.items()} == {"wait": PropertyDiffKind.UPDATE}
    assert diff.diffs == ["wait"]
    replace = asyncio.run(provider.diff(DiffRequest(URN, created.resource_id, state,
                                                    props(publisherId="contoso", offerId="vm2", wait="accepted",
                                                          triggers=["v2"]), [])))
    assert replace.replaces == ["offerId", "triggers"]
    assert {name: change.kind for name, change in replace.detailed_diff.items()} == {
        "offerId": PropertyDiffKind.UPDATE_REPLACE, "triggers": PropertyDiffKind.ADD_REPLACE}
    imported = asyncio.run(provider.read(ReadRequest(URN, created.resource_id, {}, {})))
    assert plain(imported.inputs) == {"publisherId": "contoso", "offerId": "vm1", "api": "cpp", "wait": "completed"}
    assert plain(imported.properties)["operationId"] == plain(state)["operationId"]
    assert sim.count("POST") == 1


def _import(provider: PluginProvider, resource_id: str) -> Any:
    return asyncio.run(provider.read(ReadRequest(URN, resource_id, {}, {})))


def test_import_of_an_operation_the_api_does_not_know_fails_and_records_nothing(sim: Simulator) -> None:
    provider = configured(sim)
    unknown = "contoso/vm1/00000000-0000-0000-0000-000000000000"
    with pytest.raises(OfferGoLiveError, match=r"cannot import contoso/vm1/0{8}-.*: the CPP API does not know go-live "
                                               r"operation 0{8}-0{4}-0{4}-0{4}-0{12} of offer contoso/vm1") as caught:
        _import(provider, unknown)
    assert "HTTP 404" in str(caught.value) and "product-ingestion/{jobId}" in str(caught.value)
    assert sim.count("POST") == 0
    with pytest.raises(OfferGoLiveError, match="the ID is"):
        _import(provider, "contoso/vm1")


def test_import_of_a_product_ingestion_job_takes_the_api_from_the_id(sim: Simulator) -> None:
    provider = configured(sim)
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args=props(baseUrl=sim.url, accessToken=SIM_TOKEN, productIngestionUrl=sim.pi_url,
                                 productIngestionToken=SIM_TOKEN, pollInterval="0.25"),
        accept_secrets=False, accept_resources=False)))
    guid = sim.add_product("vm1", state="ready")
    created = create(provider, api="product-ingestion")
    job_id = plain(created.properties)["operationId"]
    posts = sim.count("POST")

    imported = _import(provider, f"contoso/vm1/product-ingestion/{job_id}")
    assert imported.resource_id == f"contoso/vm1/{job_id}"
    assert plain(imported.inputs)["api"] == "product-ingestion"
    outputs = plain(imported.properties)
    assert outputs["productId"] == f"product/{guid}" and outputs["operationId"] == job_id
    assert outputs["status"] == "succeeded"
    with pytest.raises(OfferGoLiveError, match="the Product Ingestion API does not know go-live operation"):
        _import(provider, "contoso/vm1/product-ingestion/11111111-1111-1111-1111-111111111111")
    assert sim.count("POST") == posts  # importing reads only
