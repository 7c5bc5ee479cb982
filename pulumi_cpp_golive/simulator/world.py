"""The simulated world: offers, their operations and the rules that move them (publish, go-live, cancel).

Nothing runs in the background. An operation records when it started and how long it lasts; its status at any
moment is computed from the injected clock (:mod:`.timeline`) when someone asks (:meth:`Operation.outcome`). That
keeps the simulator deterministic under a fake clock and free of timer threads. One re-entrant lock guards every
offer and operation.

A publish that reached publisher sign-off is ``complete`` in the submissions list and makes the offer's status
``waitingForPublisherReview``, but its own operation GET reads ``running`` until a later publish or go-live follows
it (:meth:`Operation.reported`): that is how CPP shows a preview that is ready for go-live.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote

from . import vocabulary as words
from .options import SimulatorConfig
from .timeline import Timeline

# States a test may put an offer in directly (Simulator.add_offer, the --offer flag).
OFFER_STATES = ("never-published", "ready", "live")

_SLOTS = {words.PUBLISH: "staging", words.GOLIVE: "production"}


class SimulatorError(Exception):
    """A refusal the API answers with ``{"error": {"code": ..., "message": ...}}`` and an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Operation:
    """One publish, go-live or cancel submission; its progress is a function of the clock."""

    id: str
    kind: str
    publisher: str
    offer: str
    publishing_version: int
    offer_version: int
    slot: str
    emails: str
    created: float
    duration: float
    # Snapshot of fail_golive / fail_publish when the operation started, so a later config change cannot rewrite
    # its outcome.
    will_fail: bool = False
    canceled_at: Optional[float] = None
    sequence: int = 0
    # Whether a publish or go-live was started after this one on the same offer (it is no longer the latest).
    followed: bool = False

    @property
    def dollar_style(self) -> bool:
        """Whether the ID is a ``{p}${o}${ver}$preview`` ID (tracked under /api/operations/) rather than a GUID."""
        return "$" in self.id

    def outcome(self, now: float) -> str:
        """``running``, ``complete``, ``failed`` or ``canceled`` at clock reading ``now``."""
        if self.canceled_at is not None:
            return words.CANCELED
        if now >= self.created + self.duration:
            return words.FAILED if self.will_fail else words.COMPLETE
        return words.RUNNING

    def at_signoff(self, now: float) -> bool:
        """Whether this is a publish waiting at publisher sign-off: finished its preview steps and nothing followed."""
        return self.kind == words.PUBLISH and not self.followed and self.outcome(now) == words.COMPLETE

    def reported(self, now: float) -> str:
        """The status its own operation GET shows: :meth:`outcome`, except that a publish waiting at sign-off is still
        ``running`` (real CPP keeps it open until someone goes live); the list and offer status use :meth:`outcome`."""
        return words.RUNNING if self.at_signoff(now) else self.outcome(now)

    def elapsed(self, now: float) -> float:
        """Seconds of progress made by ``now``: stops at the end, or when the operation was canceled."""
        stop = now if self.canceled_at is None else min(now, self.canceled_at)
        return max(0.0, min(stop - self.created, self.duration))

    def changed(self, now: float) -> float:
        """Clock reading of the operation's last state change (start, end or cancellation)."""
        if self.canceled_at is not None:
            return self.canceled_at
        end = self.created + self.duration
        return end if now >= end else self.created

    def tracking_path(self) -> str:
        """The relative tracking URL, with api-version, as CPP's ``Location`` carries it (docs/cpp-api.md §2a)."""
        if self.dollar_style:
            # The `$` separators stay literal: that is how the docs show them and what clients must keep.
            return f"/api/operations/{quote(self.id, safe='$')}?api-version={words.API_VERSION}"
        publisher, offer = quote(self.publisher, safe=""), quote(self.offer, safe="")
        return f"/api/publishers/{publisher}/offers/{offer}/operations/{self.id}?api-version={words.API_VERSION}"


