"""Azurite, Microsoft's Azure Storage emulator, as a pytest fixture: the Azure Blob service the tests of Pulumi's
``azblob://`` backend keep their state in (tests/e2e/test_azblob_state.py).

Azurite is installed by scripts/install-azurite (a pinned version with npm, cached under
``~/.cache/pulumi-cpp-golive/tools``), so that the suite runs on a clean clone; if it cannot be installed or does not
start, the tests fail, they never skip. Each test gets its own Azurite on a free loopback port with a data directory
of its own, so that a test may stop it and start it again on the same port and data (an outage of the backend) without
touching another test's state. Only the blob service runs; telemetry is off (the machine reaches no other host).

Credentials: Azurite's development account, ``devstoreaccount1`` with its well-known key, which Microsoft publishes
in Azurite's documentation ("Authorization for tools and SDKs"); it is not a secret and opens nothing but the emulator.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest
from azure.storage.blob import BlobServiceClient

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "scripts" / "install-azurite"
ACCOUNT = "devstoreaccount1"
# Azurite's published development-account key (see the module docstring): the emulator's, not a secret.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
LOOPBACK = "127.0.0.1"
CONTAINER = "pulumi-state"
START_TIMEOUT = 60.0  # a cold node start on a loaded 2-core machine takes a few seconds; this is the deadline
STOP_TIMEOUT = 30.0


def install_azurite() -> Path:
    """Run scripts/install-azurite (idempotent: a second run only checks the cache) and return the azurite-blob
    executable it printed on its last line; fail the test session, with the installer's output, if it cannot."""
    done = subprocess.run([str(INSTALLER)], capture_output=True, text=True, timeout=900, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        pytest.fail(f"scripts/install-azurite failed (exit {done.returncode}); the azblob tests need Azurite:\n"
                    f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
    executable = Path(lines[-1])
    if not os.access(executable, os.X_OK):
        pytest.fail(f"scripts/install-azurite printed {executable}, which is not an executable")
    return executable


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel's pick for an ephemeral bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def accepts_connections(port: int) -> bool:
    """Whether something accepts TCP connections on the loopback ``port``."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return True
    except OSError:
        return False


class ExitedOnStart(AssertionError):
    """Azurite ended before it listened (a port taken, a bad data directory): the test fails with its log."""


class Azurite:
    """One Azurite blob service on loopback, with its data in ``location``.

    :meth:`start` picks a free port the first time and keeps it: :meth:`stop` then :meth:`start` is the same service
    back (same port, same data), as after an outage of a real storage account.
    """

    def __init__(self, executable: Path, location: Path) -> None:
        self.executable = executable
        self.location = location
        self.port: Optional[int] = None
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._log = location.parent / f"{location.name}.log"

    # --- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Azurite:
        """Start the blob service and wait (bounded) until it accepts connections. A first start retries on
        another port when the chosen one was taken in between (other test workers pick ports too)."""
        if self._proc is not None:
            raise RuntimeError("Azurite is already running")
        self.location.mkdir(parents=True, exist_ok=True)
        if self.port is not None:
            self._launch(self.port)
            return self
        attempts = 3
        for attempt in range(1, attempts + 1):
            try:
                self._launch(free_port())
                break
            except ExitedOnStart:  # e.g. EADDRINUSE: another process took the port since free_port() saw it
                if attempt == attempts:
                    raise
        return self

    def _launch(self, port: int) -> None:
        """Start azurite-blob on ``port`` and wait until it says it listens there: its own line, not merely an open
        port (which another process could hold)."""
        offset = self._log.stat().st_size if self._log.exists() else 0
        with open(self._log, "ab") as log:
            proc = subprocess.Popen(
                [str(self.executable), "--blobHost", LOOPBACK, "--blobPort", str(port),
                 "--location", str(self.location), "--silent", "--skipApiVersionCheck", "--disableTelemetry"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        ready = f"successfully listens on http://{LOOPBACK}:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while ready not in self._log.read_bytes()[offset:].decode(errors="replace"):
            if proc.poll() is not None:
                raise ExitedOnStart(f"Azurite exited {proc.returncode} on start (port {port}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self._end(proc)
                raise AssertionError(f"Azurite did not listen on {LOOPBACK}:{port} within {START_TIMEOUT:g} s:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.1)
        self._proc, self.port = proc, port

    def stop(self) -> None:
        """Stop the service as an operator would (SIGTERM: Azurite saves its metadata and closes), bounded; the port
        is free again when this returns. Safe to call when it is not running."""
        proc, self._proc = self._proc, None
        if proc is not None:
            self._end(proc)
        if self.port is not None:
            port = self.port
            deadline = time.monotonic() + STOP_TIMEOUT
            while accepts_connections(port):
                if time.monotonic() > deadline:
                    raise AssertionError(f"something still listens on {LOOPBACK}:{port} after Azurite stopped")
                time.sleep(0.1)

    @staticmethod
    def _end(proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM the process group this class started (by its ID), then SIGKILL it if it outlives the deadline."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self._log.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    # --- what clients need -----------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The account's blob endpoint, in Azurite's path style: ``http://127.0.0.1:PORT/devstoreaccount1``."""
        if self.port is None:
            raise RuntimeError("Azurite was never started")
        return f"http://{LOOPBACK}:{self.port}/{ACCOUNT}"

    def backend_url(self, container: str = CONTAINER) -> str:
        """``PULUMI_BACKEND_URL`` of a container: Go CDK's azblob driver with the emulator's endpoint. ``domain`` is
        the host and port, ``protocol=http`` (Azurite serves plain HTTP here), and ``localemu=true`` puts the account
        in the path rather than in the host name (the driver also infers that from a 127.0.0.1 domain)."""
        if self.port is None:
            raise RuntimeError("Azurite was never started")
        return f"azblob://{container}?domain={LOOPBACK}:{self.port}&protocol=http&localemu=true"

    @staticmethod
    def credentials() -> dict[str, str]:
        """The environment the azblob driver reads its shared-key credential from."""
        return {"AZURE_STORAGE_ACCOUNT": ACCOUNT, "AZURE_STORAGE_KEY": ACCOUNT_KEY}

    def client(self) -> BlobServiceClient:
        """A blob client with short timeouts and few retries: a test that reads the state should fail quickly, not
        wait out an SDK's back-off, when the service is gone."""
        return BlobServiceClient(self.endpoint, credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY},
                                 retry_total=2, connection_timeout=5, read_timeout=30)

    def create_container(self, name: str = CONTAINER) -> None:
        """Create the container Pulumi's backend lives in (Pulumi never creates it: `pulumi login` of a missing
        container fails with ContainerNotFound)."""
        with self.client() as service:
            service.create_container(name)

    def blob_names(self, container: str = CONTAINER, prefix: Optional[str] = None) -> list[str]:
        """The names of the container's blobs (under ``prefix``), sorted."""
        with self.client() as service:
            return sorted(b.name for b in service.get_container_client(container).list_blobs(name_starts_with=prefix))

    def read_blob(self, name: str, container: str = CONTAINER) -> bytes:
        with self.client() as service:
            data: bytes = service.get_blob_client(container, name).download_blob().readall()
            return data


@pytest.fixture(name="azurite_blob", scope="session")
def azurite_blob_fixture() -> Path:
    """The azurite-blob executable, installed (once per session and machine) by scripts/install-azurite."""
    return install_azurite()


@pytest.fixture(name="azurite")
def azurite_fixture(azurite_blob: Path, tmp_path: Path) -> Iterator[Azurite]:
    """A running Azurite of this test, with the container :data:`CONTAINER` created; stopped at the end."""
    service = Azurite(azurite_blob, tmp_path / "azurite")
    service.start()
    try:
        service.create_container()
        yield service
    finally:
        service.stop()
