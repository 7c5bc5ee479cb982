"""The shapes of the values a server hands us that end up in stack state, and the one rule for each.

Whatever a server sends that is recorded (an operation or job ID, a submission or product ID, a timestamp, an
API version) is checked here first: a value of the wrong shape, or one that holds a secret this process uses, is
never recorded. A server (or something between it and us) that echoes the bearer token as a "job ID" would
otherwise put the token into the resource ID, its outputs and the state file.
"""

from __future__ import annotations

import datetime
import re
from typing import Optional

from .redaction import contains_secret

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A submission number or CPP's publishing version: ASCII digits only (``str.isdigit`` also takes "²"), and not
# absurdly long.
_NUMBER = re.compile(r"[0-9]{1,18}")
_MAX_TIMESTAMP_LENGTH = 40


def is_guid(value: object) -> bool:
    """A GUID (PI job IDs and product GUIDs, CPP operation IDs)."""
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def is_recordable(value: str) -> bool:
    """Whether a server-given value may be recorded at all: it holds no registered secret."""
    return not contains_secret(value)


def is_job_id(value: object) -> bool:
    """A Product Ingestion configure job ID: a GUID, holding no secret."""
    return is_guid(value) and is_recordable(str(value))


def is_cpp_operation_id(value: object, publisher_id: str, offer_id: str) -> bool:
    """A CPP operation ID of ``publisher_id/offer_id``: a GUID, or the legacy
    ``{publisher}${offer}${version}$preview`` of offers not migrated to Partner Center (``docs/cpp-api.md`` §2a)."""
    if not isinstance(value, str) or not is_recordable(value):
        return False
    if is_guid(value):
        return True
    prefix = f"{publisher_id}${offer_id}$"
    if not value.startswith(prefix) or not value.endswith("$preview"):
        return False
    return _NUMBER.fullmatch(value[len(prefix):-len("$preview")]) is not None


def submission_number(value: object, product_guid: str) -> Optional[int]:
    """The number of ``submission/<product_guid>/<n>``, or None when ``value`` is not that shape."""
    if not isinstance(value, str) or not is_recordable(value):
        return None
    parts = value.split("/")
    if len(parts) != 3 or parts[0] != "submission" or parts[1].lower() != product_guid.lower():
        return None
    return int(parts[2]) if _NUMBER.fullmatch(parts[2]) else None


def is_submission_id(value: object) -> bool:
    """``submission/<guid>/<n>``, of any product."""
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    return len(parts) == 3 and parts[0] == "submission" and submission_number(value, parts[1]) is not None and (
        is_guid(parts[1]))


def is_product_id(value: object) -> bool:
    """``product/<guid>``."""
    return isinstance(value, str) and value.startswith("product/") and is_guid(value[len("product/"):])


def timestamp(value: object) -> Optional[str]:
    """``value`` when it is an ISO-8601 date and time (as both APIs send them), else None."""
    if not isinstance(value, str) or not value or len(value) > _MAX_TIMESTAMP_LENGTH:
        return None
    return value if moment(value) is not None and is_recordable(value) else None


def moment(value: str) -> Optional[datetime.datetime]:
    """The instant an ISO-8601 date and time names (UTC when it names no zone), or None."""
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    # Python before 3.11 parses at most 6 fractional digits; CPP sends 7.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.timezone.utc)
