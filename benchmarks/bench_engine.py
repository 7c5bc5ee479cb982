"""Figures through the real Pulumi engine, for both paths: the no-change overhead against a do-nothing peer
resource of the same provider kind, and N offers going live at once (medians of repeated runs, peak memory)."""

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

from bench_common import ROOT, SMOKE, Figure, start_sim

from pulumi_cpp_golive.simulator import Simulator
from tests.e2e.conftest import USE_PLUGIN, Stack

PROGRAM = Path(__file__).resolve().parent / "program"
PEER_PLUGIN = Path(__file__).resolve().parent / "peer_plugin"
# The do-nothing plugin peer (benchmarks/peer_plugin), as a program's Pulumi.yaml names it.
USE_PEER_PLUGIN = f"plugins:\n  providers:\n    - name: benchpeer\n      path: {PEER_PLUGIN}\n"
# cmdline marker of the provider process, per path (the dynamic host; `python -m pulumi.run.plugin` for the plugin)
MARKERS = {"dynamic provider": "pulumi.dynamic", "plugin": "pulumi.run.plugin"}
# The program's `provider` config for our resource and for its do-nothing peer, per path.
KINDS = {"dynamic provider": ("dynamic", "peer-dynamic"), "plugin": ("plugin", "peer-plugin")}
NOT_YET = "not yet (plugin issue #5 not landed)"
OVERHEAD_TARGET = 1.1  # no-change `up` of N of ours over N do-nothing peers, at the largest N
SCALE_TARGET = {"plugin": 2.0}  # N offers at once over one offer, at the largest N (none for the dynamic path)


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


def _parallel(count: int) -> tuple[str, str]:
    # Every resource at once: the engine's default (4 x CPUs) would turn N offers into N/8 rounds.
    return ("--parallel", str(max(count, 8)))


def _stack(work: Path, name: str, sim: Simulator, count: int, kind: str, poll: str) -> Stack:
    """A fresh stack of ``count`` resources of ``kind`` (benchmarks/program's ``provider`` config)."""
    project_yaml = {"plugin": USE_PLUGIN, "peer-plugin": USE_PEER_PLUGIN}.get(kind, "")
    stack = Stack(work / name, _bin(), sim, program=PROGRAM, project_yaml=project_yaml)
    stack.run("config", "set-all", "--plaintext", f"count={count}", "--plaintext", f"provider={kind}",
              "--plaintext", f"cpp-golive:pollInterval={poll}")  # one CLI start instead of three
    return stack


def _up_seconds(stack: Stack, count: int, budget: Budget) -> float:
    started = time.monotonic()
    stack.run("up", "--yes", "--skip-preview", *_parallel(count), timeout=budget.left(600))
    return time.monotonic() - started


# ---- 3. engine overhead against a do-nothing peer --------------------------------------------------------------


@dataclass
class NoChange:
    ours: list[float]
    peer: list[float]
    up_requests: int
    preview_requests: int


def _no_change(work: Path, path: str, n: int, repeats: int, budget: Budget) -> NoChange:
    """No-change ``up`` of n OfferGoLive and of n do-nothing peers, alternated so that load drifts hit both."""
    ours_kind, peer_kind = KINDS[path]
    sim = start_sim([f"vm{i}" for i in range(n)], golive_seconds=0.5)
    try:
        ours = _stack(work, f"overhead-{ours_kind}-{n}", sim, n, ours_kind, "0.25")
        peer = _stack(work, f"overhead-{peer_kind}-{n}", sim, n, peer_kind, "0.25")
        for stack in (ours, peer):  # the creating runs
            stack.run("up", "--yes", "--skip-preview", *_parallel(n), timeout=budget.left(600))
        if sim.count("POST", "/golive") != n:
            raise AssertionError(f"creating {n} OfferGoLive sent {sim.count('POST', '/golive')} go-live POSTs")
        sim.reset_counts()
        ours_s: list[float] = []
        peer_s: list[float] = []
        for _ in range(repeats):
            ours_s.append(_up_seconds(ours, n, budget))
            peer_s.append(_up_seconds(peer, n, budget))
        up_requests = sim.count()
        ours.run("preview", timeout=budget.left(300))
        return NoChange(ours_s, peer_s, up_requests, sim.count() - up_requests)
    finally:
        sim.stop()


