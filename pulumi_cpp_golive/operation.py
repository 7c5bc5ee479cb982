"""The CPP-specific parts of a long-running go-live operation, as pure functions.

Kept free of I/O so that they are easy to read and to fuzz: where the tracking URL comes from (``Location`` or
``Operation-Location``, relative or absolute, ``$``-style IDs), how CPP's several status spellings map onto four
normalised words, and how an operation body becomes progress lines and error text.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .errors import TrackingUrlError
from .resource import OUTPUT_NAMES
from .urls import origin, same_origin  # origin: the URL rule lives in .urls; importers of it here still work

API_VERSION = "2017-10-31"
# How many of an operation's messages explain its failure, at most; how many are looked at to find them.
MAX_MESSAGES = 50
MAX_MESSAGES_SCANNED = 10_000

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
# The operation ID the plugin records after a POST that ended ambiguously: a go-live may exist that no listing
# showed yet, so the next run looks for it (``adoptTimeout``) before it posts.
UNCONFIRMED = "unconfirmed"

# Microsoft's "Retrieve operations" page (not started/running/failed/completed), its "Retrieve offer status" table
# (succeeded, Complete, Rejected, ...) and open-source clients that poll CPP (which wait for "complete") use
# different words for the same outcomes; compare without case, spaces, dashes or underscores.
_SUCCEEDED_WORDS = frozenset({"complete", "completed", "succeeded", "success", "published", "live"})
_FAILED_WORDS = frozenset({"failed", "failure", "rejected", "error"})
_CANCELED_WORDS = frozenset({"canceled", "cancelled"})
_RUNNING_WORDS = frozenset({
    "running", "notstarted", "inprogress", "waitingforpublisherreview", "waitingforapproval", "blocked",
    "queued", "pending", "accepted",
})


def utc_now() -> str:
    """Current time as ISO-8601 UTC with a ``Z``, second precision."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def squash(word: object) -> str:
    """``word`` as text, lower-cased, without spaces, dashes or underscores: how CPP's spellings are compared."""
    return "".join(ch for ch in str(word).lower() if ch not in " -_")


def normalise_status(raw: object) -> tuple[str, bool]:
    """Map a CPP status word onto ``running``/``succeeded``/``failed``/``canceled``.

    Returns ``(status, known)``; an unknown or missing word is treated as still ``running`` (never as an outcome)
    with ``known=False`` so that the caller can report it.
    """
    if not isinstance(raw, str):
        return RUNNING, False
    word = squash(raw)
    if word in _SUCCEEDED_WORDS:
        return SUCCEEDED, True
    if word in _FAILED_WORDS:
        return FAILED, True
    if word in _CANCELED_WORDS:
        return CANCELED, True
    return RUNNING, word in _RUNNING_WORDS


def resolve_operation_url(raw: str, base_url: str) -> str:
    """Turn a tracking header value into the URL to poll.

    Accepts a relative path (``/api/...``) or an absolute URL on the base URL's own host; adds ``api-version``
    when missing; keeps ``$`` literal (``%24`` is decoded). An absolute URL on any other host is refused, since the
    bearer token must never leave the configured CPP host.
    """
    value = raw.strip()
    if not value:
        raise TrackingUrlError("tracking URL is empty")
    base = origin(base_url)
    # Parsed once, by the parser that connects (see .urls): the host checked is the host the token goes to.
    absolute = base + value if value.startswith("/") and not value.startswith("//") else value
    parts = same_origin(absolute, base_url, what="tracking URL", service="CPP")
    path = (parts.path or "").replace("%24", "$").replace("%2524", "$")
    if "/operations/" not in path or path.endswith("/operations/"):
        raise TrackingUrlError(f"tracking URL path {path[:200]!r} does not name an operation")
    query = parse_qsl(parts.query or "", keep_blank_values=True)
    if not any(key == "api-version" for key, _ in query):
        query.append(("api-version", API_VERSION))
    return f"{base}{path}?{urlencode(query, safe='$')}"


def tracking_url(
    headers: Mapping[str, str],
    base_url: str,
    publisher_id: Optional[str] = None,
    offer_id: Optional[str] = None,
) -> str:
    """The URL to poll, from the headers of an accepted go-live: ``Location`` first, then ``Operation-Location``.

    With ``publisher_id`` and ``offer_id``, a header only counts when it names an operation *of that offer*
    (see :func:`offer_operation_id`); one that does not is skipped in favour of the other header. Raises
    :class:`TrackingUrlError` listing why each header was refused when none is usable.
    """
    problems: list[str] = []
    for name in ("Location", "Operation-Location"):
        value = headers.get(name)
        if not value or not value.strip():
            continue
        try:
            url = resolve_operation_url(value, base_url)
            if publisher_id is not None and offer_id is not None:
                offer_operation_id(url, publisher_id, offer_id)
            else:
                operation_id_from_url(url)
        except TrackingUrlError as exc:
            problems.append(f"{exc} (in {name})")
            continue
        return url
    if not problems:
        raise TrackingUrlError("the answer carried neither a Location nor an Operation-Location header")
    raise TrackingUrlError("; ".join(problems))


