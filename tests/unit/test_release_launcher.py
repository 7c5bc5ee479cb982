"""The plugin archive's launcher (scripts/lib/release/launcher.py) on its own: which interpreter and virtualenv
it picks, what it passes on, and that nothing but the provider's port line could reach stdout.

The whole path (pulumi plugin install --file, first start, pulumi up) is in tests/e2e/test_release.py.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

LAUNCHER = Path(__file__).resolve().parents[2] / "scripts" / "lib" / "release" / "launcher.py"
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"


def load_launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_launcher", LAUNCHER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plugin_dir(tmp_path: Path, *tags: str) -> Path:
    """An unpacked archive: the launcher, and a (fake) wheel set per tag."""
    here = tmp_path / "resource-cpp-golive-v0.1.0"
    here.mkdir()
    shutil.copy2(LAUNCHER, here / "pulumi-resource-cpp-golive")
    for tag in tags:
        (here / "wheels" / tag).mkdir(parents=True)
        (here / "wheels" / tag / "pulumi_cpp_golive-0.1.0-py3-none-any.whl").write_bytes(b"")
    return here


def start(here: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Start the launcher as the engine would, with a PATH holding no other Python."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, str(here / "pulumi-resource-cpp-golive"), *args], capture_output=True,
                          text=True, timeout=120, env={"PATH": str(empty)}, check=False)


def fake_venv(here: Path, digest: str) -> Path:
    """A virtualenv whose python echoes its arguments, marked as built from ``digest``."""
    venv = here / f"venv-{TAG}"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text('#!/bin/sh\necho "$@"\n')
    python.chmod(0o755)
    (venv / ".cpp-golive-complete").write_text(digest + "\n")
    return venv


def test_refuses_a_python_it_has_no_wheels_for_and_says_which_it_needs(tmp_path: Path) -> None:
    here = plugin_dir(tmp_path, "cp30")
    done = start(here, tmp_path, "127.0.0.1:1")
    assert done.returncode == 1 and done.stdout == ""
    assert "needs CPython 3.0" in done.stderr
    assert f"this is cpython {'.'.join(map(str, sys.version_info[:3]))}" in done.stderr
    assert not (here / "venv-cp30").exists()


def test_an_archive_without_wheels_is_reported_as_incomplete(tmp_path: Path) -> None:
    here = plugin_dir(tmp_path)
    done = start(here, tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "the archive is incomplete: no wheels/cpXY directory" in done.stderr


def test_a_built_virtualenv_runs_the_provider_with_the_engines_arguments(tmp_path: Path) -> None:
    here = plugin_dir(tmp_path, TAG)
    fake_venv(here, load_launcher().wheel_set_digest(str(here / "wheels" / TAG)))
    done = start(here, tmp_path, "--logtostderr", "-v=9", "127.0.0.1:4321")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-I", "-m", "pulumi_cpp_golive", "--logtostderr", "-v=9", "127.0.0.1:4321"]


def test_a_virtualenv_from_another_wheel_set_is_rebuilt(tmp_path: Path) -> None:
    here = plugin_dir(tmp_path, TAG)
    venv = fake_venv(here, "digest-of-an-older-archive")
    done = start(here, tmp_path, "127.0.0.1:4321")
    # It threw the stale virtualenv away and started a new one; this fake archive has no pip wheel to finish it.
    assert done.returncode == 1 and done.stdout == ""
    assert "first start: installing into" in done.stderr
    assert "expected one pip-*.whl" in done.stderr
    assert (venv / "pyvenv.cfg").is_file() and not (venv / ".cpp-golive-complete").exists()
