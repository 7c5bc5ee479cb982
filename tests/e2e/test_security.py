"""Secrets stay secret through the real engine: state, verbose CLI output, provider logs, error messages."""

from __future__ import annotations

import json
from pathlib import Path

from pulumi_cpp_golive.simulator import Simulator

from .conftest import E2E_TOKEN, Stack

CLIENT_SECRET = "e2e-client-secret-77c2d9"  # a fake secret whose leaks this test looks for


def _all_text_under(path: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


def test_token_and_client_secret_never_leak(stack: Stack, sim: Simulator, tmp_path: Path) -> None:
    stack.env.update({"AZURE_CLIENT_SECRET": CLIENT_SECRET, "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
                      "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000002"})
    logs = tmp_path / "tmp"  # plugins and the CLI write any log files to TMPDIR
    logs.mkdir()
    stack.env["TMPDIR"] = str(logs)
    up = stack.up("-v=9", "--logflow", "--logtostderr")
    assert stack.outputs()["status"] == "succeeded"

    # a failing run too: its error text must not carry the token either
    sim.add_offer("contoso", "vm1", state="ready")
    sim.config.fail_golive = True
    stack.config("trigger", "v2")
    failed = stack.up("-v=9", "--logflow", "--logtostderr", check=False)
    assert failed.returncode != 0 and "simulated failure" in failed.stdout + failed.stderr

    exported = json.dumps(stack.export())
    places = {
        "exported state": exported,
        "backend files": stack.state_text(),
        "CLI output at -v=9 (includes provider stderr)": up.stdout + up.stderr,
        "failed run output": failed.stdout + failed.stderr,
        "log files": _all_text_under(logs) + _all_text_under(Path(stack.env["PULUMI_HOME"])),
    }
    assert len(up.stderr) > 10_000  # the verbose log really was captured
    for where, text in places.items():
        assert E2E_TOKEN not in text, f"the access token leaked into the {where}"
        assert CLIENT_SECRET not in text, f"the client secret leaked into the {where}"
    # the token is in state, but only encrypted
    assert "cpp-golive:accessToken" in (stack.dir / "Pulumi.dev.yaml").read_text()
    assert "secure:" in (stack.dir / "Pulumi.dev.yaml").read_text()
    # every request carried the bearer token to the simulator's host only (it is the only host contacted)
    assert all(r.authorization_ok for r in sim.requests)


def test_non_loopback_http_base_url_is_refused(stack: Stack, sim: Simulator) -> None:
    stack.config("cpp-golive:baseUrl", "http://cpp.example.com")
    done = stack.up(check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "plain http on a non-loopback host" in text
    assert E2E_TOKEN not in text
    assert sim.requests == []
