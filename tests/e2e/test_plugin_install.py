"""The plugin fetched by `pulumi install`, as every third-party Pulumi provider is: the schema's pluginDownloadURL
(``github://api.github.com/pulumi-cpp-golive``, this project's GitHub releases) is in each generated SDK, and
scripts/release builds the archives Pulumi downloads from there. Here the release is served from loopback and
``PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES`` points the engine at it (the engine's own setting for mirrors), so a fresh
TypeScript, Python-SDK or YAML project with no registration and nothing of ours on PATH gets the plugin from
`pulumi install` and goes live with one POST. Also: `pulumi package add <checkout>` generates a working local SDK.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any, Iterator

import pytest

from pulumi_cpp_golive import __version__
from pulumi_cpp_golive.plugin.schema import PLUGIN_DOWNLOAD_URL
from pulumi_cpp_golive.simulator import Simulator

from ..loopback import LoopbackServer
from .conftest import ROOT, Stack
from .release_support import NATIVE, PLUGIN, artifact, python_only
from .test_typescript_example import user_path

NODE_PROGRAM = """\
import * as cpp from "@pulumi-cpp-golive/cpp-golive";

const golive = new cpp.OfferGoLive("golive", { publisherId: "contoso", offerId: "vm1" });
export const operationId = golive.operationId;
export const status = golive.status;
"""
PYTHON_PROGRAM = """\
import pulumi
import pulumi_cpp_golive_sdk as cpp

golive = cpp.OfferGoLive("golive", publisher_id="contoso", offer_id="vm1")
pulumi.export("operationId", golive.operation_id)
pulumi.export("status", golive.status)
"""
# YAML has no package manifest: the resource options say which release, and where it is published.
YAML_PROGRAM = f"""\
name: fetched-yaml
runtime: yaml
resources:
  golive:
    type: cpp-golive:index:OfferGoLive
    properties:
      publisherId: contoso
      offerId: vm1
    options:
      version: {__version__}
      pluginDownloadURL: {PLUGIN_DOWNLOAD_URL}
outputs:
  operationId: ${{golive.operationId}}
  status: ${{golive.status}}
"""


class ReleaseServer(LoopbackServer):
    """A release location on loopback: serves the files of ``directory`` and records every path asked for."""

    def __init__(self, directory: Path) -> None:
        self.paths: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(directory), **kwargs)

            def do_GET(self) -> None:
                server.paths.append(self.path)
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def release_server(release: Path) -> Iterator[ReleaseServer]:
    with ReleaseServer(release) as server:
        assert isinstance(server, ReleaseServer)
        yield server


def fresh_project(tmp_path: Path, files: dict[str, str]) -> Path:
    program = tmp_path / "source"
    program.mkdir()
    for name, text in files.items():
        (program / name).write_text(text)
    return program


def fetching_stack(tmp_path: Path, pulumi_bin: Path, sim: Simulator, program: Path,
                   server: ReleaseServer) -> Stack:
    """A stack of ``program`` whose engine sees Pulumi's own executables and a bare python3 (the launcher's
    interpreter) on PATH, nothing of this checkout's, with downloads of our plugin sent to ``server``."""
    stack = Stack(tmp_path, pulumi_bin, sim, program=program)
    stack.env["PATH"] = user_path(pulumi_bin, python_only(tmp_path))
    assert not any(Path(entry, PLUGIN).exists() for entry in stack.env["PATH"].split(os.pathsep))
    # The engine's setting for a mirror of plugin releases: a regexp of the release location = the URL to use
    # instead. The engine matches it against the location with the repository it derives (pulumi-<name>) appended.
    release = f"{PLUGIN_DOWNLOAD_URL}/pulumi-cpp-golive"
    stack.env["PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES"] = f"^{re.escape(release)}$={server.url}"
    return stack


def installs_then_goes_live(stack: Stack, sim: Simulator, server: ReleaseServer) -> None:
    plugins = Path(stack.env["PULUMI_HOME"]) / "plugins"
    assert not (plugins / f"resource-cpp-golive-v{__version__}").exists()
    done = stack.run("install", timeout=900)
    assert f"/{PLUGIN}-v{__version__}-{NATIVE}.tar.gz" in server.paths, (server.paths, done.stdout, done.stderr)
    installed = plugins / f"resource-cpp-golive-v{__version__}"
    assert (installed / PLUGIN).is_file()
    assert "cpp-golive" in stack.run("plugin", "ls").stdout

    asked = len(server.paths)
    stack.up()
    assert sim.count("POST", "/golive") == 1
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded" and outputs["operationId"]
    assert len(server.paths) == asked  # `up` downloads nothing: automatic acquisition is off, the plugin is there
    sim.reset_counts()
    stack.up()
    assert sim.count("POST") == 0


