"""The release artifacts as a user gets them, through the real CLI: the wheel that scripts/release builds,
installed into a fresh virtualenv (its console script on PATH), and the plugin archive, installed with
`pulumi plugin install --file` (nothing of ours on PATH). Each serves a Pulumi YAML program that has no
`plugins.providers` entry, against the simulator.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from pulumi_cpp_golive import __version__
from pulumi_cpp_golive.simulator import Simulator

from .conftest import Stack
from .release_support import NATIVE, PLUGIN, TAG, TARGETS, artifact, python_only, release_log

# The user's program: the provider is found by name, with no plugins.providers entry and no language host of ours.
PROGRAM = """\
name: cpp-golive-release
runtime: yaml
resources:
  golive:
    type: cpp-golive:index:OfferGoLive
    properties:
      publisherId: contoso
      offerId: vm1
outputs:
  operationId: ${golive.operationId}
  status: ${golive.status}
"""
def program_dir(tmp_path: Path) -> Path:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text(PROGRAM)
    return program


def user_stack(tmp_path: Path, pulumi_bin: Path, sim: Simulator, path: list[Path]) -> Stack:
    """A stack whose engine sees only ``path`` (plus the system's basic tools), not the checkout's .venv."""
    stack = Stack(tmp_path, pulumi_bin, sim, program=program_dir(tmp_path))
    stack.env["PATH"] = os.pathsep.join([str(pulumi_bin), *map(str, path), "/usr/bin", "/bin"])
    return stack


def goes_live_once(stack: Stack, sim: Simulator) -> None:
    preview = stack.preview()
    assert "cpp-golive:index:OfferGoLive" in preview.stdout and sim.requests == []
    stack.up()
    assert sim.count("POST", "/golive") == 1
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded" and outputs["operationId"]
    [resource] = stack.resources("cpp-golive:index:OfferGoLive")
    assert resource["outputs"]["operationId"] == outputs["operationId"]
    sim.reset_counts()
    stack.up()
    assert sim.count("POST") == 0


def test_wheel_in_a_fresh_virtualenv_serves_the_plugin_from_path(
        release: Path, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    # Offline: the dependencies come from the wheels the plugin archive bundles (built from the same pins).
    wheels = tmp_path / "wheels"
    with tarfile.open(artifact(release, f"{PLUGIN}-v{__version__}-{NATIVE}.tar.gz")) as archive:
        archive.extractall(wheels, filter="data")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
                    str(wheels / "wheels" / TAG), str(artifact(release, "pulumi_cpp_golive-*.whl"))],
                   check=True, capture_output=True, timeout=600)
    stack = user_stack(tmp_path, pulumi_bin, sim, [venv / "bin"])
    assert shutil.which(PLUGIN, path=stack.env["PATH"]) == str(venv / "bin" / PLUGIN)

    goes_live_once(stack, sim)


def test_plugin_archive_through_pulumi_plugin_install(
        release: Path, tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> None:
    stack = user_stack(tmp_path, pulumi_bin, sim, [python_only(tmp_path)])
    assert shutil.which(PLUGIN, path=stack.env["PATH"]) is None
    archive = artifact(release, f"{PLUGIN}-v{__version__}-{NATIVE}.tar.gz")
    stack.run("plugin", "install", "resource", "cpp-golive", __version__, "--file", str(archive))
    installed = Path(stack.env["PULUMI_HOME"]) / "plugins" / f"resource-cpp-golive-v{__version__}"
    assert (installed / PLUGIN).is_file() and not (installed / "PulumiPlugin.yaml").exists()
    assert "cpp-golive" in stack.run("plugin", "ls").stdout

    goes_live_once(stack, sim)
    # The launcher ran: it built its private virtualenv from the bundled wheels, once.
    assert (installed / f"venv-{TAG}" / "bin" / PLUGIN).is_file()


def test_one_archive_per_platform_each_with_its_own_wheels(release: Path) -> None:
    """`pulumi install` asks for the archive of the machine it runs on: every platform is built, or the release
    says why not (a pinned dependency that publishes no binary wheel for it), and each archive holds binary wheels
    of its own platform only."""
    log = release_log(release)
    built = {}
    for target, tags in TARGETS.items():
        path = release / f"{PLUGIN}-v{__version__}-{target}.tar.gz"
        if not path.exists():
            assert f"archive {target}: not built: no complete wheel set" in log, f"{target} missing, unexplained"
            continue
        with tarfile.open(path) as archive:
            wheels = [name for name in archive.getnames() if name.endswith(".whl")]
        binary = [name for name in wheels if not name.endswith("-none-any.whl")]
        assert binary, f"{target}: no binary wheel at all"
        arch = tags[0].rsplit("_", 1)[-1] if "linux" in target else tags[0].split("_", 3)[-1]
        assert all(arch in name or "universal2" in name for name in binary), (target, binary)
        built[target] = path
    assert NATIVE in built
