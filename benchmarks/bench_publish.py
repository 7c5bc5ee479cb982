"""API cost of a publish to preview (``OfferPublish``), ours on each API, against its lower bound (compressed clock).

Polling no faster than once per interval, the fewest requests a client can send that reports the preview ready
only when the API says so are:

    the survey (CPP: the running operations, the offer status; PI: the product, the submission listing)
    + 1 POST + ceil(D / interval) reads of the operation (D: how long the publish runs until its preview is ready;
      PI: the job until it completes, then the listing until the new preview entry completes)

Ours (``OperationMachine`` over ``CppPublishApi`` / ``PiPublishApi``) is judged against that bound plus
:data:`SLACK`: the first read right after the POST, and (PI) the listing read that confirms the preview in the same
poll as the job's completion. Simulator and client share one :class:`~bench_core.FakeClock`, so a day-long publish
costs milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench_common import PUBLISHER, TOKEN, Figure, start_sim
from bench_core import FakeClock

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.cpp_publish_api import CppPublishApi
from pulumi_cpp_golive.golive import OperationMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.offer_api import OfferApi
from pulumi_cpp_golive.pi_client import PiClient
from pulumi_cpp_golive.pi_publish_api import PiPublishApi
from pulumi_cpp_golive.resource import API_CPP, API_PRODUCT_INGESTION, WAIT_PREVIEW
from pulumi_cpp_golive.status import SUCCEEDED

OFFER = "vm1"
SURVEY = 2  # CPP: operations list + offer status; PI: product + listing (one page)
SLACK = 2


@dataclass(frozen=True)
class Case:
    api: str
    duration: float  # seconds until the preview is ready
    interval: float

    @property
    def bound(self) -> int:
        return SURVEY + 1 + math.ceil(self.duration / self.interval)

    @property
    def label(self) -> str:
        return f"{self.api}, {self.duration:g} s publish, poll {self.interval:g} s"


CASES = tuple(Case(api, duration, interval) for api in (API_CPP, API_PRODUCT_INGESTION)
              for duration, interval in ((600.0, 60.0), (86_400.0, 300.0)))


def _run(case: Case) -> tuple[dict[str, int], str]:
    clock = FakeClock(limit=2 * case.duration + 10 * case.interval)
    if case.api == API_CPP:
        sim = start_sim(offers=(), clock=clock, publish_seconds=case.duration)
        sim.add_offer(PUBLISHER, OFFER, state="never-published")
        api: OfferApi = CppPublishApi(CppClient(sim.url, StaticTokenCredential(TOKEN), retry_backoff=0.0))
    else:
        # The job runs a third of the publish; the preview entry completes at the end.
        sim = start_sim(offers=(), clock=clock, publish_seconds=case.duration, pi_job_seconds=case.duration / 3)
        sim.add_product(OFFER, state="draft")
        api = PiPublishApi(PiClient(sim.pi_url, StaticTokenCredential(TOKEN), retry_backoff=0.0))
    try:
        machine = OperationMachine(api, default_poll_interval=case.interval, report=lambda _line: None,
                                   clock=clock, sleep=clock.sleep)
        record = machine.create(GoLiveSpec(PUBLISHER, OFFER, api=case.api, wait=WAIT_PREVIEW,
                                           notification_emails=("release@example.com",)))
        return sim.counts(), record.status
    finally:
        sim.stop()


def _figure(case: Case) -> Figure:
    counts, status = _run(case)
    total = sum(counts.values())
    posts = counts.get("POST /publish", 0) + counts.get("POST /configure preview", 0)
    others = sum(n for key, n in counts.items() if key.startswith("POST")) - posts
    reads = total - posts
    ok = posts == 1 and others == 0 and status == SUCCEEDED and total <= case.bound + SLACK
    return Figure(
        f"publish API cost ours: {case.label}",
        f"{total} = {posts} POST + {reads} GET",
        f"1 POST, <= {case.bound + SLACK} (bound {case.bound} + {SLACK}), ends succeeded",
        ok,
        f"bound = {SURVEY} survey + 1 POST + ceil({case.duration:g}/{case.interval:g}) reads; "
        f"{total - case.bound:+d} on it",
        {"total": total, "posts": posts, "gets": reads, "lower_bound": case.bound, "slack": SLACK,
         "duration_s": case.duration, "interval_s": case.interval, "status": status, "counts": counts})


def publish_api_cost(cases: tuple[Case, ...] = CASES) -> list[Figure]:
    return [_figure(case) for case in cases]
