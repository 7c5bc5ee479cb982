"""Product Ingestion's wire format, as pure functions (no I/O): what its answers mean, and the one request body
go-live sends (``docs/product-ingestion-api.md``).

* Its IDs: a configure job's ID (:func:`job_id_of`, from the body or the ``Location``), a product's GUID
  (:func:`product_guid`), and the locations a go-live is recorded under (:func:`job_status_location`,
  :func:`listing_location`, read back by :func:`parse_location`).
* Its listing: only ``preview`` and ``live`` entries count (:func:`listing_entries`); ``lifecycleState``
  (deprecation) is ignored; an entry whose ID is not ``submission/<this product's guid>/<n>`` is ignored; a status
  word not known here counts as running (never as an outcome), and a result word not known here as a failure,
  keeping the word (:func:`outcome`).
* Its job documents: the end a job came to, and its error tree as bounded messages (:func:`job_error_messages`).

:mod:`.pi_client` calls it to read answers, :mod:`.pi_api` to decide; it calls neither.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Iterator, Mapping, Optional
from urllib.parse import urlsplit

from .errors import ApiError, UnusableAnswerError
from .segments import is_path_segment
from .shapes import is_job_id, submission_number, timestamp
from .status import CANCELED, CANCELED_WORDS, FAILED, SUCCEEDED, squash

# How errors and log lines name the API.
SERVICE = "Product Ingestion"

# The body's schema URLs (§1, §9): the host that still resolves, and the submission schema pinned to the version
# whose required properties we send (a newer one made ``sources`` required, §6).
CONFIGURE_SCHEMA = "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2"
SUBMISSION_SCHEMA = "https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2"

DRAFT_TARGET = "draft"
PREVIEW_TARGET = "preview"
LIVE_TARGET = "live"
_TARGETS = (DRAFT_TARGET, PREVIEW_TARGET, LIVE_TARGET)
COMPLETED = "completed"
NOT_COMPLETED_WORDS = frozenset({"notstarted", "running"})  # the other jobStatus / status words (§4, §5)

# Bounds on how much of a job's error tree becomes messages (a hostile or buggy body must not flood the output).
_MAX_ERROR_DEPTH = 8
_MAX_ERROR_MESSAGES = 50
_MAX_ERROR_NODES = 10_000  # error objects looked at, at most: the rest of a flood is not read

# The keys a job document may carry its ID under: Microsoft's docs (``jobId``), its sample (``jobID``), and
# spellings seen from other clients and gateways (``JobId``, ``id``).
JOB_ID_KEYS = ("jobId", "jobID", "JobId", "id")


def job_id_of(job: Any, location: Optional[str] = None) -> str:
    """The job ID of a configure answer: its body's ``jobId`` (or ``jobID``, ``JobId``, ``id``), else the
    ``configure/{jobId}`` of its ``Location`` header.

    Raises :class:`UnusableAnswerError` when there is none, or when it is not a GUID holding no secret: anything else
    would be recorded in the stack as the resource's ID (a server echoing the token as a job ID included).
    """
    # The first spelling present is the one the server meant.
    found = next((job[key] for key in JOB_ID_KEYS if isinstance(job, dict) and job.get(key) not in (None, "")), None)
    if found is None and location:
        segments = urlsplit(location.strip()).path.split("/")
        if "configure" in segments[:-1]:
            found = segments[segments.index("configure") + 1]
    if found is None:
        raise UnusableAnswerError("the answer carries no job ID (jobId)")
    if not is_job_id(found):
        raise UnusableAnswerError("the answer's job ID is not a GUID (or holds a secret); it is not recorded")
    return str(found)


def product_guid(product_id: str) -> str:
    """The bare GUID of ``product/<guid>`` (or of a bare GUID), as the submission route takes it."""
    guid = product_id[len("product/"):] if product_id.startswith("product/") else product_id
    if not is_path_segment(guid):
        raise UnusableAnswerError(f"{product_id[:100]!r} is not a product ID (product/<guid>)")
    return guid


@dataclasses.dataclass
class ProductSearch:
    """What ``GET product?externalId=`` listed: the products that really have the external ID, and every listed
    product's ID (for a refusal that says what was there instead)."""

    matches: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    listed: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class ListingEntry:
    """One ``draft``, ``preview`` or ``live`` entry of a submission listing (a draft has no status or result)."""

    id: str  # submission/<guid>/<n>
    number: int  # its <n>
    target: str  # draft, preview or live
    status: Optional[str]  # as sent; None when absent
    result: Optional[str]
    created: str

    @property
    def completed(self) -> bool:
        """The status word says ``completed``: the entry came to an end (its ``result`` says which)."""
        return self.status is not None and squash(self.status) == COMPLETED

    @property
    def running(self) -> bool:
        """Not (yet) ``completed``: an unknown or missing status word is never taken for an end."""
        return not self.completed

    @property
    def known_status(self) -> bool:
        """The status word is one PI documents (an unknown one is reported once, and counts as running)."""
        return self.status is not None and squash(self.status) in NOT_COMPLETED_WORDS | {COMPLETED}

    def newness(self) -> tuple[int, str]:
        """The sort key of "newest": the submission number, then the creation time."""
        return (self.number, self.created)

    def describe(self) -> str:
        """The entry as messages name it: target, ID, and its status and result words."""
        words = [word for word in (self.status, self.result) if word]
        return f"{self.target} submission {self.id} ({', '.join(words) or 'no status'})"


