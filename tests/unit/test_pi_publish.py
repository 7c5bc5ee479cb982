"""The publish to preview on Product Ingestion (``OfferPublish``, ``docs/product-ingestion-api.md`` §10) from end to
end inside one process: OperationMachine, PiPublishApi and PiClient over azure-core, with the API's answers served
by ``responses``. Also the go-live's ``preview_submission_id`` pin (PiOfferApi.survey).

Every test counts the requests it caused per method and path: the draft must be POSTed at most once, and never
while a preview (or a go-live) is in progress."""

from __future__ import annotations

import collections
import dataclasses
import json
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.errors import GoLiveFailedError, OfferNotReadyError
from pulumi_cpp_golive.golive import OperationMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.offer_api import PUBLISH, Adopt, OfferApi, Post, Refuse
from pulumi_cpp_golive.pi_api import PiOfferApi
from pulumi_cpp_golive.pi_client import PiClient
from pulumi_cpp_golive.pi_publish_api import PiPublishApi
from pulumi_cpp_golive.pi_wire import publish_body
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.resource import GOING_LIVE, NEVER_PUBLISHED, WAIT_ACCEPTED, WAIT_PREVIEW
from pulumi_cpp_golive.status import FAILED, RUNNING, SUCCEEDED

from .conftest import TOKEN, FakeClock

PI = "https://pi.example.test/rp/product-ingestion"
PI_PATH = urlsplit(PI).path
GUID = "6a4b1f2e-0000-4000-8000-00000000abcd"
PRODUCT = f"product/{GUID}"
LISTING = f"{PI}/submission/{GUID}"
VERSION = "2022-03-01-preview2"
JOB_ID = "7d3e9a10-4b2c-4e8f-9a61-2c5b8d0e4f17"
JOB = f"{PI}/configure/{JOB_ID}/status"
NOW = "2026-11-29T18:00:00Z"
SPEC = GoLiveSpec("contoso", "vm1", wait=WAIT_PREVIEW, poll_interval=30.0, api="product-ingestion")

DRAFT = f"submission/{GUID}/0"
OLD_PREVIEW = f"submission/{GUID}/3"
NEW_PREVIEW = f"submission/{GUID}/4"

# Paths as counted (query left out).
PRODUCT_PATH = f"{PI_PATH}/product"
LISTING_PATH = f"{PI_PATH}/submission/{GUID}"
CONFIGURE_PATH = f"{PI_PATH}/configure"
JOB_PATH = f"{PI_PATH}/configure/{JOB_ID}/status"


def sub(n: int, target: str, status: Optional[str] = "completed", result: Optional[str] = "succeeded",
        created: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"submission/{GUID}/{n}", "product": PRODUCT, "target": {"targetType": target},
                             "created": created or f"2026-11-{n + 1:02d}T00:00:00Z"}
    if status is not None:
        entry["status"] = status
    if result is not None:
        entry["result"] = result
    return entry


def draft() -> dict[str, Any]:
    return sub(0, "draft", status=None, result=None)


BEFORE = [draft(), sub(3, "preview"), sub(3, "live")]  # the offer before the publish: 3 is preview and live


class Listing:
    """``GET submission/{guid}``: one full read per entry of ``reads`` (the last one again and again), each a list
    of pages; page ``k > 0`` is asked for through the ``@nextLink`` of page ``k - 1``."""

    def __init__(self, *reads: list[list[dict[str, Any]]]) -> None:
        self._reads = list(reads)
        self._current = -1

    def install(self) -> Listing:
        responses.add_callback(responses.GET, LISTING, callback=self._serve, content_type="application/json")
        return self

    def _serve(self, request: Any) -> tuple[int, dict[str, str], str]:
        token = parse_qs(urlsplit(request.url).query).get("$skipToken")
        if token is None:
            self._current = min(self._current + 1, len(self._reads) - 1)
            page = 0
        else:
            page = int(token[0])
        pages = self._reads[self._current]
        body: dict[str, Any] = {"value": pages[page]}
        if page + 1 < len(pages):
            body["@nextLink"] = f"{LISTING}?$skipToken={page + 1}&$version={VERSION}"
        return 200, {}, json.dumps(body)


def listing(*reads: list[dict[str, Any]]) -> Listing:
    """A listing whose reads are one page each."""
    return Listing(*([read] for read in reads)).install()


