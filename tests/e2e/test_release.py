"""The release artifacts as a user gets them, through the real CLI: the wheel that scripts/release builds,
installed into a fresh virtualenv (its console script on PATH), and the plugin archive, installed with
`pulumi plugin install --file` (nothing of ours on PATH). Each serves a Pulumi YAML program that has no
`plugins.providers` entry, against the simulator.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pulumi_cpp_golive import __version__
from pulumi_cpp_golive.simulator import Simulator

from .conftest import ROOT, Stack

PLUGIN = "pulumi-resource-cpp-golive"
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
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"  # scripts/release bundles wheels for the .venv's Python


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/release's output, built once per test run (the xdist workers share it through a lock)."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base directory sits in the run's own one; without xdist the base is the run's own.
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "release"
    shared.mkdir(exist_ok=True)
    out = shared / "dist"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            done = subprocess.run([str(ROOT / "scripts" / "release"), "--out", str(out)], capture_output=True,
                                  text=True, timeout=1200, check=False)
            if done.returncode != 0:
                pytest.fail(f"scripts/release exited {done.returncode}:\n{done.stdout}\n{done.stderr[-5000:]}")
            (shared / "done").write_text(done.stdout)
    return out


def artifact(release: Path, pattern: str) -> Path:
    [path] = release.glob(pattern)
    return path


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


def python_only(tmp_path: Path) -> Path:
    """A directory holding just ``python3``: the Python the archive's wheels were built for."""
    bin_dir = tmp_path / "python-only"
    bin_dir.mkdir()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (bin_dir / "python3").symlink_to(Path(sys.base_prefix) / "bin" / f"python{version}")
    return bin_dir


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
    with tarfile.open(artifact(release, f"{PLUGIN}-v{__version__}-*.tar.gz")) as archive:
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
    archive = artifact(release, f"{PLUGIN}-v{__version__}-*.tar.gz")
    stack.run("plugin", "install", "resource", "cpp-golive", __version__, "--file", str(archive))
    installed = Path(stack.env["PULUMI_HOME"]) / "plugins" / f"resource-cpp-golive-v{__version__}"
    assert (installed / PLUGIN).is_file() and not (installed / "PulumiPlugin.yaml").exists()
    assert "cpp-golive" in stack.run("plugin", "ls").stdout

    goes_live_once(stack, sim)
    # The launcher ran: it built its private virtualenv from the bundled wheels, once.
    assert (installed / f"venv-{TAG}" / "bin" / PLUGIN).is_file()
