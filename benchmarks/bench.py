"""pulumi-cpp-golive benchmarks: API cost, detection latency, throttling, engine overhead and scale.

Loopback simulator only; every figure is a ratio or a count measured side by side in the same run, and every time
figure is a median of repeated runs. Run it with ``scripts/bench`` (``--quick`` for a smoke pass), which sets up the
virtualenv and the engine. Prints a table; the full run writes ``benchmarks/results.json``. Exits 1 when a figure
misses its target or a run fails.

1. API cost: requests per go-live on a compressed clock (``GoLiveMachine(clock=, sleep=)`` and
   ``Simulator(clock=)`` share one fake clock) against the lower bound 1 POST + ceil(duration / interval) GETs,
   beside the naive client (``benchmarks/naive_client.py``). The same for the Product Ingestion API
   (``bench_pi.py``): against 2 reads + 1 POST + ceil(job / interval) job GETs + ceil(rollout / interval) listing
   GETs, beside ``benchmarks/naive_pi_client.py``, which watches the job only and returns before the rollout ends.
2. Detection latency: real seconds from the simulator's end of the operation (its ``lastActionDateTime``) to
   ``create`` returning, median over go-lives of 2.1 to 2.9 s so that completion falls across the poll cycle.
3. Throttling: a window of 429 answers with ``Retry-After`` (how Azure front ends throttle) opening at the go-live
   POST: requests answered 429, POSTs, and time to return, beside the naive client.
4. Engine overhead: a no-change ``pulumi up`` of N OfferGoLive against N do-nothing resources of the same provider
   kind (``benchmarks/program``'s peers, ``benchmarks/peer_plugin``), per path, and the CPP requests a no-change
   ``up`` and a ``preview`` send.
5. Scale: N offers of a 5 s go-live at once over one offer, per path, median of 3 fresh runs each, with the
   provider process's peak RSS (from /proc, only under the measured ``pulumi`` process).
6. Load (``bench_load.py``): 32 go-lives at once through the dynamic provider whose POST bodies stall past
   ``requestTimeout`` while the list shows them seconds late, per API: POSTs per run in 10 fresh runs, target
   exactly 32 in each.
7. Fleets (``bench_fleet.py``): 100 offers as 100 stacks, 8 at a time (``examples/automation/fleet.py``), against
   100 offers in one stack (dynamic provider, plugin): wall time and POSTs, and the fleet's re-run (0 requests);
   1,000 offers in one stack against 1,000 do-nothing plugin peers, and those peers against 100 of them. One run
   each; ``--quick``: 10 offers, 4 at a time, and 100 against 100.

``--quick`` runs each kind at tiny sizes once (the load rows: 2 runs of the same 32 offers): counts and failures
are judged, timing targets are not (each such row says so), the naive client runs only on the compressed clock,
and results.json is left alone.

``--only SECTION`` (repeatable) runs those sections alone. Without ``--quick`` it then updates results.json in
place: a figure of the same name is replaced where it stands, a new one is appended, every other figure and the
last full run's machine, timestamp and seconds are kept, the summary is counted again, and ``partial_runs``
records when and where each such run was made.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bench_common import ROOT, SMOKE, Figure, failed
from bench_core import api_cost, latency, throttled
from bench_engine import Budget, engine_overhead, scale
from bench_fleet import fleet
from bench_load import load
from bench_pi import pi_api_cost
from bench_publish import publish_api_cost

RESULTS = ROOT / "benchmarks" / "results.json"
# Upper bounds of a whole run (engine runs get what is left); far above what a quiet machine needs (see README).
BUDGET_SECONDS = {"full": 2400.0, "quick": 300.0}
# What --only selects, in the order a full run measures them.
SECTIONS = ("api", "pi", "publish", "latency", "throttling", "engine", "scale", "load", "fleet")


@dataclass(frozen=True)
class Plan:
    """Sizes and repeats of one run."""

    latency_repeats: int
    throttle_repeats: int
    baselines: tuple[str, ...]  # who runs the real-clock sections: ours, and the naive client beside it
    overhead_n: int
    overhead_repeats: int
    scale_sizes: dict[str, list[int]]
    scale_repeats: int
    golive_seconds: float
    load_runs: int
    fleet_offers: int  # offers as that many stacks (fleet.py) and in one stack
    fleet_parallel: int  # fleet.py --parallel
    fleet_one_stack: int  # offers in one stack against as many do-nothing peers


FULL = Plan(latency_repeats=5, throttle_repeats=3, baselines=("ours", "naive"), overhead_n=50, overhead_repeats=5,
            scale_sizes={"dynamic provider": [1, 20], "plugin": [1, 100, 500, 1000]}, scale_repeats=3,
            golive_seconds=5.0, load_runs=10, fleet_offers=100, fleet_parallel=8, fleet_one_stack=1000)
QUICK = Plan(latency_repeats=1, throttle_repeats=1, baselines=("ours",), overhead_n=2, overhead_repeats=1,
             scale_sizes={"dynamic provider": [1, 2], "plugin": [1, 3]}, scale_repeats=1, golive_seconds=1.0,
             load_runs=2, fleet_offers=10, fleet_parallel=4, fleet_one_stack=100)


def _section(name: str, run: Callable[[], list[Figure]]) -> list[Figure]:
    started = time.monotonic()
    print(f"bench: {name}...", file=sys.stderr, flush=True)
    try:
        figures = run()
    except Exception as exc:  # one broken section must not hide the others' figures
        figures = [failed(name, exc)]
    print(f"bench: {name} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return figures


def _pulumi_version() -> str:
    try:
        done = subprocess.run(["pulumi", "version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        return f"unknown ({exc})"
    return done.stdout.strip() or "unknown"


def _machine() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "pulumi": _pulumi_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _table(rows: list[tuple[str, str, str, str]], last: str = "pass/miss") -> str:
    headers = ("figure", "measured", "target", last)
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3] for row in [headers, *rows]]
    return "\n".join(lines)


def _summary(passed: int, missed: int, reported: int, seconds: float) -> str:
    return f"{passed} passed, {missed} missed, {reported} reported only; {seconds:.0f} s"


def readme_table() -> str:
    """The README's Performance block, from benchmarks/results.json (tests/unit/test_readme_figures.py checks it)."""
    results = json.loads(RESULTS.read_text())
    rows = [(f["figure"], f["measured"], f["target"], "-" if f["pass"] is None else ("pass" if f["pass"] else "MISS"))
            for f in results["figures"]]
    summary = results["summary"]
    return (_table(rows, "result") + "\n\n"
            + _summary(summary["passed"], summary["missed"], summary["reported"], results["seconds"]))


