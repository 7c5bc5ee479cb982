"""The fault rows on the Product Ingestion (PI) API (issue 12): one server behaviour per test, against the
simulator's PI routes over loopback, through the dynamic provider and, where the CPP rows use it, the plugin
provider (driven directly, as the engine would).

Every test asserts from the simulator's journal how many ``POST configure`` were sent (and how they were answered),
the outputs or the error text the user gets (with the job ID once one is known), and a time bound. Durations are
short (a go-live is a 0.3 s job and a 0.2 s rollout) and every loop has a deadline.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
import requests
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest

from pulumi_cpp_golive import auth
from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from ..integration.conftest import SIM_TOKEN, configured_provider
from .test_adopt import Timer
from .test_fault_matrix import RotatingCredential

PI = "product-ingestion"
URN = "urn:pulumi:dev::p::cpp-golive:index:OfferGoLive::golive"
VERSION = "2022-07-01"
POLL = 0.25
JOB_SECONDS, ROLLOUT_SECONDS = 0.3, 0.2
SLACK = 5.0  # a wait bounded by T seconds ends within T + SLACK
CANCEL_BOUND = 2.0  # Cancel ends a wait within 2 s


# ---- the simulator and what it saw ------------------------------------------------------------------------------

class World:
    """The simulator with product ``vm1`` (external ID), and the journal questions the tests ask."""

    def __init__(self, sim: Simulator, guid: str) -> None:
        self.sim = sim
        self.guid = guid

    @property
    def product_id(self) -> str:
        return f"product/{self.guid}"

    def replace_product(self, state: str) -> None:
        """Put ``vm1`` in ``state`` (a new product, so a new GUID)."""
        self.guid = self.sim.add_product("vm1", state=state)

    def submission(self, number: int = 1) -> str:
        return f"submission/{self.guid}/{number}"

    def posts(self) -> int:
        """``POST configure`` requests received, whatever they were answered."""
        return self.sim.count("POST", "/configure")

    def post_answers(self) -> list[Optional[int]]:
        """How each ``POST configure`` was answered (None: the connection was dropped)."""
        return [r.status for r in self.sim.requests if r.method == "POST" and r.path.endswith("/configure")]

    def status_answers(self) -> list[Optional[int]]:
        return [r.status for r in self.sim.requests if r.route == "configure-status"]

    def listing_answers(self) -> list[Optional[int]]:
        return [r.status for r in self.sim.requests if r.route == "submission"]

    def polled_jobs(self) -> list[str]:
        """The job IDs polled at ``configure/{jobId}/status``, in first-seen order."""
        jobs: list[str] = []
        for r in self.sim.requests:
            if r.route == "configure-status":
                job = r.path.rsplit("/", 2)[-2]
                if job not in jobs:
                    jobs.append(job)
        return jobs

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's status document, read directly (not through the provider)."""
        answer = requests.get(f"{self.sim.pi_url}/configure/{job_id}/status", params={"$version": VERSION},
                              headers={"Authorization": f"Bearer {self.sim.config.token}"}, timeout=10)
        answer.raise_for_status()
        document: dict[str, Any] = answer.json()
        return document


@pytest.fixture
def world() -> Iterator[World]:
    config = SimulatorConfig(token=SIM_TOKEN, pi_job_seconds=JOB_SECONDS, pi_rollout_seconds=ROLLOUT_SECONDS,
                             publish_seconds=0.2)
    with Simulator(config) as sim:
        yield World(sim, sim.add_product("vm1", state="ready"))


def when(condition: Callable[[], bool], action: Callable[[], None], within: float = 15.0) -> threading.Thread:
    """Run ``action`` on a thread once ``condition`` holds (checked every 10 ms for at most ``within`` s)."""

    def watch() -> None:
        give_up = time.monotonic() + within
        while not condition() and time.monotonic() < give_up:
            time.sleep(0.01)
        action()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


# ---- the two adapters -------------------------------------------------------------------------------------------

def make_dynamic(pi_url: str, token: str = SIM_TOKEN, adopt_timeout: float = 10.0,
                 request_timeout: float = 30.0) -> OfferGoLiveProvider:
    """The dynamic provider as ``pulumi up`` configures it for PI (stack config ``cpp-golive:productIngestion*``)."""
    return configured_provider({
        "cpp-golive:productIngestionUrl": pi_url,
        "cpp-golive:productIngestionToken": token,
        "cpp-golive:productIngestionVersion": VERSION,
        "cpp-golive:pollInterval": str(POLL),
        "cpp-golive:adoptTimeout": str(adopt_timeout),
        "cpp-golive:requestTimeout": str(request_timeout),
    })


