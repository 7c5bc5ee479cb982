"""API cost of a Product Ingestion (PI) go-live, ours beside the naive script, on a compressed clock.

A PI go-live is two waits (docs/product-ingestion-api.md §4-§5): the configure job, then the live rollout, which
the simulator completes ``pi_rollout_seconds`` after the job. Polling each no faster than once per interval, the
fewest requests a client can send that reports the go-live only when both say so are:

    2 reads before the POST (the product by external ID, the submission listing for the preview ID)
    + 1 POST configure + ceil(job / interval) job-status GETs + ceil(rollout / interval) listing GETs

Ours (``GoLiveMachine`` over ``PiOfferApi``) is judged against that bound plus :data:`SLACK`; the naive script
(``naive_pi_client.py``) only watches the job, so it is cheaper and returns before the rollout has completed: how
much earlier, in simulated seconds, is the point of the comparison. Simulator and client share one
:class:`~bench_core.FakeClock`, so an hour-long go-live costs milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import requests
from bench_common import TOKEN, Figure, start_sim
from bench_core import FakeClock
from naive_pi_client import naive_pi_golive

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.golive import GoLiveMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.pi_api import PiOfferApi
from pulumi_cpp_golive.pi_client import PiClient
from pulumi_cpp_golive.resource import API_PRODUCT_INGESTION
from pulumi_cpp_golive.simulator import Simulator
from pulumi_cpp_golive.status import SUCCEEDED

OFFER = "vm1"  # the product's external ID
PUBLISHER = "contoso"  # names the seller in the resource ID only; PI has no publisher in its paths
VERSION = "2022-07-01"
# Requests over the bound we accept: the first job read right after the POST answered, the listing read that
# confirms the rollout in the same poll as the job's completion, and one spare.
SLACK = 3
# How finely the live entry's completion is located on the simulated clock (seconds).
RESOLUTION = 0.01


@dataclass(frozen=True)
class Case:
    """One go-live: how long the job runs, how long the rollout runs after it, and the poll interval (seconds)."""

    job: float
    rollout: float
    interval: float

    @property
    def job_gets(self) -> int:
        return math.ceil(self.job / self.interval)

    @property
    def listing_gets(self) -> int:
        return math.ceil(self.rollout / self.interval)

    @property
    def bound(self) -> int:
        """The lower bound of the module docstring."""
        return 2 + 1 + self.job_gets + self.listing_gets

    @property
    def label(self) -> str:
        return f"job {self.job:g} s + rollout {self.rollout:g} s, poll {self.interval:g} s"


# Every interval is at least PI's one poll a minute (docs/product-ingestion-api.md §4); one public client polls 300 s.
CASES = (Case(600, 3000, 60), Case(600, 3000, 300), Case(90, 150, 60))


@dataclass(frozen=True)
class Run:
    """What one client's go-live cost and when it returned against when the live entry completed."""

    counts: dict[str, int]
    returned_at: float  # simulated clock reading
    live_done_at: float  # simulated clock reading at which the listing first shows the live entry completed
    done_on_return: bool  # whether the listing showed the live entry completed when the client returned
    outcome: str  # ours: the record's status; naive: "returned"


