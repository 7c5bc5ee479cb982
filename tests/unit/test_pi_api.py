"""PiOfferApi: every survey outcome, the exact go-live body, looking for a go-live after an ambiguous POST, the
read phases (job, then rollout), job error messages, unknown words, and which errors are conflicts."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest
import responses

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.errors import ApiError, UnusableAnswerError
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.offer_api import Adopt, AlreadyDone, LastFailed, OfferApi, Post, Refuse
from pulumi_cpp_golive.pi_api import PiOfferApi
from pulumi_cpp_golive.pi_client import PiClient
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.status import CANCELED, RUNNING, SUCCEEDED
from pulumi_cpp_golive.status import FAILED as FAILED_STATUS

from .conftest import TOKEN

JOB_GUID = "7d3e9a10-4b2c-4e8f-9a61-2c5b8d0e4f17"  # job IDs are GUIDs
OTHER_JOB_GUID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"  # job IDs are GUIDs

PI = "https://pi.example.test/rp/product-ingestion"
GUID = "6a4b1f2e-0000-4000-8000-00000000abcd"
PRODUCT = f"product/{GUID}"
LISTING = f"{PI}/submission/{GUID}"
VERSION = "2022-03-01-preview2"
NOW = "2026-11-29T18:00:00Z"
SPEC = GoLiveSpec(publisher_id="contoso", offer_id="vm1", api="product-ingestion")


def sub(n: int, target: str, status: Optional[str] = "completed", result: Optional[str] = "succeeded",
        **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"submission/{GUID}/{n}", "product": PRODUCT, "target": {"targetType": target},
                             "created": f"2026-11-{n:02d}T00:00:00Z", **extra}
    if status is not None:
        entry["status"] = status
    if result is not None:
        entry["result"] = result
    return entry


@pytest.fixture
def api() -> PiOfferApi:
    client = PiClient(PI, StaticTokenCredential(TOKEN), version=VERSION, retry_total=2, retry_backoff=0.0)
    return PiOfferApi(client, now=lambda: NOW)


def serve(listing: list[dict[str, Any]], *, product: bool = True) -> None:
    identity = {"externalId": "VM1"}  # matched without case
    responses.get(f"{PI}/product", json={"value": [{"id": PRODUCT, "identity": identity}] if product else []})
    responses.get(LISTING, json={"value": listing})


def _posts() -> int:
    return sum(1 for call in responses.calls if call.request.method == "POST")


def test_pi_offer_api_is_an_offer_api(api: PiOfferApi) -> None:
    checked: OfferApi = api
    assert checked.name == "Product Ingestion"


# ---- survey ------------------------------------------------------------------------------------------------


@responses.activate
def test_an_unknown_offer_is_refused_naming_it_and_nothing_else_is_asked(api: PiOfferApi) -> None:
    serve([], product=False)
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse)
    assert "'vm1'" in survey.reason and "Nothing was posted" not in survey.reason  # the machine says it, once
    assert len(responses.calls) == 1 and _posts() == 0


@responses.activate
def test_a_running_live_entry_is_adopted(api: PiOfferApi) -> None:
    serve([sub(1, "live"), sub(2, "preview"), sub(2, "live", status="running", result="pending"),
           {"id": f"submission/{GUID}/0", "target": {"targetType": "draft"}}])
    survey = api.survey(SPEC)
    assert isinstance(survey, Adopt)
    record = survey.record
    assert (record.operation_id, record.submission_id, record.product_id) == (
        f"submission/{GUID}/2", f"submission/{GUID}/2", PRODUCT)
    assert record.operation_location == f"/submission/{GUID}?$version={VERSION}"
    assert record.status == RUNNING and record.accepted_at == "2026-11-02T00:00:00Z" and record.completed_at is None
    assert record.resource_id == f"contoso/vm1/submission/{GUID}/2"
    assert _posts() == 0


@responses.activate
def test_a_live_entry_with_an_unknown_status_word_is_adopted_not_taken_for_an_end(api: PiOfferApi) -> None:
    serve([sub(3, "preview"), sub(3, "live", status="rollingOut", result="pending")])
    assert isinstance(api.survey(SPEC), Adopt)


@responses.activate
def test_the_preview_already_live_and_succeeded_is_live(api: PiOfferApi) -> None:
    serve([sub(4, "preview", lifecycleState="generallyAvailable"), sub(4, "live", lifecycleState="deprecated")])
    survey = api.survey(SPEC)
    assert isinstance(survey, AlreadyDone)
    assert survey.record.status == SUCCEEDED and survey.record.operation_id == f"submission/{GUID}/4"
    assert survey.record.completed_at == NOW


@responses.activate
def test_a_preview_publish_running_is_another_publish(api: PiOfferApi) -> None:
    serve([sub(4, "live"), sub(5, "preview", status="running", result="pending")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse)
    assert survey.reason.startswith("another publish is in progress")
    assert f"submission/{GUID}/5" in survey.reason


@responses.activate
@pytest.mark.parametrize(("result", "status"), [("failed", FAILED_STATUS), ("cancelled", CANCELED),
                                                ("weird", FAILED_STATUS)])
def test_a_failed_go_live_of_this_preview_is_failed_and_not_re_posted(api: PiOfferApi, result: str,
                                                                      status: str) -> None:
    serve([sub(6, "preview"), sub(6, "live", result=result)])
    survey = api.survey(SPEC)
    assert isinstance(survey, LastFailed)
    assert survey.record.status == status and survey.record.operation_id == f"submission/{GUID}/6"
    assert survey.record.messages and result in survey.record.messages[0]


@responses.activate
def test_a_new_preview_after_a_failed_go_live_may_go_live(api: PiOfferApi) -> None:
    serve([sub(6, "live", result="failed"), sub(7, "preview")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Post)
    assert dict(survey.target) == {"product": PRODUCT, "submission": f"submission/{GUID}/7"}


@responses.activate
def test_no_preview_entry_is_refused_saying_what_to_do(api: PiOfferApi) -> None:
    serve([{"id": f"submission/{GUID}/0", "target": {"targetType": "draft"}}])
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse)
    assert "no preview submission that succeeded" in survey.reason and "publish it to preview" in survey.reason


@responses.activate
def test_a_failed_preview_is_refused_naming_it(api: PiOfferApi) -> None:
    serve([sub(4, "live"), sub(5, "preview", result="failed")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse)
    assert f"preview submission submission/{GUID}/5 (completed, failed)" in survey.reason


@responses.activate
def test_a_preview_ready_to_go_live_is_posted_and_odd_entries_are_ignored(api: PiOfferApi) -> None:
    other_product = "ffffffff-0000-4000-8000-000000000000"
    serve([
        sub(3, "live"),
        sub(3, "preview"),
        sub(4, "preview"),  # the newest preview wins (highest number)
        {"target": {"targetType": "live"}, "status": "running"},  # no id
        {"id": f"submission/{other_product}/9", "target": {"targetType": "live"}, "status": "running"},
        {"id": f"submission/{GUID}/8", "target": {"targetType": "sandbox"}, "status": "running"},
        {"id": f"submission/{GUID}/../x", "target": {"targetType": "live"}, "status": "running"},
        "not an object",
    ])
    survey = api.survey(SPEC)
    assert isinstance(survey, Post)
    assert survey.target["submission"] == f"submission/{GUID}/4"
    assert _posts() == 0


@responses.activate
def test_a_product_without_a_usable_id_is_a_malformed_answer(api: PiOfferApi) -> None:
    responses.get(f"{PI}/product", json={"value": [{"id": "plan/x/y", "identity": {"externalId": "vm1"}}]})
    with pytest.raises(ApiError) as caught:
        api.survey(SPEC)
    assert caught.value.code == "MalformedResponse" and caught.value.service == "Product Ingestion"


# ---- post ----------------------------------------------------------------------------------------------------


POST_SURVEY = Post({"product": PRODUCT, "submission": f"submission/{GUID}/4"})


@responses.activate
@pytest.mark.parametrize("key", ["jobId", "jobID"])
def test_post_golive_sends_the_exact_body_and_records_the_job(api: PiOfferApi, key: str) -> None:
    responses.post(f"{PI}/configure", status=202, json={key: OTHER_JOB_GUID, "jobStatus": "notStarted"})
    record = api.post(SPEC, POST_SURVEY)
    assert json.loads(responses.calls[0].request.body) == {
        "$schema": "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2",
        "resources": [{
            "$schema": "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2",
            "id": f"submission/{GUID}/4",
            "product": PRODUCT,
            "target": {"targetType": "live"},
        }],
    }
    assert record == OperationRecord(
        publisher_id="contoso", offer_id="vm1", operation_id=OTHER_JOB_GUID,
        operation_location=f"/configure/{OTHER_JOB_GUID}/status?$version={VERSION}", status=RUNNING, accepted_at=NOW,
        product_id=PRODUCT, submission_id=f"submission/{GUID}/4")
    assert _posts() == 1


@responses.activate
@pytest.mark.parametrize("job", [{"jobId": "../product"}, {"jobStatus": "running"}])
def test_a_job_id_that_cannot_be_followed_is_a_tracking_error(api: PiOfferApi, job: dict[str, Any]) -> None:
    responses.post(f"{PI}/configure", status=200, json=job)
    with pytest.raises(UnusableAnswerError):
        api.post(SPEC, POST_SURVEY)
    assert _posts() == 1


# ---- look for a go-live after an ambiguous POST ------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(("status", "result", "expected"), [("running", "pending", RUNNING),
                                                            ("completed", "succeeded", SUCCEEDED),
                                                            ("completed", "failed", FAILED_STATUS)])
def test_look_finds_the_live_entry_of_the_posted_submission(api: PiOfferApi, status: str, result: str,
                                                            expected: str) -> None:
    responses.get(LISTING, json={"value": [sub(3, "live"), sub(4, "preview"), sub(4, "live", status, result)]})
    found = api.look_for(SPEC, POST_SURVEY)
    assert found.record is not None and found.other is None
    assert found.record.operation_id == f"submission/{GUID}/4" and found.record.status == expected
    assert [call.request.method for call in responses.calls] == ["GET"]


@responses.activate
def test_look_reports_a_preview_publish_running(api: PiOfferApi) -> None:
    responses.get(LISTING, json={"value": [sub(3, "live"), sub(5, "preview", "running", "pending")]})
    found = api.look_for(SPEC, POST_SURVEY)
    assert found.record is None and found.other is not None and found.other.startswith("another publish")


@responses.activate
def test_look_finds_nothing_yet_when_the_listing_lags(api: PiOfferApi) -> None:
    responses.get(LISTING, json={"value": [sub(3, "live"), sub(4, "preview")]})
    found = api.look_for(SPEC, POST_SURVEY)
    assert found.record is None and found.other is None


# ---- read ----------------------------------------------------------------------------------------------------


JOB = f"{PI}/configure/{JOB_GUID}/status"


def job_record(**changes: Any) -> OperationRecord:
    fields: dict[str, Any] = dict(
        publisher_id="contoso", offer_id="vm1", operation_id=JOB_GUID,
        operation_location=f"/configure/{JOB_GUID}/status?$version={VERSION}", status=RUNNING, accepted_at=NOW,
        product_id=PRODUCT, submission_id=f"submission/{GUID}/4")
    fields.update(changes)
    return OperationRecord(**fields)


@responses.activate
def test_read_phases_job_running_then_rollout_running_then_both_done(api: PiOfferApi) -> None:
    responses.get(JOB, json={"jobId": JOB_GUID, "jobStatus": "running", "jobResult": "pending"},
                  headers={"Retry-After": "60"})
    first = api.read(job_record())
    assert (first.status, dict(first.progress), first.retry_after) == (RUNNING, {"": "job running"}, 60.0)
    assert len(responses.calls) == 1  # the listing is not read while the job runs

    responses.replace(responses.GET, JOB, json={"jobStatus": "completed", "jobResult": "succeeded"})
    responses.get(LISTING, json={"value": [sub(4, "preview")]})
    second = api.read(job_record())
    assert second.status == RUNNING
    assert second.progress[""] == "job completed: succeeded"
    assert "not listed as live yet" in second.progress["rollout"]

    responses.replace(responses.GET, LISTING, json={"value": [sub(4, "preview"), sub(4, "live", "running", "pending")]})
    third = api.read(job_record())
    assert third.status == RUNNING and third.progress["rollout"].startswith("rollout: live submission")

    responses.replace(responses.GET, LISTING, json={"value": [sub(4, "preview"), sub(4, "live")]})
    fourth = api.read(job_record())
    assert fourth.status == SUCCEEDED and not fourth.messages
    assert [call.request.method for call in responses.calls] == ["GET"] * 5
    # Once the job succeeded, only the rollout is watched: one listing GET a poll, no more job GETs.
    assert sum(call.request.url.split("?")[0] == JOB.split("?")[0] for call in responses.calls) == 2


@responses.activate
def test_a_rollout_that_failed_fails_after_a_succeeded_job(api: PiOfferApi) -> None:
    responses.get(JOB, json={"jobStatus": "completed", "jobResult": "succeeded"})
    responses.get(LISTING, json={"value": [sub(4, "live", result="failed")]})
    reading = api.read(job_record())
    assert reading.status == FAILED_STATUS and f"submission/{GUID}/4" in reading.messages[0]


@responses.activate
@pytest.mark.parametrize(("word", "unknown"), [("notStarted", None), ("running", None), ("queuedUp", "queuedUp"),
                                               (None, "(no jobStatus)")])
def test_job_status_words(api: PiOfferApi, word: Optional[str], unknown: Optional[str]) -> None:
    responses.get(JOB, json={"jobStatus": word} if word else {})
    reading = api.read(job_record())
    assert reading.status == RUNNING and reading.unknown_word == unknown


CERTIFICATION_JOB = {
    "jobId": JOB_GUID, "jobStatus": "completed", "jobResult": "failed",
    "errors": [
        {"code": "badRequest", "message": "The request failed", "resourceId": f"submission/{GUID}/4",
         "details": [
             {"code": "invalidState", "message": "Validation failed",
              "details": [{"code": "businessValidationError", "message": "The image failed certification: port 22"}]},
             {"code": "schemaValidationError", "message": "property x is missing"},
         ]},
        {"code": "conflict", "message": "second top-level error"},
    ],
}


@responses.activate
def test_a_failed_job_gives_every_message_nested_ones_included_certification_first(api: PiOfferApi) -> None:
    responses.get(JOB, json=CERTIFICATION_JOB)
    reading = api.read(job_record())
    assert reading.status == FAILED_STATUS
    assert list(reading.messages) == [
        "certification failure: The image failed certification: port 22",
        f"badRequest: The request failed (submission/{GUID}/4)",
        "invalidState: Validation failed",
        "businessValidationError: The image failed certification: port 22",
        "schemaValidationError: property x is missing",
        "conflict: second top-level error",
    ]
    assert len(responses.calls) == 1  # a failed job needs no listing


@responses.activate
@pytest.mark.parametrize(("result", "status"), [("cancelled", CANCELED), ("canceled", CANCELED),
                                                ("exploded", FAILED_STATUS), (None, FAILED_STATUS)])
def test_unknown_or_cancelled_job_results(api: PiOfferApi, result: Optional[str], status: str) -> None:
    responses.get(JOB, json={"jobStatus": "completed", "jobResult": result, "errors": []})
    reading = api.read(job_record())
    assert reading.status == status
    if status == FAILED_STATUS:
        assert reading.messages[0] == f"the job completed with the unknown jobResult {result!r}"


@responses.activate
def test_an_adopted_go_live_reads_the_listing_only(api: PiOfferApi) -> None:
    responses.get(LISTING, json={"value": [sub(4, "live")]})
    record = job_record(operation_id=f"submission/{GUID}/4",
                        operation_location=f"/submission/{GUID}?$version={VERSION}")
    assert api.read(record).status == SUCCEEDED
    assert [call.request.url.split("?")[0] for call in responses.calls] == [LISTING]


@responses.activate
def test_a_record_without_product_id_looks_the_product_up(api: PiOfferApi) -> None:
    responses.get(JOB, json={"jobStatus": "completed", "jobResult": "succeeded"})
    serve([sub(4, "live")])
    assert api.read(job_record(product_id="")).status == SUCCEEDED
    assert len(responses.calls) == 3


@responses.activate
def test_a_forgotten_job_is_explained_by_the_listing_or_raised(api: PiOfferApi) -> None:
    responses.get(JOB, status=404, json={"error": {"code": "notFound", "message": "no such job"}})
    responses.get(LISTING, json={"value": [sub(4, "live")]})
    reading = api.read(job_record())
    assert reading.status == SUCCEEDED and "no longer returned" in reading.messages[0]
    responses.replace(responses.GET, LISTING, json={"value": [sub(4, "live", "running", "pending")]})
    with pytest.raises(ApiError) as caught:
        api.read(job_record())
    assert caught.value.status == 404


def test_a_location_of_neither_shape_is_refused(api: PiOfferApi) -> None:
    with pytest.raises(UnusableAnswerError, match="names neither"):
        api.read(job_record(operation_location="/api/publishers/contoso/offers/vm1/operations/1"))


# ---- errors --------------------------------------------------------------------------------------------------


def _error(status: Optional[int], code: Optional[str] = None, message: Optional[str] = None) -> ApiError:
    return ApiError(status=status, method="POST", url=f"{PI}/configure", code=code, message=message,
                       service="Product Ingestion")


def test_only_an_unsent_post_certainly_started_nothing(api: PiOfferApi) -> None:
    assert api.certainly_not_started(_error(None, "NotSent"))
    assert not api.certainly_not_started(_error(None, "NoResponse"))
    assert not api.certainly_not_started(_error(500, "internalServerError", "boom"))


@pytest.mark.parametrize(("error", "conflict"), [
    (_error(409), True),
    (_error(400, "Conflict"), True),
    (_error(400, "badRequest", "An In Progress submission already exists."), True),
    (_error(400, "badRequest", "The submission cannot be pushed to as its not the latest"), True),
    (_error(400, "badRequest", "Schema could not be accessed"), False),
    (_error(503), False),
])
def test_conflicts(api: PiOfferApi, error: ApiError, conflict: bool) -> None:
    assert api.is_conflict(error) is conflict