def product() -> None:
    responses.get(f"{PI}/product", json={"value": [{"id": PRODUCT, "identity": {"externalId": "VM1"}}]},
                  match=[responses.matchers.query_param_matcher({"externalId": "vm1", "$version": VERSION})])


def accepts_configure(job_id: str = JOB_ID) -> None:
    responses.post(f"{PI}/configure", status=202, json={"jobId": job_id, "jobStatus": "notStarted"})


def job(status: str, result: Optional[str] = None, errors: Optional[list[dict[str, Any]]] = None) -> None:
    body: dict[str, Any] = {"jobId": JOB_ID, "jobStatus": status}
    if result is not None:
        body["jobResult"] = result
    if errors is not None:
        body["errors"] = errors
    responses.get(JOB, json=body)


def counts() -> collections.Counter[tuple[str, str]]:
    return collections.Counter((call.request.method or "", urlsplit(str(call.request.url)).path)
                               for call in responses.calls)


def post_bodies() -> list[Any]:
    return [json.loads(call.request.body or b"null") for call in responses.calls if call.request.method == "POST"]


EXPECTED_BODY: dict[str, Any] = {
    "$schema": "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2",
    "resources": [{
        "$schema": "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2",
        "id": DRAFT,
        "product": PRODUCT,
        "target": {"targetType": "preview"},
    }],
}


def client() -> PiClient:
    return PiClient(PI, StaticTokenCredential(TOKEN), version=VERSION, retry_total=2, retry_backoff=0.0)


@pytest.fixture
def api() -> PiPublishApi:
    return PiPublishApi(client(), now=lambda: NOW)


def machine_for(api: OfferApi, clock: FakeClock, lines: list[str]) -> OperationMachine:
    return OperationMachine(api, default_poll_interval=60.0, report=lines.append, clock=clock.clock,
                            sleep=clock.sleep, now=lambda: NOW, adopt_window=10.0)


@pytest.fixture
def machine(api: PiPublishApi, fake_clock: FakeClock, lines: list[str]) -> OperationMachine:
    return machine_for(api, fake_clock, lines)


def test_pi_publish_api_is_an_offer_api_with_the_publish_words(api: PiPublishApi) -> None:
    checked: OfferApi = api
    assert checked.words is PUBLISH and checked.name == "Product Ingestion"
    assert checked.listing == "submission listing"


def test_the_expected_body_is_what_pi_wire_gives() -> None:
    assert publish_body(PRODUCT, DRAFT) == EXPECTED_BODY


# ---- the whole publish: one POST, the job, then the new preview entry ----------------------------------------------


@responses.activate
def test_the_draft_is_posted_once_then_the_job_then_the_new_preview_entry(
        machine: OperationMachine, fake_clock: FakeClock, lines: list[str]) -> None:
    product()
    listing(BEFORE,
            [sub(3, "preview"), sub(3, "live")],  # job done, the new preview not listed yet
            [sub(3, "preview"), sub(3, "live"), sub(4, "preview", "running", "pending")],
            [sub(3, "preview"), sub(3, "live"), sub(4, "preview")])
    accepts_configure()
    job("running")
    job("completed", "succeeded")
    record = machine.create(SPEC)

    assert post_bodies() == [EXPECTED_BODY]
    post = next(call for call in responses.calls if call.request.method == "POST")
    assert parse_qs(urlsplit(str(post.request.url)).query) == {"$version": [VERSION]}
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 4, ("POST", CONFIGURE_PATH): 1,
                        ("GET", JOB_PATH): 2}  # the job is not read again once it succeeded
    assert record.status == SUCCEEDED
    assert record.submission_id == NEW_PREVIEW
    assert record.operation_id == JOB_ID and record.product_id == PRODUCT and record.api == "product-ingestion"
    assert record.operation_location == f"/configure/{JOB_ID}/status?$version={VERSION}"
    assert (record.accepted_at, record.completed_at, record.messages) == (NOW, NOW, ())
    assert fake_clock.sleeps == [30.0, 30.0, 30.0]
    assert any(f"publish accepted: operation {JOB_ID}" in line for line in lines)
    assert any("the new preview submission is not listed yet" in line for line in lines)
    assert any(f"preview: preview submission {NEW_PREVIEW} (running, pending)" in line for line in lines)
    assert any(f"publish operation {JOB_ID} succeeded: preview ready" in line for line in lines)


