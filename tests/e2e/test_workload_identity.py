"""Sign-in as CI does it: workload identity federation through the real engine, for both adapters.

GitHub Actions and Azure Pipelines hand a job a short-lived OIDC token; the job writes it to a file and names it in
``AZURE_FEDERATED_TOKEN_FILE`` beside ``AZURE_CLIENT_ID`` and ``AZURE_TENANT_ID``. azure-identity's
``WorkloadIdentityCredential`` (inside ``DefaultAzureCredential``) reads the file and exchanges its content, as a
``jwt-bearer`` client assertion, for an access token at the token endpoint: here a loopback HTTPS one
(``AZURE_AUTHORITY_HOST``, its CA handed over by ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``). The stack has no
access token configured.

Access tokens live 2 s, so the wait renews them several times; mid-wait the file is rotated as a CI job's
refresher would do it (the identity provider issues a new assertion, the file gets it, the old one then expires:
the endpoint refuses it from then on). The go-live must go on with the new assertion, post once, succeed, and
neither assertion nor any access token may show in state, outputs, the verbose CLI output or any log.

The assertions are opaque (not JWT-shaped), so that only registering the exact value can mask it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

import pytest

from pulumi_cpp_golive.simulator import Simulator

from ..token_endpoint import TokenEndpoint
from .conftest import PLUGIN_PROGRAM, USE_PLUGIN, Stack, wait_for

TENANT, CLIENT_ID = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
GOLIVE_SECONDS = 12.0  # long enough for two renewals, a rotation and one more renewal after the revocation
STEP_TIMEOUT = 60.0


def _assertion(n: int) -> str:
    # '/' and '+' change when percent-encoded: the form-encoded spelling is a second one to look for.
    return f"fic{n}/{secrets.token_urlsafe(24)}+{secrets.token_hex(6)}"


def _write_token_file(path: Path, assertion: str) -> None:
    """Replace the file in one step, as a CI refresher should (a reader never sees half a token)."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_text(assertion)  # no newline: the file holds the token alone
    os.replace(fresh, path)


