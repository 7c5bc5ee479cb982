"""Moving a stack from the dynamic provider to the plugin (README: "Moving from the dynamic provider to the
plugin"): change the class, run `pulumi up`. The plugin's create finds the offer live and adopts its go-live; the
dynamic resource is removed from the stack only. Nothing is posted. On CPP the operation ID stays; on Product
Ingestion the same live submission is recorded (a live submission's listing names no job, so the submission ID
stands as the operation ID)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, USE_PLUGIN, Stack
from .pi_support import PI_TOKEN, configure_posts, use_pi

PROGRAM = Path(__file__).resolve().parent / "move_program"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(token=E2E_TOKEN, golive_seconds=1.0, pi_job_seconds=1.0, pi_rollout_seconds=0.5)
    with Simulator(config) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        yield simulator


@pytest.mark.parametrize("api", ["cpp", "product-ingestion"])
def test_switching_the_class_keeps_the_golive_and_posts_nothing(api: str, tmp_path: Path, pulumi_bin: Path,
                                                               sim: Simulator) -> None:
    stack = Stack(tmp_path, pulumi_bin, sim, program=PROGRAM, project_yaml=USE_PLUGIN)
    if api == "product-ingestion":
        sim.add_product("vm1", state="ready")
        use_pi(stack, sim)
        sim.config.token = PI_TOKEN
    stack.up()
    before = stack.outputs()
    assert before["status"] == "succeeded"
    assert sim.count("POST") == 1
    [dynamic] = stack.resources("OfferGoLive")
    assert dynamic["type"].startswith("pulumi-python:dynamic")

    sim.reset_counts()
    stack.config("provider", "plugin")
    up = stack.up()
    assert sim.count("POST") == 0 and configure_posts(sim) == 0
    assert {r.method for r in sim.requests} == {"GET"}, [f"{r.method} {r.path}" for r in sim.requests]
    after = stack.outputs()
    assert after["status"] == "succeeded"
    if api == "cpp":
        assert after == before
    else:
        assert after["submission_id"] == before["submission_id"] != ""
        assert after["operation_id"] == before["submission_id"]
    [plugin] = stack.resources("OfferGoLive")
    assert plugin["type"] == "cpp-golive:index:OfferGoLive"
    assert plugin["id"] == f"contoso/vm1/{after['operation_id']}"
    assert "adopting" in up.stdout, up.stdout

    sim.reset_counts()
    again = stack.up()
    assert "unchanged" in again.stdout and sim.requests == []