def operation_id_from_url(url: str) -> str:
    """The operation ID: the one path segment after the last ``/operations/`` (a GUID, or ``pub$offer$ver$preview``).

    A tail that is empty, spans several segments or is a dot segment (``..``, also percent-encoded) is refused:
    ``.../operations/../golive`` names the go-live route, not an operation.
    """
    path = urlsplit(url).path
    tail = path.rsplit("/operations/", 1)[-1]
    operation_id = unquote(tail[:-1] if tail.endswith("/") else tail)
    if not _is_single_segment(operation_id):
        raise TrackingUrlError(f"tracking URL path {path[:200]!r} names no operation ID")
    return operation_id


def offer_operation_id(url: str, publisher_id: str, offer_id: str) -> str:
    """The operation ID a tracking URL names, provided that the operation belongs to ``publisher_id/offer_id``.

    Two shapes are CPP's (Microsoft's "Go Live API" and "Publish an offer" pages, ``Location`` header):
    ``/api/publishers/{p}/offers/{o}/operations/{id}`` and, for offers not
    migrated to Partner Center, ``/api/operations/{p}${o}${version}$preview``. Anything else, or an operation of
    another offer, raises :class:`TrackingUrlError`: polling it would report someone else's outcome as ours.
    """
    path = urlsplit(url).path
    segments = [unquote(segment) for segment in path.split("/")[1:]]
    operation_id = operation_id_from_url(url)
    if segments == ["api", "publishers", publisher_id, "offers", offer_id, "operations", operation_id]:
        return operation_id
    if segments == ["api", "operations", operation_id] and operation_id.startswith(f"{publisher_id}${offer_id}$"):
        return operation_id
    raise TrackingUrlError(
        f"tracking URL path {path[:200]!r} does not name an operation of offer {publisher_id}/{offer_id}")


def _is_single_segment(operation_id: str) -> bool:
    return (operation_id not in ("", ".", "..") and "/" not in operation_id and "\\" not in operation_id
            and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in operation_id))


def operation_path(publisher_id: str, offer_id: str, operation_id: str) -> str:
    """The canonical tracking path of an operation known only by its ID (adoption from the list, import)."""
    return f"/api/publishers/{publisher_id}/offers/{offer_id}/operations/{operation_id}?api-version={API_VERSION}"


def is_golive_submission(submission: Mapping[str, Any]) -> bool:
    """Whether a submissions-list entry is a go-live with a usable ID.

    The type's exact spelling is unconfirmed (goLive, GoLive, go-live). An ID that is not one path segment (``..``,
    ``a/b``) is never adopted: it would be recorded and polled as a path.
    """
    kind = submission.get("submissionType")
    operation_id = submission.get("id")
    return (isinstance(kind, str) and squash(kind) == "golive" and isinstance(operation_id, (str, int))
            and not isinstance(operation_id, bool) and _is_single_segment(str(operation_id)))


def error_messages(body: Mapping[str, Any]) -> list[str]:
    """CPP's own explanation of a failure: operation messages, then error messages of its steps."""
    found = itertools.chain(
        _message_texts(body.get("messages"), errors_only=False),
        *(_message_texts(step.get("messages"), errors_only=True) for step in _steps(body)),
        _message_texts([body["error"]] if isinstance(body.get("error"), Mapping) else [], errors_only=False),
    )
    # Cut first, de-duplicate with a set: a body of 20,000 messages must not cost quadratic time.
    unique: dict[str, None] = {}
    for text in itertools.islice(found, MAX_MESSAGES_SCANNED):
        unique.setdefault(text)
        if len(unique) >= MAX_MESSAGES:
            break
    return list(unique)


def _message_texts(messages: object, *, errors_only: bool) -> Iterable[str]:
    if not isinstance(messages, list):
        return
    for message in messages:
        if isinstance(message, str):
            if not errors_only:
                yield message
        elif isinstance(message, Mapping):
            level = str(message.get("level", "")).lower()
            if errors_only and level not in ("error", "critical"):
                continue
            text = message.get("messageHtml") or message.get("message") or message.get("text")
            if isinstance(text, str) and text.strip():
                yield text.strip()


