"""examples/typescript as a user runs it: `pulumi install` (npm, from the registry), then `pulumi up`, against the
simulator, through Pulumi's Node.js language host (the prebuilt one of ../shared/pulumi-hosts; this project's
stand-in, scripts/lib/hosts/nodejs, in the stand-in lane or on a machine without it) and the executable plugin
pulumi-resource-cpp-golive (the package's console script), with no plugins.providers entry.

Two ways a user gets the plugin to the engine, both tested:
  - registered once with `pulumi plugin install resource cpp-golive 0.1.0 --file <console script>`: then a plain
    `pulumi install` finds the plugin the SDK declares in the plugin cache and downloads nothing, and nothing warns;
  - merely on PATH (the virtualenv's bin): `pulumi up` runs it, with the engine's own "using
    pulumi-resource-cpp-golive from $PATH" warning; `pulumi install` must then be told --no-plugins, because it
    looks for declared plugins only in the plugin cache and would otherwise try to download this one (whatever
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION says).

The host runs the program with @pulumi/pulumi's own runner from the example's node_modules, so TypeScript is
type-checked by ts-node: a type error fails `pulumi preview` with the compiler's diagnostic, unless the project opts
out the way Pulumi's runner reads it (`noCheck` in the tsconfig, here one named by the `tsconfig` runtime option).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_cpp_golive.simulator import Simulator

from .conftest import ROOT, Stack, wait_for
from .test_examples import CPP_RELEASE, golive_requests_after_post, posts, steps_of

EXAMPLE = ROOT / "examples" / "typescript"
HOST = "pulumi-language-nodejs"
VENV_BIN = ROOT / ".venv" / "bin"
PLUGIN_SCRIPT = VENV_BIN / "pulumi-resource-cpp-golive"
PLUGIN_VERSION = "0.1.0"  # the SDK's package.json "pulumi" section
SDK_SPEC = "file:../../sdk/nodejs"
# A misspelt enum value: the SDK's `api` is the schema's enum, so the compiler refuses it before anything runs.
MISSPELT_API = ('export const typo = new cpp.OfferGoLive("typo", '
                '{ publisherId: "contoso", offerId: "vm2", api: "product_ingestion" });\n')
# A statement the TypeScript compiler rejects (TS2322) but that runs fine as JavaScript.
TYPE_ERROR = 'const offerCount: number = "one";\nexport const offers = offerCount;\n'


@pytest.fixture(scope="session")
def engine_dir(pulumi_bin: Path) -> Path:
    """The bootstrap's directory: `pulumi` with the Node.js host beside it, as Pulumi ships its bundled hosts."""
    if not (pulumi_bin / HOST).exists():
        pytest.fail(f"{HOST} is missing from {pulumi_bin}; run scripts/bootstrap-pulumi")
    return pulumi_bin


def user_path(engine: Path, *extra: Path) -> str:
    """PATH as a user sets it: the engine directory, then ``extra``, then the shell's PATH without anything of
    Pulumi's or this checkout's (no directory holding a pulumi* file)."""
    ambient = [entry for entry in os.environ.get("PATH", "").split(os.pathsep)
               if entry and not any(Path(entry).glob("pulumi*"))]
    return os.pathsep.join([str(engine), *map(str, extra), *ambient])


def example_stack(tmp_path: Path, engine: Path, sim: Simulator, *, append: str = "",
                  plugin_on_path: bool = False, go_live: bool = True) -> Stack:
    """A copy of the example with its own stack, configured for the simulator; the SDK dependency points at this
    checkout's sdk/nodejs (the copy no longer sits two levels below it). The plugin is registered in the stack's
    plugin cache, or (``plugin_on_path``) only found on PATH. ``go_live``: `pulumi config set goLive true` (the
    preview is checked), so that the program has both the publish to preview and the go-live."""
    stack = Stack(tmp_path, engine, sim, program=EXAMPLE)
    manifest = stack.dir / "package.json"
    assert SDK_SPEC in manifest.read_text()
    manifest.write_text(manifest.read_text().replace(SDK_SPEC, f"file:{ROOT / 'sdk' / 'nodejs'}"))
    if append:
        with (stack.dir / "index.ts").open("a") as program:
            program.write(append)
    if plugin_on_path:
        stack.env["PATH"] = user_path(engine, VENV_BIN)
    else:
        stack.env["PATH"] = user_path(engine)
        stack.run("plugin", "install", "resource", "cpp-golive", PLUGIN_VERSION, "--file", str(PLUGIN_SCRIPT))
    stack.config("publisherId", "contoso")
    stack.config("offerId", "vm1")
    if go_live:
        stack.config("goLive", "true")
    return stack


