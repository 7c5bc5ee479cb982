"""State for a team: stacks kept in Azure Blob Storage (Pulumi's ``azblob://`` backend) against Azurite, the Azure
Storage emulator, on loopback, as a release team's CI keeps them in a shared container.

What a team relies on, each checked by request counts and by what the container holds: the usual flow (preview
sends nothing, up one POST, the next up nothing); two runs of one stack at once (Pulumi's stack lock: one runs, the
other stops, one POST); two stacks sending one offer live at once, on both APIs (one POST is accepted, both record
its operation ID); a run killed during the wait, through both adapters (the next run posts nothing); the backend
gone during a wait (the run fails naming it; once it is back, the next run posts nothing).
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .azurite import Azurite
from .conftest import E2E_TOKEN, Stack, wait_for
from .pi_support import PI_PREFIX, use_pi
from .test_interrupts import _process_tree, _recover_and_up
from .test_pi_lifecycle import PI_PROGRAM

PROJECT = "cpp-golive-e2e"  # the name conftest.Stack gives a project without a Pulumi.yaml of its own


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """One simulator for both APIs, with one token for both (each test sets the stack up for the API it uses)."""
    config = SimulatorConfig(token=E2E_TOKEN, golive_seconds=3.0, pi_job_seconds=1.5, pi_rollout_seconds=1.5)
    with Simulator(config) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        simulator.add_product("vm1", state="ready")
        yield simulator


def blob_stack(where: Path, pulumi_bin: Path, sim: Simulator, azurite: Azurite, name: str = "dev", *,
               adapter: str = "dynamic", api: str = "cpp") -> Stack:
    """A stack of tests/e2e/pi_program (either adapter, either API) whose state lives in Azurite's container."""
    backend = {"PULUMI_BACKEND_URL": azurite.backend_url(), **azurite.credentials()}
    stack = Stack(where, pulumi_bin, sim, program=PI_PROGRAM, stack_name=name, backend_env=backend)
    stack.config("adapter", adapter)
    if api == "product-ingestion":
        use_pi(stack, sim)
        stack.config("cpp-golive:productIngestionToken", E2E_TOKEN, secret=True)  # the simulator's one token
    return stack


def checkpoint(azurite: Azurite, name: str = "dev") -> dict:
    """The stack's checkpoint as the container holds it (what every other pipeline of the team reads)."""
    data: dict = json.loads(azurite.read_blob(f".pulumi/stacks/{PROJECT}/{name}.json"))
    return data


def recorded(azurite: Azurite, name: str = "dev") -> dict:
    """The go-live's outputs in the stack's checkpoint (snake_case for the dynamic provider, camelCase for the
    plugin), under the dynamic provider's names."""
    [resource] = [r for r in checkpoint(azurite, name)["checkpoint"]["latest"]["resources"]
                  if r["type"].endswith("OfferGoLive")]
    outputs: dict = resource["outputs"]
    return {snake: outputs.get(snake, outputs.get(camel)) for snake, camel in
            (("operation_id", "operationId"), ("submission_id", "submissionId"), ("status", "status"))}


def recorded_operation(azurite: Azurite, name: str = "dev") -> str:
    operation: str = recorded(azurite, name)["operation_id"]
    return operation


def golive_posts(sim: Simulator, api: str = "cpp") -> list[int | None]:
    """The status the simulator answered each go-live POST of ``api`` with."""
    suffix = "/configure" if api == "product-ingestion" else "/golive"
    return [r.status for r in sim.requests if r.method == "POST" and r.path.endswith(suffix)]


def polling(sim: Simulator) -> bool:
    return any(r.method == "GET" and ("/operations/" in r.path or "/configure/" in r.path) for r in sim.requests)


def locks(azurite: Azurite) -> list[str]:
    return azurite.blob_names(prefix=".pulumi/locks/")


def saving_the_checkpoint_failed(output: str, azurite: Azurite) -> bool:
    """Whether the CLI stopped because it could not write the checkpoint to the container. Pulumi v3.274.1 says so in
    one of two ways, by a race in the Go CDK azureblob writer it is built with: the error (the connection to the
    account refused), or a Go panic in that writer's Close while saving the checkpoint (the upload's error makes it
    drop the pipe that Close then closes: a nil pointer dereference). Either way the run ends, as a killed one."""
    refused = f"127.0.0.1:{azurite.port}" in output and "connection refused" in output
    crashed = ("nil pointer dereference" in output and "gocloud.dev/blob/azureblob.(*writer).Close" in output
               and "saveCheckpoint" in output)
    return refused or crashed


def test_the_demo_flow_keeps_its_state_in_the_container(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                        azurite: Azurite) -> None:
    stack = blob_stack(tmp_path, pulumi_bin, sim, azurite)
    stack.preview()
    assert sim.requests == []

    stack.up()
    assert golive_posts(sim) == [202]
    operation = stack.outputs()["operation_id"]
    assert stack.outputs()["status"] == "succeeded"
    # The container is the state: the checkpoint there records the operation, and nothing is kept locally.
    assert recorded_operation(azurite) == operation
    assert not any(p.is_file() for p in stack.backend.rglob("*"))
    assert E2E_TOKEN not in azurite.read_blob(f".pulumi/stacks/{PROJECT}/dev.json").decode()
    assert locks(azurite) == []  # released at the end of the run

    sim.reset_counts()
    stack.up()
    assert sim.count("POST") == 0


