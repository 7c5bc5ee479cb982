"""Masking secrets in any text a user may see: error messages, progress lines, log records.

Servers echo what they were sent, in whatever spelling their framework likes, so a registered secret
(:func:`remember_secret`: the static token, the client secret, every token azure-identity hands out) is masked in
each spelling a server may echo it in: verbatim, JSON-escaped, percent-encoded (only the reserved bytes, or every
byte, either case), base64 and base64url (also inside a longer base64 text, at any alignment) and hex. A text
that was cut (an error body shortened for display) may end in the first part of a secret; that part is masked too.
Besides registered secrets, anything shaped like a ``Bearer <token>`` pair or a JWT is masked.

Every pass is linear in the text's length (a hostile body of 90,000 ``eyJ`` must not hold a go-live past its
deadline): the JWT shape is found by splitting runs of token characters, not by a backtracking pattern.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from typing import Any, Optional
from urllib.parse import quote, quote_plus

# Values shorter than this are not masked: no real token or secret is that short, and masking e.g. "ab" would
# garble every message. It is also the shortest cut-off start of a secret that is masked at a text's edge.
MIN_SECRET_LENGTH = 6
MASK = "***"

# A "Bearer <token>" pair: at least 16 characters, so that prose such as "the bearer token" stays readable.
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{16,}")
# Runs of the characters a JWT is made of; each run is then checked for the JWT shape without backtracking.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_.-]+")
_JWT_MIN_SEGMENT = 5  # characters after "eyJ" in the header, and in the payload


class _Secrets:
    """The registered secrets' spellings, and one pattern that finds any of them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.exact: set[str] = set()  # case matters (raw, JSON, base64)
        self.caseless: set[str] = set()  # hex and full percent-encoding: a server may use either case
        self.pattern: Optional[re.Pattern[str]] = None

    def add(self, value: str) -> None:
        exact, caseless = _spellings(value)
        with self.lock:
            self.exact.update(s for s in exact if len(s) >= MIN_SECRET_LENGTH)
            self.caseless.update(s.lower() for s in caseless if len(s) >= MIN_SECRET_LENGTH)
            alternatives = [re.escape(s) for s in self.exact] + [f"(?i:{re.escape(s)})" for s in self.caseless]
            # Longest first: one spelling may contain another, and the longer one must be masked whole.
            alternatives.sort(key=len, reverse=True)
            self.pattern = re.compile("|".join(alternatives))

    def snapshot(self) -> tuple[Optional[re.Pattern[str]], list[str], list[str]]:
        with self.lock:
            return self.pattern, list(self.exact), list(self.caseless)


_SECRETS = _Secrets()


def _spellings(value: str) -> tuple[set[str], set[str]]:
    raw = value.encode("utf-8")
    exact = {value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value, safe="")}
    for offset in range(3):
        # Inside a longer base64 text the secret starts at any of three alignments; the characters made of the
        # secret's bits alone are the same whatever surrounds it.
        padded = b"\0" * offset + raw
        first, end = -(-8 * offset // 6), 8 * len(padded) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            exact.add(encode(padded).decode("ascii")[first:end])
    caseless = {"".join(f"%{byte:02x}" for byte in raw), raw.hex()}
    return exact, caseless


def remember_secret(value: Optional[str]) -> None:
    """Register a secret this process uses, so that :func:`redact` masks it from now on, in every thread.

    The value is kept in memory only (never written anywhere).
    """
    if value and len(value) >= MIN_SECRET_LENGTH:
        _SECRETS.add(value)


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds a registered secret in any spelling (an ID a server made up must not be recorded)."""
    pattern, _, _ = _SECRETS.snapshot()
    return pattern is not None and pattern.search(text) is not None


def redact(text: str) -> str:
    """``text`` with every registered secret, a cut-off start of one at its end, and token shapes masked."""
    pattern, exact, caseless = _SECRETS.snapshot()
    if pattern is not None:
        text = pattern.sub(MASK, text)
        text = _mask_cut_edge(text, exact, caseless)
    text = _BEARER.sub(rf"\1{MASK}", text)
    return _mask_jwts(text)


def _mask_cut_edge(text: str, exact: list[str], caseless: list[str]) -> str:
    """Mask the longest end of ``text`` that is the start of a secret's spelling (a text cut mid-secret)."""
    longest = 0
    lowered = text.lower()
    for spellings, haystack in ((exact, text), (caseless, lowered)):
        for spelling in spellings:
            longest = max(longest, _overlap(haystack, spelling))
    return text[:len(text) - longest] + MASK if longest else text


def _overlap(text: str, spelling: str) -> int:
    """The length of the longest end of ``text`` that is a proper start of ``spelling`` (at least
    :data:`MIN_SECRET_LENGTH`), else 0."""
    tail = text[-(len(spelling) - 1):] if len(spelling) > 1 else ""
    start = tail.find(spelling[0])
    while start != -1 and len(tail) - start >= MIN_SECRET_LENGTH:
        if spelling.startswith(tail[start:]):
            return len(tail) - start
        start = tail.find(spelling[0], start + 1)
    return 0


def _mask_jwts(text: str) -> str:
    """Mask ``eyJ<5+>.<5+>.<any>`` (a JWT: a base64url JSON header, payload and signature) in linear time."""
    pieces: list[str] = []
    last = 0
    for run in _TOKEN_RUN.finditer(text):
        if "eyJ" not in run.group() or run.group().count(".") < 2:
            continue
        masked = _masked_run(run.group())
        if masked != run.group():
            pieces.append(text[last:run.start()])
            pieces.append(masked)
            last = run.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _masked_run(run: str) -> str:
    parts = run.split(".")
    out: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        at = part.find("eyJ")
        header_ok = at != -1 and len(part) - at - 3 >= _JWT_MIN_SEGMENT
        payload = parts[index + 1] if index + 1 < len(parts) else ""
        if header_ok and index + 2 < len(parts) and len(payload) >= _JWT_MIN_SEGMENT:
            out.append(part[:at] + MASK)
            index += 3  # header, payload and signature
            continue
        out.append(part)
        index += 1
    return ".".join(out)


_INSTALL_LOCK = threading.Lock()  # guards the one-time install of the log record factory
_LOG_REDACTION_INSTALLED = False


def install_log_redaction() -> None:
    """Make every log record of this process pass through :func:`redact`, whoever logs it (idempotent).

    Libraries log what servers answered: azure-identity's warning on a refused token request quotes the token
    endpoint's error body, and a careless endpoint echoes the client secret. A record factory (rather than a
    handler filter) covers handlers added later and Python's last-resort stderr handler alike.
    """
    global _LOG_REDACTION_INSTALLED
    with _INSTALL_LOCK:
        if _LOG_REDACTION_INSTALLED:
            return
        _LOG_REDACTION_INSTALLED = True
    make_record = logging.getLogRecordFactory()

    def redacting_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a malformed logging call must not raise here; it is still shown, and still masked
            text = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(text), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(redacting_record)
