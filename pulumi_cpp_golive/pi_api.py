"""The Product Ingestion API in the go-live machine's words: :class:`PiOfferApi` (see :mod:`.offer_api`).

It reads through :class:`~.pi_client.PiClient` and reads the answers with :mod:`.pi_wire` (what PI's words mean:
which listing entries count, status and result words, job IDs, recorded locations). The rules this module applies
(``docs/product-ingestion-api.md``):

* The offer is the product whose external ID is the offer ID; its submission listing says what runs (§2, §5).
* Survey (GETs only): a preview other than the one ``preview_submission_id`` pins is refused, naming both; a
  live entry still running is a go-live to adopt; a preview entry running is another
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

from .errors import ApiError, OfferNotReadyError
from .inputs import GoLiveSpec
from .offer_api import GO_LIVE, Adopt, AlreadyDone, Busy, LastFailed, Lookable, Lookup, Post, Reading, Refuse, Survey
from .pi_operations import PiOperations, newest
from .pi_wire import (
    LIVE_TARGET,
    PREVIEW_TARGET,
    golive_body,
    job_id_of,
    job_status_location,
    outcome,
    parse_location,
)
from .record import OperationRecord
from .resource import NEVER_PUBLISHED, PREVIEW_READY, PUBLISHING
from .status import RUNNING, SUCCEEDED

_ROLLOUT = "rollout"


class PiOfferApi(PiOperations):
    """:class:`~.offer_api.OfferApi` for the go-live on the Product Ingestion API."""

    words = GO_LIVE

    # ---- before posting ----------------------------------------------------------------------------------

    def survey(self, spec: GoLiveSpec) -> Survey:
        """Find the product and read its listing (GETs only); decide as the module docstring says."""
        try:
            product_id = self._the_product(spec)
        except OfferNotReadyError as exc:
            return Refuse(str(exc))
        entries = self._entries(product_id)
        previews = [entry for entry in entries if entry.target == PREVIEW_TARGET]
        preview = newest(previews) if previews else None
        pinned = spec.preview_submission_id
        if pinned and (preview is None or preview.id != pinned):
            current = preview.describe() if preview is not None else "no preview submission"
            return Refuse(
                f"the offer's current preview is {current}, not {pinned} (previewSubmissionId): a newer preview was "
                "published since. Check it, then set previewSubmissionId to it (or wire it from OfferPublish).",
                offer_state=PUBLISHING if preview is not None and preview.running else PREVIEW_READY)
        live_running = [entry for entry in entries if entry.target == LIVE_TARGET and entry.running]
        ours = [entry for entry in live_running if preview is not None and entry.id == preview.id]
        if ours:
            return Adopt(self._listed_record(spec, product_id, ours[0], RUNNING))
        if live_running:
            # A go-live of another submission is still rolling out: adopting it would report the wrong submission
            # live, and posting now would overlap it. The machine waits for it to end, then surveys again.
            other = newest(live_running)
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
            record = self._listed_record(spec, product_id, entry, status)
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
            return Lookup(record=self._listed_record(spec, product_id, ours[0]))
        previews = [entry for entry in entries if entry.target == PREVIEW_TARGET and entry.running]
        if previews:
            return Lookup(other=f"another publish is in progress: Partner Center shows {newest(previews).describe()}")
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
        try:
            job, retry_after = self._job(key)
        except ApiError as exc:
            if exc.status != 404:
                raise
            rollout = self._read_rollout(record, record.product_id)
            if rollout.status == RUNNING:
                raise
            return dataclasses.replace(rollout, messages=(
                f"the configure job {key} is no longer returned (HTTP 404)", *rollout.messages))
        if job is not None:
            return job
        rollout = self._read_rollout(record, record.product_id)
        return dataclasses.replace(rollout, progress={"": "job completed: succeeded", **rollout.progress},
                                   retry_after=retry_after)

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
        entry = newest(wanted)
        if not entry.completed:
            return Reading(RUNNING, progress={_ROLLOUT: f"rollout: {entry.describe()}"},
                           unknown_word=None if entry.known_status or entry.status is None else entry.status)
        status = outcome(entry.result)
        if status == SUCCEEDED:
            return Reading(SUCCEEDED, progress={_ROLLOUT: f"rollout: {entry.describe()}"})
        return Reading(status, progress={_ROLLOUT: f"rollout: {entry.describe()}"},
                       messages=(f"Partner Center lists {entry.describe()}",))
