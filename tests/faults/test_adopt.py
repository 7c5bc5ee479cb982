"""Adopt or post (issue 10 rows 1-3, 9, 14-17): each server behaviour reproduced, through both adapters.

Every test asserts the number of go-live POSTs (and of go-live operations CPP holds), the end state, what the
user is told, and a time bound. Simulator tests drive the dynamic provider and the plugin provider directly, as
the engine would; ``responses`` tests cover what the engine adds nothing to (list paging, header edge cases).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest, DiffRequest, UpdateRequest

from pulumi_cpp_golive import session
from pulumi_cpp_golive.api_client import MAX_LIST_PAGES
from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.cpp_api import CppOfferApi
from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.errors import ApiError, ConfigurationError, GoLiveFailedError
from pulumi_cpp_golive.golive import GoLiveMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.settings import DEFAULT_ADOPT_TIMEOUT, Settings
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from ..integration.conftest import SIM_TOKEN, configured_provider

URN = "urn:pulumi:dev::p::cpp-golive:index:OfferGoLive::golive"
LIST = "/api/publishers/contoso/offers/vm1/submissions/"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    # Go-lives last long enough that an adopted one is still running when the lagging list shows it.
    with Simulator(SimulatorConfig(token=SIM_TOKEN, golive_seconds=30.0, publish_seconds=0.2)) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        yield simulator


# ---- helpers ---------------------------------------------------------------------------------------------------

def dynamic(sim: Simulator, adopt_timeout: float = 20.0) -> OfferGoLiveProvider:
    return configured_provider({
        "cpp-golive:baseUrl": sim.url,
        "cpp-golive:accessToken": SIM_TOKEN,
        "cpp-golive:pollInterval": "0.25",
        "cpp-golive:adoptTimeout": str(adopt_timeout),
    })

# CPP operation IDs are GUIDs (anything else is never recorded).
GL_ID = "5b0e3f2a-9c1d-4e7b-8a6f-3d2c1b0a9e8f"
OURS_ID = "a1b2c3d4-e5f6-4a7b-9c8d-7e6f5a4b3c2d"
GOOD_ID = "c0ffee00-1234-4abc-8def-0123456789ab"


def plugin(sim: Simulator, lines: list[str], adopt_timeout: float = 20.0) -> PluginProvider:
    provider = PluginProvider(log=lambda urn, text: lines.append(text))
    args = {"baseUrl": sim.url, "accessToken": SIM_TOKEN, "pollInterval": "0.25", "adoptTimeout": str(adopt_timeout)}
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args={k: PropertyValue(v) for k, v in args.items()}, accept_secrets=False,
        accept_resources=False)))
    return provider


def plugin_inputs(**extra: Any) -> dict[str, PropertyValue]:
    values = {"publisherId": "contoso", "offerId": "vm1", "wait": "accepted", **extra}
    return {key: from_python(value) for key, value in values.items()}


def plugin_create(provider: PluginProvider, timeout: float = 0.0, **extra: Any) -> dict[str, Any]:
    response = asyncio.run(provider.create(CreateRequest(URN, plugin_inputs(**extra), timeout, False)))
    assert str(response.resource_id).startswith("contoso/vm1/")
    return {key: to_python(value) for key, value in response.properties.items()}


def plain(values: dict[str, PropertyValue]) -> dict[str, Any]:
    return {key: to_python(value) for key, value in values.items()}


def golive_ops(sim: Simulator) -> list[dict[str, Any]]:
    """Every go-live operation CPP holds for contoso/vm1, whatever the list lag (read without faults)."""
    lag, page = sim.config.list_lag_seconds, sim.config.list_page_size
    sim.config.list_lag_seconds, sim.config.list_page_size = 0.0, 0
    try:
        answer = requests.get(f"{sim.url}{LIST}", params={"api-version": "2017-10-31"},
                              headers={"Authorization": f"Bearer {SIM_TOKEN}"}, timeout=10)
    finally:
        sim.config.list_lag_seconds, sim.config.list_page_size = lag, page
    answer.raise_for_status()
    return [op for op in answer.json() if op["submissionType"] == "goLive"]


def posts(sim: Simulator) -> int:
    return sim.count("POST", "/golive")


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        self.elapsed = time.monotonic() - self.started


# ---- row 1: the POST's answer is lost behind a gateway ---------------------------------------------------------

@pytest.mark.parametrize("status", [502, 503, 504, 500])
def test_row1_gateway_error_after_accepting_is_adopted_not_reposted(
        sim: Simulator, status: int, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.accepted_then_status = status  # the operation is created, the client sees only the gateway's page
    sim.config.list_lag_seconds = 4.0  # as observed: the list shows it 4 s later
    with Timer() as timer:
        outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"}).outs or {}
    [operation] = golive_ops(sim)
    assert posts(sim) == 1
    assert outs["operation_id"] == operation["id"] and outs["status"] == "running"
    err = capsys.readouterr().err
    assert f"HTTP {status}" in err and "ended ambiguously" in err and "adopting go-live operation" in err
    assert 4.0 <= timer.elapsed < 4.0 + 8.0  # waited for the lagging list, not much longer


def test_row1_list_that_never_shows_it_stops_in_the_adopt_timeout_and_says_what_a_rerun_does(sim: Simulator) -> None:
    sim.config.accepted_then_status = 504
    sim.config.list_lag_seconds = 60.0
    provider = dynamic(sim, adopt_timeout=2.0)
    with Timer() as timer, pytest.raises(Exception) as caught:
        provider.create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"})
    assert timer.elapsed < 2.0 + 5.0
    text = str(caught.value)
    assert "HTTP 504" in text and "nothing was re-posted" in text and "The next `pulumi up` looks for it" in text
    assert posts(sim) == 1
    # The re-run, once the list has caught up, adopts: still one POST, one go-live.
    sim.config.list_lag_seconds = 0.0
    outs = provider.create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"}).outs or {}
    assert posts(sim) == 1 and [op["id"] for op in golive_ops(sim)] == [outs["operation_id"]]


def test_row1_plugin_gateway_504_is_adopted(sim: Simulator) -> None:
    sim.config.accepted_then_status = 504
    sim.config.list_lag_seconds = 2.0
    lines: list[str] = []
    with Timer() as timer:
        outs = plugin_create(plugin(sim, lines))
    [operation] = golive_ops(sim)
    assert posts(sim) == 1 and outs["operationId"] == operation["id"]
    assert any("HTTP 504" in line and "adopting go-live operation" in line for line in lines)
    assert 2.0 <= timer.elapsed < 2.0 + 8.0


def test_row1_plugin_engine_timeout_bounds_the_look(sim: Simulator) -> None:
    sim.config.accepted_then_status = 503
    sim.config.list_lag_seconds = 60.0
    with Timer() as timer, pytest.raises(Exception, match="nothing was re-posted") as caught:
        plugin_create(plugin(sim, [], adopt_timeout=120.0), timeout=1.5)
    assert "time limit (1.5 s) was reached before the operations list showed it" in str(caught.value)
    assert timer.elapsed < 1.5 + 5.0
    assert posts(sim) == 1


def test_row1_plugin_cancel_ends_the_look_promptly(sim: Simulator) -> None:
    sim.config.accepted_then_status = 504
    sim.config.list_lag_seconds = 600.0
    provider = plugin(sim, [], adopt_timeout=600.0)

    async def scenario() -> tuple[BaseException | None, float]:
        task = asyncio.ensure_future(provider.create(CreateRequest(URN, plugin_inputs(), 0.0, False)))
        deadline = time.monotonic() + 20
        # Cancel once the look is under way: the POST was answered and the list was read again after it.
        while not (posts(sim) == 1 and sim.count("GET", "/submissions/") >= 2):
            assert time.monotonic() < deadline and not task.done(), "the look never started"
            await asyncio.sleep(0.05)
        cancelled_at = time.monotonic()
        await provider.cancel()
        result = await asyncio.gather(task, return_exceptions=True)
        return (result[0] if isinstance(result[0], BaseException) else None), time.monotonic() - cancelled_at

    error, after_cancel = asyncio.run(scenario())
    assert error is not None and "the go-live was cancelled before the operations list showed it" in str(error)
    assert "nothing was re-posted" in str(error)
    assert after_cancel < 2.0
    assert posts(sim) == 1


# ---- row 2: two runs post at the same instant ------------------------------------------------------------------

@pytest.mark.parametrize("conflict_status", [409, 400])  # 400 carries the code OperationInProgress
def test_row2_conflict_adopts_the_winners_golive(sim: Simulator, conflict_status: int,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.conflict_status = conflict_status
    sim.config.race_golive = True  # the other run's POST lands just before ours
    sim.config.list_lag_seconds = 2.0
    with Timer() as timer:
        outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"}).outs or {}
    [winner] = golive_ops(sim)
    assert outs["operation_id"] == winner["id"] and outs["status"] == "running"
    assert posts(sim) == 1  # ours, refused; never posted again
    assert [r.status for r in sim.requests if r.path.endswith("/golive")] == [conflict_status]
    err = capsys.readouterr().err
    assert "operation is in progress" in err and "OperationInProgress" in err
    assert 2.0 <= timer.elapsed < 2.0 + 8.0


def test_row2_plugin_conflict_adopts(sim: Simulator) -> None:
    sim.config.conflict_status = 409
    sim.config.race_golive = True
    sim.config.list_lag_seconds = 1.0
    lines: list[str] = []
    with Timer() as timer:
        outs = plugin_create(plugin(sim, lines))
    [winner] = golive_ops(sim)
    assert outs["operationId"] == winner["id"] and posts(sim) == 1
    assert any("HTTP 409" in line for line in lines)
    assert timer.elapsed < 1.0 + 8.0


# ---- row 3: the offer status says Running while the list lags -------------------------------------------------

def test_row3_running_offer_status_is_adopted_without_posting(sim: Simulator,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.list_lag_seconds = 2.0
    other = sim.start_golive("contoso", "vm1")  # another run's go-live, not yet in the list
    with Timer() as timer:
        outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"}).outs or {}
    assert posts(sim) == 0
    assert outs["operation_id"] == other and len(golive_ops(sim)) == 1
    assert "says 'running'" in capsys.readouterr().err
    assert 1.5 <= timer.elapsed < 2.0 + 8.0


def test_row3_plugin_running_offer_status_is_adopted(sim: Simulator) -> None:
    sim.config.list_lag_seconds = 1.0
    other = sim.start_golive("contoso", "vm1")
    outs = plugin_create(plugin(sim, []))
    assert posts(sim) == 0 and outs["operationId"] == other


def test_row3_running_publish_is_not_a_golive_to_adopt(sim: Simulator) -> None:
    sim.config.publish_seconds = 60.0
    sim.start_publish("contoso", "vm1")
    with Timer() as timer, pytest.raises(Exception, match=r"a publish is in progress on offer contoso/vm1 "
                                                  r"\(operation [0-9a-f-]+\); go live once it has reached publisher "
                                                  r"sign-off\. Nothing was posted\."):
        dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"})
    assert posts(sim) == 0 and timer.elapsed < 5.0


# ---- row 9: an error body that claims UTF-8 but is not -------------------------------------------------------

def test_row9_undecodable_500_on_the_post_still_adopts(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.accepted_then_status, sim.config.error_body = 500, "bad-utf8"
    sim.config.list_lag_seconds = 1.0
    outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"}).outs or {}
    [operation] = golive_ops(sim)
    assert posts(sim) == 1 and outs["operation_id"] == operation["id"]
    err = capsys.readouterr().err
    assert "HTTP 500" in err and "not valid utf-8" in err and "Serveur indisponible" in err


@responses.activate
def test_row9_undecodable_error_body_is_an_http_error_with_what_decodes() -> None:
    client = CppClient("https://cpp.example.test", StaticTokenCredential("t"), retry_total=0)
    responses.get("https://cpp.example.test/api/publishers/contoso/offers/vm1/status", status=403,
                  body=b'{"error": {"code": "Forbidden", "message": "Acc\xe8s refus\xe9 \xff"}}',
                  content_type="application/json; charset=utf-8")
    with pytest.raises(ApiError) as caught:
        client.get_offer_status("contoso", "vm1")
    assert caught.value.status == 403
    assert "HTTP 403" in str(caught.value) and "Acc" in str(caught.value) and "not valid utf-8" in str(caught.value)


# ---- row 14: Location and Operation-Location disagree ----------------------------------------------------------

def test_row14_location_naming_another_offers_operation_is_skipped(sim: Simulator) -> None:
    sim.config.golive_seconds = 1.0
    sim.add_offer("contoso", "vm2", state="ready")
    sim.config.fail_golive = True
    foreign = sim.start_golive("contoso", "vm2")  # another offer's go-live, which fails
    sim.config.fail_golive = False
    sim.complete_now("contoso", "vm2")
    sim.config.location_override = sim.tracking_path(foreign)
    with Timer() as timer:
        outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "completed"}).outs or {}
    [ours] = golive_ops(sim)
    assert outs["operation_id"] == ours["id"] != foreign
    assert outs["status"] == "succeeded" and posts(sim) == 1
    assert "/offers/vm1/operations/" in outs["operation_location"]
    assert not any(f"/operations/{foreign}" in r.path for r in sim.requests)
    assert timer.elapsed < 10.0


def test_row14_dot_segment_location_is_never_recorded_as_an_operation(sim: Simulator) -> None:
    sim.config.location_override = "/api/publishers/contoso/offers/vm1/operations/../golive?api-version=2017-10-31"
    lines: list[str] = []
    outs = plugin_create(plugin(sim, lines))
    [ours] = golive_ops(sim)
    assert outs["operationId"] == ours["id"] and ".." not in outs["operationLocation"]
    assert posts(sim) == 1


@responses.activate
def test_row14_no_header_of_this_offer_adopts_from_the_list() -> None:
    base = "https://cpp.example.test"
    offer = f"{base}/api/publishers/contoso/offers/vm1"
    lines: list[str] = []
    machine = GoLiveMachine(CppOfferApi(CppClient(base, StaticTokenCredential("t"), retry_total=0, retry_backoff=0.0)),
                    report=lines.append, sleep=lambda seconds, cancel: False)
    responses.get(f"{offer}/submissions/", json=[])
    responses.get(f"{offer}/status", json={"status": "waitingForPublisherReview"})
    responses.post(f"{offer}/golive", status=202, headers={
        "Location": "/api/publishers/contoso/offers/vm1/operations/%2e%2e",
        "Operation-Location": "/api/publishers/contoso/offers/vm9/operations/abc"})
    responses.get(f"{offer}/submissions/", json=[{"id": OURS_ID, "submissionType": "goLive",
                                                  "submissionState": "running"}])
    record = machine.start(GoLiveSpec("contoso", "vm1"))
    assert record.operation_id == OURS_ID
    assert sum(c.request.method == "POST" for c in responses.calls) == 1
    assert any("names no operation ID (in Location)" in line
               and "does not name an operation of offer contoso/vm1 (in Operation-Location)" in line for line in lines)


# ---- row 15: any 2xx to the POST --------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "lag"), [(204, 1.0), (201, 3.5), (200, 0.0)])
def test_row15_any_2xx_is_accepted_and_the_operation_found_in_the_list(
        sim: Simulator, status: int, lag: float, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.golive_answer_status = status
    sim.config.list_lag_seconds = lag
    with Timer() as timer:
        outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted"}).outs or {}
    [operation] = golive_ops(sim)
    assert posts(sim) == 1 and outs["operation_id"] == operation["id"]
    assert f"HTTP {status} answer has no usable tracking URL" in capsys.readouterr().err
    assert lag <= timer.elapsed < lag + 8.0


# ---- row 16: a paged operations list ---------------------------------------------------------------------------

def test_row16_paged_list_is_followed(sim: Simulator) -> None:
    sim.config.golive_seconds = 0.5
    sim.config.list_page_size = 1
    outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "completed"}).outs or {}
    assert outs["status"] == "succeeded" and posts(sim) == 1


def test_row16_live_offer_adopts_a_golive_found_on_page_two(sim: Simulator) -> None:
    sim.add_offer("contoso", "vm1", state="live")
    [golive] = golive_ops(sim)
    cancel = requests.post(f"{sim.url}/api/publishers/contoso/offers/vm1/cancel", params={"api-version": "2017-10-31"},
                           headers={"Authorization": f"Bearer {SIM_TOKEN}"}, timeout=10)
    assert cancel.status_code == 202  # a newer, non-go-live entry at the top of the list
    sim.config.list_page_size = 1
    sim.reset_counts()
    outs = dynamic(sim).create({"publisher_id": "contoso", "offer_id": "vm1", "wait": "completed"}).outs or {}
    assert outs["operation_id"] == golive["id"] and outs["status"] == "succeeded"
    assert posts(sim) == 0
    assert sum(1 for r in sim.requests if r.path.endswith("/submissions/") and "$skip" in r.query) >= 1


@responses.activate
@pytest.mark.parametrize(("next_link", "expected"), [
    ("https://elsewhere.example/api/next", "not on the configured CPP host"),
    ("/api/publishers/contoso/offers/vm1/submissions/?page=1", "already read"),
])
def test_row16_bad_next_links_fail_before_any_post(next_link: str, expected: str) -> None:
    base = "https://cpp.example.test"
    offer = f"{base}/api/publishers/contoso/offers/vm1"
    api = CppOfferApi(CppClient(base, StaticTokenCredential("t"), retry_total=0))
    machine = GoLiveMachine(api, report=lambda line: None)
    responses.get(f"{offer}/submissions/", json={"value": [], "nextLink": next_link})
    with pytest.raises(ApiError, match=expected):
        machine.start(GoLiveSpec("contoso", "vm1"))
    assert all(c.request.method == "GET" and "elsewhere" not in str(c.request.url) for c in responses.calls)


@responses.activate
def test_row16_endless_pages_stop_at_the_bound() -> None:
    base = "https://cpp.example.test"
    offer = f"{base}/api/publishers/contoso/offers/vm1"
    client = CppClient(base, StaticTokenCredential("t"), retry_total=0)
    # Every page links to a new one, as a server stuck in a loop with a changing token would.
    responses.add_callback(responses.GET, f"{offer}/submissions/", callback=lambda request: (
        200, {}, json.dumps({"value": [], "nextLink": f"{LIST}?n={len(responses.calls)}"})))
    with pytest.raises(ApiError, match=f"more than {MAX_LIST_PAGES} pages"):
        client.list_submissions("contoso", "vm1")
    assert len(responses.calls) == MAX_LIST_PAGES


# ---- row 17: repeated `pulumi up` after a failed go-live -------------------------------------------------------

def republish(sim: Simulator) -> None:
    """The user's fix: publish the offer again and let it reach publisher sign-off."""
    sim.config.fail_golive = False
    sim.start_publish("contoso", "vm1")
    sim.complete_now("contoso", "vm1")


