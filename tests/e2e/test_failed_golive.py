"""Issue 10 row 17 through the real engine: repeated `pulumi up` after a failed go-live, with both adapters.

The rule (README, "A failed go-live"): every `pulumi up` fails naming the failed operation and posts nothing,
until the offer is published again and `triggers` change; then one new go-live is posted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_cpp_golive.simulator import Simulator

from .conftest import PLUGIN_PROGRAM, USE_PLUGIN, Stack


@pytest.mark.parametrize("adapter", ["dynamic", "plugin"])
def test_failed_golive_is_reported_on_every_up_and_retried_only_explicitly(
        tmp_path: Path, pulumi_bin: Path, sim: Simulator, adapter: str) -> None:
    stack = (Stack(tmp_path, pulumi_bin, sim) if adapter == "dynamic"
             else Stack(tmp_path, pulumi_bin, sim, program=PLUGIN_PROGRAM, project_yaml=USE_PLUGIN))
    sim.config.golive_seconds, sim.config.fail_golive = 0.5, True
    first = stack.up(check=False)
    assert first.returncode != 0 and "simulated failure" in first.stdout + first.stderr
    failed_id = next(r.path for r in sim.requests if "/operations/" in r.path).rsplit("/", 1)[-1]
    for _ in range(2):
        again = stack.up(check=False)
        text = again.stdout + again.stderr
        assert again.returncode != 0 and failed_id in text and "not posted again" in text
    stack.config("trigger", "v2")  # a new triggers value alone does not retry: the offer was not published again
    bumped = stack.up(check=False)
    assert bumped.returncode != 0 and "publish the offer again" in bumped.stdout + bumped.stderr
    assert sim.count("POST", "/golive") == 1
    sim.config.fail_golive = False
    sim.start_publish("contoso", "vm1")
    sim.complete_now("contoso", "vm1")  # the publisher's fix: a new publish, waiting for sign-off
    stack.config("trigger", "v3")
    stack.up()
    assert sim.count("POST", "/golive") == 2
    assert stack.outputs()["status"] == "succeeded"
