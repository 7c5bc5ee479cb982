"""scripts/bootstrap-pulumi on a private copy of the engine cache: the warm path runs without Go and names each
host's origin, `--only` renews only what is stale and keeps the other hosts, prebuilt hosts are copied and a stand-in
is built only for a language they lack, a pulumi on PATH lends the pieces it has, and a YAML host that cannot be
fetched is a recorded warning. Nothing reaches beyond the machine: the Go module proxy is turned off
(GOPROXY=off), so only modules already in the module cache can be used, as they are after the session's bootstrap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, prebuilt_hosts

pytestmark = pytest.mark.hosts
BOOTSTRAP = ROOT / "scripts" / "bootstrap-pulumi"
MANIFEST = ".bootstrap-manifest"
# Enough for the warm path (coreutils, find, flock, grep, sed) and nothing else: no go, no pulumi.
NO_GO_PATH = "/usr/bin:/bin"


def private_cache(tmp_path: Path, pulumi_bin: Path) -> Path:
    """A cache root whose bin directory holds hard links of the session's engine (the manifest is a copy, so that a
    test may edit it), at the same place below the version directory (the stand-ins' bin is one level deeper).
    Returns the bin directory."""
    if not (pulumi_bin / MANIFEST).is_file():
        pytest.fail(f"{pulumi_bin} is not a bin directory of scripts/bootstrap-pulumi (no {MANIFEST})")
    version_dir = version_dir_of(pulumi_bin)
    bin_dir = tmp_path / "cache" / version_dir.name / pulumi_bin.relative_to(version_dir)
    bin_dir.mkdir(parents=True)
    for item in pulumi_bin.iterdir():
        if item.name == MANIFEST:
            shutil.copyfile(item, bin_dir / item.name)
        else:
            os.link(item.resolve(), bin_dir / item.name)
    return bin_dir


def version_dir_of(bin_dir: Path) -> Path:
    """<cache>/<version> of a bin directory: its parent, or the grandparent of the stand-ins' .../stand-ins/bin."""
    return bin_dir.parents[1] if bin_dir.parent.name == "stand-ins" else bin_dir.parent


def bootstrap(bin_dir: Path, *args: str, path: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs the bootstrap against the private cache of bin_dir, with the module proxy off, and the same choice of
    hosts as the session's (PULUMI_CPP_GOLIVE_HOSTS / _STAND_INS pass through)."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith("PULUMI") or k in ("PULUMI_CPP_GOLIVE_HOSTS", "PULUMI_CPP_GOLIVE_STAND_INS")}
    full_env.update(PULUMI_CPP_GOLIVE_CACHE=str(version_dir_of(bin_dir).parent), GOPROXY="off", **env)
    full_env["PATH"] = path if path is not None else os.environ["PATH"]
    return subprocess.run([str(BOOTSTRAP), *args], env=full_env, capture_output=True, text=True, timeout=600,
                          check=False)


def inode(path: Path) -> int:
    return path.stat().st_ino


def manifest(bin_dir: Path) -> list[str]:
    return (bin_dir / MANIFEST).read_text().splitlines()


def host_lines(bin_dir: Path) -> dict[str, str]:
    return dict(line[len("host:"):].split("=", 1) for line in manifest(bin_dir) if line.startswith("host:"))


def test_warm_cache_is_printed_without_go_and_names_its_hosts(tmp_path: Path, pulumi_bin: Path) -> None:
    bin_dir = private_cache(tmp_path, pulumi_bin)
    before = {p.name: inode(p) for p in bin_dir.iterdir()}
    done = bootstrap(bin_dir, "--no-path", path=NO_GO_PATH)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{bin_dir}\n", "stdout must be the bin directory and nothing else"
    assert {p.name: inode(p) for p in bin_dir.iterdir()} == before, "a warm run must not touch the cache"

    hosts = host_lines(bin_dir)
    for name, origin in hosts.items():
        assert f"bootstrap-pulumi: {name}: {origin}\n" in done.stderr, done.stderr
    prebuilt = prebuilt_hosts()
    launcher = bin_dir / "pulumi-resource-pulumi-python"
    if prebuilt is None:
        assert hosts["python"] == "stand-in (scripts/lib/hosts/python)", hosts
        assert hosts["nodejs"] == "stand-in (scripts/lib/hosts/nodejs)", hosts
        assert "go" not in hosts, hosts
        assert launcher.read_bytes() == (ROOT / "scripts" / "lib" / launcher.name).read_bytes()
    else:
        version = subprocess.run([str(prebuilt / "pulumi-language-python"), "-version"], capture_output=True,
                                 text=True, timeout=30, check=True).stdout.strip()
        for name in ("python", "nodejs", "go"):
            assert hosts[name] == f"pulumi {version} (prebuilt)", hosts
        assert launcher.read_bytes() == (prebuilt / launcher.name).read_bytes(), "the real host's own launcher"
    assert hosts["yaml"].startswith("pulumi-yaml v"), hosts


def test_only_python_renews_the_stale_python_host_and_keeps_the_others(tmp_path: Path, pulumi_bin: Path) -> None:
    bin_dir = private_cache(tmp_path, pulumi_bin)
    lines = manifest(bin_dir)
    current = next(line for line in lines if line.startswith("pulumi-language-python="))
    (bin_dir / MANIFEST).write_text("\n".join("pulumi-language-python=src:stale sdk:v0" if line == current else line
                                              for line in lines) + "\n")
    kept = {name: inode(bin_dir / name) for name in ("pulumi", "pulumi-language-nodejs", "pulumi-language-yaml")}
    python_host = inode(bin_dir / "pulumi-language-python")

    done = bootstrap(bin_dir, "--only", "python", "--no-path")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == str(bin_dir)
    renewed = "building ./python" if prebuilt_hosts() is None else "copied the prebuilt python piece"
    assert renewed in done.stderr and "cmd/pulumi ->" not in done.stderr, done.stderr
    assert current in manifest(bin_dir)
    assert inode(bin_dir / "pulumi-language-python") != python_host
    assert {name: inode(bin_dir / name) for name in kept} == kept, "the hosts not asked for must stay as they were"


def test_a_stand_in_is_built_only_for_a_language_the_prebuilt_directory_lacks(tmp_path: Path,
                                                                              pulumi_bin: Path) -> None:
    """A prebuilt directory with only the Python host: Python (and its launcher) copied from it, Node.js a stand-in
    built from scripts/lib/hosts, no Go host; each named so in the manifest and on stderr."""
    source = prebuilt_hosts() or pulumi_bin
    given = tmp_path / "hosts"
    given.mkdir()
    for name in ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"):
        shutil.copy2(source / name, given / name)
    bin_dir = private_cache(tmp_path, pulumi_bin)
    done = bootstrap(bin_dir, "--no-path", PULUMI_CPP_GOLIVE_HOSTS=str(given), PULUMI_CPP_GOLIVE_STAND_INS="")
    assert done.returncode == 0, done.stderr
    printed = Path(done.stdout.strip())
    hosts = host_lines(printed)
    version = subprocess.run([str(given / "pulumi-language-python"), "-version"], capture_output=True, text=True,
                             timeout=30, check=True).stdout.strip()
    assert hosts["python"] == f"pulumi {version} (prebuilt)", hosts
    assert hosts["nodejs"] == "stand-in (scripts/lib/hosts/nodejs)", hosts
    assert "go" not in hosts and not (printed / "pulumi-language-go").exists(), hosts
    assert f"bootstrap-pulumi: python: pulumi {version} (prebuilt)" in done.stderr
    assert "bootstrap-pulumi: nodejs: stand-in (scripts/lib/hosts/nodejs)" in done.stderr
    for name in ("pulumi-language-python", "pulumi-resource-pulumi-python"):
        copied = printed / name
        assert not copied.is_symlink() and inode(copied) != inode(given / name), f"{name}: a copy, not a link"
        assert copied.read_bytes() == (given / name).read_bytes()


def test_a_pulumi_on_path_lends_the_hosts_it_has(tmp_path: Path, pulumi_bin: Path) -> None:
    bin_dir = private_cache(tmp_path, pulumi_bin)
    on_path = tmp_path / "installed"
    on_path.mkdir()
    for name in ("pulumi", "pulumi-language-nodejs"):
        shutil.copy2(pulumi_bin / name, on_path / name)

    done = bootstrap(bin_dir, path=f"{on_path}:{os.environ['PATH']}")
    assert done.returncode == 0, done.stderr
    assert f"pulumi-language-nodejs=from {on_path}" in manifest(bin_dir)
    assert inode(bin_dir / "pulumi-language-nodejs") == inode(on_path / "pulumi-language-nodejs")
    assert (bin_dir / "pulumi-language-python").exists(), "a host the PATH install lacks comes from our cache"
    # The cache that run made is complete: the next run needs no go.
    again = bootstrap(bin_dir, path=f"{on_path}:{NO_GO_PATH}")
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{bin_dir}\n"


def test_a_yaml_host_that_cannot_be_fetched_is_a_recorded_warning(tmp_path: Path, pulumi_bin: Path) -> None:
    bin_dir = private_cache(tmp_path, pulumi_bin)
    done = bootstrap(bin_dir, "--no-path", PULUMI_YAML_VERSION="1.0.0-not-in-the-module-cache")
    assert done.returncode == 0, done.stderr
    assert "pulumi-language-yaml=failed:v1.0.0-not-in-the-module-cache" in manifest(bin_dir)
    assert "could not be fetched or built" in done.stderr
    assert not (bin_dir / "pulumi-language-yaml").exists()
    # Remembered: the next run neither builds nor needs go, and says why YAML is missing.
    again = bootstrap(bin_dir, "--no-path", path=NO_GO_PATH, PULUMI_YAML_VERSION="1.0.0-not-in-the-module-cache")
    assert again.returncode == 0, again.stderr
    assert "could not be built by an earlier run" in again.stderr


def test_two_copies_of_the_same_prebuilt_hosts_share_one_cache(tmp_path: Path, pulumi_bin: Path) -> None:
    """Two checkouts, each with its own copy of ../shared (other paths, other file times): the second bootstrap
    finds the first one's cache current and changes nothing, instead of copying the hosts again and deleting the
    build the first one's pulumi may be running from."""
    source = prebuilt_hosts() or pulumi_bin
    copies = []
    for name in ("first", "second"):
        copy = tmp_path / name / "hosts"
        copy.mkdir(parents=True)
        for file in ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"):
            shutil.copy(source / file, copy / file)  # copy, not copy2: new times, as `cp -r` makes
        copies.append(copy)
    bin_dir = private_cache(tmp_path, pulumi_bin)
    first = bootstrap(bin_dir, "--no-path", "--only", "python", PULUMI_CPP_GOLIVE_HOSTS=str(copies[0]),
                      PULUMI_CPP_GOLIVE_STAND_INS="")
    assert first.returncode == 0, first.stderr
    printed = Path(first.stdout.strip())
    before = {p.name: inode(p) for p in printed.iterdir()}
    second = bootstrap(bin_dir, "--no-path", "--only", "python", path=NO_GO_PATH,
                       PULUMI_CPP_GOLIVE_HOSTS=str(copies[1]), PULUMI_CPP_GOLIVE_STAND_INS="")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert {p.name: inode(p) for p in printed.iterdir()} == before, "the second checkout rebuilt the cache"