def test_row17_dynamic_failed_golive_is_not_posted_again(sim: Simulator) -> None:
    sim.config.golive_seconds, sim.config.fail_golive = 0.3, True
    provider = dynamic(sim)
    inputs = {"publisher_id": "contoso", "offer_id": "vm1", "wait": "completed", "triggers": ["v1"]}
    with pytest.raises(Exception, match="ended failed"):
        provider.create(inputs)
    [failed] = golive_ops(sim)
    for _ in range(2):  # the next `pulumi up`s: the dynamic provider has no state, so create runs again
        with Timer() as timer, pytest.raises(Exception) as caught:
            provider.create(inputs)
        assert timer.elapsed < 5.0
        text = str(caught.value)
        assert failed["id"] in text and "not posted again" in text and "simulated failure" in text
        assert "change `triggers`" in text
    assert posts(sim) == 1
    republish(sim)  # the explicit retry: a new publish, and a new triggers value
    outs = provider.create({**inputs, "triggers": ["v2"]}).outs or {}
    assert outs["status"] == "succeeded" and outs["operation_id"] != failed["id"]
    assert posts(sim) == 2


def test_row17_plugin_failed_golive_is_not_posted_again(sim: Simulator) -> None:
    sim.config.golive_seconds, sim.config.fail_golive = 0.3, True
    provider = plugin(sim, [])
    with pytest.raises(ResourceInitError) as first:
        plugin_create(provider, wait="completed", triggers=["v1"])
    state = first.value.properties
    [failed] = golive_ops(sim)
    assert plain(state)["status"] == "failed" and plain(state)["operationId"] == failed["id"]
    # The next `pulumi up` with the same inputs: an update (the engine also re-runs a resource with init errors)
    # that reports the recorded failure again and sends nothing.
    same = plugin_inputs(wait="completed", triggers=["v1"])
    diff = asyncio.run(provider.diff(DiffRequest(URN, first.value.resource_id, state, same, [])))
    assert diff.changes is True and diff.replaces == []
    before = len(sim.requests)
    with pytest.raises(ResourceInitError) as again:
        asyncio.run(provider.update(UpdateRequest(URN, first.value.resource_id, state, same, 0.0, [], False)))
    assert failed["id"] in again.value.message and "not posted again" in again.value.message
    assert plain(again.value.properties)["status"] == "failed" and sim.requests[before:] == []
    # Bumping triggers without a new publish: the core refuses, and records the failed operation again.
    with pytest.raises(ResourceInitError) as second:
        plugin_create(provider, wait="completed", triggers=["v2"])
    assert "not posted again" in second.value.message and failed["id"] in second.value.message
    assert plain(second.value.properties)["operationId"] == failed["id"]
    assert posts(sim) == 1
    republish(sim)
    outs = plugin_create(provider, wait="completed", triggers=["v3"])
    assert outs["status"] == "succeeded" and posts(sim) == 2


