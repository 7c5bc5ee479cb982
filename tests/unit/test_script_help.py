"""Every script's ``--help`` prints its documentation at once and builds nothing: run from a bare copy of scripts/
(no virtualenv, an empty engine cache), it must finish in seconds without creating either."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.name for p in (ROOT / "scripts").iterdir() if p.is_file() and os.access(p, os.X_OK))


@pytest.fixture
def bare_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "scripts", checkout / "scripts")
    return checkout


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_at_once_and_builds_nothing(script: str, bare_checkout: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "PULUMI_CPP_GOLIVE_CACHE": str(cache), "HOME": str(tmp_path / "home")}
    started = time.monotonic()
    done = subprocess.run([str(bare_checkout / "scripts" / script), "--help"], cwd=bare_checkout, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    first_comment = (ROOT / "scripts" / script).read_text().splitlines()[1].lstrip("# ")
    assert done.stdout.startswith(first_comment), done.stdout[:300]
    assert not (bare_checkout / ".venv").exists(), f"{script} --help built a virtualenv"
    assert not cache.exists(), f"{script} --help touched the engine cache"
    assert took < 10, f"{script} --help took {took:.1f} s"


def test_bench_help_names_every_section_of_bench_py() -> None:
    """scripts/bench documents bench.py's sections itself (its --help must not build the virtualenv bench.py needs)."""
    tree = ast.parse((ROOT / "benchmarks" / "bench.py").read_text())
    [sections] = [node.value for node in tree.body if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "SECTIONS" for t in node.targets)]
    names = ast.literal_eval(sections)
    documented = (ROOT / "scripts" / "bench").read_text()
    assert f"(repeatable: {', '.join(names)})" in documented.replace("\n#                                  ", " ")
