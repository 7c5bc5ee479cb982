"""A Python and a YAML program switch from CPP to Product Ingestion (PI) by changing only `api` and the credentials.

examples/python (dynamic provider) and examples/yaml (plugin), installed as test_examples.py installs them, publish
to preview and go live on CPP (python: with `goLive` true); then, with the program files untouched, `pulumi config set
api product-ingestion` and the PI URL and token:
- on the same stack, the recorded publish and go-live are kept: the switch is an update that sends nothing (the
  offer is live; there is nothing to post);
- on a fresh stack, as a user moving an offer to Partner Center would start, one publish to preview
  (`POST configure` of the draft), one go-live of exactly that preview (`POST configure`), and PI outputs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from . import test_examples
from .conftest import E2E_TOKEN, ROOT, Stack
from .pi_support import (
    PI_PREFIX,
    PI_TOKEN,
    assert_no_token,
    assert_pi_only,
    assert_pi_outputs,
    configure_posts,
    output,
    polled_jobs,
    program_files,
    use_pi,
)
from .test_examples import (
    CPP_RELEASE,
    GATED_EXAMPLES,
    PI_RELEASE,
    PLUGIN_EXAMPLES,
    example_path,
    posts,
    register_plugin,
    steps_of,
)

# The session fixture that copies and installs an example: a fixture defined in a test module is only seen there.
installed_examples = test_examples.installed_examples


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """One simulator serving offer contoso/vm1 on CPP and product vm1 on PI, with short operations."""
    config = SimulatorConfig(token=E2E_TOKEN, golive_seconds=1.5, publish_seconds=0.5, pi_job_seconds=1.5,
                             pi_rollout_seconds=1.0)
    with Simulator(config) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready", edited=True)
        yield simulator


def user_stack(name: str, project: Path, workdir: Path, stack_name: str, pulumi_bin: Path, sim: Simulator) -> Stack:
    """A new stack of the installed example, set up as its comments tell a user (CPP settings come from Stack)."""
    workdir.mkdir()
    stack = Stack(workdir, pulumi_bin, sim, installed=project, path=example_path(name, pulumi_bin),
                  stack_name=stack_name)
    if name in PLUGIN_EXAMPLES:
        register_plugin(stack)
    stack.config("publisherId", "contoso")
    stack.config("offerId", "vm1")
    if name in GATED_EXAMPLES:
        stack.config("goLive", "true")  # the preview is checked: both resources (examples/yaml always has both)
    return stack


def golive_steps(preview_json: str) -> list[str]:
    return steps_of(preview_json, "OfferGoLive")


def publish_steps(preview_json: str) -> list[str]:
    return steps_of(preview_json, "OfferPublish")


# One xdist group per example, as test_examples.py does: a worker installs an example once.
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xdist_group(f"pi-example-{n}"), id=n)
                                  for n in ("python", "yaml")])
def test_switch_from_cpp_to_pi_by_config_only(name: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                              installed_examples: Callable[[str], Path]) -> None:
    project = installed_examples(name)
    written = program_files(project)
    # The program is the example as shipped (installing only pointed requirements.txt at this checkout).
    for file in ("Pulumi.yaml", "__main__.py"):
        shipped = ROOT / "examples" / name / file
        if shipped.exists():
            assert written[file] == shipped.read_bytes(), file
    # Product vm1: preview submission 1 is ready, and the draft holds changes since (a new version to release).
    guid = sim.add_product("vm1", state="ready", draft_changed=True)
    tag = f"t{os.getpid()}-{tmp_path.name}"

    # CPP: one publish POST and one go-live POST, no PI request, CPP outputs
    cpp = user_stack(name, project, tmp_path / "cpp", f"{tag}-cpp", pulumi_bin, sim)
    cpp.up()
    assert posts(sim) == CPP_RELEASE
    assert not [r.path for r in sim.requests if r.path.startswith(PI_PREFIX)]
    before = cpp.outputs()
    operation_id = output(before, "operation_id")
    assert output(before, "status") == "succeeded" and operation_id
    assert not output(before, "product_id") and not output(before, "submission_id")
    assert output(before, "publish_status") == "succeeded" and output(before, "publish_operation_id")
    assert output(before, "preview_submission_id") == ""  # CPP has no preview submissions: it pins nothing

    # The same stack switched to PI: an update of the recorded publish and go-live that sends nothing
    sim.reset_counts()
    use_pi(cpp, sim)
    switch = cpp.preview("--json").stdout
    # The publish's update leaves its outputs unknown in preview, so the go-live's previewSubmissionId is unknown
    # there and it previews as a replace (README, Limits); the `up` itself is an update that sends nothing.
    assert publish_steps(switch) == ["update"] and golive_steps(switch) in (["update"], ["replace"])
    cpp.up()
    assert sim.requests == []
    for type_name in ("OfferPublish", "OfferGoLive"):
        [resource] = cpp.resources(type_name)
        assert resource["inputs"]["api"] == "product-ingestion", type_name
    after = cpp.outputs()
    assert output(after, "operation_id") == operation_id and output(after, "status") == "succeeded"
    assert output(after, "publish_operation_id") == output(before, "publish_operation_id")
    assert not output(after, "product_id")

    # A fresh stack on PI. From here on the CPP token is refused: the PI run must use the PI credentials.
    sim.config.token = PI_TOKEN
    pi = user_stack(name, project, tmp_path / "pi", f"{tag}-pi", pulumi_bin, sim)
    use_pi(pi, sim)
    fresh = pi.preview("--json").stdout
    assert publish_steps(fresh) == ["create"] and golive_steps(fresh) == ["create"]
    assert sim.requests == []
    pi.up()
    assert posts(sim) == PI_RELEASE and configure_posts(sim) == 1
    assert_pi_only(sim)
    outputs = pi.outputs()
    publish_job, job_id = output(outputs, "publish_operation_id"), output(outputs, "operation_id")
    assert publish_job and publish_job != job_id
    assert polled_jobs(sim) == {publish_job, job_id}
    # The draft became preview submission 2, and the go-live sent exactly that one live.
    assert output(outputs, "publish_status") == "succeeded"
    assert output(outputs, "preview_submission_id") == f"submission/{guid}/2"
    assert_pi_outputs(outputs, guid, job_id, submission=2)
    for stack in (cpp, pi):
        assert_no_token(stack, E2E_TOKEN, PI_TOKEN)

    assert program_files(project) == written
