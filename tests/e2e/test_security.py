"""Secrets stay secret through the real engine: state, verbose CLI output, provider logs, error messages.

Two credential paths, each tested where its secret is actually used: a static token in secret stack config, and
azure-identity's environment credential exchanging a client secret at a token endpoint on loopback HTTPS (a CA
made here, handed over by ``REQUESTS_CA_BUNDLE``), with tokens that expire after 2 s and so are renewed during
the wait.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from pulumi_cpp_golive.simulator import Simulator

from ..faults.test_secrets_and_inputs import OP_PATH, EchoingCpp
from ..token_endpoint import TokenEndpoint
from .conftest import E2E_TOKEN, PLUGIN_PROGRAM, USE_PLUGIN, Stack

CLIENT_SECRET = "e2e-client-secret~77c2d9/Qx"  # a fake secret whose leaks this test looks for
TENANT, CLIENT_ID = "00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000001"


def _all_text_under(path: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


def _verbose_up(stack: Stack, *, check: bool = True) -> str:
    done = stack.up("-v=9", "--logflow", "--logtostderr", check=check)
    if not check:
        assert done.returncode != 0
    return done.stdout + done.stderr


def _assert_nowhere(secrets: list[str], places: dict[str, str]) -> None:
    for secret in secrets:
        for spelling in {secret, quote(secret, safe="")}:
            for where, text in places.items():
                assert spelling not in text, f"a secret ({spelling[:8]}...) leaked into the {where}"


def _capture_logs(stack: Stack, tmp_path: Path) -> Path:
    logs = tmp_path / "tmp"  # plugins and the CLI write any log files to TMPDIR
    logs.mkdir()
    stack.env["TMPDIR"] = str(logs)
    return logs


def test_static_token_never_leaks(stack: Stack, sim: Simulator, tmp_path: Path) -> None:
    logs = _capture_logs(stack, tmp_path)
    up = _verbose_up(stack)
    assert stack.outputs()["status"] == "succeeded"
    assert len(up) > 10_000  # the verbose log really was captured

    sim.add_offer("contoso", "vm1", state="ready")
    sim.config.fail_golive = True
    stack.config("trigger", "v2")
    failed = _verbose_up(stack, check=False)
    assert "simulated failure" in failed

    _assert_nowhere([E2E_TOKEN], {
        "exported state": json.dumps(stack.export()),
        "backend files": stack.state_text(),
        "CLI output at -v=9 (includes provider stderr)": up,
        "failed run output": failed,
        "log files": _all_text_under(logs) + _all_text_under(Path(stack.env["PULUMI_HOME"])),
    })
    # the token is in the stack's config file, but only encrypted
    assert "cpp-golive:accessToken" in (stack.dir / "Pulumi.dev.yaml").read_text()
    assert "secure:" in (stack.dir / "Pulumi.dev.yaml").read_text()
    # every request carried the bearer token to the simulator's host only (it is the only host contacted)
    assert sim.requests and all(r.authorization_ok for r in sim.requests)


@pytest.mark.parametrize("adapter", ["dynamic provider", "plugin"])
def test_azure_identity_client_secret_and_tokens_never_leak(adapter: str, pulumi_bin: Path, sim: Simulator,
                                                            tmp_path: Path) -> None:
    stack = (Stack(tmp_path, pulumi_bin, sim) if adapter == "dynamic provider"
             else Stack(tmp_path, pulumi_bin, sim, program=PLUGIN_PROGRAM, project_yaml=USE_PLUGIN))
    with TokenEndpoint(tmp_path, tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       lifetime=2) as identity:
        identity.on_issue = lambda token: setattr(sim.config, "tokens", {token})  # only the newest is accepted
        sim.config.token = ""  # the static e2e token no longer works: every request needs an issued one
        stack.run("config", "rm", "cpp-golive:accessToken")
        stack.env.update({"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET,
                          "AZURE_AUTHORITY_HOST": identity.url, "REQUESTS_CA_BUNDLE": str(identity.ca_file)})
        logs = _capture_logs(stack, tmp_path)

        up = _verbose_up(stack)
        assert stack.outputs()["status"] == "succeeded"
        served_by_plugin = [r["type"] for r in stack.resources()] == ["cpp-golive:index:OfferGoLive"]
        assert served_by_plugin == (adapter == "plugin")
        operation_gets = [r for r in sim.requests if "/operations/" in r.path]
        issued_in_first_run = len(identity.issued)
        assert len(operation_gets) >= 3 and issued_in_first_run >= 3  # 2 s tokens: renewed during the wait
        assert sim.requests and all(r.authorization_ok for r in sim.requests)
        assert identity.bearer_requests == 0  # the token went to the CPP host only, never to the token endpoint

        sim.add_offer("contoso", "vm1", state="ready")
        sim.config.fail_golive = True
        stack.config("trigger", "v2")
        failed = _verbose_up(stack, check=False)
        assert "simulated failure" in failed

        identity.echo_secret_in_errors = True  # the token endpoint now quotes the client secret in its refusal
        stack.config("trigger", "v3")
        refused = _verbose_up(stack, check=False)
        assert "AADSTS7000215" in refused and identity.refused >= 1

    _assert_nowhere([CLIENT_SECRET, *identity.issued], {
        "exported state": json.dumps(stack.export()),
        "backend files": stack.state_text(),
        "CLI output at -v=9 (includes provider stderr)": up,
        "failed run output": failed,
        "output of the run whose token endpoint echoed the secret": refused,
        "log files": _all_text_under(logs) + _all_text_under(Path(stack.env["PULUMI_HOME"])),
    })
    assert "cpp-golive:accessToken" not in (stack.dir / "Pulumi.dev.yaml").read_text()


def test_an_echoed_token_and_a_signed_tracking_url_through_the_engine(stack: Stack, tmp_path: Path) -> None:
    # Issue 10 rows 10 and 11 where the user meets them: stack outputs, the CLI output, the backend files.
    with EchoingCpp(poll_answers=[200]) as cpp:
        stack.config("cpp-golive:baseUrl", cpp.url)
        logs = _capture_logs(stack, tmp_path)
        up = _verbose_up(stack)
        assert stack.outputs()["operation_location"] == f"{OP_PATH}?api-version=2017-10-31"
        cpp.poll_answers = [404, 400]  # from now on each poll's error body quotes the token
        stack.config("trigger", "v2")
        failed = _verbose_up(stack, check=False)
    assert "HTTP 400 InvalidToken: The token '***' is not valid" in failed and cpp.tokens_seen == {E2E_TOKEN}
    places = {
        "stack outputs and exported state": json.dumps(stack.outputs()) + json.dumps(stack.export()),
        "backend files": stack.state_text(),
        "CLI output at -v=9": up,
        "failed run output": failed,
        "log files": _all_text_under(logs),
    }
    _assert_nowhere([E2E_TOKEN], places)
    for where, text in places.items():
        assert "SERVER-SAS-SECRET-123" not in text, f"the tracking URL's signature leaked into the {where}"


def test_non_loopback_http_base_url_is_refused(stack: Stack, sim: Simulator) -> None:
    stack.config("cpp-golive:baseUrl", "http://cpp.example.com")
    done = stack.up(check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "plain http on a non-loopback host" in text
    assert E2E_TOKEN not in text
    assert sim.requests == []
