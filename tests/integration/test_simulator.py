"""The CPP simulator over real loopback HTTP: contract checks, state machine under a fake clock, faults, control plane,
and the command line."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence
from urllib.parse import urlsplit

import pytest
import requests

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig, SimulatorError
from pulumi_cpp_golive.simulator.__main__ import build_parser, main
from pulumi_cpp_golive.simulator.core import Core, Match, Reply, Request, Route, error_reply, json_reply
from pulumi_cpp_golive.simulator.cpp_routes import CppApi
from pulumi_cpp_golive.simulator.faults import FaultInjector
from pulumi_cpp_golive.simulator.options import config_from_flags
from pulumi_cpp_golive.simulator.world import Timeline, World

from .conftest import FakeClock

TOKEN = "sim-token"
PARAMS = {"api-version": "2017-10-31"}
OFFER_PATH = "/api/publishers/contoso/offers/vm1"
CHANGED_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
REPO_ROOT = Path(__file__).resolve().parents[2]


class Api:
    """A thin requests wrapper: base URL, token and api-version by default."""

    def __init__(self, sim: Simulator, token: Optional[str] = TOKEN) -> None:
        self.sim = sim
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.sim.url + path

    def get(self, path: str, params: Optional[Dict[str, str]] = None, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), params=PARAMS if params is None else params, timeout=10, **kwargs)

    def post(self, path: str, params: Optional[Dict[str, str]] = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), params=PARAMS if params is None else params, timeout=10, **kwargs)

    def golive(self, **kwargs: Any) -> requests.Response:
        return self.post(OFFER_PATH + "/golive", **kwargs)

    def poll(self, location: str) -> Dict[str, Any]:
        """GET a tracking URL exactly as given (it already carries api-version when relative)."""
        response = self.session.get(self.url(location), timeout=10)
        assert response.status_code == 200, response.text
        body: Dict[str, Any] = response.json()
        return body


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(golive_seconds=10.0, publish_seconds=4.0), clock=clock) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        yield simulator


@pytest.fixture
def api(sim: Simulator) -> Api:
    return Api(sim)


def step(body: Dict[str, Any], step_id: str) -> Dict[str, Any]:
    found: Dict[str, Any] = next(s for s in body["steps"] if s["id"] == step_id)
    return found


# --- checks every request goes through ----------------------------------------------------------------------------


def test_api_version_is_required(api: Api) -> None:
    missing = api.get(OFFER_PATH + "/status", params={})
    wrong = api.get(OFFER_PATH + "/status", params={"api-version": "2016-01-01"})
    for response in (missing, wrong):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "InvalidAPIVersion"
        assert "allowed values: 2017-10-31" in error["message"]
    assert api.get(OFFER_PATH + "/status").status_code == 200


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_bearer_token_is_required(sim: Simulator, token: Optional[str]) -> None:
    response = Api(sim, token=token).get(OFFER_PATH + "/status")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"
    (record,) = sim.requests
    assert record.authorization_ok is False and record.status == 401


def test_tokens_can_be_added_at_runtime_and_are_never_recorded(sim: Simulator) -> None:
    assert Api(sim, token="rotated").get(OFFER_PATH + "/status").status_code == 401
    sim.config.tokens.add("rotated")
    assert Api(sim, token="rotated").get(OFFER_PATH + "/status").status_code == 200
    assert Api(sim).get(OFFER_PATH + "/status").status_code == 200
    assert [r.authorization_ok for r in sim.requests] == [False, True, True]
    assert "rotated" not in repr(sim.requests) and TOKEN not in repr(sim.requests)


def test_unknown_offer_publisher_and_route_are_404(api: Api) -> None:
    for path in ("/api/publishers/contoso/offers/nope/status", "/api/publishers/nobody/offers/vm1/golive"):
        response = api.get(path) if path.endswith("status") else api.post(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NotFound"
    assert api.get(OFFER_PATH + "/no-such-route").status_code == 404
    assert api.get("/elsewhere").status_code == 404


def test_non_loopback_hosts_are_refused() -> None:
    for host in ("0.0.0.0", "192.0.2.1", "example.com"):  # the point is that each is refused
        with pytest.raises(ValueError, match="loopback"):
            SimulatorConfig(host=host)


# --- the go-live answer ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("id_style", ["guid", "dollar"])
@pytest.mark.parametrize("header_variant", ["location", "operation-location", "both"])
def test_golive_tracking_headers(clock: FakeClock, header_variant: str, id_style: str) -> None:
    config = SimulatorConfig(header_variant=header_variant, id_style=id_style)
    with Simulator(config, clock=clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        api = Api(sim)
        response = api.golive()
        assert response.status_code == 202
        assert response.content == b""
        location = response.headers.get("Location")
        operation_location = response.headers.get("Operation-Location")

        if id_style == "guid":
            path = re.compile(rf"^/api/publishers/contoso/offers/vm1/operations/{GUID}$")
        else:
            # The `$` separators are literal, never %24; publishing version 2 follows the ready offer's publish.
            path = re.compile(r"^/api/operations/contoso\$vm1\$2\$preview$")

        if header_variant == "operation-location":
            assert location is None
            assert operation_location is not None
            assert operation_location.startswith(sim.url + "/api/")
            assert "api-version" not in operation_location
            assert path.match(urlsplit(operation_location).path)
            body = api.get(operation_location).json()  # the client adds api-version
        else:
            assert location is not None
            assert path.match(location.split("?")[0])
            assert location.endswith("?api-version=2017-10-31")
            if header_variant == "both":
                assert operation_location == location
            else:
                assert operation_location is None
            body = api.poll(location)
        assert body["status"] == "running"
        assert body["cancellationRequestState"] == "canCancel"
        assert ("notificationEmails" in body) == (id_style == "dollar")


def test_dollar_operation_reachable_raw_or_percent_encoded_under_both_routes(clock: FakeClock) -> None:
    with Simulator(SimulatorConfig(id_style="dollar"), clock=clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        api = Api(sim)
        op_id = api.golive().headers["Location"].split("/")[-1].split("?")[0]
        assert op_id == "contoso$vm1$2$preview"
        (submission,) = [s for s in api.get(OFFER_PATH + "/submissions/").json() if s["submissionType"] == "goLive"]
        assert submission["id"] == op_id
        for path in (
            f"/api/operations/{op_id}",
            f"/api/operations/{op_id.replace('$', '%24')}",
            f"{OFFER_PATH}/operations/{op_id}",
            f"{OFFER_PATH}/operations/{op_id.replace('$', '%24')}",
        ):
            response = api.get(path)
            assert response.status_code == 200, path
            assert response.json()["id"] == op_id
        assert api.get("/api/publishers/contoso/offers/other/operations/" + op_id).status_code == 404


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"data": b"", "headers": {"Content-Length": "0"}},
        {"json": {"metadata": {"notification-emails": "a@b.example,c@d.example"}}},
    ],
    ids=["no-body", "content-length-0", "emails"],
)
def test_golive_accepts_no_body_or_notification_emails(api: Api, kwargs: Dict[str, Any]) -> None:
    assert api.golive(**kwargs).status_code == 202
    (golive,) = api.get(OFFER_PATH + "/submissions/", params={**PARAMS, "status": "running"}).json()
    expected = "a@b.example,c@d.example" if "json" in kwargs else ""
    assert golive["definition"] == {"metadata": {"emails": expected}}


def test_golive_rejects_a_malformed_body(api: Api, sim: Simulator) -> None:
    response = api.golive(data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestBody"
    assert api.get(OFFER_PATH + "/submissions/", params={**PARAMS, "status": "running"}).json() == []


# --- the state machine under the fake clock -----------------------------------------------------------------------


def test_golive_progresses_to_complete_with_the_fake_clock(api: Api, sim: Simulator, clock: FakeClock) -> None:
    location = api.golive().headers["Location"]
    first = api.poll(location)
    assert first["status"] == "running"
    assert [s["id"] for s in first["steps"]] == [
        "displaydummycertify",
        "displaycertify",
        "displayprovision",
        "displaypackage",
        "publisher-signoff",
        "live",
    ]
    assert all(s["status"] == "complete" for s in first["steps"][:5])
    assert "estimatedTimeFrame" not in step(first, "publisher-signoff")
    assert step(first, "live")["estimatedTimeFrame"] == "~2-5 days"
    assert step(first, "live")["status"] == "inProgress"
    assert step(first, "live")["progressPercentage"] == 0

    clock.advance(5.0)
    halfway = api.poll(location)
    assert halfway["status"] == "running"
    assert step(halfway, "live")["progressPercentage"] == 50
    assert api.get(OFFER_PATH + "/status").json()["status"] == "running"

    clock.advance(5.0)
    done = api.poll(location)
    assert done["status"] == "complete"
    assert step(done, "live")["status"] == "complete"
    assert step(done, "live")["progressPercentage"] == 100
    status = api.get(OFFER_PATH + "/status").json()
    assert status["status"] == "succeeded"
    assert step(status, "live")["status"] == "complete"


def test_pascal_case_vocabulary(clock: FakeClock) -> None:
    with Simulator(SimulatorConfig(status_case="pascal", golive_seconds=1.0), clock=clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        api = Api(sim)
        assert api.get(OFFER_PATH + "/status").json()["status"] == "WaitingForPublisherReview"
        location = api.golive().headers["Location"]
        running = api.poll(location)
        assert running["status"] == "Running"
        assert step(running, "live")["status"] == "InProgress"
        clock.advance(1.0)
        assert api.poll(location)["status"] == "Completed"
        assert api.get(OFFER_PATH + "/status").json()["status"] == "Succeeded"
        states = [s["submissionState"] for s in api.get(OFFER_PATH + "/submissions").json()]
        assert states == ["Completed", "Completed"]


def test_publish_reaches_publisher_signoff_then_golive_is_allowed(sim: Simulator, api: Api, clock: FakeClock) -> None:
    # The publish route is not served (the provider never publishes); Simulator.start_publish stands for it.
    sim.add_offer("contoso", "vm1", state="never-published")
    assert api.get(OFFER_PATH + "/status").json() == {
        "status": "neverPublished",
        "messages": [],
        "steps": [],
        "previewLinks": [],
        "liveLinks": [],
    }
    sim.start_publish("contoso", "vm1")
    clock.advance(1.0)
    running = api.get(OFFER_PATH + "/status").json()
    assert running["status"] == "running"
    assert step(running, "displaycertify")["status"] == "inProgress"
    assert step(running, "publisher-signoff")["status"] == "notStarted"
    assert api.golive().status_code == 400  # another operation (the publish) is running

    clock.advance(3.0)
    ready = api.get(OFFER_PATH + "/status").json()
    assert ready["status"] == "waitingForPublisherReview"
    assert step(ready, "publisher-signoff")["status"] == "waitingForPublisherReview"
    assert api.golive().status_code == 202


def test_never_published_offer_is_refused(sim: Simulator, api: Api) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    response = api.golive()
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidOperation"
    assert "never been published" in error["message"]
    assert api.get(OFFER_PATH + "/submissions/").json() == []


def test_live_offer_is_not_waiting_for_signoff(sim: Simulator, api: Api) -> None:
    sim.add_offer("contoso", "vm1", state="live")
    response = api.golive()
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidOperation"
    assert "not waiting for publisher sign-off (status: succeeded)" in response.json()["error"]["message"]


@pytest.mark.parametrize("conflict_status", [400, 409])
def test_second_operation_while_one_runs_conflicts(clock: FakeClock, conflict_status: int) -> None:
    with Simulator(SimulatorConfig(conflict_status=conflict_status), clock=clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        api = Api(sim)
        assert api.golive().status_code == 202
        response = api.golive()
        assert response.status_code == conflict_status
        error = response.json()["error"]
        assert error["code"] == "OperationInProgress"
        assert "Another operation is running on offer" in error["message"]
        assert sim.count("POST", "/golive") == 2
        # The publish route is not served; the same rule holds for a publish started in process.
        with pytest.raises(SimulatorError) as refused:
            sim.start_publish("contoso", "vm1")
        assert refused.value.status == conflict_status and refused.value.code == "OperationInProgress"


def test_submissions_list_filters_and_orders(api: Api, sim: Simulator) -> None:
    location = api.golive().headers["Location"]
    everything = api.get(OFFER_PATH + "/submissions/").json()
    assert [s["submissionType"] for s in everything] == ["goLive", "publish"]  # newest first
    golive, publish = everything
    assert location.split("?")[0].endswith("/operations/" + golive["id"])
    assert (golive["slot"], publish["slot"]) == ("production", "staging")
    assert (golive["submissionState"], publish["submissionState"]) == ("running", "complete")
    for entry in everything:
        assert entry["offerTypeId"] == "microsoft-azure-virtualmachines"
        assert (entry["publisherId"], entry["offerId"]) == ("contoso", "vm1")
        assert isinstance(entry["version"], int) and entry["version"] > 10**17
        assert CHANGED_TIME.match(entry["changedTime"])
    for key in ("status", "submissionState"):
        running = api.get(OFFER_PATH + "/submissions", params={**PARAMS, key: "running"}).json()
        assert [s["id"] for s in running] == [golive["id"]]
    complete = api.get(OFFER_PATH + "/submissions/", params={**PARAMS, "status": "Completed"}).json()
    assert [s["id"] for s in complete] == [publish["id"]]


def test_cancel_stops_the_running_golive(api: Api, sim: Simulator) -> None:
    location = api.golive().headers["Location"]
    cancel = api.post(OFFER_PATH + "/cancel")
    assert cancel.status_code == 202
    assert "/operations/" in cancel.headers["Location"]
    assert api.poll(cancel.headers["Location"])["status"] == "complete"
    canceled = api.poll(location)
    assert canceled["status"] == "canceled"
    assert step(canceled, "live")["status"] == "canceled"
    states = [(s["submissionType"], s["submissionState"]) for s in api.get(OFFER_PATH + "/submissions/").json()]
    assert states == [("cancel", "complete"), ("goLive", "canceled"), ("publish", "complete")]
    assert api.get(OFFER_PATH + "/status").json()["status"] == "canceled"
    # Observed behaviour: cancel with nothing running still answers 202.
    assert api.post(OFFER_PATH + "/cancel").status_code == 202


def test_fail_golive_ends_failed_with_an_error_message(sim: Simulator, api: Api, clock: FakeClock) -> None:
    sim.config.fail_golive = True
    location = api.golive().headers["Location"]
    clock.advance(10.0)
    body = api.poll(location)
    assert body["status"] == "failed"
    (message,) = body["messages"]
    assert message["level"] == "error"
    assert message["messageHtml"] == "Certification failed: simulated failure"
    assert step(body, "live")["status"] == "failed"
    assert api.get(OFFER_PATH + "/status").json()["status"] == "failed"


def test_start_golive_and_complete_now_without_http(sim: Simulator, api: Api) -> None:
    op_id = sim.start_golive("contoso", "vm1")
    (running,) = api.get(OFFER_PATH + "/submissions/", params={**PARAMS, "status": "running"}).json()
    assert running["id"] == op_id and running["submissionType"] == "goLive"
    assert sim.complete_now("contoso", "vm1") == op_id
    assert api.get(f"{OFFER_PATH}/operations/{op_id}").json()["status"] == "complete"
    assert sim.complete_now("contoso", "vm1") is None
    with pytest.raises(SimulatorError) as refused:
        sim.start_golive("contoso", "vm1")
    assert refused.value.status == 400


# --- faults --------------------------------------------------------------------------------------------------------


def test_throttling_answers_429_in_bursts_with_retry_after(sim: Simulator, api: Api) -> None:
    sim.config.throttle_every = 3
    sim.config.throttle_burst = 2
    sim.config.retry_after = 0
    responses = [api.get(OFFER_PATH + "/status") for _ in range(7)]
    assert [r.status_code for r in responses] == [200, 200, 429, 429, 200, 429, 429]
    throttled = responses[2]
    assert throttled.headers["Retry-After"] == "0"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert sim.count("GET", "/status") == 7  # faulted requests are counted too
    # Control-plane and non-API requests do not move the counter: after a reset, the 3rd API request is throttled.
    sim.reset_counts()
    assert [api.get(OFFER_PATH + "/status").status_code for _ in range(3)] == [200, 200, 429]


def test_error500_has_the_nonstandard_variant_body(sim: Simulator, api: Api) -> None:
    sim.config.error500_every = 2
    first, second = api.get(OFFER_PATH + "/status"), api.get(OFFER_PATH + "/status")
    assert first.status_code == 200
    assert second.status_code == 500
    assert second.json() == {"Variant": {"serviceName": "Variant", "error": "Internal error. Retry is OK."}}


def test_golive_reset_closes_the_connection_and_still_creates_the_operation(sim: Simulator, api: Api) -> None:
    sim.config.golive_reset = True
    with pytest.raises(requests.ConnectionError):
        api.golive()
    assert sim.config.golive_reset is False  # one-shot
    (running,) = api.get(OFFER_PATH + "/submissions/", params={**PARAMS, "status": "running"}).json()
    assert running["submissionType"] == "goLive"
    (record,) = [r for r in sim.requests if r.path.endswith("/golive")]
    assert record.status is None  # never answered
    # A retry now meets the operation the lost request created.
    assert api.golive().status_code == 400
    assert sim.count("POST", "/golive") == 2


def test_omit_tracking_header_is_one_shot(sim: Simulator, api: Api, clock: FakeClock) -> None:
    sim.config.omit_tracking_header = True
    bare = api.golive()
    assert bare.status_code == 202
    assert "Location" not in bare.headers and "Operation-Location" not in bare.headers
    clock.advance(10.0)
    sim.add_offer("contoso", "vm1", state="ready")
    assert "Location" in api.golive().headers


def test_foreign_host_sends_only_an_absolute_foreign_operation_location(sim: Simulator, api: Api) -> None:
    sim.config.foreign_host = True
    response = api.golive()
    assert response.status_code == 202
    assert "Location" not in response.headers
    assert response.headers["Operation-Location"].startswith("http://foreign.invalid/api/publishers/contoso/")


def test_polling_faults(sim: Simulator, api: Api, clock: FakeClock) -> None:
    location = api.golive().headers["Location"]
    sim.config.unknown_status_first = True
    sim.config.poll_retry_after = 7
    unknown = api.session.get(api.url(location), timeout=10)
    assert unknown.json()["status"] == "Validating"
    assert unknown.headers["Retry-After"] == "7"

    sim.config.malformed_json_every = 2
    truncated = api.session.get(api.url(location), timeout=10)  # the 2nd operation GET is cut short
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        json.loads(truncated.text)
    assert api.poll(location)["status"] == "Validating"  # the 3rd is whole again
    sim.config.malformed_json_every = 0

    clock.advance(10.0)
    assert api.poll(location)["status"] == "complete"  # the unknown word only lasts while running

    sim.config.operation_404 = True
    gone = api.session.get(api.url(location), timeout=10)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "NotFound"


def test_unauthorized_once_after_n_requests(sim: Simulator, api: Api) -> None:
    sim.config.unauthorized_once_after = 2
    statuses = [api.get(OFFER_PATH + "/status").status_code for _ in range(5)]
    assert statuses == [200, 200, 401, 200, 200]
    assert [r.authorization_ok for r in sim.requests] == [True] * 5
    assert sim.config.unauthorized_once_after == 0


def test_slow_seconds_delays_answers(sim: Simulator, api: Api) -> None:
    sim.config.slow_seconds = 0.5
    with pytest.raises(requests.Timeout):
        api.session.get(api.url(OFFER_PATH + "/status"), params=PARAMS, timeout=0.1)
    assert sim.count("GET", "/status") == 1


# --- control plane and command line -------------------------------------------------------------------------------


def test_control_plane(sim: Simulator, api: Api) -> None:
    control = requests.Session()
    sim.add_offer("fabrikam", "vm2", state="ready")
    assert api.post("/api/publishers/fabrikam/offers/vm2/golive").status_code == 202
    assert api.get(OFFER_PATH + "/status").status_code == 200

    seen = control.get(sim.url + "/_sim/requests").json()
    assert seen["counts"] == {"POST /golive": 1, "GET /status": 1}
    assert [(r["method"], r["status"]) for r in seen["requests"]] == [("POST", 202), ("GET", 200)]
    assert all("token" not in json.dumps(r).lower() for r in seen["requests"])

    assert control.post(sim.url + "/_sim/reset-counts").status_code == 200
    assert control.get(sim.url + "/_sim/requests").json() == {"counts": {}, "requests": []}
    assert sim.count() == 0
    assert control.get(sim.url + "/_sim/config").status_code == 404  # only the two routes above exist


class _SecondApi:
    """A stand-in for a second API (issue 12's Product Ingestion): its own prefix, route table and checks."""

    prefix = "/ingestion/"

    def __init__(self) -> None:
        self.routes: Sequence[Route] = (Route("GET", "products/{product_id}", "product", self._product),)

    def answer(self, request: Request, found: Optional[Match], token_ok: bool) -> Reply:
        if found is None or found.route is None:
            return error_reply(404, "NotFound", "no such route")
        return found.route.handler(request, found.params)

    def _product(self, request: Request, params: Dict[str, str]) -> Reply:
        return json_reply(200, {"id": params["product_id"], "authorized": True})


def test_the_core_answers_without_sockets_and_takes_a_second_api(clock: FakeClock) -> None:
    config = SimulatorConfig(golive_seconds=1.0)
    world = World(lambda: config, Timeline(clock))
    world.add_offer("contoso", "vm1", "ready")
    faults = FaultInjector(lambda: config)
    core = Core([CppApi(world, faults, lambda: config), _SecondApi()], lambda: config, faults.reset)

    def send(method: str, path: str) -> Reply:
        query = {"api-version": "2017-10-31"} if path.startswith("/api/") else {}
        return core.handle(Request(method, path, query, f"Bearer {TOKEN}", b"", "http://127.0.0.1:1"))

    accepted = send("POST", OFFER_PATH + "/golive")
    assert accepted.status == 202 and dict(accepted.headers)["Location"].startswith(OFFER_PATH + "/operations/")
    product = send("GET", "/ingestion/products/p%2F1")
    assert (product.status, json.loads(product.body)) == (200, {"id": "p/1", "authorized": True})
    assert send("GET", OFFER_PATH + "/golive").status == 405
    assert core.log.counts() == {"POST /golive": 1, "GET /product": 1, "GET /golive": 1}  # a 405 counts too


def test_every_config_field_is_a_flag() -> None:
    args = build_parser().parse_args(
        ["--tokens", "a", "--tokens", "b", "--poll-retry-after", "2", "--race-golive", "--error-body", "bad-utf8",
         "--list-lag-seconds", "1.5", "--accepted-then-status", "502", "--offer", "fabrikam/vm9:live"]
    )
    config = config_from_flags(args)
    assert (config.tokens, config.poll_retry_after, config.race_golive) == ({"a", "b"}, 2, True)
    assert (config.error_body, config.list_lag_seconds, config.accepted_then_status) == ("bad-utf8", 1.5, 502)
    assert args.offer == [("fabrikam", "vm9", "live")]
    flags = {action.dest for action in build_parser()._actions}
    assert {f.name for f in dataclasses.fields(SimulatorConfig)} <= flags


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--throttle-burst", "0"], "throttle_burst must be at least 1"), (["--host", "0.0.0.0"], "not a loopback")],
)
def test_flags_out_of_bounds_are_refused_naming_the_field(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_cli_prints_the_url_and_serves_until_terminated() -> None:
    env = {**os.environ, "CPP_SIM_TOKEN": "cli-token", "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_cpp_golive.simulator", "--port", "0", "--offer", "fabrikam/vm9:never-published"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"CPP simulator listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        url = match.group(1)
        assert int(match.group(2)) > 0
        # The rest of the banner: both base URLs with the settings they go into, and the token accepted.
        rest = [process.stdout.readline() for _ in range(3)]
        assert rest[0].split() == ["CPP", "API", url, "(cpp-golive:baseUrl)"], rest
        assert rest[1].split()[:5] == ["Product", "Ingestion", "API", f"{url}/rp/product-ingestion",
                                      "(cpp-golive:productIngestionUrl)"], rest
        assert rest[2].split()[:3] == ["bearer", "token", "cli-token"], rest
        assert requests.get(url + "/_sim/requests", timeout=10).json() == {"counts": {}, "requests": []}
        headers = {"Authorization": "Bearer cli-token"}
        status = requests.get(
            url + "/api/publishers/fabrikam/offers/vm9/status", params=PARAMS, headers=headers, timeout=10
        )
        assert status.json()["status"] == "neverPublished"
        # --offer replaces the default contoso/vm1.
        assert requests.get(url + OFFER_PATH + "/status", params=PARAMS, headers=headers, timeout=10).status_code == 404
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "GET /api/publishers/fabrikam/offers/vm9/status 200" in stderr
    assert "cli-token" not in stderr
