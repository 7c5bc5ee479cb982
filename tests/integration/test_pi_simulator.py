"""The simulator's Product Ingestion (PI) API over real loopback HTTP: route shapes, ``$version`` and token checks,
strict go-live bodies, the job and the rollout under a fake clock, paging, the pi_* options and faults, the shared
faults, the request journal and the ``--product`` flag."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig, SimulatorError
from pulumi_cpp_golive.simulator.__main__ import build_parser

from .conftest import FakeClock

TOKEN = "sim-token"
VERSION = {"$version": "2022-07-01"}
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SCHEMA = "https://schema.mp.microsoft.com/schema/"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
REPO_ROOT = Path(__file__).resolve().parents[2]
JOB_SECONDS, ROLLOUT_SECONDS, PUBLISH_SECONDS = 10.0, 5.0, 4.0


class Pi:
    """A thin requests wrapper around ``sim.pi_url``: token and ``$version`` by default."""

    def __init__(self, sim: Simulator, token: Optional[str] = TOKEN) -> None:
        self.sim = sim
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: Optional[Dict[str, str]] = None) -> requests.Response:
        url = path if path.startswith("http") else f"{self.sim.pi_url}/{path}"
        return self.session.get(url, params=VERSION if params is None else params, timeout=10)

    def post(self, body: Any, params: Optional[Dict[str, str]] = None) -> requests.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        url = f"{self.sim.pi_url}/configure"
        return self.session.post(url, params=VERSION if params is None else params, data=data, timeout=10)

    def listing(self, guid: str, **query: str) -> List[Dict[str, Any]]:
        response = self.get(f"submission/{guid}", {**VERSION, **query})
        assert response.status_code == 200, response.text
        entries: List[Dict[str, Any]] = response.json()["value"]
        return entries

    def entry(self, guid: str, target: str) -> Optional[Dict[str, Any]]:
        return next((e for e in self.listing(guid) if e["target"]["targetType"] == target), None)

    def job(self, job_id: str) -> Dict[str, Any]:
        response = self.get(f"configure/{job_id}/status")
        assert response.status_code == 200, response.text
        body: Dict[str, Any] = response.json()
        return body


def golive_body(guid: str, number: int = 1) -> Dict[str, Any]:
    """The go-live body of docs/product-ingestion-api.md §3."""
    return {
        "$schema": SCHEMA + "configure/2022-03-01-preview2",
        "resources": [
            {
                "$schema": SCHEMA + "submission/2022-03-01-preview2",
                "id": f"submission/{guid}/{number}",
                "product": f"product/{guid}",
                "target": {"targetType": "live"},
            }
        ],
    }


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    config = SimulatorConfig(
        pi_job_seconds=JOB_SECONDS, pi_rollout_seconds=ROLLOUT_SECONDS, publish_seconds=PUBLISH_SECONDS
    )
    with Simulator(config, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def pi(sim: Simulator) -> Pi:
    return Pi(sim)


# --- checks every request goes through ----------------------------------------------------------------------------


def test_pi_url_and_product_lookup(sim: Simulator, pi: Pi) -> None:
    assert sim.pi_url == sim.url + "/rp/product-ingestion"
    guid = sim.add_product("vm1")
    assert re.fullmatch(GUID, guid)
    expected = {
        "$schema": SCHEMA + "product/2022-03-01-preview2",
        "id": f"product/{guid}",
        "identity": {"externalId": "vm1"},
        "type": "azureVirtualMachine",
        "alias": "vm1",
    }
    for name in ("externalId", "externalid"):
        assert pi.get("product", {**VERSION, name: "vm1"}).json() == {"value": [expected]}
    assert pi.get("product", {**VERSION, "externalId": "nope"}).json() == {"value": []}


def test_version_rules(sim: Simulator, pi: Pi) -> None:
    sim.add_product("vm1")
    for params, fragment in (
        ({}, "$version query parameter is required"),
        ({"$version": "2022-03-01-preview3"}, '"2022-03-01-preview3 is a deprecated schema"'),
        ({"$version": "latest"}, "not a schema version"),
    ):
        response = pi.get("product", {**params, "externalId": "vm1"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "badRequest"
        assert fragment in response.json()["error"]["message"]
    for version in ("2022-07-01", "2022-03-01-preview2", "2023-01-15"):
        answer = pi.get("product", {"$version": version, "externalId": "vm1"})
        assert answer.status_code == 200 and len(answer.json()["value"]) == 1


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_bearer_token_is_required(sim: Simulator, token: Optional[str]) -> None:
    response = Pi(sim, token=token).get("product")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    (record,) = sim.requests
    assert (record.authorization_ok, record.status, record.key) == (False, 401, "GET /product")


def test_unknown_routes_product_and_job_are_404(sim: Simulator, pi: Pi) -> None:
    for path in ("no-such-route", f"submission/{'0' * 8}-0000-0000-0000-{'0' * 12}", "configure/nope/status"):
        response = pi.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "notFound"
    not_allowed = pi.get("configure")
    assert not_allowed.status_code == 405 and not_allowed.headers["Allow"] == "POST"


# --- the submission listing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("draft", {"draft": None}),
        ("preview-running", {"draft": None, "preview": (1, "running", "pending")}),
        ("ready", {"draft": None, "preview": (1, "completed", "succeeded")}),
        ("preview-failed", {"draft": None, "preview": (1, "completed", "failed")}),
        (
            "live",
            {"draft": None, "preview": (1, "completed", "succeeded"), "live": (1, "completed", "succeeded")},
        ),
    ],
)
def test_listing_per_product_state(sim: Simulator, pi: Pi, state: str, expected: Dict[str, Any]) -> None:
    guid = sim.add_product("vm1", state=state)
    entries = pi.listing(guid)
    assert [e["target"]["targetType"] for e in entries] == list(expected)
    for entry in entries:
        target = entry["target"]["targetType"]
        # Listings carry the newer submission schema (docs/product-ingestion-api.md §6), not the one configure names.
        assert entry["$schema"] == SCHEMA + "submission/2022-03-01-preview7"
        assert entry["product"] == f"product/{guid}" and TIMESTAMP.match(entry["created"])
        if expected[target] is None:
            assert entry["id"] == f"submission/{guid}/0"
            assert "status" not in entry and "result" not in entry
        else:
            number, status, result = expected[target]
            assert (entry["id"], entry["status"], entry["result"]) == (f"submission/{guid}/{number}", status, result)
    live_only = pi.listing(guid, targetType="live")
    assert [e["target"]["targetType"] for e in live_only] == (["live"] if state == "live" else [])
    assert pi.get(f"submission/{guid}", {**VERSION, "targetType": "staging"}).status_code == 400


def test_paging_follows_next_links_to_the_full_listing(sim: Simulator, pi: Pi) -> None:
    guid = sim.add_product("vm1", state="live")
    full = pi.listing(guid)
    sim.config.pi_page_size = 1
    url: Optional[str] = f"submission/{guid}"
    pages: List[Dict[str, Any]] = []
    while url is not None:
        assert len(pages) < 10, "the next links never end"
        response = pi.get(url, VERSION if not pages else {})  # a next link carries $version itself
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = pages[-1].get("@nextLink")
        if url is not None:
            assert url.startswith(f"{sim.pi_url}/submission/{guid}?")
            assert "continuationToken=" in url and "$version=2022-07-01" in url
    assert [len(page["value"]) for page in pages] == [1, 1, 1]
    assert [entry for page in pages for entry in page["value"]] == full
    assert pi.get(f"submission/{guid}", {**VERSION, "continuationToken": "x"}).status_code == 400


# --- the go-live ----------------------------------------------------------------------------------------------


def test_golive_job_completes_before_the_rollout(sim: Simulator, pi: Pi, clock: FakeClock) -> None:
    guid = sim.add_product("vm1", state="ready")
    accepted = pi.post(golive_body(guid))
    assert accepted.status_code == 202
    assert not {"Location", "Operation-Location", "Retry-After"} & set(accepted.headers)
    document = accepted.json()
    assert list(document) == ["$schema", "jobId", "jobStatus", "jobResult", "jobStart", "jobEnd", "errors"]
    assert document["$schema"] == SCHEMA + "configure-status/2022-07-01"
    assert re.fullmatch(GUID, document["jobId"]) and TIMESTAMP.match(document["jobStart"])
    assert (document["jobStatus"], document["jobResult"], document["jobEnd"], document["errors"]) == (
        "notStarted", "pending", "0001-01-01T00:00:00", []
    )
    job_id = document["jobId"]
    assert pi.job(job_id) == document

    # The live entry reuses the preview's ID (docs/product-ingestion-api.md §5) and runs from the moment the job exists.
    live = pi.entry(guid, "live")
    assert live is not None and (live["id"], live["status"], live["result"]) == (
        f"submission/{guid}/1", "running", "pending"
    )
    clock.advance(JOB_SECONDS / 2)
    assert (pi.job(job_id)["jobStatus"], pi.job(job_id)["jobResult"]) == ("running", "pending")
    clock.advance(JOB_SECONDS / 2)
    done = pi.job(job_id)
    assert (done["jobStatus"], done["jobResult"], done["errors"]) == ("completed", "succeeded", [])
    assert TIMESTAMP.match(done["jobEnd"])
    live = pi.entry(guid, "live")
    assert live is not None and (live["status"], live["result"]) == ("running", "pending")  # still rolling out
    clock.advance(ROLLOUT_SECONDS)
    live, preview = pi.entry(guid, "live"), pi.entry(guid, "preview")
    assert live is not None and preview is not None
    assert (live["id"], live["status"], live["result"]) == (preview["id"], "completed", "succeeded")
    again = pi.post(golive_body(guid))
    assert again.status_code == 400 and "already went live" in again.json()["error"]["message"]


def _body_with(guid: str, change: str) -> Any:
    body = golive_body(guid)
    resource = body["resources"][0]
    if change == "azureedge":
        body["$schema"] = "https://product-ingestion.azureedge.net/schema/configure/2022-03-01-preview2"
    elif change == "two-resources":
        body["resources"].append(copy.deepcopy(resource))
    elif change == "product-resource":
        resource["$schema"] = SCHEMA + "product/2022-03-01-preview2"
    elif change == "preview7":
        resource["$schema"] = SCHEMA + "submission/2022-03-01-preview7"
    elif change == "other-product":
        resource["product"] = "product/00000000-0000-0000-0000-000000000000"
        resource["id"] = "submission/00000000-0000-0000-0000-000000000000/1"
    elif change == "bare-product":
        resource["product"] = guid
    elif change == "no-id":
        del resource["id"]
    elif change == "foreign-id":
        resource["id"] = "submission/00000000-0000-0000-0000-000000000000/1"
    elif change == "preview-target":
        resource["target"] = {"targetType": "preview"}
    elif change == "not-json":
        return b"{not json"
    return body


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("azureedge", "Schema 'https://product-ingestion.azureedge.net/schema/configure/2022-03-01-preview2' "
         "could not be accessed"),
        ("two-resources", "exactly one submission resource"),
        ("product-resource", "exactly one submission resource"),
        ("preview7", "Required properties [sources] were not present"),
        ("other-product", "does not exist"),
        ("bare-product", "'product' must be 'product/<guid>'"),
        ("no-id", "'id' is required"),
        ("foreign-id", "is not a submission of product/"),
        ("preview-target", "target.targetType must be 'live'"),
        ("not-json", "not valid JSON"),
    ],
)
def test_configure_bodies_are_validated_strictly(sim: Simulator, pi: Pi, change: str, fragment: str) -> None:
    guid = sim.add_product("vm1", state="ready")
    response = pi.post(_body_with(guid, change))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "badRequest" and fragment in error["message"]
    assert pi.entry(guid, "live") is None  # nothing was started
    assert pi.post(golive_body(guid)).status_code == 202


@pytest.mark.parametrize("conflict_status", [409, 400])
def test_conflicts_while_a_publish_runs_or_the_id_is_stale(
    sim: Simulator, pi: Pi, clock: FakeClock, conflict_status: int
) -> None:
    sim.config.pi_conflict_status = conflict_status
    guid = sim.add_product("vm1", state="preview-running")
    busy = pi.post(golive_body(guid))
    assert busy.status_code == conflict_status
    assert busy.json() == {"error": {"code": "conflict", "message": "An In Progress submission already exists"}}
    clock.advance(PUBLISH_SECONDS)
    stale = pi.post(golive_body(guid, number=0))
    assert stale.status_code == conflict_status
    assert "The submission cannot be pushed to as its not the latest" in stale.json()["error"]["message"]
    assert pi.post(golive_body(guid)).status_code == 202
    # The rollout is a submission in progress too.
    clock.advance(JOB_SECONDS + ROLLOUT_SECONDS / 2)
    assert pi.post(golive_body(guid)).status_code == conflict_status


def test_job_id_spelling_and_200(sim: Simulator, pi: Pi) -> None:
    sim.config.pi_job_id_spelling = "jobID"
    sim.config.pi_configure_status = 200
    guid = sim.add_product("vm1")
    accepted = pi.post(golive_body(guid))
    assert accepted.status_code == 200
    assert "jobId" not in accepted.json()
    status = pi.job(accepted.json()["jobID"])
    assert "jobId" not in status and status["jobID"] == accepted.json()["jobID"]


@pytest.mark.parametrize(("option", "inner_code", "word"), [
    ("pi_fail_job", "invalidRequest", "technical configuration"),
    ("pi_certification_failure", "invalidState", "certification"),
])
def test_failed_jobs_carry_nested_errors_and_fail_the_live_entry(
    sim: Simulator, pi: Pi, clock: FakeClock, option: str, inner_code: str, word: str
) -> None:
    setattr(sim.config, option, True)
    guid = sim.add_product("vm1")
    job_id = pi.post(golive_body(guid)).json()["jobId"]
    clock.advance(JOB_SECONDS)
    failed = pi.job(job_id)
    assert (failed["jobStatus"], failed["jobResult"]) == ("completed", "failed")
    (error,) = failed["errors"]
    assert error["code"] == "businessValidationError" and error["message"]
    (detail,) = error["details"]
    assert detail["code"] == inner_code and word in detail["message"]
    assert detail["resourceId"] == f"submission/{guid}/1"
    live = pi.entry(guid, "live")
    assert live is not None and (live["status"], live["result"]) == ("completed", "failed")
    # That preview cannot go live again; a new preview can.
    setattr(sim.config, option, False)
    assert "publish a new preview first" in pi.post(golive_body(guid)).json()["error"]["message"]
    assert sim.publish_preview("vm1") == f"submission/{guid}/2"
    assert pi.post(golive_body(guid, number=2)).status_code == 409  # still publishing
    clock.advance(PUBLISH_SECONDS)
    assert pi.post(golive_body(guid, number=2)).status_code == 202


def test_start_pi_golive_without_http(sim: Simulator, pi: Pi) -> None:
    guid = sim.add_product("vm1")
    job_id = sim.start_pi_golive("vm1")
    assert pi.job(job_id)["jobStatus"] == "notStarted"
    with pytest.raises(SimulatorError) as refused:
        sim.start_pi_golive("vm1")
    assert refused.value.status == 409
    assert sim.counts() == {"GET /configure-status": 1}
    assert pi.entry(guid, "live") is not None
    with pytest.raises(ValueError):
        sim.add_product("vm2", state="gone")


# --- faults -------------------------------------------------------------------------------------------------------


def test_race_golive_is_one_shot(sim: Simulator, pi: Pi) -> None:
    sim.config.pi_race_golive = True
    first, second = sim.add_product("vm1"), sim.add_product("vm2")
    lost = pi.post(golive_body(first))
    assert lost.status_code == 409 and lost.json()["error"]["message"] == "An In Progress submission already exists"
    live = pi.entry(first, "live")
    assert live is not None and live["status"] == "running"  # the rival's go-live
    assert sim.config.pi_race_golive is False
    assert pi.post(golive_body(second)).status_code == 202


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_accepted_then_status_creates_the_job_once(sim: Simulator, pi: Pi, status: int) -> None:
    sim.config.pi_accepted_then_status = status
    first, second = sim.add_product("vm1"), sim.add_product("vm2")
    lost = pi.post(golive_body(first))
    assert lost.status_code == status and lost.headers["Content-Type"] == "text/html"
    live = pi.entry(first, "live")
    assert live is not None and live["status"] == "running"
    assert sim.config.pi_accepted_then_status == 0
    assert pi.post(golive_body(second)).status_code == 202


def test_golive_reset_drops_the_connection_once(sim: Simulator, pi: Pi) -> None:
    sim.config.pi_golive_reset = True
    first, second = sim.add_product("vm1"), sim.add_product("vm2")
    with pytest.raises(requests.ConnectionError):
        pi.post(golive_body(first))
    assert pi.entry(first, "live") is not None
    (record,) = [r for r in sim.requests if r.key == "POST /configure"]
    assert record.status is None
    assert pi.post(golive_body(second)).status_code == 202


def test_list_lag_hides_young_live_entries(sim: Simulator, pi: Pi, clock: FakeClock) -> None:
    sim.config.pi_list_lag_seconds = 3.0
    guid = sim.add_product("vm1")
    pi.post(golive_body(guid))
    assert pi.entry(guid, "live") is None
    clock.advance(3.0)
    assert pi.entry(guid, "live") is not None


def test_shared_faults_speak_pi_errors(sim: Simulator, pi: Pi) -> None:
    sim.add_product("vm1")
    sim.config.throttle_every, sim.config.retry_after = 2, 7
    assert pi.get("product").status_code == 200
    throttled = pi.get("product")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    assert throttled.json()["error"]["code"] == "tooManyRequests"
    sim.config.throttle_every = 0
    sim.reset_counts()
    sim.config.error500_every = 2
    assert pi.get("product").status_code == 200
    failed = pi.get("product")
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "internalServerError"
    sim.config.error500_every = 0
    sim.reset_counts()
    sim.config.unauthorized_once_after = 1
    statuses = [pi.get("product").status_code for _ in range(3)]
    assert statuses == [200, 401, 200]


def test_job_status_gets_reuse_the_polling_faults(sim: Simulator, pi: Pi) -> None:
    guid = sim.add_product("vm1")
    job_id = pi.post(golive_body(guid)).json()["jobId"]
    sim.config.reset_operation_gets = 1
    with pytest.raises(requests.ConnectionError):
        pi.get(f"configure/{job_id}/status")
    sim.config.malformed_json_every = 2
    assert pi.job(job_id)["jobId"] == job_id
    truncated = pi.get(f"configure/{job_id}/status")
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    sim.config.malformed_json_every = 0
    sim.config.stall_operation_gets, sim.config.stall_seconds = 1, 0.3
    started = time.monotonic()
    assert pi.job(job_id)["jobId"] == job_id
    assert time.monotonic() - started >= 0.3
    assert sim.config.stall_operation_gets == 0


def test_slow_seconds_delays_pi_answers(sim: Simulator, pi: Pi) -> None:
    sim.config.slow_seconds = 0.3
    started = time.monotonic()
    assert pi.get("product").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_request_journal_keys(sim: Simulator, pi: Pi) -> None:
    guid = sim.add_product("vm1")
    pi.get("product", {**VERSION, "externalId": "vm1"})
    pi.listing(guid)
    job_id = pi.post(golive_body(guid)).json()["jobId"]
    pi.job(job_id)
    pi.get("configure")
    assert sim.counts() == {
        "GET /product": 1,
        "GET /submission": 1,
        "POST /configure": 1,
        "GET /configure-status": 1,
        "GET /configure": 1,
    }
    journal = requests.get(sim.url + "/_sim/requests", timeout=10).json()
    assert journal["counts"] == sim.counts()
    assert TOKEN not in json.dumps(journal)


# --- the command line -------------------------------------------------------------------------------------------


def test_product_flag_is_parsed_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["--product", "vm1:live", "--product", "vm2", "--pi-job-id-spelling", "jobID"])
    assert args.product == [("vm1", "live"), ("vm2", "ready")]
    assert args.pi_job_id_spelling == "jobID"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--product", "vm1:gone"])
    assert "unknown state 'gone'" in capsys.readouterr().err


def test_cli_serves_pi_products_beside_cpp() -> None:
    env = {**os.environ, "CPP_SIM_TOKEN": "cli-token", "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_cpp_golive.simulator", "--port", "0", "--quiet", "--product", "vm7:live"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        found = re.fullmatch(r"CPP simulator listening on (http://127\.0\.0\.1:\d+)\n", process.stdout.readline())
        assert found
        banner = [process.stdout.readline() for _ in range(3)]  # the base URLs and the token: then nothing more
        assert f"{found.group(1)}/rp/product-ingestion" in banner[1], banner
        headers = {"Authorization": "Bearer cli-token"}
        url = found.group(1) + "/rp/product-ingestion/product"
        (product,) = requests.get(url, params=VERSION, headers=headers, timeout=10).json()["value"]
        assert product["identity"] == {"externalId": "vm7"}
        guid = product["id"].split("/")[1]
        listing = requests.get(
            f"{found.group(1)}/rp/product-ingestion/submission/{guid}", params=VERSION, headers=headers, timeout=10
        ).json()["value"]
        assert [(e["target"]["targetType"], e.get("result")) for e in listing] == [
            ("draft", None), ("preview", "succeeded"), ("live", "succeeded")
        ]
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and stdout == ""  # nothing after the banner