def test_row17_dynamic_failure_seen_by_refresh_fails_every_up_without_posting(sim: Simulator) -> None:
    sim.config.golive_seconds, sim.config.fail_golive = 0.3, True
    provider = dynamic(sim)
    inputs = {"publisher_id": "contoso", "offer_id": "vm1", "wait": "accepted", "triggers": ["v1"]}
    created = provider.create(inputs)
    state = {**inputs, **(created.outs or {})}
    assert state["status"] == "running"
    sim.complete_now("contoso", "vm1")  # the go-live ends (failed) while nobody waits on it
    state = {**state, **(provider.read(created.id, state).outs or {})}  # `pulumi refresh`
    assert state["status"] == "failed"
    news = {**inputs, "wait": "completed"}
    assert provider.diff(created.id, state, news).changes is True
    sim.reset_counts()
    with pytest.raises(Exception, match="ended failed \\(as recorded in the stack\\)"):
        provider.update(created.id, state, news)
    assert sim.requests == [] and posts(sim) == 0


@responses.activate
def test_row17_canceled_golive_is_not_posted_again_either() -> None:
    base = "https://cpp.example.test"
    offer = f"{base}/api/publishers/contoso/offers/vm1"
    api = CppOfferApi(CppClient(base, StaticTokenCredential("t"), retry_total=0))
    machine = GoLiveMachine(api, report=lambda line: None)
    responses.get(f"{offer}/submissions/", json=[], match=[responses.matchers.query_param_matcher(
        {"api-version": "2017-10-31", "status": "running"})])
    responses.get(f"{offer}/status", json={"status": "Canceled"})
    responses.get(f"{offer}/submissions/", json=[
        {"id": "pub-1", "submissionType": "publish", "submissionState": "complete",
         "changedTime": "2026-11-24T09:00:00.0000000Z"},
        {"id": GL_ID, "submissionType": "goLive", "submissionState": "canceled",
         "changedTime": "2026-11-24T10:00:00.0000000Z"}])
    responses.get(f"{offer}/operations/{GL_ID}", json={"status": "canceled", "messages": ["Canceled by the publisher"]})
    with pytest.raises(GoLiveFailedError, match=f"{GL_ID}, ended canceled: Canceled by the publisher") as caught:
        machine.start(GoLiveSpec("contoso", "vm1"))
    assert caught.value.record.operation_id == GL_ID
    assert not any(c.request.method == "POST" for c in responses.calls)


