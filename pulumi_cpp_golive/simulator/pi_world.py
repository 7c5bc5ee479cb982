"""The Product Ingestion (PI) side of the simulated world: products, their submissions and configure jobs (go-live
and publish to preview).

As in :mod:`.world`, nothing runs in the background: a submission or job records when it started, how long it lasts
and whether it will fail, and its status is computed from the injected clock when asked. The rules follow
``docs/product-ingestion-api.md`` §2-§5 and §10: a product has a draft submission (number 0), previews numbered from 1,
and live entries that reuse the number of the preview submission they promoted, so one ID can be listed under both
targets. A publish to preview creates the next preview from the draft, if the draft changed since the last one
(:attr:`Product.draft_changed`); otherwise its job fails with ``noChanges``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from .options import SimulatorConfig
from .timeline import Timeline
from .vocabulary import FAILED, NOT_STARTED, RUNNING, SUCCEEDED
from .world import SimulatorError

# States a test may put a product in directly (Simulator.add_product, the --product flag).
PRODUCT_STATES = ("draft", "preview-running", "ready", "live", "preview-failed")

DRAFT, PREVIEW, LIVE = "draft", "preview", "live"
TARGETS = (DRAFT, PREVIEW, LIVE)
COMPLETED, PENDING = "completed", "pending"
CONFLICT_MESSAGE = "An In Progress submission already exists"
NO_CHANGES = "noChanges"
NO_CHANGES_MESSAGE = "The draft submission has no changes to publish."
NOT_LATEST_MESSAGE = "The submission cannot be pushed to as its not the latest"
# A job reads notStarted at the instant it is created and for this share of its duration, then running.
QUEUED_SHARE = 0.1

Json = Dict[str, Any]


def bad_request(message: str) -> SimulatorError:
    """PI's synchronous refusal: 400 ``{"error": {"code": "badRequest", ...}}``."""
    return SimulatorError(400, "badRequest", message)


@dataclass
class Submission:
    """One entry of a product's submission listing; a live entry repeats the number of the preview it promoted."""

    product: str  # the product's bare GUID
    number: int
    target: str
    created: float
    duration: float
    will_fail: bool = False

    @property
    def id(self) -> str:
        """``submission/<productGuid>/<number>``."""
        return f"submission/{self.product}/{self.number}"

    def progress(self, now: float) -> Tuple[str, str]:
        """``(status, result)`` at clock reading ``now``: running/pending, then completed/succeeded|failed."""
        if now < self.created + self.duration:
            return RUNNING, PENDING
        return COMPLETED, FAILED if self.will_fail else SUCCEEDED


@dataclass
class Job:
    """A configure job; it completes ``pi_job_seconds`` after it was accepted, not after its submission does."""

    id: str
    # The submission the job publishes (the new live or preview entry; the draft when there was nothing to publish).
    submission: str
    target: str
    created: float
    duration: float
    # None, "job" (pi_fail_job), "certification" (pi_certification_failure) or "noChanges" (a publish of an
    # unchanged draft), fixed when the job was accepted.
    failure: Optional[str] = None

    @property
    def ended(self) -> float:
        """Clock reading at which the job completes."""
        return self.created + self.duration

    def progress(self, now: float) -> Tuple[str, str]:
        """``(jobStatus, jobResult)`` at clock reading ``now``."""
        elapsed = now - self.created
        if elapsed > 0 and elapsed >= self.duration:
            return COMPLETED, FAILED if self.failure else SUCCEEDED
        if elapsed <= self.duration * QUEUED_SHARE:
            return NOT_STARTED, PENDING
        return RUNNING, PENDING

    def errors(self) -> List[Json]:
        """The ``errors`` of a failed job (docs/product-ingestion-api.md §4), the cause nested in ``details``."""
        submission = self.submission
        if self.failure == NO_CHANGES:
            return [{"resourceId": submission, "code": NO_CHANGES, "message": NO_CHANGES_MESSAGE}]
        if self.failure == "certification":
            cause = {
                "resourceId": submission,
                "code": "invalidState",
                "message": f"Submission {submission} failed certification: the image did not pass the (simulated) "
                "security scan.",
            }
        else:
            cause = {
                "resourceId": submission,
                "code": "invalidRequest",
                "message": "The plan's technical configuration is incomplete (simulated failure).",
            }
        summary = f"The publish of {submission} to {self.target} failed validation."
        return [{"resourceId": submission, "code": "businessValidationError", "message": summary, "details": [cause]}]


