"""The injected clock and its conversion to wall-clock time, shared by the CPP and PI worlds."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable

Clock = Callable[[], float]

_TICKS_PER_SECOND = 10**7
# .NET ticks (100 ns since 0001-01-01) at the Unix epoch: CPP's ``version`` fields look like tick counts.
_TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Timeline:
    """Reads the injected clock and converts its readings to wall-clock time."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.now = clock
        # Anchor once: wall = anchor_wall + (clock() - anchor_clock), so a fake clock drives timestamps as well.
        self._anchor_clock = clock()
        self._anchor_wall = time.time()

    def iso(self, reading: float) -> str:
        """ISO-8601 UTC with seven fractional digits and ``Z``, as CPP writes ``changedTime``."""
        seconds, fraction = divmod(self._ticks_since_epoch(reading), _TICKS_PER_SECOND)
        return f"{_UNIX_EPOCH + timedelta(seconds=seconds):%Y-%m-%dT%H:%M:%S}.{fraction:07d}Z"

    def ticks(self, reading: float) -> int:
        """The reading as .NET ticks (the large ``version`` integers of CPP objects)."""
        return _TICKS_AT_UNIX_EPOCH + self._ticks_since_epoch(reading)

    def _ticks_since_epoch(self, reading: float) -> int:
        return int((self._anchor_wall + reading - self._anchor_clock) * _TICKS_PER_SECOND)