def pi_inputs(**overrides: Any) -> dict[str, Any]:
    return {"publisher_id": "contoso", "offer_id": "vm1", "api": PI, "wait": "completed", **overrides}


def create(world: World, adopt_timeout: float = 10.0, **overrides: Any) -> dict[str, Any]:
    provider = make_dynamic(world.sim.pi_url, adopt_timeout=adopt_timeout)
    return dict(provider.create(pi_inputs(**overrides)).outs or {})


def plugin(world: World, lines: Optional[list[str]] = None, adopt_timeout: float = 10.0) -> PluginProvider:
    sink = lines if lines is not None else []
    provider = PluginProvider(log=lambda urn, text: sink.append(text))
    args = {"productIngestionUrl": world.sim.pi_url, "productIngestionToken": SIM_TOKEN,
            "productIngestionVersion": VERSION, "pollInterval": str(POLL), "adoptTimeout": str(adopt_timeout)}
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args={k: from_python(v) for k, v in args.items()}, accept_secrets=False,
        accept_resources=False)))
    return provider


def plugin_request(engine_timeout: float = 0.0, **extra: Any) -> CreateRequest:
    values = {"publisherId": "contoso", "offerId": "vm1", "api": PI, "wait": "completed", **extra}
    return CreateRequest(URN, {k: from_python(v) for k, v in values.items()}, engine_timeout, False)


def plugin_create(provider: PluginProvider, engine_timeout: float = 0.0, **extra: Any) -> dict[str, Any]:
    response = asyncio.run(provider.create(plugin_request(engine_timeout, **extra)))
    outputs = {key: to_python(value) for key, value in response.properties.items()}
    assert response.resource_id == f"contoso/vm1/{outputs['operationId']}"
    return outputs


def partial_state(error: ResourceInitError) -> dict[str, Any]:
    return {key: to_python(value) for key, value in error.properties.items()}


def assert_went_live(world: World, outs: dict[str, Any], number: int = 1) -> None:
    """Succeeded outputs of a go-live of preview submission ``number``, in the dynamic provider's names."""
    assert outs["status"] == "succeeded", outs
    assert outs["product_id"] == world.product_id
    assert outs["submission_id"] == world.submission(number)


# ---- 429 with Retry-After -----------------------------------------------------------------------------------------

def test_429_with_retry_after_on_the_listing_the_post_and_the_status(world: World) -> None:
    # Every 2nd API request is refused 429 with Retry-After: 1. Counted from 1: the product (1), the listing (2:
    # 429, then 3), the POST (4: 429, then 5), then the polls of the job and of the listing, every other one refused.
    world.sim.config.throttle_every, world.sim.config.throttle_burst, world.sim.config.retry_after = 2, 1, 1
    with Timer() as timer:
        outs = create(world)
    assert_went_live(world, outs)
    assert world.post_answers() == [429, 202]  # repeated only because it was refused, and only once
    assert world.listing_answers()[:2] == [429, 200]
    assert 429 in world.status_answers()
    assert timer.elapsed >= 3.0  # Retry-After: 1 was honoured on the listing, the POST and the status
    assert timer.elapsed < 15.0


# ---- a 5xx on the POST: the job may exist ---------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "body"), [(500, "gateway"), (502, "gateway"), (503, "gateway"),
                                              (504, "gateway"), (500, "bad-utf8")])
def test_5xx_after_the_job_was_created_is_adopted_from_the_listing(
        world: World, status: int, body: str, capsys: pytest.CaptureFixture[str]) -> None:
    world.sim.config.pi_accepted_then_status, world.sim.config.error_body = status, body
    with Timer() as timer:
        outs = create(world, wait="accepted")
    assert world.post_answers() == [status]  # never a second POST
    # Adopted after the first look's pause: by then the short go-live may have ended.
    assert outs["status"] in ("running", "succeeded") and outs["submission_id"] == world.submission(1)
    assert outs["product_id"] == world.product_id
    # No job ID came back: the adopted go-live is named by its live submission.
    assert outs["operation_id"] == world.submission(1)
    err = capsys.readouterr().err
    assert f"HTTP {status}" in err and "adopting" in err
    assert timer.elapsed < 5.0


