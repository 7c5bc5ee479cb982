"""OfferPublish through the real engine, for both adapters (the dynamic provider and the plugin through its Python
SDK) and both APIs (CPP and Product Ingestion), in the release flow of examples/python and examples/python-plugin
(tests/e2e/publish_program): preview sends nothing; `up` publishes once and waits for the preview; `goLive: true`
sends exactly that preview live, once; a third `up` sends nothing; a publish killed during its wait is adopted by
the next `up`, never posted again; CPP sends the notification emails and refuses a publish without them.

The simulator runs on a clock the tests may move forward (:class:`Clock`), so that a long publish can be kept
running while a run is killed and recovered, then finished at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig
from pulumi_cpp_golive.simulator.vocabulary import API_VERSION

from .conftest import E2E_TOKEN, USE_PLUGIN, Stack, wait_for
from .pi_support import PI_TOKEN, output, use_pi
from .test_interrupts import _process_tree

PUBLISH_PROGRAM = Path(__file__).resolve().parent / "publish_program"
ADAPTERS = ["dynamic", "plugin"]
APIS = ["cpp", "product-ingestion"]
EMAILS = ["release@example.com", "ops@example.com"]  # the program's default notificationEmails
# The simulator's counting keys of the two POSTs, per API.
PUBLISH_KEY = {"cpp": "POST /publish", "product-ingestion": "POST /configure preview"}
GOLIVE_KEY = {"cpp": "POST /golive", "product-ingestion": "POST /configure"}
# What a run that waits on a publish reads again and again: CPP's operation, PI's job status and listing.
POLL_KEYS = {"cpp": ("GET /operations",), "product-ingestion": ("GET /configure-status", "GET /submission")}
SUBMISSION = re.compile(r"submission/([0-9a-f-]{36})/(\d+)")


class Clock:
    """The simulator's clock: monotonic time plus an offset that :meth:`advance` moves forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[Simulator]:
    """CPP offer contoso/vm1 and PI product vm1 are added by each test; both tokens are accepted; short operations."""
    config = SimulatorConfig(token=E2E_TOKEN, tokens={PI_TOKEN}, publish_seconds=1.0, golive_seconds=1.0,
                             pi_job_seconds=1.0, pi_rollout_seconds=1.0)
    with Simulator(config, clock=clock) as simulator:
        yield simulator


def publish_stack(workdir: Path, pulumi_bin: Path, sim: Simulator, adapter: str, api: str) -> Stack:
    """A stack of tests/e2e/publish_program on ``adapter`` and ``api`` (the PI URL and token when PI)."""
    stack = Stack(workdir, pulumi_bin, sim, program=PUBLISH_PROGRAM,
                  project_yaml=USE_PLUGIN if adapter == "plugin" else "")
    stack.config("adapter", adapter)
    if api == "product-ingestion":
        use_pi(stack, sim)
    return stack


def offer(sim: Simulator, api: str, *, published: bool = True) -> str:
    """Offer vm1 on ``api``: published to preview before (CPP: waiting at sign-off, edited since; PI: preview
    submission 1 and a changed draft), or never published (PI: a draft only). Returns the PI product GUID, or ""
    for CPP."""
    if api == "cpp":
        sim.add_offer("contoso", "vm1", state="ready" if published else "never-published", edited=published)
        return ""
    return sim.add_product("vm1", state="ready" if published else "draft", draft_changed=True)


def steps(preview_json: str, kind: str) -> list[str]:
    return [s["op"] for s in json.loads(preview_json).get("steps") or [] if f":{kind}::" in s.get("urn", "")]


def posts(sim: Simulator) -> dict[str, int]:
    """The POSTs received, by counting key."""
    return {key: n for key, n in sim.counts().items() if key.startswith("POST ")}


