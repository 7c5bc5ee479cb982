"""The publish to preview on CPP (``OfferPublish``) from end to end inside one process: OperationMachine,
CppPublishApi and CppClient over azure-core, with CPP's answers served by ``responses``.

Every test counts the requests it caused per method and path: a publish must be POSTed at most once, and never
while one is on its way to publisher sign-off."""

from __future__ import annotations

import collections
import dataclasses
import json
from typing import Any, Optional
from urllib.parse import urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.cpp_publish_api import CppPublishApi
from pulumi_cpp_golive.errors import AmbiguousGoLiveError, GoLiveFailedError, OfferNotReadyError
from pulumi_cpp_golive.golive import OperationMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.offer_api import PUBLISH, Lagging, OfferApi, Refuse
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.resource import GOING_LIVE, WAIT_ACCEPTED, WAIT_PREVIEW
from pulumi_cpp_golive.transport import NotSentError

from .conftest import BASE, OFFER, FakeClock

NOW = "2026-11-25T00:00:00Z"
OP_ID = "5b0c6e2a-1111-4000-8000-000000000001"  # the publish this run posts
OLD_ID = "5b0c6e2a-2222-4000-8000-000000000002"  # an earlier publish, waiting at sign-off
GOLIVE_ID = "5b0c6e2a-3333-4000-8000-000000000003"
OFFER_PATH = "/api/publishers/contoso/offers/vm1"
OP_PATH = f"{OFFER_PATH}/operations/{OP_ID}"
OLD_PATH = f"{OFFER_PATH}/operations/{OLD_ID}"
OP_URL = f"{BASE}{OP_PATH}"
OLD_URL = f"{BASE}{OLD_PATH}"
EMAILS = ("a@x.com", "b@y.com")
SPEC = GoLiveSpec("contoso", "vm1", wait=WAIT_PREVIEW, poll_interval=30.0, notification_emails=EMAILS)

SUBMISSIONS = f"{OFFER_PATH}/submissions/"
STATUS = f"{OFFER_PATH}/status"
PUBLISH_PATH = f"{OFFER_PATH}/publish"

SIGNOFF_WAITING = {"id": "publisher-signoff", "stepName": "Publisher signoff", "status": "waitingForPublisherReview"}
SIGNOFF_NOT_STARTED = {"id": "publisher-signoff", "stepName": "Publisher signoff", "status": "notStarted"}


def certification(status: str = "inProgress", **extra: Any) -> dict[str, Any]:
    return {"id": "certification", "stepName": "Certification", "status": status, **extra}


def op(status: str, *steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"status": status, "steps": list(steps), **extra}


ON_ITS_WAY = op("running", certification(progressPercentage=40), SIGNOFF_NOT_STARTED)
AT_SIGNOFF = op("running", certification("complete"), SIGNOFF_WAITING)


def entry(op_id: str, kind: str = "publish", state: str = "running",
          changed: str = "2026-11-24T10:00:00.0000000Z") -> dict[str, Any]:
    return {"id": op_id, "submissionType": kind, "submissionState": state, "changedTime": changed,
            "publisherId": "contoso", "offerId": "vm1"}


def running(*items: dict[str, Any]) -> None:
    """The next answer of the operations list (``status=running``, as the survey and look ask for it)."""
    responses.get(f"{OFFER}/submissions/", json=list(items),
                  match=[responses.matchers.query_param_matcher({"api-version": "2017-10-31", "status": "running"})])


def offer_status(status: str, *steps: dict[str, Any]) -> None:
    responses.get(f"{OFFER}/status", json={"status": status, "steps": list(steps)})


def offer_changed(changed: str, version: int = 2) -> None:
    """The offer summary (``GET .../offers/vm1``) with its definition last changed at ``changed``."""
    responses.get(OFFER, json={"id": "vm1", "publisherId": "contoso", "version": version, "changedTime": changed})


def everything(*items: dict[str, Any]) -> None:
    """The next answer of the unfiltered operations list."""
    responses.get(f"{OFFER}/submissions/", json=list(items),
                  match=[responses.matchers.query_param_matcher({"api-version": "2017-10-31"})])


