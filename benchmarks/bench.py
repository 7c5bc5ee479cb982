"""pulumi-cpp-golive benchmarks: API cost, detection latency, engine overhead, scale, against a naive client.

Loopback simulator only; every figure is measured side by side in the same run. Run with ``scripts/bench``
(``--quick`` for a smaller, faster pass). Prints a table and writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi_cpp_golive.auth import StaticTokenCredential  # noqa: E402
from pulumi_cpp_golive.client import CppClient  # noqa: E402
from pulumi_cpp_golive.golive import GoLive  # noqa: E402
from pulumi_cpp_golive.inputs import GoLiveSpec  # noqa: E402
from pulumi_cpp_golive.operation import TERMINAL, normalise_status, tracking_url  # noqa: E402
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig  # noqa: E402
from tests.e2e.conftest import E2E_TOKEN, PLUGIN_PROGRAM, USE_PLUGIN, Stack  # noqa: E402

TOKEN = E2E_TOKEN  # the token the e2e Stack helper configures


@dataclass
class Figure:
    name: str
    measured: Any
    target: str
    ok: Optional[bool]  # None: no target (reported only)
    note: str = ""


# ---- a compressed clock shared by the simulator and the client ------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float, cancel: Optional[threading.Event] = None) -> bool:
        self.now += seconds
        return False


def _sim(clock: Callable[[], float] = time.monotonic, **config: Any) -> Simulator:
    sim = Simulator(SimulatorConfig(token=TOKEN, **config), clock=clock)
    sim.start()
    sim.add_offer("contoso", "vm1", state="ready")
    return sim


def _client(sim: Simulator) -> CppClient:
    return CppClient(sim.url, StaticTokenCredential(TOKEN), retry_backoff=0.0)


def naive_golive(base: str, interval: float, sleep: Callable[[float], Any]) -> None:
    """The 20-line polling script this package competes with: POST, then sleep + GET until it ends."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = requests.post(f"{base}/api/publishers/contoso/offers/vm1/golive?api-version=2017-10-31",
                           headers=headers, timeout=30)
    answer.raise_for_status()
    url = tracking_url(answer.headers, base)
    while True:
        sleep(interval)
        status = requests.get(url, headers=headers, timeout=30).json().get("status")
        if normalise_status(status)[0] in TERMINAL:
            return


# ---- 1. API cost ------------------------------------------------------------------------------------------


def api_cost(durations: list[float], intervals: list[float]) -> list[Figure]:
    figures = []
    for duration in durations:
        for interval in intervals:
            bound = 1 + math.ceil(duration / interval)
            for who in ("ours", "naive"):
                clock = FakeClock()
                sim = _sim(clock, golive_seconds=duration)
                try:
                    if who == "ours":
                        GoLive(_client(sim), clock=clock, sleep=clock.sleep).create(
                            GoLiveSpec("contoso", "vm1", poll_interval=interval))
                    else:
                        naive_golive(sim.url, interval, clock.sleep)
                    posts, total = sim.count("POST"), sim.count()
                finally:
                    sim.stop()
                ok = posts == 1 and total <= bound + 3
                figures.append(Figure(
                    f"API cost {who}: {duration:g} s go-live, poll {interval:g} s", f"{total} requests ({posts} POST)",
                    f"1 POST, <= {bound + 3} (bound {bound} + 3)", ok if who == "ours" else None,
                    "ours adds the adopt-first list and the offer-status check" if who == "ours" else "baseline"))
    return figures


# ---- 2. detection latency -------------------------------------------------------------------------------------


def _latency_once(who: str, interval: float, retry_after: Optional[int], golive_seconds: float) -> float:
    sim = _sim(golive_seconds=golive_seconds, poll_retry_after=retry_after)
    accepted: list[float] = []
    try:
        if who == "ours":
            def report(line: str) -> None:
                if "go-live accepted" in line:
                    accepted.append(time.monotonic())
            GoLive(_client(sim), report=report).create(GoLiveSpec("contoso", "vm1", poll_interval=interval))
        else:
            original = requests.post

            def timed_post(*args: Any, **kwargs: Any) -> Any:
                answer = original(*args, **kwargs)
                accepted.append(time.monotonic())
                return answer
            requests.post = timed_post  # type: ignore[assignment]
            try:
                naive_golive(sim.url, interval, time.sleep)
            finally:
                requests.post = original  # type: ignore[assignment]
        returned = time.monotonic()
    finally:
        sim.stop()
    # accepted[0] is when the 202 reached us, at or after CPP started the clock: this is a slight underestimate
    return returned - (accepted[0] + golive_seconds)


def latency(repeats: int) -> list[Figure]:
    figures = []
    for retry_after, label, target in ((None, "poll 1 s", 1.5), (0, "Retry-After: 0", 0.5)):
        for who in ("ours", "naive"):
            # Go-lives of 2.1 s, 2.3 s, ...: completion lands at a different point of the poll cycle each time.
            samples = [_latency_once(who, 1.0, retry_after, 2.1 + 0.8 * i / max(repeats - 1, 1))
                       for i in range(repeats)]
            median = statistics.median(samples)
            figures.append(Figure(f"detection latency {who}, {label}", f"{median:.2f} s (median of {repeats})",
                                  f"<= {target} s", median <= target if who == "ours" else None,
                                  "baseline ignores Retry-After" if who == "naive" else ""))
    return figures


