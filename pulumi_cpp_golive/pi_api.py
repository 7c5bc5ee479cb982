"""The Product Ingestion API in the go-live machine's words: :class:`PiOfferApi` (see :mod:`.offer_api`).

It reads through :class:`~.pi_client.PiClient` and reads the answers with :mod:`.pi_wire` (what PI's words mean:
which listing entries count, status and result words, job IDs, recorded locations). The rules this module applies
(``docs/product-ingestion-api.md``):

* The offer is the product whose external ID is the offer ID; its submission listing says what runs (§2, §5).
* Survey (GETs only): a live entry still running is a go-live to adopt; a preview entry running is another
  publish; the preview submission listed as live too (same ID) is already live, or its go-live failed, which
  is never re-posted on its own (a *new* preview submission, with another ID, may go live again); without a
  preview that succeeded there is nothing to send live. Otherwise the preview submission is posted live (§3).
* A go-live this module posted is followed on its configure job first, then on the listing: the job may
  complete before the rollout does, so it is ``succeeded`` only when the live entry of the submission says so
  too (§4). A go-live adopted from the listing (no job known) is followed on the listing only. The recorded
  ``operation_location`` tells the two apart: ``/configure/{jobId}/status?$version=V`` or
  ``/submission/{guid}?$version=V`` (host-free, relative to the base URL; reads use the client's ``$version``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

from .errors import ApiError, OfferNotReadyError
from .inputs import GoLiveSpec
from .offer_api import GO_LIVE, Adopt, AlreadyDone, Busy, LastFailed, Lookable, Lookup, Post, Reading, Refuse, Survey
from .pi_client import PiClient
from .pi_wire import (
    COMPLETED,
    LIVE_TARGET,
    NOT_COMPLETED_WORDS,
    PREVIEW_TARGET,
    SERVICE,
    ListingEntry,
    check_job_names,
    golive_body,
    job_error_messages,
    job_id_of,
    job_status_location,
    listing_entries,
    listing_location,
    outcome,
    parse_location,
)
from .record import OperationRecord
from .resource import NEVER_PUBLISHED, PUBLISHING
from .shapes import is_product_id
from .status import FAILED as FAILED_STATUS
from .status import RUNNING, SUCCEEDED, squash, utc_now

# Refusals that say another publish overlaps this one (§6, §9), compared without case.
_CONFLICT_PHRASES = (
    "an in progress submission already exists",
    "already has an in-progress submission",
    "cannot be pushed to as its not the latest",
    "cannot be pushed to as it's not the latest",
)
_ROLLOUT = "rollout"


class PiOfferApi:
    """:class:`~.offer_api.OfferApi` for the Product Ingestion API, on a :class:`~.pi_client.PiClient`.

    :param client: the HTTP client (its ``$version`` goes into recorded locations too).
    :param now: the current time as ISO-8601 UTC (injectable for tests).
    """

    name = SERVICE
    listing = "submission listing"
    words = GO_LIVE

    def __init__(self, client: PiClient, *, now: Callable[[], str] = utc_now) -> None:
        self._client = client
        self._now = now
        # Jobs seen completed and succeeded by this process: later reads watch the rollout alone (one GET a poll).
        self._jobs_succeeded: set[str] = set()

    # ---- before posting ----------------------------------------------------------------------------------

    def survey(self, spec: GoLiveSpec) -> Survey:
        """Find the product and read its listing (GETs only); decide as the module docstring says."""
        search = self._client.find_products(spec.offer_id)
        if len(search.matches) != 1:
            return Refuse(_product_problem(spec.offer_id, search.matches, search.listed))
        product_id = self._product_id(search.matches[0], spec)
        entries = self._entries(product_id)
        previews = [entry for entry in entries if entry.target == PREVIEW_TARGET]
        preview = _newest(previews) if previews else None
        live_running = [entry for entry in entries if entry.target == LIVE_TARGET and entry.running]
        ours = [entry for entry in live_running if preview is not None and entry.id == preview.id]
        if ours:
            return Adopt(self._record(spec, product_id, ours[0], RUNNING))
        if live_running:
            # A go-live of another submission is still rolling out: adopting it would report the wrong submission
            # live, and posting now would overlap it. The machine waits for it to end, then surveys again.
            other = _newest(live_running)
            wanted = f"preview submission {preview.id}" if preview is not None else "no preview submission"
            return Busy(
                f"the go-live of {other.describe()} is still running, and the offer's newest preview is {wanted}; "
                "it is sent live only once that go-live has ended")
        if preview is None:
            return Refuse(
                "the offer has no preview submission that succeeded (Partner Center shows none in preview): publish "
                "it to preview and wait for sign-off.", offer_state=NEVER_PUBLISHED)
        if preview.running:
            return Refuse(
                f"another publish is in progress: Partner Center shows {preview.describe()}; go live once it has "
                "reached preview and been signed off.", offer_state=PUBLISHING)
        gone_live = [entry for entry in entries if entry.target == LIVE_TARGET and entry.id == preview.id]
        if gone_live:
            entry = gone_live[0]
            status = outcome(entry.result)
            record = self._record(spec, product_id, entry, status)
            if status == SUCCEEDED:
                return AlreadyDone(record)
            record.messages = (f"Partner Center lists {entry.describe()}: the go-live of this preview submission "
                               "ended without success",)
            return LastFailed(record)
        if outcome(preview.result) != SUCCEEDED:
            return Refuse(
                f"the offer has no preview submission that succeeded: Partner Center shows {preview.describe()}. "
                "Publish it to preview again and wait for sign-off.", offer_state=NEVER_PUBLISHED)
        return Post({"product": product_id, "submission": preview.id})

    def post(self, spec: GoLiveSpec, survey: Post) -> OperationRecord:
        """POST the configure request of §3 once; the job, ``running``. A 2xx without a usable job ID raises
        :class:`~.errors.UnusableAnswerError` (taken, but only the listing can show it)."""
        product_id, submission_id = survey.target["product"], survey.target["submission"]
        job = self._client.post_configure(golive_body(product_id, submission_id))
        job_id = job_id_of(job)
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=job_id,
            operation_location=job_status_location(job_id, self._client.version),
            status=RUNNING,
            accepted_at=self._now(),
            product_id=product_id,
            submission_id=submission_id,
        )

    def look_for(self, spec: GoLiveSpec, survey: Lookable) -> Lookup:
        """After an ambiguous or conflicting POST of ``survey`` (a ``post`` survey): the live entry of its
        submission (any status); else, when a preview publish runs, why no go-live will come; else nothing yet
        (the listing may lag)."""
        product_id, submission_id = survey.target["product"], survey.target["submission"]
        entries = self._entries(product_id)
        ours = [entry for entry in entries if entry.target == LIVE_TARGET and entry.id == submission_id]
        if ours:  # only the go-live of the submission that was posted is ours; another one proves nothing
            entry = ours[0]
            return Lookup(record=self._record(spec, product_id, entry, RUNNING if not entry.completed
                                              else outcome(entry.result)))
        previews = [entry for entry in entries if entry.target == PREVIEW_TARGET and entry.running]
        if previews:
            return Lookup(other=f"another publish is in progress: Partner Center shows {_newest(previews).describe()}")
        return Lookup()

    # ---- after posting -----------------------------------------------------------------------------------

    def read(self, record: OperationRecord) -> Reading:
        """One read of a recorded go-live: its job, then (once the job succeeded) its live entry; or, for an
        adopted go-live, its live entry only.

        The job's ``Retry-After`` is passed on. A job status the API no longer returns (404) is explained by the
        listing when its live entry has ended; otherwise the 404 is raised as it is.
        """
        kind, key = parse_location(record.operation_location)
        if kind == "submission":
            return self._read_rollout(record, f"product/{key}")
        if key in self._jobs_succeeded:  # its outcome cannot change: only the rollout is left to watch
            rollout = self._read_rollout(record, record.product_id)
            return dataclasses.replace(rollout, progress={"": "job completed: succeeded", **rollout.progress})
        try:
            job, retry_after = self._client.get_job_status(key)
        except ApiError as exc:
            if exc.status != 404:
                raise
            rollout = self._read_rollout(record, record.product_id)
            if rollout.status == RUNNING:
                raise
            return dataclasses.replace(rollout, messages=(
                f"the configure job {key} is no longer returned (HTTP 404)", *rollout.messages))
        check_job_names(job, key, self._client.base_url)
        word = job.get("jobStatus")
        if not (isinstance(word, str) and squash(word) == COMPLETED):
            known = isinstance(word, str) and squash(word) in NOT_COMPLETED_WORDS
            shown = word if isinstance(word, str) else "(no jobStatus)"
            return Reading(RUNNING, progress={"": f"job {shown}"}, unknown_word=None if known else shown,
                           retry_after=retry_after)
        result = job.get("jobResult")
        status = outcome(result)
        if status != SUCCEEDED:
            messages = job_error_messages(job)
            if status == FAILED_STATUS and not (isinstance(result, str) and squash(result) == "failed"):
                messages.insert(0, f"the job completed with the unknown jobResult {result!r}")
            return Reading(status, progress={"": f"job completed: {result}"}, messages=messages,
                           retry_after=retry_after)
        self._jobs_succeeded.add(key)
        rollout = self._read_rollout(record, record.product_id)
        return dataclasses.replace(rollout, progress={"": "job completed: succeeded", **rollout.progress},
                                   retry_after=retry_after)

    # ---- errors ------------------------------------------------------------------------------------------

    def imported(self, spec: GoLiveSpec, operation_id: str) -> OperationRecord:
        """A configure job known by ID alone: the product it must belong to and the job itself (GETs; a job the API
        does not return raises its 404 here, where a recorded one's would be explained by the listing)."""
        search = self._client.find_products(spec.offer_id)
        if len(search.matches) != 1:
            raise OfferNotReadyError(_product_problem(spec.offer_id, search.matches, search.listed))
        product_id = self._product_id(search.matches[0], spec)
        job, _ = self._client.get_job_status(operation_id)  # a job the API does not know: its 404, as it is
        check_job_names(job, operation_id, self._client.base_url)
        return OperationRecord(publisher_id=spec.publisher_id, offer_id=spec.offer_id, operation_id=operation_id,
                               operation_location=job_status_location(operation_id, self._client.version),
                               status=RUNNING, accepted_at=None, product_id=product_id)

    def certainly_not_started(self, exc: ApiError) -> bool:
        """Only a POST that was never sent: PI has no error answer proven to mean "not taken", and a 5xx may
        hide a submission that was created (§9)."""
        return exc.code == "NotSent"

    def is_conflict(self, exc: ApiError) -> bool:
        """HTTP 409, the code ``conflict``, or one of the overlap messages publishers report (§6, §9)."""
        text = (exc.message or "").lower()
        return (exc.status == 409 or squash(exc.code or "") == "conflict"
                or any(phrase in text for phrase in _CONFLICT_PHRASES))

    # ---- helpers -----------------------------------------------------------------------------------------

    def _product_id(self, product: Mapping[str, Any], spec: GoLiveSpec) -> str:
        raw = product.get("id")
        if is_product_id(raw):
            return str(raw)
        raise ApiError(status=200, method="GET", url=f"{self._client.base_url}/product", code="MalformedResponse",
                          message=f"the product of external ID {spec.offer_id!r} has no usable id "
                                  f"(product/<guid>): {str(raw)[:100]!r}", service=SERVICE)

    def _entries(self, product_id: str) -> list[ListingEntry]:
        """The listing's preview and live entries that name a submission of this product."""
        return listing_entries(self._client.list_submissions(product_id), product_id)

    def _record(self, spec: GoLiveSpec, product_id: str, entry: ListingEntry, status: str) -> OperationRecord:
        """A go-live found in the listing: known by its live submission's ID (no job ID is known)."""
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=entry.id,
            operation_location=listing_location(product_id, self._client.version),
            status=status,
            accepted_at=entry.created or self._now(),
            completed_at=None if status == RUNNING else self._now(),
            product_id=product_id,
            submission_id=entry.id,
        )

    def _read_rollout(self, record: OperationRecord, product_id: str) -> Reading:
        """The live entry of the recorded submission: ``succeeded``/``failed``/``canceled`` once completed, else
        running with a ``rollout`` line.

        A record without a product ID looks the product up by its offer ID; one without a submission ID (neither
        should happen: both are recorded with the job) follows the newest live entry.
        """
        if not product_id:
            matches = self._client.find_products(record.offer_id).matches
            if len(matches) != 1:
                return Reading(RUNNING, progress={_ROLLOUT: f"rollout: {len(matches)} products with external ID "
                                                            f"{record.offer_id!r} are listed"})
            product_id = self._product_id(matches[0], GoLiveSpec(record.publisher_id, record.offer_id))
        live = [entry for entry in self._entries(product_id) if entry.target == LIVE_TARGET]
        wanted = [entry for entry in live if entry.id == record.submission_id] if record.submission_id else live
        if not wanted:
            return Reading(RUNNING, progress={
                _ROLLOUT: f"rollout: submission {record.submission_id or '(unknown)'} is not listed as live yet"})
        entry = _newest(wanted)
        if not entry.completed:
            return Reading(RUNNING, progress={_ROLLOUT: f"rollout: {entry.describe()}"},
                           unknown_word=None if entry.known_status or entry.status is None else entry.status)
        status = outcome(entry.result)
        if status == SUCCEEDED:
            return Reading(SUCCEEDED, progress={_ROLLOUT: f"rollout: {entry.describe()}"})
        return Reading(status, progress={_ROLLOUT: f"rollout: {entry.describe()}"},
                       messages=(f"Partner Center lists {entry.describe()}",))


def _product_problem(offer_id: str, matches: Sequence[Mapping[str, Any]], listed: Sequence[str]) -> str:
    """Why the product of ``offer_id`` cannot be told: none of the listed products has it, or several do."""
    if matches:
        ids = ", ".join(str(product.get("id"))[:60] for product in matches[:5])
        return (f"Product Ingestion lists {len(matches)} products with the external ID {offer_id!r} ({ids}); "
                "which one is the offer cannot be told, so none is sent live.")
    if listed:
        shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        return (f"Product Ingestion listed {len(listed)} product(s) for the external ID {offer_id!r} ({shown}), none "
                "with identity.externalId equal to it: check the offer ID shown in Partner Center.")
    return (f"Product Ingestion lists no product with the external ID {offer_id!r} (the offer ID shown in Partner "
            "Center) for this Entra app: check the offer ID and that the app is associated with the Partner Center "
            "account.")


def _newest(entries: Sequence[ListingEntry]) -> ListingEntry:
    # The listing's order is undocumented: the highest submission number wins, then the latest creation time.
    return max(entries, key=ListingEntry.newness)