def with_created(item: dict[str, Any], created: str) -> dict[str, Any]:
    return {**item, "createdDateTime": created}


def accepts_publish(op_path: str = OP_PATH) -> None:
    responses.post(f"{OFFER}/publish", status=202, headers={"Location": f"{op_path}?api-version=2017-10-31"})


def counts() -> collections.Counter[tuple[str, str]]:
    """The requests made so far, per method and path (query left out)."""
    return collections.Counter((call.request.method or "", urlsplit(str(call.request.url)).path)
                               for call in responses.calls)


def post_bodies() -> list[Any]:
    return [json.loads(call.request.body or b"null") for call in responses.calls if call.request.method == "POST"]


def reset_after_sending() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


@pytest.fixture
def api(client: CppClient) -> CppPublishApi:
    return CppPublishApi(client, now=lambda: NOW)


@pytest.fixture
def machine(api: CppPublishApi, fake_clock: FakeClock, lines: list[str]) -> OperationMachine:
    return OperationMachine(api, default_poll_interval=60.0, report=lines.append, clock=fake_clock.clock,
                            sleep=fake_clock.sleep, now=lambda: NOW, adopt_window=10.0)


def test_cpp_publish_api_is_an_offer_api_with_the_publish_words(api: CppPublishApi) -> None:
    checked: OfferApi = api
    assert checked.words is PUBLISH and checked.name == "CPP" and checked.listing == "operations list"


# ---- nothing running: one POST, then wait until the preview is ready ------------------------------------------


@responses.activate
def test_nothing_running_posts_once_with_the_emails_then_succeeds_at_signoff(
        machine: OperationMachine, fake_clock: FakeClock, lines: list[str]) -> None:
    running()
    offer_status("succeeded")
    accepts_publish()
    responses.get(OP_URL, json=op("running", certification("notStarted"), SIGNOFF_NOT_STARTED))
    responses.get(OP_URL, json=ON_ITS_WAY)
    responses.get(OP_URL, json=AT_SIGNOFF)  # the operation itself still says running
    record = machine.create(SPEC)

    assert post_bodies() == [{"metadata": {"notification-emails": "a@x.com,b@y.com"}}]
    post = next(call for call in responses.calls if call.request.method == "POST")
    assert "api-version=2017-10-31" in str(post.request.url)
    assert counts() == {("GET", SUBMISSIONS): 1, ("GET", STATUS): 1, ("POST", PUBLISH_PATH): 1, ("GET", OP_PATH): 3}
    assert record.status == "succeeded"
    assert record.operation_id == OP_ID and record.operation_location == f"{OP_PATH}?api-version=2017-10-31"
    assert (record.accepted_at, record.completed_at, record.messages) == (NOW, NOW, ())
    assert record.submission_id == "" and record.product_id == "" and record.api == "cpp"
    assert fake_clock.sleeps == [30.0, 30.0]
    assert any(f"publish accepted: operation {OP_ID}" in line for line in lines)
    assert any(f"publish operation {OP_ID} succeeded: preview ready" in line for line in lines)
    assert any("Publisher signoff: waitingForPublisherReview" in line for line in lines)
    assert any("Certification: inProgress 40%" in line for line in lines)


@responses.activate
def test_a_publish_that_completes_outright_also_succeeds(machine: OperationMachine) -> None:
    running()
    offer_status("neverPublished")  # a first publish: nothing blocks it
    accepts_publish()
    responses.get(OP_URL, json=op("complete", certification("complete")))
    record = machine.create(SPEC)
    assert record.status == "succeeded"
    assert counts()[("POST", PUBLISH_PATH)] == 1 and counts()[("GET", OP_PATH)] == 1


# ---- survey outcomes --------------------------------------------------------------------------------------------


