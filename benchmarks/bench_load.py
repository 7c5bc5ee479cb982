"""Never twice under load (issue 16, findings 1 and 13): 32 offers go live at once, each go-live POST answered with
its status line and headers at once and its body only after a stall longer than ``requestTimeout``, while the
list the provider adopts from shows each new go-live only seconds later.

Every go-live exists the moment its POST arrives (``stall_post_body_seconds``), so each create's POST times out
on the body: an ambiguous answer. The promise is that each offer is posted once: the provider looks at the list
and adopts (``adoptTimeout`` covers the list's lag), never re-posts. The figure is the POSTs the simulator
received in each of repeated fresh runs (a new simulator, a new provider), target exactly one per offer, with
every create ending ``succeeded``; the wall time of each run (first create to last return) is reported.

The 32 creates run on their own threads through one ``OfferGoLiveProvider``, configured as the fault tests'
``make_dynamic`` configures it (``tests/faults/test_pi_faults.py``), as the dynamic provider's host would run
them. On the Product Ingestion (PI) API the list is the product's submission listing (``pi_list_lag_seconds``);
on CPP it is the offer's operations list (``list_lag_seconds``) and the stalled body that of the 202.

Run alone: ``.venv/bin/python benchmarks/bench.py --only load [--quick]`` (``scripts/bench --only load`` sets up
the engine first, which these rows do not need).
"""

from __future__ import annotations

import collections
import contextlib
import io
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from bench_common import TOKEN, Figure, start_sim

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.resource import API_CPP, API_PRODUCT_INGESTION
from pulumi_cpp_golive.simulator import Simulator
from tests.integration.conftest import configured_provider

OFFERS = 32
STALL_S = 3.0  # the POST's body waits this long ...
REQUEST_TIMEOUT_S = 1.0  # ... beyond the provider's limit on one request
LIST_LAG_S = 4.0  # the list shows a go-live this long after it was created
ADOPT_TIMEOUT_S = 15.0  # how long the provider looks for an ambiguous POST's go-live: well over the lag
POLL_S = 0.5
# A go-live outlasts the list's lag, as a real one (hours) outlasts a list's seconds of lag: the provider adopts it
# running. CPP's go-live; PI's job, then its rollout.
GOLIVE_S = 6.0
PI_JOB_S, PI_ROLLOUT_S = 3.0, 3.0
PI_VERSION = "2022-07-01"
RUN_DEADLINE_S = 60.0  # a run whose creates have not all returned by then is reported hung
START_DEADLINE_S = 30.0  # the threads' meeting point before the creates start at once
PUBLISHER = "contoso"


@dataclass(frozen=True)
class Api:
    """One API's side of the row: its name, its simulator options, its provider config and its POST route."""

    label: str
    api: str
    post_key: str  # the simulator journal's counting key of the go-live POST
    sim_options: dict[str, Any]
    add: Callable[[Simulator, str], object]  # puts one offer, ready to go live, into the simulator

    def provider(self, sim: Simulator) -> OfferGoLiveProvider:
        common = {"cpp-golive:pollInterval": str(POLL_S), "cpp-golive:adoptTimeout": str(ADOPT_TIMEOUT_S),
                  "cpp-golive:requestTimeout": str(REQUEST_TIMEOUT_S)}
        if self.api == API_PRODUCT_INGESTION:
            return configured_provider({"cpp-golive:productIngestionUrl": sim.pi_url,
                                        "cpp-golive:productIngestionToken": TOKEN,
                                        "cpp-golive:productIngestionVersion": PI_VERSION, **common})
        return configured_provider({"cpp-golive:baseUrl": sim.url, "cpp-golive:accessToken": TOKEN, **common})


PI = Api("PI", API_PRODUCT_INGESTION, "POST /configure",
         {"pi_list_lag_seconds": LIST_LAG_S, "pi_job_seconds": PI_JOB_S, "pi_rollout_seconds": PI_ROLLOUT_S},
         lambda sim, offer: sim.add_product(offer, state="ready"))
CPP = Api("CPP", API_CPP, "POST /golive", {"list_lag_seconds": LIST_LAG_S, "golive_seconds": GOLIVE_S},
          lambda sim, offer: sim.add_offer(PUBLISHER, offer, state="ready"))


@dataclass
class Run:
    """What one run of OFFERS creates at once sent and how each ended."""

    posts: int
    post_answers: dict[str, int]  # how the POSTs were answered ("none": the connection was dropped)
    posted_twice: Optional[int]  # offers that got more than one POST (None: the journal cannot tell, PI's path)
    seconds: float  # first create started to last create returned (or the deadline)
    outcomes: dict[str, int]  # "succeeded", another status, an exception's class, or "hung"
    errors: list[str] = field(default_factory=list)  # the first line of each distinct error


def _generic(text: str) -> str:
    """An error line with the offer and the simulator's port taken out, so that 32 alike errors are one."""
    return re.sub(r"\bvm\d+\b", "vmN", re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text))


def _offers() -> list[str]:
    return [f"vm{i + 1}" for i in range(OFFERS)]


