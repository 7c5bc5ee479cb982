"""The request a handler receives and the reply it gives, independent of the HTTP server that carries them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

Headers = Tuple[Tuple[str, str], ...]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class IncomingRequest:
    """A parsed request. ``path`` is the raw (still percent-encoded) path without the query."""

    method: str
    path: str
    query: Dict[str, str]
    authorization: Optional[str]
    body: bytes
    # Where this simulator is reachable, for absolute tracking URLs (``http://127.0.0.1:PORT``).
    base_url: str


@dataclass(frozen=True)
class Reply:
    """An HTTP answer; ``drop`` means: close the connection without answering at all."""

    status: int
    body: bytes = b""
    headers: Headers = ()
    drop: bool = False


def json_reply(status: int, payload: Any, headers: Headers = ()) -> Reply:
    """A JSON answer."""
    body = json.dumps(payload).encode("utf-8")
    return Reply(status, body, (("Content-Type", JSON_CONTENT_TYPE), *headers))


def error_reply(status: int, code: str, message: str, headers: Headers = ()) -> Reply:
    """CPP's documented error shape: ``{"error": {"code": ..., "message": ...}}`` (cpp-api.md §7)."""
    return json_reply(status, {"error": {"code": code, "message": message}}, headers)


DROPPED = Reply(0, drop=True)