@responses.activate
def test_a_running_publish_not_at_signoff_is_adopted_without_posting(
        machine: OperationMachine, lines: list[str]) -> None:
    running(entry(OP_ID))
    responses.get(OP_URL, json=ON_ITS_WAY)  # the survey's look: on its way
    responses.get(OP_URL, json=AT_SIGNOFF)  # the wait's first poll
    record = machine.create(SPEC)
    assert record.operation_id == OP_ID and record.status == "succeeded"
    assert record.accepted_at == "2026-11-24T10:00:00.0000000Z"
    assert counts() == {("GET", SUBMISSIONS): 1, ("GET", OP_PATH): 2}  # no offer status, no POST
    assert any(f"adopting publish operation {OP_ID} already running on the offer; no new publish was posted" in line
               for line in lines)


@responses.activate
def test_a_running_publish_whose_body_cannot_be_read_now_is_adopted_not_posted_over(
        machine: OperationMachine) -> None:
    machine.max_transient_errors = 50
    running(entry(OP_ID))
    responses.get(OP_URL, status=404, json={"error": {"code": "NotFound", "message": "not yet"}})
    responses.get(f"{OFFER}/submissions/", json=[entry(OP_ID)])  # the 404's look at the list: still running
    record = machine.start(SPEC)
    assert record.operation_id == OP_ID and record.status == "running"
    assert counts()[("POST", PUBLISH_PATH)] == 0


@responses.activate
def test_a_running_publish_already_at_signoff_does_not_block_a_new_one(machine: OperationMachine) -> None:
    old = with_created(entry(OLD_ID, changed="2026-11-20T10:00:00Z"), "2026-11-20T09:00:00Z")
    running(old)
    responses.get(OLD_URL, json=AT_SIGNOFF)
    offer_status("running", certification("complete"), SIGNOFF_WAITING)
    offer_changed("2026-11-21T08:00:00Z")  # a new version since the waiting publish started
    everything(old)
    accepts_publish()
    responses.get(OP_URL, json=ON_ITS_WAY)
    responses.get(OP_URL, json=AT_SIGNOFF)
    record = machine.create(SPEC)
    assert record.operation_id == OP_ID and record.status == "succeeded"
    assert post_bodies() == [{"metadata": {"notification-emails": "a@x.com,b@y.com"}}]
    assert counts() == {("GET", SUBMISSIONS): 2, ("GET", OLD_PATH): 1, ("GET", STATUS): 1, ("GET", OFFER_PATH): 1,
                        ("POST", PUBLISH_PATH): 1, ("GET", OP_PATH): 2}


@responses.activate
def test_a_preview_at_signoff_of_an_unchanged_offer_is_recorded_not_published_again(
        machine: OperationMachine, lines: list[str]) -> None:
    # A run killed during its publish comes back once the preview is ready: the offer has not changed since that
    # publish started, so a new POST would only certify the same version again.
    old = with_created(entry(OLD_ID, state="complete"), "2026-11-20T09:00:00Z")
    running()
    offer_status("waitingForPublisherReview", certification("complete"), SIGNOFF_WAITING)
    offer_changed("2026-11-20T08:59:00Z")
    everything(old)
    record = machine.create(SPEC)
    assert record.operation_id == OLD_ID and record.status == "succeeded"
    assert counts()[("POST", PUBLISH_PATH)] == 0
    assert any("the preview is already ready" in line and OLD_ID in line for line in lines)


@responses.activate
@pytest.mark.parametrize(("published", "offer_version", "created", "posts"), [
    (2, 2, None, 0),  # the offer's version is the one the publish took (the documented fields): recorded
    (1, 2, None, 1),  # edited since (version 2): a new publish
    (1, 2, "2026-11-21T09:00:00Z", 1),  # the versions decide, whatever the times say
    (None, 2, None, 1),  # no version on the entry and no creation time: nothing tells it is unchanged, so publish
], ids=["same-version", "newer-version", "versions-before-times", "nothing-to-compare"])
def test_whether_the_offer_changed_since_the_waiting_publish_is_told_by_its_version(
        machine: OperationMachine, published: Optional[int], offer_version: int, created: Optional[str],
        posts: int) -> None:
    old = entry(OLD_ID, state="complete")
    if published is not None:
        old["offerVersion"] = published
    if created is not None:
        old = with_created(old, created)
    running()
    offer_status("waitingForPublisherReview", certification("complete"), SIGNOFF_WAITING)
    offer_changed("2026-11-20T08:59:00Z", version=offer_version)
    everything(old)
    accepts_publish()
    responses.get(OP_URL, json=AT_SIGNOFF)
    record = machine.create(SPEC)
    assert counts()[("POST", PUBLISH_PATH)] == posts
    assert record.operation_id == (OP_ID if posts else OLD_ID) and record.status == "succeeded"