# ---- 3 and 4: through the real engine -----------------------------------------------------------------------


def _bin() -> Path:
    return Path(os.environ["PULUMI_CPP_GOLIVE_BIN"])


@contextmanager
def _peak_rss(markers: tuple[str, ...]) -> Iterator[dict[str, int]]:
    """Sample the resident size of provider processes (their cmdline holds a marker) while the block runs."""
    peak = {"kib": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    if not any(marker in cmdline for marker in markers):
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            peak["kib"] = max(peak["kib"], int(line.split()[1]))
                except OSError:
                    continue

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def _timed_up(stack: Stack, *extra: str) -> float:
    started = time.monotonic()
    stack.up("--parallel", "256", *extra)
    return time.monotonic() - started


def engine_overhead(work: Path, sizes: list[int]) -> list[Figure]:
    figures: list[Figure] = []
    sim = _sim(golive_seconds=0.5)
    try:
        for index in range(max(sizes)):
            sim.add_offer("contoso", f"vm{index}", state="ready")
        times: dict[int, float] = {}
        for count in [0, *sizes]:
            stack = Stack(work / f"overhead-{count}", _bin(), sim)
            stack.config("count", str(count))
            stack.config("cpp-golive:pollInterval", "0.25")
            if count == 1:
                stack.config("offerId", "vm0")
            stack.up("--parallel", "256")
            sim.reset_counts()
            times[count] = _timed_up(stack)
            up_requests = sim.count()
            stack.preview()
            preview_requests = sim.count() - up_requests
            if count:
                figures.append(Figure(f"no-change up, {count} OfferGoLive: CPP requests (up / preview)",
                                      f"{up_requests} / {preview_requests}", "0 / 0",
                                      up_requests == 0 and preview_requests == 0))
        for count in sizes:
            figures.append(Figure(f"no-change up, {count} OfferGoLive vs empty stack",
                                  f"{times[count]:.1f} s vs {times[0]:.1f} s (x{times[count] / times[0]:.2f})",
                                  "reported", None))
    finally:
        sim.stop()
    return figures


def scale(work: Path, sizes: list[int]) -> list[Figure]:
    figures = []
    for path, program, extra_yaml, markers in (
        ("dynamic provider", None, "", ("pulumi.dynamic",)),
        ("plugin", PLUGIN_PROGRAM, USE_PLUGIN, ("pulumi.run.plugin", "pulumi_cpp_golive")),
    ):
        walls: dict[int, float] = {}
        peaks: dict[int, int] = {}
        for count in sizes:
            sim = _sim(golive_seconds=5.0)
            try:
                for index in range(count):
                    sim.add_offer("contoso", f"vm{index}", state="ready")
                kwargs: dict[str, Any] = {"program": program, "project_yaml": extra_yaml} if program else {}
                stack = Stack(work / f"scale-{path.split()[0]}-{count}", _bin(), sim, **kwargs)
                stack.config("count", str(count))
                stack.config("cpp-golive:pollInterval", "1")
                if count == 1:
                    stack.config("offerId", "vm0")
                with _peak_rss(markers) as peak:
                    walls[count] = _timed_up(stack)
                peaks[count] = peak["kib"]
                assert sim.count("POST", "/golive") == count, "every offer must be posted exactly once"
            finally:
                sim.stop()
        for count in sizes:
            ratio = walls[count] / walls[1]
            is_plugin = path == "plugin"
            target = "<= 1.5" if is_plugin and count == max(sizes) else "reported"
            figures.append(Figure(
                f"scale {path}: {count} offers (5 s go-live) / 1 offer", f"x{ratio:.2f} ({walls[count]:.1f} s)",
                target, ratio <= 1.5 if target != "reported" else None,
                f"peak provider RSS {peaks[count] / 1024:.0f} MiB"))
    return figures


# ---- report ---------------------------------------------------------------------------------------------------


def _cli_version() -> str:
    done = subprocess.run([str(_bin() / "pulumi"), "version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller N and fewer repeats")
    args = parser.parse_args()
    started = time.monotonic()
    figures: list[Figure] = []
    figures += api_cost([10, 60, 600], [60, 5])
    figures += latency(3 if args.quick else 5)
    with tempfile.TemporaryDirectory() as work:
        figures += engine_overhead(Path(work), [1, 10] if args.quick else [1, 50])
        figures += scale(Path(work), [1, 10] if args.quick else [1, 10, 50, 100])
    elapsed = time.monotonic() - started

    width = max(len(f.name) for f in figures)
    print(f"\n{'figure':<{width}}  {'measured':<34}  {'target':<28}  result")
    for f in figures:
        mark = "-" if f.ok is None else ("pass" if f.ok else "MISS")
        print(f"{f.name:<{width}}  {f.measured!s:<34}  {f.target:<28}  {mark}{'  (' + f.note + ')' if f.note else ''}")
    print(f"\n{sum(f.ok is True for f in figures)} passed, {sum(f.ok is False for f in figures)} missed, "
          f"{sum(f.ok is None for f in figures)} reported; {elapsed:.0f} s")
    results = {
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "pulumi": _cli_version(),
                    "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "seconds": round(elapsed),
        "figures": [asdict(f) for f in figures],
    }
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(f.ok is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
