# ruff: noqa: F401 - the fixtures imported from fake_apis are named again as the tests' parameters (pytest's way)
"""The go-live fault rows, for the publish to preview (``OfferPublish``): through both adapters (the dynamic
``OfferPublishProvider`` and the plugin's ``PluginProvider`` on the ``OfferPublish`` URN) and on both APIs (CPP's
``POST .../publish``, Product Ingestion's ``POST configure`` with target ``preview``).

The simulator (in process, on loopback) serves the rows it can fault: an ambiguous POST (accepted then 5xx, reset,
a lost answer), 5xx and 429 on the polls, a race with another run's publish, a killed run, a timeout, Cancel. The
hostile server of :mod:`.hostile` serves the rest: a server that echoes the bearer token, and answers that are huge,
nested past any parser, not UTF-8 or of the wrong types. Every test asserts the publish POSTs by counting key
(``POST /publish``, ``POST /configure preview``; never a go-live's), the outputs or the error text, and a wall-time
bound set well below what a hang would take (every duration of the simulator is set so that a hang exceeds it).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Optional

import pytest
import requests
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest, UpdateRequest

from pulumi_cpp_golive.dynamic import OfferPublishProvider
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig, pi_world

from ..integration.conftest import SIM_TOKEN, _ConfigureRequest
from .fake_apis import PI_VERSION, TOKEN, new_guid
from .fake_apis import server as server
from .hostile import HostileServer, Reply, Request, Wire, nested_json

PUBLISH_URN = "urn:pulumi:dev::p::cpp-golive:index:OfferPublish::publish"
PI = "product-ingestion"
EMAILS = ["ops@contoso.com"]
ADAPTERS = ["dynamic", "plugin"]
APIS = ["cpp", "pi"]
SLACK = 5.0  # a wait bounded by T seconds ends within T + SLACK
CANCEL_BOUND = 2.0
LIST = "/api/publishers/contoso/offers/vm1/submissions/"

# Per API: the counting key of a publish POST, of a go-live POST (never sent here), and the simulator's faults.
POST_KEY = {"cpp": "POST /publish", "pi": "POST /configure preview"}
GOLIVE_KEY = {"cpp": "POST /golive", "pi": "POST /configure"}
POLL_KEY = {"cpp": "GET /operations", "pi": "GET /configure-status"}
ACCEPTED_THEN = {"cpp": "accepted_then_status", "pi": "pi_accepted_then_status"}
RESET = {"cpp": "publish_reset", "pi": "pi_golive_reset"}
RACE = {"cpp": "race_publish", "pi": "pi_race_golive"}


# ---- both adapters, one interface -----------------------------------------------------------------------------------

_CAMEL = re.compile(r"_([a-z])")


def camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


@dataclasses.dataclass
class Outcome:
    """What one create or update gave the user: outputs (snake_case; for the plugin's partial state too), the error
    text ("" when it succeeded), the resource ID, the state the engine keeps (None: nothing recorded) and the time."""

    outputs: Optional[dict[str, Any]]
    error: str
    resource_id: str
    state: Optional[dict[str, Any]]
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.error == ""


class Adapter:
    """One adapter (``dynamic`` or ``plugin``) on one API (``cpp`` or ``pi``), against ``url`` (the simulator or a
    hostile server), configured with bare ``settings``. Log lines (the plugin's) and stderr (the dynamic one's, via
    capsys) are where the tests look for leaks."""

    def __init__(self, kind: str, api: str, cpp_url: str, pi_url: str, token: str) -> None:
        self.kind, self.api = kind, api
        self.cpp_url, self.pi_url, self.token = cpp_url, pi_url, token
        self.lines: list[str] = []

    def settings(self, **extra: Any) -> dict[str, str]:
        base = ({"baseUrl": self.cpp_url, "accessToken": self.token} if self.api == "cpp" else
                {"productIngestionUrl": self.pi_url, "productIngestionToken": self.token,
                 "productIngestionVersion": PI_VERSION})
        return {k: str(v) for k, v in {**base, "pollInterval": "0.25", "adoptTimeout": "5", "requestTimeout": "5",
                                        **extra}.items()}

    def provider(self, **settings: Any) -> Any:
        config = self.settings(**settings)
        if self.kind == "dynamic":
            provider = OfferPublishProvider()
            provider.configure(_ConfigureRequest({f"cpp-golive:{k}": v for k, v in config.items()}))  # type: ignore
            return provider
        plugin = PluginProvider(log=lambda urn, text: self.lines.append(text))
        asyncio.run(plugin.configure(ConfigureRequest(
            variables={}, args={k: from_python(v) for k, v in config.items()}, accept_secrets=False,
            accept_resources=False)))
        return plugin

    def inputs(self, **overrides: Any) -> dict[str, Any]:
        """snake_case inputs as check would leave them."""
        values: dict[str, Any] = {"publisher_id": "contoso", "offer_id": "vm1", "wait": "preview",
                                  "timeout_seconds": 20}
        values.update({"api": "cpp", "notification_emails": EMAILS} if self.api == "cpp" else {"api": PI})
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    def create(self, provider: Any, **overrides: Any) -> Outcome:
        inputs = self.inputs(**overrides)
        started = time.monotonic()
        if self.kind == "dynamic":
            try:
                result = provider.create(dict(inputs))
            except Exception as exc:  # the dynamic provider's user-facing error is a plain Exception
                return Outcome(None, str(exc), "", None, time.monotonic() - started)
            outs = dict(result.outs or {})
            return Outcome(outs, "", str(result.id), outs, time.monotonic() - started)
        request = CreateRequest(PUBLISH_URN, {camel(k): from_python(v) for k, v in inputs.items()}, 0.0, False)
        return self._plugin_call(lambda: provider.create(request), started)

    def update(self, provider: Any, before: Outcome, **overrides: Any) -> Outcome:
        """The next `pulumi up` after ``before`` (its recorded state and ID), same inputs but ``overrides``."""
        assert before.state is not None, "nothing was recorded to update"
        news = self.inputs(**overrides)
        started = time.monotonic()
        if self.kind == "dynamic":
            try:
                result = provider.update(before.resource_id, dict(before.state), dict(news))
            except Exception as exc:
                return Outcome(None, str(exc), before.resource_id, before.state, time.monotonic() - started)
            outs = dict(result.outs or {})
            return Outcome(outs, "", before.resource_id, outs, time.monotonic() - started)
        request = UpdateRequest(PUBLISH_URN, before.resource_id,
                                {camel(k): from_python(v) for k, v in before.state.items() if v is not None},
                                {camel(k): from_python(v) for k, v in news.items()}, 0.0, [], False)
        return self._plugin_call(lambda: provider.update(request), started, before.resource_id)

    def _plugin_call(self, call: Callable[[], Any], started: float, resource_id: str = "") -> Outcome:
        try:
            response = asyncio.run(call())
        except ResourceInitError as exc:
            state = {snake(k): to_python(v) for k, v in exc.properties.items()}
            return Outcome(state, exc.message, exc.resource_id, state, time.monotonic() - started)
        except Exception as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}", resource_id, None, time.monotonic() - started)
        state = {snake(k): to_python(v) for k, v in (response.properties or {}).items()}
        return Outcome(state, "", str(getattr(response, "resource_id", "") or resource_id), state,
                       time.monotonic() - started)

    def log_text(self, capsys: pytest.CaptureFixture[str]) -> str:
        return "\n".join(self.lines) + "\n" + capsys.readouterr().err


def assert_no_secret(token: str, *texts: object) -> None:
    for spelling in (token, token.encode().hex(), base64.b64encode(token.encode()).decode()[:-2]):
        for text in texts:
            assert spelling not in (text if isinstance(text, str) else json.dumps(text, default=str)), \
                f"the token leaked ({spelling[:8]}...)"


# ---- the simulator --------------------------------------------------------------------------------------------------

class World:
    """The simulator with CPP offer contoso/vm1 (ready: a publish at sign-off, the offer edited since) and PI product
    vm1 (a preview that succeeded, a draft with changes), and what the tests ask of its journal."""

    def __init__(self, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sim = sim
        sim.add_offer("contoso", "vm1", state="ready")
        sim.edit_offer("contoso", "vm1")
        self.guid = sim.add_product("vm1", state="ready", draft_changed=True)
        self.old_publishes = {op["id"] for op in self.cpp_publishes()}
        self.preview_lag = 0.0
        world = self

        def listing(product: pi_world.Product, now: float, live_lag: float) -> list[pi_world.Submission]:
            # The simulator's PI listing lags for live entries only; a publish's preview entry lags here too.
            lags = {pi_world.DRAFT: 0.0, pi_world.PREVIEW: world.preview_lag, pi_world.LIVE: live_lag}
            return [entry for target in pi_world.TARGETS
                    if (entry := product.latest(target, now, lags[target])) is not None]

        monkeypatch.setattr(pi_world.Product, "listing", listing)

    def adapter(self, kind: str, api: str) -> Adapter:
        return Adapter(kind, api, self.sim.url, self.sim.pi_url, SIM_TOKEN)

    def posts(self, api: str) -> int:
        return self.sim.counts().get(POST_KEY[api], 0)

    def golive_posts(self) -> int:
        counts = self.sim.counts()
        return counts.get(GOLIVE_KEY["cpp"], 0) + counts.get(GOLIVE_KEY["pi"], 0)

    def post_answers(self, api: str) -> list[Optional[int]]:
        return [r.status for r in self.sim.requests if r.key == POST_KEY[api]]

    def set(self, name: str, value: Any) -> None:
        setattr(self.sim.config, name, value)

    def fault(self, table: dict[str, str], api: str, value: Any = True) -> None:
        self.set(table[api], value)

    def hide_new_publishes(self, api: str, seconds: float) -> None:
        """The listing leaves out publishes younger than ``seconds`` (a listing that lags)."""
        if api == "cpp":
            self.sim.config.list_lag_seconds = seconds
        else:
            self.preview_lag = seconds

    def cpp_publishes(self) -> list[dict[str, Any]]:
        """Every publish CPP holds for contoso/vm1, whatever the list lag (read without faults), newest first."""
        lag, self.sim.config.list_lag_seconds = self.sim.config.list_lag_seconds, 0.0
        try:
            answer = requests.get(f"{self.sim.url}{LIST}", params={"api-version": "2017-10-31"},
                                  headers={"Authorization": f"Bearer {SIM_TOKEN}"}, timeout=10)
        finally:
            self.sim.config.list_lag_seconds = lag
        answer.raise_for_status()
        return [op for op in answer.json() if op["submissionType"] == "publish"]

    def new_publishes(self, api: str) -> list[str]:
        """The publishes started since the world was made: CPP operation IDs; PI preview submission IDs."""
        if api == "cpp":
            return [op["id"] for op in self.cpp_publishes() if op["id"] not in self.old_publishes]
        previews = [s for s in self.sim._pi_world.product(self.guid).submissions
                    if s.target == pi_world.PREVIEW and s.number >= 2]
        return [s.id for s in previews]

    def polled_jobs(self) -> list[str]:
        jobs: list[str] = []
        for r in self.sim.requests:
            if r.route == "configure-status" and (job := r.path.rsplit("/", 2)[-2]) not in jobs:
                jobs.append(job)
        return jobs

    def publish_id(self, api: str) -> str:
        """The one publish started since the world was made, by the ID a run that did not see it posted records:
        CPP's operation ID, PI's preview submission ID."""
        [publish] = self.new_publishes(api)
        return publish

    def polls(self, api: str) -> int:
        return self.sim.counts().get(POLL_KEY[api], 0)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    config = SimulatorConfig(token=SIM_TOKEN, publish_seconds=0.6, golive_seconds=30.0, pi_job_seconds=0.3,
                             pi_rollout_seconds=30.0)
    with Simulator(config) as sim:
        yield World(sim, monkeypatch)


def publish_lasts(world: World, api: str, seconds: float) -> None:
    """Publishes started from now on reach their end (preview ready) after ``seconds``."""
    world.set("publish_seconds", seconds)
    if api == "pi":
        world.set("pi_job_seconds", seconds)


def assert_published(world: World, api: str, out: Outcome, *, job_known: bool = True) -> None:
    """A publish that ended with the preview ready, outputs naming the one publish started."""
    assert out.ok, out.error
    assert out.outputs is not None and out.outputs["status"] == "succeeded", out.outputs
    [publish] = world.new_publishes(api)
    if api == "cpp":
        assert out.outputs["operation_id"] == publish
        # An update keeps the resource's ID (the engine cannot change it): one recorded "unconfirmed" stays so.
        assert out.resource_id in (f"contoso/vm1/{publish}", "contoso/vm1/unconfirmed")
    else:
        assert out.outputs["submission_id"] == publish
        assert out.outputs["product_id"] == f"product/{world.guid}"
        expected = world.polled_jobs() if job_known else [publish]
        assert out.outputs["operation_id"] in expected, (out.outputs, expected)
    assert world.golive_posts() == 0
    assert_no_secret(SIM_TOKEN, out.outputs, out.error)


both = pytest.mark.parametrize("adapter", ADAPTERS)
apis = pytest.mark.parametrize("api", APIS)


# ---- an ambiguous POST: never posted again, found in the listing and adopted --------------------------------------

AMBIGUOUS = {
    "accepted-then-504": lambda w, api: w.fault(ACCEPTED_THEN, api, 504),
    "accepted-then-500-bad-utf8": lambda w, api: (w.fault(ACCEPTED_THEN, api, 500), w.set("error_body", "bad-utf8")),
    "reset": lambda w, api: w.fault(RESET, api),
    "lost-answer": lambda w, api: w.set("stall_post_body_seconds", 4.0),  # the answer never arrives in time
}


@both
@apis
@pytest.mark.parametrize("how", sorted(AMBIGUOUS))
def test_ambiguous_post_is_adopted_from_the_listing_never_reposted(
        world: World, adapter: str, api: str, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    AMBIGUOUS[how](world, api)
    run = world.adapter(adapter, api)
    out = run.create(run.provider(requestTimeout=1))
    assert world.posts(api) == 1, world.sim.counts()  # 0 re-POSTs
    # A lost CPP answer still had its Location (the stalled body changes nothing); any other is found in the listing.
    assert_published(world, api, out, job_known=False)  # PI: no job ID came back, the listing named it
    log = run.log_text(capsys)
    if how != "lost-answer":
        assert "ended ambiguously" in log and "adopting publish operation" in log, log
    elif api == "pi":  # the 202 arrived, its body (the job) did not
        assert "answer cannot be followed" in log and "adopting publish operation" in log, log
    if how.startswith("accepted-then"):
        assert f"HTTP {how.split('-')[2]}" in log
    assert_no_secret(SIM_TOKEN, log)
    assert out.elapsed < 10.0


@both
@apis
def test_ambiguous_post_not_listed_within_adopt_timeout_then_the_next_up_adopts_without_posting(
        world: World, adapter: str, api: str) -> None:
    publish_lasts(world, api, 3.0)  # still running when the next `pulumi up` comes
    world.fault(ACCEPTED_THEN, api, 504)
    world.hide_new_publishes(api, 60.0)
    run = world.adapter(adapter, api)
    out = run.create(run.provider(adoptTimeout=1))
    assert world.posts(api) == 1
    assert "HTTP 504" in out.error and "nothing was re-posted" in out.error, out.error
    assert "The next `pulumi up` looks for it" in out.error
    assert out.elapsed < 1.0 + SLACK
    world.hide_new_publishes(api, 0.0)  # the listing caught up
    if adapter == "dynamic":
        assert out.state is None  # nothing recorded: the next `pulumi up` is a create, which adopts
        again = run.create(run.provider(adoptTimeout=1))
    else:
        assert out.state is not None and out.state["operation_id"] == "unconfirmed", out.state
        assert out.state["status"] == "running" and out.resource_id == "contoso/vm1/unconfirmed"
        assert "the next `pulumi up` looks for it for up to 1 s" in out.error
        again = run.update(run.provider(adoptTimeout=1), out)
    assert world.posts(api) == 1, world.sim.counts()  # the next run posted nothing
    assert_published(world, api, again, job_known=False)
    assert again.elapsed < 3.0 + SLACK


@apis
def test_plugin_unconfirmed_publish_listed_during_the_next_ups_look_is_adopted(world: World, api: str) -> None:
    publish_lasts(world, api, 3.5)
    world.fault(ACCEPTED_THEN, api, 502)
    world.hide_new_publishes(api, 60.0)
    run = world.adapter("plugin", api)
    first = run.create(run.provider(adoptTimeout=1))
    assert first.state is not None and first.state["operation_id"] == "unconfirmed", first.error
    # The listing still lags when the next `pulumi up` starts, and catches up 0.8 s into its look (of up to 4 s).
    timer = threading.Timer(0.8, lambda: world.hide_new_publishes(api, 0.0))
    timer.start()
    try:
        again = run.update(run.provider(adoptTimeout=4), first)
    finally:
        timer.cancel()
    assert world.posts(api) == 1, world.sim.counts()
    assert_published(world, api, again, job_known=False)
    assert any("adopting publish operation" in line and "nothing was posted" in line for line in run.lines), run.lines
    assert again.elapsed < 3.5 + SLACK


@apis
def test_plugin_unconfirmed_publish_that_already_ended_is_not_posted_again(world: World, api: str) -> None:
    # The next `pulumi up` comes after the ambiguous publish reached its end (the preview is ready): the stack says
    # a POST may have started it, so that run must not publish a second time.
    publish_lasts(world, api, 1.5)
    world.fault(ACCEPTED_THEN, api, 504)
    world.hide_new_publishes(api, 60.0)
    run = world.adapter("plugin", api)
    first = run.create(run.provider(adoptTimeout=1))
    assert first.state is not None and first.state["operation_id"] == "unconfirmed", first.error
    time.sleep(1.0)  # the publish ends (1.5 s after its POST)
    world.hide_new_publishes(api, 0.0)
    again = run.update(run.provider(adoptTimeout=1), first)
    assert world.posts(api) == 1, (world.sim.counts(), again.error, again.outputs)
    assert_published(world, api, again, job_known=False)


# ---- transient errors on the polls: ridden out ----------------------------------------------------------------------

def once(condition: Callable[[], bool], action: Callable[[], None], within: float = 15.0) -> threading.Thread:
    def watch() -> None:
        give_up = time.monotonic() + within
        while not condition() and time.monotonic() < give_up:
            time.sleep(0.01)
        action()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@both
@apis
@pytest.mark.parametrize("fault", ["500", "429"])
def test_5xx_and_429_on_the_polls_are_ridden_out(world: World, adapter: str, api: str, fault: str) -> None:
    publish_lasts(world, api, 1.0)
    accepted = lambda: any(status is not None for status in world.post_answers(api))  # noqa: E731

    def start_faulting() -> None:  # from the first poll on, every 2nd API request fails
        if fault == "500":
            world.set("error500_every", 2)
        else:
            world.set("retry_after", 1)
            world.set("throttle_every", 2)

    watcher = once(accepted, start_faulting)
    run = world.adapter(adapter, api)
    out = run.create(run.provider())
    watcher.join(timeout=5)
    world.set("error500_every", 0)
    world.set("throttle_every", 0)
    assert world.post_answers(api) == [202]
    assert_published(world, api, out)
    answered = [r.status for r in world.sim.requests if r.method == "GET"]
    assert int(fault) in answered, answered
    assert out.elapsed < 10.0


# ---- a race: another run's publish lands first, ours conflicts ------------------------------------------------------

@both
@apis
def test_race_with_another_runs_publish_is_adopted(world: World, adapter: str, api: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    world.fault(RACE, api)
    run = world.adapter(adapter, api)
    out = run.create(run.provider())
    assert world.posts(api) == 1  # ours, refused; never posted again
    assert world.post_answers(api) == [400 if api == "cpp" else 409]
    assert_published(world, api, out, job_known=False)  # the rival's, found in the listing
    if api == "pi":
        assert world.polled_jobs() == []  # no job of ours exists
    assert "operation is in progress" in run.log_text(capsys)
    assert out.elapsed < 10.0


# ---- a killed run: the publish it posted is resumed or adopted, never posted again -----------------------------------

@both
@apis
def test_killed_run_record_in_state_with_status_running_is_resumed_with_no_post(
        world: World, adapter: str, api: str) -> None:
    publish_lasts(world, api, 1.0)
    run = world.adapter(adapter, api)
    accepted = run.create(run.provider(), wait="accepted")  # what the stack recorded before the process died
    assert accepted.ok and accepted.state is not None and accepted.state["status"] == "running", accepted.error
    assert world.posts(api) == 1
    world.sim.reset_counts()
    resumed = run.update(run.provider(), accepted)  # a new process, `wait: preview`
    assert world.posts(api) == 0, world.sim.counts()
    assert resumed.ok, resumed.error
    assert resumed.outputs is not None and resumed.outputs["status"] == "succeeded"
    assert resumed.outputs["operation_id"] == accepted.state["operation_id"]
    assert resumed.elapsed < 1.5 + SLACK


@both
@apis
def test_killed_run_with_nothing_recorded_adopts_its_publish_with_no_post(world: World, adapter: str,
                                                                          api: str) -> None:
    publish_lasts(world, api, 1.0)
    run = world.adapter(adapter, api)
    assert run.create(run.provider(), wait="accepted").ok  # posted, then died before the engine recorded it
    world.sim.reset_counts()
    out = run.create(run.provider())
    assert world.posts(api) == 0, world.sim.counts()
    assert_published(world, api, out, job_known=False)
    assert out.elapsed < 2.0 + SLACK


# ---- a timeout: the operation ID is kept, and the next run resumes it ------------------------------------------------

@both
@apis
def test_timeout_keeps_the_operation_and_the_next_up_resumes_it_with_no_post(world: World, adapter: str,
                                                                             api: str) -> None:
    publish_lasts(world, api, 2.0)
    run = world.adapter(adapter, api)
    out = run.create(run.provider(), timeout_seconds=1)
    assert "still running after the 1 s timeout" in out.error and "re-run `pulumi up` to resume" in out.error
    assert out.elapsed < 1.0 + SLACK
    if api == "cpp":
        [operation] = world.new_publishes(api)
    else:
        [operation] = world.polled_jobs()
    assert operation in out.error and world.posts(api) == 1
    world.sim.reset_counts()
    if adapter == "dynamic":
        again = run.create(run.provider())  # nothing recorded: the publish still running is adopted
    else:
        assert out.state is not None and out.state["operation_id"] == operation and out.state["status"] == "running"
        assert out.resource_id == f"contoso/vm1/{operation}"
        again = run.update(run.provider(), out)
        assert again.outputs is not None and again.outputs["operation_id"] == operation
    assert world.posts(api) == 0, world.sim.counts()
    assert_published(world, api, again, job_known=adapter == "plugin")
    assert again.elapsed < 2.0 + SLACK


# ---- Cancel (the plugin's): ends promptly, the ID kept ---------------------------------------------------------------

def cancel_when(run: Adapter, provider: PluginProvider, ready: Callable[[], bool],
                **overrides: Any) -> tuple[Optional[BaseException], float]:
    request = CreateRequest(PUBLISH_URN, {camel(k): from_python(v) for k, v in run.inputs(**overrides).items()},
                            0.0, False)

    async def scenario() -> tuple[Optional[BaseException], float]:
        task = asyncio.ensure_future(provider.create(request))
        give_up = time.monotonic() + 15
        while not ready():
            assert time.monotonic() < give_up and not task.done(), "the create never got there"
            await asyncio.sleep(0.02)
        cancelled_at = time.monotonic()
        await provider.cancel()
        [result] = await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=30)
        return (result if isinstance(result, BaseException) else None), time.monotonic() - cancelled_at

    return asyncio.run(scenario())


@apis
def test_plugin_cancel_during_the_wait_ends_promptly_keeping_the_id(world: World, api: str) -> None:
    publish_lasts(world, api, 600.0)
    run = world.adapter("plugin", api)
    error, after_cancel = cancel_when(run, run.provider(), lambda: world.polls(api) >= 1, timeout_seconds=None)
    assert isinstance(error, ResourceInitError), error
    assert after_cancel < CANCEL_BOUND
    operation = world.new_publishes(api)[0] if api == "cpp" else world.polled_jobs()[0]
    assert "was cancelled" in error.message and operation in error.message
    state = {snake(k): to_python(v) for k, v in error.properties.items()}
    assert state["status"] == "running" and state["operation_id"] == operation
    assert error.resource_id == f"contoso/vm1/{operation}"
    assert world.posts(api) == 1


@apis
def test_plugin_cancel_during_the_look_after_an_ambiguous_post(world: World, api: str) -> None:
    publish_lasts(world, api, 600.0)
    world.fault(ACCEPTED_THEN, api, 504)
    world.hide_new_publishes(api, 600.0)
    run = world.adapter("plugin", api)
    listing = "GET /submissions" if api == "cpp" else "GET /submission"
    looking = lambda: world.posts(api) == 1 and world.sim.counts().get(listing, 0) >= 2  # noqa: E731
    error, after_cancel = cancel_when(run, run.provider(adoptTimeout=600), looking, timeout_seconds=None)
    assert isinstance(error, ResourceInitError), error
    assert after_cancel < CANCEL_BOUND
    assert "cancelled before the" in error.message and "nothing was re-posted" in error.message
    state = {snake(k): to_python(v) for k, v in error.properties.items()}
    assert state["operation_id"] == "unconfirmed"
    assert world.posts(api) == 1


# ---- hostile servers: a fake CPP publish and a fake PI publish ------------------------------------------------------

OP_ID = "7d3f0c2a-6b1e-4f5d-9a8c-2e4b6d8f0a1c"  # the publish the fake CPP starts
OLD_OP = "1a2b3c4d-0000-4000-8000-00000000a0a0"  # an earlier publish, at sign-off
JOB = "0b6f8d4e-2a1c-4f3e-9d8b-7a6c5e4f3a2b"
GUID = "6f1c2b1e-3d4a-4e5f-8a9b-0c1d2e3f4a5b"
OFFER = "/api/publishers/contoso/offers/vm1"
SIGNOFF = {"id": "publisher-signoff", "stepName": "Publisher signoff", "status": "waitingForPublisherReview"}
Route = Callable[[Request, Wire], Optional[Reply]]


class FakePublish:
    """A CPP (``/api/...``) and a PI (under ``/pi``) that publish contoso/vm1 to preview on one hostile server: the
    POST creates the publish (listed as running), and its reads say the preview is ready at once. A test replaces
    ``operation`` (the CPP operation or PI job GET) or ``listing`` (the operations list or submission listing)."""

    def __init__(self, server: HostileServer) -> None:
        self.server = server
        self.posted = False
        self.operation_reads = 0
        self.lock = threading.Lock()
        self.operation: Route = self.good_operation
        self.listing: Route = self.good_listing
        self.post_answer: Optional[Callable[[Request], Reply]] = None  # replaces the POST's answer (after creating)
        server.routes.update({
            # Edited since the earlier publish (version 2; it took version 1): a new one is due.
            ("GET", OFFER): lambda r, w: Reply(200, {"id": "vm1", "version": 2,
                                                     "changedTime": "2026-11-01T06:00:00Z"}),
            ("GET", f"{OFFER}/status"): lambda r, w: Reply(200, {"status": "succeeded", "steps": [SIGNOFF]}),
            ("GET", f"{OFFER}/submissions/"): lambda r, w: self.listing(r, w),
            ("POST", f"{OFFER}/publish"): self.post,
            ("GET", f"{OFFER}/operations/*"): lambda r, w: self.operation(r, w),
            ("GET", "/pi/product"): lambda r, w: Reply(200, {"value": [
                {"id": f"product/{GUID}", "identity": {"externalId": "vm1"}}]}),
            ("GET", f"/pi/submission/{GUID}"): lambda r, w: self.listing(r, w),
            ("POST", "/pi/configure"): self.post,
            ("GET", "/pi/configure/*"): lambda r, w: self.operation(r, w),
        })

    def post(self, request: Request, wire: Wire) -> Reply:
        with self.lock:
            self.posted = True
        if self.post_answer is not None:
            return self.post_answer(request)
        if request.path.startswith("/pi/"):
            return Reply(202, {"jobId": JOB, "jobStatus": "notStarted"})
        return Reply(202, b"", [("Location", f"{OFFER}/operations/{OP_ID}?api-version=2017-10-31")])

    def good_operation(self, request: Request, wire: Wire) -> Reply:
        if request.path.startswith("/pi/"):
            return Reply(200, {"jobId": JOB, "jobStatus": "completed", "jobResult": "succeeded", "errors": []})
        with self.lock:
            self.operation_reads += 1
            first = self.operation_reads == 1
        # On its way to sign-off when first read (a publish found in the list is adopted only then), then ready.
        return Reply(200, {"id": OP_ID, "status": "running",
                           "steps": [{**SIGNOFF, "status": "notStarted"} if first else SIGNOFF]})

    def good_listing(self, request: Request, wire: Wire) -> Reply:
        if request.path.startswith("/pi/"):
            entries = [{"id": f"submission/{GUID}/0", "target": {"targetType": "draft"}},
                       {"id": f"submission/{GUID}/1", "target": {"targetType": "preview"}, "status": "completed",
                        "result": "succeeded", "created": "2026-11-01T00:00:00Z"}]
            if self.posted:
                entries.append({"id": f"submission/{GUID}/2", "target": {"targetType": "preview"},
                                "status": "completed", "result": "succeeded", "created": "2026-11-02T00:00:00Z"})
            return Reply(200, {"value": entries})
        items = [{"id": OLD_OP, "submissionType": "publish", "submissionState": "complete", "offerVersion": 1,
                  "changedTime": "2026-11-01T00:00:00Z"}]
        if self.posted:
            items.append({"id": OP_ID, "submissionType": "publish", "submissionState": "running",
                          "offerVersion": 2, "changedTime": "2026-11-02T00:00:00Z"})
        wanted = request.query.get("status")
        return Reply(200, [item for item in items if not wanted or item["submissionState"] == wanted])

    def posts(self, api: str) -> int:
        return self.server.count("POST", "/pi/configure" if api == "pi" else f"{OFFER}/publish")

    def reads(self, api: str, what: str) -> int:
        if what == "operation":
            return self.server.count("GET", "/pi/configure/" if api == "pi" else f"{OFFER}/operations/")
        return self.server.count("GET", f"/pi/submission/{GUID}" if api == "pi" else f"{OFFER}/submissions/")


@pytest.fixture
def fake(server: HostileServer) -> FakePublish:
    return FakePublish(server)


def hostile_adapter(fake: FakePublish, adapter: str, api: str) -> Adapter:
    return Adapter(adapter, api, fake.server.url, f"{fake.server.url}/pi", TOKEN)


PUBLISHED_ID = {"cpp": OP_ID, "pi": JOB}


# ---- a server that echoes the bearer token ---------------------------------------------------------------------------

def echo_of(request: Request) -> str:
    """What the server sends back: the bearer token it got, raw and percent-encoded."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    return f"token {token} ({''.join(f'%{b:02X}' for b in token.encode())}) refused"


def echoing(fake: FakePublish, api: str, where: str) -> None:
    pi = api == "pi"
    if where == "poll-error":  # the operation's (job's) reads refuse, quoting the token
        fake.operation = lambda r, w: Reply(400, {"error": {"code": "InvalidToken", "message": echo_of(r)}})
    elif where == "failure-messages":  # the publish ends failed; its messages quote the token
        fake.operation = lambda r, w: Reply(200, (
            {"jobId": JOB, "jobStatus": "completed", "jobResult": "failed",
             "errors": [{"code": "invalidRequest", "message": echo_of(r), "details": [
                 {"code": "x", "message": f"Bearer {TOKEN}"}]}]} if pi else
            {"id": OP_ID, "status": "failed", "messages": [echo_of(r), f"Authorization: Bearer {TOKEN}"]}))
    elif where == "id":  # the POST names the publish by the token; the listing names it rightly
        fake.post_answer = lambda r: (
            Reply(202, {"jobId": TOKEN, "jobStatus": "notStarted"}) if pi else
            Reply(202, b"", [("Location", f"{OFFER}/operations/{TOKEN}?api-version=2017-10-31")]))
    elif where == "headers":  # the answers carry the token in headers, and a signed tracking URL
        fake.post_answer = lambda r: (
            Reply(202, {"jobId": JOB, "jobStatus": "notStarted"}, [("X-Echo", f"Bearer {TOKEN}"),
                                                                   ("Location", f"/pi/configure/{JOB}?sig={TOKEN}")])
            if pi else Reply(202, b"", [("X-Echo", f"Bearer {TOKEN}"), (
                "Location", f"{OFFER}/operations/{OP_ID}?api-version=2017-10-31&sig={TOKEN}")]))
        good = fake.good_operation
        fake.operation = lambda r, w: Reply(200, good(r, w).body, [("WWW-Authenticate", f"Bearer {TOKEN}")])


@both
@apis
@pytest.mark.parametrize("where", ["poll-error", "failure-messages", "id", "headers"])
def test_the_token_a_server_echoes_reaches_no_output_state_error_or_log(
        fake: FakePublish, adapter: str, api: str, where: str, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    echoing(fake, api, where)
    run = hostile_adapter(fake, adapter, api)
    out = run.create(run.provider())
    assert fake.posts(api) == 1
    assert_no_secret(TOKEN, out.error, out.outputs or {}, out.state or {}, out.resource_id,
                     run.log_text(capsys), caplog.text)
    if where in ("poll-error", "failure-messages"):
        assert not out.ok and PUBLISHED_ID[api] in out.error and "***" in out.error, out.error
        if adapter == "plugin":
            assert out.state is not None and out.state["operation_id"] == PUBLISHED_ID[api]
    else:
        assert out.ok, out.error
        assert out.outputs is not None and out.outputs["status"] == "succeeded"
        expected = {"cpp": OP_ID, "pi": f"submission/{GUID}/2" if where == "id" else JOB}[api]
        assert out.outputs["operation_id"] == expected
    assert out.elapsed < 10.0


# ---- hostile bodies on the publish's reads ---------------------------------------------------------------------------

WRONG_TYPES = {  # each read's answer with every field of the wrong type
    ("cpp", "operation"): {"id": OP_ID, "status": ["complete"], "steps": "all done", "messages": {"a": 1}},
    ("pi", "operation"): {"jobId": JOB, "jobStatus": 7, "jobResult": ["succeeded"], "errors": "none"},
    ("cpp", "listing"): {"value": "not a list", "nextLink": 42},
    ("pi", "listing"): {"value": [1, "two", None, {"id": 3, "target": "preview", "status": {}}]},
}


def hostile_body(kind: str, api: str, what: str) -> Route:
    def route(request: Request, wire: Wire) -> Optional[Reply]:
        if kind == "huge":  # a valid start, then more than any answer may hold
            wire.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
            wire.chunked_forever(b" " * 65536, rate=64 << 20, until=3.0)  # (no Content-Length: read to the end)
            return None
        if kind == "nested":
            return Reply(200, nested_json(200_000), [("Content-Type", "application/json")])
        if kind == "bad-utf8":
            return Reply(200, b'{"status": "compl\xe9te\xff", "jobStatus": "\xff"}',
                         [("Content-Type", "application/json; charset=utf-8")])
        return Reply(200, WRONG_TYPES[api, what])

    return route


def hostile_then_good(fake: FakePublish, kind: str, api: str, what: str, times: Optional[int]) -> None:
    """The first ``times`` reads of ``what`` (None: every one) are hostile, the later ones good."""
    bad, good = hostile_body(kind, api, what), (fake.good_operation if what == "operation" else fake.good_listing)
    left = {"n": times}

    def route(request: Request, wire: Wire) -> Optional[Reply]:
        if what == "listing" and not fake.posted:
            return good(request, wire)  # the survey reads a good listing: the POST is sent
        if left["n"] is None or left["n"] > 0:
            if left["n"] is not None:
                left["n"] -= 1
            return bad(request, wire)
        return good(request, wire)

    setattr(fake, what, route)


CRASH_NAMES = ("Traceback", "RecursionError", "KeyError", "TypeError", "AttributeError", "UnicodeDecodeError",
               "ValueError", "IndexError", "MemoryError")


@both
@apis
@pytest.mark.parametrize("what", ["operation", "listing"])
@pytest.mark.parametrize("kind", ["huge", "nested", "bad-utf8", "wrong-types"])
def test_hostile_bodies_on_the_publishs_reads_are_ridden_out(
        fake: FakePublish, adapter: str, api: str, what: str, kind: str) -> None:
    hostile_then_good(fake, kind, api, what, times=1)
    if what == "listing" and api == "cpp":
        # CPP reads the list after the POST only to find a publish it cannot follow: an answer that was lost.
        fake.post_answer = lambda r: Reply(504, "<html>Gateway Time-out</html>", [("Content-Type", "text/html")])
    # (PI reads the listing after its job completed anyway, to see the new preview entry complete.)
    run = hostile_adapter(fake, adapter, api)
    out = run.create(run.provider(requestTimeout=2, adoptTimeout=8))
    assert fake.posts(api) == 1
    assert out.ok, out.error
    assert out.outputs is not None and out.outputs["status"] == "succeeded"
    assert fake.reads(api, what) >= 2  # a hostile answer, then the good one
    assert not any(name in out.error for name in CRASH_NAMES)
    assert out.elapsed < 10.0


@apis
@pytest.mark.parametrize(("kind", "adapter"), [("huge", "plugin"), ("nested", "dynamic"), ("bad-utf8", "plugin"),
                                               ("wrong-types", "dynamic"), ("nested", "plugin"),
                                               ("wrong-types", "plugin")])
def test_a_publish_whose_reads_stay_hostile_ends_by_its_timeout_with_a_clear_error(
        fake: FakePublish, adapter: str, api: str, kind: str) -> None:
    hostile_then_good(fake, kind, api, "operation", times=None)
    run = hostile_adapter(fake, adapter, api)
    out = run.create(run.provider(requestTimeout=2), timeout_seconds=2)
    assert fake.posts(api) == 1
    assert not out.ok and PUBLISHED_ID[api] in out.error, out.error
    assert "re-run `pulumi up`" in out.error
    assert not any(name in out.error for name in CRASH_NAMES), out.error
    if adapter == "plugin":
        assert out.state is not None and out.state["operation_id"] == PUBLISHED_ID[api]
        assert out.state["status"] == "running"
    assert out.elapsed < 2.0 + SLACK
