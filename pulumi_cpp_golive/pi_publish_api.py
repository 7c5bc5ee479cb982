"""The Product Ingestion publish to preview behind the machine's questions (:class:`~.offer_api.OfferApi`):
``OfferPublish`` (``docs/product-ingestion-api.md`` §10).

* Survey (GETs only): the product by external ID and its listing, every page. A ``preview`` entry still running is a
  publish in flight (ours from a killed run, or another's): adopt it. Any other entry not completed (a go-live
  rolling out) refuses, naming it. No ``draft`` entry: nothing to publish. Otherwise post the draft.
* ``POST /configure`` once with the draft (its ``id``, ``product``, target ``preview``); then the job; then, once the
  job succeeded, the listing until the preview entry the publish created completes. ``succeeded`` only when both
  say so; that entry's ID is the ``submission_id`` recorded (and what ``OfferGoLive`` may pin).
* Which ID the new preview entry gets is not documented: it is the preview entry that was not listed before the
  POST (or listed, but running again since). A run that resumes a publish another process posted does not know that
  list: it takes a preview entry still running, or one created since the publish was accepted (10 minutes of clock
  skew allowed) that has not gone live; an older one is never taken for it. The same rule finds, after an earlier
  run's ambiguous POST, the preview it made before this run listed anything.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Callable, Optional, Sequence

from .errors import ApiError, OfferNotReadyError
from .inputs import GoLiveSpec
from .offer_api import PUBLISH, Adopt, Lookable, Lookup, Post, Reading, Refuse, Survey
from .pi_client import PiClient
from .pi_operations import PiOperations, newest
from .pi_wire import (
    DRAFT_TARGET,
    LIVE_TARGET,
    PREVIEW_TARGET,
    ListingEntry,
    job_id_of,
    job_status_location,
    outcome,
    parse_location,
    publish_body,
)
from .record import OperationRecord
from .resource import GOING_LIVE, NEVER_PUBLISHED
from .shapes import moment
from .status import RUNNING, SUCCEEDED, utc_now

_PREVIEW = "preview"
# How far the API's clock may be behind ours when a preview entry's creation is compared with our acceptance time.
_CLOCK_SKEW = datetime.timedelta(minutes=10)
# Words with which a job's errors say the draft holds nothing new (the service's wording is not documented).
_NOTHING_NEW_PHRASES = ("no change", "nothing to publish", "nothing new", "nochanges", "no new changes")


class PiPublishApi(PiOperations):
    """:class:`~.offer_api.OfferApi` for the publish to preview on the Product Ingestion API."""

    words = PUBLISH

    def __init__(self, client: PiClient, *, now: Callable[[], str] = utc_now) -> None:
        super().__init__(client, now=now)
        # The preview entries listed before each POST, by job ID: what tells the new preview entry apart.
        self._listed_before: dict[str, frozenset[str]] = {}

    def survey(self, spec: GoLiveSpec) -> Survey:
        """Decide as the module docstring says (GETs only)."""
        try:
            product_id = self._the_product(spec)
        except OfferNotReadyError as exc:
            return Refuse(str(exc))
        entries = self._entries(product_id)
        previews = [entry for entry in entries if entry.target == PREVIEW_TARGET]
        publishing = [entry for entry in previews if entry.running]
        if publishing:
            return Adopt(self._listed_record(spec, product_id, newest(publishing)))
        busy = [entry for entry in entries if entry.target not in (DRAFT_TARGET, PREVIEW_TARGET) and entry.running]
        if busy:
            return Refuse(f"a go-live is running: Partner Center shows {newest(busy).describe()}; publish the next "
                          "version once it has ended.", offer_state=GOING_LIVE)
        drafts = [entry for entry in entries if entry.target == DRAFT_TARGET]
        if not drafts:
            return Refuse(f"nothing to publish: product {product_id} lists no draft submission (Partner Center shows "
                          "no unpublished changes); edit the offer, then publish.",
                          offer_state="" if previews else NEVER_PUBLISHED)
        return Post({"product": product_id, "submission": newest(drafts).id,
                     "previews": ",".join(entry.id for entry in previews)})

    def post(self, spec: GoLiveSpec, survey: Post) -> OperationRecord:
        """POST the configure request that publishes the draft once; the job, ``running``. A 2xx without a usable
        job ID raises :class:`~.errors.UnusableAnswerError` (taken, but only the listing can show it)."""
        product_id = survey.target["product"]
        job_id = job_id_of(self._client.post_configure(publish_body(product_id, survey.target["submission"])))
        self._listed_before[job_id] = _listed(survey)
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=job_id,
            operation_location=job_status_location(job_id, self._client.version),
            status=RUNNING,
            accepted_at=self._now(),
            product_id=product_id,
        )

    def look_for(self, spec: GoLiveSpec, survey: Lookable) -> Lookup:
        """After an ambiguous or conflicting POST: a preview entry that was not listed before it (ours, or another
        run's publish: either way the one to follow), else a go-live that blocks any publish, else nothing yet.
        For an earlier run's POST (``since``), a preview created since it was sent counts too, even if this run's
        survey listed it: the publish may have ended before this run began."""
        product_id = survey.target["product"]
        entries = self._entries(product_id)
        before = _listed(survey)
        previews = [entry for entry in entries if entry.target == PREVIEW_TARGET]
        fresh = [entry for entry in previews if entry.id not in before or entry.running]
        since = survey.since if isinstance(survey, Post) else ""
        if not fresh and since:
            live = {entry.id for entry in entries if entry.target == LIVE_TARGET}
            fresh = _unseen_previews(since, previews, live)
        if fresh:
            return Lookup(self._listed_record(spec, product_id, newest(fresh)))
        busy = [entry for entry in entries if entry.target not in (DRAFT_TARGET, PREVIEW_TARGET) and entry.running]
        if busy:
            return Lookup(other=f"a go-live is running: Partner Center shows {newest(busy).describe()}")
        return Lookup()

    def read(self, record: OperationRecord) -> Reading:
        """Its job until the job succeeded, then its preview entry; a publish adopted from the listing, the entry
        only. A job status the API no longer returns (404) is explained by the preview entry when it has ended."""
        kind, key = parse_location(record.operation_location)
        if kind == "submission":
            return self._read_preview(record, None)
        try:
            job, retry_after = self._job(key)
        except ApiError as exc:
            if exc.status != 404:
                raise
            preview = self._read_preview(record, key)
            if preview.status == RUNNING:
                raise
            return preview
        if job is not None:
            if job.status != RUNNING and _says_nothing_new(job.messages):
                return self._nothing_new(record, job)
            return job
        preview = self._read_preview(record, key)
        return dataclasses.replace(preview, progress={"": "job completed: succeeded", **preview.progress},
                                   retry_after=retry_after)

    def _nothing_new(self, record: OperationRecord, job: Reading) -> Reading:
        """A job refused because the draft holds nothing new: the preview that already holds it is the publish's
        result, when one succeeded (this is also how a run killed during a publish that has since completed ends:
        its POST again is refused, harmlessly); else the refusal, with the job's messages."""
        previews = [entry for entry in self._entries(record.product_id) if entry.target == PREVIEW_TARGET]
        ready = [entry for entry in previews if entry.completed and outcome(entry.result) == SUCCEEDED]
        if ready:
            entry = newest(ready)
            return Reading(SUCCEEDED, progress={_PREVIEW: f"preview: {entry.describe()}"}, submission_id=entry.id,
                           messages=(f"the draft has nothing new to publish (the job says so: "
                                     f"{'; '.join(job.messages)}); {entry.id} already holds it",))
        return dataclasses.replace(job, messages=(
            "the draft has nothing new to publish (the job says so below), and no preview that succeeded holds it; "
            "change the offer in Partner Center, then `triggers`", *job.messages))

    def _read_preview(self, record: OperationRecord, job_id: Optional[str]) -> Reading:
        """The preview entry of the publish: the recorded one, else the one not listed before the POST, else the
        newest (see the module docstring)."""
        listed = self._entries(record.product_id)
        entries = [entry for entry in listed if entry.target == PREVIEW_TARGET]
        before = self._listed_before.get(job_id or "")
        if record.submission_id:
            candidates = [entry for entry in entries if entry.id == record.submission_id]
        elif before is None:
            live = {entry.id for entry in listed if entry.target == LIVE_TARGET}
            candidates = _unseen_previews(record.accepted_at or "", entries, live)
        else:
            # §10: not listed before the POST, or listed but its status changed since (running again: the survey
            # posted only while no preview ran, so a running one is this publish's).
            candidates = [entry for entry in entries if entry.id not in before or entry.running]
        if not candidates:
            return Reading(RUNNING, progress={_PREVIEW: "preview: the new preview submission is not listed yet"})
        entry = newest(candidates)
        line = {_PREVIEW: f"preview: {entry.describe()}"}
        if not entry.completed:
            return Reading(RUNNING, progress=line, submission_id=entry.id,
                           unknown_word=None if entry.known_status or entry.status is None else entry.status)
        status = outcome(entry.result)
        if status == SUCCEEDED:
            return Reading(SUCCEEDED, progress=line, submission_id=entry.id)
        return Reading(status, progress=line, submission_id=entry.id,
                       messages=(f"Partner Center lists {entry.describe()}",))

def _unseen_previews(posted_at: str, previews: list[ListingEntry], live: set[str]) -> list[ListingEntry]:
    """The preview entries a publish posted by another process at ``posted_at`` can be (its list of earlier
    previews died with it): one still running, or one created since (allowing for clock skew) that has not gone
    live. An older preview, even the newest one listed, is never taken for it: the wait goes on."""
    accepted = moment(posted_at) if posted_at else None
    if accepted is None:  # an imported job: no time to compare with; the API is the only witness
        return previews
    since = accepted - _CLOCK_SKEW
    return [entry for entry in previews if entry.running or (
        entry.id not in live and (created := moment(entry.created) if entry.created else None) is not None
        and created >= since)]


def _listed(survey: Lookable) -> frozenset[str]:
    return frozenset(filter(None, survey.target.get("previews", "").split(",")))


def _says_nothing_new(messages: Sequence[str]) -> bool:
    text = " ".join(messages).lower()
    return any(phrase in text for phrase in _NOTHING_NEW_PHRASES)
