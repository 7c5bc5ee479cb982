"""The operation machine: adopt-or-post, wait, resume. Both adapters (dynamic provider, plugin) call it, for
either API, to run a go-live; nothing in it is about a go-live or an API in particular.

Read it top to bottom:

0. What plugs in. :class:`OperationMachine` is given one :class:`~.offer_api.OfferApi`: the answers of one API
   about one kind of operation (the go-live on CPP, :mod:`.cpp_api`; on Product Ingestion, :mod:`.pi_api`).
   Those answers say what the API's words mean (a :data:`~.offer_api.Survey` is one of seven typed outcomes,
   each handled in its own branch of :meth:`~OperationMachine.start`, mypy checking that none is missing) and
   how messages name the operation (:class:`~.offer_api.OperationWords`: "go-live", "the offer is live", the
   rule for a retry; the deadline's messages take the same noun). A second kind, e.g. ``OfferPublish``
   (publish to preview), is a second set of answers with its own words, on the same machine and with the same
   guarantees: adopt-or-post, never post twice, resume, timeouts, Cancel. Adding it means one ``OfferApi`` per
   API (a survey that comes to the same seven outcomes about a publish, its POST, its listing, its reads) with
   ``words`` of its own, and an adapter that builds ``OperationMachine(api, ...)``: nothing here changes
   (``tests/unit/test_machine.py`` runs a second kind through a fake to keep it so). It shares the resource's
   inputs (:class:`~.inputs.GoLiveSpec`: offer, ``wait``, poll interval, timeout) and the error classes.
   :data:`GoLiveMachine` is the name the go-live's adapters use for the machine.
1. :meth:`OperationMachine.start` asks the API to survey the offer, then never posts when the operation is
   already running (it *adopts* it) or the offer already is what the operation would make it (for a go-live:
   live with what would be posted). It refuses, without posting, an offer that cannot take it now (unknown,
   never published to preview, another publish running) and an offer whose last operation of this kind failed
   or was canceled (retrying is the user's explicit act). When the API says one runs but its listing does not
   show it yet, it waits for the listing instead of posting; when an operation on something else runs, it
   waits for that to end (bounded) and surveys again. Otherwise it POSTs once. An ambiguous end (a gateway's
   5xx, a timeout or reset after sending, an answer that cannot be followed, a conflict) is never re-posted in
   the same run: it waits, bounded by ``adopt_window``, for the listing to show the operation and adopts it,
   or stops saying the operation may have started (nothing more is posted). Only a POST that certainly started
   nothing (the API decides: never sent) is posted again.
2. :meth:`OperationMachine.wait` reads the recorded operation until it ends, honouring ``Retry-After``, the
   poll interval, a timeout and a cancel event. It rides out transient errors (throttling, 5xx, resets,
   malformed bodies) and reports every change of status or step. It never posts, so a wait can be resumed any
   number of times (:meth:`OperationMachine.resume`).
3. :meth:`OperationMachine.refresh` reads the recorded operation once (``pulumi refresh``); an operation the
   API no longer returns keeps its recorded state.

An operation ID, once known, is never dropped: every failure after acceptance is a :class:`GoLiveError`
carrying the :class:`OperationRecord`, so an adapter can save it and the next run resumes instead of re-posting.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from typing import Callable, Iterator, Optional

from typing_extensions import assert_never

from .deadline import Deadline, applied, current
from .errors import (
    AmbiguousGoLiveError,
    ApiError,
    GoLiveCancelledError,
    GoLiveError,
    GoLiveFailedError,
    GoLiveTimeoutError,
    OfferGoLiveError,
    OfferNotReadyError,
    UnusableAnswerError,
)
from .inputs import GoLiveSpec
from .offer_api import (
    Adopt,
    AlreadyDone,
    Busy,
    Lagging,
    LastFailed,
    Lookable,
    OfferApi,
    Post,
    Reading,
    Refuse,
    Survey,
)
from .record import OperationRecord
from .redaction import contains_secret
from .settings import DEFAULT_ADOPT_TIMEOUT
from .status import CANCELED, RUNNING, SUCCEEDED, UNCONFIRMED, utc_now
from .status import FAILED as FAILED_STATUS

_LOG = logging.getLogger("pulumi_cpp_golive")

Reporter = Callable[[str], None]
# sleep(seconds, cancel) -> whether the caller must stop: woken by ``cancel`` (or, once bounded, out of time).
InterruptibleSleep = Callable[[float, Optional[threading.Event]], bool]

# Shortest pause between polls, even when the server says Retry-After: 0 (keeps a misbehaving server from a
# busy loop while still noticing completion within half a second).
_MIN_POLL_SECONDS = 0.25
# Pauses between looks at a lagging listing: 0.5 s, doubling, at most 5 s.
_FIRST_LOOK_DELAY = 0.5
_MAX_LOOK_DELAY = 5.0


def _sleep_until_cancelled(seconds: float, cancel: Optional[threading.Event]) -> bool:
    """Sleep, waking early when ``cancel`` is set. Returns True when cancelled."""
    if cancel is None:
        time.sleep(seconds)
        return False
    return cancel.wait(seconds)


def _bounded(sleep: InterruptibleSleep) -> InterruptibleSleep:
    """``sleep``, never past the current operation's deadline; True when the caller must stop (cancelled or out
    of time). Every pause of an operation goes through this, so none can outlast ``timeout_seconds`` or Cancel."""

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

    progress: dict[str, str] = dataclasses.field(default_factory=dict)  # last line reported per progress key
    failures: int = 0  # failed polls in a row
    unknown_words: set[str] = dataclasses.field(default_factory=set)  # unknown statuses already reported


class _StoppedLooking(Exception):
    """The deadline or Cancel ended a look at the listing (its text says which)."""


class _NoneWillCome(Exception):
    """The listing shows why no operation will appear (e.g. another kind of operation runs); its text says why."""


class OperationMachine:
    """The state machine: drives the operations of one kind through one API, in the words of that kind.

    :param api: one kind of operation on one marketplace API (the go-live: :class:`~.cpp_api.CppOfferApi`,
        :class:`~.pi_api.PiOfferApi`); its ``words`` name the operation in every message.
    :param default_poll_interval: seconds between polls when neither ``Retry-After`` nor the resource's
        ``poll_interval_seconds`` says otherwise.
    :param report: receives one human-readable line per event (accepted, adopted, step change, retry).
    :param max_transient_errors: consecutive failed polls tolerated before the wait gives up (with the ID kept).
    :param adopt_window: seconds to look for an operation the listing does not show yet (after an ambiguous POST, a
        conflict, an API that says one runs) before stopping with an error that says what was seen.
    :param clock, sleep: injectable for tests.
    """

    def __init__(
        self,
        api: OfferApi,
        *,
        default_poll_interval: float = 60.0,
        report: Optional[Reporter] = None,
        progress: Optional[Reporter] = None,
        warn: Optional[Reporter] = None,
        max_transient_errors: int = 10,
        adopt_window: float = DEFAULT_ADOPT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        sleep: InterruptibleSleep = _sleep_until_cancelled,
        now: Callable[[], str] = utc_now,
    ) -> None:
        self.api = api
        self.words = api.words
        self.default_poll_interval = default_poll_interval
        self._report = report or _LOG.info
        # Passing lines (each step change, a retried poll, a wait for another publish): the plugin shows them on the
        # resource's row while they are news and keeps only the lasting ones in the summary.
        self._progress = progress or self._report
        self._warn = warn or self._report  # what the user should act on though nothing failed
        self.max_transient_errors = max_transient_errors
        self.adopt_window = adopt_window
        self._clock = clock
        self._sleep = _bounded(sleep)
        self._now = now
        # When the first POST that may have started an operation was sent (this run's, or an earlier run's that
        # ended ambiguously): what an ambiguous end records, so the next run knows since when to look.
        self._first_sent = ""

    # ---- the whole create --------------------------------------------------------------------------------

    def create(self, spec: GoLiveSpec, cancel: Optional[threading.Event] = None,
               timeout: Optional[float] = None, *, look_first: bool = False, since: str = "") -> OperationRecord:
        """Adopt or post, then wait when ``spec.waits_to_end`` (``completed``; a publish's ``preview``).
        ``timeout`` overrides ``spec.timeout``;
        ``look_first`` and ``since`` are :meth:`start`'s.

        The time limit and ``cancel`` bound the whole call, the POST and the lookups before it included.
        """
        with self._deadline(spec, cancel, timeout):
            record = self.start(spec, cancel, look_first=look_first, since=since)
            if spec.waits_to_end and not record.terminal:
                record = self.wait(spec, record, cancel, timeout=timeout)
            return record

    @contextlib.contextmanager
    def _deadline(self, spec: GoLiveSpec, cancel: Optional[threading.Event],
                  timeout: Optional[float]) -> Iterator[Deadline]:
        """The deadline of this operation, current for the block (an enclosing ``create``'s one when there is)."""
        running = current()
        if running is not None:
            yield running
            return
        with applied(Deadline(timeout or spec.timeout, cancel, clock=self._clock, noun=self.words.noun)) as deadline:
            yield deadline

    # ---- 1. adopt or post --------------------------------------------------------------------------------

    def start(self, spec: GoLiveSpec, cancel: Optional[threading.Event] = None, *,
              look_first: bool = False, since: str = "") -> OperationRecord:
        """Return the operation running on the offer, or POST one. Never posts while one is running.

        Each outcome of the survey has its branch here; ``assert_never`` makes mypy report a missing one.
        ``look_first``: an earlier run's POST ended ambiguously (its state says so), so an operation it started
        may not be listed yet: before posting, look for it for up to ``adopt_window`` seconds. ``since``: when that
        POST was sent, if known (the API may tell its operation by the time it was created).
        """
        noun = self.words.noun
        survey = self._settled_survey(spec, cancel)
        if isinstance(survey, Adopt):
            self._say(spec, f"adopting {noun} operation {survey.record.operation_id} already running on the "
                            f"offer; no new {noun} was posted")
            return survey.record
        if isinstance(survey, AlreadyDone):
            self._say(spec, f"{self.words.already_done}; adopting its {noun} operation "
                            f"{survey.record.operation_id} instead of posting again")
            return survey.record
        if isinstance(survey, LastFailed):
            record = survey.record
            raise GoLiveFailedError(
                f"the last {noun} of {spec.publisher_id}/{spec.offer_id}, operation {record.operation_id}, ended "
                f"{record.status}: {self._explain(record.messages)}. {self.words.retry_hint}", record)
        if isinstance(survey, Lagging):
            return self._adopt_when_listed(spec, survey, cancel, survey.reason)
        if isinstance(survey, Refuse):
            raise OfferNotReadyError(f"{survey.reason} Nothing was posted.")
        if isinstance(survey, Busy):  # still running once ``adopt_window`` had passed (see _settled_survey)
            raise OfferNotReadyError(
                f"{survey.reason}; it was still running after {self.adopt_window:g} s (cpp-golive:adoptTimeout). "
                "Re-run `pulumi up` once it has ended. Nothing was posted.")
        if isinstance(survey, Post):
            if look_first:
                self._first_sent = self._first_sent or since
                return self._look_then_post(spec, dataclasses.replace(survey, since=since), cancel)
            return self._post(spec, survey, cancel)
        assert_never(survey)

    def _settled_survey(self, spec: GoLiveSpec, cancel: Optional[threading.Event]) -> Survey:
        """The survey, once no operation on something else is running (:class:`~.offer_api.Busy`): that one is
        waited out, for up to ``adopt_window`` seconds, then the offer is surveyed again. A ``Busy`` is returned
        only once that time has passed."""
        give_up = self._clock() + self.adopt_window
        delay = _FIRST_LOOK_DELAY
        while True:
            survey = self.api.survey(spec)
            remaining = give_up - self._clock()
            if not isinstance(survey, Busy) or remaining <= 0:
                return survey
            self._say(spec, f"waiting: {survey.reason}", passing=True)
            if self._sleep(min(delay, remaining), cancel):
                raise OfferNotReadyError(f"{survey.reason}; {self._why_stopped()}. Nothing was posted.")
            delay = min(delay * 2, _MAX_LOOK_DELAY)

    def _look_then_post(self, spec: GoLiveSpec, survey: Post, cancel: Optional[threading.Event]) -> OperationRecord:
        """Adopt the operation an earlier run's ambiguous POST started once the listing shows it (looking for up
        to ``adopt_window`` seconds); post only when it shows none."""
        noun = self.words.noun
        earlier = self._listed(spec, survey, cancel, f"the previous run's {noun} POST ended ambiguously")
        if earlier is not None:
            self._say(spec, f"the previous run's {noun} POST ended ambiguously; adopting {noun} operation "
                            f"{earlier.operation_id} from the {self.api.listing}; nothing was posted")
            return earlier
        self._say(spec, f"the previous run's {noun} POST ended ambiguously, and the {self.api.listing} shows "
                        f"no {noun} after {self.adopt_window:g} s (cpp-golive:adoptTimeout): posting")
        return self._post(spec, survey, cancel)

    def _post(self, spec: GoLiveSpec, survey: Post, cancel: Optional[threading.Event]) -> OperationRecord:
        """POST once; an ambiguous end is looked for, never re-posted (see the module docstring, 1.)."""
        noun = self.words.noun
        reposts_left = 2
        while True:
            try:
                self._first_sent = self._first_sent or self._now()
                record = self._recordable(self.api.post(spec, survey))
            except UnusableAnswerError as exc:
                # The API took the operation but did not say how to follow it (or named it in a way that cannot be
                # recorded): the listing will.
                return self._adopt_when_listed(spec, survey, cancel, f"the {noun} POST was accepted, but {exc}")
            except ApiError as exc:
                if self.api.is_conflict(exc):
                    # Another run (or person) got there first: its operation is the one to follow.
                    return self._adopt_when_listed(
                        spec, survey, cancel,
                        f"the {noun} POST was refused because an operation is in progress ({exc})")
                if exc.status is not None and exc.status < 500 and not exc.ambiguous:
                    raise  # a definite refusal (400/401/403/404/429 after retries): nothing was started
                if not self.api.certainly_not_started(exc):
                    # A 5xx, a redirect, a timeout or reset after sending, an answer that cannot be read: the
                    # operation may be running. Never post again in this run; look for it while a listing lags.
                    return self._adopt_when_listed(spec, survey, cancel, f"the {noun} POST ended ambiguously ({exc})")
                # Not one byte of the request left this process: nothing can have started. Look (after a pause,
                # so that a listing that lags has caught up), then post again.
                if self._sleep(2.0, cancel):
                    raise
                adopted = self._look_quietly(spec, survey)
                if adopted is not None:
                    self._say(spec, f"the {noun} POST failed ({exc}); adopting operation {adopted.operation_id} "
                                    "that is running on the offer")
                    return adopted
                if reposts_left > 0:
                    reposts_left -= 1
                    self._say(spec, f"{noun} POST not sent ({exc}); nothing is running, posting again")
                    continue
                raise AmbiguousGoLiveError(
                    f"the {noun} POST for {spec.publisher_id}/{spec.offer_id} could not be sent ({exc}). Nothing "
                    "was posted. Re-run `pulumi up` once the API can be reached.", posted=False) from None
            self._say(spec, f"{noun} accepted: operation {record.operation_id}")
            return record

    def _adopt_when_listed(self, spec: GoLiveSpec, survey: Lookable, cancel: Optional[threading.Event],
                           why: str) -> OperationRecord:
        """Adopt the operation that ``why`` implies is running, once the listing shows it; never post.

        Looks for up to ``adopt_window`` seconds (and never past the operation's deadline or Cancel): a listing can
        lag behind an operation the API just created. Stops early when the listing shows why none will come.
        """
        found = self._listed(spec, survey, cancel, why)
        if found is None:
            raise self._ambiguous(spec, f"{why}; no {self.words.noun} appeared in the {self.api.listing} of "
                                        f"{spec.publisher_id}/{spec.offer_id} within {self.adopt_window:g} s "
                                        "(cpp-golive:adoptTimeout)")
        self._say(spec, f"{why}; adopting {self.words.noun} operation {found.operation_id} from the "
                        f"{self.api.listing}")
        return found

    def _listed(self, spec: GoLiveSpec, survey: Lookable, cancel: Optional[threading.Event],
                why: str) -> Optional[OperationRecord]:
        """The operation the listing shows within ``adopt_window`` seconds, or None. A look cut short by the
        deadline or Cancel, or a listing that shows why none will come, is the user's error, ``why`` first."""
        try:
            return self._look_for(spec, survey, cancel, self.adopt_window)
        except _StoppedLooking as stopped:
            raise self._ambiguous(spec, f"{why}; {stopped} before the {self.api.listing} showed it") from None
        except _NoneWillCome as other:
            raise OfferNotReadyError(f"{why}; {other}") from None

    def _look_for(self, spec: GoLiveSpec, survey: Lookable, cancel: Optional[threading.Event],
                  window: float) -> Optional[OperationRecord]:
        """The operation the listing shows within ``window`` seconds (first look after a short pause), or None.

        Raises :class:`_NoneWillCome` when the listing shows why none will come, :class:`_StoppedLooking` on the
        deadline or Cancel.
        """
        give_up = self._clock() + window
        delay = _FIRST_LOOK_DELAY
        while True:
            remaining = give_up - self._clock()
            if self._sleep(min(delay, max(remaining, 0.0)), cancel):
                raise _StoppedLooking(self._why_stopped())
            try:
                lookup = self.api.look_for(spec, survey)
            except ApiError as exc:
                if not exc.transient:
                    raise
                lookup = None
            if lookup is not None and lookup.record is not None:
                return self._recordable(lookup.record)
            if lookup is not None and lookup.other:
                raise _NoneWillCome(lookup.other)
            if give_up - self._clock() <= 0:
                return None
            delay = min(delay * 2, _MAX_LOOK_DELAY)

    def _ambiguous(self, spec: GoLiveSpec, what: str) -> AmbiguousGoLiveError:
        return AmbiguousGoLiveError(
            f"{what}. The {self.words.noun} may have been started; nothing was re-posted. The next `pulumi up` "
            f"looks for it in the {self.api.listing} before it posts (see \"An ambiguous {self.words.noun} POST\" "
            "in the README).",
            posted=True, sent_at=self._first_sent)

    def _why_stopped(self) -> str:
        stopped = current()
        return stopped.why() if stopped is not None and stopped.done else f"the {self.words.noun} was cancelled"

    def _recordable(self, record: OperationRecord) -> OperationRecord:
        """``record``, unless a field the stack would record holds a secret this process uses (a server that
        echoes the token as an ID): then it is not recorded, and the operation is found in the listing instead."""
        if any(contains_secret(str(value)) for value in record.outputs().values() if value):
            raise UnusableAnswerError(f"the answer names the {self.words.noun} with a value that holds a secret; "
                                      "it is not recorded")
        return record

    def _look_quietly(self, spec: GoLiveSpec, survey: Post) -> Optional[OperationRecord]:
        """One look at the listing (after a POST that was never sent); a transient error counts as nothing seen."""
        try:
            found = self.api.look_for(spec, survey).record
        except ApiError as exc:
            if not exc.transient:
                raise
            return None
        return self._recordable(found) if found is not None else None

    def resume(self, spec: GoLiveSpec, record: OperationRecord, cancel: Optional[threading.Event] = None, *,
               timeout: Optional[float] = None) -> OperationRecord:
        """What a later ``pulumi up`` does with a recorded operation (both adapters' ``update``); never posts.

        A recorded failure is reported again, without any request, until the user retries explicitly (the same
        rule :meth:`start` applies when nothing is recorded); a running operation is waited on when
        ``spec.waits_to_end``; anything else is returned as it is. A recorded ambiguous POST
        (:data:`~.status.UNCONFIRMED`) is a create that looks for its operation before it posts.
        """
        if record.operation_id == UNCONFIRMED:
            return self.create(spec, cancel, timeout, look_first=True, since=record.accepted_at or "")
        if record.status in (FAILED_STATUS, CANCELED):
            raise GoLiveFailedError(
                f"{self.words.noun} operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} ended "
                f"{record.status} (as recorded in the stack). {self.words.retry_hint}", record)
        if record.status == RUNNING and spec.waits_to_end:
            self._say(spec, f"resuming the wait on recorded operation {record.operation_id} (no new "
                            f"{self.words.noun} is posted)")
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
            reading = self._poll(spec, record, deadline, polls)
            if reading.status != RUNNING:
                return self._finish(spec, record, reading)
            if self._sleep(self._pause_before_next_poll(spec, reading.retry_after, polls.failures), cancel):
                raise self._stopped(spec, record, deadline)

    def _poll(self, spec: GoLiveSpec, record: OperationRecord, deadline: Deadline, polls: _Polls) -> Reading:
        """Read the operation once, report what changed, and say what was seen (``running`` when unsure).

        A failed read counts in ``polls`` and raises once it is not transient or too many failed in a row.
        """
        try:
            reading = self.api.read(record)
        except ApiError as exc:
            if deadline.done:  # the poll was cut short by the time limit or by Cancel, not by the API
                raise self._stopped(spec, record, deadline) from None
            polls.failures = self._poll_failed(spec, record, exc, polls.failures)
            return Reading(RUNNING, retry_after=exc.retry_after)  # a 429 or 503 that azure-core stopped retrying
        polls.failures = 0
        if reading.submission_id and reading.submission_id != record.submission_id:
            record.submission_id = reading.submission_id  # kept through a later failure, timeout or Cancel too
        for key, line in reading.progress.items():
            if polls.progress.get(key) != line:
                polls.progress[key] = line
                self._say(spec, f"operation {record.operation_id}: {line}", passing=True)
        word = reading.unknown_word
        if word is not None and word not in polls.unknown_words:
            polls.unknown_words.add(word)
            self._say(spec, f"operation {record.operation_id} reports an unknown status {word!r}; treating it as "
                            "still running")
        return reading

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
                f"{self.words.noun} operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} is still "
                f"running after the {deadline.limit:g} s timeout. It was not cancelled and will not be posted "
                "again: re-run `pulumi up` to resume waiting on it.", record)
        return GoLiveCancelledError(
            f"waiting for {self.words.noun} operation {record.operation_id} of {spec.publisher_id}/{spec.offer_id} "
            f"was cancelled; the operation keeps running at {self.api.name}. Re-run `pulumi up` to resume waiting.",
            record)

    def _poll_failed(self, spec: GoLiveSpec, record: OperationRecord, exc: ApiError, failures: int) -> int:
        if exc.status != 404 and not exc.transient:
            raise GoLiveError(
                f"{exc.with_operation(record.operation_id)}. The operation ID is kept; fix the cause and re-run "
                "`pulumi up` to resume waiting.", record) from None
        failures += 1
        self._say(spec, f"polling operation {record.operation_id} failed ({exc}); will retry "
                        f"({failures}/{self.max_transient_errors})", passing=True)
        if failures >= self.max_transient_errors:
            raise GoLiveError(
                f"gave up polling {self.words.noun} operation {record.operation_id} for "
                f"{spec.publisher_id}/{spec.offer_id} after {failures} failed attempts (last: {exc}). The operation "
                "may still be running: re-run `pulumi up` to resume waiting on it.", record)
        return failures

    def _finish(self, spec: GoLiveSpec, record: OperationRecord, reading: Reading) -> OperationRecord:
        record.status = reading.status
        record.completed_at = self._now()
        record.messages = tuple(reading.messages)
        if reading.status == SUCCEEDED:
            seen = f" ({'; '.join(record.messages)})" if record.messages else ""
            self._say(spec, f"{self.words.noun} operation {record.operation_id} succeeded: {self.words.done}{seen}")
            return record
        raise GoLiveFailedError(
            f"{self.words.noun} operation {record.operation_id} for {spec.publisher_id}/{spec.offer_id} ended "
            f"{reading.status}: {self._explain(record.messages)}", record)

    def _explain(self, messages: tuple[str, ...]) -> str:
        return "; ".join(messages) if messages else f"{self.api.name} gave no message"

    # ---- 3. refresh --------------------------------------------------------------------------------------

    def import_operation(self, spec: GoLiveSpec, operation_id: str) -> OperationRecord:
        """``pulumi import``: the operation an ID names, read once, and believed only when the API knows it."""
        noun = self.words.noun
        try:
            record = self.api.imported(spec, operation_id)
            reading = self.api.read(record)
        except ApiError as exc:
            if exc.status == 404:
                raise OfferGoLiveError(
                    f"cannot import {spec.publisher_id}/{spec.offer_id}/{operation_id}: the {self.api.name} API does "
                    f"not know {noun} operation {operation_id} of offer {spec.publisher_id}/{spec.offer_id} "
                    f"({exc}). Nothing was recorded. The ID is {{publisherId}}/{{offerId}}/{{operationId}}; for a "
                    "Product Ingestion job, {publisherId}/{offerId}/product-ingestion/{jobId}.") from None
            raise exc.with_operation(operation_id) from None
        record.status = reading.status
        record.completed_at = None if reading.status == RUNNING else self._now()
        record.submission_id = reading.submission_id or record.submission_id
        self._say(spec, f"imported {noun} operation {operation_id} ({self.api.name}): {reading.status}")
        return record

    def refresh(self, record: OperationRecord) -> OperationRecord:
        """Read the recorded operation once. A 404 keeps the recorded state (the API forgets old operations)."""
        spec = GoLiveSpec(publisher_id=record.publisher_id, offer_id=record.offer_id)
        if record.operation_id == UNCONFIRMED:
            self._say(spec, f"the recorded {self.words.noun} POST ended ambiguously; the next `pulumi up` looks "
                            "for it")
            return record
        try:
            reading = self.api.read(record)
        except ApiError as exc:
            if exc.status == 404:
                self._say(spec, f"operation {record.operation_id} is no longer returned by {self.api.name}; "
                                "keeping its recorded state", warning=True)
                return record
            raise exc.with_operation(record.operation_id) from None
        status = reading.status
        record.submission_id = reading.submission_id or record.submission_id
        if status != record.status:
            record.status = status
            record.completed_at = None if status == RUNNING else (record.completed_at or self._now())
        return record

    def _say(self, spec: GoLiveSpec, line: str, *, passing: bool = False, warning: bool = False) -> None:
        channel = self._warn if warning else self._progress if passing else self._report
        channel(f"{spec.publisher_id}/{spec.offer_id}: {line}")


#: The machine as the go-live's adapters and benchmarks name it (``session.golive`` builds one per call): an
#: :class:`OperationMachine` on a go-live API (:data:`~.offer_api.GO_LIVE` words).
GoLiveMachine = OperationMachine
