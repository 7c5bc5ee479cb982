"""The go-live state machine: adopt-or-post, wait, resume. Both adapters (dynamic provider, plugin) call this.

Read it top to bottom:

1. :meth:`GoLiveMachine.start` never posts when a go-live is already running on the offer: it *adopts* it. It refuses,
   without posting, an offer that was never published to preview, and an offer whose last go-live failed or was
   canceled (retrying is the user's explicit act). When the offer status says an operation is running but the
   list does not show it yet, it waits for the list instead of posting. Otherwise it POSTs once. An ambiguous
   end (a gateway's 502/503/504, a 500 that is not CPP's error body, a timeout or reset after sending, a 2xx
   without a usable tracking URL, a 409 "in progress") is never re-posted in the same run: it waits, bounded by
   ``adopt_window``, for the operations list to show the go-live and adopts it, or stops saying that re-running
   is safe. Only a POST that certainly started nothing (never sent, or CPP's own 500 error body) is posted again.
2. :meth:`GoLiveMachine.wait` polls the recorded operation until it ends, honouring ``Retry-After``, the poll interval,
   a timeout and a cancel event. It rides out transient errors (throttling, 5xx, resets, malformed bodies) and
   reports every status or step change. It never posts, so a wait can be resumed any number of times.
3. :meth:`GoLiveMachine.refresh` reads the recorded operation once (``pulumi refresh``); an operation the API no longer
   returns keeps its recorded state.

An operation ID, once known, is never dropped: every failure after acceptance is a :class:`GoLiveError`
carrying the :class:`OperationRecord`, so an adapter can save it and the next run resumes instead of re-posting.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from typing import Any, Callable, Iterator, Mapping, Optional, Protocol, Sequence

from .client import Accepted, OperationSnapshot
from .deadline import Deadline, applied, current
from .errors import (
    AmbiguousGoLiveError,
    CppApiError,
    GoLiveCancelledError,
    GoLiveError,
    GoLiveFailedError,
    GoLiveTimeoutError,
    OfferNotReadyError,
    TrackingUrlError,
)
from .inputs import GoLiveSpec
from .operation import (
    CANCELED,
    FAILED,
    RUNNING,
    SUCCEEDED,
    OperationRecord,
    error_messages,
    is_golive_submission,
    normalise_status,
    operation_id_from_url,
    operation_path,
    path_and_query,
    progress_changes,
    squash,
    utc_now,
)
from .resource import WAIT_COMPLETED
from .settings import DEFAULT_ADOPT_TIMEOUT

_LOG = logging.getLogger("pulumi_cpp_golive")

Reporter = Callable[[str], None]
# sleep(seconds, cancel) -> whether the caller must stop: woken by ``cancel`` (or, once bounded, out of time).
InterruptibleSleep = Callable[[float, Optional[threading.Event]], bool]


class OfferApi(Protocol):
    """What the state machine asks of a marketplace API: the offer's state, its operations, a go-live POST, one
    operation. :class:`~.client.CppClient` is the Cloud Partner Portal's; another API's client (e.g. Product
    Ingestion) plugs in by answering the same calls. Errors are :class:`CppApiError` (status, code, ``transient``).
    """

    def get_offer_status(self, publisher_id: str, offer_id: str) -> dict[str, Any]:
        """The offer's publishing status (``status`` and ``steps``)."""
        ...

    def list_submissions(self, publisher_id: str, offer_id: str,
                         status: Optional[str] = None) -> list[dict[str, Any]]:
        """The offer's operations (``id``, ``submissionType``, ``submissionState``, ``changedTime``), optionally
        only those in ``status``."""
        ...

    def post_golive(self, publisher_id: str, offer_id: str, notification_emails: Sequence[str] = ()) -> Accepted:
        """Ask for the go-live once; where to poll it (raises :class:`TrackingUrlError` when that is unknown)."""
        ...

    def get_operation(self, location: str) -> OperationSnapshot:
        """Read one operation at its recorded tracking path."""
        ...

