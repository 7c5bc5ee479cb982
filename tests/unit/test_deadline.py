"""The deadline and Retry-After rules (issue 10, rows 4 and 7): parsing, capping, and where the client and the
wait loop apply them. Time is a fake clock or a recorded ``time.sleep``; nothing here waits for real."""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.deadline import (
    MAX_RETRY_AFTER_SECONDS,
    MIN_PAUSE_SECONDS,
    Deadline,
    applied,
    current,
    parse_retry_after,
)
from pulumi_cpp_golive.errors import ApiError, GoLiveTimeoutError
from pulumi_cpp_golive.golive import GoLiveMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.record import OperationRecord

from .conftest import BASE, FakeClock

OP_ID = "0d6f5b2c-0000-1000-0000-000000000007"
OP_PATH = f"/api/publishers/contoso/offers/vm1/operations/{OP_ID}"
OP_URL = f"{BASE}{OP_PATH}"
NOW = datetime.datetime(2026, 11, 29, 12, 0, 0, tzinfo=datetime.timezone.utc)


# ---- parse_retry_after --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0),
    (" 7 ", 7.0),
    ("1.5", 1.5),
    ("0", 0.0),
    ("86400", MAX_RETRY_AFTER_SECONDS),
    ("1e400", MAX_RETRY_AFTER_SECONDS),
    ("9" * 400, MAX_RETRY_AFTER_SECONDS),
    ("Sun, 29 Nov 2026 12:00:30 GMT", 30.0),
    ("Sun, 29 Nov 2026 11:00:00 GMT", 0.0),  # in the past: now
    ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_SECONDS),
    ("Sunday, 29-Nov-26 12:01:00 GMT", 60.0),  # the obsolete RFC 850 form
])
def test_retry_after_values_that_mean_something(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "nan", "NaN", "inf", "-inf", "Infinity", "-5", "-0.5", "soon",
                                   "1e", "0x10", "Sun, 32 Nov 2026 12:00:30 GMT", "29 Nov"])
def test_retry_after_values_that_mean_nothing_are_ignored(value: str) -> None:
    assert parse_retry_after(value, now=NOW) is None


@given(st.text(max_size=60))
def test_retry_after_never_raises_and_stays_in_range(value: str) -> None:
    seconds = parse_retry_after(value, now=NOW)
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER_SECONDS


# ---- Deadline -----------------------------------------------------------------------------------------------


def test_deadline_caps_and_ends(fake_clock: FakeClock) -> None:
    deadline = Deadline(10.0, clock=fake_clock.clock)
    assert deadline.remaining() == 10.0 and deadline.cap(60.0) == 10.0 and deadline.cap(3.0) == 3.0
    assert deadline.request_budget(120.0) == 10.0 and not deadline.done
    fake_clock.now += 10.0
    assert deadline.expired and deadline.done and deadline.remaining() == 0.0
    assert deadline.request_budget(120.0) == 0.0
    assert deadline.why() == "the go-live's time limit (10 s) was reached"


def test_deadline_without_limit_ends_only_by_cancel() -> None:
    cancel = threading.Event()
    deadline = Deadline(None, cancel)
    assert deadline.remaining() is None and deadline.cap(5.0) == 5.0 and not deadline.done
    cancel.set()
    assert deadline.done and deadline.cancelled and deadline.request_budget(120.0) == 0.0
    assert deadline.pause(86400.0) is True  # returns at once: the event is set
    assert deadline.why() == "the go-live was cancelled"


def test_applied_makes_a_deadline_current_for_the_block_only() -> None:
    deadline = Deadline(5.0)
    assert current() is None
    with applied(deadline):
        assert current() is deadline
    assert current() is None


# ---- the client's retries (azure-core's RetryPolicy) ---------------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every time.sleep of the retry path, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