def engine_overhead(work: Path, n: int, repeats: int, budget: Budget, judge: bool) -> list[Figure]:
    """Per path: the CPP requests of no-change ``up``/``preview`` runs, and their time over a do-nothing peer's."""
    figures: list[Figure] = []
    for path in KINDS:
        if path == "plugin" and not plugin_available():
            figures.append(Figure(f"no-change up, {n} OfferGoLive vs {n} do-nothing: plugin", NOT_YET,
                                  f"<= {OVERHEAD_TARGET:g}x", None))
            continue
        run = _no_change(work, path, n, repeats, budget)
        figures.append(Figure(f"no-change up/preview, {n} OfferGoLive ({path}): CPP requests",
                              f"{run.up_requests} / {run.preview_requests}", "0 / 0",
                              run.up_requests == 0 and run.preview_requests == 0,
                              f"{repeats} up / 1 preview",
                              {"up_requests": run.up_requests, "preview_requests": run.preview_requests}))
        ours, peer = statistics.median(run.ours), statistics.median(run.peer)
        ratio = ours / peer
        figures.append(Figure(
            f"no-change up, {n} OfferGoLive vs {n} do-nothing ({path})",
            f"x{ratio:.2f} ({ours:.2f} s vs {peer:.2f} s)", f"<= {OVERHEAD_TARGET:g}x",
            ratio <= OVERHEAD_TARGET if judge else None,
            f"median of {repeats}, alternated" + ("" if judge else f"; {SMOKE}"),
            {"n": n, "seconds": round(ours, 3), "peer_seconds": round(peer, 3), "ratio": round(ratio, 3),
             "samples_s": [round(x, 3) for x in run.ours], "peer_samples_s": [round(x, 3) for x in run.peer]}))
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


def _sampled_up(stack: Stack, count: int, marker: str, budget: Budget) -> tuple[float, int, Optional[str]]:
    """Wall seconds of a creating ``up``, the provider's peak RSS (KiB), and the error text if it failed."""
    started = time.monotonic()
    proc = stack.start("up", "--yes", "--skip-preview", *_parallel(count))
    with _peak_rss(proc.pid, marker) as peak:
        try:
            output, _ = proc.communicate(timeout=budget.left(900))
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


def _scale_run(work: Path, path: str, n: int, repeat: int, golive_seconds: float, budget: Budget) -> ScaleRun:
    """One creating ``up`` of n offers on a fresh simulator (all offers ready) and a fresh stack."""
    sim = start_sim([f"vm{i}" for i in range(n)], golive_seconds=golive_seconds)
    try:
        stack = _stack(work, f"scale-{path.split()[0]}-{n}-{repeat}", sim, n, KINDS[path][0], "1")
        seconds, kib, error = _sampled_up(stack, n, MARKERS[path], budget)
        return ScaleRun(seconds, kib / 1024, sim.count("POST", "/golive"), error)
    finally:
        sim.stop()


def _offers(n: int) -> str:
    return f"{n} offer" if n == 1 else f"{n} offers"


def _scale_figure(path: str, n: int, runs: list[ScaleRun], single: float, top: int, golive_seconds: float,
                  judge: bool) -> Figure:
    seconds = statistics.median(run.seconds for run in runs)
    ratio = seconds / single
    broken = [run for run in runs if run.error is not None or run.posts != n]
    target = SCALE_TARGET.get(path) if n == top else None
    ok: Optional[bool] = False if broken else (ratio <= target if target is not None and judge else None)
    peak = max(run.rss_mib for run in runs)
    note = f"median of {len(runs)}; peak provider RSS {peak:.0f} MiB; POSTs {'/'.join(str(r.posts) for r in runs)}"
    if path != "plugin":
        note += f"; about ceil(N/4) = {math.ceil(n / 4)} go-live durations expected: the dynamic host serves 4 calls"
    if target is not None and not judge:
        note += f"; {SMOKE}"
    for run in broken:
        note += f"; up failed: {(run.error or 'wrong POST count').strip().splitlines()[-1][:160]}"
    return Figure(f"scale {path}: {_offers(n)} at once / 1 offer",
                  f"x{ratio:.2f} ({seconds:.1f} s vs {single:.1f} s)",
                  f"<= {target:g}x" if target is not None else "reported", ok, note,
                  {"n": n, "seconds": round(seconds, 2), "single_seconds": round(single, 2), "ratio": round(ratio, 3),
                   "samples_s": [round(run.seconds, 2) for run in runs], "peak_rss_mib": round(peak, 1),
                   "rss_mib": [round(run.rss_mib, 1) for run in runs], "posts": [run.posts for run in runs],
                   "golive_seconds": golive_seconds})


def scale(work: Path, sizes: dict[str, list[int]], repeats: int, golive_seconds: float, budget: Budget,
          judge: bool) -> list[Figure]:
    """Per path, n offers of a ``golive_seconds`` go-live created at once, ``repeats`` times each, over one offer."""
    figures: list[Figure] = []
    for path, counts in sizes.items():
        if path == "plugin" and not plugin_available():
            figures += [Figure(f"scale plugin: {_offers(n)} at once / 1 offer", NOT_YET, "reported", None)
                        for n in counts]
            continue
        runs = {n: [_scale_run(work, path, n, r, golive_seconds, budget) for r in range(repeats)] for n in counts}
        single = statistics.median(run.seconds for run in runs[1])
        figures += [_scale_figure(path, n, runs[n], single, max(counts), golive_seconds, judge) for n in counts]
    return figures
