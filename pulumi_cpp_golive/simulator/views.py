"""JSON bodies of the simulated CPP: operations, submissions and offer status.

Pure functions of an offer/operation and a clock reading; callers hold the world's lock while rendering because
operations can be mutated (canceled, completed early) by other threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from . import vocabulary as words
from .timeline import Timeline
from .world import Offer, Operation

Json = Dict[str, Any]


@dataclass(frozen=True)
class _StepState:
    status: str
    percent: int
    # Clock reading at which the step finished (for its "Step completed." message), if it did.
    finished: Optional[float] = None


@dataclass(frozen=True)
class Renderer:
    """Renders bodies at one clock reading, in the configured status spelling."""

    timeline: Timeline
    now: float
    status_case: str
    # Non-migrated offers (dollar-style IDs) still carry notificationEmails (docs/cpp-api.md §8).
    include_emails: bool = False

    def operation(self, op: Operation, *, unknown_status: bool = False) -> Json:
        """``GET .../operations/{id}``: a single object (the docs' array wrapper is not what clients decode). A publish
        waiting at sign-off reads ``running`` here (:meth:`Operation.reported`)."""
        outcome = op.reported(self.now)
        running = unknown_status and outcome == words.RUNNING
        shown = words.UNKNOWN_STATUS if running else words.spell(outcome, self.status_case)
        body: Json = {
            "id": op.id,
            "status": shown,
            "messages": self._operation_messages(op),
            "publishingVersion": op.publishing_version,
            "offerVersion": op.offer_version,
            # From the true outcome: a publish waiting at sign-off reads running, but a cancel would not touch it.
            "cancellationRequestState": _cancellation_state(op.outcome(self.now)),
            "steps": self.steps(op),
            "previewLinks": [],
            "liveLinks": [],
            "createdDateTime": self.timeline.iso(op.created),
            "lastActionDateTime": self.timeline.iso(op.changed(self.now)),
        }
        if self.include_emails:
            body["notificationEmails"] = op.emails
        return body

    def submission(self, op: Operation) -> Json:
        """One element of ``GET .../submissions/``."""
        changed = op.changed(self.now)
        return {
            "id": op.id,
            "offerId": op.offer,
            "offerVersion": op.offer_version,
            "offerTypeId": words.OFFER_TYPE_ID,
            "publisherId": op.publisher,
            "submissionType": op.kind,
            "submissionState": words.spell(op.outcome(self.now), self.status_case),
            "publishingVersion": op.publishing_version,
            "slot": op.slot,
            "version": self.timeline.ticks(changed),
            "definition": {"metadata": {"emails": op.emails}},
            "changedTime": self.timeline.iso(changed),
        }

    def offer(self, offer: Offer) -> Json:
        """``GET .../offers/{offerId}``: the offer's summary (docs/cpp-api.md §5), its definition left empty."""
        return {
            "offerTypeId": words.OFFER_TYPE_ID,
            "publisherId": offer.publisher,
            "id": offer.name,
            "version": offer.version,
            "status": words.spell(offer.status(self.now), self.status_case),
            "definition": {},
            "changedTime": self.timeline.iso(offer.changed),
        }

    def offer_status(self, offer: Offer) -> Json:
        """``GET .../status``: the offer's status word and the steps of its latest publish or go-live."""
        latest = offer.latest()
        body: Json = {
            "status": words.spell(offer.status(self.now), self.status_case),
            "messages": self._operation_messages(latest) if latest is not None else [],
            "steps": self.steps(latest) if latest is not None else [],
            "previewLinks": [],
            "liveLinks": [],
        }
        if self.include_emails:
            body["notificationEmails"] = latest.emails if latest is not None else ""
        return body

    def steps(self, op: Operation) -> List[Json]:
        """The six VM steps of a publish or go-live (a cancel has none)."""
        if op.kind == words.CANCEL:
            return []
        states = _golive_steps(op, self.now) if op.kind == words.GOLIVE else _publish_steps(op, self.now)
        rendered: List[Json] = []
        for spec, state in zip(words.VM_STEPS, states):
            step: Json = {}
            # The sign-off step has no estimatedTimeFrame in the docs sample; keep it absent rather than null.
            if spec.estimated_time_frame is not None:
                step["estimatedTimeFrame"] = spec.estimated_time_frame
            step.update(
                id=spec.id,
                stepName=spec.name,
                description=spec.description,
                status=words.spell(state.status, self.status_case),
                messages=self._step_messages(op, state),
                progressPercentage=state.percent,
            )
            rendered.append(step)
        return rendered

    def _step_messages(self, op: Operation, state: _StepState) -> List[Json]:
        if state.status == words.FAILED:
            return [self._message(words.FAILURE_MESSAGE, "error", op.created + op.duration)]
        if state.status == words.COMPLETE and state.finished is not None:
            return [self._message("Step completed.", "information", state.finished)]
        return []

    def _operation_messages(self, op: Operation) -> List[Json]:
        outcome = op.outcome(self.now)
        if outcome == words.FAILED:
            return [self._message(words.FAILURE_MESSAGE, "error", op.created + op.duration)]
        if outcome == words.CANCELED and op.canceled_at is not None:
            return [self._message("The operation was canceled by the publisher.", "information", op.canceled_at)]
        return []

    def _message(self, text: str, level: str, reading: float) -> Json:
        return {"messageHtml": text, "level": level, "timestamp": self.timeline.iso(reading)}


def _cancellation_state(outcome: str) -> str:
    # Only "canCancel" is documented; the other two words are this fake's choice for finished operations.
    if outcome == words.RUNNING:
        return "canCancel"
    return "canceled" if outcome == words.CANCELED else "cannotCancel"


def _publish_steps(op: Operation, now: float) -> List[_StepState]:
    """Preview steps share ``publish_seconds`` equally; then sign-off waits for the publisher, until a later
    operation follows (then it reads complete, as the operation does). A failed publish fails certification."""
    elapsed, outcome = op.elapsed(now), op.outcome(now)
    if outcome == words.FAILED:
        # fail_publish fails certification (the second step); the steps after it never start.
        validated = _StepState(words.COMPLETE, 100, op.created + op.duration / words.PREVIEW_STEPS)
        never = [_StepState(words.NOT_STARTED, 0)] * (len(words.VM_STEPS) - 2)
        return [validated, _StepState(words.FAILED, 100), *never]
    share = op.duration / words.PREVIEW_STEPS
    states: List[_StepState] = []
    for index in range(words.PREVIEW_STEPS):
        start = index * share
        # The last step ends at the duration itself, not at 4 * (duration / 4), which may differ by rounding.
        end = op.duration if index == words.PREVIEW_STEPS - 1 else (index + 1) * share
        if op.duration == 0 or elapsed >= end:
            states.append(_StepState(words.COMPLETE, 100, op.created + end))
        elif elapsed >= start:
            percent = int(100 * (elapsed - start) / share)
            states.append(_StepState(words.CANCELED if outcome == words.CANCELED else words.IN_PROGRESS, percent))
        else:
            states.append(_StepState(words.NOT_STARTED, 0))
    if op.at_signoff(now):
        states.append(_StepState(words.WAITING_FOR_PUBLISHER_REVIEW, 0))
    elif outcome == words.COMPLETE:
        states.append(_StepState(words.COMPLETE, 100, op.created + op.duration))
    else:
        states.append(_StepState(words.NOT_STARTED, 0))
    states.append(_StepState(words.NOT_STARTED, 0))
    return states


def _golive_steps(op: Operation, now: float) -> List[_StepState]:
    """Everything up to sign-off is done; the live step progresses over ``golive_seconds``."""
    states = [_StepState(words.COMPLETE, 100, op.created) for _ in range(words.PREVIEW_STEPS + 1)]
    outcome = op.outcome(now)
    percent = 100 if op.duration == 0 else int(100 * op.elapsed(now) / op.duration)
    if outcome == words.COMPLETE:
        states.append(_StepState(words.COMPLETE, 100, op.created + op.duration))
    elif outcome == words.FAILED:
        states.append(_StepState(words.FAILED, 100))
    elif outcome == words.CANCELED:
        states.append(_StepState(words.CANCELED, min(percent, 99)))
    else:
        # Never report 100 % while the operation is still running.
        states.append(_StepState(words.IN_PROGRESS, min(percent, 99)))
    return states