@dataclass
class Offer:
    """A VM offer and its history of operations (oldest first)."""

    publisher: str
    name: str
    created: float
    version: int = 1
    operations: List[Operation] = field(default_factory=list)
    # When the offer's definition last changed (created, or edit_offer): a publish does not change it.
    changed: float = 0.0
    next_publishing_version: int = 1

    def latest(self) -> Optional[Operation]:
        """The newest publish or go-live (cancels only act on those, they are not a state of the offer)."""
        return next((op for op in reversed(self.operations) if op.kind != words.CANCEL), None)

    def running(self, now: float) -> Optional[Operation]:
        """The operation still running at ``now``, if any (there is at most one)."""
        for operation in reversed(self.operations):
            if operation.outcome(now) == words.RUNNING:
                return operation
        return None

    def status(self, now: float) -> str:
        """The offer-level status word (camelCase), as ``GET .../status`` reports it."""
        latest = self.latest()
        if latest is None:
            return words.NEVER_PUBLISHED
        outcome = latest.outcome(now)
        if outcome == words.COMPLETE:
            # A finished publish stops at publisher sign-off; a finished go-live means the offer is live.
            return words.WAITING_FOR_PUBLISHER_REVIEW if latest.kind == words.PUBLISH else words.SUCCEEDED
        return outcome