@responses.activate
def test_a_running_golive_refuses_naming_it(machine: OperationMachine, api: CppPublishApi) -> None:
    running(entry(OLD_ID), entry(GOLIVE_ID, kind="goLive"))
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse) and survey.offer_state == GOING_LIVE and GOLIVE_ID in survey.reason
    with pytest.raises(OfferNotReadyError) as caught:
        machine.create(SPEC)
    text = str(caught.value)
    assert f"a go-live is running on offer contoso/vm1 (operation {GOLIVE_ID})" in text
    assert text.endswith("Nothing was posted.")
    assert counts() == {("GET", SUBMISSIONS): 2}  # nothing else: no offer status, no operation, no POST


@responses.activate
def test_a_golive_of_another_offer_in_the_list_does_not_block(machine: OperationMachine) -> None:
    foreign = {**entry(GOLIVE_ID, kind="goLive"), "offerId": "other-offer"}
    running(foreign)
    offer_status("succeeded")
    accepts_publish()
    responses.get(OP_URL, json=AT_SIGNOFF)
    assert machine.create(SPEC).operation_id == OP_ID
    assert counts()[("POST", PUBLISH_PATH)] == 1


@responses.activate
def test_offer_running_but_nothing_listed_is_lagging_then_adopted_once_listed(
        machine: OperationMachine, api: CppPublishApi, fake_clock: FakeClock, lines: list[str]) -> None:
    running()  # the survey's look
    running()  # the first look after the pause: still lagging
    running(entry(OP_ID))  # then it shows
    offer_status("running", certification(), SIGNOFF_NOT_STARTED)
    responses.get(OP_URL, json=ON_ITS_WAY)  # the look's check that it is on its way
    responses.get(OP_URL, json=AT_SIGNOFF)
    record = machine.create(SPEC)
    assert record.operation_id == OP_ID and record.status == "succeeded"
    assert counts() == {("GET", SUBMISSIONS): 3, ("GET", STATUS): 1, ("GET", OP_PATH): 2}
    assert fake_clock.sleeps[:2] == [0.5, 1.0]
    assert any("says 'running' but the operations list shows no running operation yet" in line
               and f"adopting publish operation {OP_ID} from the operations list" in line for line in lines)


@responses.activate
def test_lagging_survey_outcome_names_the_offer_status(api: CppPublishApi) -> None:
    running()
    offer_status("inProgress")
    survey = api.survey(SPEC)
    assert isinstance(survey, Lagging) and "'inProgress'" in survey.reason
    assert counts() == {("GET", SUBMISSIONS): 1, ("GET", STATUS): 1}


@responses.activate
def test_lagging_that_never_lists_anything_stops_within_the_adopt_window(
        machine: OperationMachine, fake_clock: FakeClock) -> None:
    running()
    offer_status("running", certification(), SIGNOFF_NOT_STARTED)
    with pytest.raises(AmbiguousGoLiveError) as caught:
        machine.create(SPEC)
    assert "no publish appeared in the operations list of contoso/vm1 within 10 s" in str(caught.value)
    assert sum(fake_clock.sleeps) == pytest.approx(10.0)
    assert fake_clock.sleeps == [0.5, 1.0, 2.0, 4.0, 2.5]
    assert counts() == {("GET", SUBMISSIONS): 1 + 5, ("GET", STATUS): 1}  # never a POST


@responses.activate
def test_offer_waiting_at_signoff_with_nothing_listed_posts(machine: OperationMachine) -> None:
    # The offer's status is running because its last publish waits for sign-off: that is not a lagging list.
    running()
    offer_status("running", SIGNOFF_WAITING)
    offer_changed("2026-11-21T08:00:00Z")
    everything()
    accepts_publish()
    responses.get(OP_URL, json=AT_SIGNOFF)
    assert machine.create(SPEC).status == "succeeded"
    assert counts()[("POST", PUBLISH_PATH)] == 1