# Offer states (squashed) that mean "nothing was ever published to preview": go-live cannot work.
_NEVER_PUBLISHED = frozenset({"neverpublished"})
# Shortest pause between polls, even when the server says Retry-After: 0 (keeps a misbehaving server from a
# busy loop while still noticing completion within half a second).
_MIN_POLL_SECONDS = 0.25
# Offer states (squashed) that mean an operation is under way on the offer right now.
_OFFER_BUSY = frozenset({"running", "inprogress"})
# Pauses between looks at a lagging operations list: 0.5 s, doubling, at most 5 s.
_FIRST_LOOK_DELAY = 0.5
_MAX_LOOK_DELAY = 5.0
# The one rule for a failed go-live, as every message that applies it states it (README: "A failed go-live").
_RETRY_HINT = ("A failed go-live is not posted again on its own, and nothing was posted now. To retry: fix the cause, "
               "publish the offer again (to preview, up to publisher sign-off), then change `triggers` (or run "
               "`pulumi up --replace`).")
# Error codes (squashed) that say the offer is busy with another operation, whatever the HTTP status.
_IN_PROGRESS_CODES = frozenset({"operationinprogress", "conflict", "operationconflict", "anotheroperationinprogress"})


def _sleep_until_cancelled(seconds: float, cancel: Optional[threading.Event]) -> bool:
    """Sleep, waking early when ``cancel`` is set. Returns True when cancelled."""
    if cancel is None:
        time.sleep(seconds)
        return False
    return cancel.wait(seconds)


def _bounded(sleep: InterruptibleSleep) -> InterruptibleSleep:
    """``sleep``, never past the current go-live's deadline; True when the caller must stop (cancelled or out
    of time). Every pause of a go-live goes through this, so none can outlast ``timeout_seconds`` or Cancel."""

    def bounded(seconds: float, cancel: Optional[threading.Event]) -> bool:
        deadline = current()
        if deadline is None:
            return sleep(seconds, cancel)
        if deadline.done:
            return True
        return sleep(deadline.cap(seconds), cancel or deadline.cancel) or deadline.done

    return bounded


@dataclasses.dataclass
class _Polls:
    """What one wait remembers between its polls."""

    progress: dict[str, str] = dataclasses.field(default_factory=dict)  # last status and step lines reported
    failures: int = 0  # failed polls in a row
    unknown_words: set[str] = dataclasses.field(default_factory=set)  # unknown statuses already reported


@dataclasses.dataclass(frozen=True)
class _Seen:
    """What one poll saw: the operation's status, CPP's messages when it ended, the server's ``Retry-After``."""

    status: str
    messages: list[str]
    retry_after: Optional[float] = None