@responses.activate
def test_wait_accepted_then_a_resume_in_the_same_process_posts_nothing_more(
        machine: OperationMachine) -> None:
    product()
    listing(BEFORE, [sub(3, "preview"), sub(4, "preview")])
    accepts_configure()
    job("completed", "succeeded")
    accepted = machine.create(dataclasses.replace(SPEC, wait=WAIT_ACCEPTED))
    assert accepted.status == RUNNING and accepted.submission_id == "" and accepted.operation_id == JOB_ID
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 1, ("POST", CONFIGURE_PATH): 1}
    done = machine.resume(SPEC, accepted)
    assert done.status == SUCCEEDED and done.submission_id == NEW_PREVIEW
    assert counts()[("POST", CONFIGURE_PATH)] == 1 and counts()[("GET", PRODUCT_PATH)] == 1


@responses.activate
def test_the_preview_entry_is_followed_by_the_job_not_by_an_older_preview(machine: OperationMachine) -> None:
    # The old preview (3) is completed and succeeded all along: only the entry that was not listed before the POST
    # says the publish is done.
    product()
    listing(BEFORE, [sub(3, "preview")], [sub(3, "preview")], [sub(3, "preview"), sub(4, "preview")])
    accepts_configure()
    job("completed", "succeeded")
    record = machine.create(SPEC)
    assert record.submission_id == NEW_PREVIEW and record.status == SUCCEEDED
    assert counts()[("GET", LISTING_PATH)] == 4


# ---- survey outcomes ---------------------------------------------------------------------------------------------


@responses.activate
def test_product_lookup_and_a_running_preview_on_page_two_is_adopted(
        machine: OperationMachine, api: PiPublishApi, lines: list[str]) -> None:
    product()
    Listing([[draft(), sub(3, "preview")], [sub(3, "live"), sub(4, "preview", "running", "pending")]],
            [[sub(3, "preview"), sub(3, "live")], [sub(4, "preview")]]).install()
    record = machine.create(SPEC)
    assert record.operation_id == NEW_PREVIEW and record.submission_id == NEW_PREVIEW
    assert record.status == SUCCEEDED and record.product_id == PRODUCT
    assert record.operation_location == f"/submission/{GUID}?$version={VERSION}"
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 4}  # two reads of two pages, no POST
    page_two = [str(call.request.url) for call in responses.calls if "skipToken" in str(call.request.url)]
    assert len(page_two) == 2 and all(f"$version={VERSION}" in url for url in page_two)
    assert any(f"adopting publish operation {NEW_PREVIEW} already running on the offer" in line for line in lines)


@responses.activate
def test_a_running_preview_is_adopted_with_its_creation_time(api: PiPublishApi) -> None:
    product()
    listing([draft(), sub(3, "live"), sub(4, "preview", "notStarted", None, created="2026-11-28T09:00:00Z")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Adopt)
    assert survey.record.operation_id == NEW_PREVIEW and survey.record.status == RUNNING
    assert survey.record.accepted_at == "2026-11-28T09:00:00Z" and survey.record.completed_at is None
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 1}


@responses.activate
def test_no_draft_is_refused_as_nothing_to_publish(machine: OperationMachine, api: PiPublishApi) -> None:
    product()
    listing([sub(3, "preview"), sub(3, "live")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse) and survey.offer_state == ""
    with pytest.raises(OfferNotReadyError) as caught:
        machine.create(SPEC)
    text = str(caught.value)
    assert text.startswith(f"nothing to publish: product {PRODUCT} lists no draft submission")
    assert text.endswith("Nothing was posted.")
    assert counts() == {("GET", PRODUCT_PATH): 2, ("GET", LISTING_PATH): 2}


@responses.activate
def test_no_draft_and_no_preview_is_never_published(api: PiPublishApi) -> None:
    product()
    listing([])
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse) and survey.offer_state == NEVER_PUBLISHED
    assert "nothing to publish" in survey.reason