def _steps(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps = body.get("steps")
    return [step for step in steps if isinstance(step, Mapping)] if isinstance(steps, list) else []


@dataclasses.dataclass(frozen=True)
class StepView:
    """One step of an operation as shown to the user."""

    name: str
    status: str
    percent: Optional[int]
    estimate: Optional[str]

    def describe(self) -> str:
        text = f"{self.name}: {self.status}"
        if self.percent is not None:
            text += f" {self.percent}%"
        if self.estimate:
            text += f" (estimated {self.estimate})"
        return text


def step_views(body: Mapping[str, Any]) -> list[StepView]:
    """The steps of an operation body, tolerant of missing fields and of the docs' ``processPercentage``."""
    views = []
    for step in _steps(body):
        name = step.get("stepName") or step.get("id") or "step"
        percent = step.get("progressPercentage", step.get("processPercentage"))
        estimate = step.get("estimatedTimeFrame")
        views.append(StepView(
            name=str(name),
            status=str(step.get("status", "unknown")),
            percent=percent if isinstance(percent, int) and not isinstance(percent, bool) else None,
            estimate=estimate if isinstance(estimate, str) and estimate.strip() else None,
        ))
    return views


def progress_lines(body: Mapping[str, Any]) -> dict[str, str]:
    """What an operation body shows the user: ``{"": "status: <word>", <step>: "<step>: <status> <n>%"}``."""
    lines: dict[str, str] = {"": f"status: {body.get('status', 'unknown')}"}
    for view in step_views(body):
        lines[view.name] = view.describe()
    return lines


@dataclasses.dataclass
class OperationRecord:
    """What is known of a go-live operation: enough to resume waiting on it from another process."""

    publisher_id: str
    offer_id: str
    operation_id: str
    operation_location: str
    status: str
    accepted_at: Optional[str]
    completed_at: Optional[str] = None
    messages: tuple[str, ...] = ()
    product_id: str = ""  # Product Ingestion only: ``product/<guid>``
    submission_id: str = ""  # Product Ingestion only: ``submission/<guid>/<n>``, the submission sent live

    @classmethod
    def from_state(cls, resource_id: str, state: Mapping[str, Any]) -> OperationRecord:
        """Rebuild the record from a resource's recorded outputs (snake_case), or from its ID alone (import)."""
        publisher_id, offer_id, operation_id = [*resource_id.split("/", 2), "", "", ""][:3]
        publisher_id = str(state.get("publisher_id") or publisher_id)
        offer_id = str(state.get("offer_id") or offer_id)
        operation_id = str(state.get("operation_id") or operation_id)
        recorded = state.get("operation_location")
        # A location recorded before query stripping existed may still carry a signature: strip it on load too.
        location = path_and_query(str(recorded)) if recorded else operation_path(publisher_id, offer_id, operation_id)
        return cls(
            publisher_id=publisher_id,
            offer_id=offer_id,
            operation_id=operation_id,
            operation_location=str(location),
            status=str(state.get("status") or RUNNING),
            accepted_at=state.get("accepted_at"),
            completed_at=state.get("completed_at"),
            product_id=str(state.get("product_id") or ""),
            submission_id=str(state.get("submission_id") or ""),
        )

    @property
    def resource_id(self) -> str:
        """The Pulumi resource ID: ``{publisher_id}/{offer_id}/{operation_id}``."""
        return f"{self.publisher_id}/{self.offer_id}/{self.operation_id}"

    @property
    def api(self) -> str:
        """The API the operation runs on: only Product Ingestion operations have a product ID. Resuming and
        refreshing follow the operation's own API, whatever the resource's ``api`` input says now."""
        return "product-ingestion" if self.product_id else "cpp"

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def outputs(self) -> dict[str, Optional[str]]:
        """The resource outputs, as both adapters record them (snake_case): one attribute per declared output."""
        return {name: getattr(self, name) for name in OUTPUT_NAMES}


def path_and_query(url: str) -> str:
    """The host-free form of a tracking URL, as recorded in state and outputs: its path and API version only
    (CPP's ``api-version``, Product Ingestion's ``$version``).

    Host-free so that a stack survives a base URL change. Every other query parameter is dropped: a tracking URL
    may carry a signature or token (``sig=``, ``token=``) that must not land in outputs or state, and polling
    needs only the path, the API version and the bearer token.
    """
    parts = urlsplit(url)
    versions = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
                if key in ("api-version", "$version")]
    return f"{parts.path}?{urlencode(versions[:1], safe='$')}" if versions else parts.path
