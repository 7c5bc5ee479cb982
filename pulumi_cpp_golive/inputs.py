"""Validation of the resources' inputs (declared in :mod:`.resource`), shared by the dynamic providers and the plugin.

Validation happens in ``check`` so that ``pulumi preview`` fails before any request is sent, naming the property
and the bad value.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from .resource import API_CPP, API_PRODUCT_INGESTION, GO_LIVE, PUBLISH, WAIT_ACCEPTED, WAIT_COMPLETED, Declaration
from .segments import segment_problem
from .shapes import is_submission_id

if TYPE_CHECKING:
    from .record import OperationRecord

# RFC 5321 limits, and a cap on the list so that a pasted blob is refused rather than sent.
_MAX_EMAIL_LENGTH = 254
_MAX_LOCAL_PART_LENGTH = 64
MAX_NOTIFICATION_EMAILS = 50
# RFC 5322 "atext" besides letters and digits: what an unquoted local part may hold.
_LOCAL_PART_SYMBOLS = frozenset("!#$%&'*+/=?^_`{|}~.-")


@dataclasses.dataclass(frozen=True)
class GoLiveSpec:
    """Validated inputs of one ``OfferGoLive`` or ``OfferPublish``."""

    publisher_id: str
    offer_id: str
    wait: str = WAIT_COMPLETED
    poll_interval: Optional[float] = None
    timeout: Optional[float] = None
    notification_emails: tuple[str, ...] = ()
    api: str = API_CPP
    preview_submission_id: str = ""  # OfferGoLive on Product Ingestion: the only preview it may send live

    @property
    def waits_to_end(self) -> bool:
        """Whether ``pulumi up`` waits for the operation to end (``completed``, or ``preview`` for a publish)."""
        return self.wait != WAIT_ACCEPTED

    @classmethod
    def from_inputs(cls, props: Mapping[str, Any]) -> GoLiveSpec:
        """Build from checked snake_case inputs (``check`` has already rejected bad values)."""
        emails = props.get("notification_emails") or ()
        return cls(
            publisher_id=str(props["publisher_id"]),
            offer_id=str(props["offer_id"]),
            wait=str(props.get("wait") or WAIT_COMPLETED),
            poll_interval=_optional_float(props.get("poll_interval_seconds")),
            timeout=_optional_float(props.get("timeout_seconds")),
            notification_emails=tuple(str(e) for e in emails),
            api=str(props.get("api") or API_CPP),
            preview_submission_id=str(props.get("preview_submission_id") or ""),
        )


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def id_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a usable publisher or offer ID, or None when it is."""
    if not isinstance(value, str):
        return f"must be a string, got {_describe(value)}"
    problem = segment_problem(value)
    if problem is not None:
        return problem
    if len(value) > 200:
        return f"must be at most 200 characters, got {len(value)}"
    return None


def seconds_problem(value: Any, bounds: tuple[float, float]) -> Optional[str]:
    """Why ``value`` is not a number of seconds within ``bounds`` (inclusive), or None when it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number of seconds, got {_describe(value)}"
    low, high = bounds
    if not math.isfinite(value) or value <= 0:
        return f"must be a positive number of seconds, got {_describe(value)}"
    if not low <= value <= high:
        return f"must be between {low:g} and {high:g} seconds, got {_describe(value)}"
    return None


def email_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not one plain e-mail address (``local@domain.tld``), or None when it is."""
    if not isinstance(value, str):
        return f"must be a string, got {_describe(value)}"
    if len(value) > _MAX_EMAIL_LENGTH:
        return f"is {len(value)} characters long; an address has at most {_MAX_EMAIL_LENGTH}"
    for separator in ",;":
        if separator in value:
            return (f"must be one address, got {_describe(value)} with {separator!r}: give each address as its own "
                    "list item")
    for ch in value:
        if ch.isspace() or unicodedata.category(ch).startswith("C"):
            return f"must not contain whitespace or control characters, got {_describe(value)}"
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return f"must look like name@example.com, got {_describe(value)}"
    if len(local) > _MAX_LOCAL_PART_LENGTH:
        return f"has a name part of {len(local)} characters; at most {_MAX_LOCAL_PART_LENGTH}"
    if local.startswith(".") or local.endswith(".") or ".." in local or any(
            not (ch.isalnum() or ch in _LOCAL_PART_SYMBOLS) for ch in local):
        return f"has an invalid name part before '@', got {_describe(value)}"
    labels = domain.split(".")
    if len(labels) < 2 or any(
            not label or len(label) > 63 or label.startswith("-") or label.endswith("-")
            or not all(ch.isalnum() or ch == "-" for ch in label) for label in labels):
        return f"has an invalid domain after '@', got {_describe(value)}"
    return None


