"""Publishing to preview in the simulator, over real loopback HTTP under a fake clock: CPP's ``POST .../publish``
(tracking headers, emails, the operation at each stage, conflicts, faults) and PI's ``configure`` with target
``preview`` (jobs, preview entries, unchanged drafts, conflicts, faults), the control plane and the counting keys."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig, SimulatorError
from pulumi_cpp_golive.simulator.__main__ import build_parser

from .conftest import FakeClock

TOKEN = "sim-token"
PARAMS = {"api-version": "2017-10-31"}
VERSION = {"$version": "2022-07-01"}
OFFER_PATH = "/api/publishers/contoso/offers/vm1"
SCHEMA = "https://schema.mp.microsoft.com/schema/"
EMAILS = "a@x.com,b@y.com"
# A publish outlasts its PI job here, so that "job done, preview still certifying" is a state the tests can see.
PUBLISH_SECONDS, GOLIVE_SECONDS, JOB_SECONDS, ROLLOUT_SECONDS = 6.0, 10.0, 2.0, 3.0
NO_CHANGES = {"code": "noChanges", "message": "The draft submission has no changes to publish."}


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    config = SimulatorConfig(
        publish_seconds=PUBLISH_SECONDS,
        golive_seconds=GOLIVE_SECONDS,
        pi_job_seconds=JOB_SECONDS,
        pi_rollout_seconds=ROLLOUT_SECONDS,
    )
    with Simulator(config, clock=clock) as simulator:
        yield simulator


class Cpp:
    """requests against the CPP routes of ``sim``: token and api-version by default."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {TOKEN}"

    def post(self, action: str, body: Optional[Any] = None, data: Optional[bytes] = None) -> requests.Response:
        payload = data if data is not None else None if body is None else json.dumps(body).encode()
        return self.session.post(f"{self.sim.url}{OFFER_PATH}/{action}", params=PARAMS, data=payload, timeout=10)

    def publish(self, emails: str = EMAILS) -> requests.Response:
        return self.post("publish", {"metadata": {"notification-emails": emails}})

    def get(self, path: str, **query: str) -> Any:
        response = self.session.get(self.sim.url + path, params={**PARAMS, **query}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def poll(self, location: str) -> Dict[str, Any]:
        """GET a tracking path exactly as the 202 gave it (it carries api-version)."""
        response = self.session.get(self.sim.url + location, timeout=10)
        assert response.status_code == 200, response.text
        body: Dict[str, Any] = response.json()
        return body

    def submissions(self, **query: str) -> List[Dict[str, Any]]:
        listed: List[Dict[str, Any]] = self.get(OFFER_PATH + "/submissions", **query)
        return listed

    def offer_status(self) -> str:
        status: str = self.get(OFFER_PATH + "/status")["status"]
        return status


class Pi:
    """requests against the PI routes of ``sim``: token and ``$version`` by default."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {TOKEN}"

    def configure(self, body: Any) -> requests.Response:
        return self.session.post(f"{self.sim.pi_url}/configure", params=VERSION, data=json.dumps(body), timeout=10)

    def publish(self, guid: str, number: int = 0) -> requests.Response:
        return self.configure(configure_body(guid, "preview", number))

    def listing(self, guid: str) -> Dict[str, Dict[str, Any]]:
        """The listing by target type (the listing holds at most one entry per target)."""
        response = self.session.get(f"{self.sim.pi_url}/submission/{guid}", params=VERSION, timeout=10)
        assert response.status_code == 200, response.text
        return {entry["target"]["targetType"]: entry for entry in response.json()["value"]}

    def job(self, job_id: str) -> Dict[str, Any]:
        response = self.session.get(f"{self.sim.pi_url}/configure/{job_id}/status", params=VERSION, timeout=10)
        assert response.status_code == 200, response.text
        body: Dict[str, Any] = response.json()
        return body


def configure_body(guid: str, target: str, number: int) -> Dict[str, Any]:
    """A configure body as CPUB's submit_to_status builds it (docs/product-ingestion-api.md §3, §10)."""
    return {
        "$schema": SCHEMA + "configure/2022-03-01-preview2",
        "resources": [
            {
                "$schema": SCHEMA + "submission/2022-03-01-preview2",
                "id": f"submission/{guid}/{number}",
                "product": f"product/{guid}",
                "target": {"targetType": target},
            }
        ],
    }


def progress(entry: Dict[str, Any]) -> tuple[str, str, str]:
    return entry["id"], entry["status"], entry["result"]


def step_states(operation: Dict[str, Any]) -> Dict[str, str]:
    return {step["id"]: step["status"] for step in operation["steps"]}


@pytest.fixture
def cpp(sim: Simulator) -> Cpp:
    return Cpp(sim)


@pytest.fixture
def pi(sim: Simulator) -> Pi:
    return Pi(sim)


# --- CPP: the publish POST ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header_variant", "id_style"),
    [("both", "guid"), ("location", "dollar"), ("operation-location", "guid")],
)
def test_cpp_publish_answers_202_with_the_golive_tracking_headers(
    sim: Simulator, cpp: Cpp, header_variant: str, id_style: str
) -> None:
    sim.config.header_variant, sim.config.id_style = header_variant, id_style
    sim.add_offer("contoso", "vm1", state="never-published")
    response = cpp.publish()
    assert response.status_code == 202 and response.content == b""
    (listed,) = cpp.submissions()
    assert (listed["submissionType"], listed["definition"]["metadata"]["emails"]) == ("publish", EMAILS)
    expected = sim.tracking_path(listed["id"])
    if header_variant == "operation-location":
        assert "Location" not in response.headers
        assert response.headers["Operation-Location"] == sim.url + expected.partition("?")[0]
    else:
        assert response.headers["Location"] == expected
        assert response.headers.get("Operation-Location") == (expected if header_variant == "both" else None)
    if id_style == "dollar":
        assert expected.startswith("/api/operations/contoso$vm1$")
        # Non-migrated offers' operations carry the emails the publish was given.
        assert cpp.poll(expected)["notificationEmails"] == EMAILS
    polled = {"GET /operations": 1} if id_style == "dollar" else {}
    assert sim.counts() == {"POST /publish": 1, "GET /submissions": 1, **polled}


