"""examples/go as a user runs it, through Pulumi's real Go language host (which `go build`s the program on every
preview and up) and the executable plugin registered with `pulumi plugin install --file`, on both APIs.

The copy's layout: the example's go.mod replaces the SDK module with `../../sdk/go` (the checkout's generated SDK);
a copy lives elsewhere, so the test points that replace at this checkout's sdk/go with `go mod edit`, the one
change a user copying the example out of the repository makes too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pulumi_cpp_golive.simulator import Simulator

from . import test_pi_examples
from .conftest import ROOT, Stack
from .pi_support import PI_TOKEN, assert_pi_only, assert_pi_outputs, configure_posts, polled_jobs, use_pi
from .test_examples import register_plugin, user_path, warnings_in

EXAMPLE = ROOT / "examples" / "go"
SDK_MODULE = "github.com/pulumi-cpp-golive/pulumi-cpp-golive/sdk/go"
HOST = "pulumi-language-go"

pytestmark = pytest.mark.xdist_group("example-go")
# The fixture: one simulator with offer contoso/vm1 and product vm1, short operations (a fixture is seen only in the
# module that defines or names it).
sim = test_pi_examples.sim  # one worker: the Go build cache warms once


def go_stack(tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> Stack:
    if not (pulumi_bin / HOST).exists():
        pytest.fail(f"{HOST} is missing from {pulumi_bin}: the Go example needs Pulumi's Go host "
                    "(../shared/pulumi-hosts, or PULUMI_CPP_GOLIVE_HOSTS for scripts/bootstrap-pulumi)")
    stack = Stack(tmp_path, pulumi_bin, sim, program=EXAMPLE, path=user_path(pulumi_bin))
    done = subprocess.run(["go", "mod", "edit", f"-replace={SDK_MODULE}={ROOT / 'sdk' / 'go'}"], cwd=stack.dir,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    register_plugin(stack)
    stack.config("publisherId", "contoso")
    stack.config("offerId", "vm1")
    return stack


def golive_steps(preview: subprocess.CompletedProcess[str]) -> list[str]:
    return [step["op"] for step in json.loads(preview.stdout).get("steps") or [] if "OfferGoLive" in step["urn"]]


@pytest.mark.parametrize("api", ["cpp", "product-ingestion"])
def test_install_preview_up_again_refresh(api: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    stack = go_stack(tmp_path, pulumi_bin, sim)
    guid = ""
    if api == "product-ingestion":
        guid = sim.add_product("vm1", state="ready")
        use_pi(stack, sim)
        sim.config.token = PI_TOKEN
    install = stack.run("install", timeout=900)
    assert "Finished installing dependencies" in install.stdout, install.stdout + install.stderr

    preview = stack.preview("--json")
    assert golive_steps(preview) == ["create"]
    assert sim.requests == []

    up = stack.up()
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded", outputs
    if api == "cpp":
        assert sim.count("POST") == 1 and sim.count("POST", "/golive") == 1
        assert outputs["operationId"] and not outputs.get("productId"), outputs
    else:
        assert sim.count("POST") == 1 and configure_posts(sim) == 1
        [job] = polled_jobs(sim)
        assert_pi_outputs(outputs, guid, job)
        assert_pi_only(sim)

    sim.reset_counts()
    again = stack.up()
    assert "2 unchanged" in again.stdout, again.stdout
    assert sim.requests == []

    refresh = stack.run("refresh", "--yes", "--skip-preview")
    methods = {r.method for r in sim.requests}
    assert methods == {"GET"}, [f"{r.method} {r.path}" for r in sim.requests]
    assert stack.outputs() == outputs
    # Nothing warned: the host sits beside the CLI and the plugin is registered.
    assert warnings_in(preview, up, again, refresh) == []
