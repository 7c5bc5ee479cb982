"""Long waits and many offers through the real engine."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, ROOT, Stack, wait_for

RESULTS = ROOT / "benchmarks" / "e2e-latest.json"


def test_a_200_second_golive_completes_and_up_returns_promptly(stack: Stack, sim: Simulator) -> None:
    # pulumi/pulumi#13841 reported Python dynamic providers hanging past ~180 s; this wait is longer than that.
    sim.config.golive_seconds = 200.0
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: sim.count("POST", "/golive") == 1, "the go-live POST", proc=up)
    posted = time.monotonic()  # at or after the real POST, so posted + 200 is at or after the completion
    output, _ = up.communicate(timeout=400)
    returned = time.monotonic()
    assert up.returncode == 0, output
    assert returned - (posted + 200.0) < 15.0
    assert returned - posted >= 199.0
    assert stack.outputs()["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1


def _timed_up(stack: Stack) -> float:
    started = time.monotonic()
    stack.up("--parallel", "64")
    return time.monotonic() - started


def test_twenty_offers_go_live_in_one_stack(tmp_path: Path, pulumi_bin: Path) -> None:
    config = SimulatorConfig(token=E2E_TOKEN, golive_seconds=5.0)
    with Simulator(config) as sim:
        for index in range(20):
            sim.add_offer("contoso", f"vm{index}", state="ready")
        single = Stack(tmp_path / "one", pulumi_bin, sim)
        many = Stack(tmp_path / "twenty", pulumi_bin, sim)
        many.config("count", "20")

        single_seconds = _timed_up(single)
        assert sim.count("POST", "/golive") == 1
        # vm1 is shared by both stacks: make it ready again for the twenty-offer stack.
        sim.add_offer("contoso", "vm1", state="ready")
        twenty_seconds = _timed_up(many)
        assert sim.count("POST", "/golive") == 21
        outputs = many.outputs()
        assert sorted(outputs) == sorted(f"status_{i}" for i in range(20))
        assert set(outputs.values()) == {"succeeded"}

    ratio = twenty_seconds / single_seconds
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "dynamic_provider_20_offers_seconds": round(twenty_seconds, 1),
        "dynamic_provider_1_offer_seconds": round(single_seconds, 1),
        "ratio": round(ratio, 2),
        "golive_seconds": 5.0,
    }, indent=2) + "\n")
    print(f"20 offers: {twenty_seconds:.1f} s, 1 offer: {single_seconds:.1f} s, ratio {ratio:.2f}")
    # The dynamic-provider host serves at most 4 calls at once: 20 offers take about 5 go-live durations.
    # Serial creates would be ~20x; anything near that means the waits no longer overlap.
    assert ratio < 10
