"""What the answers about every kind of Product Ingestion operation share (:class:`PiOperations`): the product
by its external ID, the submission listing, a configure job's reading, the conflict rules. The go-live is
:mod:`.pi_api`, the publish to preview :mod:`.pi_publish_api`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

from .errors import ApiError, OfferNotReadyError
from .inputs import GoLiveSpec
from .offer_api import OperationWords, Reading
from .pi_client import PiClient
from .pi_wire import (
    COMPLETED,
    NOT_COMPLETED_WORDS,
    SERVICE,
    ListingEntry,
    check_job_names,
    job_error_messages,
    job_status_location,
    listing_entries,
    listing_location,
    outcome,
)
from .record import OperationRecord
from .shapes import is_product_id
from .status import FAILED as FAILED_STATUS
from .status import RUNNING, SUCCEEDED, squash, utc_now

# Refusals that say another publish overlaps this one (§6, §9), compared without case.
_CONFLICT_PHRASES = (
    "an in progress submission already exists",
    "already has an in-progress submission",
    "cannot be pushed to as its not the latest",
    "cannot be pushed to as it's not the latest",
)

class PiOperations:
    """What the answers about every kind of Product Ingestion operation share (a configure job on a product).

    :param client: the HTTP client (its ``$version`` goes into recorded locations too).
    :param now: the current time as ISO-8601 UTC (injectable for tests).
    """

    name = SERVICE
    listing = "submission listing"
    words: OperationWords

    def __init__(self, client: PiClient, *, now: Callable[[], str] = utc_now) -> None:
        self._client = client
        self._now = now
        # Jobs seen completed and succeeded by this process: later reads watch the listing alone (one GET a poll).
        self._jobs_succeeded: set[str] = set()

    def imported(self, spec: GoLiveSpec, operation_id: str) -> OperationRecord:
        """A configure job known by ID alone: the product it must belong to and the job itself (GETs; a job the API
        does not return raises its 404 here, where a recorded one's would be explained by the listing)."""
        product_id = self._the_product(spec)
        job, _ = self._client.get_job_status(operation_id)  # a job the API does not know: its 404, as it is
        check_job_names(job, operation_id, self._client.base_url)
        return OperationRecord(publisher_id=spec.publisher_id, offer_id=spec.offer_id, operation_id=operation_id,
                               operation_location=job_status_location(operation_id, self._client.version),
                               status=RUNNING, accepted_at=None, product_id=product_id)

    def certainly_not_started(self, exc: ApiError) -> bool:
        """Only a POST that was never sent: PI has no error answer proven to mean "not taken", and a 5xx may
        hide a submission that was created (§9)."""
        return exc.code == "NotSent"

    def is_conflict(self, exc: ApiError) -> bool:
        """HTTP 409, the code ``conflict``, or one of the overlap messages publishers report (§6, §9)."""
        text = (exc.message or "").lower()
        return (exc.status == 409 or squash(exc.code or "") == "conflict"
                or any(phrase in text for phrase in _CONFLICT_PHRASES))

    def _the_product(self, spec: GoLiveSpec) -> str:
        """The durable ID of the one product whose external ID is the offer ID; else the refusal, raised."""
        search = self._client.find_products(spec.offer_id)
        if len(search.matches) != 1:
            raise OfferNotReadyError(product_problem(spec.offer_id, search.matches, search.listed))
        return self._product_id(search.matches[0], spec)

    def _product_id(self, product: Mapping[str, Any], spec: GoLiveSpec) -> str:
        raw = product.get("id")
        if is_product_id(raw):
            return str(raw)
        raise ApiError(status=200, method="GET", url=f"{self._client.base_url}/product", code="MalformedResponse",
                       message=f"the product of external ID {spec.offer_id!r} has no usable id "
                               f"(product/<guid>): {str(raw)[:100]!r}", service=SERVICE)

    def _entries(self, product_id: str) -> list[ListingEntry]:
        """The listing's draft, preview and live entries that name a submission of this product."""
        return listing_entries(self._client.list_submissions(product_id), product_id)

    def _listed_record(self, spec: GoLiveSpec, product_id: str, entry: ListingEntry,
                       status: Optional[str] = None) -> OperationRecord:
        """An operation found in the listing, known by its entry's submission ID (no job known); ``status`` is the
        entry's own (running until completed, then its result) unless given."""
        status = status or (outcome(entry.result) if entry.completed else RUNNING)
        return OperationRecord(
            publisher_id=spec.publisher_id,
            offer_id=spec.offer_id,
            operation_id=entry.id,
            operation_location=listing_location(product_id, self._client.version),
            status=status,
            accepted_at=entry.created or self._now(),
            completed_at=None if status == RUNNING else self._now(),
            product_id=product_id,
            submission_id=entry.id,
        )

    def _job(self, job_id: str) -> tuple[Optional[Reading], Optional[float]]:
        """One read of configure job ``job_id``: a :class:`Reading` while it runs or when it did not succeed; None
        (and its ``Retry-After``) once it succeeded, remembered, so that later reads skip it. A 404 is raised."""
        if job_id in self._jobs_succeeded:  # its outcome cannot change
            return None, None
        job, retry_after = self._client.get_job_status(job_id)
        check_job_names(job, job_id, self._client.base_url)
        word = job.get("jobStatus")
        if not (isinstance(word, str) and squash(word) == COMPLETED):
            known = isinstance(word, str) and squash(word) in NOT_COMPLETED_WORDS
            shown = word if isinstance(word, str) else "(no jobStatus)"
            return Reading(RUNNING, progress={"": f"job {shown}"}, unknown_word=None if known else shown,
                           retry_after=retry_after), retry_after
        result = job.get("jobResult")
        status = outcome(result)
        if status != SUCCEEDED:
            messages = job_error_messages(job)
            if status == FAILED_STATUS and not (isinstance(result, str) and squash(result) == "failed"):
                messages.insert(0, f"the job completed with the unknown jobResult {result!r}")
            return Reading(status, progress={"": f"job completed: {result}"}, messages=messages,
                           retry_after=retry_after), retry_after
        self._jobs_succeeded.add(job_id)
        return None, retry_after



def product_problem(offer_id: str, matches: Sequence[Mapping[str, Any]], listed: Sequence[str]) -> str:
    """Why the product of ``offer_id`` cannot be told: none of the listed products has it, or several do."""
    if matches:
        ids = ", ".join(str(product.get("id"))[:60] for product in matches[:5])
        return (f"Product Ingestion lists {len(matches)} products with the external ID {offer_id!r} ({ids}); "
                "which one is the offer cannot be told, so none is sent live.")
    if listed:
        shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        return (f"Product Ingestion listed {len(listed)} product(s) for the external ID {offer_id!r} ({shown}), none "
                "with identity.externalId equal to it: check the offer ID shown in Partner Center.")
    return (f"Product Ingestion lists no product with the external ID {offer_id!r} (the offer ID shown in Partner "
            "Center) for this Entra app: check the offer ID and that the app is associated with the Partner Center "
            "account.")


def newest(entries: Sequence[ListingEntry]) -> ListingEntry:
    # The listing's order is undocumented: the highest submission number wins, then the latest creation time.
    return max(entries, key=ListingEntry.newness)
