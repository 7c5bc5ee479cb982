"""The words every operation ends in, whichever API runs it, and how status words are compared.

Both APIs spell their states in several ways (CPP: ``Complete``, ``succeeded``, ``Rejected``; Product Ingestion:
``completed`` with a ``jobResult``); each API's module maps its own words onto these four. This module owns the
canceled/cancelled vocabulary both use.
"""

from __future__ import annotations

import datetime

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
# Both spellings reach us: Microsoft's pages say "canceled", some answers and clients "cancelled".
CANCELED_WORDS = frozenset({"canceled", "cancelled"})
# The operation ID the plugin records after a POST that ended ambiguously: a go-live may exist that no listing
# showed yet, so the next run looks for it (``adoptTimeout``) before it posts.
UNCONFIRMED = "unconfirmed"


def utc_now() -> str:
    """Current time as ISO-8601 UTC with a ``Z``, second precision."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def squash(word: object) -> str:
    """``word`` as text, lower-cased, without spaces, dashes or underscores: how the APIs' spellings are compared."""
    return "".join(ch for ch in str(word).lower() if ch not in " -_")
