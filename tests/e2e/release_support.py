"""What scripts/release builds, for the tests that install it as a user would (tests/e2e/test_release.py,
tests/e2e/test_plugin_install.py): the artifacts built once per test run, and where each one is. conftest.py
imports the ``release`` fixture so that every e2e module has it."""

from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = "pulumi-resource-cpp-golive"
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"  # scripts/release bundles wheels for the .venv's Python


def _release_build() -> ModuleType:
    """scripts/lib/release/build.py, for its names of the platforms (a script, not a package of ours)."""
    spec = importlib.util.spec_from_file_location("release_build", ROOT / "scripts" / "lib" / "release" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _release_build()
NATIVE: str = BUILD.platform_suffix()  # the archive this machine runs
TARGETS: dict[str, list[str]] = BUILD.TARGETS  # every archive a release may hold


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
            (shared / "log").write_text(done.stderr)
    return out


def release_log(release: Path) -> str:
    """What scripts/release said on stderr while building ``release``."""
    return (release.parent / "log").read_text()


def artifact(release: Path, pattern: str) -> Path:
    [path] = release.glob(pattern)
    return path


def python_only(tmp_path: Path) -> Path:
    """A directory holding just ``python3``: the Python the archive's wheels were built for."""
    bin_dir = tmp_path / "python-only"
    bin_dir.mkdir()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (bin_dir / "python3").symlink_to(Path(sys.base_prefix) / "bin" / f"python{version}")
    return bin_dir