def warnings_in(*outputs: subprocess.CompletedProcess[str]) -> list[str]:
    """The warning diagnostics (not the "N warnings" counts of the summary rows)."""
    return [line.strip() for done in outputs for line in (done.stdout + done.stderr).splitlines()
            if "warning:" in line.lower()]


def recorded(stack: Stack) -> dict[str, Any]:
    [resource] = stack.resources("cpp-golive:index:OfferGoLive")
    outputs: dict[str, Any] = resource["outputs"]
    return outputs


def install(stack: Stack, *flags: str) -> subprocess.CompletedProcess[str]:
    done = stack.run("install", *flags, timeout=600)
    assert "Finished installing dependencies" in done.stdout
    return done


@pytest.mark.hosts
def test_install_then_up_goes_live_once_and_the_next_up_posts_nothing(tmp_path: Path, engine_dir: Path,
                                                                      sim: Simulator) -> None:
    stack = example_stack(tmp_path, engine_dir, sim)
    installed = install(stack)
    sdk = stack.dir / "node_modules" / "@pulumi-cpp-golive" / "cpp-golive"
    # installed as a copy, compiled by its postinstall, with no @pulumi/pulumi of its own: it uses the program's
    assert not sdk.is_symlink() and (sdk / "bin" / "index.js").is_file()
    assert not (sdk / "node_modules" / "@pulumi" / "pulumi").exists()
    assert (stack.dir / "node_modules" / "@pulumi" / "pulumi" / "package.json").is_file()

    preview = stack.preview("--json")
    assert steps_of(preview.stdout, "OfferPublish") == ["create"]
    assert steps_of(preview.stdout, "OfferGoLive") == ["create"]
    assert sim.requests == []

    up = stack.up()
    assert posts(sim) == CPP_RELEASE  # publish to preview, then go live
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded" and outputs["operationId"] and outputs["completedAt"]
    assert outputs["publishStatus"] == "succeeded" and outputs["publishOperationId"] != outputs["operationId"]
    sim.reset_counts()
    again = stack.up()
    assert sim.requests == []
    assert warnings_in(installed, preview, up, again) == []

    # what the host told the engine: the plugin the installed SDK declares, and the runtime
    about = json.loads(stack.run("about", "--json").stdout)
    assert {"name": "cpp-golive", "version": PLUGIN_VERSION, "kind": "resource"} in about["plugins"]
    assert about["runtime"]["language"] == "nodejs" and about["runtime"]["packagemanager"] == "npm"


def test_with_the_plugin_only_on_path_preview_and_up_work(tmp_path: Path, engine_dir: Path, sim: Simulator) -> None:
    # PATH=<engine dir>:<venv>/bin:$PATH, as the README's setup gives
    stack = example_stack(tmp_path, engine_dir, sim, plugin_on_path=True)
    installed = install(stack, "--no-plugins")
    preview = stack.preview()
    assert "+ 3 to create" in preview.stdout  # the stack, the publish and the go-live
    up = stack.up()
    assert posts(sim) == CPP_RELEASE and stack.outputs()["status"] == "succeeded"
    # the engine's own note about a plugin taken from PATH, and nothing about the language host
    warnings = warnings_in(installed, preview, up)
    assert warnings and all(f"using pulumi-resource-cpp-golive from $PATH at {PLUGIN_SCRIPT}" in w for w in warnings)