# ---- a publish that fails ---------------------------------------------------------------------------------------


@responses.activate
def test_a_failed_publish_raises_with_every_cpp_message_and_keeps_the_record(machine: OperationMachine) -> None:
    running()
    offer_status("succeeded")
    accepts_publish()
    responses.get(OP_URL, json=ON_ITS_WAY)
    responses.get(OP_URL, json=op(
        "failed",
        certification("failed", messages=[
            {"level": "error", "messageHtml": "The VHD is not generalized"},
            {"level": "warning", "messageHtml": "a warning that explains nothing"},
            {"level": "critical", "message": "Port 22 is open to the internet"},
        ]),
        SIGNOFF_NOT_STARTED,
        messages=["Publish failed at certification"]))
    with pytest.raises(GoLiveFailedError) as caught:
        machine.create(SPEC)
    text = str(caught.value)
    assert f"publish operation {OP_ID} for contoso/vm1 ended failed" in text
    for message in ("Publish failed at certification", "The VHD is not generalized", "Port 22 is open to the internet"):
        assert message in text
    assert "a warning that explains nothing" not in text
    kept = caught.value.record
    assert kept.operation_id == OP_ID and kept.status == "failed" and kept.completed_at == NOW
    assert kept.messages == ("Publish failed at certification", "The VHD is not generalized",
                             "Port 22 is open to the internet")
    assert counts()[("POST", PUBLISH_PATH)] == 1


@responses.activate
def test_resume_of_a_recorded_failed_publish_asks_nothing(machine: OperationMachine) -> None:
    failed = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "failed", NOW, NOW)
    with pytest.raises(GoLiveFailedError, match="A failed publish is not posted again on its own"):
        machine.resume(SPEC, failed)
    assert len(responses.calls) == 0


# ---- an ambiguous or refused POST --------------------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize("answer", [
    {"status": 502, "body": "Bad Gateway"},
    {"status": 500, "json": {"error": {"code": "InternalServerError", "message": "later"}}},
    {"body": reset_after_sending()},
], ids=["502", "500-cpp-shape", "reset-after-sending"])
def test_an_ambiguous_post_is_never_reposted_and_its_publish_is_adopted(
        machine: OperationMachine, lines: list[str], answer: dict[str, Any]) -> None:
    running()
    offer_status("succeeded")
    responses.post(f"{OFFER}/publish", **answer)
    running()  # the first look: the list lags
    running(entry(OP_ID))
    responses.get(OP_URL, json=ON_ITS_WAY)  # the look's check
    responses.get(OP_URL, json=AT_SIGNOFF)  # the wait
    record = machine.create(SPEC)
    assert record.operation_id == OP_ID and record.status == "succeeded"
    assert counts() == {("GET", SUBMISSIONS): 3, ("GET", STATUS): 1, ("POST", PUBLISH_PATH): 1, ("GET", OP_PATH): 2}
    assert any("the publish POST ended ambiguously" in line and f"adopting publish operation {OP_ID}" in line
               for line in lines)


@responses.activate
def test_an_ambiguous_post_while_a_golive_appears_stops_naming_it(machine: OperationMachine) -> None:
    running()
    offer_status("succeeded")
    responses.post(f"{OFFER}/publish", status=504)
    running(entry(GOLIVE_ID, kind="goLive"))
    with pytest.raises(OfferNotReadyError) as caught:
        machine.create(SPEC)
    assert GOLIVE_ID in str(caught.value) and "so no publish will start" in str(caught.value)
    assert counts()[("POST", PUBLISH_PATH)] == 1


@responses.activate
def test_a_conflict_is_adopted_from_the_list(machine: OperationMachine, lines: list[str]) -> None:
    running()
    offer_status("succeeded")
    responses.post(f"{OFFER}/publish", status=409,
                   json={"error": {"code": "Conflict", "message": "Another operation is in progress"}})
    running(entry(OP_ID, changed="2026-11-24T11:00:00Z"))
    responses.get(OP_URL, json=ON_ITS_WAY)
    responses.get(OP_URL, json=AT_SIGNOFF)
    record = machine.create(SPEC)
    assert record.operation_id == OP_ID and record.status == "succeeded"
    assert counts() == {("GET", SUBMISSIONS): 2, ("GET", STATUS): 1, ("POST", PUBLISH_PATH): 1, ("GET", OP_PATH): 2}
    assert any("refused because an operation is in progress" in line for line in lines)