def test_5xx_adopted_go_live_is_waited_on_until_the_rollout_completes(world: World) -> None:
    world.sim.config.pi_accepted_then_status = 504
    with Timer() as timer:
        outs = create(world)
    assert_went_live(world, outs)
    assert world.post_answers() == [504]
    assert world.polled_jobs() == []  # no job ID was known: the listing alone told the end
    assert JOB_SECONDS + ROLLOUT_SECONDS <= timer.elapsed < JOB_SECONDS + ROLLOUT_SECONDS + SLACK


def test_plugin_504_on_the_post_is_adopted(world: World) -> None:
    world.sim.config.pi_accepted_then_status = 504
    lines: list[str] = []
    outs = plugin_create(plugin(world, lines))
    assert outs["status"] == "succeeded" and outs["submissionId"] == world.submission(1)
    assert outs["productId"] == world.product_id
    assert world.post_answers() == [504]
    assert any("HTTP 504" in line and "adopting" in line for line in lines), lines


def test_listing_lag_after_an_ambiguous_post_is_waited_out_within_the_adopt_timeout(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.sim.config.pi_accepted_then_status, world.sim.config.pi_job_seconds = 503, 5.0
    world.sim.config.pi_list_lag_seconds = 1.0  # the live entry shows 1 s after the job was created
    with Timer() as timer:
        outs = create(world, adopt_timeout=10.0, wait="accepted")
    assert world.post_answers() == [503]
    assert outs["submission_id"] == world.submission(1) and outs["status"] == "running"
    assert "ended ambiguously" in capsys.readouterr().err
    assert 1.0 <= timer.elapsed < 1.0 + SLACK


def test_listing_that_never_shows_it_stops_at_the_adopt_timeout_and_the_rerun_adopts(world: World) -> None:
    world.sim.config.pi_accepted_then_status = 504
    world.sim.config.pi_list_lag_seconds = 60.0
    provider = make_dynamic(world.sim.pi_url, adopt_timeout=1.0)
    with Timer() as timer, pytest.raises(Exception) as caught:
        provider.create(pi_inputs(wait="accepted"))
    assert 1.0 <= timer.elapsed < 1.0 + SLACK
    text = str(caught.value)
    assert "HTTP 504" in text and "nothing was re-posted" in text and "The next `pulumi up` looks for it" in text
    assert world.posts() == 1
    world.sim.config.pi_list_lag_seconds = 0.0  # the listing caught up: the next `pulumi up` adopts
    outs = dict(provider.create(pi_inputs()).outs or {})
    assert_went_live(world, outs)
    assert world.posts() == 1


# ---- a reset after the POST reached the server ----------------------------------------------------------------------

def test_connection_reset_after_the_post_is_adopted(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.sim.config.pi_golive_reset = True
    outs = create(world)
    assert_went_live(world, outs)
    assert world.post_answers() == [None]  # one POST, its connection dropped; never sent again
    assert "ended ambiguously" in capsys.readouterr().err


# ---- faults while polling the job -----------------------------------------------------------------------------------

def test_5xx_on_the_job_status_is_ridden_out(world: World) -> None:
    sim = world.sim
    sim.config.pi_job_seconds = 0.6  # a few polls of the job, so that some meet the 500s
    posted = lambda: world.post_answers() == [202]  # noqa: E731 - a one-line condition
    # Once the job is accepted, every 2nd API request is a 500 (the job polls and the rollout's listing reads).
    watcher = when(posted, lambda: setattr(sim.config, "error500_every", 2))
    outs = create(world)
    watcher.join(timeout=5)
    assert_went_live(world, outs)
    assert 500 in world.status_answers()
    assert world.post_answers() == [202]


def test_connection_reset_on_job_status_gets(world: World) -> None:
    world.sim.config.reset_operation_gets = 1
    outs = create(world)
    assert_went_live(world, outs)
    assert world.status_answers()[:2] == [None, 200]  # dropped, then asked again
    assert world.posts() == 1


def test_read_timeout_on_a_job_status_get(world: World) -> None:
    world.sim.config.stall_operation_gets, world.sim.config.stall_seconds = 1, 2.0
    provider = make_dynamic(world.sim.pi_url, request_timeout=0.5)
    with Timer() as timer:
        outs = dict(provider.create(pi_inputs()).outs or {})
    assert_went_live(world, outs)
    assert world.sim.config.stall_operation_gets == 0  # the stall really happened
    assert len(world.status_answers()) >= 2  # the stalled poll was cut and asked again
    assert timer.elapsed < 2.0 + SLACK
    assert world.posts() == 1


def test_malformed_json_on_the_job_status(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.sim.config.malformed_json_every = 2  # counted over job-status GETs only
    outs = create(world)
    assert_went_live(world, outs)
    assert "MalformedResponse" in capsys.readouterr().err
    assert len(world.status_answers()) >= 2
    assert world.posts() == 1


def test_401_mid_wait_gets_a_new_token_from_the_credential(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = world.sim
    sim.config.pi_job_seconds = 0.9
    credential = RotatingCredential(sim)
    monkeypatch.setattr(auth, "credential_for", lambda token: credential)
    # Mid-wait the server stops accepting the token it accepted so far; only a client that asks its credential
    # for a new one gets on. A token value of its own keeps another test's cached credential out of the way.
    revoker = when(lambda: len(world.status_answers()) >= 2, lambda: setattr(sim.config, "token", "revoked"))
    provider = make_dynamic(sim.pi_url, token=f"unused-{uuid.uuid4()}")
    outs = dict(provider.create(pi_inputs()).outs or {})
    revoker.join(timeout=5)
    assert_went_live(world, outs)
    answers = [r.status for r in sim.requests]
    assert answers.count(401) == 1 and answers[answers.index(401) + 1] == 200  # the resend was accepted
    assert credential.issued == ["rotating-token-1", "rotating-token-2"]
    assert world.posts() == 1


def test_401_mid_wait_with_a_static_token_fails_naming_401_and_keeps_the_job(world: World) -> None:
    sim = world.sim
    sim.config.pi_job_seconds = 30.0
    when(lambda: len(world.status_answers()) >= 1, lambda: setattr(sim.config, "token", "revoked"))
    with Timer() as timer, pytest.raises(ResourceInitError) as caught:
        plugin_create(plugin(world))
    [job] = world.polled_jobs()
    assert "401" in caught.value.message and job in caught.value.message
    state = partial_state(caught.value)
    assert state["operationId"] == job and state["status"] == "running"
    assert state["submissionId"] == world.submission(1)
    assert caught.value.resource_id == f"contoso/vm1/{job}"
    assert world.posts() == 1 and timer.elapsed < 10.0


# ---- a job that fails ------------------------------------------------------------------------------------------------

NESTED = "The plan's technical configuration is incomplete (simulated failure)."


def test_failed_job_names_the_job_and_every_message(world: World) -> None:
    world.sim.config.pi_fail_job = True
    with pytest.raises(Exception) as caught:
        create(world)
    text = str(caught.value)
    [job] = world.polled_jobs()
    assert job in text
    assert f"The publish of {world.submission(1)} to live failed validation." in text  # the top-level error
    assert NESTED in text  # and the one nested in its details
    assert "certification" not in text.lower()  # not called what it is not
    assert world.posts() == 1


def test_plugin_failed_job_keeps_the_failed_state(world: World) -> None:
    world.sim.config.pi_fail_job = True
    with pytest.raises(ResourceInitError) as caught:
        plugin_create(plugin(world))
    [job] = world.polled_jobs()
    state = partial_state(caught.value)
    assert state["status"] == "failed" and state["operationId"] == job
    assert NESTED in caught.value.message and job in caught.value.message
    assert world.posts() == 1


def test_certification_failure_is_named_so(world: World) -> None:
    world.sim.config.pi_certification_failure = True
    with pytest.raises(Exception) as caught:
        create(world)
    text = str(caught.value)
    [job] = world.polled_jobs()
    assert job in text
    assert re.search(r"certification failure", text, re.IGNORECASE), text
    assert "did not pass the (simulated) security scan" in text  # the nested cause, as the service put it
    assert world.posts() == 1


# ---- a provider killed after the POST ---------------------------------------------------------------------------

_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.faults.test_pi_faults import make_dynamic, pi_inputs
    make_dynamic({url!r}).create(pi_inputs())
    print("create returned", flush=True)
""")


def test_provider_killed_mid_wait_then_the_next_create_adopts_without_posting(world: World) -> None:
    sim = world.sim
    sim.config.pi_job_seconds = 2.0
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(root=root, url=sim.pi_url)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        give_up = time.monotonic() + 20
        while not world.status_answers():  # the POST was answered and the child polls the job: mid-wait
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < give_up, "the child never polled the job"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
    assert "create returned" not in out
    assert world.post_answers() == [202]
    with Timer() as timer:
        outs = create(world)
    assert_went_live(world, outs)
    assert world.posts() == 1  # the next `pulumi up` adopted the running go-live from the listing
    assert timer.elapsed < 2.0 + ROLLOUT_SECONDS + SLACK


# ---- paging ---------------------------------------------------------------------------------------------------------

def paged_reads(world: World) -> int:
    return sum(1 for r in world.sim.requests if r.route == "submission" and "continuationToken" in r.query)


def test_running_go_live_on_page_three_is_adopted(world: World) -> None:
    sim = world.sim
    sim.config.pi_job_seconds = 30.0
    other = sim.start_pi_golive("vm1")  # another client's go-live, before this run
    sim.config.pi_page_size = 1  # draft on page 1, preview on page 2, the running live entry on page 3
    outs = create(world, wait="accepted")
    assert world.posts() == 0
    assert outs["status"] == "running" and outs["submission_id"] == world.submission(1)
    assert outs["operation_id"] == world.submission(1)  # not started here: no job ID is known
    assert paged_reads(world) >= 2  # pages 2 and 3 were read
    assert world.job(other)["jobStatus"] in ("notStarted", "running")


def test_go_live_through_a_paged_listing(world: World) -> None:
    world.sim.config.pi_page_size = 1
    outs = create(world)
    assert_went_live(world, outs)
    assert world.posts() == 1
    assert paged_reads(world) >= 3  # page 2 before the POST; pages 2 and 3 while the rollout was watched


# ---- a conflict answer ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("conflict_status", [409, 400])
def test_conflict_adopts_the_other_clients_go_live(world: World, conflict_status: int,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    world.sim.config.pi_conflict_status = conflict_status
    world.sim.config.pi_race_golive = True  # another client's go-live lands just before ours
    outs = create(world, wait="accepted")
    assert world.post_answers() == [conflict_status]  # ours, refused; never sent again
    assert outs["submission_id"] == world.submission(1) and outs["status"] in ("running", "succeeded")
    err = capsys.readouterr().err
    assert "operation is in progress" in err and "adopting go-live operation" in err


def test_plugin_conflict_adopts_and_waits(world: World) -> None:
    world.sim.config.pi_race_golive = True
    lines: list[str] = []
    outs = plugin_create(plugin(world, lines))
    assert outs["status"] == "succeeded" and outs["submissionId"] == world.submission(1)
    assert world.post_answers() == [409]
    assert any("HTTP 409" in line for line in lines), lines


# ---- answers to the POST: 200 or 202, jobId or jobID ----------------------------------------------------------------

@pytest.mark.parametrize(("status", "spelling"), [(200, "jobId"), (202, "jobID")])
def test_any_2xx_with_a_job_id_in_either_spelling_is_followed(world: World, status: int, spelling: str) -> None:
    world.sim.config.pi_configure_status, world.sim.config.pi_job_id_spelling = status, spelling
    outs = create(world)
    assert_went_live(world, outs)
    assert world.post_answers() == [status]
    [job] = world.polled_jobs()
    assert outs["operation_id"] == job
    location = outs["operation_location"].lstrip("/").replace("%24", "$")
    assert location == f"configure/{job}/status?$version={VERSION}"


# ---- refusals: nothing is posted ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "named"), [
    ("draft", r"preview"),
    ("preview-running", r"progress|running"),
    ("preview-failed", r"fail"),
])
def test_product_that_cannot_go_live_is_refused_without_posting(world: World, state: str, named: str) -> None:
    world.sim.config.publish_seconds = 30.0  # a preview in progress stays so for the test
    world.replace_product(state)
    with Timer() as timer, pytest.raises(Exception) as caught:
        create(world)
    text = str(caught.value)
    assert text.count("Nothing was posted") == 1 and re.search(named, text, re.IGNORECASE), text
    assert world.posts() == 0 and timer.elapsed < 5.0


def test_unknown_product_is_refused_naming_the_offer(world: World) -> None:
    with pytest.raises(Exception, match="vm-unknown") as caught:
        create(world, offer_id="vm-unknown")
    assert "Nothing was posted" in str(caught.value)
    assert world.posts() == 0
    assert not any(r.route == "submission" for r in world.sim.requests)  # no product, nothing more to read


def test_last_go_live_failed_is_refused_until_a_new_preview(world: World) -> None:
    sim = world.sim
    sim.config.pi_fail_job, sim.config.pi_job_seconds = True, 0.0  # someone's go-live, already failed
    failed_job = sim.start_pi_golive("vm1")
    sim.config.pi_fail_job, sim.config.pi_job_seconds = False, JOB_SECONDS
    assert world.job(failed_job)["jobResult"] == "failed"
    provider = make_dynamic(sim.pi_url)
    for _ in range(2):  # every `pulumi up` says the same, and posts nothing
        with Timer() as timer, pytest.raises(Exception) as caught:
            provider.create(pi_inputs())
        assert "not posted again" in str(caught.value) and world.submission(1) in str(caught.value)
        assert timer.elapsed < 5.0
    assert world.posts() == 0
    sim.config.publish_seconds = 0.0
    sim.publish_preview("vm1")  # the user's fix: a new preview submission (number 2)
    outs = dict(provider.create(pi_inputs(triggers=["v2"])).outs or {})
    assert_went_live(world, outs, number=2)
    assert world.posts() == 1


def test_already_live_succeeds_without_posting(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.replace_product("live")
    with Timer() as timer:
        outs = create(world)
    assert_went_live(world, outs)
    assert outs["operation_id"] == world.submission(1)
    assert world.posts() == 0 and world.polled_jobs() == []
    assert "already live" in capsys.readouterr().err
    assert timer.elapsed < 5.0


# ---- timeout and Cancel during the wait keep the job ----------------------------------------------------------------

@pytest.mark.parametrize("phase", ["job", "rollout"])
def test_plugin_timeout_keeps_the_job_id(world: World, phase: str) -> None:
    if phase == "job":
        world.sim.config.pi_job_seconds = 600.0
    else:
        world.sim.config.pi_rollout_seconds = 600.0  # the job completes; the live entry keeps rolling out
    with Timer() as timer, pytest.raises(ResourceInitError) as caught:
        asyncio.run(plugin(world).create(plugin_request(timeoutSeconds=1.0)))
    assert 1.0 <= timer.elapsed < 1.0 + SLACK
    [job] = world.polled_jobs()
    assert "still running after the 1 s timeout" in caught.value.message and job in caught.value.message
    state = partial_state(caught.value)
    assert state["status"] == "running" and state["operationId"] == job
    assert state["submissionId"] == world.submission(1)
    if phase == "rollout":
        assert world.job(job)["jobStatus"] == "completed"  # succeeded only when the rollout says so too
    assert world.posts() == 1


def test_dynamic_timeout_names_the_job(world: World) -> None:
    world.sim.config.pi_job_seconds = 600.0
    with Timer() as timer, pytest.raises(Exception) as caught:
        create(world, timeout_seconds=1.0)
    assert timer.elapsed < 1.0 + SLACK
    [job] = world.polled_jobs()
    assert job in str(caught.value) and "re-run `pulumi up` to resume" in str(caught.value)
    assert world.posts() == 1


def test_plugin_cancel_during_the_wait_keeps_the_job_id(world: World) -> None:
    world.sim.config.pi_job_seconds = 600.0
    provider = plugin(world)

    async def scenario() -> tuple[BaseException | None, float]:
        task = asyncio.ensure_future(provider.create(plugin_request()))
        give_up = time.monotonic() + 15
        while not world.status_answers():  # the job was accepted and is being polled
            assert time.monotonic() < give_up and not task.done(), "the create never polled the job"
            await asyncio.sleep(0.02)
        cancelled_at = time.monotonic()
        await provider.cancel()
        [result] = await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=30)
        return (result if isinstance(result, BaseException) else None), time.monotonic() - cancelled_at

    error, after_cancel = asyncio.run(scenario())
    assert isinstance(error, ResourceInitError), error
    assert after_cancel <= CANCEL_BOUND
    [job] = world.polled_jobs()
    assert "was cancelled" in error.message and job in error.message
    state = partial_state(error)
    assert state["status"] == "running" and state["operationId"] == job
    assert world.posts() == 1
