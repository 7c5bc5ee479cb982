#!/usr/bin/env python3
"""pulumi-resource-cpp-golive: the cpp-golive Pulumi provider plugin, as shipped in the plugin archive.

Install the archive that scripts/release built into Pulumi's plugin cache, then use the provider from any
Pulumi program (YAML, TypeScript, Go, C#, Python) with no ``plugins.providers`` entry:

    pulumi plugin install resource cpp-golive 0.1.0 \\
        --file pulumi-resource-cpp-golive-v0.1.0-linux-amd64.tar.gz

What the machine needs: a CPython 3 of a version the archive bundles wheels for (the ``wheels/cpXY``
directories beside this file; by default the one scripts/release ran with), reachable as ``python3`` or as
``python3.Y`` on PATH, with its standard library's ``venv`` module. Nothing else: no network, no pip, no
Pulumi language host. Linux and macOS only (the archive is built for the OS and CPU it was made on).

The engine starts this file with its flags and its address. The first start creates a private virtualenv
beside this file (``venv-cpXY``) and installs the bundled wheels into it with the bundled pip, offline; that
takes a few seconds to a minute, and the engine waits for it. Every start then runs
``python -m pulumi_cpp_golive`` in that virtualenv with the engine's arguments. ``pulumi plugin rm resource
cpp-golive`` removes the virtualenv along with the plugin.

This file is a launcher only: it uses nothing but the standard library and runs on any Python 3, so that a
wrong interpreter gets a message instead of a traceback.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from typing import List, NoReturn, Optional, Tuple

PACKAGE_WHEEL_PREFIX = "pulumi_cpp_golive-"
PIP_WHEEL_PREFIX = "pip-"
COMPLETE_MARKER = ".cpp-golive-complete"


def fail(message: str) -> NoReturn:
    """Exit with a message on stderr: the engine shows a plugin's stderr when it fails to start."""
    sys.stderr.write("pulumi-resource-cpp-golive: " + message + "\n")
    sys.exit(1)


def bundled_tags(here: str) -> List[str]:
    """The interpreter tags (``cp311`` ...) the archive holds a complete wheel set for."""
    wheels = os.path.join(here, "wheels")
    if not os.path.isdir(wheels):
        return []
    return sorted(name for name in os.listdir(wheels) if name.startswith("cp") and name[2:].isdigit())


def tag_of_running_python() -> str:
    return f"cp{sys.version_info[0]}{sys.version_info[1]}"


def version_of_tag(tag: str) -> str:
    """``cp311`` -> ``3.11``."""
    return tag[2] + "." + tag[3:]


def preferred(tags: List[str]) -> List[str]:
    """The bundled tags, the running interpreter's first."""
    return sorted(tags, key=lambda tag: tag != tag_of_running_python())


def find_interpreter(tags: List[str]) -> Optional[Tuple[str, str]]:
    """A Python that matches one of the bundled wheel sets: this one, else ``python3.Y`` on PATH."""
    for tag in preferred(tags):
        if tag == tag_of_running_python() and sys.implementation.name == "cpython":
            return tag, sys.executable
        candidate = shutil.which("python" + version_of_tag(tag))
        if candidate:
            return tag, candidate
    return None


def wheel_set_digest(wheel_dir: str) -> str:
    """What a virtualenv was built from; a different wheel set (a reinstalled plugin) means building it again."""
    return hashlib.sha256("\n".join(sorted(os.listdir(wheel_dir))).encode()).hexdigest()


def single_wheel(wheel_dir: str, prefix: str) -> str:
    found = [name for name in os.listdir(wheel_dir) if name.startswith(prefix) and name.endswith(".whl")]
    if len(found) != 1:
        fail(f"the archive is incomplete: expected one {prefix}*.whl in {wheel_dir}, found {len(found)}")
    return os.path.join(wheel_dir, found[0])