@responses.activate
def test_a_live_entry_running_is_refused_naming_it(machine: OperationMachine, api: PiPublishApi) -> None:
    product()
    listing([draft(), sub(3, "live"), sub(4, "preview"), sub(4, "live", "running", "pending")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Refuse) and survey.offer_state == GOING_LIVE
    with pytest.raises(OfferNotReadyError) as caught:
        machine.create(SPEC)
    assert f"a go-live is running: Partner Center shows live submission {NEW_PREVIEW} (running, pending)" in str(
        caught.value)
    assert counts()[("POST", CONFIGURE_PATH)] == 0


@responses.activate
def test_an_unknown_offer_is_refused(machine: OperationMachine) -> None:
    responses.get(f"{PI}/product", json={"value": []})
    with pytest.raises(OfferNotReadyError, match="no product with the external ID 'vm1'"):
        machine.create(SPEC)
    assert counts() == {("GET", PRODUCT_PATH): 1}


@responses.activate
def test_the_post_target_names_the_newest_draft_and_the_previews_listed_before(api: PiPublishApi) -> None:
    product()
    listing([draft(), sub(2, "preview"), sub(3, "preview"), sub(3, "live")])
    survey = api.survey(SPEC)
    assert isinstance(survey, Post)
    assert survey.target["product"] == PRODUCT and survey.target["submission"] == DRAFT
    assert set(survey.target["previews"].split(",")) == {f"submission/{GUID}/2", OLD_PREVIEW}


# ---- a publish that fails ------------------------------------------------------------------------------------------


@responses.activate
def test_job_succeeded_but_the_preview_entry_failed_is_a_failed_publish(machine: OperationMachine) -> None:
    product()
    listing(BEFORE, [sub(3, "preview"), sub(4, "preview", "completed", "failed")])
    accepts_configure()
    job("completed", "succeeded")
    with pytest.raises(GoLiveFailedError) as caught:
        machine.create(SPEC)
    text = str(caught.value)
    assert f"publish operation {JOB_ID} for contoso/vm1 ended failed" in text
    assert f"Partner Center lists preview submission {NEW_PREVIEW} (completed, failed)" in text
    kept = caught.value.record
    assert kept.status == FAILED and kept.submission_id == NEW_PREVIEW and kept.operation_id == JOB_ID
    assert kept.messages == (f"Partner Center lists preview submission {NEW_PREVIEW} (completed, failed)",)
    assert counts()[("POST", CONFIGURE_PATH)] == 1


@responses.activate
def test_a_job_that_says_the_draft_has_no_changes_ends_with_the_preview_that_holds_it(
        machine: OperationMachine, lines: list[str]) -> None:
    # Also how a run killed during a publish that has since completed ends: its POST again is refused as nothing new.
    product()
    listing(BEFORE, BEFORE)
    accepts_configure()
    job("completed", "failed", errors=[{"code": "badRequest", "message": "The draft has no changes to publish",
                                        "resourceId": DRAFT}])
    record = machine.create(SPEC)
    assert record.status == "succeeded" and record.submission_id == OLD_PREVIEW
    assert record.messages[0].startswith("the draft has nothing new to publish")
    assert any("nothing new to publish" in line and OLD_PREVIEW in line for line in lines)
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 2, ("POST", CONFIGURE_PATH): 1,
                        ("GET", JOB_PATH): 1}


@responses.activate
def test_a_job_that_says_the_draft_has_no_changes_fails_when_no_preview_holds_it(machine: OperationMachine) -> None:
    product()
    never = [draft()]
    listing(never, never)
    accepts_configure()
    job("completed", "failed", errors=[{"code": "badRequest", "message": "The draft has no changes to publish",
                                        "resourceId": DRAFT}])
    with pytest.raises(GoLiveFailedError) as caught:
        machine.create(SPEC)
    text = str(caught.value)
    assert "the draft has nothing new to publish" in text
    assert f"badRequest: The draft has no changes to publish ({DRAFT})" in text
    assert caught.value.record.messages[0].startswith("the draft has nothing new to publish")


@responses.activate
def test_a_job_failed_for_another_reason_is_not_called_nothing_new(machine: OperationMachine) -> None:
    product()
    listing(BEFORE)
    accepts_configure()
    job("completed", "failed", errors=[{"code": "invalidState", "message": "The image failed certification"}])
    with pytest.raises(GoLiveFailedError) as caught:
        machine.create(SPEC)
    assert "nothing new" not in str(caught.value)
    assert "certification failure: The image failed certification" in str(caught.value)