def test_cpp_publish_waits_at_signoff_until_a_golive_follows(sim: Simulator, cpp: Cpp, clock: FakeClock) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    location = cpp.publish().headers["Location"]

    clock.advance(PUBLISH_SECONDS / 2)
    running = cpp.poll(location)
    assert (running["status"], running["cancellationRequestState"]) == ("running", "canCancel")
    assert step_states(running) == {
        "displaydummycertify": "complete", "displaycertify": "complete", "displayprovision": "inProgress",
        "displaypackage": "notStarted", "publisher-signoff": "notStarted", "live": "notStarted",
    }
    assert [s["submissionType"] for s in cpp.submissions(status="running")] == ["publish"]
    assert cpp.offer_status() == "running"
    assert cpp.post("golive").status_code == 400  # the publish is still running

    clock.advance(PUBLISH_SECONDS / 2)
    ready = cpp.poll(location)
    # The operation stays open at sign-off, as real CPP shows a preview that is ready for go-live ...
    assert (ready["status"], ready["messages"], ready["cancellationRequestState"]) == ("running", [], "cannotCancel")
    assert step_states(ready) == {
        "displaydummycertify": "complete", "displaycertify": "complete", "displayprovision": "complete",
        "displaypackage": "complete", "publisher-signoff": "waitingForPublisherReview", "live": "notStarted",
    }
    # ... while the list and the offer status say what go-live flows rely on.
    assert cpp.submissions(status="running") == []
    assert [s["submissionState"] for s in cpp.submissions()] == ["complete"]
    assert cpp.offer_status() == "waitingForPublisherReview"

    golive = cpp.post("golive")
    assert golive.status_code == 202
    done = cpp.poll(location)
    assert (done["status"], done["cancellationRequestState"]) == ("complete", "cannotCancel")
    assert step_states(done)["publisher-signoff"] == "complete"
    assert cpp.poll(golive.headers["Location"])["status"] == "running"
    clock.advance(GOLIVE_SECONDS)
    assert cpp.offer_status() == "succeeded"
    assert cpp.poll(location)["status"] == "complete"


