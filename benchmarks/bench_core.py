"""Figures of the core alone (``GoLiveMachine.create``), each beside the naive client: API cost and detection
latency."""

from __future__ import annotations

import datetime
import math
import statistics
import threading
import time
from typing import Any, Callable, Optional

import requests
from bench_common import PUBLISHER, TOKEN, Figure, start_sim
from naive_client import naive_golive

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.client import CppClient
from pulumi_cpp_golive.golive import GoLiveMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.simulator import Simulator

OFFER = "vm1"
WHO = ("ours", "naive")


class FakeClock:
    """A compressed clock shared by the simulator and the waiting side: sleeping only moves the reading on."""

    def __init__(self, limit: float) -> None:
        self.now = 0.0
        self.limit = limit  # a wait that runs past this is a bug, not a slow machine: stop it

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float, cancel: Optional[threading.Event] = None) -> bool:
        self.now += seconds
        if self.now > self.limit:
            raise RuntimeError(f"the wait ran past {self.limit:g} simulated seconds")
        return False


def _ours(sim: Simulator, interval: float, clock: Callable[[], float] = time.monotonic,
          sleep: Optional[Callable[[float, Optional[threading.Event]], bool]] = None) -> str:
    """``GoLiveMachine.create`` with ``interval`` as the configured poll interval; returns the tracking URL."""
    client = CppClient(sim.url, StaticTokenCredential(TOKEN), retry_backoff=0.0)
    injected: dict[str, Any] = {} if sleep is None else {"sleep": sleep}  # else the package's own sleep
    golive = GoLiveMachine(client, default_poll_interval=interval, report=lambda _line: None, clock=clock, **injected)
    record = golive.create(GoLiveSpec(PUBLISHER, OFFER))
    return sim.url + record.operation_location


def _naive(sim: Simulator, interval: float, sleep: Callable[[float], object] = time.sleep) -> str:
    return naive_golive(sim.url, TOKEN, PUBLISHER, OFFER, interval, sleep)


# ---- 1. API cost (compressed clock) -----------------------------------------------------------------------------


def _cost_once(who: str, duration: float, interval: float) -> dict[str, int]:
    clock = FakeClock(limit=2 * duration + 10 * interval)
    sim = start_sim(clock=clock, golive_seconds=duration)
    try:
        if who == "ours":
            _ours(sim, interval, clock=clock, sleep=clock.sleep)
        else:
            _naive(sim, interval, lambda seconds: clock.sleep(seconds))
        return sim.counts()
    finally:
        sim.stop()


def _cost_figure(who: str, duration: float, interval: float) -> Figure:
    counts = _cost_once(who, duration, interval)
    total, posts = sum(counts.values()), counts.get("POST /golive", 0)
    polls, listed, status = (counts.get(k, 0) for k in ("GET /operations", "GET /submissions", "GET /status"))
    bound = 1 + math.ceil(duration / interval)
    ok = posts == 1 and total <= bound + 3
    note = (f"{total - bound} over the bound: adopt-first list, offer status, first poll right after the 202"
            if who == "ours" else "baseline")
    return Figure(
        f"API cost {who}: {duration:g} s go-live, poll {interval:g} s",
        f"{total} = {posts} POST + {polls} op GET + {listed} list + {status} status",
        f"1 POST, <= {bound + 3} (bound {bound} + 3)", ok if who == "ours" else None, note,
        {"total": total, "posts": posts, "operation_gets": polls, "submissions_gets": listed, "status_gets": status,
         "lower_bound": bound, "duration_s": duration, "interval_s": interval, "counts": counts})


def api_cost(durations: list[float], intervals: list[float]) -> list[Figure]:
    return [_cost_figure(who, d, i) for d in durations for i in intervals for who in WHO]


# ---- 2. detection latency (real clock) ------------------------------------------------------------------------


def _wall(iso: str) -> float:
    """Unix time of the simulator's ``YYYY-MM-DDTHH:MM:SS.fffffffZ`` (7 fractional digits; Python reads 6)."""
    moment = datetime.datetime.strptime(iso[:26], "%Y-%m-%dT%H:%M:%S.%f")
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def _completed_at(url: str) -> float:
    """When the simulator ended the operation: its ``lastActionDateTime`` (start + golive_seconds, exactly)."""
    body = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).json()
    return _wall(str(body["lastActionDateTime"]))


def _latency_once(who: str, interval: float, retry_after: Optional[int], golive_seconds: float) -> float:
    sim = start_sim(golive_seconds=golive_seconds, poll_retry_after=retry_after)
    try:
        url = _ours(sim, interval) if who == "ours" else _naive(sim, interval)
        returned = time.time()
        return returned - _completed_at(url)
    finally:
        sim.stop()


def _latency_figure(who: str, label: str, retry_after: Optional[int], target: float, repeats: int) -> Figure:
    interval = 1.0
    # Go-lives of 2.1 s to 2.9 s: the completion lands at a different point of the poll cycle in each sample.
    samples = [_latency_once(who, interval, retry_after, 2.1 + 0.8 * i / max(repeats - 1, 1)) for i in range(repeats)]
    median = statistics.median(samples)
    note = "baseline; ignores Retry-After" if who == "naive" else ""
    return Figure(f"detection latency {who}: {label}", f"{median:.2f} s (median of {repeats})", f"<= {target:g} s",
                  median <= target if who == "ours" else None, note,
                  {"median_s": round(median, 3), "samples_s": [round(s, 3) for s in samples], "target_s": target})


def latency(repeats: int) -> list[Figure]:
    cases = (("poll 1 s", None, 1.5), ("poll 1 s, Retry-After: 0", 0, 0.5))
    return [_latency_figure(who, label, ra, target, repeats) for label, ra, target in cases for who in WHO]
