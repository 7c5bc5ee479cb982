"""What the operation machine (:mod:`.golive`) asks of a marketplace API, in the machine's own words.

One implementation of :class:`OfferApi` answers for one kind of operation on one API: the go-live on CPP
(:mod:`.cpp_api`) and on Product Ingestion (:mod:`.pi_api`); the publish to preview on CPP
(:mod:`.cpp_publish_api`) and on Product Ingestion (:mod:`.pi_publish_api`). Each kind has its own
:class:`OperationWords` (:data:`GO_LIVE`, :data:`PUBLISH`) and is driven by the same machine. What the words
of an API mean (CPP's ``submissionType``, PI's ``jobStatus``/``jobResult`` and its submission listing) stays in
that API's module; the machine only sees a :data:`Survey` (one of seven outcomes), an
:class:`~.record.OperationRecord`, a :class:`Lookup` and a :class:`Reading`. Errors are
:class:`~.errors.ApiError` (status, code, ``transient``) for either API.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Protocol, Sequence, Union

from .errors import ApiError
from .inputs import GoLiveSpec
from .record import OperationRecord


@dataclasses.dataclass(frozen=True)
class OperationWords:
    """How the machine's messages name one kind of operation (every other word of a message is the machine's).

    ``noun`` names the operation ("go-live operation X", "the go-live POST"); ``done`` is what its success
    means ("go-live operation X succeeded: the offer is live"); ``already_done`` is the survey's finding that
    nothing needs posting ("offer is already live; adopting ..."); ``retry_hint`` is the rule every message about
    a failed operation ends with.
    """

    noun: str
    done: str
    already_done: str
    retry_hint: str


#: The go-live's words (README: "A failed go-live" states the same rule as ``retry_hint``).
GO_LIVE = OperationWords(
    noun="go-live",
    done="the offer is live",
    already_done="offer is already live",
    retry_hint=("A failed go-live is not posted again on its own, and nothing was posted now. To retry: fix the "
                "cause, publish the offer again (to preview, up to publisher sign-off), then change `triggers` "
                "(or run `pulumi up --replace`)."),
)

#: The publish's words (README: "A failed publish").
PUBLISH = OperationWords(
    noun="publish",
    done="preview ready: the offer awaits go-live",
    already_done="the preview is already ready",
    retry_hint=("A failed publish is not posted again on its own, and nothing was posted now. To retry: fix the "
                "cause (the API's messages above; in Partner Center or in the draft), then change `triggers` "
                "(or run `pulumi up --replace`)."),
)


# ---- the outcomes of a survey: one class each, so that none lacks what the machine needs to act on it ----------


@dataclasses.dataclass(frozen=True)
class Post:
    """Nothing runs and the offer is ready: post the operation once.

    ``target`` is what the post (and a later look at the listing) needs that the survey found (PI: the
    product's durable ID and the preview submission's ID); CPP needs nothing.
    """

    target: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: Set by the machine when an earlier run's POST ended ambiguously: when that POST was sent (ISO-8601 UTC). An
    #: operation the listing shows as created since may be that run's even though this survey already saw it.
    since: str = ""


@dataclasses.dataclass(frozen=True)
class _Found:
    """An outcome about an operation the API showed: its record, never missing."""

    record: OperationRecord

    def __post_init__(self) -> None:
        # The annotation already says so to mypy; this says it to an untyped caller (a test double, a plugin).
        if not isinstance(self.record, OperationRecord):
            raise TypeError(f"{type(self).__name__} needs the operation's record, got {self.record!r}")


@dataclasses.dataclass(frozen=True)
class Adopt(_Found):
    """The operation is already running on the offer: follow ``record``, post nothing."""


@dataclasses.dataclass(frozen=True)
class AlreadyDone(_Found):
    """The offer already is what the operation would make it (for a go-live: live with what would be posted):
    record ``record``, post nothing."""


@dataclasses.dataclass(frozen=True)
class LastFailed(_Found):
    """The offer's last operation of this kind failed or was canceled: refuse until the user retries explicitly.
    ``record.messages`` hold the API's explanation."""


