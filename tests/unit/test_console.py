"""Progress lines from concurrent waits reach stderr whole: one write per line, each ending in a newline."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from pulumi_cpp_golive.console import progress_line


class _Writes:
    """A stderr that records each write call as it was made."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.calls.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_lines_from_many_threads_are_written_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = _Writes()
    monkeypatch.setattr(sys, "stderr", sink)

    def report(worker: int) -> None:
        for n in range(200):
            progress_line(f"contoso/py{worker}: operation {n}: status: running")

    threads = [threading.Thread(target=report, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(sink.calls) == 8 * 200
    assert all(call.startswith("cpp-golive: contoso/py") and call.endswith(": status: running\n")
               and call.count("\n") == 1 for call in sink.calls), sink.calls[:4]


def test_a_message_with_its_own_newline_gets_one(monkeypatch: pytest.MonkeyPatch) -> None:
    sink: Any = _Writes()
    monkeypatch.setattr(sys, "stderr", sink)
    progress_line("done\n")
    assert sink.calls == ["cpp-golive: done\n"]
