"""Figures through the real Pulumi engine: no-change overhead and N offers going live at once (both paths)."""

from __future__ import annotations

import importlib.util
import math
import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bench_common import ROOT, Figure, start_sim

from pulumi_cpp_golive.simulator import Simulator
from tests.e2e.conftest import USE_PLUGIN, Stack

PROGRAM = Path(__file__).resolve().parent / "program"
PARALLEL = ("--parallel", "128")
SCALE_GOLIVE_SECONDS = 5.0
# cmdline marker of the provider process, per path (the dynamic host; `python -m pulumi.run.plugin` for the plugin)
MARKERS = {"dynamic provider": "pulumi.dynamic", "plugin": "pulumi.run.plugin"}
NOT_YET = "not yet (plugin issue #5 not landed)"


class Budget:
    """The run's deadline: every engine call gets at most what is left of it, so the whole run stays bounded."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self, cap: float) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 5:
            raise TimeoutError("the benchmark's time budget is spent")
        return min(cap, remaining)


def _bin() -> Path:
    return Path(os.environ["PULUMI_CPP_GOLIVE_BIN"])


def plugin_available() -> bool:
    return (ROOT / "PulumiPlugin.yaml").exists() and importlib.util.find_spec("pulumi_cpp_golive_sdk") is not None


def _stack(work: Path, name: str, sim: Simulator, count: int, path: str, poll: str) -> Stack:
    plugin = path == "plugin"
    stack = Stack(work / name, _bin(), sim, program=PROGRAM, project_yaml=USE_PLUGIN if plugin else "")
    stack.config("count", str(count))
    stack.config("provider", "plugin" if plugin else "dynamic")
    stack.config("cpp-golive:pollInterval", poll)
    return stack


def _up_seconds(stack: Stack, budget: Budget) -> float:
    started = time.monotonic()
    stack.run("up", "--yes", "--skip-preview", *PARALLEL, timeout=budget.left(300))
    return time.monotonic() - started


# ---- 3. engine overhead ---------------------------------------------------------------------------------------


def _no_change(stack: Stack, sim: Simulator, repeats: int, budget: Budget) -> tuple[float, int, int]:
    """Median seconds of a no-change ``up``, and the CPP requests one ``up`` and one ``preview`` send."""
    stack.run("up", "--yes", "--skip-preview", *PARALLEL, timeout=budget.left(300))  # the initial, creating up
    sim.reset_counts()
    seconds = statistics.median(_up_seconds(stack, budget) for _ in range(repeats))
    up_requests = sim.count() // repeats
    stack.run("preview", timeout=budget.left(300))
    return seconds, up_requests, sim.count() - up_requests * repeats


def engine_overhead(work: Path, sizes: list[int], repeats: int, budget: Budget) -> list[Figure]:
    figures: list[Figure] = []
    sim = start_sim([f"vm{i}" for i in range(max(sizes))], golive_seconds=0.5)
    try:
        runs = {n: _no_change(_stack(work, f"overhead-{n}", sim, n, "dynamic provider", "0.25"), sim, repeats, budget)
                for n in [0, *sizes]}
    finally:
        sim.stop()
    empty = runs[0][0]
    for n in sizes:
        seconds, up_requests, preview_requests = runs[n]
        figures.append(Figure(f"no-change up/preview, {n} OfferGoLive: CPP requests",
                              f"{up_requests} / {preview_requests}", "0 / 0",
                              up_requests == 0 and preview_requests == 0, "up / preview",
                              {"up_requests": up_requests, "preview_requests": preview_requests}))
        figures.append(Figure(f"no-change up, {n} OfferGoLive vs empty stack",
                              f"x{seconds / empty:.2f} ({seconds:.2f} s vs {empty:.2f} s)", "reported", None,
                              f"median of {repeats}",
                              {"seconds": round(seconds, 3), "empty_seconds": round(empty, 3),
                               "ratio": round(seconds / empty, 3)}))
    return figures


# ---- 4. scale -------------------------------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])  # the field after "(comm) state"
    return parents


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    frontier = [root]
    while frontier:  # a process tree: every pid is visited at most once
        pid = frontier.pop()
        for child in children.get(pid, []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _rss_kib(pid: int, marker: str) -> int:
    """VmRSS of ``pid`` if its command line holds ``marker``, else 0."""
    try:
        if marker not in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
            return 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def _peak_rss(root: int, marker: str) -> Iterator[dict[str, int]]:
    """Sample the provider processes under ``root`` (not another run's) every 0.1 s while the block runs."""
    peak = {"kib": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak["kib"] = max([peak["kib"], *(_rss_kib(pid, marker) for pid in _descendants(root))])

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def _sampled_up(stack: Stack, marker: str, budget: Budget) -> tuple[float, int, Optional[str]]:
    """Wall seconds of a creating ``up``, the provider's peak RSS (KiB), and the error text if it failed."""
    started = time.monotonic()
    proc = stack.start("up", "--yes", "--skip-preview", *PARALLEL)
    with _peak_rss(proc.pid, marker) as peak:
        try:
            output, _ = proc.communicate(timeout=budget.left(300))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own `pulumi up` (its own session), and what it started
            proc.communicate()
            return time.monotonic() - started, peak["kib"], "timed out"
    seconds = time.monotonic() - started
    return seconds, peak["kib"], None if proc.returncode == 0 else output[-400:]


@dataclass
class ScaleRun:
    seconds: float
    rss_mib: float
    posts: int
    error: Optional[str]


def _scale_run(work: Path, path: str, n: int, budget: Budget) -> ScaleRun:
    sim = start_sim([f"vm{i}" for i in range(n)], golive_seconds=SCALE_GOLIVE_SECONDS)
    try:
        stack = _stack(work, f"scale-{path.split()[0]}-{n}", sim, n, path, "1")
        seconds, kib, error = _sampled_up(stack, MARKERS[path], budget)
        return ScaleRun(seconds, kib / 1024, sim.count("POST", "/golive"), error)
    finally:
        sim.stop()


def _offers(n: int) -> str:
    return f"{n} offer" if n == 1 else f"{n} offers"


def _scale_figure(path: str, n: int, run: ScaleRun, single: float, top: int) -> Figure:
    ratio = run.seconds / single
    sound = run.error is None and run.posts == n
    has_target = path == "plugin" and n == top
    ok: Optional[bool] = (sound and ratio <= 1.5) if has_target else (None if sound else False)
    note = f"peak provider RSS {run.rss_mib:.0f} MiB, {run.posts}/{n} POSTs"
    if path != "plugin":
        note += f"; expected about ceil(N/4) = {math.ceil(n / 4)}: the dynamic host serves 4 calls at once"
    if run.error:
        note += f"; up failed: {run.error.strip().splitlines()[-1][:160]}"
    return Figure(f"scale {path}: {_offers(n)} at once / 1 offer",
                  f"x{ratio:.2f} ({run.seconds:.1f} s vs {single:.1f} s)",
                  f"<= 1.5 at N={top}" if has_target else "reported", ok, note,
                  {"n": n, "seconds": round(run.seconds, 2), "single_seconds": round(single, 2),
                   "ratio": round(ratio, 3), "peak_rss_mib": round(run.rss_mib, 1), "posts": run.posts,
                   "golive_seconds": SCALE_GOLIVE_SECONDS})


def scale(work: Path, sizes: list[int], budget: Budget) -> list[Figure]:
    figures: list[Figure] = []
    for path in MARKERS:
        if path == "plugin" and not plugin_available():
            figures += [Figure(f"scale plugin: {_offers(n)} at once / 1 offer", NOT_YET, "<= 1.5 at N=100", None)
                        for n in sizes]
            continue
        runs = {n: _scale_run(work, path, n, budget) for n in sizes}
        single = runs[1].seconds
        figures += [_scale_figure(path, n, runs[n], single, max(sizes)) for n in sizes]
    return figures
