"""When a go-live must stop: one :class:`Deadline` that every sleep and every HTTP call of a go-live consults.

A go-live ends by the first of three things: the resource's ``timeout_seconds``, the engine's own timeout
(``customTimeouts``, which reaches the plugin as the request's ``timeout``), and Cancel (the plugin's Cancel RPC,
sent on the first Ctrl-C). :class:`Deadline` holds the earliest time and the cancel event. While
:meth:`GoLiveMachine.create <pulumi_cpp_golive.golive.GoLiveMachine.create>` runs, the deadline is the *current* one of
that thread (:func:`current`), so that the parts the client hands over to azure-core (its retry policy's sleeps and the
HTTP transport) find it without it being threaded through every signature.

The rules, in one place:

* nothing sleeps past the deadline, and no request starts after it (:meth:`Deadline.pause`,
  :meth:`Deadline.request_budget`);
* an HTTP request in flight is aborted at the deadline or on Cancel, however slowly the server answers
  (see :mod:`.request_guard`);
* ``Retry-After`` is parsed robustly (:func:`parse_retry_after`) and capped at :data:`MAX_RETRY_AFTER_SECONDS`;
  no two requests of a wait are closer than :data:`MIN_PAUSE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import email.utils
import re
import threading
import time
from typing import Callable, Iterator, Optional

# The longest pause a server's Retry-After can impose on us in one go. CPP go-lives take hours to days, so
# checking at least hourly costs nothing, while a (buggy or hostile) "come back tomorrow" cannot park a run.
MAX_RETRY_AFTER_SECONDS = 3600.0
# The shortest pause between two requests of a wait, whatever the server says (Retry-After: 0, nan, a date in
# the past): a misbehaving server must not turn a wait into a busy loop.
MIN_PAUSE_SECONDS = 0.25

# RFC 9110 delay-seconds is 1*DIGIT; decimals and exponents are accepted too (an overflow such as 1e400 is
# clamped), but not the words Python's float() also knows ("nan", "inf", "infinity").
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

_CURRENT: contextvars.ContextVar[Optional[Deadline]] = contextvars.ContextVar("cpp_golive_deadline", default=None)


class Deadline:
    """The time by which an operation (a go-live) stops waiting, and the event that cancels it.

    :param seconds: how long from now, or None for no time limit (Cancel still applies).
    :param cancel: set by Cancel; every pause wakes at once and every request in flight is aborted.
    :param clock: monotonic seconds (injectable for tests).
    :param noun: how :meth:`why` names the operation (the machine passes its kind's word).
    """

    def __init__(self, seconds: Optional[float] = None, cancel: Optional[threading.Event] = None, *,
                 clock: Callable[[], float] = time.monotonic, noun: str = "go-live") -> None:
        self.limit = seconds
        self.cancel = cancel
        self._clock = clock
        self._noun = noun
        self.at = clock() + seconds if seconds else None

    def remaining(self) -> Optional[float]:
        """Seconds left (0 when past), or None when there is no time limit."""
        return None if self.at is None else max(0.0, self.at - self._clock())

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    @property
    def expired(self) -> bool:
        return self.at is not None and self._clock() >= self.at

    @property
    def done(self) -> bool:
        """Cancelled or out of time: nothing more may be sent, nothing more may be waited for."""
        return self.cancelled or self.expired

    def cap(self, seconds: float) -> float:
        """``seconds``, shortened to the time left."""
        left = self.remaining()
        return seconds if left is None else min(seconds, left)

    def request_budget(self, per_request: float) -> float:
        """How long a request starting now may take: ``per_request``, shortened to the time left; 0 when done."""
        return 0.0 if self.done else self.cap(per_request)

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (in real time), never past the deadline; wakes at once on Cancel.

        Returns True when the caller must stop: cancelled, or out of time.
        """
        delay = self.cap(seconds)
        if delay > 0:
            if self.cancel is not None:
                self.cancel.wait(delay)
            else:
                time.sleep(delay)
        return self.done

    def why(self) -> str:
        """Why the deadline is done, for error messages."""
        if self.cancelled:
            return f"the {self._noun} was cancelled"
        return f"the {self._noun}'s time limit ({self.limit:g} s) was reached"


def current() -> Optional[Deadline]:
    """The deadline of the go-live running in this thread (or context), if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def applied(deadline: Deadline) -> Iterator[Deadline]:
    """Make ``deadline`` the current one for the duration of the ``with`` block."""
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def parse_retry_after(value: Optional[str], *, now: Optional[datetime.datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP-date), or None to ignore it.

    Never raises. Values that mean nothing (``nan``, ``inf``, negative numbers, garbage) are ignored; a date in
    the past means 0; anything longer than :data:`MAX_RETRY_AFTER_SECONDS` (``1e400`` included) is clamped to it.
    """
    if value is None:
        return None
    text = value.strip()
    if _NUMBER.fullmatch(text):
        seconds = float(text)  # a long digit string or 1e400 overflows to inf: clamped below
        if seconds < 0:
            return None
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is taken as such
            when = when.replace(tzinfo=datetime.timezone.utc)
        reference = now or datetime.datetime.now(datetime.timezone.utc)
        seconds = max(0.0, (when - reference).total_seconds())
    return min(seconds, MAX_RETRY_AFTER_SECONDS)
