"""The examples as a user runs them: a copy of examples/python, examples/python-plugin and examples/yaml, `pulumi
install`, then `pulumi preview`/`up` against the simulator, with only the engine directory of scripts/bootstrap-pulumi
(and, for the dynamic provider, a virtualenv holding the package) on PATH.

The plugin examples use the executable plugin `pulumi-resource-cpp-golive` (a console script of the package, here
from the checkout's virtualenv) with no `plugins.providers` entry: registered with `pulumi plugin install --file`,
or merely found on PATH. Each example is installed once per worker (`pytest -n 4 --dist loadgroup` keeps an
example's tests on one worker) and each test gets a stack, backend and PULUMI_HOME of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from pulumi_cpp_golive.simulator import Simulator

from .conftest import ROOT, Stack, wait_for

VENV_BIN = ROOT / ".venv" / "bin"
PLUGIN_SCRIPT = VENV_BIN / "pulumi-resource-cpp-golive"
PLUGIN_VERSION = "0.1.0"
# Which example uses which provider.
PLUGIN_EXAMPLES = {"python-plugin", "yaml"}
# The examples whose go-live exists only with stack config `goLive` true (Pulumi YAML has no conditionals).
GATED_EXAMPLES = {"python", "python-plugin", "typescript", "go"}
# The one publish to preview and the one go-live of a release on CPP, and on Product Ingestion.
CPP_RELEASE = {"POST /publish": 1, "POST /golive": 1}
PI_RELEASE = {"POST /configure preview": 1, "POST /configure": 1}


def example_param(name: str) -> Any:
    return pytest.param(name, marks=pytest.mark.xdist_group(f"example-{name}"), id=name)


def ambient_path() -> list[str]:
    """The test runner's PATH without anything of Pulumi's or this checkout's (a user's shell before setup)."""
    def pulumi_free(entry: str) -> bool:
        return entry != "" and not any(Path(entry).glob("pulumi*"))
    return [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if pulumi_free(entry)]


def user_path(pulumi_bin: Path, *extra: Path) -> str:
    return os.pathsep.join([str(pulumi_bin), *map(str, extra), *ambient_path()])


def example_path(name: str, pulumi_bin: Path) -> str:
    """The dynamic provider needs a virtualenv holding the package on PATH (the examples's own ./venv, which
    `pulumi install` creates, is what the program runs in); the plugin examples find the plugin in the plugin cache."""
    return user_path(pulumi_bin) if name in PLUGIN_EXAMPLES else user_path(pulumi_bin, VENV_BIN)


def register_plugin(stack: Stack) -> None:
    """The one-time step a user of the plugin takes after `pip install`: put the console script in the plugin cache."""
    assert PLUGIN_SCRIPT.exists(), f"{PLUGIN_SCRIPT} is missing: the package's console script (scripts/lib/venv.sh)"
    stack.run("plugin", "install", "resource", "cpp-golive", PLUGIN_VERSION, "--file", str(PLUGIN_SCRIPT))


def warnings_in(*outputs: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.strip() for done in outputs for line in (done.stdout + done.stderr).splitlines()
            if re.search(r"\bwarning\b", line, re.IGNORECASE)]


@pytest.fixture(scope="session")
def installed_examples(tmp_path_factory: pytest.TempPathFactory, pulumi_bin: Path) -> Callable[[str], Path]:
    """Returns the installed copy of an example, made on first use: copied, its `../..` paths pointed at this
    checkout, then `pulumi install` (which creates ./venv for the Python examples)."""
    made: dict[str, Path] = {}

    def install(name: str) -> Path:
        if name in made:
            return made[name]
        base = tmp_path_factory.mktemp(f"example-{name}")
        project = base / "project"
        shutil.copytree(ROOT / "examples" / name, project, ignore=shutil.ignore_patterns("venv", ".venv"))
        requirements = project / "requirements.txt"
        if requirements.exists():
            requirements.write_text(re.sub(r"(-e\s+)\.\./\.\.", rf"\g<1>{ROOT}", requirements.read_text()))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CPP_", "AZURE_"))}
        env.update(PATH=example_path(name, pulumi_bin), PULUMI_HOME=str(base / "home"),
                   PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
        steps = [["pulumi", "install"]]
        if name in PLUGIN_EXAMPLES:
            steps.insert(0, ["pulumi", "plugin", "install", "resource", "cpp-golive", PLUGIN_VERSION,
                             "--file", str(PLUGIN_SCRIPT)])
        for step in steps:
            done = subprocess.run(step, cwd=project, env=env, capture_output=True, text=True, timeout=600,
                                  check=False)
            assert done.returncode == 0, f"{' '.join(step)} in examples/{name}:\n{done.stdout}\n{done.stderr}"
            assert not warnings_in(done), warnings_in(done)
        made[name] = project
        return project

    return install


def example_stack(name: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                  installed_examples: Callable[[str], Path], path: str | None = None, *,
                  go_live: bool = True) -> Stack:
    """A stack of the installed example for offer contoso/vm1; ``go_live``: `pulumi config set goLive true`, the
    step a user takes once the preview was checked (examples/yaml has no such switch: its go-live is always there)."""
    stack = Stack(tmp_path, pulumi_bin, sim, installed=installed_examples(name),
                  path=path or example_path(name, pulumi_bin), stack_name=f"t{os.getpid()}-{tmp_path.name}")
    if name in PLUGIN_EXAMPLES and path is None:
        register_plugin(stack)
    stack.config("publisherId", "contoso")
    stack.config("offerId", "vm1")
    if go_live and name in GATED_EXAMPLES:
        stack.config("goLive", "true")
    return stack


def posts(sim: Simulator) -> dict[str, int]:
    """The POSTs the simulator received, per counting key: "POST /publish" and "POST /golive" (CPP),
    "POST /configure preview" (a PI publish to preview) and "POST /configure" (a PI go-live)."""
    return {key: n for key, n in sim.counts().items() if key.startswith("POST ")}


def steps_of(preview_json: str, type_name: str) -> list[str]:
    """The ops a `pulumi preview --json` plans for the resources of type ``cpp-golive:index:<type_name>``."""
    return [step["op"] for step in json.loads(preview_json).get("steps") or []
            if step["urn"].split("::")[-2].endswith(f":{type_name}")]


def golive_requests_after_post(sim: Simulator) -> bool:
    """Whether the provider polls the go-live: an operation GET came after the go-live POST (the publish's polls,
    which also go to /operations/, come before it)."""
    requests = sim.requests
    posted = [i for i, r in enumerate(requests) if r.key == "POST /golive"]
    return bool(posted) and any("/operations/" in r.path for r in requests[posted[0] + 1:])


@pytest.mark.parametrize("name", [example_param(n) for n in ("python", "python-plugin", "yaml")])
def test_install_preview_up_redeploy_destroy_without_warnings(
        name: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator,
        installed_examples: Callable[[str], Path]) -> None:
    """The release as each example's comments tell it: a first `up` publishes to preview only (Python: goLive
    unset; YAML: `--target '**offer-publish**'`), then, the preview checked, an `up` with the go-live sends it live."""
    stack = example_stack(name, tmp_path, pulumi_bin, sim, installed_examples, go_live=False)
    preview = stack.preview("--json")
    assert steps_of(preview.stdout, "OfferPublish") == ["create"]
    assert steps_of(preview.stdout, "OfferGoLive") == ([] if name in GATED_EXAMPLES else ["create"])
    assert sim.requests == []
    publish_only = ("--target", "**offer-publish**") if name not in GATED_EXAMPLES else ()
    published = stack.up(*publish_only)
    assert posts(sim) == {"POST /publish": 1}
    outputs = stack.outputs()
    assert (outputs.get("publish_status") or outputs.get("publishStatus")) == "succeeded", outputs
    assert outputs.get("publish_operation_id") or outputs.get("publishOperationId"), outputs
    assert stack.resources("OfferGoLive") == []  # not created: no go-live outputs yet
    if name in GATED_EXAMPLES:
        assert "operation_id" not in outputs and "operationId" not in outputs, outputs

    sim.reset_counts()
    if name in GATED_EXAMPLES:
        stack.config("goLive", "true")
    go_live = stack.preview("--json")
    assert steps_of(go_live.stdout, "OfferPublish") == []  # unchanged (`--json` lists no "same" steps)
    assert steps_of(go_live.stdout, "OfferGoLive") == ["create"]
    assert json.loads(go_live.stdout)["changeSummary"].get("create") == 1
    assert sim.requests == []
    up = stack.up()
    assert posts(sim) == {"POST /golive": 1}  # the preview published above, not another publish
    outputs = stack.outputs()
    status = outputs.get("status")
    assert status == "succeeded" and (outputs.get("operationId") or outputs.get("operation_id")), outputs
    assert (outputs.get("publish_status") or outputs.get("publishStatus")) == "succeeded", outputs
    sim.reset_counts()
    again = stack.up()
    assert sim.requests == []
    # No "using pulumi-language-python from $PATH", nor any other warning: the hosts sit beside the CLI.
    assert warnings_in(preview, published, go_live, up, again) == []
    stack.run("destroy", "--yes")
    assert sim.count("POST") == 0


@pytest.mark.xdist_group("example-yaml")
def test_plugin_found_on_path_with_no_registration(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                   installed_examples: Callable[[str], Path]) -> None:
    """The console script merely on PATH: the engine finds the provider by itself and says so, the one warning."""
    stack = example_stack("yaml", tmp_path, pulumi_bin, sim, installed_examples,
                          path=user_path(pulumi_bin, VENV_BIN))
    up = stack.up()
    assert posts(sim) == CPP_RELEASE  # both resources in one `up`: publish to preview, then go live
    assert stack.outputs()["status"] == "succeeded" and stack.outputs()["publishStatus"] == "succeeded"
    found = warnings_in(up)
    assert found, "the engine no longer warns about a provider taken from PATH: update examples/yaml's comment"
    assert all(f"using pulumi-resource-cpp-golive from $PATH at {PLUGIN_SCRIPT}" in w for w in found), found


def recorded(stack: Stack) -> dict[str, Any]:
    [resource] = stack.resources("cpp-golive:index:OfferGoLive")
    return resource


@pytest.fixture
def yaml_example(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                 installed_examples: Callable[[str], Path]) -> Stack:
    return example_stack("yaml", tmp_path, pulumi_bin, sim, installed_examples)


@pytest.mark.xdist_group("example-yaml")
def test_failed_operation_keeps_the_id_and_the_next_up_posts_nothing(yaml_example: Stack, sim: Simulator) -> None:
    sim.config.fail_golive = True  # go-lives only: the publish to preview succeeds
    done = yaml_example.up(check=False)
    assert done.returncode != 0 and "simulated failure" in done.stdout + done.stderr
    assert posts(sim) == CPP_RELEASE
    [publish] = yaml_example.resources("cpp-golive:index:OfferPublish")
    assert publish["outputs"]["status"] == "succeeded"
    assert recorded(yaml_example)["outputs"]["operationId"]
    assert recorded(yaml_example)["outputs"]["status"] == "failed"
    sim.reset_counts()
    again = yaml_example.up(check=False)  # a failed go-live fails every `up`, posting nothing, until retried
    assert again.returncode != 0 and "not posted again" in again.stdout + again.stderr
    assert sim.count("POST") == 0


@pytest.mark.xdist_group("example-yaml")
def test_timeout_keeps_the_id_and_the_next_up_resumes(yaml_example: Stack, sim: Simulator) -> None:
    # The publish to preview first, as the example's comments tell (timeoutSeconds applies to both resources).
    yaml_example.up("--target", "**offer-publish**")
    assert posts(sim) == {"POST /publish": 1}
    sim.config.golive_seconds = 8.0
    yaml_example.config("timeoutSeconds", "1")
    done = yaml_example.up(check=False)
    assert done.returncode != 0 and "re-run `pulumi up` to resume" in done.stdout + done.stderr
    first = recorded(yaml_example)["outputs"]
    assert first["status"] == "running" and first["operationId"]
    yaml_example.run("config", "rm", "timeoutSeconds")
    yaml_example.up()
    assert recorded(yaml_example)["outputs"]["status"] == "succeeded"
    assert recorded(yaml_example)["outputs"]["operationId"] == first["operationId"]
    assert posts(sim) == CPP_RELEASE  # the resumed go-live was not posted again, nor the publish


@pytest.mark.xdist_group("example-yaml")
def test_ctrl_c_exits_promptly_with_the_id_in_state(yaml_example: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 120.0  # the publish to preview (0.5 s) ends; the go-live is what Ctrl-C stops
    up = yaml_example.start("up", "--yes", "--skip-preview")
    wait_for(lambda: golive_requests_after_post(sim), "the go-live's wait to start", proc=up)
    pressed = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)
    up.wait(timeout=60)
    assert time.monotonic() - pressed < 30
    assert recorded(yaml_example)["outputs"]["status"] == "running"
    assert sim.complete_now("contoso", "vm1") == recorded(yaml_example)["outputs"]["operationId"]
    yaml_example.up()
    assert recorded(yaml_example)["outputs"]["status"] == "succeeded"
    assert posts(sim) == CPP_RELEASE


@pytest.mark.hosts
def test_python_host_rejects_the_flags_the_real_host_rejects(pulumi_bin: Path) -> None:
    """pulumi-yaml before v1.38 passed -virtualenv/-root/-toolchain; Pulumi's host refuses them since v3.214."""
    host = pulumi_bin / "pulumi-language-python"
    for flag in ("-virtualenv=venv", "-root=.", "-toolchain=pip"):
        done = subprocess.run([str(host), flag], capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 2 and "flag provided but not defined" in done.stderr, (flag, done.stderr)
    version = subprocess.run([str(host), "-version"], capture_output=True, text=True, timeout=30, check=True)
    assert version.stdout.strip().startswith("v3.")


@pytest.mark.hosts
def test_a_broken_virtualenv_names_pulumi_install(tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    """A `virtualenv` directory that is not one: the program never starts, and the error names its missing Python."""
    project = tmp_path / "broken"
    (project / "venv").mkdir(parents=True)
    (project / "venv" / "leftover.txt").write_text("not a virtualenv\n")
    (project / "__main__.py").write_text("raise SystemExit('the program must not run')\n")
    (project / "Pulumi.yaml").write_text(
        "name: broken-venv\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n")
    stack = Stack(tmp_path, pulumi_bin, sim, installed=project, path=user_path(pulumi_bin))
    done = stack.preview(check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    # Pulumi's host's words (the stand-in says the same): the virtualenv's Python does not run, so the package
    # requirements cannot be listed.
    python = project / "venv" / "bin" / "python"
    assert f"Failed to resolve python version command: fork/exec {python}: no such file or directory" in text, text
    assert f"failed to discover package requirements: calling `{python} -m pip list --format json`" in text, text
    assert "the program must not run" not in text
