"""End-to-end fixtures: the real Pulumi CLI (built by scripts/bootstrap-pulumi), a throwaway local backend and
passphrase secrets, a Python project using this checkout's virtualenv, and the simulator on loopback.

If the engine cannot be had, these tests fail; they never skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .azurite import azurite_blob_fixture, azurite_fixture  # noqa: F401 (fixtures, for every e2e module)
from .release_support import release  # noqa: F401 (a fixture, for every e2e module)

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).resolve().parent / "program"
PLUGIN_PROGRAM = Path(__file__).resolve().parent / "plugin_program"
# A program that uses the plugin at the repository root instead of the dynamic provider.
USE_PLUGIN = f"plugins:\n  providers:\n    - name: cpp-golive\n      path: {ROOT}\n"
E2E_TOKEN = "e2e-secret-token-5a8c1f"  # a fake token whose leaks the tests look for
PASSPHRASE = "e2e-passphrase"  # throwaway passphrase of a throwaway local backend


def prebuilt_hosts() -> Optional[Path]:
    """The directory of Pulumi's prebuilt language hosts the session's engine takes its hosts from (what
    scripts/bootstrap-pulumi picks: PULUMI_CPP_GOLIVE_HOSTS, else ../shared/pulumi-hosts/bin), or None when the
    stand-ins are forced or there is none."""
    if os.environ.get("PULUMI_CPP_GOLIVE_STAND_INS", "") in ("1", "true", "yes"):
        return None
    given = os.environ.get("PULUMI_CPP_GOLIVE_HOSTS")
    if given:
        return Path(given)
    shared = ROOT.parent / "shared" / "pulumi-hosts" / "bin"
    return shared if shared.is_dir() else None


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    """The bin directory of scripts/bootstrap-pulumi: pulumi, its language hosts and the dynamic-provider launcher."""
    given = os.environ.get("PULUMI_CPP_GOLIVE_BIN")
    if not given:
        done = subprocess.run([str(ROOT / "scripts" / "bootstrap-pulumi")], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            pytest.fail(f"scripts/bootstrap-pulumi failed; the e2e suite needs the engine:\n{done.stderr[-3000:]}")
        given = done.stdout.strip().splitlines()[-1]
    path = Path(given)
    for name in ("pulumi", "pulumi-resource-pulumi-python", "pulumi-language-python", "pulumi-language-python-exec",
                 "pulumi-language-nodejs"):
        if not (path / name).exists():
            pytest.fail(f"{name} is missing from {path}; run scripts/bootstrap-pulumi")
    # Where real hosts are at hand, the suite runs under them, not under stand-ins by accident (an official
    # install's own hosts, which the bootstrap prefers, are real too).
    prebuilt = prebuilt_hosts()
    manifest = path / ".bootstrap-manifest"
    origins = manifest.read_text() if manifest.is_file() else ""
    if prebuilt is not None and "(the pulumi on PATH)" not in origins:
        for name in ("pulumi-language-python", "pulumi-language-nodejs", "pulumi-language-go"):
            if (prebuilt / name).exists() and (path / name).read_bytes() != (prebuilt / name).read_bytes():
                pytest.fail(f"{path / name} is not the prebuilt host of {prebuilt}")
    return path


def engine_path(bin_dir: Path) -> str:
    """PATH for the engine: the engine directory (CLI and language hosts), then the checkout's virtualenv."""
    dirs = [str(bin_dir), str(ROOT / ".venv" / "bin"), os.environ.get("PATH", "")]
    return os.pathsep.join(dirs)


def user_shell_env(workdir: Path, bin_dir: Path) -> dict[str, str]:
    """What a user's shell holds for a program that drives stacks itself (examples/automation/fleet.py): the engine
    on PATH, a file backend under ``workdir``, its passphrase and the CPP token; nothing of this machine's Pulumi,
    provider or Azure settings."""
    backend = workdir / "backend"
    backend.mkdir(parents=True, exist_ok=True)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CPP_", "AZURE_", "GOLIVE_", "PI_"))},
        "PATH": engine_path(bin_dir),
        "PULUMI_HOME": str(workdir / "home"),
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "CPP_ACCESS_TOKEN": E2E_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }


