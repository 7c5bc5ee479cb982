"""getOfferStatus through the real engine, from Python programs (the SDK's invoke and the dynamic provider's plain
function) and a YAML program, on both APIs: the state a pipeline gates on, with nothing posted."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, USE_PLUGIN, Stack
from .pi_support import PI_TOKEN, use_pi
from .test_examples import register_plugin, user_path

PROGRAM = Path(__file__).resolve().parent / "status_program"
YAML_PROGRAM = """name: offer-status-yaml
runtime: yaml
config:
  api:
    type: string
    default: cpp
variables:
  found:
    fn::invoke:
      function: cpp-golive:index:getOfferStatus
      arguments:
        publisherId: contoso
        offerId: vm1
        api: ${api}
      options:
        version: 0.1.0
outputs:
  state: ${found.state}
"""


@pytest.fixture
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(token=E2E_TOKEN, golive_seconds=600, pi_job_seconds=600, pi_rollout_seconds=600)
    with Simulator(config) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        simulator.add_product("vm1", state="live")
        yield simulator


@pytest.mark.parametrize("adapter", ["sdk", "dynamic"])
@pytest.mark.parametrize("api", ["cpp", "product-ingestion"])
def test_a_python_program_reads_the_state_and_posts_nothing(adapter: str, api: str, tmp_path: Path,
                                                            pulumi_bin: Path, sim: Simulator) -> None:
    stack = Stack(tmp_path, pulumi_bin, sim, program=PROGRAM, project_yaml=USE_PLUGIN)
    stack.config("adapter", adapter)
    stack.config("offerId", "vm1")
    if api == "product-ingestion":
        use_pi(stack, sim)
        sim.config.tokens = {PI_TOKEN}
    stack.up()
    outputs = stack.outputs()
    assert outputs["state"] == ("preview-ready" if api == "cpp" else "live"), outputs
    assert (outputs["operationId"] != "") == (api != "cpp")
    assert [r for r in sim.requests if r.method != "GET"] == []


@pytest.mark.xdist_group("example-yaml")
def test_a_yaml_program_reads_the_state(tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    project = tmp_path / "yaml"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(YAML_PROGRAM)
    workdir = tmp_path / "work"
    workdir.mkdir()
    stack = Stack(workdir, pulumi_bin, sim, installed=project, path=user_path(pulumi_bin))
    register_plugin(stack)
    stack.up()
    assert stack.outputs()["state"] == "preview-ready"
    assert [r for r in sim.requests if r.method != "GET"] == []
