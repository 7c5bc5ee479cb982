"""Session-wide: the first line of pytest's output names the Pulumi language hosts the end-to-end tests run under
(also with -q, which hides pytest's own header)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MANIFEST = ".bootstrap-manifest"


def hosts_line() -> str:
    given = os.environ.get("PULUMI_CPP_GOLIVE_BIN")
    if not given:
        return "pulumi hosts: not known yet (no PULUMI_CPP_GOLIVE_BIN: the e2e fixture runs scripts/bootstrap-pulumi)"
    manifest = Path(given) / MANIFEST
    if not manifest.is_file():
        return f"pulumi hosts: those beside the pulumi in {given} (an installed CLI; no {MANIFEST})"
    hosts = [line[len("host:"):].replace("=", ": ", 1) for line in manifest.read_text().splitlines()
             if line.startswith("host:")]
    return f"pulumi hosts ({given}): " + "; ".join(hosts)


def pytest_sessionstart(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller prints it once
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(hosts_line())