@dataclass
class Product:
    """A product and its submissions, oldest first."""

    guid: str
    external_id: str
    # Whether the draft holds changes that no preview was created from yet, i.e. whether a publish has work to do.
    draft_changed: bool = False
    submissions: List[Submission] = field(default_factory=list)
    next_number: int = 1

    @property
    def id(self) -> str:
        """``product/<guid>``, the durable ID request bodies use."""
        return f"product/{self.guid}"

    def latest(self, target: str, now: float, lag: float = 0.0) -> Optional[Submission]:
        """The newest entry for ``target`` that is at least ``lag`` seconds old."""
        return next(
            (s for s in reversed(self.submissions) if s.target == target and now - s.created >= lag),
            None,
        )

    def listing(self, now: float, live_lag: float) -> List[Submission]:
        """What ``GET submission/<guid>`` lists: the newest draft, preview and live entries."""
        lags = {DRAFT: 0.0, PREVIEW: 0.0, LIVE: live_lag}
        return [entry for target in TARGETS if (entry := self.latest(target, now, lags[target])) is not None]

    def in_progress(self, now: float) -> Optional[Submission]:
        """A preview or live submission that has not completed, if any."""
        return next((s for s in self.submissions if s.target != DRAFT and s.progress(now)[0] != COMPLETED), None)


