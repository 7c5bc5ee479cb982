"""Build the release artifacts of pulumi-cpp-golive (run by scripts/release; see its header for usage).

Each artifact is built by the tool its ecosystem uses: PyPA ``build`` for the wheels and the sdist, ``tsc``
and ``npm pack`` for the Node.js SDK, ``pip wheel`` for the dependency wheels the plugin archive bundles. This
file only orders those steps and assembles the archive.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Optional

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
PLUGIN = "pulumi-resource-cpp-golive"
DISTRIBUTION = "pulumi-cpp-golive"
# Pulumi's names for an OS and a CPU in plugin archive names (pulumi-resource-NAME-vVERSION-OS-ARCH.tar.gz).
OS_NAMES = {"linux": "linux", "darwin": "darwin"}
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# Every archive Pulumi may ask for (`pulumi install` downloads pulumi-resource-cpp-golive-v<version>-<os>-<arch>.tar.gz
# for the machine it runs on): the launcher's POSIX systems and CPUs, each with the pip platform tags its bundled
# binary wheels may carry. The bundle is not portable: cffi, charset-normalizer, cryptography, grpcio, protobuf,
# PyYAML and wrapt are binary wheels (debugpy too, on linux-amd64), so each archive has a wheel set of its own. The
# machine's own one is built by `pip wheel`; the others are the same pins, downloaded as binary wheels for that
# platform (nothing can be compiled for another system). pip evaluates environment markers for the machine running
# it, not the target; no requirement of the plugin's tree has a marker on the OS or the CPU, so the sets agree.
# macOS tags name the oldest release a wheel may need; pip also takes older ones and universal2.
TARGETS = {
    "linux-amd64": [f"manylinux_2_{minor}_x86_64" for minor in (17, 28, 34)] + ["manylinux2014_x86_64"],
    "linux-arm64": [f"manylinux_2_{minor}_aarch64" for minor in (17, 28, 34)] + ["manylinux2014_aarch64"],
    "darwin-amd64": ["macosx_11_0_x86_64"],
    "darwin-arm64": ["macosx_11_0_arm64"],
}


def log(message: str) -> None:
    print(f"release: {message}", file=sys.stderr, flush=True)


def run(command: list[str], cwd: Path = ROOT) -> str:
    """Run a step; its output goes to stderr unless the step fails, which stops the release with it."""
    done = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL,  # noqa: S603 - fixed build steps
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"release: error: `{' '.join(command)}` (in {cwd}) exited {done.returncode}")
    return done.stdout


def package_version() -> str:
    """The version in pyproject.toml, which the package, the schema and the SDKs all carry."""
    sys.path.insert(0, str(ROOT))
    from pulumi_cpp_golive import __version__  # the same string pyproject.toml declares

    return __version__


def platform_suffix() -> str:
    """``linux-amd64`` etc.: the machine this runs on, which is what the bundled binary wheels are built for."""
    os_name = OS_NAMES.get(sys.platform)
    arch = ARCH_NAMES.get(platform.machine().lower())
    if os_name is None or arch is None:
        raise SystemExit(f"release: error: no plugin archive for {sys.platform}/{platform.machine()} "
                         "(the launcher needs a POSIX system: Linux or macOS)")
    return f"{os_name}-{arch}"


def build_python(out: Path) -> None:
    """The package's sdist and wheel (the wheel is built from the sdist, which proves the sdist complete),
    and the Python SDK's wheel."""
    log("python: sdist and wheel of pulumi-cpp-golive")
    run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)])
    log("python: wheel of the Python SDK (sdk/python)")
    with tempfile.TemporaryDirectory(prefix="release-sdk-python.") as tmp:
        # A copy, so that the build's egg-info and build/ never land in the checked-in SDK.
        source = Path(tmp) / "python"
        shutil.copytree(ROOT / "sdk" / "python", source)
        run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)])