def _run(quick: bool, only: tuple[str, ...] = ()) -> list[Figure]:
    """The sections in ``only`` (every one when empty), in the order of :data:`SECTIONS`."""
    plan, judge = (QUICK, False) if quick else (FULL, True)
    budget = Budget(BUDGET_SECONDS["quick" if quick else "full"])
    figures: list[Figure] = []

    def section(key: str, name: str, run: Callable[[], list[Figure]]) -> None:
        if not only or key in only:
            figures.extend(_section(name, run))

    section("api", "API cost", lambda: api_cost([10, 60, 600], [60, 5]))
    section("pi", "PI API cost", pi_api_cost)  # compressed clock, so --quick runs it whole
    section("publish", "publish API cost", publish_api_cost)  # compressed clock too
    section("latency", "detection latency", lambda: latency(plan.latency_repeats, plan.baselines, judge))
    section("throttling", "throttling", lambda: throttled(plan.throttle_repeats, plan.baselines, judge))
    with tempfile.TemporaryDirectory(prefix="cpp-golive-bench-") as tmp:
        work = Path(tmp)
        section("engine", "engine overhead",
                lambda: engine_overhead(work, plan.overhead_n, plan.overhead_repeats, budget, judge))
        section("scale", "scale", lambda: scale(work, plan.scale_sizes, plan.scale_repeats, plan.golive_seconds,
                                                budget, judge))
    section("load", "load", lambda: load(plan.load_runs, lambda: budget.deadline - time.monotonic()))
    with tempfile.TemporaryDirectory(prefix="cpp-golive-bench-fleet-") as tmp:
        section("fleet", "fleet", lambda: fleet(Path(tmp), plan.fleet_offers, plan.fleet_parallel,
                                                plan.fleet_one_stack, plan.golive_seconds, budget))
    return figures


def _merged(figures: list[Figure], only: tuple[str, ...], machine: dict[str, Any], seconds: float,
            timestamp: str) -> dict[str, Any]:
    """results.json with the figures of an ``--only`` run put in (see the module docstring)."""
    results: dict[str, Any] = json.loads(RESULTS.read_text())
    rows: list[dict[str, Any]] = results["figures"]
    at = {row["figure"]: index for index, row in enumerate(rows)}
    for figure in figures:
        if figure.name in at:
            rows[at[figure.name]] = figure.as_json()
        else:
            rows.append(figure.as_json())
    passed, missed = sum(row["pass"] is True for row in rows), sum(row["pass"] is False for row in rows)
    results["summary"] = {"passed": passed, "missed": missed, "reported": len(rows) - passed - missed}
    results.setdefault("partial_runs", {})[",".join(only)] = {
        "timestamp": timestamp, "seconds": round(seconds, 1), "machine": machine,
        "figures": [figure.name for figure in figures]}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: tiny sizes, once each; timing targets not judged; results.json untouched")
    parser.add_argument("--only", action="append", choices=SECTIONS, default=[], metavar="SECTION",
                        help=f"run only this section (repeatable: {', '.join(SECTIONS)}); without --quick, update "
                        "its figures in results.json and keep the others")
    parser.add_argument("--readme-table", action="store_true",
                        help="run nothing; print the README's Performance block from benchmarks/results.json")
    args = parser.parse_args()
    if args.readme_table:
        print(readme_table())
        return 0
    only = tuple(key for key in SECTIONS if key in args.only)
    started = time.monotonic()
    machine = _machine()
    figures = _run(args.quick, only)
    elapsed = time.monotonic() - started
    machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    passed, missed = sum(f.ok is True for f in figures), sum(f.ok is False for f in figures)
    unjudged = sum(SMOKE in f.note for f in figures)
    print("\n" + _table([(f.name, f.measured, f.target, f.verdict + (f"  ({f.note})" if f.note else ""))
                          for f in figures]))
    print(f"\n{_summary(passed, missed, len(figures) - passed - missed, elapsed)} on {machine['nproc']} cores "
          f"(load {machine['loadavg_at_start'][0]} -> {machine['loadavg_at_end'][0]}), "
          f"Python {machine['python']}, Pulumi {machine['pulumi']}")
    if args.quick:
        print(f"quick run: {unjudged} timing targets measured but not judged (tiny sizes, one run), the naive "
              f"client's real-clock rows skipped; {RESULTS.relative_to(ROOT)} left as it was")
    else:
        timestamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        results = _merged(figures, only, machine, elapsed, timestamp) if only else {
            "machine": machine,
            "timestamp": timestamp,
            "seconds": round(elapsed, 1),
            "summary": {"passed": passed, "missed": missed, "reported": len(figures) - passed - missed},
            "figures": [f.as_json() for f in figures],
        }
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"{'updated' if only else 'wrote'} {RESULTS.relative_to(ROOT)}"
              + (f" (the figures of {', '.join(only)}; the others kept)" if only else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
