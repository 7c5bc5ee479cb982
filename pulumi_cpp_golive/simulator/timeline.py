"""Simulated time: an injectable monotonic clock, mapped onto wall-clock timestamps for responses.

All state is computed from the monotonic clock so that a test can pass a fake clock and advance it instead of
sleeping; wall-clock values (``changedTime``, ``version``, message timestamps) are derived from it so that they move
with the fake clock too.
"""

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
        self._clock = clock
        # Anchor once: wall = anchor_wall + (clock() - anchor_clock), so a fake clock drives timestamps as well.
        self._anchor_clock = clock()
        self._anchor_wall = time.time()

    def now(self) -> float:
        """The current reading of the injected clock (seconds)."""
        return self._clock()

    def wall(self, reading: float) -> float:
        """Unix time corresponding to a clock reading."""
        return self._anchor_wall + (reading - self._anchor_clock)

    def iso(self, reading: float) -> str:
        """ISO-8601 UTC with seven fractional digits and ``Z``, as CPP writes ``changedTime``."""
        return iso_utc(self.wall(reading))

    def ticks(self, reading: float) -> int:
        """The reading as .NET ticks (the large ``version`` integers of CPP objects)."""
        return ticks(self.wall(reading))


def ticks(wall: float) -> int:
    """Unix time as .NET ticks."""
    return _TICKS_AT_UNIX_EPOCH + int(wall * _TICKS_PER_SECOND)


def iso_utc(wall: float) -> str:
    """Unix time as ``YYYY-MM-DDTHH:MM:SS.fffffffZ``."""
    total = int(wall * _TICKS_PER_SECOND)
    seconds, fraction = divmod(total, _TICKS_PER_SECOND)
    moment = _UNIX_EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction:07d}Z"