def test_cpp_publish_is_refused_while_an_operation_runs_and_supersedes_one_at_signoff(
    sim: Simulator, cpp: Cpp, clock: FakeClock
) -> None:
    sim.config.conflict_status = 409
    sim.add_offer("contoso", "vm1", state="ready")
    assert cpp.post("golive").status_code == 202
    busy = cpp.publish()
    assert busy.status_code == 409
    error = busy.json()["error"]
    assert error["code"] == "OperationInProgress" and "(goLive operation " in error["message"]
    clock.advance(GOLIVE_SECONDS)

    first = cpp.publish().headers["Location"]
    assert cpp.publish().status_code == 409  # its own publish is running too
    clock.advance(PUBLISH_SECONDS)
    assert cpp.poll(first)["status"] == "running"  # at sign-off
    second = cpp.publish()
    assert second.status_code == 202  # a publish at sign-off is no longer running: a new one may start
    assert cpp.poll(first)["status"] == "complete"
    assert cpp.poll(second.headers["Location"])["status"] == "running"
    assert [r.status for r in sim.requests if r.key == "POST /publish"] == [409, 202, 409, 202]


def test_cpp_publish_refuses_a_body_that_is_not_json(sim: Simulator, cpp: Cpp) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    response = cpp.post("publish", data=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestBody"
    assert cpp.submissions() == []
    assert cpp.post("publish").status_code == 202  # no body at all is fine


def test_cpp_fail_publish_fails_certification(sim: Simulator, cpp: Cpp, clock: FakeClock) -> None:
    sim.config.fail_publish = True
    sim.add_offer("contoso", "vm1", state="never-published")
    location = cpp.publish().headers["Location"]
    assert cpp.poll(location)["status"] == "running"
    clock.advance(PUBLISH_SECONDS)
    failed = cpp.poll(location)
    assert failed["status"] == "failed"
    assert [m["level"] for m in failed["messages"]] == ["error"]
    assert "Certification failed" in failed["messages"][0]["messageHtml"]
    states = step_states(failed)
    assert (states["displaydummycertify"], states["displaycertify"], states["publisher-signoff"]) == (
        "complete", "failed", "notStarted"
    )
    assert [s["submissionState"] for s in cpp.submissions()] == ["failed"]
    assert cpp.offer_status() == "failed"
    assert cpp.post("golive").status_code == 400  # nothing waits for sign-off


def test_cpp_publish_in_process_records_its_emails(sim: Simulator, cpp: Cpp) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    operation_id = sim.start_publish("contoso", "vm1", EMAILS)
    (listed,) = cpp.submissions()
    assert (listed["id"], listed["definition"]["metadata"]["emails"]) == (operation_id, EMAILS)
    with pytest.raises(SimulatorError) as refused:
        sim.start_publish("contoso", "vm1")
    assert refused.value.code == "OperationInProgress"


# --- CPP: faults on the publish POST ---------------------------------------------------------------------------------


def test_cpp_race_publish_is_one_shot_and_leaves_golive_faults_alone(sim: Simulator, cpp: Cpp) -> None:
    sim.config.race_publish, sim.config.race_golive, sim.config.golive_reset = True, True, True
    sim.add_offer("contoso", "vm1", state="never-published")
    lost = cpp.publish()
    assert lost.status_code == 400 and lost.json()["error"]["code"] == "OperationInProgress"
    (rival,) = cpp.submissions(status="running")
    assert (rival["submissionType"], rival["definition"]["metadata"]["emails"]) == ("publish", "")
    assert (sim.config.race_publish, sim.config.race_golive, sim.config.golive_reset) == (False, True, True)


@pytest.mark.parametrize("fault", ["accepted_then_status", "publish_reset"])
def test_cpp_lost_publish_answers_still_create_the_publish(sim: Simulator, cpp: Cpp, fault: str) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    if fault == "accepted_then_status":
        sim.config.accepted_then_status = 502
        response = cpp.publish()
        assert response.status_code == 502 and response.headers["Content-Type"] == "text/html"
    else:
        sim.config.publish_reset = True
        with pytest.raises(requests.ConnectionError):
            cpp.publish()
    assert [s["submissionType"] for s in cpp.submissions(status="running")] == ["publish"]
    assert getattr(sim.config, fault) in (0, False)  # one-shot
    assert cpp.publish().status_code == 400  # a retry meets the publish the lost answer created


def test_cpp_shared_faults_reach_the_publish(sim: Simulator, cpp: Cpp) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    sim.config.throttle_every, sim.config.retry_after = 1, 3
    throttled = cpp.publish()
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "3")
    sim.config.throttle_every, sim.config.omit_tracking_header = 0, True
    bare = cpp.publish()
    assert bare.status_code == 202 and not {"Location", "Operation-Location"} & set(bare.headers)
    assert sim.config.omit_tracking_header is False
    assert [r.status for r in sim.requests if r.key == "POST /publish"] == [429, 202]