class GoLiveMachine:
    """The go-live state machine: drives go-live operations through one API client.

    :param default_poll_interval: seconds between polls when neither ``Retry-After`` nor the resource's
        ``poll_interval_seconds`` says otherwise.
    :param report: receives one human-readable line per event (accepted, adopted, step change, retry).
    :param max_transient_errors: consecutive failed polls tolerated before the wait gives up (with the ID kept).
    :param adopt_window: seconds to look for a go-live the operations list does not show yet (after an ambiguous
        POST, a 409, an offer status that says running) before stopping with "re-running is safe".
    :param clock, sleep, now: injectable for tests.
    """

    def __init__(
        self,
        client: OfferApi,
        *,
        default_poll_interval: float = 60.0,
        report: Optional[Reporter] = None,
        max_transient_errors: int = 10,
        adopt_window: float = DEFAULT_ADOPT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        sleep: InterruptibleSleep = _sleep_until_cancelled,
        now: Callable[[], str] = utc_now,
    ) -> None:
        self.client = client
        self.default_poll_interval = default_poll_interval
        self._report = report or _LOG.info
        self.max_transient_errors = max_transient_errors
        self.adopt_window = adopt_window
        self._clock = clock
        self._sleep = _bounded(sleep)
        self._now = now

    # ---- the whole create --------------------------------------------------------------------------------

    def create(self, spec: GoLiveSpec, cancel: Optional[threading.Event] = None,
               timeout: Optional[float] = None) -> OperationRecord:
        """Adopt or post, then wait when ``spec.wait == "completed"``. ``timeout`` overrides ``spec.timeout``.

        The time limit and ``cancel`` bound the whole call, the POST and the lookups before it included.
        """
        with self._deadline(spec, cancel, timeout):
            record = self.start(spec, cancel)
            if spec.wait == WAIT_COMPLETED and not record.terminal:
                record = self.wait(spec, record, cancel, timeout=timeout)
            return record

    @contextlib.contextmanager
    def _deadline(self, spec: GoLiveSpec, cancel: Optional[threading.Event],
                  timeout: Optional[float]) -> Iterator[Deadline]:
        """The deadline of this go-live, current for the block (an enclosing ``create``'s one when there is)."""
        running = current()
        if running is not None:
            yield running
            return
        with applied(Deadline(timeout or spec.timeout, cancel, clock=self._clock)) as deadline:
            yield deadline

    # ---- 1. adopt or post --------------------------------------------------------------------------------

    def start(self, spec: GoLiveSpec, cancel: Optional[threading.Event] = None) -> OperationRecord:
        """Return the running go-live of the offer, or POST one. Never posts while one is running."""
        running = self.find_running(spec)
        if running is not None:
            self._say(spec, f"adopting go-live operation {running.operation_id} already running on the offer; "
                            "no new go-live was posted")
            return running

        offer = self.client.get_offer_status(spec.publisher_id, spec.offer_id)
        state = squash(offer.get("status", ""))
        if state in _NEVER_PUBLISHED:
            raise OfferNotReadyError(
                f"offer {spec.publisher_id}/{spec.offer_id} was never published to preview "
                f"(offer status {offer.get('status')!r}); publish it and wait for publisher sign-off before go-live. "
                "Nothing was posted."
            )
        if state in _OFFER_BUSY:
            # CPP runs one operation per offer: a go-live posted now could only conflict, or start a second one.
            return self._adopt_when_listed(
                spec, cancel,
                f"the offer status of {spec.publisher_id}/{spec.offer_id} says {offer.get('status')!r} but the "
                "operations list shows no running go-live yet; nothing was posted")
        outcome = normalise_status(offer.get("status"))[0]
        if outcome == SUCCEEDED and not _waiting_for_signoff(offer):
            latest = self._latest_golive(spec)
            if latest is not None:
                self._say(spec, f"offer is already live; adopting its go-live operation {latest.operation_id} "
                                "instead of posting again")
                return latest
        if outcome in (FAILED, CANCELED):
            self._refuse_after_failed_golive(spec)
        return self._post(spec, cancel)

    def _post(self, spec: GoLiveSpec, cancel: Optional[threading.Event]) -> OperationRecord:
        reposts_left = 2
        while True:
            try:
                accepted = self.client.post_golive(spec.publisher_id, spec.offer_id, spec.notification_emails)
            except TrackingUrlError as exc:
                # CPP took the go-live but did not say where it runs: the operations list will.
                return self._adopt_when_listed(spec, cancel, f"the go-live POST was accepted, but {exc}")
            except CppApiError as exc:
                if _says_in_progress(exc):
                    # Another run (or person) got there first: its operation is the one to follow.
                    return self._adopt_when_listed(
                        spec, cancel, f"the go-live POST was refused because an operation is in progress "
                                               f"({exc})")
                if exc.status is not None and exc.status < 500:
                    raise  # a definite refusal (400/401/403/404/429 after retries): nothing was started
                if not _not_accepted(exc):
                    # A gateway's 502/503/504, a 500 that is not CPP's, a timeout or reset after sending: the
                    # go-live may be running. Never post again in this run; look for it for as long as a list lags.
                    return self._adopt_when_listed(spec, cancel, f"the go-live POST ended ambiguously ({exc})")
                adopted = self._find_running_quietly(spec)
                if adopted is not None:
                    self._say(spec, f"the go-live POST failed ({exc}); adopting operation {adopted.operation_id} "
                                    "that is running on the offer")
                    return adopted
                if reposts_left > 0:
                    # Never sent, or CPP itself answered with its error shape, and nothing runs: safe to post again.
                    reposts_left -= 1
                    self._say(spec, f"go-live POST not accepted ({exc}); nothing is running, posting again")
                    if self._sleep(2.0, cancel):
                        raise
                    continue
                raise AmbiguousGoLiveError(
                    f"the go-live POST for {spec.publisher_id}/{spec.offer_id} failed ({exc}), and no running go-live "
                    "operation was found to adopt. Nothing more was posted. Re-run `pulumi up`: it adopts a running "
                    "go-live before it posts."
                ) from None
            record = OperationRecord(
                publisher_id=spec.publisher_id,
                offer_id=spec.offer_id,
                operation_id=operation_id_from_url(accepted.url),
                operation_location=path_and_query(accepted.url),
                status=RUNNING,
                accepted_at=self._now(),
            )
            self._say(spec, f"go-live accepted: operation {record.operation_id}")
            return record

    def _adopt_when_listed(self, spec: GoLiveSpec, cancel: Optional[threading.Event], why: str) -> OperationRecord:
        """Adopt the go-live that ``why`` implies is running, once the operations list shows it; never post.

        Looks for up to ``adopt_window`` seconds (and never past the go-live's deadline or Cancel): a list can lag
        behind an operation CPP just created. Stops early when the list shows another kind of operation running.
        """
        window = self.adopt_window
        deadline = self._clock() + window
        delay = _FIRST_LOOK_DELAY
        while True:
            try:
                submissions: Optional[list[dict[str, Any]]] = self.client.list_submissions(
                    spec.publisher_id, spec.offer_id, status="running")
            except CppApiError as exc:
                if not exc.transient:
                    raise
                submissions = None
            running = [s for s in submissions or () if normalise_status(s.get("submissionState"))[0] == RUNNING]
            golives = [s for s in running if is_golive_submission(s)]
            if golives:
                adopted = self._record_from_submission(spec, _newest(golives))
                self._say(spec, f"{why}; adopting go-live operation {adopted.operation_id} from the operations list")
                return adopted
            if running:
                other = _newest(running)
                raise OfferNotReadyError(
                    f"{why}; the operation running on the offer is a {other.get('submissionType')!r} operation "
                    f"({other.get('id')}), not a go-live. Nothing was posted: go live once it has reached publisher "
                    "sign-off.")
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            if self._sleep(min(delay, remaining), cancel):
                stopped = current()
                reason = stopped.why() if stopped is not None and stopped.done else "the go-live was cancelled"
                raise AmbiguousGoLiveError(
                    f"{why}; {reason} before the operations list showed it. Nothing was re-posted. Re-running "
                    "`pulumi up` is safe: it adopts a running go-live before it posts.")
            delay = min(delay * 2, _MAX_LOOK_DELAY)
        raise AmbiguousGoLiveError(
            f"{why}; no running go-live appeared in the operations list of {spec.publisher_id}/{spec.offer_id} "
            f"within {window:g} s (cpp-golive:adoptTimeout). Nothing was re-posted. Re-running `pulumi up` is safe: "
            "it adopts a running go-live before it posts.")

    def _find_running_quietly(self, spec: GoLiveSpec) -> Optional[OperationRecord]:
        try:
            return self.find_running(spec)
        except CppApiError as exc:
            if not exc.transient:
                raise
            return None

    def _refuse_after_failed_golive(self, spec: GoLiveSpec) -> None:
        """A failed or canceled go-live is not posted again on its own (the rule both adapters share).

        It stays the offer's last word until the offer is published again: then CPP's newest publish-or-go-live is
        that publish and a go-live may be posted. Retrying is the user's explicit act (README, "A failed go-live").
        """
        submissions = self.client.list_submissions(spec.publisher_id, spec.offer_id)
        relevant = [s for s in submissions
                    if is_golive_submission(s) or squash(s.get("submissionType", "")) == "publish"]
        if not relevant:
            return
        latest = _newest(relevant)
        status = normalise_status(latest.get("submissionState"))[0]
        if not is_golive_submission(latest) or status not in (FAILED, CANCELED):
            return
        record = self._record_from_submission(spec, latest)
        try:
            messages = error_messages(self.client.get_operation(record.operation_location).body)
        except CppApiError:
            messages = []
        record.messages = tuple(messages)
        detail = "; ".join(messages) if messages else "CPP gave no message"
        raise GoLiveFailedError(
            f"the last go-live of {spec.publisher_id}/{spec.offer_id}, operation {record.operation_id}, ended "
            f"{status}: {detail}. {_RETRY_HINT}", record)

    def find_running(self, spec: GoLiveSpec) -> Optional[OperationRecord]:
        """The newest go-live operation still running on the offer, or None."""
        submissions = self.client.list_submissions(spec.publisher_id, spec.offer_id, status="running")
        running = [s for s in submissions
                   if is_golive_submission(s) and normalise_status(s.get("submissionState"))[0] == RUNNING]
        return self._record_from_submission(spec, _newest(running)) if running else None

    def _latest_golive(self, spec: GoLiveSpec) -> Optional[OperationRecord]:
        golives = [s for s in self.client.list_submissions(spec.publisher_id, spec.offer_id) if is_golive_submission(s)]
        return self._record_from_submission(spec, _newest(golives)) if golives else None

    def _record_from_submission(self, spec: GoLiveSpec, submission: Mapping[str, Any]) -> OperationRecord:
        operation_id = str(submission["id"])
        status = normalise_status(submission.get("submissionState"))[0]
        when = submission.get("createdDateTime") or submission.get("changedTime")
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=operation_id,
            operation_location=operation_path(spec.publisher_id, spec.offer_id, operation_id),
            status=status,
            accepted_at=str(when) if when else self._now(),
            completed_at=None if status == RUNNING else (str(submission.get("changedTime") or "") or self._now()),
        )

    def resume(self, spec: GoLiveSpec, record: OperationRecord, cancel: Optional[threading.Event] = None, *,
               timeout: Optional[float] = None) -> OperationRecord:
        """What a later ``pulumi up`` does with a recorded operation (both adapters' ``update``); never posts.

        A recorded failure is reported again, without any request, until the user retries explicitly (the same
        rule :meth:`start` applies when nothing is recorded); a running operation is waited on when
        ``spec.wait == "completed"``; anything else is returned as it is.
        """
        if record.status in (FAILED, CANCELED):
            raise GoLiveFailedError(
                f"go-live operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} ended "
                f"{record.status} (as recorded in the stack). {_RETRY_HINT}", record)
        if record.status == RUNNING and spec.wait == WAIT_COMPLETED:
            self._say(spec, f"resuming the wait on recorded operation {record.operation_id} (no new go-live is posted)")
            return self.wait(spec, record, cancel, timeout=timeout)
        return record

    # ---- 2. wait -----------------------------------------------------------------------------------------

    def wait(
        self,
        spec: GoLiveSpec,
        record: OperationRecord,
        cancel: Optional[threading.Event] = None,
        *,
        timeout: Optional[float] = None,
    ) -> OperationRecord:
        """Poll ``record`` until it ends. Returns it on success; raises a :class:`GoLiveError` otherwise."""
        with self._deadline(spec, cancel, timeout) as deadline:
            return self._wait(spec, record, cancel, deadline)

    def _wait(self, spec: GoLiveSpec, record: OperationRecord, cancel: Optional[threading.Event],
              deadline: Deadline) -> OperationRecord:
        polls = _Polls()
        while True:
            seen = self._poll(spec, record, deadline, polls)
            if seen.status != RUNNING:
                return self._finish(spec, record, seen.status, seen.messages)
            if self._sleep(self._pause_before_next_poll(spec, seen.retry_after, polls.failures), cancel):
                raise self._stopped(spec, record, deadline)

    def _poll(self, spec: GoLiveSpec, record: OperationRecord, deadline: Deadline, polls: _Polls) -> _Seen:
        """Read the operation once, report what changed, and say what was seen (``running`` when unsure).

        A failed read counts in ``polls`` and raises once it is not transient or too many failed in a row; a 404
        asks the operations list whether the operation ended.
        """
        try:
            snapshot = self.client.get_operation(record.operation_location)
        except CppApiError as exc:
            if deadline.done:  # the poll was cut short by the time limit or by Cancel, not by CPP
                raise self._stopped(spec, record, deadline) from None
            if exc.status == 404:
                listed = self._status_from_list(spec, record)
                if listed is not None and listed != RUNNING:
                    return _Seen(listed, [f"CPP no longer returns the operation; its submission ended {listed}"])
            polls.failures = self._poll_failed(spec, record, exc, polls.failures)
            return _Seen(RUNNING, [], exc.retry_after)  # a 429 or 503 that azure-core stopped retrying
        polls.failures = 0
        body = snapshot.body
        polls.progress, lines = progress_changes(polls.progress, body)
        for line in lines:
            self._say(spec, f"operation {record.operation_id}: {line}")
        status, known = normalise_status(body.get("status"))
        if not known and str(body.get("status")) not in polls.unknown_words:
            polls.unknown_words.add(str(body.get("status")))
            self._say(spec, f"operation {record.operation_id} reports an unknown status "
                            f"{body.get('status')!r}; treating it as still running")
        return _Seen(status, error_messages(body) if status != RUNNING else [], snapshot.retry_after)

    def _pause_before_next_poll(self, spec: GoLiveSpec, retry_after: Optional[float], failures: int) -> float:
        """The server's ``Retry-After`` when it sent one; else the poll interval, shortened after failed polls
        (5 s, doubling) so that a blip is retried soon; never under the busy-loop floor."""
        delay = retry_after if retry_after is not None else (spec.poll_interval or self.default_poll_interval)
        if failures and retry_after is None:
            delay = min(delay, 5.0 * 2 ** min(failures, 6))
        return max(delay, _MIN_POLL_SECONDS)

    def _stopped(self, spec: GoLiveSpec, record: OperationRecord, deadline: Deadline) -> GoLiveError:
        if deadline.expired and not deadline.cancelled:
            return GoLiveTimeoutError(
                f"go-live operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} is still "
                f"running after the {deadline.limit:g} s timeout. It was not cancelled and will not be posted "
                "again: re-run `pulumi up` to resume waiting on it.", record)
        return GoLiveCancelledError(
            f"waiting for go-live operation {record.operation_id} of {spec.publisher_id}/{spec.offer_id} "
            "was cancelled; the operation keeps running at CPP. Re-run `pulumi up` to resume waiting.",
            record)

    def _poll_failed(self, spec: GoLiveSpec, record: OperationRecord, exc: CppApiError, failures: int) -> int:
        if exc.status != 404 and not exc.transient:
            raise GoLiveError(
                f"{exc.with_operation(record.operation_id)}. The operation ID is kept; fix the cause and re-run "
                "`pulumi up` to resume waiting.", record) from None
        failures += 1
        self._say(spec, f"polling operation {record.operation_id} failed ({exc}); will retry "
                        f"({failures}/{self.max_transient_errors})")
        if failures >= self.max_transient_errors:
            raise GoLiveError(
                f"gave up polling go-live operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} "
                f"after {failures} failed attempts (last: {exc}). The operation may still be running: re-run "
                "`pulumi up` to resume waiting on it.", record)
        return failures

    def _status_from_list(self, spec: GoLiveSpec, record: OperationRecord) -> Optional[str]:
        try:
            for submission in self.client.list_submissions(spec.publisher_id, spec.offer_id):
                if str(submission.get("id")) == record.operation_id:
                    return normalise_status(submission.get("submissionState"))[0]
        except CppApiError:
            return None
        return None

    def _finish(self, spec: GoLiveSpec, record: OperationRecord, status: str, messages: list[str]) -> OperationRecord:
        record.status = status
        record.completed_at = self._now()
        record.messages = tuple(messages)
        if status == SUCCEEDED:
            self._say(spec, f"go-live operation {record.operation_id} succeeded: the offer is live")
            return record
        detail = "; ".join(messages) if messages else "CPP gave no message"
        raise GoLiveFailedError(
            f"go-live operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} ended {status}: "
            f"{detail}", record)

    # ---- 3. refresh --------------------------------------------------------------------------------------

    def refresh(self, record: OperationRecord) -> OperationRecord:
        """Read the recorded operation once. A 404 keeps the recorded state (the API forgets old operations)."""
        spec = GoLiveSpec(publisher_id=record.publisher_id, offer_id=record.offer_id)
        try:
            body = self.client.get_operation(record.operation_location).body
        except CppApiError as exc:
            if exc.status == 404:
                self._say(spec, f"operation {record.operation_id} is no longer returned by CPP; "
                                "keeping its recorded state")
                return record
            raise exc.with_operation(record.operation_id) from None
        status, _ = normalise_status(body.get("status"))
        if status != record.status:
            record.status = status
            record.completed_at = None if status == RUNNING else (record.completed_at or self._now())
        return record

    def _say(self, spec: GoLiveSpec, line: str) -> None:
        self._report(f"{spec.publisher_id}/{spec.offer_id}: {line}")