def build_nodejs(out: Path) -> None:
    """``npm pack`` of the Node.js SDK compiled to JavaScript with declarations, as Pulumi's providers publish
    their SDKs: a user's program then needs no TypeScript toolchain to load it."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("release: error: no npm on PATH (needed to build the Node.js SDK tarball)")
    log("nodejs: npm install, tsc, npm pack of sdk/nodejs")
    with tempfile.TemporaryDirectory(prefix="release-sdk-nodejs.") as tmp:
        source = Path(tmp) / "nodejs"
        shutil.copytree(ROOT / "sdk" / "nodejs", source, ignore=shutil.ignore_patterns("node_modules", "bin"))
        run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], cwd=source)
        run([npm, "run", "build"], cwd=source)  # the SDK's own build script: tsc into bin/
        built = source / "bin"
        shutil.copy2(source / "README.md", built / "README.md")
        (built / "package.json").write_text(packed_manifest(source / "package.json"))
        packed = run([npm, "pack", "--json", "--pack-destination", str(out)], cwd=built)
        [entry] = json.loads(packed)
        files = {item["path"] for item in entry["files"]}
        missing = {"index.js", "index.d.ts", "offerGoLive.js", "offerGoLive.d.ts"} - files
        if missing:
            raise SystemExit(f"release: error: the Node.js SDK tarball lacks {sorted(missing)}")


def packed_manifest(source: Path) -> str:
    """The SDK's package.json as the compiled package needs it. sdk/nodejs is generated to be installed from
    source (`file:` dependencies): its postinstall runs tsc into bin/ and "main" points there. The tarball is
    packed from bin/ itself, so its entry points are at its root, and it has neither the script that postinstall
    runs nor anything to compile: npm would fail the install on the missing script."""
    manifest = json.loads(source.read_text())
    manifest["main"] = "index.js"
    manifest["types"] = "index.d.ts"
    manifest.pop("scripts", None)  # build (tsc) and postinstall: both for the sources, which are not packed
    return json.dumps(manifest, indent=4) + "\n"


def constraints(python: str, stage: Path) -> Path:
    """Pins for the bundled dependencies: exactly the checkout's virtualenv (what the tests ran) for an
    interpreter of its Python version; for another version only the package's direct dependencies, since some
    transitive pins may not exist for that version (pycparser 3 needs 3.11, for one)."""
    frozen = run([sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--all"]).splitlines()
    tag = interpreter_tag(python)
    if tag != interpreter_tag(sys.executable):
        requirements = [Requirement(line) for line in metadata.requires(DISTRIBUTION) or []]
        direct = {canonicalize_name(req.name) for req in requirements  # not the test extra's tools
                  if req.marker is None or req.marker.evaluate({"extra": ""})}
        direct.add(canonicalize_name("pip"))
        frozen = [line for line in frozen if canonicalize_name(line.split("==")[0]) in direct]
    path = stage / f"constraints-{tag}.txt"
    path.write_text("\n".join(frozen) + "\n")
    return path


def interpreter_tag(python: str) -> str:
    out = run([python, "-c", "import sys; print(sys.implementation.name, *sys.version_info[:2])"])
    name, major, minor = out.split()
    if name != "cpython":
        raise SystemExit(f"release: error: {python} is {name}; the archive bundles CPython wheels only")
    return f"cp{major}{minor}"


def bundle_wheels(python: str, package_wheel: Path, stage: Path, target_platform: str) -> str:
    """Every wheel the plugin needs under ``python`` on ``target_platform``, plus pip's own (the launcher installs
    with it): built or taken from the cache by `pip wheel` for this machine, downloaded as binary wheels (pip's own
    resolver, for that platform's tags) for another. Raises :class:`NoWheels` when that platform lacks a wheel."""
    tag = interpreter_tag(python)
    target = stage / "wheels" / tag
    pins = str(constraints(python, stage))
    log(f"archive {target_platform}: wheels for {tag} ({python})")
    if target_platform == platform_suffix():
        run([python, "-m", "pip", "wheel", "--disable-pip-version-check", "--quiet", "--wheel-dir", str(target),
             "--constraint", pins, str(package_wheel), "pip"])
        return tag
    platforms = [arg for name in TARGETS[target_platform] for arg in ("--platform", name)]
    abis = [arg for abi in (tag, "abi3", "none") for arg in ("--abi", abi)]
    done = subprocess.run([python, "-m", "pip", "download", "--disable-pip-version-check",  # noqa: S603
                           "--only-binary=:all:", *platforms, "--implementation", "cp", "--python-version",
                           tag[2] + "." + tag[3:], *abis, "--dest", str(target), "--constraint", pins,
                           str(package_wheel), "pip"],
                          cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # pip's own explanation: the pin no wheel satisfies, and which packages have no wheel for the platform
        lines = (done.stdout + done.stderr).splitlines()
        missing = [following.strip() for line, following in zip(lines, lines[1:])
                   if "no matching distributions" in line]
        why = [line.strip() for line in lines if "(constraint)" in line]
        detail = "; ".join([*why, *(f"no {target_platform} wheel of {name}" for name in missing)])
        raise NoWheels(f"no complete wheel set for {target_platform} under {tag}: "
                       + (detail or (done.stdout + done.stderr).strip()[-500:]))
    return tag


class NoWheels(Exception):
    """A platform some pinned dependency publishes no binary wheel for (the archive cannot be built here)."""


def add_to_tar(archive: tarfile.TarFile, path: Path, name: str, mode: int) -> None:
    """Add a file with a fixed owner and time: the archive's bytes depend on its files alone."""
    info = tarfile.TarInfo(name)
    data = path.read_bytes()
    info.size, info.mode, info.mtime = len(data), mode, 0
    info.uname = info.gname = "root"
    archive.addfile(info, io.BytesIO(data))


def build_archive(out: Path, version: str, pythons: list[str], target_platform: str) -> Path:
    """``pulumi-resource-cpp-golive-vVERSION-OS-ARCH.tar.gz``: the launcher as the plugin executable and the
    wheels it installs on first start, for each interpreter in ``pythons``. No PulumiPlugin.yaml: with one,
    `pulumi plugin install` would hand the directory to a Python language host to install; without it the
    engine runs the executable directly."""
    [package_wheel] = out.glob("pulumi_cpp_golive-*.whl")
    name = f"{PLUGIN}-v{version}-{target_platform}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="release-archive.") as tmp:
        stage = Path(tmp)
        tags = [bundle_wheels(python, package_wheel, stage, target_platform) for python in pythons]
        if len(set(tags)) != len(tags):
            raise SystemExit(f"release: error: two --python interpreters of one version: {tags}")
        # gzip's header would carry the time of the build: fixed, like every member's.
        with gzip.GzipFile(out / name, "wb", mtime=0) as packed, tarfile.open(fileobj=packed, mode="w") as archive:
            add_to_tar(archive, LAUNCHER, PLUGIN, 0o755)
            for wheel in sorted((stage / "wheels").rglob("*.whl")):
                add_to_tar(archive, wheel, wheel.relative_to(stage).as_posix(), 0o644)
    return out / name


def prepare_out(out: Path, default: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not default:
            raise SystemExit(f"release: error: {out} is not empty (only the default dist/ is emptied)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/release", description="Build the release artifacts.")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: dist/, emptied first)")
    parser.add_argument("--python", action="append", dest="pythons", metavar="PYTHON",
                        help="CPython to bundle wheels for in the plugin archive; repeat for several versions "
                             "(default: the interpreter running this, i.e. the checkout's .venv)")
    parser.add_argument("--platform", action="append", dest="platforms", metavar="OS-ARCH",
                        choices=sorted(TARGETS),
                        help="plugin archive to build; repeat for several (default: every one of "
                             f"{', '.join(sorted(TARGETS))} that its wheels can be had for, this machine's always)")
    args = parser.parse_args(argv)
    out = (args.out or ROOT / "dist").resolve()
    prepare_out(out, default=args.out is None)
    started = time.monotonic()
    version = package_version()
    build_python(out)
    build_nodejs(out)
    native = platform_suffix()
    targets = args.platforms or [native, *sorted(set(TARGETS) - {native})]
    for target in targets:
        try:
            archive = build_archive(out, version, args.pythons or [sys.executable], target)
        except NoWheels as exc:
            if args.platforms:  # asked for by name: the release fails without it
                raise SystemExit(f"release: error: {exc}") from None
            log(f"archive {target}: not built: {exc}")
            continue
        log(f"plugin archive {archive.name}" + ("; install it here with:" if target == native else ""))
        if target == native:
            log(f"  pulumi plugin install resource cpp-golive {version} --file {archive}")
    for path in sorted(out.iterdir()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{path}\t{path.stat().st_size}\tsha256:{digest}")
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