def test_typescript_project_with_only_the_sdk_dependency(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                         release: Path, release_server: ReleaseServer) -> None:
    sdk = artifact(release, f"pulumi-cpp-golive-cpp-golive-{__version__}.tgz")
    example = json.loads((ROOT / "examples" / "typescript" / "package.json").read_text())
    manifest = {"name": "fetched-typescript", "private": True, "main": "index.ts",
                "dependencies": {"@pulumi-cpp-golive/cpp-golive": f"file:{sdk}",
                                 "@pulumi/pulumi": example["dependencies"]["@pulumi/pulumi"]},
                "devDependencies": example["devDependencies"]}
    program = fresh_project(tmp_path, {"Pulumi.yaml": "name: fetched-typescript\nruntime: nodejs\n",
                                       "package.json": json.dumps(manifest, indent=2), "index.ts": NODE_PROGRAM})
    stack = fetching_stack(tmp_path, pulumi_bin, sim, program, release_server)
    installs_then_goes_live(stack, sim, release_server)


def test_python_project_with_only_the_sdk_requirement(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                      release: Path, release_server: ReleaseServer) -> None:
    sdk = artifact(release, f"pulumi_cpp_golive_sdk-{__version__}-py3-none-any.whl")
    project = ("name: fetched-python\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
               "    virtualenv: venv\n")
    program = fresh_project(tmp_path, {"Pulumi.yaml": project, "requirements.txt": f"{sdk}\n",
                                       "__main__.py": PYTHON_PROGRAM})
    stack = fetching_stack(tmp_path, pulumi_bin, sim, program, release_server)
    # The project's virtualenv is made by the language host with the python3 on PATH: the bare one of the test.
    assert Path(sys.base_prefix).is_dir()
    installs_then_goes_live(stack, sim, release_server)


def test_yaml_project_names_the_release_in_its_options(tmp_path: Path, pulumi_bin: Path, sim: Simulator,
                                                      release_server: ReleaseServer) -> None:
    program = fresh_project(tmp_path, {"Pulumi.yaml": YAML_PROGRAM})
    stack = fetching_stack(tmp_path, pulumi_bin, sim, program, release_server)
    installs_then_goes_live(stack, sim, release_server)


def test_package_add_of_a_checkout_generates_a_working_local_sdk(tmp_path: Path, pulumi_bin: Path,
                                                                 sim: Simulator) -> None:
    """`pulumi package add /path/to/checkout` in a new TypeScript project: the CLI installs the checkout's ./venv
    (PulumiPlugin.yaml), runs the plugin from it, generates a TypeScript SDK into ./sdks, adds it to package.json
    and the checkout to Pulumi.yaml's packages; the program then goes live through it. The checkout is a copy of
    the plugin's files: `package add` reinstalls the package into the checkout's venv (pip install .), which in
    this repository's own ./venv would pull it from under the other tests' plugins."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("PulumiPlugin.yaml", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "pulumi_cpp_golive", checkout / "pulumi_cpp_golive",
                    ignore=shutil.ignore_patterns("__pycache__"))
    example = json.loads((ROOT / "examples" / "typescript" / "package.json").read_text())
    manifest = {"name": "added-typescript", "private": True, "main": "index.ts",
                "dependencies": {"@pulumi/pulumi": example["dependencies"]["@pulumi/pulumi"]},
                "devDependencies": example["devDependencies"]}
    program = fresh_project(tmp_path, {"Pulumi.yaml": "name: added-typescript\nruntime: nodejs\n",
                                       "package.json": json.dumps(manifest, indent=2),
                                       "index.ts": "export const empty = true;\n"})
    stack = Stack(tmp_path, pulumi_bin, sim, program=program)
    stack.run("package", "add", str(checkout), timeout=900)
    assert (stack.dir / "sdks" / "cpp-golive" / "package.json").is_file()
    assert json.loads((stack.dir / "package.json").read_text())["dependencies"][
        "@pulumi-cpp-golive/cpp-golive"] == "file:sdks/cpp-golive"
    assert f"cpp-golive: {checkout}" in (stack.dir / "Pulumi.yaml").read_text()
    assert sim.requests == []

    (stack.dir / "index.ts").write_text(NODE_PROGRAM)
    stack.up()
    assert sim.count("POST", "/golive") == 1
    assert stack.outputs()["status"] == "succeeded"
