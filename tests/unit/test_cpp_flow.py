"""The go-live on CPP from end to end inside one process: the machine, CppOfferApi and CppClient over azure-core,
with CPP's answers served by ``responses``. The machine's own rules, on a fake API, are in test_machine.py."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from pulumi_cpp_golive.errors import (
    AmbiguousGoLiveError,
    ApiError,
    GoLiveCancelledError,
    GoLiveError,
    GoLiveFailedError,
    GoLiveTimeoutError,
    OfferNotReadyError,
)
from pulumi_cpp_golive.golive import GoLiveMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.transport import NotSentError

from .conftest import BASE, OFFER, FakeClock

OP_ID = "408a4835-0000-1000-0000-000000000000"
OP_PATH = f"/api/publishers/contoso/offers/vm1/operations/{OP_ID}"
OP_URL = f"{BASE}{OP_PATH}"
SPEC = GoLiveSpec("contoso", "vm1", poll_interval=30.0)


def submissions(*items: dict[str, Any]) -> None:
    responses.get(f"{OFFER}/submissions/", json=list(items))


def offer_status(status: str, steps: list[dict[str, Any]] | None = None) -> None:
    responses.get(f"{OFFER}/status", json={"status": status, "steps": steps or []})


def golive_submission(state: str = "running", op_id: str = OP_ID) -> dict[str, Any]:
    return {"id": op_id, "submissionType": "goLive", "submissionState": state,
            "changedTime": "2026-11-24T10:00:00.0000000Z"}


def op(status: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "steps": [], **extra}


def posts() -> int:
    return sum(1 for c in responses.calls if c.request.method == "POST")


def ready_offer() -> None:
    submissions()
    offer_status("waitingForPublisherReview",
                 [{"id": "publisher-signoff", "stepName": "Publisher signoff", "status": "waitingForPublisherReview"}])


@responses.activate
def test_posts_once_then_waits_until_complete(machine: GoLiveMachine, fake_clock: FakeClock, lines: list[str]) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202, headers={"Location": f"{OP_PATH}?api-version=2017-10-31"})
    responses.get(OP_URL, json=op("running"))
    responses.get(OP_URL, json=op("running"))
    responses.get(OP_URL, json=op("complete"))
    record = machine.create(SPEC)
    assert posts() == 1
    assert record.status == "succeeded" and record.operation_id == OP_ID
    assert record.operation_location == f"{OP_PATH}?api-version=2017-10-31"
    assert record.completed_at == "2026-11-25T00:00:00Z"
    assert fake_clock.sleeps == [30.0, 30.0]
    assert any("go-live accepted: operation " + OP_ID in line for line in lines)


@responses.activate
def test_adopts_a_running_golive_without_posting(machine: GoLiveMachine, lines: list[str]) -> None:
    submissions({"id": "pub-1", "submissionType": "publish", "submissionState": "running"}, golive_submission())
    responses.get(OP_URL, json=op("Completed"))
    record = machine.create(SPEC)
    assert posts() == 0
    assert record.operation_id == OP_ID and record.status == "succeeded"
    assert "adopting go-live operation" in lines[0]
    assert "status=running" in str(responses.calls[0].request.url)


@responses.activate
def test_never_published_offer_is_refused_without_posting(machine: GoLiveMachine) -> None:
    submissions()
    offer_status("NeverPublished")
    with pytest.raises(OfferNotReadyError, match="never published to preview"):
        machine.create(SPEC)
    assert posts() == 0


@responses.activate
def test_already_live_offer_adopts_its_last_golive(machine: GoLiveMachine) -> None:
    responses.get(f"{OFFER}/submissions/", json=[], match=[responses.matchers.query_param_matcher(
        {"api-version": "2017-10-31", "status": "running"})])
    offer_status("succeeded")
    responses.get(f"{OFFER}/submissions/", json=[golive_submission("complete")])
    record = machine.create(SPEC)
    assert posts() == 0
    assert record.status == "succeeded" and record.operation_id == OP_ID


@responses.activate
def test_failed_operation_names_the_id_and_cpp_messages(machine: GoLiveMachine) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202, headers={"Location": OP_PATH})
    responses.get(OP_URL, json=op("failed", messages=[{"messageHtml": "Certification failed", "level": "error"}]))
    with pytest.raises(GoLiveFailedError) as caught:
        machine.create(SPEC)
    text = str(caught.value)
    assert OP_ID in text and "ended failed" in text and "Certification failed" in text
    assert caught.value.record.status == "failed"


@responses.activate
def test_timeout_keeps_the_operation_and_says_how_to_resume(machine: GoLiveMachine, fake_clock: FakeClock) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202, headers={"Location": OP_PATH})
    responses.get(OP_URL, json=op("running"))
    with pytest.raises(GoLiveTimeoutError) as caught:
        machine.create(GoLiveSpec("contoso", "vm1", poll_interval=30.0, timeout=100.0))
    assert "re-run `pulumi up` to resume" in str(caught.value)
    assert caught.value.record.operation_id == OP_ID
    assert fake_clock.sleeps == [30.0, 30.0, 30.0, 10.0]
    assert posts() == 1


@responses.activate
def test_cancel_stops_the_wait_and_keeps_the_record(machine: GoLiveMachine, fake_clock: FakeClock) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202, headers={"Location": OP_PATH})
    responses.get(OP_URL, json=op("running"))
    fake_clock.cancel_after = 2
    with pytest.raises(GoLiveCancelledError) as caught:
        machine.create(SPEC)
    assert caught.value.record.operation_id == OP_ID
    assert len(fake_clock.sleeps) == 2


@responses.activate
def test_retry_after_on_the_operation_overrides_the_interval(machine: GoLiveMachine, fake_clock: FakeClock) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    responses.get(OP_URL, json=op("running"), headers={"Retry-After": "7"})
    responses.get(OP_URL, json=op("running"), headers={"Retry-After": "0"})
    responses.get(OP_URL, json=op("succeeded"))
    machine.wait(SPEC, record)
    assert fake_clock.sleeps == [7.0, 0.25]


def reset_after_sending() -> requests.ConnectionError:
    # What requests raises when the server drops the connection after reading the request.
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


@responses.activate
def test_ambiguous_post_adopts_the_operation_it_started(machine: GoLiveMachine, lines: list[str]) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", body=reset_after_sending())
    submissions(golive_submission())  # the next look at the list sees the operation the POST started
    record = machine.start(SPEC)
    assert posts() == 1
    assert record.operation_id == OP_ID
    assert any("ended ambiguously" in line for line in lines)


@responses.activate
def test_ambiguous_post_with_nothing_to_adopt_is_not_reposted(machine: GoLiveMachine, fake_clock: FakeClock) -> None:
    machine.adopt_window = 10.0
    ready_offer()
    responses.post(f"{OFFER}/golive", body=reset_after_sending())
    with pytest.raises(AmbiguousGoLiveError, match="nothing was re-posted"):
        machine.start(SPEC)
    assert posts() == 1
    lists = [c for c in responses.calls if "/submissions/" in str(c.request.url)]
    assert len(lists) == 1 + 5  # the survey's look, then a look after each pause of the 10 s adopt window
    assert fake_clock.sleeps == [0.5, 1.0, 2.0, 4.0, 2.5]


@responses.activate
def test_post_that_never_left_is_retried_a_bounded_number_of_times(machine: GoLiveMachine) -> None:
    ready_offer()
    # "Never sent" is the transport's verdict from its sockets (a mocked adapter has none): the verdict itself.
    responses.post(f"{OFFER}/golive", body=NotSentError("not sent: Connection refused"))
    with pytest.raises(AmbiguousGoLiveError):
        machine.start(SPEC)
    assert posts() == 3


@responses.activate
def test_post_answered_500_in_cpps_own_shape_is_looked_for_never_posted_again(machine: GoLiveMachine) -> None:
    # Seen: a 500 with CPP's error body after the go-live had started; it was listed a moment later.
    ready_offer()
    responses.post(f"{OFFER}/golive", status=500, json={"error": {"code": "InternalServerError", "message": "later"}})
    responses.get(f"{OFFER}/submissions/", json=[
        {"id": OP_ID, "submissionType": "goLive", "submissionState": "running", "changedTime": "2026-11-24T10:00Z"}])
    record = machine.start(SPEC)
    assert posts() == 1
    assert record.operation_id == OP_ID


@responses.activate
def test_post_refused_with_4xx_is_raised_as_is(machine: GoLiveMachine) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=400,
                   json={"error": {"code": "InvalidOperation", "message": "not waiting for sign-off"}})
    with pytest.raises(ApiError, match="HTTP 400 InvalidOperation: not waiting for sign-off"):
        machine.start(SPEC)
    assert posts() == 1


@responses.activate
def test_202_without_tracking_header_is_recovered_from_the_list(machine: GoLiveMachine, lines: list[str]) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202)
    submissions(golive_submission())
    record = machine.start(SPEC)
    assert record.operation_id == OP_ID and posts() == 1
    assert any("neither a Location nor an Operation-Location" in line for line in lines)


@responses.activate
def test_foreign_tracking_url_is_refused_and_the_token_not_sent(machine: GoLiveMachine) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202, headers={"Operation-Location": "https://evil.example/api/operations/x"})
    submissions(golive_submission())
    record = machine.start(SPEC)
    assert record.operation_location.startswith("/api/publishers/contoso/offers/vm1/operations/")
    assert all("evil.example" not in str(c.request.url) for c in responses.calls)


@responses.activate
def test_unknown_status_keeps_waiting_and_is_reported(machine: GoLiveMachine, lines: list[str]) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    responses.get(OP_URL, json=op("Validating"))
    responses.get(OP_URL, json=op("Validating"))
    responses.get(OP_URL, json=op("complete"))
    assert machine.wait(SPEC, record).status == "succeeded"
    assert sum("unknown status 'Validating'" in line for line in lines) == 1


@responses.activate
def test_transient_poll_errors_are_ridden_out(machine: GoLiveMachine, lines: list[str]) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    for _ in range(4):  # one failed poll = 1 try + 3 retries inside the client
        responses.get(OP_URL, status=503)
    responses.get(OP_URL, body="{not json")
    responses.get(OP_URL, json=op("complete"))
    assert machine.wait(SPEC, record).status == "succeeded"
    assert sum("will retry" in line for line in lines) == 2


@responses.activate
def test_too_many_poll_failures_give_up_with_the_id(machine: GoLiveMachine) -> None:
    machine.max_transient_errors = 2
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    responses.get(OP_URL, body="{not json")
    with pytest.raises(GoLiveError, match=f"gave up polling go-live operation {OP_ID}"):
        machine.wait(SPEC, record)


@responses.activate
def test_operation_404_during_wait_is_resolved_from_the_list(machine: GoLiveMachine) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    responses.get(OP_URL, status=404, json={"error": {"code": "NotFound", "message": "no such operation"}})
    submissions(golive_submission("complete"))
    assert machine.wait(SPEC, record).status == "succeeded"


@responses.activate
def test_forbidden_during_wait_keeps_the_id_in_the_error(machine: GoLiveMachine) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    responses.get(OP_URL, status=403, json={"error": {"code": "Forbidden", "message": "not registered"}})
    with pytest.raises(GoLiveError) as caught:
        machine.wait(SPEC, record)
    assert f"(operation {OP_ID})" in str(caught.value) and "HTTP 403 Forbidden" in str(caught.value)


@responses.activate
def test_refresh_keeps_recorded_state_when_the_operation_is_gone(machine: GoLiveMachine) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "succeeded", "t0", "t1")
    responses.get(OP_URL, status=404)
    assert machine.refresh(record).status == "succeeded"
    responses.replace(responses.GET, OP_URL, json=op("failed"))
    assert machine.refresh(record).status == "failed"


@pytest.mark.parametrize(("retry_after", "failures", "pause"), [
    (None, 0, 30.0),  # the resource's poll interval
    (7.0, 0, 7.0),  # the server's Retry-After wins
    (0.0, 0, 0.25),  # never a busy loop
    (None, 1, 10.0),  # after a failed poll: 5 s doubling, below the interval
    (None, 2, 20.0),
    (None, 3, 30.0),  # ... never above it
    (120.0, 3, 120.0),  # a Retry-After after failures is still obeyed
])
def test_pause_before_next_poll(machine: GoLiveMachine, retry_after: float | None, failures: int, pause: float) -> None:
    assert machine._pause_before_next_poll(SPEC, retry_after, failures) == pause
    assert machine._pause_before_next_poll(GoLiveSpec("contoso", "vm1"), None, 0) == machine.default_poll_interval


@responses.activate
def test_progress_reports_each_change_once(machine: GoLiveMachine, lines: list[str]) -> None:
    ready_offer()
    responses.post(f"{OFFER}/golive", status=202, headers={"Location": f"{OP_PATH}?api-version=2017-10-31"})
    signoff = {"stepName": "Publisher signoff", "status": "complete"}
    for percent in (10, 10, 40):
        responses.get(OP_URL, json=op("running", steps=[signoff, {"stepName": "Live", "status": "inProgress",
                                                                   "progressPercentage": percent}]))
    responses.get(OP_URL, json=op("complete", steps=[signoff, {"stepName": "Live", "status": "complete"}]))
    machine.create(SPEC)
    progress = [line.split(f"operation {OP_ID}: ", 1)[1] for line in lines if f"operation {OP_ID}: " in line]
    assert progress == ["status: running", "Publisher signoff: complete", "Live: inProgress 10%",
                        "Live: inProgress 40%", "status: complete", "Live: complete"]