# ---- an ambiguous POST -----------------------------------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 504])
def test_an_ambiguous_post_is_not_reposted_and_the_new_preview_is_adopted(
        machine: OperationMachine, lines: list[str], status: int) -> None:
    product()
    listing(BEFORE,
            BEFORE,  # the first look: the listing lags
            [sub(3, "preview"), sub(3, "live"), sub(4, "preview", "running", "pending")],
            [sub(3, "preview"), sub(3, "live"), sub(4, "preview")])
    responses.post(f"{PI}/configure", status=status, json={"error": {"code": "serverError", "message": "later"}})
    record = machine.create(SPEC)
    assert record.operation_id == NEW_PREVIEW and record.submission_id == NEW_PREVIEW
    assert record.status == SUCCEEDED
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 4, ("POST", CONFIGURE_PATH): 1}
    assert any("the publish POST ended ambiguously" in line and f"adopting publish operation {NEW_PREVIEW}" in line
               for line in lines)


@responses.activate
def test_a_conflict_adopts_the_preview_another_run_started(machine: OperationMachine) -> None:
    product()
    listing(BEFORE, [sub(3, "preview"), sub(4, "preview", "running", "pending")])
    responses.post(f"{PI}/configure", status=400,
                   json={"error": {"code": "badRequest", "message": "An In Progress submission already exists."}})
    record = machine.start(SPEC)
    assert record.operation_id == NEW_PREVIEW and record.status == RUNNING
    assert counts()[("POST", CONFIGURE_PATH)] == 1


# ---- a run that was killed after the POST --------------------------------------------------------------------------


@responses.activate
def test_a_killed_run_resumes_on_the_job_without_posting(fake_clock: FakeClock, lines: list[str]) -> None:
    recorded = OperationRecord.from_state(f"contoso/vm1/{JOB_ID}", {
        "operation_location": f"/configure/{JOB_ID}/status?$version={VERSION}", "status": "running",
        "accepted_at": NOW, "product_id": PRODUCT})
    assert recorded.submission_id == "" and recorded.api == "product-ingestion"
    listing([sub(3, "preview"), sub(3, "live"), sub(4, "preview", "running", "pending")],
            [sub(3, "preview"), sub(3, "live"), sub(4, "preview", created="2026-11-29T18:01:00Z")])
    job("running")
    job("completed", "succeeded")
    fresh = machine_for(PiPublishApi(client(), now=lambda: NOW), fake_clock, lines)
    done = fresh.resume(SPEC, recorded)
    assert done.status == SUCCEEDED and done.submission_id == NEW_PREVIEW and done.operation_id == JOB_ID
    assert counts() == {("GET", JOB_PATH): 2, ("GET", LISTING_PATH): 2}  # no product lookup, no survey, no POST


@responses.activate
def test_a_forgotten_job_is_explained_by_its_preview_entry(fake_clock: FakeClock, lines: list[str]) -> None:
    recorded = OperationRecord("contoso", "vm1", JOB_ID, f"/configure/{JOB_ID}/status?$version={VERSION}", RUNNING,
                               NOW, product_id=PRODUCT, submission_id=NEW_PREVIEW)
    responses.get(JOB, status=404, json={"error": {"code": "notFound", "message": "no such job"}})
    listing([sub(3, "preview"), sub(4, "preview")])
    done = machine_for(PiPublishApi(client(), now=lambda: NOW), fake_clock, lines).resume(SPEC, recorded)
    assert done.status == SUCCEEDED and done.submission_id == NEW_PREVIEW
    assert counts()[("POST", CONFIGURE_PATH)] == 0


# ---- OfferGoLive pinned to a preview submission (PiOfferApi) --------------------------------------------------


@responses.activate
def test_golive_pinned_to_the_current_preview_posts_it(fake_clock: FakeClock, lines: list[str]) -> None:
    product()
    listing([draft(), sub(3, "live"), sub(4, "preview")])
    accepts_configure()
    golive = machine_for(PiOfferApi(client(), now=lambda: NOW), fake_clock, lines)
    record = golive.start(dataclasses.replace(SPEC, wait="completed", preview_submission_id=NEW_PREVIEW))
    assert record.submission_id == NEW_PREVIEW and record.operation_id == JOB_ID
    live = {**EXPECTED_BODY["resources"][0], "id": NEW_PREVIEW, "target": {"targetType": "live"}}
    assert post_bodies() == [{**EXPECTED_BODY, "resources": [live]}]
    assert counts()[("POST", CONFIGURE_PATH)] == 1