@dataclasses.dataclass(frozen=True)
class _Reasoned:
    """An outcome the machine explains to the user: ``reason`` is a sentence saying what the API shows (e.g.
    what Partner Center would show); the machine adds that nothing was posted. Never empty."""

    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError(f"{type(self).__name__} needs a reason for the user, got {self.reason!r}")


@dataclasses.dataclass(frozen=True)
class Refuse(_Reasoned):
    """The offer cannot take the operation now (unknown, never published, another publish running): post
    nothing. ``offer_state`` says which, for a status query (:mod:`.offer_status`): ``never-published``,
    ``publishing``, or empty when the offer is not there to have a state."""

    offer_state: str = ""


@dataclasses.dataclass(frozen=True)
class Lagging(_Reasoned):
    """The API says the operation runs but its listing does not show it yet: look again, post nothing.
    ``target`` is what looking needs (as :attr:`Post.target`)."""

    target: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Busy(_Reasoned):
    """An operation on something else still runs (e.g. another submission's go-live): wait for it to end
    (bounded), then survey again."""


#: What a survey comes to before anything is posted: exactly one of these.
Survey = Union[Post, Adopt, AlreadyDone, LastFailed, Refuse, Lagging, Busy]
#: The outcomes after which the listing is looked at (after an ambiguous or conflicting POST, or a lagging one).
Lookable = Union[Post, Lagging]


@dataclasses.dataclass(frozen=True)
class Lookup:
    """What the listing shows after an ambiguous POST: the operation to adopt (``record``), or why none will come
    (``other``: e.g. another kind of operation runs on the offer), or neither yet (the listing may lag)."""

    record: Optional[OperationRecord] = None
    other: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Reading:
    """One read of a recorded operation.

    ``status`` is one of the four words of :mod:`.status`. ``progress`` maps a key (``""`` for the overall
    status, else a step or phase) to the line the user sees; the machine reports a line when its key's value
    changes. ``messages`` explain a bad end. ``unknown_word`` is a status word the API sent that is not known
    (treated as running, reported once). ``retry_after`` is the server's hint in seconds. ``submission_id`` is the
    submission the operation turned out to be about once the API shows it (a publish's new preview submission):
    the machine records it.
    """

    status: str
    progress: Mapping[str, str] = dataclasses.field(default_factory=dict)
    messages: Sequence[str] = ()
    unknown_word: Optional[str] = None
    retry_after: Optional[float] = None
    submission_id: str = ""


class OfferApi(Protocol):
    """One kind of operation on one marketplace API, as the machine uses it. Every method may raise
    :class:`~.errors.ApiError`."""

    #: How messages name the API ("CPP", "Product Ingestion") and the listing that shows its operations.
    name: str
    listing: str
    #: How messages name the kind of operation these answers are about (:data:`GO_LIVE`, :data:`PUBLISH`).
    words: OperationWords

    def survey(self, spec: GoLiveSpec) -> Survey:
        """Look at the offer (GETs only) and decide what the operation must do now."""
        ...

    def post(self, spec: GoLiveSpec, survey: Post) -> OperationRecord:
        """POST the operation once; the accepted operation, ``running``.

        Raises :class:`~.errors.UnusableAnswerError` when the API took the operation but did not say how to follow
        it: the machine then finds it with :meth:`look_for`.
        """
        ...

    def look_for(self, spec: GoLiveSpec, survey: Lookable) -> Lookup:
        """After an ambiguous or conflicting POST, or a lagging survey (GETs only): the operation the listing
        shows, if any yet."""
        ...

    def read(self, record: OperationRecord) -> Reading:
        """Read a recorded operation once (GETs only). A 404 the API cannot explain is raised as it is."""
        ...

    def imported(self, spec: GoLiveSpec, operation_id: str) -> OperationRecord:
        """The record of an operation known only by its ID (``pulumi import``), to be read before it is believed;
        GETs only (Product Ingestion: the product, to follow its rollout)."""
        ...

    def certainly_not_started(self, exc: ApiError) -> bool:
        """Whether a failed POST certainly started nothing (never sent, or an answer that proves it), so that it
        may be posted again when nothing runs. Anything else after sending is ambiguous and is never re-posted."""
        ...

    def is_conflict(self, exc: ApiError) -> bool:
        """Whether a refused POST says another operation is in progress (its operation is then looked for)."""
        ...