def _waiting_for_signoff(offer: Mapping[str, Any]) -> bool:
    steps = offer.get("steps")
    return (isinstance(steps, list) and any(
        isinstance(s, Mapping) and squash(s.get("status", "")) == "waitingforpublisherreview" for s in steps
    )) or squash(offer.get("status", "")) == "waitingforpublisherreview"


def _says_in_progress(exc: CppApiError) -> bool:
    """A refusal because the offer is busy: HTTP 409, or an error code such as ``OperationInProgress``."""
    return exc.status == 409 or (exc.status is not None and exc.status < 500
                                 and squash(exc.code or "") in _IN_PROGRESS_CODES)


def _not_accepted(exc: CppApiError) -> bool:
    """Whether a failed POST certainly started nothing: never sent, or CPP answered 500 in its own error shape.

    A 502/503/504 comes from a gateway that may have lost CPP's 202; a 500 without CPP's error body (HTML, text,
    bytes that do not decode) may too; so may a timeout or reset after sending. Those are ambiguous.
    """
    if exc.code == "NotSent":
        return True
    return exc.status == 500 and exc.code is not None


def _newest(submissions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    # The list's order is undocumented; changedTime (ISO-8601) sorts as text.
    return max(submissions, key=lambda s: str(s.get("changedTime") or ""))