def _live_entry(sim: Simulator, guid: str) -> dict[str, Any]:
    """The live entry of the product's listing (``{}`` while there is none), read with a plain GET."""
    answer = requests.get(f"{sim.pi_url}/submission/{guid}", params={"$version": VERSION},
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    answer.raise_for_status()
    entries = answer.json()["value"]
    return next((e for e in entries if e["target"]["targetType"] == "live"), {})


def _done(sim: Simulator, guid: str, clock: FakeClock, at: float) -> bool:
    """Whether the listing shows the live entry completed at clock reading ``at``.

    The simulator computes every status from the clock on each GET and changes nothing on a GET, so setting the
    fake clock to any reading, an earlier one too, and reading there is harmless.
    """
    clock.now = at
    return _live_entry(sim, guid).get("status") == "completed"


def _live_done_at(sim: Simulator, guid: str, clock: FakeClock, horizon: float) -> float:
    """The clock reading at which the live entry first reads ``completed`` (at most :data:`RESOLUTION` late),
    bisected between 0 (before any go-live) and ``horizon``."""
    low, high = 0.0, horizon
    if not _done(sim, guid, clock, high):
        raise RuntimeError(f"the live entry had not completed {horizon:g} simulated seconds in")
    while high - low > RESOLUTION:
        middle = (low + high) / 2
        low, high = (low, middle) if _done(sim, guid, clock, middle) else (middle, high)
    return high


def _ours(sim: Simulator, case: Case, clock: FakeClock) -> str:
    client = PiClient(sim.pi_url, StaticTokenCredential(TOKEN), version=VERSION, retry_backoff=0.0)
    machine = GoLiveMachine(PiOfferApi(client), default_poll_interval=case.interval, report=lambda _line: None,
                            clock=clock, sleep=clock.sleep)
    return machine.create(GoLiveSpec(PUBLISHER, OFFER, api=API_PRODUCT_INGESTION)).status


def _run(who: str, case: Case) -> Run:
    horizon = 2 * (case.job + case.rollout) + 10 * case.interval
    clock = FakeClock(limit=horizon)
    sim = start_sim(offers=(), clock=clock, pi_job_seconds=case.job, pi_rollout_seconds=case.rollout)
    try:
        guid = sim.add_product(OFFER, state="ready")
        if who == "ours":
            outcome = _ours(sim, case, clock)
        else:
            naive_pi_golive(sim.pi_url, TOKEN, OFFER, case.interval, clock.sleep)
            outcome = "returned"
        counts, returned_at = sim.counts(), clock.now  # before the probes below add their own GETs
        done_on_return = _done(sim, guid, clock, returned_at)
        return Run(counts, returned_at, _live_done_at(sim, guid, clock, horizon), done_on_return, outcome)
    finally:
        sim.stop()


def _figure(who: str, case: Case) -> Figure:
    run = _run(who, case)
    product, listing, posts, job = (run.counts.get(key, 0) for key in
                                    ("GET /product", "GET /submission", "POST /configure", "GET /configure-status"))
    total = sum(run.counts.values())
    early = 0.0 if run.done_on_return else run.live_done_at - run.returned_at
    late = max(0.0, run.returned_at - run.live_done_at)
    values = {"total": total, "posts": posts, "job_status_gets": job, "listing_gets": listing,
              "product_gets": product, "lower_bound": case.bound, "slack": SLACK, "job_s": case.job,
              "rollout_s": case.rollout, "interval_s": case.interval, "early_s": round(early, 1),
              "after_live_done_s": round(late, 1), "done_on_return": run.done_on_return, "outcome": run.outcome,
              "counts": run.counts}
    measured = f"{total} = {posts} POST + {job} job GET + {listing} listing + {product} product"
    if who == "ours":
        ok = posts == 1 and total <= case.bound + SLACK and run.outcome == SUCCEEDED and run.done_on_return
        target = f"1 POST, <= {case.bound + SLACK} (bound {case.bound} + {SLACK}), returns after the rollout"
        note = (f"bound = 1 product + 1 listing + 1 POST + ceil({case.job:g}/{case.interval:g}) job GETs + "
                f"ceil({case.rollout:g}/{case.interval:g}) listing GETs; {total - case.bound:+d} on it; returned "
                f"{late:.0f} s after the live entry completed")
        return Figure(f"PI API cost ours: {case.label}", measured, target, ok, note, values)
    note = (f"baseline: watches the job only, so it returned {early:.0f} s before the live entry completed "
            "(misses the rollout)")
    target = f"baseline (bound {case.bound} includes the rollout)"
    return Figure(f"PI API cost naive: {case.label}", measured, target, None, note, values)


def pi_api_cost(cases: tuple[Case, ...] = CASES) -> list[Figure]:
    """Ours, then the naive script, for each case."""
    return [_figure(who, case) for case in cases for who in ("ours", "naive")]