@responses.activate
def test_a_400_refusal_is_raised_as_it_is_and_not_reposted(machine: OperationMachine) -> None:
    running()
    offer_status("succeeded")
    responses.post(f"{OFFER}/publish", status=400,
                   json={"error": {"code": "InvalidOffer", "message": "the offer has validation errors"}})
    with pytest.raises(Exception, match="HTTP 400 InvalidOffer: the offer has validation errors"):
        machine.create(SPEC)
    assert counts()[("POST", PUBLISH_PATH)] == 1 and counts()[("GET", SUBMISSIONS)] == 1


@responses.activate
def test_a_202_without_tracking_header_is_found_in_the_list(machine: OperationMachine) -> None:
    running()
    offer_status("succeeded")
    responses.post(f"{OFFER}/publish", status=202)
    running(entry(OP_ID))
    responses.get(OP_URL, json=ON_ITS_WAY)
    record = machine.start(SPEC)
    assert record.operation_id == OP_ID and record.status == "running"
    assert counts()[("POST", PUBLISH_PATH)] == 1


# ---- wait "accepted", then resume ---------------------------------------------------------------------------------


@responses.activate
def test_wait_accepted_returns_running_then_resume_waits_without_posting(
        machine: OperationMachine, lines: list[str]) -> None:
    running()
    offer_status("succeeded")
    accepts_publish()
    accepted = machine.create(dataclasses.replace(SPEC, wait=WAIT_ACCEPTED))
    assert accepted.status == "running" and accepted.operation_id == OP_ID and accepted.completed_at is None
    assert counts() == {("GET", SUBMISSIONS): 1, ("GET", STATUS): 1, ("POST", PUBLISH_PATH): 1}

    responses.get(OP_URL, json=ON_ITS_WAY)
    responses.get(OP_URL, json=AT_SIGNOFF)
    done = machine.resume(SPEC, accepted)
    assert done.status == "succeeded" and done.operation_id == OP_ID
    # The resume read the operation only: no survey, no second POST.
    assert counts() == {("GET", SUBMISSIONS): 1, ("GET", STATUS): 1, ("POST", PUBLISH_PATH): 1, ("GET", OP_PATH): 2}
    assert any(f"resuming the wait on recorded operation {OP_ID} (no new publish is posted)" in line
               for line in lines)


@responses.activate
def test_resume_with_wait_accepted_returns_the_record_as_it_is(machine: OperationMachine) -> None:
    recorded = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", NOW)
    assert machine.resume(dataclasses.replace(SPEC, wait=WAIT_ACCEPTED), recorded) is recorded
    assert len(responses.calls) == 0


@responses.activate
def test_read_says_succeeded_only_once_signoff_waits(api: CppPublishApi) -> None:
    recorded = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", NOW)
    responses.get(OP_URL, json=ON_ITS_WAY)
    responses.get(OP_URL, json=AT_SIGNOFF)
    first, second = api.read(recorded), api.read(recorded)
    assert first.status == "running" and second.status == "succeeded"
    assert second.unknown_word is None and second.messages == ()


@responses.activate
def test_a_post_that_never_left_is_posted_again_a_bounded_number_of_times(machine: OperationMachine) -> None:
    running()
    offer_status("succeeded")
    responses.post(f"{OFFER}/publish", body=NotSentError("not sent: Connection refused"))
    with pytest.raises(AmbiguousGoLiveError, match="could not be sent"):
        machine.create(SPEC)
    # A look at the list after each unsent POST (it finds nothing), two more POSTs, never a fourth.
    assert counts() == {("GET", SUBMISSIONS): 1 + 3, ("GET", STATUS): 1, ("POST", PUBLISH_PATH): 3}