# ---- the adopt window setting -----------------------------------------------------------------------------------

def test_adopt_timeout_setting_precedence_and_validation() -> None:
    assert Settings.resolve({}, {}).adopt_timeout == DEFAULT_ADOPT_TIMEOUT
    assert Settings.resolve({}, {"CPP_ADOPT_TIMEOUT": "30"}).adopt_timeout == 30.0
    assert Settings.resolve({"adoptTimeout": "7.5"}, {"CPP_ADOPT_TIMEOUT": "30"}).adopt_timeout == 7.5
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(ConfigurationError, match="cpp-golive:adoptTimeout"):
            Settings.resolve({"adoptTimeout": bad}, {})
    assert session.golive(Settings(adopt_timeout=7.5)).adopt_window == 7.5


@responses.activate
def test_row14_list_entries_with_dot_segment_ids_are_never_adopted() -> None:
    base = "https://cpp.example.test"
    offer = f"{base}/api/publishers/contoso/offers/vm1"
    api = CppOfferApi(CppClient(base, StaticTokenCredential("t"), retry_total=0))
    machine = GoLiveMachine(api, report=lambda line: None)
    responses.get(f"{offer}/submissions/", json=[
        {"id": "..", "submissionType": "goLive", "submissionState": "running", "changedTime": "2026-11-24T11:00Z"},
        {"id": "a/b", "submissionType": "goLive", "submissionState": "running", "changedTime": "2026-11-24T11:00Z"},
        {"id": GOOD_ID, "submissionType": "goLive", "submissionState": "running", "changedTime": "2026-11-24T10:00Z"},
    ])
    record = machine.start(GoLiveSpec("contoso", "vm1"))
    assert record.operation_id == GOOD_ID
    assert record.operation_location.startswith(f"/api/publishers/contoso/offers/vm1/operations/{GOOD_ID}?")
    assert len(responses.calls) == 1
