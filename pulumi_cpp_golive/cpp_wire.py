"""CPP's wire format, as pure functions: where the tracking URL comes from (``Location`` or
``Operation-Location``, relative or absolute, ``$``-style IDs), how CPP's several status spellings map onto the four
words of :mod:`.status`, and how an operation body becomes progress lines and error text.

Kept free of I/O so that they are easy to read and to fuzz (docs/cpp-api.md).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .cpp_paths import API_VERSION
from .errors import UnusableAnswerError
from .segments import is_path_segment
from .status import CANCELED, CANCELED_WORDS, FAILED, RUNNING, SUCCEEDED, squash
from .urls import origin, same_origin

# How many of an operation's messages explain its failure, at most; how many are looked at to find them.
MAX_MESSAGES = 50
MAX_MESSAGES_SCANNED = 10_000

# Microsoft's "Retrieve operations" page (not started/running/failed/completed), its "Retrieve offer status" table
# (succeeded, Complete, Rejected, ...) and open-source clients that poll CPP (which wait for "complete") use
# different words for the same outcomes; compare without case, spaces, dashes or underscores.
_SUCCEEDED_WORDS = frozenset({"complete", "completed", "succeeded", "success", "published", "live"})
_FAILED_WORDS = frozenset({"failed", "failure", "rejected", "error"})
_RUNNING_WORDS = frozenset({
    "running", "notstarted", "inprogress", "waitingforpublisherreview", "waitingforapproval", "blocked",
    "queued", "pending", "accepted",
})


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
    if word in CANCELED_WORDS:
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
        raise UnusableAnswerError("tracking URL is empty")
    base = origin(base_url)
    # Parsed once, by the parser that connects (see .urls): the host checked is the host the token goes to.
    absolute = base + value if value.startswith("/") and not value.startswith("//") else value
    parts = same_origin(absolute, base_url, what="tracking URL", service="CPP")
    path = (parts.path or "").replace("%24", "$").replace("%2524", "$")
    if "/operations/" not in path or path.endswith("/operations/"):
        raise UnusableAnswerError(f"tracking URL path {path[:200]!r} does not name an operation")
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
    :class:`UnusableAnswerError` listing why each header was refused when none is usable.
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
        except UnusableAnswerError as exc:
            problems.append(f"{exc} (in {name})")
            continue
        return url
    if not problems:
        raise UnusableAnswerError("the answer carried neither a Location nor an Operation-Location header")
    raise UnusableAnswerError("; ".join(problems))


def operation_id_from_url(url: str) -> str:
    """The operation ID: the one path segment after the last ``/operations/`` (a GUID, or ``pub$offer$ver$preview``).

    A tail that is empty, spans several segments or is a dot segment (``..``, also percent-encoded) is refused:
    ``.../operations/../golive`` names the go-live route, not an operation.
    """
    path = urlsplit(url).path
    tail = path.rsplit("/operations/", 1)[-1]
    operation_id = unquote(tail[:-1] if tail.endswith("/") else tail)
    if not is_path_segment(operation_id):
        raise UnusableAnswerError(f"tracking URL path {path[:200]!r} names no operation ID")
    return operation_id


def offer_operation_id(url: str, publisher_id: str, offer_id: str) -> str:
    """The operation ID a tracking URL names, provided that the operation belongs to ``publisher_id/offer_id``.

    Two shapes are CPP's (Microsoft's "Go Live API" and "Publish an offer" pages, ``Location`` header):
    ``/api/publishers/{p}/offers/{o}/operations/{id}`` and, for offers not
    migrated to Partner Center, ``/api/operations/{p}${o}${version}$preview``. Anything else, or an operation of
    another offer, raises :class:`UnusableAnswerError`: polling it would report someone else's outcome as ours.
    """
    path = urlsplit(url).path
    segments = [unquote(segment) for segment in path.split("/")[1:]]
    operation_id = operation_id_from_url(url)
    if segments == ["api", "publishers", publisher_id, "offers", offer_id, "operations", operation_id]:
        return operation_id
    if segments == ["api", "operations", operation_id] and operation_id.startswith(f"{publisher_id}${offer_id}$"):
        return operation_id
    raise UnusableAnswerError(
        f"tracking URL path {path[:200]!r} does not name an operation of offer {publisher_id}/{offer_id}")


def is_golive_submission(submission: Mapping[str, Any]) -> bool:
    """Whether a submissions-list entry is a go-live with a usable ID.

    The type's exact spelling is unconfirmed (goLive, GoLive, go-live). An ID that is not one path segment (``..``,
    ``a/b``) is never adopted: it would be recorded and polled as a path.
    """
    return _is_submission_of_kind(submission, "golive")


def is_publish_submission(submission: Mapping[str, Any]) -> bool:
    """Whether a submissions-list entry is a publish (to preview) with a usable ID (as :func:`is_golive_submission`)."""
    return _is_submission_of_kind(submission, "publish")


def _is_submission_of_kind(submission: Mapping[str, Any], kind: str) -> bool:
    given = submission.get("submissionType")
    operation_id = submission.get("id")
    return (isinstance(given, str) and squash(given) == kind and isinstance(operation_id, (str, int))
            and not isinstance(operation_id, bool) and is_path_segment(str(operation_id)))


def waiting_for_signoff(body: Mapping[str, Any]) -> bool:
    """Whether an operation (or offer status) body shows the preview ready: its ``publisher-signoff`` step (or the
    offer's status) is ``waitingForPublisherReview``. CPP keeps such a publish ``running`` until someone goes live."""
    return any(squash(step.get("status", "")) == "waitingforpublisherreview" for step in _steps(body)) or (
        squash(body.get("status", "")) == "waitingforpublisherreview")


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