def test_a_timeout_keeps_the_id_and_the_next_up_resumes(tmp_path: Path, engine_dir: Path, sim: Simulator) -> None:
    # The example's timeoutSeconds is the go-live's only: the publish to preview (0.5 s) ends, the go-live times out.
    sim.config.golive_seconds = 8.0
    stack = example_stack(tmp_path, engine_dir, sim)
    install(stack)
    stack.config("timeoutSeconds", "1")
    done = stack.up(check=False)
    assert done.returncode != 0 and "re-run `pulumi up` to resume" in done.stdout + done.stderr
    first = recorded(stack)
    assert first["status"] == "running" and first["operationId"]
    stack.run("config", "rm", "timeoutSeconds")
    stack.up()
    assert recorded(stack)["status"] == "succeeded"
    assert recorded(stack)["operationId"] == first["operationId"]
    assert posts(sim) == CPP_RELEASE  # the resumed go-live was not posted again, nor the publish


def test_ctrl_c_ends_up_promptly_with_the_id_in_state(tmp_path: Path, engine_dir: Path, sim: Simulator) -> None:
    sim.config.golive_seconds = 120.0  # the publish to preview (0.5 s) ends; the go-live is what Ctrl-C stops
    stack = example_stack(tmp_path, engine_dir, sim)
    install(stack)
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: golive_requests_after_post(sim), "the go-live's wait to start", proc=up)
    pressed = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)
    up.wait(timeout=60)
    assert time.monotonic() - pressed < 30
    assert up.returncode != 0
    assert recorded(stack)["status"] == "running"
    assert sim.complete_now("contoso", "vm1") == recorded(stack)["operationId"]
    stack.up()
    assert recorded(stack)["status"] == "succeeded"
    assert posts(sim) == CPP_RELEASE


@pytest.mark.hosts
def test_a_type_error_fails_preview_with_the_compiler_diagnostic(tmp_path: Path, engine_dir: Path,
                                                                sim: Simulator) -> None:
    stack = example_stack(tmp_path, engine_dir, sim, append=TYPE_ERROR, go_live=False)
    install(stack)
    done = stack.preview(check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "error TS2322: Type 'string' is not assignable to type 'number'" in output
    assert "index.ts" in output
    assert sim.requests == []

    # The opt-out: a tsconfig with noCheck (transpile only), named by the `tsconfig` runtime option, which the host
    # hands to Pulumi's runner; then the same program runs.
    settings = json.loads((stack.dir / "tsconfig.json").read_text())
    settings["compilerOptions"]["noCheck"] = True
    (stack.dir / "tsconfig.nocheck.json").write_text(json.dumps(settings))
    project = stack.dir / "Pulumi.yaml"
    assert "runtime: nodejs\n" in project.read_text()
    project.write_text(project.read_text().replace(
        "runtime: nodejs\n", "runtime:\n  name: nodejs\n  options:\n    tsconfig: tsconfig.nocheck.json\n"))
    preview = stack.preview("--json").stdout
    # the program as shipped, goLive unset: the publish to preview only
    assert steps_of(preview, "OfferPublish") == ["create"] and steps_of(preview, "OfferGoLive") == []
    assert sim.requests == []


def test_a_misspelt_api_is_a_compile_error(tmp_path: Path, engine_dir: Path, sim: Simulator) -> None:
    stack = example_stack(tmp_path, engine_dir, sim, append=MISSPELT_API)
    install(stack)
    done = stack.preview(check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Type '\"product_ingestion\"' is not assignable to type 'Input<Api | undefined>'" in output, output
    assert "Did you mean '\"product-ingestion\"'?" in output, output
    assert sim.requests == []


@pytest.mark.hosts
def test_without_pulumi_install_the_host_says_to_run_it(tmp_path: Path, engine_dir: Path, sim: Simulator) -> None:
    stack = example_stack(tmp_path, engine_dir, sim)
    done = stack.preview(check=False)
    assert done.returncode != 0
    # Pulumi's host's words (the stand-in says the same).
    assert "It looks like the Pulumi SDK has not been installed. Have you run pulumi install?" in (
        done.stdout + done.stderr)
    assert sim.requests == []


@pytest.mark.hosts
@pytest.mark.parametrize("flag", ["-virtualenv=venv", "-root=.", "-toolchain=pip"])
def test_the_host_rejects_flags_it_does_not_define(engine_dir: Path, flag: str) -> None:
    done = subprocess.run([str(engine_dir / HOST), flag], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2
    assert f"flag provided but not defined: {flag.split('=')[0]}" in done.stderr