def throttled_get(retry_after: str, times: int) -> None:
    for _ in range(times):
        responses.get(OP_URL, status=429, headers={"Retry-After": retry_after},
                      json={"error": {"code": "TooManyRequests", "message": "slow down"}})


@responses.activate
@pytest.mark.parametrize("value, pause", [("nan", MIN_PAUSE_SECONDS), ("0", MIN_PAUSE_SECONDS),
                                          ("-5", MIN_PAUSE_SECONDS), ("soon", MIN_PAUSE_SECONDS),
                                          ("inf", MIN_PAUSE_SECONDS), ("1e400", MAX_RETRY_AFTER_SECONDS),
                                          ("86400", MAX_RETRY_AFTER_SECONDS), ("2", 2.0)])
def test_retries_pause_as_parsed_never_less_than_the_minimum(client: CppClient, sleeps: list[float], value: str,
                                                             pause: float) -> None:
    throttled_get(value, 4)
    with pytest.raises(ApiError) as caught:
        client.get_operation(OP_PATH)
    assert caught.value.status == 429 and "slow down" in str(caught.value)
    assert len(responses.calls) == 4  # retry_total=3 in the unit client
    assert sleeps == [pause] * 3


@responses.activate
def test_no_retry_when_retry_after_outlasts_the_deadline(client: CppClient, sleeps: list[float]) -> None:
    throttled_get("86400", 4)
    with applied(Deadline(5.0)), pytest.raises(ApiError) as caught:
        client.get_operation(OP_PATH)
    assert len(responses.calls) == 1 and sleeps == []
    assert caught.value.status == 429 and caught.value.retry_after == MAX_RETRY_AFTER_SECONDS


@responses.activate
def test_nothing_is_sent_once_the_deadline_is_done(client: CppClient) -> None:
    cancel = threading.Event()
    cancel.set()
    with applied(Deadline(None, cancel)), pytest.raises(ApiError) as caught:
        client.get_operation(OP_PATH)
    assert len(responses.calls) == 0
    assert caught.value.code == "NotSent" and "the go-live was cancelled" in str(caught.value)


# ---- the wait loop ------------------------------------------------------------------------------------------


def running(retry_after: str) -> dict[str, Any]:
    return {"json": {"status": "running", "steps": []}, "headers": {"Retry-After": retry_after}}


@responses.activate
@pytest.mark.parametrize("value, pause", [("inf", 30.0), ("nan", 30.0), ("-5", 30.0), ("garbage", 30.0),
                                          ("1e400", MAX_RETRY_AFTER_SECONDS), ("0", MIN_PAUSE_SECONDS),
                                          ("Wed, 21 Oct 2015 07:28:00 GMT", MIN_PAUSE_SECONDS)])
def test_wait_pauses_are_finite_and_at_least_the_minimum(machine: GoLiveMachine, fake_clock: FakeClock, value: str,
                                                         pause: float) -> None:
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    responses.get(OP_URL, **running(value))
    responses.get(OP_URL, json={"status": "succeeded", "steps": []})
    machine.wait(GoLiveSpec("contoso", "vm1", poll_interval=30.0), record)
    assert fake_clock.sleeps == [pause]


@responses.activate
def test_a_429_retry_after_is_honoured_by_the_wait_up_to_the_timeout(machine: GoLiveMachine, fake_clock: FakeClock,
                                                                     sleeps: list[float]) -> None:
    # azure-core stops retrying (a day is past the deadline); the wait then sleeps to the deadline, not 4x a second.
    record = OperationRecord("contoso", "vm1", OP_ID, OP_PATH, "running", None)
    throttled_get("86400", 10)
    with pytest.raises(GoLiveTimeoutError) as caught:
        machine.wait(GoLiveSpec("contoso", "vm1", poll_interval=30.0, timeout=100.0), record)
    assert fake_clock.sleeps == [100.0]
    assert len(responses.calls) == 1 and sleeps == []
    assert caught.value.record.operation_id == OP_ID and OP_ID in str(caught.value)
