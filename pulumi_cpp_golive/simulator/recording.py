"""The request journal: what reached the simulator and what it answered (never a token)."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class RecordedRequest:
    """One request as received. ``status`` is None until answered, and stays None if the connection was dropped."""

    method: str
    path: str
    query: Dict[str, str] = field(default_factory=dict)
    route: str = "unknown"
    authorization_ok: bool = False
    status: Optional[int] = None

    @property
    def key(self) -> str:
        """The counting key, e.g. ``"POST /golive"``."""
        return f"{self.method} /{self.route}"

    def as_json(self) -> Dict[str, Any]:
        """The record as the control plane returns it."""
        return dataclasses.asdict(self)


class RequestLog:
    """Thread-safe list of :class:`RecordedRequest`, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: List[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> RecordedRequest:
        """Append a request on arrival (so it counts even if answering fails or is slow)."""
        with self._lock:
            self._items.append(request)
        return request

    def answered(self, request: RecordedRequest, status: Optional[int]) -> None:
        """Note the status a recorded request was answered with."""
        with self._lock:
            request.status = status

    def snapshot(self) -> List[RecordedRequest]:
        """Copies of the records, safe to read while the server keeps appending."""
        with self._lock:
            return [dataclasses.replace(item, query=dict(item.query)) for item in self._items]

    def count(self, method: Optional[str] = None, suffix: Optional[str] = None) -> int:
        """How many requests match ``method`` (case-insensitive) and whose decoded path ends with ``suffix``."""
        with self._lock:
            return sum(
                1
                for item in self._items
                if (method is None or item.method == method.upper()) and (suffix is None or item.path.endswith(suffix))
            )

    def counts(self) -> Dict[str, int]:
        """Requests per counting key (``"POST /golive"``, ``"GET /operations"``, ...)."""
        totals: Dict[str, int] = {}
        with self._lock:
            for item in self._items:
                totals[item.key] = totals.get(item.key, 0) + 1
        return totals

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._items.clear()