def plugin_sources_digest() -> str:
    """What the plugin's virtualenv is installed from: the package, its metadata and PulumiPlugin.yaml."""
    files = [ROOT / "pyproject.toml", ROOT / "PulumiPlugin.yaml", *sorted((ROOT / "pulumi_cpp_golive").rglob("*.py"))]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def ensure_plugin_installed(bin_dir: Path) -> None:
    """`pulumi install` in the repository root, as a user of `plugins.providers: path: <this repository>` must run
    it (`pulumi up` never installs a plugin's dependencies): ./venv with the package, as PulumiPlugin.yaml says.
    Done again only when the package's sources change; one process at a time (pytest-xdist workers share it)."""
    venv = ROOT / "venv"
    stamp = venv / ".pulumi-cpp-golive-sources"
    digest = plugin_sources_digest()
    with open(ROOT / ".venv" / ".plugin-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == digest:
            return
        home = ROOT / ".venv" / ".plugin-venv-home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CPP_", "AZURE_"))}
        env.update(PATH=os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]), PULUMI_HOME=str(home),
                   PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
        done = subprocess.run(["pulumi", "install"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=900, check=False)
        if done.returncode != 0:
            raise AssertionError(f"pulumi install in {ROOT} (the plugin's ./venv) failed:\n{done.stdout}{done.stderr}")
        stamp.write_text(digest)


class Stack:
    """One stack of the e2e program in its own directory, backend and PULUMI_HOME."""

    def __init__(self, workdir: Path, bin_dir: Path, sim: Simulator, program: Path = PROGRAM,
                 project_yaml: str = "", *, installed: Optional[Path] = None, path: Optional[str] = None,
                 stack_name: str = "dev", backend_env: Optional[dict[str, str]] = None) -> None:
        """``installed``: a project directory already set up (``pulumi install``) to use in place, with a stack of
        its own (``stack_name``); ``path``: the PATH to run pulumi with (default: :func:`engine_path`);
        ``backend_env``: the environment of another state backend (``PULUMI_BACKEND_URL`` and its credentials) in place
        of a local directory of this stack's own."""
        self.sim = sim
        if installed is not None:
            self.dir = installed
        else:
            self.dir = workdir / "project"
            shutil.copytree(program, self.dir)
        if USE_PLUGIN in project_yaml:
            ensure_plugin_installed(bin_dir)
        project_file = self.dir / "Pulumi.yaml"
        if installed is not None:
            pass  # set up by the caller, as a user would
        elif project_file.exists():  # an example project: point its references to the repository here
            project_file.write_text(project_file.read_text().replace("path: ../..", f"path: {ROOT}"))
            for source in self.dir.glob("*.ts"):
                source.write_text(source.read_text().replace('"../../sdk/nodejs"', f'"{ROOT / "sdk" / "nodejs"}"'))
        else:
            project_file.write_text(
                "name: cpp-golive-e2e\n"
                "runtime:\n  name: python\n  options:\n"
                f"    virtualenv: {ROOT / '.venv'}\n" + project_yaml
            )
        backend = workdir / "backend"
        backend.mkdir()
        self.backend = backend
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CPP_", "AZURE_"))},
            "PATH": path if path is not None else engine_path(bin_dir),
            "PULUMI_HOME": str(workdir / "home"),
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PYTHONUNBUFFERED": "1",
            **(backend_env or {}),
        }
        self.run("stack", "init", stack_name)
        self.config("cpp-golive:baseUrl", sim.url)
        self.config("cpp-golive:accessToken", E2E_TOKEN, secret=True)
        self.config("cpp-golive:pollInterval", "0.5")

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``pulumi ARGS`` in its own process group, as a terminal would (Ctrl-C goes to the group)."""
        return subprocess.Popen(["pulumi", *args, "--non-interactive"], cwd=self.dir, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)

    def config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.run("config", "set", *(["--secret"] if secret else ["--plaintext"]), key, value)

    def up(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", *extra, check=check)

    def preview(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", *extra, check=check)

    def preview_summary(self) -> dict[str, int]:
        done = self.run("preview", "--json")
        summary: dict[str, int] = json.loads(done.stdout).get("changeSummary", {})
        return summary

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "output", "--json").stdout)
        return result

    def export(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "export").stdout)
        return result

    def resources(self, type_suffix: str = "OfferGoLive") -> list[dict[str, Any]]:
        deployment = self.export().get("deployment", {})
        return [r for r in deployment.get("resources") or [] if str(r.get("type", "")).endswith(type_suffix)]

    def state_text(self) -> str:
        """Every file of the local backend, concatenated: what a leaked secret would sit in."""
        return "\n".join(p.read_text(errors="replace") for p in self.backend.rglob("*") if p.is_file())


def wait_for(condition: Any, what: str, timeout: float = 120.0, proc: Optional[subprocess.Popen[str]] = None) -> None:
    """Poll a condition (a synchronisation point, not a sleep standing in for one) with a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"process ended (exit {proc.returncode}) before {what}:\n{out}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(token=E2E_TOKEN, golive_seconds=2.0, publish_seconds=0.5)) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready", edited=True)  # a new version to publish
        yield simulator


@pytest.fixture
def stack(tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> Stack:
    return Stack(tmp_path, pulumi_bin, sim)


