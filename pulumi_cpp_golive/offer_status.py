"""``getOfferStatus``: where an offer stands, read-only (GETs only, nothing posted, nothing recorded), for a pipeline
to gate on. One of five states, with the go-live operation when one is known:

==================  ==========================================================================================
``never-published``  no preview that succeeded: publish to preview first
``publishing``       a publish to preview is in progress (or, on CPP, an operation the listing does not name yet)
``preview-ready``    published to preview and awaiting go-live (a failed last go-live is reported with it)
``going-live``       a go-live is running (this offer's, or another submission's rollout on Product Ingestion)
``live``             the offer is live with its current preview
==================  ==========================================================================================

It asks the same survey the go-live machine starts with, so both read the offer the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from typing_extensions import assert_never

from .errors import OfferNotReadyError
from .inputs import GoLiveSpec, id_problem
from .offer_api import Adopt, AlreadyDone, Busy, Lagging, LastFailed, OfferApi, Post, Refuse
from .record import OperationRecord
from .resource import APIS, GOING_LIVE, LIVE, OFFER_STATE_ENUM, PREVIEW_READY, PUBLISHING

OFFER_STATES = OFFER_STATE_ENUM.values
#: The function's type name in the schema and every SDK.
FUNCTION_TYPE = "cpp-golive:index:getOfferStatus"
#: Each output of the function: its schema name, the :class:`OfferStatus` field, and what it says.
OUTPUTS = (
    ("state", "state", "Where the offer stands (`OfferState`)."),
    ("operationId", "operation_id", "The go-live operation the API shows for the offer (CPP: its GUID; Product "
                                    "Ingestion: the configure job, or the live submission); empty when none."),
    ("operationStatus", "operation_status", "That operation's status (`running`, `succeeded`, `failed`, "
                                            "`canceled`); empty when none."),
    ("productId", "product_id", "Product Ingestion: the product's durable ID, `product/<guid>`, when an operation "
                                "is shown; empty for CPP."),
    ("submissionId", "submission_id", "Product Ingestion: the submission of that operation; empty for CPP."),
    ("message", "message", "What was seen, when the state alone does not tell it (e.g. why the last go-live "
                           "failed); empty otherwise."),
)


@dataclasses.dataclass(frozen=True)
class OfferStatus:
    """Where the offer stands: ``state`` (one of :data:`OFFER_STATES`), the go-live operation the API shows for it
    (empty when none), and a sentence saying what was seen when the state alone does not tell it."""

    state: str
    operation_id: str = ""
    operation_status: str = ""
    product_id: str = ""
    submission_id: str = ""
    message: str = ""

    @classmethod
    def of(cls, state: str, record: Optional[OperationRecord] = None, message: str = "") -> OfferStatus:
        if record is None:
            return cls(state, message=message)
        return cls(state, record.operation_id, record.status, record.product_id, record.submission_id, message)


def query_problems(publisher_id: object, offer_id: object, api: object,
                   names: tuple[str, str, str] = ("publisher_id", "offer_id", "api")) -> list[tuple[str, str]]:
    """Why the arguments cannot name an offer to ask about, as ``(argument, reason)`` under the caller's names for
    them (the SDKs' camelCase, or Python's snake_case); empty when they can."""
    problems = [(name, f"{name} {problem}") for name, value in zip(names, (publisher_id, offer_id))
                if (problem := id_problem(value)) is not None]
    if api not in APIS:
        problems.append((names[2], f"{names[2]} must be one of {', '.join(APIS)}, got {api!r}"))
    return problems


def offer_status(api: OfferApi, spec: GoLiveSpec) -> OfferStatus:
    """The offer's state as ``api`` shows it. An offer that is not there at all (no such product) raises
    :class:`~.errors.OfferNotReadyError` with what was listed."""
    survey = api.survey(spec)
    if isinstance(survey, Post):
        return OfferStatus.of(PREVIEW_READY)
    if isinstance(survey, Adopt):
        return OfferStatus.of(GOING_LIVE, survey.record)
    if isinstance(survey, AlreadyDone):
        return OfferStatus.of(LIVE, survey.record)
    if isinstance(survey, LastFailed):
        messages = "; ".join(survey.record.messages)
        return OfferStatus.of(PREVIEW_READY, survey.record,
                              f"the last go-live {survey.record.status}" + (f": {messages}" if messages else ""))
    if isinstance(survey, Lagging):
        return OfferStatus.of(PUBLISHING, message=survey.reason)
    if isinstance(survey, Busy):
        return OfferStatus.of(GOING_LIVE, message=survey.reason)
    if isinstance(survey, Refuse):
        if not survey.offer_state:
            raise OfferNotReadyError(survey.reason)
        return OfferStatus.of(survey.offer_state, message=survey.reason)
    assert_never(survey)