# --- PI: configure with target preview -----------------------------------------------------------------------------


def test_pi_publish_from_a_draft_product_creates_the_first_preview(
    sim: Simulator, pi: Pi, clock: FakeClock
) -> None:
    guid = sim.add_product("vm1", state="draft")
    assert list(pi.listing(guid)) == ["draft"]  # an unpublished draft only
    accepted = pi.publish(guid)
    assert accepted.status_code == 202
    job = accepted.json()
    assert (job["jobStatus"], job["jobResult"], job["errors"]) == ("notStarted", "pending", [])
    listing = pi.listing(guid)
    assert progress(listing["preview"]) == (f"submission/{guid}/1", "running", "pending")
    draft = listing["draft"]
    assert (draft["id"], "status" in draft, "result" in draft) == (f"submission/{guid}/0", False, False)

    clock.advance(JOB_SECONDS / 2)
    assert pi.job(job["jobId"])["jobStatus"] == "running"
    clock.advance(JOB_SECONDS / 2)
    finished = pi.job(job["jobId"])
    assert (finished["jobStatus"], finished["jobResult"], finished["errors"]) == ("completed", "succeeded", [])
    # The job is done; certification of the preview goes on until publish_seconds after the POST.
    assert progress(pi.listing(guid)["preview"])[1] == "running"
    clock.advance(PUBLISH_SECONDS - JOB_SECONDS)
    assert progress(pi.listing(guid)["preview"]) == (f"submission/{guid}/1", "completed", "succeeded")
    assert pi.configure(configure_body(guid, "live", 1)).status_code == 202  # the preview can go live


def test_pi_publish_of_an_edited_draft_creates_preview_n_plus_1(sim: Simulator, pi: Pi, clock: FakeClock) -> None:
    guid = sim.add_product("vm1", state="live")
    edited = requests.post(f"{sim.url}/_sim/pi/products/vm1/edit-draft", timeout=10)
    assert edited.status_code == 200 and edited.json() == {"externalId": "vm1", "draftChanged": True}
    job_id = pi.publish(guid).json()["jobId"]
    listing = pi.listing(guid)
    assert progress(listing["preview"]) == (f"submission/{guid}/2", "running", "pending")
    assert progress(listing["live"]) == (f"submission/{guid}/1", "completed", "succeeded")
    clock.advance(PUBLISH_SECONDS)
    assert pi.job(job_id)["jobResult"] == "succeeded"
    assert progress(pi.listing(guid)["preview"]) == (f"submission/{guid}/2", "completed", "succeeded")


