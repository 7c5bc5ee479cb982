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
from bench_common import PUBLISHER, SMOKE, TOKEN, Figure, start_sim
from naive_client import naive_golive

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.cpp_api import CppOfferApi
from pulumi_cpp_golive.cpp_client import CppClient
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
    golive = GoLiveMachine(CppOfferApi(client), default_poll_interval=interval, report=lambda _line: None,
                           clock=clock, **injected)
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


def _latency_once(who: str, interval: float, golive_seconds: float) -> float:
    sim = start_sim(golive_seconds=golive_seconds)
    try:
        url = _ours(sim, interval) if who == "ours" else _naive(sim, interval)
        returned = time.time()
        return returned - _completed_at(url)
    finally:
        sim.stop()


def _latency_figure(who: str, target: float, repeats: int, judge: bool) -> Figure:
    interval = 1.0
    # Go-lives of 2.1 s to 2.9 s: the completion lands at a different point of the poll cycle in each sample.
    samples = [_latency_once(who, interval, 2.1 + 0.8 * i / max(repeats - 1, 1)) for i in range(repeats)]
    median = statistics.median(samples)
    note = "baseline" if who == "naive" else ("" if judge else SMOKE)
    return Figure(f"detection latency {who}: poll 1 s", f"{median:.2f} s (median of {repeats})", f"<= {target:g} s",
                  median <= target if who == "ours" and judge else None, note,
                  {"median_s": round(median, 3), "samples_s": [round(s, 3) for s in samples], "target_s": target})


def latency(repeats: int, who: tuple[str, ...], judge: bool) -> list[Figure]:
    return [_latency_figure(name, 1.5, repeats, judge) for name in who]


# ---- 3. a throttling window (real clock) ----------------------------------------------------------------------
# Azure's front ends throttle by answering 429 with ``Retry-After: <seconds>`` until their window resets; CPP
# documents no limits, so this is the behaviour to expect there. Every request in a window that opens when the
# go-live POST arrives is answered 429 with ``Retry-After: THROTTLE_RETRY_AFTER``; the operation ends inside it.

THROTTLE_WINDOW = 6.0
THROTTLE_RETRY_AFTER = 3
THROTTLE_GOLIVE = 2.5


def _post_answered(sim: Simulator) -> bool:
    return any(r.key == "POST /golive" and r.status is not None for r in sim.requests)


def _throttle_window(sim: Simulator, opened: threading.Event, stop: threading.Event) -> None:
    """Open the 429 window as soon as the POST has arrived, close it THROTTLE_WINDOW seconds later."""
    deadline = time.monotonic() + 60
    while not _post_answered(sim):  # a synchronisation point with a deadline, polled
        if stop.wait(0.01) or time.monotonic() > deadline:
            return
    sim.config.throttle_every = 1  # every API request from now on is answered 429
    opened.set()
    stop.wait(THROTTLE_WINDOW)
    sim.config.throttle_every = 0


def _throttled_once(who: str) -> dict[str, float]:
    sim = start_sim(golive_seconds=THROTTLE_GOLIVE, retry_after=THROTTLE_RETRY_AFTER)
    opened, stop = threading.Event(), threading.Event()
    window = threading.Thread(target=_throttle_window, args=(sim, opened, stop), daemon=True)
    window.start()
    try:
        started = time.monotonic()
        url = _ours(sim, 1.0) if who == "ours" else _naive(sim, 1.0)
        seconds = time.monotonic() - started
        if not opened.is_set():
            raise RuntimeError("the throttling window never opened")
        throttled = sum(1 for r in sim.requests if r.status == 429)
        posts = sim.count("POST", "/golive")
        body = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).json()
        finished = str(body.get("status", "")).lower() in {"complete", "completed", "succeeded"}
        return {"seconds": seconds, "throttled": throttled, "posts": posts, "finished": float(finished)}
    finally:
        stop.set()
        window.join(timeout=10)
        sim.stop()


def throttled(repeats: int, clients: tuple[str, ...], judge: bool) -> list[Figure]:
    """Requests answered 429 and time to ``create`` returning, through a throttling window, beside the naive client.

    A client that waits as told sends at most ceil(window / Retry-After) + 1 requests into the window; one that
    polls on its own interval sends window / interval. The go-live cannot end for us before the window closes, so
    any client needs the window's length; waiting as told may add up to one ``Retry-After`` (plus a second's slack).
    """
    most = math.ceil(THROTTLE_WINDOW / THROTTLE_RETRY_AFTER) + 1
    bound = THROTTLE_WINDOW + THROTTLE_RETRY_AFTER + 1
    figures = []
    for who in clients:
        runs = [_throttled_once(who) for _ in range(repeats)]
        throttled_n = statistics.median(r["throttled"] for r in runs)
        seconds = statistics.median(r["seconds"] for r in runs)
        posts = max(int(r["posts"]) for r in runs)
        sound = posts == 1 and all(r["finished"] for r in runs)
        ok: Optional[bool] = None
        if who == "ours":
            ok = sound and throttled_n <= most and (seconds <= bound or not judge)
        elif not sound:
            ok = False
        note = ("baseline: polls on its own interval" if who == "naive"
                else f"the window alone takes {THROTTLE_WINDOW:g} s" + ("" if judge else f"; time: {SMOKE}"))
        figures.append(Figure(
            f"429 window {THROTTLE_WINDOW:g} s, Retry-After: {THROTTLE_RETRY_AFTER}, {who}",
            f"{throttled_n:g} answered 429, {posts} POST, done in {seconds:.1f} s (median of {repeats})",
            f"<= {most} answered 429, 1 POST, <= {bound:g} s", ok, note,
            {"throttled": [int(r["throttled"]) for r in runs], "seconds": [round(r["seconds"], 2) for r in runs],
             "posts": posts, "window_s": THROTTLE_WINDOW, "retry_after_s": THROTTLE_RETRY_AFTER,
             "golive_seconds": THROTTLE_GOLIVE}))
    return figures