class PiWorld:
    """All simulated products and jobs, behind one lock, timed by the injected clock."""

    def __init__(self, config: Callable[[], SimulatorConfig], timeline: Timeline) -> None:
        self._config = config
        self.timeline = timeline
        self.lock = threading.RLock()
        self._products: Dict[str, Product] = {}
        self._jobs: Dict[str, Job] = {}

    def add_product(self, external_id: str, state: str = "ready", draft_changed: Optional[bool] = None) -> str:
        """Create (or replace) a product in one of :data:`PRODUCT_STATES`, with a history that explains that state
        and ends now; returns its bare GUID. ``draft_changed`` (default: only for ``draft``) says whether its draft
        has changes to publish."""
        if state not in PRODUCT_STATES:
            raise ValueError(f"unknown product state {state!r}; expected one of {', '.join(PRODUCT_STATES)}")
        if not external_id or "/" in external_id:
            raise ValueError("the external ID must be non-empty and contain no '/'")
        with self.lock:
            now, config = self.timeline.now(), self._config()
            for guid in [g for g, p in self._products.items() if p.external_id == external_id]:
                del self._products[guid]
            changed = state == DRAFT if draft_changed is None else draft_changed
            product = Product(str(uuid.uuid4()), external_id, changed)
            self._products[product.guid] = product
            publish = config.publish_seconds
            golive = config.pi_job_seconds + config.pi_rollout_seconds if state == "live" else 0.0
            start = now - golive - (0.0 if state == "preview-running" else publish)
            product.submissions.append(Submission(product.guid, 0, DRAFT, start, 0.0))
            if state != "draft":
                preview = self._submit(product, PREVIEW, start, publish, will_fail=state == "preview-failed")
                if state == "live":
                    product.submissions.append(Submission(product.guid, preview.number, LIVE, now - golive, golive))
            return product.guid

    def products(self) -> List[Product]:
        """Every product, oldest first."""
        with self.lock:
            return list(self._products.values())

    def product(self, guid: str) -> Product:
        """A product by bare GUID, or a 404 ``notFound`` refusal."""
        with self.lock:
            found = self._products.get(guid)
            if found is None:
                raise SimulatorError(404, "notFound", f"Product '{guid}' was not found.")
            return found

    def by_external_id(self, external_id: str) -> Product:
        """A product by external ID (offer ID), or a 404 ``notFound`` refusal."""
        with self.lock:
            found = next((p for p in self._products.values() if p.external_id == external_id), None)
            if found is None:
                raise SimulatorError(404, "notFound", f"No product has the external ID '{external_id}'.")
            return found

    def job(self, job_id: str) -> Job:
        """A configure job by ID, or a 404 ``notFound`` refusal."""
        with self.lock:
            found = self._jobs.get(job_id)
            if found is None:
                raise SimulatorError(404, "notFound", f"Job '{job_id}' was not found.")
            return found

    def edit_draft(self, external_id: str) -> None:
        """Someone changed the draft: the next publish to preview has something to publish."""
        with self.lock:
            self.by_external_id(external_id).draft_changed = True

    def publish_preview(self, external_id: str) -> Submission:
        """Someone else published to preview (out of band, no job): a new preview submission (the next number),
        changed draft or not, that succeeds after ``publish_seconds``; the draft then holds no changes."""
        with self.lock:
            product, now = self.by_external_id(external_id), self.timeline.now()
            self._refuse_if_busy(product, now)
            product.draft_changed = False
            return self._submit(product, PREVIEW, now, self._config().publish_seconds)

    def publish_draft(self, guid: str) -> Job:
        """Accept a publish of the draft to preview, as ``POST configure`` with target ``preview`` does: a job, and
        (if the draft changed) a new preview entry that completes ``publish_seconds`` after the POST, though never
        before its job; with nothing to publish, only a job that fails with ``noChanges``."""
        with self.lock:
            now, config = self.timeline.now(), self._config()
            product = self._configurable(guid, now)
            if not product.draft_changed:
                job = Job(str(uuid.uuid4()), f"submission/{guid}/0", PREVIEW, now, config.pi_job_seconds, NO_CHANGES)
            else:
                failure = _failure(config)
                duration = config.pi_job_seconds if failure else max(config.publish_seconds, config.pi_job_seconds)
                preview = self._submit(product, PREVIEW, now, duration, will_fail=failure is not None)
                product.draft_changed = False
                job = Job(str(uuid.uuid4()), preview.id, PREVIEW, now, config.pi_job_seconds, failure)
            self._jobs[job.id] = job
            return job

    def go_live(self, guid: str, number: Optional[int] = None) -> Job:
        """Accept a go-live of preview submission ``number`` (None: the current one), as ``POST configure`` does:
        a job, and a live entry with the preview's number that completes ``pi_rollout_seconds`` after the job."""
        with self.lock:
            now, config = self.timeline.now(), self._config()
            product = self._configurable(guid, now)
            preview = product.latest(PREVIEW, now)
            if preview is None:
                raise bad_request(f"Product '{product.id}' has no preview submission; publish to preview first.")
            if number is not None and number != preview.number:
                raise self._conflict(f"{NOT_LATEST_MESSAGE} (the preview submission is {preview.id}).")
            if preview.will_fail:
                raise bad_request(f"Submission {preview.id} failed in preview; there is nothing to publish live.")
            live = product.latest(LIVE, now)
            if live is not None and live.number == preview.number:
                outcome = "went live" if not live.will_fail else "failed to go live; publish a new preview first"
                raise bad_request(f"Submission {preview.id} already {outcome}.")
            failure = _failure(config)
            rollout = 0.0 if failure else config.pi_rollout_seconds
            entry = Submission(guid, preview.number, LIVE, now, config.pi_job_seconds + rollout, failure is not None)
            product.submissions.append(entry)
            job = Job(str(uuid.uuid4()), entry.id, LIVE, now, config.pi_job_seconds, failure)
            self._jobs[job.id] = job
            return job

    def _configurable(self, guid: str, now: float) -> Product:
        """The product a configure POST names, if it may take one now; PI's refusal otherwise."""
        product = self._products.get(guid)
        if product is None:
            raise bad_request(f"Product 'product/{guid}' does not exist or is not accessible to this account.")
        self._refuse_if_busy(product, now)
        return product

    def _refuse_if_busy(self, product: Product, now: float) -> None:
        if product.in_progress(now) is not None:
            raise self._conflict(CONFLICT_MESSAGE)

    def _conflict(self, message: str) -> SimulatorError:
        return SimulatorError(self._config().pi_conflict_status, "conflict", message)

    def _submit(
        self, product: Product, target: str, created: float, duration: float, *, will_fail: bool = False
    ) -> Submission:
        submission = Submission(product.guid, product.next_number, target, created, duration, will_fail)
        product.next_number += 1
        product.submissions.append(submission)
        return submission


def _failure(config: SimulatorConfig) -> Optional[str]:
    """The failure a job accepted now will end with (see :attr:`Job.failure`)."""
    return "certification" if config.pi_certification_failure else "job" if config.pi_fail_job else None