def _all_text_under(path: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


def _assert_nowhere(values: list[str], places: dict[str, str]) -> None:
    for value in values:
        for spelling in {value, quote(value, safe="")}:
            for where, text in places.items():
                assert spelling not in text, f"a secret ({spelling[:6]}...) leaked into the {where}"


class Rotation:
    """Rotates the federated token file mid-wait, in a thread, while the main thread runs ``pulumi up``."""

    def __init__(self, sim: Simulator, identity: TokenEndpoint, token_file: Path, first: str, second: str) -> None:
        self.sim, self.identity, self.token_file, self.first, self.second = sim, identity, token_file, first, second
        self.up_done = threading.Event()
        self.error: Optional[BaseException] = None
        self.uses_at_revocation = -1  # tokens issued for the new assertion when the old one was revoked
        self.requests_at_revocation = -1  # requests the simulator had answered by then
        self._thread = threading.Thread(target=self._run, name="rotation", daemon=True)

    def __enter__(self) -> Rotation:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.up_done.set()
        self._thread.join(timeout=STEP_TIMEOUT)
        assert not self._thread.is_alive(), "the rotation thread did not end"

    def _until(self, condition: Callable[[], bool], what: str) -> None:
        wait_for(lambda: condition() or self.up_done.is_set(), what, timeout=STEP_TIMEOUT)
        if not condition():
            raise AssertionError(f"pulumi up ended before {what}")

    def _run(self) -> None:
        try:
            uses = self.identity.assertion_uses
            self._until(lambda: self.sim.count("POST", "/golive") == 1 and uses[self.first] >= 2,
                        "the go-live was posted and a token was renewed with the first assertion")
            self.identity.accept_assertion(self.second)  # the identity provider issued a new token ...
            _write_token_file(self.token_file, self.second)  # ... and the CI job's refresher wrote it
            self._until(lambda: uses[self.second] >= 1, "a token was obtained with the rotated assertion")
            self.identity.rotate_assertion(self.second)  # the old assertion expires: refused from now on
            self.uses_at_revocation = uses[self.second]
            self.requests_at_revocation = len(self.sim.requests)
        except BaseException as exc:  # reported by the test, after pulumi up returned
            self.error = exc


@pytest.mark.parametrize("adapter", ["dynamic provider", "plugin"])
def test_go_live_signs_in_with_a_rotated_federated_token(adapter: str, pulumi_bin: Path, sim: Simulator,
                                                         tmp_path: Path) -> None:
    stack = (Stack(tmp_path, pulumi_bin, sim) if adapter == "dynamic provider"
             else Stack(tmp_path, pulumi_bin, sim, program=PLUGIN_PROGRAM, project_yaml=USE_PLUGIN))
    stack.run("config", "rm", "cpp-golive:accessToken")  # no token in the stack: the sign-in must supply it
    first, second = _assertion(1), _assertion(2)
    token_file = tmp_path / "federated-token"
    _write_token_file(token_file, first)
    (tmp_path / "identity").mkdir()
    with TokenEndpoint(tmp_path / "identity", tenant_id=TENANT, client_id=CLIENT_ID, lifetime=2,
                       federated_tokens=[first]) as identity:
        identity.on_issue = lambda token: setattr(sim.config, "tokens", {token})  # only the newest is accepted
        sim.config.token = ""  # the static e2e token no longer works: every request needs an issued one
        sim.config.golive_seconds = GOLIVE_SECONDS
        stack.env.update({"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_TENANT_ID": TENANT,
                          "AZURE_FEDERATED_TOKEN_FILE": str(token_file), "AZURE_AUTHORITY_HOST": identity.url,
                          "REQUESTS_CA_BUNDLE": str(identity.ca_file), "SSL_CERT_FILE": str(identity.ca_file)})
        logs = tmp_path / "tmp"  # plugins and the CLI write any log files to TMPDIR
        logs.mkdir()
        stack.env["TMPDIR"] = str(logs)

        preview = stack.preview()
        assert sim.requests == [] and identity.requests == []  # a preview neither calls CPP nor signs in

        with Rotation(sim, identity, token_file, first, second) as rotation:
            done = stack.up("-v=9", "--logflow", "--logtostderr")
        if rotation.error is not None:
            raise AssertionError(f"{rotation.error}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        up = done.stdout + done.stderr
        outputs = stack.outputs()

        assert outputs["status"] == "succeeded"
        assert sim.count("POST") == 1 and sim.count("POST", "/golive") == 1
        served_by_plugin = [r["type"] for r in stack.resources()] == ["cpp-golive:index:OfferGoLive"]
        assert served_by_plugin == (adapter == "plugin")
        # the wait went on after the old assertion was revoked, signed in with the rotated one only
        polls_after = [r for r in sim.requests[rotation.requests_at_revocation:] if "/operations/" in r.path]
        assert polls_after, "the go-live had ended before the old assertion was revoked"
        assert all(r.status == 200 for r in polls_after)
        assert identity.assertion_uses[second] > rotation.uses_at_revocation >= 1
        assert identity.assertion_uses[first] >= 2 and identity.refused_assertions == 0 and identity.refused == 0
        assert len(identity.issued) == identity.assertion_uses[first] + identity.assertion_uses[second] >= 4
        assert sim.requests and all(r.authorization_ok for r in sim.requests)  # each carried the newest token
        assert identity.bearer_requests == 0  # no access token ever went to the token endpoint
        assert len(up) > 10_000  # the verbose log really was captured

    _assert_nowhere([first, second, *identity.issued], {
        "exported state": json.dumps(stack.export()),
        "backend files": stack.state_text(),
        "stack outputs": json.dumps(outputs),
        "preview output": preview.stdout + preview.stderr,
        "CLI output at -v=9 (includes provider stderr)": up,
        "log files": _all_text_under(logs) + _all_text_under(Path(stack.env["PULUMI_HOME"])),
        "project directory": _all_text_under(stack.dir),
    })
