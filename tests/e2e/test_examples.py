"""examples/yaml (Pulumi YAML, real pulumi-language-yaml) and examples/typescript (TypeScript, generated Node.js
SDK) using the plugin, against the simulator."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_cpp_golive.simulator import Simulator

from .conftest import ROOT, Stack, wait_for

EXAMPLES = ["yaml", "typescript"]


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> Stack:
    stack = Stack(tmp_path, pulumi_bin, sim, program=ROOT / "examples" / request.param)
    stack.config("publisherId", "contoso")
    stack.config("offerId", "vm1")
    return stack


def recorded(stack: Stack) -> dict[str, Any]:
    [resource] = stack.resources("cpp-golive:index:OfferGoLive")
    return resource


def test_preview_up_redeploy_destroy(example: Stack, sim: Simulator) -> None:
    preview = json.loads(example.preview("--json").stdout)
    assert [s["op"] for s in preview["steps"] if "OfferGoLive" in s["urn"]] == ["create"]
    assert sim.requests == []
    example.up()
    assert sim.count("POST", "/golive") == 1
    outputs = example.outputs()
    assert outputs["status"] == "succeeded" and outputs["operationId"]
    sim.reset_counts()
    example.up()
    assert sim.requests == []
    example.run("destroy", "--yes")
    assert sim.count("POST") == 0


def test_failed_operation_keeps_the_id_and_the_next_up_posts_nothing(example: Stack, sim: Simulator) -> None:
    sim.config.fail_golive = True
    done = example.up(check=False)
    assert done.returncode != 0 and "simulated failure" in done.stdout + done.stderr
    assert recorded(example)["outputs"]["operationId"]
    assert recorded(example)["outputs"]["status"] == "failed"
    sim.reset_counts()
    again = example.up(check=False)  # a failed go-live fails every `up`, posting nothing, until retried explicitly
    assert again.returncode != 0 and "not posted again" in again.stdout + again.stderr
    assert sim.count("POST") == 0


def test_timeout_keeps_the_id_and_the_next_up_resumes(example: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 8.0
    example.config("timeoutSeconds", "1")
    done = example.up(check=False)
    assert done.returncode != 0 and "re-run `pulumi up` to resume" in done.stdout + done.stderr
    first = recorded(example)["outputs"]
    assert first["status"] == "running" and first["operationId"]
    example.run("config", "rm", "timeoutSeconds")
    example.up()
    assert recorded(example)["outputs"]["status"] == "succeeded"
    assert recorded(example)["outputs"]["operationId"] == first["operationId"]
    assert sim.count("POST", "/golive") == 1


def test_ctrl_c_exits_promptly_with_the_id_in_state(example: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 120.0
    up = example.start("up", "--yes", "--skip-preview")
    wait_for(lambda: any("/operations/" in r.path for r in sim.requests), "the wait to start", proc=up)
    pressed = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)
    up.wait(timeout=60)
    assert time.monotonic() - pressed < 30
    assert recorded(example)["outputs"]["status"] == "running"
    sim.complete_now("contoso", "vm1")
    example.up()
    assert recorded(example)["outputs"]["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1