def test_pi_publish_of_an_unchanged_draft_fails_its_job(sim: Simulator, pi: Pi, clock: FakeClock) -> None:
    guid = sim.add_product("vm1", state="draft")
    pi.publish(guid)
    clock.advance(PUBLISH_SECONDS)
    before = pi.listing(guid)
    # The publish used the draft's changes up: a second one has nothing to publish.
    again = pi.publish(guid)
    assert again.status_code == 202
    clock.advance(JOB_SECONDS)
    failed = pi.job(again.json()["jobId"])
    assert (failed["jobStatus"], failed["jobResult"]) == ("completed", "failed")
    assert failed["errors"] == [{"resourceId": f"submission/{guid}/0", **NO_CHANGES}]
    assert pi.listing(guid) == before  # no preview entry was created

    sim.edit_draft("vm1")
    assert pi.publish(guid).status_code == 202
    assert progress(pi.listing(guid)["preview"]) == (f"submission/{guid}/2", "running", "pending")


@pytest.mark.parametrize("state", ["ready", "live", "preview-failed"])
def test_pi_products_beyond_draft_start_without_changes(sim: Simulator, pi: Pi, clock: FakeClock, state: str) -> None:
    guid = sim.add_product("vm1", state=state)
    job_id = pi.publish(guid).json()["jobId"]
    clock.advance(JOB_SECONDS)
    assert pi.job(job_id)["errors"][0]["code"] == "noChanges"
    edited = sim.add_product("vm2", state=state, draft_changed=True)
    assert pi.publish(edited).status_code == 202
    assert progress(pi.listing(edited)["preview"]) == (f"submission/{edited}/2", "running", "pending")


@pytest.mark.parametrize("conflict_status", [409, 400])
def test_pi_publish_conflicts_while_a_submission_is_in_progress(
    sim: Simulator, pi: Pi, clock: FakeClock, conflict_status: int
) -> None:
    sim.config.pi_conflict_status = conflict_status
    guid = sim.add_product("vm1", state="preview-running", draft_changed=True)
    conflict = {"error": {"code": "conflict", "message": "An In Progress submission already exists"}}
    busy = pi.publish(guid)
    assert (busy.status_code, busy.json()) == (conflict_status, conflict)
    clock.advance(PUBLISH_SECONDS)
    assert pi.publish(guid).status_code == 202
    own = pi.publish(guid)  # its own preview is in progress now
    assert (own.status_code, own.json()) == (conflict_status, conflict)
    assert pi.configure(configure_body(guid, "live", 2)).status_code == conflict_status
    clock.advance(PUBLISH_SECONDS)
    assert pi.configure(configure_body(guid, "live", 2)).status_code == 202
    assert pi.publish(guid).status_code == conflict_status  # the go-live's rollout is in progress too