def listing_entries(items: Iterable[Mapping[str, Any]], product_id: str) -> list[ListingEntry]:
    """The draft, preview and live entries of a submission listing (``GET submission/{guid}``) that name a
    submission of the product ``product_id``; the rest is ignored."""
    guid = product_guid(product_id).lower()
    entries = []
    for item in items:
        target = item.get("target")
        kind = target.get("targetType") if isinstance(target, Mapping) else None
        entry_id = item.get("id")
        number = submission_number(entry_id, guid)
        if not isinstance(kind, str) or squash(kind) not in _TARGETS or number is None:
            continue  # not an entry of this product's submissions (or an ID never to be recorded)
        status, result, created = (item.get(key) for key in ("status", "result", "created"))
        entries.append(ListingEntry(
            id=str(entry_id),
            number=number,
            target=squash(kind),
            status=str(status) if status is not None else None,
            result=str(result) if result is not None else None,
            created=timestamp(created) or "",
        ))
    return entries


def outcome(result: object) -> str:
    """The end a completed job or submission came to: ``succeeded``, ``canceled``, else ``failed`` (an unknown
    or missing result word included: a completed job that did not say it succeeded did not)."""
    word = squash(result) if isinstance(result, str) else ""
    if word == "succeeded":
        return SUCCEEDED
    if word in CANCELED_WORDS:
        return CANCELED
    return FAILED


def golive_body(product_id: str, submission_id: str) -> dict[str, Any]:
    """The configure request that sends ``submission_id`` (the preview submission) of ``product_id`` live (§3)."""
    return configure_body(product_id, submission_id, LIVE_TARGET)


def publish_body(product_id: str, draft_id: str) -> dict[str, Any]:
    """The configure request that publishes ``draft_id`` (the draft submission) of ``product_id`` to preview
    (§10)."""
    return configure_body(product_id, draft_id, PREVIEW_TARGET)


def configure_body(product_id: str, submission_id: str, target: str) -> dict[str, Any]:
    return {
        "$schema": CONFIGURE_SCHEMA,
        "resources": [{
            "$schema": SUBMISSION_SCHEMA,
            "id": submission_id,
            "product": product_id,
            "target": {"targetType": target},
        }],
    }


def job_error_messages(job: Mapping[str, Any]) -> list[str]:
    """Every error message of a job document (``errors[]``, nested ``details`` included) as ``code: message``;
    a certification failure (code ``invalidState``, "certification" in its message or in a nested one) first,
    called by that name: it is permanent for the submission (§6)."""
    unique: dict[str, None] = {}  # insertion-ordered set: de-duplicating stays linear
    certification: Optional[str] = None
    for scanned, node in enumerate(_error_nodes(job.get("errors"), 0)):
        if scanned >= _MAX_ERROR_NODES:
            break
        if certification is None:
            certification = _certification_message(node)
        text = _error_text(node)
        if text and len(unique) < _MAX_ERROR_MESSAGES:
            unique.setdefault(text)
    texts = list(unique)
    if certification is not None:
        texts = [f"certification failure: {certification}", *texts[:_MAX_ERROR_MESSAGES - 1]]
    return texts


def _error_nodes(errors: object, depth: int) -> Iterator[Mapping[str, Any]]:
    if depth > _MAX_ERROR_DEPTH or not isinstance(errors, list):
        return
    for error in errors:
        if isinstance(error, Mapping):
            yield error
            yield from _error_nodes(error.get("details"), depth + 1)


def _error_text(error: Mapping[str, Any]) -> str:
    code, message, resource = (error.get(key) for key in ("code", "message", "resourceId"))
    parts = [str(part).strip() for part in (code, message) if isinstance(part, str) and part.strip()]
    text = ": ".join(parts)
    if text and isinstance(resource, str) and resource.strip():
        text += f" ({resource.strip()})"
    return text


def _certification_message(error: Mapping[str, Any]) -> Optional[str]:
    if squash(error.get("code") or "") != "invalidstate":
        return None
    for node in (error, *_error_nodes(error.get("details"), 1)):
        message = node.get("message")
        if isinstance(message, str) and "certification" in message.lower():
            return message.strip()
    return None


def job_status_location(job_id: str, version: str) -> str:
    """The recorded location of a configure job: its status path, relative to the base URL, with ``$version``."""
    return f"/configure/{job_id}/status?$version={version}"


def listing_location(product_id: str, version: str) -> str:
    """The recorded location of a go-live adopted from the listing (no job known): the listing's path."""
    return f"/submission/{product_guid(product_id)}?$version={version}"


def parse_location(location: str) -> tuple[str, str]:
    """``("job", jobId)`` or ``("submission", guid)`` from a recorded location (query ignored)."""
    segments = urlsplit(location).path.strip("/").split("/")
    if len(segments) == 3 and segments[0] == "configure" and segments[2] == "status" and is_path_segment(segments[1]):
        return "job", segments[1]
    if len(segments) == 2 and segments[0] == "submission" and is_path_segment(segments[1]):
        return "submission", segments[1]
    raise UnusableAnswerError(f"the recorded operation location {location[:200]!r} names neither a configure job "
                              "(/configure/{jobId}/status) nor a submission listing (/submission/{guid})")


def check_job_names(job: Mapping[str, Any], job_id: str, base_url: str) -> None:
    """A status answer naming another job is not ours to believe (a cache or a proxy mixed answers up)."""
    for key in JOB_ID_KEYS:
        named = job.get(key)
        if named not in (None, "") and str(named).lower() != job_id.lower():
            raise ApiError(status=200, method="GET", url=f"{base_url}/configure/{job_id}/status",
                           code="MalformedResponse", message=f"the status answer names another job ({key})",
                           service=SERVICE)
