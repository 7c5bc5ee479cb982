"""examples/yaml (Pulumi YAML, real pulumi-language-yaml) using the plugin, against the simulator."""

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

EXAMPLE = ROOT / "examples" / "yaml"


@pytest.fixture
def yaml_stack(tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> Stack:
    if not (pulumi_bin / "pulumi-language-yaml").exists():
        pytest.fail("pulumi-language-yaml is missing: run scripts/bootstrap-pulumi")
    stack = Stack(tmp_path, pulumi_bin, sim, program=EXAMPLE)
    stack.config("publisherId", "contoso")
    stack.config("offerId", "vm1")
    return stack


def recorded(stack: Stack) -> dict[str, Any]:
    [resource] = stack.resources("cpp-golive:index:OfferGoLive")
    return resource


def test_yaml_preview_up_redeploy_destroy(yaml_stack: Stack, sim: Simulator) -> None:
    preview = json.loads(yaml_stack.preview("--json").stdout)
    assert [s["op"] for s in preview["steps"] if "OfferGoLive" in s["urn"]] == ["create"]
    assert sim.requests == []
    yaml_stack.up()
    assert sim.count("POST", "/golive") == 1
    outputs = yaml_stack.outputs()
    assert outputs["status"] == "succeeded" and outputs["operationId"]
    sim.reset_counts()
    yaml_stack.up()
    assert sim.requests == []
    yaml_stack.run("destroy", "--yes")
    assert sim.count("POST") == 0


def test_yaml_failed_operation_keeps_the_id_and_the_next_up_posts_nothing(yaml_stack: Stack, sim: Simulator) -> None:
    sim.config.fail_golive = True
    done = yaml_stack.up(check=False)
    assert done.returncode != 0 and "simulated failure" in done.stdout + done.stderr
    assert recorded(yaml_stack)["outputs"]["operationId"]
    sim.reset_counts()
    yaml_stack.up()
    assert sim.count("POST") == 0


def test_yaml_ctrl_c_exits_promptly_with_the_id_in_state(yaml_stack: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 120.0
    up = yaml_stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: any("/operations/" in r.path for r in sim.requests), "the wait to start", proc=up)
    pressed = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)
    up.wait(timeout=60)
    assert time.monotonic() - pressed < 30
    assert recorded(yaml_stack)["outputs"]["status"] == "running"
    sim.complete_now("contoso", "vm1")
    yaml_stack.up()
    assert recorded(yaml_stack)["outputs"]["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1
