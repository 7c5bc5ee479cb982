"""Reading an error answer's body: the ``(code, message)`` it carries, and its text decoded without raising.

Kept apart from the client so that the shapes both APIs' error bodies take (docs/cpp-api.md §7,
docs/product-ingestion-api.md) are in one place, and so that what of a body ends up in an error message is masked
(:func:`~.redaction.redact`) and bounded in one place too: an error body may echo the token, or be megabytes long.
"""

from __future__ import annotations

import json
from typing import Optional

from azure.core.rest import HttpResponse

from .redaction import redact
from .transport import Answer, MalformedBody

__all__ = ["charset_of", "decoded_body", "parse_error_body", "snippet"]


def parse_error_body(text: str) -> tuple[Optional[str], Optional[str]]:
    """``(code, message)`` from an error body: ``{"error":{...}}`` (CPP's documented shape, and the Graph shape
    Product Ingestion answers with), CPP's ``{"Variant":{...}}`` shape, a flat ``{"code","message"}``, or text."""
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return _str_or_none(error.get("code")), _str_or_none(error.get("message"))
        if isinstance(error, str):
            return None, error
        variant = data.get("Variant")
        if isinstance(variant, dict):
            return "Variant", _str_or_none(variant.get("error")) or _str_or_none(variant.get("message"))
        if "code" in data or "message" in data:
            return _str_or_none(data.get("code")), _str_or_none(data.get("message"))
    shown = snippet(text)
    return None, shown or None


def _str_or_none(value: object) -> Optional[str]:
    return str(value) if value is not None and str(value).strip() else None


def charset_of(response: HttpResponse) -> str:
    """The charset the answer declares (cut to 40 characters), or ``text`` when it declares none or one that
    cannot be read."""
    try:
        return str(response.encoding or "text")[:40]
    except Exception:  # azure-core's charset lookup raises TypeError on an RFC 2231 ``charset*=`` parameter
        return "text"


def snippet(text: str) -> str:
    """``text`` masked, on one line, cut to 300 characters: what of a body an error message may show."""
    # Masked before it is cut: a secret cut at the edge would otherwise escape the mask.
    return " ".join(redact(text).split())[:300]


def decoded_body(response: HttpResponse) -> tuple[str, bool]:
    """The body as text, and whether it decoded cleanly in its declared charset (else: with replacement marks,
    or empty when it could not be read at all)."""
    try:
        return response.text(), True
    except (MalformedBody, UnicodeDecodeError, LookupError):  # bytes that lie about their charset, or no charset
        if isinstance(response, Answer) and response.body_error is not None:
            return "", False
        return bytes(response.content).decode("utf-8", errors="replace"), False