def test_two_runs_of_one_stack_at_once_one_gets_the_lock(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                         azurite: Azurite) -> None:
    sim.config.golive_seconds = 120.0  # the first run holds the lock until the test ends its go-live
    first = blob_stack(tmp_path / "first", pulumi_bin, sim, azurite)
    # The second pipeline: another checkout of the same project, selecting the same stack in the same container.
    second = Stack(tmp_path / "second", pulumi_bin, sim, program=PI_PROGRAM, stack_name="other",
                   backend_env={"PULUMI_BACKEND_URL": azurite.backend_url(), **azurite.credentials()})
    second.run("stack", "select", "dev")
    running = first.start("up", "--yes", "--skip-preview")
    wait_for(lambda: locks(azurite) != [], "the first run to take the stack's lock", proc=running)
    wait_for(lambda: polling(sim), "the first run to wait on its go-live", proc=running)

    late = second.up(check=False)
    assert late.returncode != 0
    assert "currently locked" in late.stdout + late.stderr, late.stdout + late.stderr
    assert running.poll() is None  # the refusal came while the first run held the lock, not after it
    assert sim.complete_now("contoso", "vm1") is not None
    output, _ = running.communicate(timeout=300)
    assert running.returncode == 0, output
    assert golive_posts(sim) == [202]
    assert locks(azurite) == []


@pytest.mark.parametrize("api", ["cpp", "product-ingestion"])
def test_two_stacks_one_offer_at_once_post_once(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                               azurite: Azurite, api: str) -> None:
    """Two pipelines with stacks of their own send the same offer live at the same moment: at most one POST can be
    accepted (the API runs one go-live per offer); a second one, if both surveyed before either posted, is refused
    as a conflict and its run adopts the other's operation."""
    stacks = [blob_stack(tmp_path / name, pulumi_bin, sim, azurite, name, api=api) for name in ("team-a", "team-b")]
    runs = [stack.start("up", "--yes", "--skip-preview") for stack in stacks]
    for run in runs:
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, output
    answers = golive_posts(sim, api)
    assert answers.count(202) == 1 and len(answers) <= 2, answers
    # the loser's refusal: 409, or 400 with an in-progress code, as the APIs answer (README, "Faults")
    assert all(status in (400, 409) for status in answers if status != 202), answers
    both = [recorded(azurite, name) for name in ("team-a", "team-b")]
    assert all(outputs["status"] == "succeeded" for outputs in both), both
    if api == "cpp":
        assert both[0]["operation_id"] == both[1]["operation_id"] != "", both
    else:
        # One and the same live submission; the stack that adopted it knows no job ID, so its operation ID is the
        # submission's (README, Product Ingestion outputs).
        assert both[0]["submission_id"] == both[1]["submission_id"] != "", both
        assert all(r.path.startswith(PI_PREFIX) for r in sim.requests)


@pytest.mark.parametrize("adapter", ["dynamic", "plugin"])
def test_killed_during_the_wait_the_next_run_posts_nothing(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                           azurite: Azurite, adapter: str) -> None:
    sim.config.golive_seconds = 8.0
    stack = blob_stack(tmp_path, pulumi_bin, sim, azurite, adapter=adapter)
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: polling(sim), "the provider to poll the go-live", proc=up)
    for pid in _process_tree(up.pid):  # the CI job killed outright: no unlock, no last checkpoint
        os.kill(pid, signal.SIGKILL)
    up.wait(timeout=30)
    assert golive_posts(sim) == [202]
    assert locks(azurite) != []  # the killed run's lock stays in the container until `pulumi cancel`

    _recover_and_up(stack)
    assert golive_posts(sim) == [202]
    assert stack.outputs()["status"] == "succeeded"
    assert recorded_operation(azurite) == stack.outputs()["operation_id"]


def test_backend_gone_during_the_wait_fails_then_resumes(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                         azurite: Azurite) -> None:
    sim.config.golive_seconds = 120.0  # ended by the test once the backend is gone
    stack = blob_stack(tmp_path, pulumi_bin, sim, azurite)
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: polling(sim), "the provider to poll the go-live", proc=up)
    azurite.stop()  # the storage account unreachable (network, firewall, outage) while the go-live runs
    assert up.poll() is None
    assert sim.complete_now("contoso", "vm1") is not None  # the create ends: the engine writes the checkpoint
    output, _ = up.communicate(timeout=300)
    assert up.returncode != 0, output
    assert saving_the_checkpoint_failed(output, azurite), output
    assert golive_posts(sim) == [202]

    azurite.start()  # the same account back, with what it held
    _recover_and_up(stack)
    assert golive_posts(sim) == [202]
    assert stack.outputs()["status"] == "succeeded"
    assert recorded_operation(azurite) == stack.outputs()["operation_id"]