@pytest.mark.parametrize(
    ("resource_id", "fragment"),
    [
        ("submission/{guid}/1", "A publish to preview names the draft submission submission/{guid}/0"),
        ("submission/00000000-0000-0000-0000-000000000000/0", "is not a submission of product/{guid}"),
        ("draft", "is not a submission of product/{guid}"),
    ],
)
def test_pi_publish_must_name_the_draft(sim: Simulator, pi: Pi, resource_id: str, fragment: str) -> None:
    guid = sim.add_product("vm1", state="ready", draft_changed=True)
    body = configure_body(guid, "preview", 0)
    body["resources"][0]["id"] = resource_id.format(guid=guid)
    response = pi.configure(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "badRequest" and fragment.format(guid=guid) in error["message"]
    assert progress(pi.listing(guid)["preview"]) == (f"submission/{guid}/1", "completed", "succeeded")


def test_pi_faults_reach_the_publish_configure(sim: Simulator, pi: Pi) -> None:
    first = sim.add_product("vm1", state="draft")
    second = sim.add_product("vm2", state="draft")
    third = sim.add_product("vm3", state="draft")
    sim.config.throttle_every = 1
    assert pi.publish(first).status_code == 429
    sim.config.throttle_every = 0
    assert "preview" not in pi.listing(first)  # a throttled POST starts nothing
    sim.config.pi_accepted_then_status = 503
    lost = pi.publish(first)
    assert lost.status_code == 503 and lost.headers["Content-Type"] == "text/html"
    assert progress(pi.listing(first)["preview"])[1] == "running"  # created all the same
    sim.config.pi_golive_reset = True
    with pytest.raises(requests.ConnectionError):
        pi.publish(second)
    assert progress(pi.listing(second)["preview"])[1] == "running"
    sim.config.pi_race_golive = True
    raced = pi.publish(third)
    assert raced.status_code == 409 and progress(pi.listing(third)["preview"])[0] == f"submission/{third}/1"
    assert (sim.config.pi_accepted_then_status, sim.config.pi_golive_reset, sim.config.pi_race_golive) == (
        0, False, False
    )


def test_pi_fail_job_fails_the_publish_and_its_preview(sim: Simulator, pi: Pi, clock: FakeClock) -> None:
    sim.config.pi_fail_job = True
    guid = sim.add_product("vm1", state="draft")
    job_id = pi.publish(guid).json()["jobId"]
    clock.advance(JOB_SECONDS)
    job = pi.job(job_id)
    assert job["jobResult"] == "failed"
    assert job["errors"][0]["message"] == f"The publish of submission/{guid}/1 to preview failed validation."
    assert progress(pi.listing(guid)["preview"]) == (f"submission/{guid}/1", "completed", "failed")


# --- control plane and counting keys ------------------------------------------------------------------------------


def test_out_of_band_preview_over_http_and_in_process(sim: Simulator, pi: Pi, clock: FakeClock) -> None:
    guid = sim.add_product("vm1", state="ready")
    control = f"{sim.url}/_sim/pi/products"
    published = requests.post(f"{control}/vm1/publish-preview", timeout=10)
    assert (published.status_code, published.json()) == (200, {"id": f"submission/{guid}/2"})
    assert progress(pi.listing(guid)["preview"]) == (f"submission/{guid}/2", "running", "pending")
    busy = requests.post(f"{control}/vm1/publish-preview", timeout=10)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conflict"
    clock.advance(PUBLISH_SECONDS)
    assert sim.publish_preview("vm1") == f"submission/{guid}/3"
    for action in ("publish-preview", "edit-draft"):
        unknown = requests.post(f"{control}/nope/{action}", timeout=10)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "notFound"
    assert [r.key for r in sim.requests] == ["GET /submission"]  # the control plane is never recorded


def test_counting_keys_tell_publishes_from_golives(sim: Simulator, cpp: Cpp, pi: Pi, clock: FakeClock) -> None:
    sim.add_offer("contoso", "vm1", state="never-published")
    guid = sim.add_product("vm1", state="draft")
    assert cpp.publish().status_code == 202
    assert pi.publish(guid).status_code == 202
    clock.advance(PUBLISH_SECONDS)
    assert cpp.post("golive").status_code == 202
    assert pi.configure(configure_body(guid, "live", 1)).status_code == 202
    assert pi.session.post(f"{sim.pi_url}/configure", params=VERSION, data=b"{", timeout=10).status_code == 400
    assert sim.counts() == {
        "POST /publish": 1, "POST /golive": 1, "POST /configure preview": 1, "POST /configure": 2
    }


def test_edit_draft_and_fail_publish_flags() -> None:
    args = build_parser().parse_args(["--product", "vm1:live", "--edit-draft", "vm1", "--fail-publish"])
    assert (args.product, args.edit_draft, args.fail_publish) == ([("vm1", "live")], ["vm1"], True)
    assert build_parser().parse_args([]).edit_draft == []


@pytest.mark.parametrize("state", ["ready", "live"])
def test_an_edited_offer_has_a_version_newer_than_its_last_publish(cpp: Cpp, state: str) -> None:
    cpp.sim.add_offer("contoso", "vm1", state=state)
    published = max(s["offerVersion"] for s in cpp.submissions() if s["submissionType"] == "publish")
    assert cpp.get(OFFER_PATH)["version"] == published  # nothing new: a publish would make the same preview
    cpp.sim.add_offer("contoso", "vm1", state=state, edited=True)
    assert cpp.get(OFFER_PATH)["version"] == published + 1


def test_edit_offer_flag() -> None:
    args = build_parser().parse_args(["--offer", "contoso/vm1:ready", "--edit-offer", "contoso/vm1"])
    assert args.edit_offer == [("contoso", "vm1")]
    assert build_parser().parse_args([]).edit_offer == []
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--edit-offer", "contoso"])
