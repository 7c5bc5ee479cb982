"""getOfferStatus through the real engine: each of the five states, on both APIs, from Python programs (the SDK's
invoke and the dynamic provider's plain function), a YAML program and a TypeScript program; nothing is posted."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, USE_PLUGIN, Stack
from .pi_support import PI_TOKEN, use_pi
from .test_examples import register_plugin, user_path
from .test_typescript_example import example_stack, install

PROGRAM = Path(__file__).resolve().parent / "status_program"
# One offer (CPP) and one product (Product Ingestion) in each state, named for it.
EXPECTED = {"never": "never-published", "publishing": "publishing", "ready": "preview-ready",
            "going": "going-live", "live": "live"}
APIS = ["cpp", "product-ingestion"]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    # Operations that last: the states stay put while the programs look.
    config = SimulatorConfig(token=E2E_TOKEN, tokens={PI_TOKEN}, golive_seconds=600, publish_seconds=600,
                             pi_job_seconds=600, pi_rollout_seconds=600)
    with Simulator(config) as simulator:
        simulator.add_offer("contoso", "never", state="never-published")
        for offer in ("publishing", "ready", "going"):
            simulator.add_offer("contoso", offer, state="ready")
        simulator.add_offer("contoso", "vm1", state="ready", edited=True)  # the example publishes its new version
        simulator.start_publish("contoso", "publishing")
        simulator.start_golive("contoso", "going")
        simulator.add_offer("contoso", "live", state="live")
        simulator.add_product("never", state="draft")
        simulator.add_product("publishing", state="preview-running")
        simulator.add_product("ready", state="ready")
        simulator.add_product("going", state="ready")
        simulator.start_pi_golive("going")
        simulator.add_product("live", state="live")
        simulator.reset_counts()
        yield simulator


def no_writes(sim: Simulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.requests if r.method != "GET"]


@pytest.mark.parametrize("adapter", ["sdk", "dynamic"])
@pytest.mark.parametrize("api", APIS)
def test_python_programs_read_every_state(adapter: str, api: str, tmp_path: Path, pulumi_bin: Path,
                                          sim: Simulator) -> None:
    stack = Stack(tmp_path, pulumi_bin, sim, program=PROGRAM, project_yaml=USE_PLUGIN)
    stack.config("adapter", adapter)
    stack.config("offers", ",".join(EXPECTED))
    if api == "product-ingestion":
        use_pi(stack, sim)
    stack.up()
    assert stack.outputs()["states"] == EXPECTED
    assert no_writes(sim) == []


def yaml_program(api: str) -> str:
    variables = "".join(
        f"  {offer}:\n    fn::invoke:\n      function: cpp-golive:index:getOfferStatus\n      arguments:\n"
        f"        publisherId: contoso\n        offerId: {offer}\n        api: {api}\n      options:\n"
        f"        version: 0.1.0\n" for offer in EXPECTED)
    outputs = "".join(f"  {offer}: ${{{offer}.state}}\n" for offer in EXPECTED)
    return f"name: offer-status-yaml\nruntime: yaml\nvariables:\n{variables}outputs:\n{outputs}"


@pytest.mark.xdist_group("example-yaml")
@pytest.mark.parametrize("api", APIS)
def test_a_yaml_program_reads_every_state(api: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    project = tmp_path / "yaml"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(yaml_program(api))
    workdir = tmp_path / "work"
    workdir.mkdir()
    stack = Stack(workdir, pulumi_bin, sim, installed=project, path=user_path(pulumi_bin))
    register_plugin(stack)
    if api == "product-ingestion":
        use_pi(stack, sim)
    stack.up()
    assert stack.outputs() == EXPECTED
    assert no_writes(sim) == []


def typescript_states(api: str) -> str:
    """The example's program plus one getOfferStatus per offer, exported as `states`."""
    constant = "cpp.Api.Cpp" if api == "cpp" else "cpp.Api.ProductIngestion"
    entries = ", ".join(f'{offer}: cpp.getOfferStatusOutput({{ publisherId: "contoso", offerId: "{offer}", '
                        f'api: {constant} }}).state' for offer in EXPECTED)
    return f"export const states = {{ {entries} }};\n"


@pytest.mark.parametrize("api", APIS)
def test_a_typescript_program_reads_every_state(api: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    # The example as shipped (goLive unset) publishes vm1 to preview and waits until the preview is ready: that
    # publish is short (the operations already started above keep their 600 s), and on PI vm1's draft has changes.
    stack = example_stack(tmp_path, pulumi_bin, sim, append=typescript_states(api), go_live=False)
    sim.config.publish_seconds = 0.5
    sim.config.pi_job_seconds = 0.5
    if api == "product-ingestion":
        sim.add_product("vm1", state="ready", draft_changed=True)
        use_pi(stack, sim)
    install(stack)
    stack.up()
    assert stack.outputs()["states"] == EXPECTED
    # the example's resource only: its publish to preview of vm1
    expected_write = "POST /rp/product-ingestion/configure" if api == "product-ingestion" else (
        "POST /api/publishers/contoso/offers/vm1/publish")
    assert no_writes(sim) == [expected_write]
    assert sim.counts().get("POST /configure preview" if api == "product-ingestion" else "POST /publish") == 1