class World:
    """All simulated offers and operations, behind one lock, timed by the injected clock."""

    def __init__(self, config: Callable[[], SimulatorConfig], timeline: Timeline) -> None:
        self._config = config
        self.timeline = timeline
        # Re-entrant so that a caller may hold it while rendering views that call back into the world.
        self.lock = threading.RLock()
        self._offers: Dict[Tuple[str, str], Offer] = {}
        self._operations: Dict[str, Operation] = {}
        self._sequence: Iterator[int] = itertools.count(1)

    # --- set-up -------------------------------------------------------------------------------------------------

    def add_offer(self, publisher: str, offer: str, state: str = "ready", edited: bool = False) -> None:
        """Create (or replace) an offer in one of :data:`OFFER_STATES`, with a history that explains that state;
        ``edited``: the offer has a new version since that history's publish (see :meth:`edit_offer`)."""
        if state not in OFFER_STATES:
            raise ValueError(f"unknown offer state {state!r}; expected one of {', '.join(OFFER_STATES)}")
        if not publisher or not offer or "/" in publisher or "/" in offer:
            raise ValueError("publisher and offer must be non-empty and contain no '/'")
        with self.lock:
            now = self.timeline.now()
            config = self._config()
            previous = self._offers.get((publisher, offer))
            if previous is not None:
                # Replacing an offer restarts its publishing versions, so dollar-style IDs could collide.
                for operation in previous.operations:
                    self._operations.pop(operation.id, None)
            entry = Offer(publisher=publisher, name=offer, created=now, changed=now)
            self._offers[(publisher, offer)] = entry
            if state == "never-published":
                return
            # Back-date a finished publish (and go-live) so that the history ends exactly now.
            golive = config.golive_seconds if state == "live" else 0.0
            self._new_operation(entry, words.PUBLISH, "", now - golive - config.publish_seconds, config.publish_seconds)
            if state == "live":
                self._new_operation(entry, words.GOLIVE, "", now - golive, golive)
            if edited:
                entry.version += 1

    def edit_offer(self, publisher: str, offer: str) -> int:
        """Change the offer's definition (what a publisher does in the portal before publishing a new version):
        its ``changedTime`` moves to now and its version on; returns the new version."""
        with self.lock:
            entry = self.offer(publisher, offer)
            entry.changed = self.timeline.now()
            entry.version += 1
            return entry.version

    # --- lookups ------------------------------------------------------------------------------------------------

    def offer(self, publisher: str, offer: str) -> Offer:
        """The offer, or a 404 ``NotFound`` refusal naming what is missing."""
        with self.lock:
            entry = self._offers.get((publisher, offer))
            if entry is not None:
                return entry
            if not any(key[0] == publisher for key in self._offers):
                raise SimulatorError(404, "NotFound", f"Publisher '{publisher}' was not found.")
            raise SimulatorError(404, "NotFound", f"Offer '{offer}' of publisher '{publisher}' was not found.")

    def operation(self, operation_id: str, publisher: Optional[str] = None, offer: Optional[str] = None) -> Operation:
        """An operation by ID; when publisher/offer are given, it must belong to that offer."""
        with self.lock:
            if publisher is not None and offer is not None:
                self.offer(publisher, offer)
            found = self._operations.get(operation_id)
            if found is None or (publisher is not None and (found.publisher, found.offer) != (publisher, offer)):
                raise SimulatorError(404, "NotFound", f"Operation '{operation_id}' was not found.")
            return found

    # --- transitions --------------------------------------------------------------------------------------------

    def start_publish(self, publisher: str, offer: str, emails: str = "") -> Operation:
        """Start a publish (to preview), in any offer state; it reaches publisher sign-off after ``publish_seconds``
        (or ends ``failed`` then, with ``fail_publish``). A publish waiting at sign-off does not block it."""
        with self.lock:
            now = self.timeline.now()
            config = self._config()
            entry = self.offer(publisher, offer)
            self._refuse_if_busy(entry, now, config)
            fail = config.fail_publish
            return self._new_operation(entry, words.PUBLISH, emails, now, config.publish_seconds, will_fail=fail)

    def start_golive(self, publisher: str, offer: str, emails: str = "") -> Operation:
        """Start a go-live; refused unless the latest publish is waiting for publisher sign-off."""
        with self.lock:
            now = self.timeline.now()
            config = self._config()
            entry = self.offer(publisher, offer)
            self._refuse_if_busy(entry, now, config)
            status = entry.status(now)
            if status != words.WAITING_FOR_PUBLISHER_REVIEW:
                why = ": it has never been published " if status == words.NEVER_PUBLISHED else " "
                raise SimulatorError(
                    400,
                    "InvalidOperation",
                    f"Offer '{offer}' is not waiting for publisher sign-off{why}"
                    f"(status: {words.spell(status, config.status_case)}).",
                )
            fail = config.fail_golive
            return self._new_operation(entry, words.GOLIVE, emails, now, config.golive_seconds, will_fail=fail)

    def cancel(self, publisher: str, offer: str, emails: str = "") -> Operation:
        """Cancel the running operation, if any; the cancel itself is a (finished) operation either way."""
        with self.lock:
            now = self.timeline.now()
            entry = self.offer(publisher, offer)
            target = entry.running(now)
            if target is not None:
                target.canceled_at = now
            # Observed: cancel answers 202 even when nothing was running (docs/cpp-api.md §6).
            reference = target or entry.latest()
            slot = reference.slot if reference is not None else _SLOTS[words.PUBLISH]
            return self._new_operation(entry, words.CANCEL, emails, now, 0.0, slot=slot)

    def complete_now(self, publisher: str, offer: str) -> Optional[str]:
        """Finish the offer's running operation at once; returns its ID, or None if nothing was running."""
        with self.lock:
            now = self.timeline.now()
            target = self.offer(publisher, offer).running(now)
            if target is None:
                return None
            target.duration = max(0.0, now - target.created)
            return target.id

    # --- helpers ------------------------------------------------------------------------------------------------

    def _refuse_if_busy(self, entry: Offer, now: float, config: SimulatorConfig) -> None:
        running = entry.running(now)
        if running is not None:
            raise SimulatorError(
                config.conflict_status,
                "OperationInProgress",
                f"Another operation is running on offer '{entry.name}' "
                f"({running.kind} operation {running.id}); cancel it or wait for it to finish.",
            )

    def _new_operation(
        self,
        entry: Offer,
        kind: str,
        emails: str,
        created: float,
        duration: float,
        *,
        will_fail: bool = False,
        slot: Optional[str] = None,
    ) -> Operation:
        version = entry.next_publishing_version
        # Every operation takes a fresh publishing version so that dollar-style IDs stay unique per offer.
        entry.next_publishing_version += 1
        if self._config().id_style == "dollar":
            operation_id = f"{entry.publisher}${entry.name}${version}$preview"
        else:
            operation_id = str(uuid.uuid4())
        operation = Operation(
            id=operation_id,
            kind=kind,
            publisher=entry.publisher,
            offer=entry.name,
            publishing_version=version,
            offer_version=entry.version,
            slot=slot or _SLOTS[kind],
            emails=emails,
            created=created,
            duration=duration,
            will_fail=will_fail,
            sequence=next(self._sequence),
        )
        if kind != words.CANCEL:
            previous = entry.latest()
            if previous is not None:
                previous.followed = True
        entry.operations.append(operation)
        self._operations[operation_id] = operation
        return operation
