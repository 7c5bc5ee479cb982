"""pulumi-cpp-golive benchmarks: API cost, detection latency, engine overhead and scale, beside a naive client.

Loopback simulator only; every figure is a ratio or a count measured side by side in the same run. Run it with
``scripts/bench`` (``--quick`` for a smoke pass), which sets up the virtualenv and the engine. Prints a table and
writes ``benchmarks/results.json``. Exits 1 when a figure misses its target.

1. API cost: requests per go-live on a compressed clock (``GoLiveMachine(clock=, sleep=)`` and
   ``Simulator(clock=)`` share one fake clock) against the lower bound 1 POST + ceil(duration / interval) GETs.
2. Detection latency: real seconds from the simulator's end of the operation (its ``lastActionDateTime``) to
   ``create`` returning, median over go-lives of 2.1 to 2.9 s so that completion falls across the poll cycle.
3. Engine overhead: a no-change ``pulumi up`` of 1 and 50 OfferGoLive vs an empty stack, and the CPP requests a
   no-change ``up`` and a ``preview`` send.
4. Scale: N offers of a 5 s go-live at once (``--parallel 128``) over one offer, per path, with the provider
   process's peak RSS (from /proc, only under the measured ``pulumi`` process).
5. The naive client (``benchmarks/naive_client.py``) beside ours in 1 and 2.
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
from pathlib import Path
from typing import Any, Callable

from bench_common import ROOT, Figure, failed
from bench_core import api_cost, latency
from bench_engine import Budget, engine_overhead, scale

RESULTS = ROOT / "benchmarks" / "results.json"
BUDGET_SECONDS = 570.0  # the whole run stays under 10 minutes; engine runs get what is left of this


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


def _table(figures: list[Figure]) -> str:
    headers = ("figure", "measured", "target", "pass/miss")
    rows = [(f.name, f.measured, f.target, f.verdict + (f"  ({f.note})" if f.note else "")) for f in figures]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3] for row in [headers, *rows]]
    return "\n".join(lines)


def _run(quick: bool) -> list[Figure]:
    budget = Budget(BUDGET_SECONDS)
    figures = _section("API cost", lambda: api_cost([10, 60, 600], [60, 5]))
    figures += _section("detection latency", lambda: latency(3 if quick else 5))
    with tempfile.TemporaryDirectory(prefix="cpp-golive-bench-") as tmp:
        work = Path(tmp)
        figures += _section("engine overhead",
                            lambda: engine_overhead(work, [1, 10] if quick else [1, 50], 1 if quick else 3, budget))
        figures += _section("scale", lambda: scale(work, [1, 10] if quick else [1, 10, 50, 100], budget))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller N, fewer repeats (a smoke run)")
    args = parser.parse_args()
    started = time.monotonic()
    machine = _machine()
    figures = _run(args.quick)
    elapsed = time.monotonic() - started
    machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    passed, missed = sum(f.ok is True for f in figures), sum(f.ok is False for f in figures)
    print("\n" + _table(figures))
    print(f"\n{passed} passed, {missed} missed, {len(figures) - passed - missed} reported only; {elapsed:.0f} s "
          f"on {machine['nproc']} cores (load {machine['loadavg_at_start'][0]} -> {machine['loadavg_at_end'][0]}), "
          f"Python {machine['python']}, Pulumi {machine['pulumi']}")
    RESULTS.write_text(json.dumps({
        "machine": machine,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "quick": args.quick,
        "seconds": round(elapsed, 1),
        "summary": {"passed": passed, "missed": missed, "reported": len(figures) - passed - missed},
        "figures": [f.as_json() for f in figures],
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
