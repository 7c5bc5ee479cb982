"""What the go-live state machine (:mod:`.golive`) asks of a marketplace API, in the machine's own words.

Each API answers the same five questions: CPP in :mod:`.cpp_api`, Product Ingestion in :mod:`.pi_api`. What the
words of an API mean (CPP's ``submissionType``, PI's ``jobStatus``/``jobResult`` and its submission listing) stays
in that API's module; the machine only sees a :class:`Survey`, an :class:`~.record.OperationRecord`, a
:class:`Lookup` and a :class:`Reading`. Errors are :class:`~.errors.ApiError` (status, code, ``transient``) for
either API.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Protocol, Sequence

from .errors import ApiError
from .inputs import GoLiveSpec
from .record import OperationRecord

# The decisions a survey can come to before anything is posted.
POST = "post"  # nothing runs and the offer is ready: post the go-live once
ADOPT = "adopt"  # a go-live is running on the offer: follow it, post nothing
LIVE = "live"  # the offer is already live with what would be posted: record it, post nothing
FAILED = "failed"  # the offer's last go-live failed or was canceled: refuse until the user retries explicitly
REFUSE = "refuse"  # the offer cannot go live now (unknown, never published, another publish running): post nothing
LAGGING = "lagging"  # the API says a go-live runs but its listing does not show it yet: look again, post nothing
BUSY = "busy"  # a go-live of something else still runs: wait for it to end (bounded), then survey again


@dataclasses.dataclass(frozen=True)
class Survey:
    """What the API shows on the offer before a go-live is posted, as one decision.

    ``record`` is the go-live found (``adopt``, ``live``, ``failed``; for ``failed`` its ``messages`` hold the
    API's explanation). ``reason`` is a sentence for the user (``refuse``, ``lagging``, ``busy``): what the API shows,
    e.g. what Partner Center would show (the machine adds that nothing was posted). ``target`` is what a
    ``post`` needs that the survey found (PI: the product's durable ID and the preview submission's ID); CPP
    needs nothing.
    """

    decision: str
    record: Optional[OperationRecord] = None
    reason: str = ""
    target: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Lookup:
    """What the listing shows after an ambiguous POST: the go-live to adopt (``record``), or why none will come
    (``other``: e.g. another kind of operation runs on the offer), or neither yet (the listing may lag)."""

    record: Optional[OperationRecord] = None
    other: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Reading:
    """One read of a recorded operation.

    ``status`` is one of the four words of :mod:`.status`. ``progress`` maps a key (``""`` for the overall
    status, else a step or phase) to the line the user sees; the machine reports a line when its key's value
    changes. ``messages`` explain a bad end. ``unknown_word`` is a status word the API sent that is not known
    (treated as running, reported once). ``retry_after`` is the server's hint in seconds.
    """

    status: str
    progress: Mapping[str, str] = dataclasses.field(default_factory=dict)
    messages: Sequence[str] = ()
    unknown_word: Optional[str] = None
    retry_after: Optional[float] = None


class OfferApi(Protocol):
    """A marketplace API as the state machine uses it. Every method may raise :class:`~.errors.ApiError`."""

    #: How messages name the API ("CPP", "Product Ingestion") and the listing that shows its go-lives.
    name: str
    listing: str

    def survey(self, spec: GoLiveSpec) -> Survey:
        """Look at the offer (GETs only) and decide what a go-live must do now."""
        ...

    def post_golive(self, spec: GoLiveSpec, survey: Survey) -> OperationRecord:
        """POST the go-live once (``survey.decision == "post"``); the accepted operation, ``running``.

        Raises :class:`~.errors.UnusableAnswerError` when the API took the go-live but did not say how to follow it:
        the machine then finds it with :meth:`look_for_golive`.
        """
        ...

    def look_for_golive(self, spec: GoLiveSpec, survey: Survey) -> Lookup:
        """After an ambiguous or conflicting POST (GETs only): the go-live the listing shows, if any yet."""
        ...

    def read(self, record: OperationRecord) -> Reading:
        """Read a recorded operation once (GETs only). A 404 the API cannot explain is raised as it is."""
        ...

    def certainly_not_started(self, exc: ApiError) -> bool:
        """Whether a failed POST certainly started nothing (never sent, or an answer that proves it), so that it
        may be posted again when nothing runs. Anything else after sending is ambiguous and is never re-posted."""
        ...

    def is_conflict(self, exc: ApiError) -> bool:
        """Whether a refused POST says another operation is in progress (its go-live is then looked for)."""
        ...