def venv_of(here: str, tag: str) -> str:
    return os.path.join(here, "venv-" + tag)


def ready_python(here: str, tag: str) -> Optional[str]:
    """The interpreter of ``tag``'s virtualenv if it was built completely from the current wheel set and its base
    Python is still there (a venv's python is a link to it)."""
    venv = venv_of(here, tag)
    venv_python = os.path.join(venv, "bin", "python")
    try:
        with open(os.path.join(venv, COMPLETE_MARKER)) as handle:
            complete = handle.read().strip() == wheel_set_digest(os.path.join(here, "wheels", tag))
    except OSError:
        return None
    return venv_python if complete and os.path.exists(venv_python) else None


def build_venv(here: str, tag: str, python: str) -> str:
    """Build ``tag``'s private virtualenv with ``python``; returns its interpreter.

    The engine may start several copies of the plugin at once (e.g. one to serve the schema, one for the
    deployment), so the build holds a lock and the others wait for it instead of building over it.
    """
    wheel_dir = os.path.join(here, "wheels", tag)
    venv = venv_of(here, tag)
    with open(os.path.join(here, f".venv-{tag}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = ready_python(here, tag)  # by the copy that held the lock before us
        if built:
            return built
        # A half-built virtualenv (an earlier start was killed) is removed: the lock says nobody is building it.
        shutil.rmtree(venv, ignore_errors=True)
        sys.stderr.write(f"pulumi-resource-cpp-golive: first start: installing into {venv} (offline)\n")
        # --without-pip: Debian's python3 may lack ensurepip; the archive brings its own pip wheel instead.
        run([python, "-m", "venv", "--without-pip", venv], f"creating the virtualenv with {python}")
        venv_python = os.path.join(venv, "bin", "python")
        pip = os.path.join(single_wheel(wheel_dir, PIP_WHEEL_PREFIX), "pip")  # pip runs from its own wheel
        run([venv_python, pip, "install", "--isolated", "--no-index", "--find-links", wheel_dir, "--no-cache-dir",
             "--disable-pip-version-check", "--quiet", single_wheel(wheel_dir, PACKAGE_WHEEL_PREFIX)],
            "installing the bundled wheels")
        with open(os.path.join(venv, COMPLETE_MARKER), "w") as handle:
            handle.write(wheel_set_digest(wheel_dir) + "\n")
    return venv_python


def run(command: List[str], what: str) -> None:
    # stdout belongs to the engine (the plugin's first stdout line is its port): send everything to stderr.
    done = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr,  # noqa: S603 - our own fixed commands
                          stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        fail(f"{what} failed (exit {done.returncode}): {' '.join(command)}")


def main() -> None:
    here = os.path.dirname(os.path.realpath(__file__))
    tags = bundled_tags(here)
    if not tags:
        fail(f"the archive is incomplete: no wheels/cpXY directory beside {__file__}")
    for tag in preferred(tags):
        venv_python = ready_python(here, tag)
        if venv_python:
            break
    else:
        venv_python = build_venv(here, *find_interpreter_or_fail(tags))
    # -I: the user's PYTHONPATH or user site-packages must not leak into the plugin's private environment.
    os.execv(venv_python, [venv_python, "-I", "-m", "pulumi_cpp_golive", *sys.argv[1:]])  # noqa: S606 - no shell


def find_interpreter_or_fail(tags: List[str]) -> Tuple[str, str]:
    found = find_interpreter(tags)
    if found is None:
        wanted = " or ".join(version_of_tag(tag) for tag in tags)
        this = ".".join(map(str, sys.version_info[:3]))
        fail(f"needs CPython {wanted} (the versions this archive bundles wheels for) as python3 or python3.Y on "
             f"PATH; this is {sys.implementation.name} {this} at {sys.executable}. Install one of them, or build "
             f"an archive for this Python with `scripts/release --python {sys.executable}`.")
    return found


if __name__ == "__main__":
    main()
