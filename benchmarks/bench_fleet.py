"""Fleets: many offers as many stacks (examples/automation/fleet.py, N at a time) against the same offers in one
stack, and one big stack of offers against as many do-nothing peers (what the engine itself costs there).

(a) ``fleet.py`` run as a user runs it (a subprocess, its own file backend), against one ``pulumi up`` of the same
    offers in one stack of ``benchmarks/program``, through the dynamic provider (4 calls at once per stack) and the
    plugin: wall time and go-live POSTs of each; then the fleet's re-run, which must send nothing.
(b) One creating ``up`` of M OfferGoLive (plugin) against one of M do-nothing plugin peers
    (``benchmarks/peer_plugin``): the ratio is what is ours. The peer again at M/10 shows the engine's own growth:
    a DIY backend writes the whole checkpoint after every step (pulumi/pulumi#10960), so 10 times the resources
    cost more than 10 times the time.

Each figure is one run (fresh simulator, fresh stacks), not a median: the 100-stack run alone takes minutes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bench_common import ROOT, Figure, start_sim
from bench_engine import Budget, _bin, _stack, _up_seconds, plugin_available

from pulumi_cpp_golive.simulator import Simulator
from tests.e2e.conftest import user_shell_env

FLEET = ROOT / "examples" / "automation" / "fleet.py"
POLL = "1"  # seconds between polls, for fleet.py and the one-stack runs alike
SUMMARY = re.compile(r"^summary: (?P<n>\d+) offers?: (?P<live>\d+) live, (?P<already>\d+) already live, "
                     r"(?P<failed>\d+) failed", re.M)


@dataclass
class FleetRun:
    seconds: float
    posts: int
    requests: int
    live: int
    already: int
    error: Optional[str]


def _fleet(work: Path, env: dict[str, str], offers: Path, parallel: int, sim: Simulator, budget: Budget) -> FleetRun:
    """One fleet.py run over ``offers``; POSTs and requests are what the simulator saw during it."""
    sim.reset_counts()
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(FLEET), "-f", str(offers), "--parallel", str(parallel),
                               "--base-url", sim.url, "--poll-interval", POLL], cwd=work, env=env,
                              capture_output=True, text=True, timeout=budget.left(3600), check=False)
    except subprocess.TimeoutExpired:
        return FleetRun(time.monotonic() - started, sim.count("POST", "/golive"), sim.count(), 0, 0, "timed out")
    seconds = time.monotonic() - started
    summary = SUMMARY.search(done.stdout)
    live = int(summary.group("live")) if summary else 0
    already = int(summary.group("already")) if summary else 0
    error = None if done.returncode == 0 and summary else (done.stdout + done.stderr)[-400:]
    return FleetRun(seconds, sim.count("POST", "/golive"), sim.count(), live, already, error)


@dataclass
class OneStack:
    seconds: float
    posts: int
    error: Optional[str]


def _one_stack(work: Path, name: str, n: int, kind: str, golive_seconds: float, budget: Budget) -> OneStack:
    """One creating ``up`` of n resources of ``kind`` (benchmarks/program) on a fresh simulator and stack."""
    sim = start_sim([f"vm{i}" for i in range(n)], golive_seconds=golive_seconds)
    try:
        stack = _stack(work, name, sim, n, kind, POLL)
        try:
            seconds = _up_seconds(stack, n, budget)
        except (AssertionError, subprocess.TimeoutExpired) as exc:
            return OneStack(0.0, sim.count("POST", "/golive"), str(exc).strip().splitlines()[-1][:200])
        return OneStack(seconds, sim.count("POST", "/golive"), None)
    finally:
        sim.stop()


def _versus(name: str, fleet: FleetRun, one: OneStack, n: int, parallel: int, path: str,
            golive_seconds: float) -> Figure:
    ratio = fleet.seconds / one.seconds if one.seconds else float("inf")
    broken = [text for text in (fleet.error, one.error) if text] + (
        [f"POSTs {fleet.posts} (fleet) / {one.posts} (one stack), not {n}"] if (fleet.posts, one.posts) != (n, n)
        else [])
    note = f"1 run each; {golive_seconds:g} s go-live, poll {POLL} s"
    if path == "dynamic provider":
        note += "; one stack: the dynamic host serves 4 calls at once"
    for text in broken:
        note += f"; failed: {text.strip().splitlines()[-1][:160]}"
    measured = f"x{ratio:.2f} ({fleet.seconds:.1f} s vs {one.seconds:.1f} s); POSTs {fleet.posts} / {one.posts}"
    return Figure(name, measured, "reported; 1 POST per offer in each", False if broken else None, note,
                  {"n": n, "parallel": parallel, "path": path, "fleet_seconds": round(fleet.seconds, 2),
                   "one_stack_seconds": round(one.seconds, 2), "ratio": round(ratio, 3), "fleet_posts": fleet.posts,
                   "one_stack_posts": one.posts, "golive_seconds": golive_seconds})


def fleet(work: Path, n: int, parallel: int, m: int, golive_seconds: float, budget: Budget) -> list[Figure]:
    """(a) n offers as n stacks, ``parallel`` at a time, against one stack of n; (b) m offers in one stack against m
    do-nothing peers, and the peer at m/10."""
    figures: list[Figure] = []
    root = work / "fleet"
    # (a) the fleet, then its re-run, on one simulator and one backend.
    sim = start_sim([f"vm{i}" for i in range(n)], golive_seconds=golive_seconds)
    try:
        env = user_shell_env(root / f"fleet-{n}", _bin())
        offers = root / f"fleet-{n}" / "offers.txt"
        offers.write_text("".join(f"contoso/vm{i}\n" for i in range(n)))
        first = _fleet(root, env, offers, parallel, sim, budget)
        again = _fleet(root, env, offers, parallel, sim, budget)
    finally:
        sim.stop()
    one_dynamic = _one_stack(root, f"one-dynamic-{n}", n, "dynamic", golive_seconds, budget)
    figures.append(_versus(f"fleet: {n} offers as {n} stacks, {parallel} at a time / {n} in 1 stack (dynamic provider)",
                           first, one_dynamic, n, parallel, "dynamic provider", golive_seconds))
    if plugin_available():
        one_plugin = _one_stack(root, f"one-plugin-{n}", n, "plugin", golive_seconds, budget)
        figures.append(_versus(f"fleet: {n} offers as {n} stacks, {parallel} at a time / {n} in 1 stack (plugin)",
                               first, one_plugin, n, parallel, "plugin", golive_seconds))
    rerun_ok = again.error is None and again.requests == 0 and again.already == n
    figures.append(Figure(
        f"fleet: re-run of {n} stacks, {parallel} at a time: requests, already live",
        f"{again.requests} requests, {again.already} already live, {again.seconds:.1f} s",
        f"0 requests, {n} already live", rerun_ok,
        "1 run; every up a no-op" + (f"; failed: {again.error.strip().splitlines()[-1][:160]}" if again.error else ""),
        {"n": n, "parallel": parallel, "seconds": round(again.seconds, 2), "requests": again.requests,
         "posts": again.posts, "already_live": again.already}))
    # (b) one big stack: ours against the do-nothing peer, and the peer at a tenth of the size.
    if not plugin_available():
        figures.append(Figure(f"fleet: {m} offers in 1 stack / {m} do-nothing in 1 stack (plugin)",
                              "not run (no plugin SDK)", "reported", None))
        return figures
    ours = _one_stack(root, f"big-plugin-{m}", m, "plugin", golive_seconds, budget)
    peer = _one_stack(root, f"big-peer-{m}", m, "peer-plugin", golive_seconds, budget)
    small = _one_stack(root, f"small-peer-{m // 10}", m // 10, "peer-plugin", golive_seconds, budget)
    broken = [text for text in (ours.error, peer.error) if text]
    if ours.posts != m:
        broken.append(f"{ours.posts} POSTs, not {m}")
    peer_broken = [text for text in (peer.error, small.error) if text]
    ratio = ours.seconds / peer.seconds if peer.seconds else float("inf")
    note = f"1 run each; creating up, {golive_seconds:g} s go-live, poll {POLL} s; POSTs {ours.posts}"
    for text in broken:
        note += f"; failed: {text.strip().splitlines()[-1][:160]}"
    figures.append(Figure(f"fleet: {m} offers in 1 stack / {m} do-nothing in 1 stack (plugin)",
                          f"x{ratio:.2f} ({ours.seconds:.1f} s vs {peer.seconds:.1f} s)", "reported",
                          False if broken else None, note,
                          {"m": m, "seconds": round(ours.seconds, 2), "peer_seconds": round(peer.seconds, 2),
                           "ratio": round(ratio, 3), "posts": ours.posts, "golive_seconds": golive_seconds}))
    growth = peer.seconds / small.seconds if small.seconds else float("inf")
    figures.append(Figure(f"fleet: {m} do-nothing in 1 stack / {m // 10} do-nothing in 1 stack (plugin peer)",
                          f"x{growth:.2f} ({peer.seconds:.1f} s vs {small.seconds:.1f} s)",
                          "reported (x10 would be linear)", False if peer_broken else None,
                          "1 run each; creating up; the engine's checkpoint after every step (pulumi/pulumi#10960)"
                          + "".join(f"; failed: {text.strip().splitlines()[-1][:160]}" for text in peer_broken),
                          {"m": m, "small": m // 10, "seconds": round(peer.seconds, 2),
                           "small_seconds": round(small.seconds, 2), "ratio": round(growth, 3)}))
    return figures
