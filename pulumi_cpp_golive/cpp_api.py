"""The Cloud Partner Portal's answers to the state machine's questions (:class:`~.offer_api.OfferApi`) about a
go-live (:class:`CppOfferApi`), and what every kind of CPP operation shares (:class:`CppOperations`; the publish
to preview is :mod:`.cpp_publish_api`).

What CPP's words mean lives here: an offer status (``neverPublished``, ``running``, ``succeeded`` with a step
``waitingForPublisherReview``), the operations list (``submissionType`` ``goLive``/``publish``,
``submissionState``), an operation body (``status`` and ``steps``) and CPP's error shapes.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from .cpp_client import CppClient
from .cpp_paths import API_VERSION, operation_path
from .cpp_wire import (
    error_messages,
    is_golive_submission,
    is_publish_submission,
    normalise_status,
    operation_id_from_url,
    progress_lines,
    waiting_for_signoff,
)
from .errors import ApiError, UnusableAnswerError
from .inputs import GoLiveSpec
from .offer_api import (
    GO_LIVE,
    Adopt,
    AlreadyDone,
    Lagging,
    LastFailed,
    Lookable,
    Lookup,
    OperationWords,
    Post,
    Reading,
    Refuse,
    Survey,
)
from .record import OperationRecord
from .resource import NEVER_PUBLISHED, PUBLISHING
from .shapes import is_cpp_operation_id, timestamp
from .status import CANCELED, RUNNING, SUCCEEDED, squash, utc_now
from .status import FAILED as FAILED_STATUS

# Offer states (squashed) that mean "nothing was ever published to preview": go-live cannot work.
_NEVER_PUBLISHED = frozenset({"neverpublished"})
# Offer states (squashed) that mean an operation is under way on the offer right now.
OFFER_BUSY = frozenset({"running", "inprogress"})
# Error codes (squashed) that say the offer is busy with another operation, whatever the HTTP status.
_IN_PROGRESS_CODES = frozenset({"operationinprogress", "conflict", "operationconflict", "anotheroperationinprogress"})


class CppOperations:
    """What the answers about every kind of CPP operation share: posting and recording an operation, reading it,
    the operations list. ``now`` stamps operations whose times CPP does not give."""

    name = "CPP"
    listing = "operations list"
    words: OperationWords

    def __init__(self, client: CppClient, *, now: Callable[[], str] = utc_now) -> None:
        self.client = client
        self._now = now

    def _accepted(self, spec: GoLiveSpec, url: str) -> OperationRecord:
        """The operation a POST's tracking URL names, recorded by its canonical path (only the validated ID is
        taken from the URL: its query, ``api-version`` included, is the server's)."""
        operation_id = operation_id_from_url(url)
        if not is_cpp_operation_id(operation_id, spec.publisher_id, spec.offer_id):
            raise UnusableAnswerError("the tracking URL's operation ID is not a GUID (or holds a secret); it is not "
                                      "recorded")
        legacy = urlsplit(url).path.startswith("/api/operations/")
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=operation_id,
            operation_location=(f"/api/operations/{operation_id}?api-version={API_VERSION}" if legacy
                                else operation_path(spec.publisher_id, spec.offer_id, operation_id)),
            status=RUNNING,
            accepted_at=self._now(),
        )

    def read(self, record: OperationRecord) -> Reading:
        """The operation at its tracking path; when CPP answers 404, the operations list says whether it ended."""
        return self._reading(*self._operation_body(record))

    @staticmethod
    def _reading(body: Mapping[str, Any], retry_after: Optional[float]) -> Reading:
        status, known = normalise_status(body.get("status"))
        return Reading(
            status,
            progress=progress_lines(body),
            messages=error_messages(body) if status != RUNNING else (),
            unknown_word=None if known else str(body.get("status")),
            retry_after=retry_after,
        )

    def _operation_body(self, record: OperationRecord) -> tuple[Mapping[str, Any], Optional[float]]:
        try:
            snapshot = self.client.get_operation(record.operation_location)
        except ApiError as exc:
            if exc.status == 404:
                listed = self._status_in_list(record)
                if listed is not None and listed != RUNNING:
                    return {"status": listed, "messages": [f"CPP no longer returns the operation; its submission "
                                                           f"ended {listed}"]}, None
            raise
        self._check_names(record, snapshot.body)
        return snapshot.body, snapshot.retry_after

    def imported(self, spec: GoLiveSpec, operation_id: str) -> OperationRecord:
        """An operation of the offer known by ID alone: its canonical path; nothing is asked yet."""
        return OperationRecord(publisher_id=spec.publisher_id, offer_id=spec.offer_id, operation_id=operation_id,
                               operation_location=operation_path(spec.publisher_id, spec.offer_id, operation_id),
                               status=RUNNING, accepted_at=None)

    def certainly_not_started(self, exc: ApiError) -> bool:
        """Only a POST of which no byte left this process. Any answer after sending is ambiguous: even a 500 in
        CPP's own error shape has been seen after the go-live started (it was listed 1.5 s later)."""
        return exc.code == "NotSent"

    def is_conflict(self, exc: ApiError) -> bool:
        """HTTP 409, or a refusal with a code such as ``OperationInProgress``."""
        return exc.status == 409 or (exc.status is not None and exc.status < 500
                                     and squash(exc.code or "") in _IN_PROGRESS_CODES)

    def _running(self, spec: GoLiveSpec) -> list[Mapping[str, Any]]:
        """The offer's entries of the operations list that are running (their IDs not yet checked)."""
        submissions = self._of_offer(spec, self.client.list_submissions(spec.publisher_id, spec.offer_id,
                                                                        status="running"))
        return [s for s in submissions if normalise_status(s.get("submissionState"))[0] == RUNNING]

    def _publish_in_progress(self, spec: GoLiveSpec, running: list[Mapping[str, Any]]) -> Optional[OperationRecord]:
        """The newest running publish of the offer that has not reached sign-off (one GET of its operation: the
        list cannot tell a publish on its way from one waiting at sign-off)."""
        publishes = [s for s in running if self._is_publish(spec, s)]
        if not publishes:
            return None
        record = self._record(spec, newest(publishes))
        try:
            body, _ = self._operation_body(record)
        except ApiError as exc:
            if exc.transient or exc.status == 404:
                return record  # unsure: taken as still on its way (adopting or refusing never posts)
            raise
        return None if waiting_for_signoff(body) else record

    def _status_in_list(self, record: OperationRecord) -> Optional[str]:
        try:
            for submission in self.client.list_submissions(record.publisher_id, record.offer_id):
                if str(submission.get("id")) == record.operation_id:
                    return normalise_status(submission.get("submissionState"))[0]
        except ApiError:
            return None
        return None

    def _record(self, spec: GoLiveSpec, submission: Mapping[str, Any]) -> OperationRecord:
        operation_id = str(submission["id"])
        status = normalise_status(submission.get("submissionState"))[0]
        changed = timestamp(submission.get("changedTime"))
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=operation_id,
            operation_location=operation_path(spec.publisher_id, spec.offer_id, operation_id),
            status=status,
            accepted_at=timestamp(submission.get("createdDateTime")) or changed or self._now(),
            completed_at=None if status == RUNNING else (changed or self._now()),
        )

    @staticmethod
    def _is_golive(spec: GoLiveSpec, submission: Mapping[str, Any]) -> bool:
        """A go-live entry whose ID may be recorded (a GUID of this offer, holding no secret)."""
        return is_golive_submission(submission) and is_cpp_operation_id(
            str(submission.get("id")), spec.publisher_id, spec.offer_id)

    @staticmethod
    def _is_publish(spec: GoLiveSpec, submission: Mapping[str, Any]) -> bool:
        """A publish entry whose ID may be recorded (as :meth:`_is_golive`)."""
        return is_publish_submission(submission) and is_cpp_operation_id(
            str(submission.get("id")), spec.publisher_id, spec.offer_id)

    @staticmethod
    def _of_offer(spec: GoLiveSpec, submissions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The entries that are this offer's: an entry that names another publisher or offer is not (a list
        that mixes offers up must not make us adopt someone else's operation)."""
        return [s for s in submissions
                if _names(s, "publisherId", spec.publisher_id) and _names(s, "offerId", spec.offer_id)]

    @staticmethod
    def _check_names(record: OperationRecord, body: Mapping[str, Any]) -> None:
        """An operation body that names another operation or offer is not an answer about ours."""
        named_id = body.get("id", body.get("operationId"))
        if (named_id not in (None, "") and str(named_id).lower() != record.operation_id.lower()) or not (
                _names(body, "publisherId", record.publisher_id) and _names(body, "offerId", record.offer_id)):
            raise ApiError(status=200, method="GET", url=record.operation_location, code="MalformedResponse",
                           message="the operation's answer names another operation or offer")


class CppOfferApi(CppOperations):
    """CPP's go-live behind the machine's questions."""

    words = GO_LIVE

    def survey(self, spec: GoLiveSpec) -> Survey:
        """A running go-live first (adopt), a publish on its way to sign-off (refuse), then the offer status:
        never published, busy, live, last go-live failed; otherwise post."""
        running = self._running(spec)
        golives = [s for s in running if self._is_golive(spec, s)]
        if golives:
            return Adopt(self._record(spec, newest(golives)))
        publish = self._publish_in_progress(spec, running)
        if publish is not None:
            return Refuse(
                f"a publish is in progress on offer {spec.publisher_id}/{spec.offer_id} (operation "
                f"{publish.operation_id}); go live once it has reached publisher sign-off.", offer_state=PUBLISHING)
        offer = self.client.get_offer_status(spec.publisher_id, spec.offer_id)
        state = squash(offer.get("status", ""))
        if state in _NEVER_PUBLISHED:
            return Refuse(
                f"offer {spec.publisher_id}/{spec.offer_id} was never published to preview (offer status "
                f"{offer.get('status')!r}); publish it and wait for publisher sign-off before go-live.",
                offer_state=NEVER_PUBLISHED)
        if state in OFFER_BUSY and not waiting_for_signoff(offer):
            # CPP runs one operation per offer: a go-live posted now could only conflict, or start a second one.
            return Lagging(
                f"the offer status of {spec.publisher_id}/{spec.offer_id} says {offer.get('status')!r} but the "
                "operations list shows no running go-live yet; nothing was posted")
        outcome = normalise_status(offer.get("status"))[0]
        if outcome == SUCCEEDED and not waiting_for_signoff(offer):
            golives = [s for s in self.client.list_submissions(spec.publisher_id, spec.offer_id)
                       if is_golive_submission(s)]
            if golives:
                return AlreadyDone(self._record(spec, newest(golives)))
        if outcome in (FAILED_STATUS, CANCELED):
            failed = self._last_golive_if_failed(spec)
            if failed is not None:
                return LastFailed(failed)
        return Post()

    def post(self, spec: GoLiveSpec, survey: Post) -> OperationRecord:
        """POST the go-live once; the operation its tracking header names."""
        return self._accepted(spec, self.client.post_golive(spec.publisher_id, spec.offer_id,
                                                            spec.notification_emails).url)

    def look_for(self, spec: GoLiveSpec, survey: Lookable) -> Lookup:
        running = self._running(spec)
        golives = [s for s in running if self._is_golive(spec, s)]
        if golives:
            return Lookup(self._record(spec, newest(golives)))
        blocking = [s for s in running if not self._is_publish(spec, s)]
        if not blocking and running and waiting_for_signoff(
                self.client.get_offer_status(spec.publisher_id, spec.offer_id)):
            return Lookup()  # a publish waiting at sign-off is what a go-live continues from: keep looking
        if running:
            other = newest(running)
            return Lookup(other=(
                f"the operation running on the offer is a {other.get('submissionType')!r} operation "
                f"({other.get('id')}), not a go-live. Nothing was posted: go live once it has reached publisher "
                "sign-off."))
        return Lookup()

    # ---- CPP's operations list ------------------------------------------------------------------------------

    def _last_golive_if_failed(self, spec: GoLiveSpec) -> Optional[OperationRecord]:
        """The offer's newest go-live, with CPP's messages, when it is also its newest publish-or-go-live and it
        failed or was canceled. A publish since then means the user published again: a go-live may be posted."""
        submissions = self._of_offer(spec, self.client.list_submissions(spec.publisher_id, spec.offer_id))
        relevant = [s for s in submissions
                    if self._is_golive(spec, s) or squash(s.get("submissionType", "")) == "publish"]
        if not relevant:
            return None
        latest = newest(relevant)
        if not self._is_golive(spec, latest) or normalise_status(latest.get("submissionState"))[0] not in (
                FAILED_STATUS, CANCELED):
            return None
        record = self._record(spec, latest)
        try:
            record.messages = tuple(error_messages(self.client.get_operation(record.operation_location).body))
        except ApiError:
            pass  # the failure is known from the list; CPP's explanation is a bonus
        return record


def _names(entry: Mapping[str, Any], key: str, wanted: str) -> bool:
    """Whether ``entry`` names ``wanted`` under ``key``, or names nothing there (compared without case)."""
    value = entry.get(key)
    return value in (None, "") or str(value).casefold() == wanted.casefold()


def newest(submissions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    # The list's order is undocumented; changedTime (ISO-8601) sorts as text.
    return max(submissions, key=lambda s: str(s.get("changedTime") or ""))