def text(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def cpp_publishes(sim: Simulator) -> list[dict[str, Any]]:
    """CPP's operations list of contoso/vm1, publishes only, newest first (one GET: read it after the counts)."""
    url = f"{sim.url}/api/publishers/contoso/offers/vm1/submissions?api-version={API_VERSION}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {E2E_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        listed: list[dict[str, Any]] = json.loads(answer.read())
    return [entry for entry in listed if entry.get("submissionType") == "publish"]


def polls(sim: Simulator, api: str) -> int:
    counts = sim.counts()
    return sum(counts.get(key, 0) for key in POLL_KEYS[api])


def kill_tree(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the `pulumi up` process group and every process under it (plugins have groups of their own), as a CI
    job killed outright."""
    tree = _process_tree(proc.pid)  # before any dies: the orphans of a dead parent are no longer in its tree
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):  # a short-lived child may have exited since `ps` listed it
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)
    wait_for(lambda: not any(alive(pid) for pid in tree), "every process of the killed run to be gone", timeout=30)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    """Wait (bounded) for a started `pulumi` to exit 0; its output."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        out, _ = proc.communicate(timeout=30)
        raise AssertionError(f"pulumi did not finish within {timeout:g} s:\n{out}") from None
    assert proc.returncode == 0, f"pulumi exited {proc.returncode}:\n{out}"
    return out


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_preview_publish_golive_then_nothing(adapter: str, api: str, tmp_path: Path, pulumi_bin: Path,
                                             sim: Simulator) -> None:
    guid = offer(sim, api)
    stack = publish_stack(tmp_path, pulumi_bin, sim, adapter, api)

    # 1. preview: one planned OfferPublish create, no OfferGoLive, nothing sent
    planned = stack.preview("--json").stdout
    assert steps(planned, "OfferPublish") == ["create"] and steps(planned, "OfferGoLive") == []
    assert sim.requests == []

    # 2. up (goLive unset): one publish POST, no go-live POST; the publish succeeded (the preview is ready)
    stack.up()
    assert posts(sim) == {PUBLISH_KEY[api]: 1}, sim.counts()
    published = stack.outputs()
    assert published["publish_status"] == "succeeded", published
    [resource] = stack.resources("OfferPublish")
    assert output(resource["outputs"], "status") == "succeeded"
    assert output(resource["outputs"], "operation_id") == published["publish_operation_id"]
    if api == "cpp":
        assert not published.get("preview_submission_id") and not published.get("publish_product_id"), published
        # the publish the simulator created is the one recorded, and its POST body carried the emails comma-joined
        newest = cpp_publishes(sim)[0]
        assert newest["id"] == published["publish_operation_id"]
        assert newest["definition"]["metadata"]["emails"] == ",".join(EMAILS)
    else:
        found = SUBMISSION.fullmatch(published["preview_submission_id"] or "")
        assert found, published
        assert found.group(1) == guid and int(found.group(2)) == 2  # the new preview: submission 1 was there before
        assert published["publish_product_id"] == f"product/{guid}"

    # 3. goLive: one go-live POST of exactly that preview, no new publish POST
    sim.reset_counts()
    stack.config("goLive", "true")
    planned = stack.preview("--json").stdout
    assert steps(planned, "OfferGoLive") == ["create"] and steps(planned, "OfferPublish") == []
    assert sim.requests == []
    stack.up()
    assert posts(sim) == {GOLIVE_KEY[api]: 1}, sim.counts()
    live = stack.outputs()
    assert live["status"] == "succeeded" and live["operation_id"], live
    assert live["publish_operation_id"] == published["publish_operation_id"]
    if api == "product-ingestion":
        assert live["submission_id"] == published["preview_submission_id"], live

    # 4. a third up: no request at all
    sim.reset_counts()
    stack.up()
    assert sim.requests == [], sim.counts()
    assert stack.outputs() == live


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_publish_killed_during_its_wait_is_adopted_not_posted_again(adapter: str, api: str, tmp_path: Path,
                                                                    pulumi_bin: Path, sim: Simulator,
                                                                    clock: Clock) -> None:
    # A publish that lasts (simulated) hours: it stays in progress until the test moves the clock.
    sim.config.publish_seconds = sim.config.pi_job_seconds = 3600.0
    guid = offer(sim, api)
    stack = publish_stack(tmp_path, pulumi_bin, sim, adapter, api)
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: posts(sim).get(PUBLISH_KEY[api], 0) == 1 and polls(sim, api) > 0,
             "the publish POST and a poll of it", proc=up)
    kill_tree(up)
    assert up.returncode == -signal.SIGKILL
    assert posts(sim) == {PUBLISH_KEY[api]: 1}
    if api == "cpp":
        [posted] = cpp_publishes(sim)[:1]
        posted_id = posted["id"]

    # The documented recovery (README, "Ctrl-C, and a deployment that is killed"), then up: adopted, not posted.
    sim.reset_counts()
    stack.run("cancel", "--yes")
    stack.run("refresh", "--clear-pending-creates", "--yes")
    assert posts(sim) == {}
    sim.reset_counts()
    resumed = stack.start("up", "--yes", "--skip-preview")
    # Once the new run follows the publish (its survey and at least one poll), the publish reaches the preview.
    wait_for(lambda: polls(sim, api) >= 3, "the new run to follow the publish", proc=resumed)
    assert posts(sim) == {}
    clock.advance(3601.0)
    finish(resumed)
    assert posts(sim) == {}, sim.counts()

    outputs = stack.outputs()
    assert outputs["publish_status"] == "succeeded", outputs
    [resource] = stack.resources("OfferPublish")
    recorded = resource["outputs"]
    assert output(recorded, "status") == "succeeded"
    assert not stack.export()["deployment"].get("pending_operations")
    if api == "cpp":
        # the running publish, adopted from the operations list: the operation the killed run posted
        assert output(recorded, "operation_id") == posted_id == outputs["publish_operation_id"]
    else:
        # adopted from the listing (no job ID links the new run to it): known by its preview submission
        submission = f"submission/{guid}/2"
        assert outputs["preview_submission_id"] == submission and output(recorded, "submission_id") == submission
        assert output(recorded, "operation_id") == submission
        assert output(recorded, "product_id") == f"product/{guid}"

    sim.reset_counts()
    stack.up()
    assert sim.requests == []


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_cpp_publish_without_notification_emails_fails_preview(adapter: str, tmp_path: Path, pulumi_bin: Path,
                                                               sim: Simulator) -> None:
    offer(sim, "cpp")
    stack = publish_stack(tmp_path, pulumi_bin, sim, adapter, "cpp")
    stack.config("notificationEmails", "none")
    done = stack.preview(check=False)
    assert done.returncode != 0
    name = "notification_emails" if adapter == "dynamic" else "notificationEmails"  # the plugin: its schema name
    assert f"{name} is required with api 'cpp'" in text(done), text(done)
    assert sim.requests == []