def _one_run(api: Api) -> Run:
    sim = start_sim(offers=(), stall_post_body_seconds=STALL_S, **api.sim_options)
    try:
        for offer in _offers():
            api.add(sim, offer)
        provider = api.provider(sim)
        outcomes: dict[str, str] = {}
        errors: dict[str, str] = {}
        meet = threading.Barrier(OFFERS + 1)

        def create(offer: str) -> None:
            meet.wait(START_DEADLINE_S)
            props = {"publisher_id": PUBLISHER, "offer_id": offer, "api": api.api, "wait": "completed"}
            try:
                outs = provider.create(props).outs or {}
                outcomes[offer] = str(outs.get("status"))
            except Exception as exc:  # the figure reports every way a create ends
                outcomes[offer] = type(exc).__name__
                errors[offer] = _generic((str(exc).strip().splitlines() or [""])[0][:300])

        threads = [threading.Thread(target=create, args=(offer,), name=f"load-{offer}", daemon=True)
                   for offer in _offers()]
        # The provider reports progress on stderr, as the dynamic host shows it; 32 go-lives' lines are not ours.
        with contextlib.redirect_stderr(io.StringIO()):
            for thread in threads:
                thread.start()
            meet.wait(START_DEADLINE_S)
            started = time.monotonic()
            deadline = started + RUN_DEADLINE_S
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            seconds = time.monotonic() - started
        ended = collections.Counter(outcomes.get(offer, "hung") for offer in _offers())
        posts = [r for r in sim.requests if r.key == api.post_key]
        answers = collections.Counter("none" if r.status is None else str(r.status) for r in posts)
        twice: Optional[int] = None
        if api.api == API_CPP:  # CPP's POST path names the offer; PI's configure body does, which is not journaled
            per_offer = collections.Counter(r.path for r in posts)
            twice = sum(1 for n in per_offer.values() if n > 1)
        return Run(len(posts), dict(sorted(answers.items())), twice, round(seconds, 2), dict(sorted(ended.items())),
                   sorted(set(errors.values())))
    finally:
        sim.stop()


def _figure(api: Api, runs: list[Run], wanted: int) -> Figure:
    posts = [run.posts for run in runs]
    live = [run.outcomes.get("succeeded", 0) for run in runs]
    seconds = [run.seconds for run in runs]
    ok = len(runs) == wanted and all(n == OFFERS for n in posts) and all(n == OFFERS for n in live)
    name = (f"load {api.label}: {OFFERS} at once, POST body stall {STALL_S:g} s > timeout {REQUEST_TIMEOUT_S:g} s, "
            f"list lag {LIST_LAG_S:g} s")
    measured = f"POSTs {' '.join(map(str, posts))}; median {statistics.median(seconds):.1f} s"
    target = f"{OFFERS} POSTs in each of {wanted} runs, all {OFFERS} live"
    answers: collections.Counter[str] = collections.Counter()
    outcomes: collections.Counter[str] = collections.Counter()
    for run in runs:
        answers.update(run.post_answers)
        outcomes.update(run.outcomes)
    twice = [run.posted_twice for run in runs]
    note = (f"{len(runs)} fresh runs; live per run {' '.join(map(str, live))}; POST answers "
            + ", ".join(f"{status}: {n}" for status, n in sorted(answers.items()))
            + (f"; offers posted twice or more per run {' '.join(map(str, twice))}" if api.api == API_CPP else "")
            + f"; adoptTimeout {ADOPT_TIMEOUT_S:g} s")
    values = {"offers": OFFERS, "runs": len(runs), "posts": posts, "live": live, "seconds": seconds,
              "median_s": round(statistics.median(seconds), 2), "post_answers": dict(sorted(answers.items())),
              "outcomes": dict(sorted(outcomes.items())),
              "errors": sorted({e for run in runs for e in run.errors})[:10], "stall_s": STALL_S,
              "request_timeout_s": REQUEST_TIMEOUT_S, "list_lag_s": LIST_LAG_S, "adopt_timeout_s": ADOPT_TIMEOUT_S,
              "golive_s": GOLIVE_S if api.api == API_CPP else PI_JOB_S + PI_ROLLOUT_S, "poll_s": POLL_S}
    if api.api == API_CPP:
        values["posted_twice"] = twice
    return Figure(name, measured, target, ok, note, values)


def load(runs: int, left: Callable[[], float] = lambda: float("inf")) -> list[Figure]:
    """``runs`` fresh runs per API, PI first; ``left()`` is the run's remaining budget in seconds (a run is not
    started without RUN_DEADLINE_S of it)."""
    figures = []
    for api in (PI, CPP):
        done: list[Run] = []
        for number in range(runs):
            if left() < RUN_DEADLINE_S:
                break  # the figure then misses: fewer runs than wanted
            done.append(_one_run(api))
            print(f"bench: load {api.label} run {number + 1}/{runs}: {done[-1].posts} POSTs, "
                  f"{done[-1].seconds:.1f} s, {done[-1].outcomes}", file=sys.stderr, flush=True)
        figures.append(_figure(api, done, runs) if done else
                       Figure(f"load {api.label}: could not run", "error", "runs", False, "time budget spent"))
    return figures
