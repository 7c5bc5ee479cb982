"""The Product Ingestion (PI) backend through the real engine, for both adapters (the dynamic provider and the
plugin): preview sends nothing, up posts one configure job and waits it out, redeploys and refresh only read,
destroy sends nothing, and neither `wait="accepted"` then `"completed"` nor a killed `pulumi up` posts again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any, Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, USE_PLUGIN, Stack, wait_for
from .pi_support import (
    PI_PROGRAM,
    PI_TOKEN,
    assert_no_token,
    assert_pi_only,
    assert_pi_outputs,
    configure_posts,
    polled_jobs,
    use_pi,
)
from .test_interrupts import _process_tree, _recover_and_up


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A simulator that accepts the PI token only: a request made with the CPP token (E2E_TOKEN) is refused, so
    assert_pi_only also proves which credentials the provider used. Short jobs and rollouts keep the suite quick."""
    config = SimulatorConfig(token=PI_TOKEN, publish_seconds=0.5, pi_job_seconds=1.5, pi_rollout_seconds=1.0)
    with Simulator(config) as simulator:
        yield simulator


@pytest.fixture(params=["dynamic", "plugin"])
def pi_stack(request: pytest.FixtureRequest, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> Stack:
    """tests/e2e/pi_program on `api: product-ingestion`, through the dynamic provider or the plugin."""
    adapter: str = request.param
    stack = Stack(tmp_path, pulumi_bin, sim, program=PI_PROGRAM,
                  project_yaml=USE_PLUGIN if adapter == "plugin" else "")
    stack.config("adapter", adapter)
    use_pi(stack, sim)
    return stack


def golive_steps(preview: dict[str, Any]) -> list[str]:
    return [step["op"] for step in preview.get("steps") or [] if "OfferGoLive" in step.get("urn", "")]


def job_status_polls(sim: Simulator) -> int:
    return sim.counts().get("GET /configure-status", 0)


def test_preview_up_redeploy_refresh_destroy(pi_stack: Stack, sim: Simulator) -> None:
    guid = sim.add_product("vm1", state="ready")

    # preview: one planned create, nothing sent
    assert golive_steps(json.loads(pi_stack.preview("--json").stdout)) == ["create"]
    assert sim.requests == []

    # up: exactly one configure POST; the job the simulator created is the one recorded and waited on
    pi_stack.up()
    assert configure_posts(sim) == 1 and sim.count("POST") == 1
    assert_pi_only(sim)
    [job_id] = polled_jobs(sim)
    outputs = pi_stack.outputs()
    assert_pi_outputs(outputs, guid, job_id)
    assert outputs["completed_at"] and outputs["accepted_at"]
    location = outputs["operation_location"]
    assert f"configure/{job_id}/status" in location and "version=2022-07-01" in location, location
    [resource] = pi_stack.resources()
    assert resource["id"] == f"contoso/vm1/{job_id}"
    assert_no_token(pi_stack, PI_TOKEN, E2E_TOKEN)
    assert PI_TOKEN not in json.dumps(pi_stack.export())

    # a second up and a preview: no request, no change
    sim.reset_counts()
    pi_stack.up()
    assert sim.requests == []
    quiet = json.loads(pi_stack.preview("--json").stdout)
    assert golive_steps(quiet) == [] and set(quiet["changeSummary"]) == {"same"}
    assert sim.requests == []

    # refresh: reads only, and the record stays
    pi_stack.run("refresh", "--yes")
    assert sim.count("GET") >= 1 and sim.count("GET") == len(sim.requests)
    assert_pi_only(sim)
    assert_pi_outputs(pi_stack.outputs(), guid, job_id)

    # destroy: going live cannot be undone; nothing is sent
    sim.reset_counts()
    pi_stack.run("destroy", "--yes")
    assert sim.requests == []
    assert pi_stack.resources() == []


def test_accepted_then_completed_posts_nothing_more(pi_stack: Stack, sim: Simulator) -> None:
    sim.config.pi_job_seconds = 4.0  # still running when the first up returns
    guid = sim.add_product("vm1", state="ready")
    pi_stack.config("wait", "accepted")
    pi_stack.up()
    first = pi_stack.outputs()
    assert first["status"] == "running" and not first.get("completed_at")
    assert first["operation_id"]
    assert configure_posts(sim) == 1

    pi_stack.config("wait", "completed")
    done = pi_stack.up()
    assert "resuming the wait on recorded operation" in done.stdout + done.stderr
    assert configure_posts(sim) == 1 and sim.count("POST") == 1
    assert polled_jobs(sim) == {first["operation_id"]}
    assert_pi_outputs(pi_stack.outputs(), guid, first["operation_id"])
    assert_pi_only(sim)


def test_killed_up_then_up_posts_nothing_more(pi_stack: Stack, sim: Simulator) -> None:
    sim.config.pi_job_seconds = 6.0  # long enough to kill the run while it waits on the job
    guid = sim.add_product("vm1", state="ready")
    up = pi_stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: job_status_polls(sim) > 0, "the provider to poll the configure job", proc=up)
    # A CI job killed outright: the CLI and every plugin process under it die at once; nothing reaches the state.
    for pid in _process_tree(up.pid):
        with contextlib.suppress(ProcessLookupError):  # a short-lived child may have exited since `ps` listed it
            os.kill(pid, signal.SIGKILL)
    up.wait(timeout=30)
    assert up.returncode == -signal.SIGKILL
    assert configure_posts(sim) == 1

    _recover_and_up(pi_stack)
    assert configure_posts(sim) == 1 and sim.count("POST") == 1
    assert_pi_only(sim)
    outputs = pi_stack.outputs()
    submission = f"submission/{guid}/1"
    assert outputs["status"] == "succeeded"
    assert outputs["product_id"] == f"product/{guid}" and outputs["submission_id"] == submission
    # The new run did not start this go-live and no job ID links it to the submission: it records the submission.
    assert outputs["operation_id"] == submission
    assert not pi_stack.export()["deployment"].get("pending_operations")
