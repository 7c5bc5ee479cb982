"""examples/go as a user runs it, through Pulumi's real Go language host (which `go build`s the program on every
preview and up) and the executable plugin registered with `pulumi plugin install --file`, on both APIs.

The copy's layout: the example's go.mod replaces the SDK module with `../../sdk/go` (the checkout's generated SDK);
a copy lives elsewhere, so the test points that replace at this checkout's sdk/go with `go mod edit`, the one
change a user copying the example out of the repository makes too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pulumi_cpp_golive.simulator import Simulator

from . import test_pi_examples
from .conftest import ROOT, Stack
from .pi_support import PI_TOKEN, assert_pi_only, assert_pi_outputs, configure_posts, polled_jobs, use_pi
from .test_examples import CPP_RELEASE, PI_RELEASE, posts, register_plugin, steps_of, user_path, warnings_in

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
    stack.config("goLive", "true")  # the preview is checked: publish to preview and go live in one `up`
    return stack


def golive_steps(preview: subprocess.CompletedProcess[str]) -> list[str]:
    return steps_of(preview.stdout, "OfferGoLive")


def publish_steps(preview: subprocess.CompletedProcess[str]) -> list[str]:
    return steps_of(preview.stdout, "OfferPublish")


@pytest.mark.parametrize("api", ["cpp", "product-ingestion"])
def test_install_preview_up_again_refresh(api: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    stack = go_stack(tmp_path, pulumi_bin, sim)
    guid = ""
    if api == "product-ingestion":
        guid = sim.add_product("vm1", state="ready", draft_changed=True)  # a new draft to publish to preview
        use_pi(stack, sim)
        sim.config.token = PI_TOKEN
    install = stack.run("install", timeout=900)
    assert "Finished installing dependencies" in install.stdout, install.stdout + install.stderr

    preview = stack.preview("--json")
    assert publish_steps(preview) == ["create"] and golive_steps(preview) == ["create"]
    assert sim.requests == []

    up = stack.up()
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded" and outputs["publishStatus"] == "succeeded", outputs
    assert outputs["publishOperationId"] and outputs["publishOperationId"] != outputs["operationId"], outputs
    if api == "cpp":
        assert posts(sim) == CPP_RELEASE
        assert outputs["operationId"] and not outputs.get("productId"), outputs
        assert outputs["previewSubmissionId"] == "", outputs
    else:
        assert posts(sim) == PI_RELEASE and configure_posts(sim) == 1
        assert polled_jobs(sim) == {outputs["publishOperationId"], outputs["operationId"]}
        # the draft became preview submission 2; the go-live sent exactly that one live
        assert outputs["previewSubmissionId"] == f"submission/{guid}/2", outputs
        assert_pi_outputs(outputs, guid, outputs["operationId"], submission=2)
        assert_pi_only(sim)

    sim.reset_counts()
    again = stack.up()
    assert "3 unchanged" in again.stdout, again.stdout  # the stack, the publish and the go-live
    assert sim.requests == []

    refresh = stack.run("refresh", "--yes", "--skip-preview")
    methods = {r.method for r in sim.requests}
    assert methods == {"GET"}, [f"{r.method} {r.path}" for r in sim.requests]
    assert stack.outputs() == outputs
    # Nothing warned: the host sits beside the CLI and the plugin is registered.
    assert warnings_in(preview, up, again, refresh) == []
