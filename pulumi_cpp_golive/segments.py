"""The one rule for a value that stands as one URL path segment as it is: a publisher or offer ID from the user's
inputs, an operation, job, product or submission ID from a server's answer.

Such a value must not end, escape or split a segment, nor be a dot segment: otherwise a request built from it
reaches another route (``..``, ``a/b``, ``%2F``), or another server's parser reads it differently (``;`` starts
Tomcat-style path parameters, so ``..;`` acts as ``..`` there). Lookalikes count: a fullwidth ``／`` is ``/`` once
a server normalises it (NFKC), so the check is made on the normalised form too.
"""

from __future__ import annotations

import unicodedata
from typing import Optional

SEGMENT_BREAKERS = "/?#%\\;"
DOT_SEGMENTS = (".", "..")


def _describe(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def segment_problem(value: str) -> Optional[str]:
    """Why ``value`` cannot be one path segment as it is (a phrase that follows the value's name), or None."""
    if value == "":
        return "must not be empty"
    if unicodedata.normalize("NFKC", value) in DOT_SEGMENTS:
        return (f"must not be {value!r}: a URL resolves it as a dot segment and the request would reach another "
                "route")
    for ch in value:
        if ch.isspace():
            return f"must not contain whitespace, got {_describe(value)}"
        if any(part in SEGMENT_BREAKERS for part in unicodedata.normalize("NFKC", ch)):
            return f"must not contain {ch!r}, got {_describe(value)}"
        if unicodedata.category(ch).startswith("C"):
            return f"must not contain control characters, got {_describe(value)}"
    return None


def is_path_segment(value: str) -> bool:
    """Whether ``value`` can stand as one URL path segment as it is (see :func:`segment_problem`)."""
    return segment_problem(value) is None