@responses.activate
@pytest.mark.parametrize(("listed", "current"), [
    ([draft(), sub(3, "live"), sub(5, "preview")], f"preview submission submission/{GUID}/5 (completed, succeeded)"),
    ([draft()], "no preview submission"),
], ids=["newer-preview", "no-preview"])
def test_golive_pinned_to_another_preview_is_refused_naming_both(
        fake_clock: FakeClock, lines: list[str], listed: list[dict[str, Any]], current: str) -> None:
    product()
    listing(listed)
    golive = machine_for(PiOfferApi(client(), now=lambda: NOW), fake_clock, lines)
    with pytest.raises(OfferNotReadyError) as caught:
        golive.start(dataclasses.replace(SPEC, wait="completed", preview_submission_id=NEW_PREVIEW))
    text = str(caught.value)
    assert f"the offer's current preview is {current}, not {NEW_PREVIEW} (previewSubmissionId)" in text
    assert counts() == {("GET", PRODUCT_PATH): 1, ("GET", LISTING_PATH): 1}


@responses.activate
def test_golive_pin_is_checked_before_adopting_a_running_golive(fake_clock: FakeClock, lines: list[str]) -> None:
    # The live entry of preview 5 rolls out, but the stack published 4: that is not the go-live it asked for.
    product()
    listing([sub(5, "preview"), sub(5, "live", "running", "pending")])
    golive = machine_for(PiOfferApi(client(), now=lambda: NOW), fake_clock, lines)
    with pytest.raises(OfferNotReadyError, match=f"not {NEW_PREVIEW}"):
        golive.start(dataclasses.replace(SPEC, wait="completed", preview_submission_id=NEW_PREVIEW))
    assert counts()[("POST", CONFIGURE_PATH)] == 0


@responses.activate
def test_a_killed_run_does_not_take_the_previous_preview_for_the_new_one(fake_clock: FakeClock,
                                                                         lines: list[str]) -> None:
    recorded = OperationRecord("contoso", "vm1", JOB_ID, f"/configure/{JOB_ID}/status?$version={VERSION}", RUNNING,
                               NOW, product_id=PRODUCT)
    # The job succeeded; the listing does not show the new preview yet (as the in-process path expects it may).
    # The new preview is created after the publish was accepted (NOW); the older one, before.
    listing([sub(3, "preview"), sub(3, "live")],
            [sub(3, "preview"), sub(3, "live"), sub(4, "preview", created="2026-11-29T18:01:00Z")])
    job("completed", "succeeded")
    spec = dataclasses.replace(SPEC, timeout=3600.0)  # a wrong rule would wait, not hang the suite
    done = machine_for(PiPublishApi(client(), now=lambda: NOW), fake_clock, lines).resume(spec, recorded)
    assert done.submission_id == NEW_PREVIEW


@responses.activate
def test_a_preview_entry_listed_before_whose_status_changed_is_the_new_one(machine: OperationMachine) -> None:
    # §10: which ID the new preview entry gets is unconfirmed; it may be an entry listed before the POST that runs
    # again after it.
    product()
    listing([draft(), sub(3, "preview")],
            [sub(3, "preview", "running", "pending")],
            [sub(3, "preview", "completed", "succeeded", created="2026-11-29T18:05:00Z")])
    accepts_configure()
    job("completed", "succeeded")
    record = machine.create(dataclasses.replace(SPEC, timeout=600.0))
    assert record.status == SUCCEEDED and record.submission_id == OLD_PREVIEW


@responses.activate
@pytest.mark.parametrize(("since", "found"), [
    ("", None),  # this run's own POST: the survey listed preview 4 before it, so 4 is not its publish
    ("2026-11-29T18:00:00Z", NEW_PREVIEW),  # an earlier run's POST: 4 was created after it, so it is that publish
    ("2026-11-29T18:30:00Z", None),  # 4 was created before that POST (beyond the clock skew): an older preview
], ids=["this-run", "earlier-run", "older-than-the-post"])
def test_a_look_after_an_earlier_runs_post_takes_a_preview_created_since_then(
        since: str, found: Optional[str]) -> None:
    listing([draft(), sub(3, "preview"), sub(3, "live"), sub(4, "preview", created="2026-11-29T18:05:00Z")])
    survey = Post({"product": PRODUCT, "submission": DRAFT, "previews": f"{OLD_PREVIEW},{NEW_PREVIEW}"}, since=since)
    lookup = PiPublishApi(client(), now=lambda: NOW).look_for(SPEC, survey)
    assert (lookup.record.submission_id if lookup.record else None) == found