def check_inputs(
    news: Mapping[str, Any], *, is_unknown: Callable[[Any], bool] = lambda v: False, decl: Declaration = GO_LIVE,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate ``decl``'s inputs and fill its defaults. Returns ``(inputs, failures)``; each failure is
    ``(property, reason)``.

    ``is_unknown`` tells values not known yet (during preview) apart: they are passed through unchecked.
    """
    inputs = dict(news)
    failures: list[tuple[str, str]] = []

    for name in (prop.name for prop in decl.inputs if prop.required):  # the offer's IDs
        value = inputs.get(name)
        if is_unknown(value):
            continue
        problem = "is required" if value is None else id_problem(value)
        if problem:
            failures.append((name, f"{name} {problem}"))

    for prop in decl.inputs:
        if prop.default is not None and inputs.get(prop.name) is None:
            inputs[prop.name] = prop.default

    for prop in decl.inputs:
        value = inputs.get(prop.name)
        if prop.enum is not None and not is_unknown(value) and value not in prop.enum.values:
            failures.append((prop.name, f"{prop.name} must be one of {', '.join(map(repr, prop.enum.values))}, "
                                        f"got {_describe(value)}"))

    for prop in decl.inputs:
        value = inputs.get(prop.name)
        if prop.bounds is None or value is None or is_unknown(value):
            continue
        problem = seconds_problem(value, prop.bounds)
        if problem:
            failures.append((prop.name, f"{prop.name} {problem}"))

    emails = inputs.get("notification_emails")
    if emails is not None and not is_unknown(emails):
        if isinstance(emails, str) or not isinstance(emails, (list, tuple)):
            failures.append(("notification_emails",
                             f"notification_emails must be a list of e-mail addresses, got {_describe(emails)}"))
        elif len(emails) > MAX_NOTIFICATION_EMAILS:
            failures.append(("notification_emails", f"notification_emails has {len(emails)} addresses; at most "
                                                     f"{MAX_NOTIFICATION_EMAILS}"))
        else:
            for index, email in enumerate(emails):
                problem = None if is_unknown(email) else email_problem(email)
                if problem:
                    failures.append(("notification_emails", f"notification_emails[{index}] {problem}"))

    triggers = inputs.get("triggers")
    if triggers is not None and not is_unknown(triggers) and not isinstance(triggers, (list, tuple)):
        failures.append(("triggers", f"triggers must be a list, got {_describe(triggers)}"))

    failures += _per_api_problems(inputs, decl, is_unknown)
    return inputs, failures


def input_notes(spec: GoLiveSpec, decl: Declaration) -> list[str]:
    """One-line notes about inputs that are given but do nothing here, for the adapters to show at create."""
    if decl is PUBLISH and spec.api == API_PRODUCT_INGESTION and spec.notification_emails:
        return ["note: notification_emails is ignored with api 'product-ingestion' (Partner Center notifies the "
                "account's contacts)"]
    return []


def _per_api_problems(inputs: Mapping[str, Any], decl: Declaration,
                      is_unknown: Callable[[Any], bool]) -> list[tuple[str, str]]:
    """What one API needs that the other does not: CPP's publish needs addresses to notify; only Product
    Ingestion has preview submissions to pin a go-live to."""
    api = inputs.get("api")
    failures: list[tuple[str, str]] = []
    emails = inputs.get("notification_emails")
    if decl is PUBLISH and api == API_CPP and not is_unknown(emails) and not emails:
        failures.append(("notification_emails", "notification_emails is required with api 'cpp': CPP's publish "
                                                "sends them the certification results (e.g. ['ops@example.com'])"))
    pinned = inputs.get("preview_submission_id")
    if decl is GO_LIVE and pinned not in (None, "") and not is_unknown(pinned):
        if not isinstance(pinned, str) or not is_submission_id(pinned):
            failures.append(("preview_submission_id", "preview_submission_id must be a submission ID "
                                                      f"(submission/<guid>/<n>), got {_describe(pinned)}"))
        elif api == API_CPP:
            failures.append(("preview_submission_id", f"preview_submission_id is for api "
                                                      f"{API_PRODUCT_INGESTION!r} only; CPP has no preview "
                                                      f"submissions (got {_describe(pinned)})"))
    return failures


def plan_change(old_state: Mapping[str, Any], new_inputs: Mapping[str, Any],
                decl: Declaration = GO_LIVE) -> tuple[bool, list[str]]:
    """What ``diff`` answers, for both adapters: ``(changes, replaced_properties)`` (snake_case names).

    Identity and triggers replace (a new operation); other inputs update in place; a recorded operation still
    ``running`` with a ``wait`` that waits to the end (``completed``, ``preview``) is an update too, so that the
    next ``pulumi up`` resumes the wait; so is a recorded ``failed`` or ``canceled`` one, so that every
    ``pulumi up`` reports it until the user retries.
    """
    changed = input_changes(old_state, new_inputs, decl)
    replaces = [name for name in decl.replace_on_change if name in changed]
    resume = old_state.get("status") == "running" and new_inputs.get("wait") != WAIT_ACCEPTED
    failed = old_state.get("status") in ("failed", "canceled")
    return bool(changed or resume or failed), replaces


def input_changes(old_state: Mapping[str, Any], new_inputs: Mapping[str, Any],
                  decl: Declaration = GO_LIVE) -> dict[str, str]:
    """Each input whose value changes (snake_case name), and how: ``add``, ``delete`` or ``update``: what a
    preview shows as ``[diff: ~triggers]`` and ``--diff`` as old and new values."""
    # A state recorded before ``api`` existed was CPP's: that is no change.
    old_state = {**old_state, "api": old_state.get("api") or API_CPP}
    new_inputs = {**new_inputs, "api": new_inputs.get("api") or API_CPP}
    changes: dict[str, str] = {}
    for name in decl.input_names:
        old, new = old_state.get(name), new_inputs.get(name)
        if old != new:
            changes[name] = "add" if old is None else "delete" if new is None else "update"
    return changes


def imported_inputs(record: OperationRecord, decl: Declaration = GO_LIVE) -> dict[str, Any]:
    """The inputs of an operation adopted by ``pulumi import`` from its ID alone: its offer and the declared
    defaults."""
    defaults = {prop.name: prop.default for prop in decl.inputs if prop.default is not None}
    return {**defaults, "publisher_id": record.publisher_id, "offer_id": record.offer_id, "api": record.api}


def recorded_state(inputs: Mapping[str, Any], record: OperationRecord, decl: Declaration = GO_LIVE) -> dict[str, Any]:
    """What both adapters store for a resource: its inputs (snake_case) and the operation's outputs."""
    return {**{name: inputs.get(name) for name in decl.input_names}, **record.outputs()}
