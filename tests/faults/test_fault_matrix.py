"""What long waits meet, one fault at a time, through the dynamic provider against the simulator on loopback.

Each test asserts the number of go-live POSTs, the final status, and what the user is told.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest
from azure.core.credentials import AccessToken

from pulumi_cpp_golive import auth
from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from ..integration.conftest import SIM_TOKEN, accepted_posts, golive_inputs, make_provider


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(token=SIM_TOKEN, golive_seconds=1.5)) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        yield simulator


def create(sim: Simulator, **provider_options: float) -> dict[str, object]:
    provider: OfferGoLiveProvider = make_provider(sim.url, **provider_options)  # type: ignore[arg-type]
    return dict(provider.create(golive_inputs()).outs or {})


def statuses(sim: Simulator) -> list[object]:
    return [r.status for r in sim.requests]


def test_429_bursts_with_retry_after(sim: Simulator) -> None:
    # API requests are counted from 1: submissions, status, then the POST as the 3rd. Every 3rd request starts a
    # burst of two 429s, so the POST is throttled twice before it is accepted; later polls are throttled too.
    sim.config.throttle_every, sim.config.throttle_burst, sim.config.retry_after = 3, 2, 1
    started = time.monotonic()
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert [r.status for r in sim.requests if r.method == "POST"] == [429, 429, 202]  # retried only while refused
    assert statuses(sim).count(429) >= 4  # the polls met bursts too, and rode them out
    assert time.monotonic() - started >= 2.0  # Retry-After: 1 was honoured before each repeated POST


def test_500_with_the_variant_body_on_polls_is_ridden_out(sim: Simulator) -> None:
    sim.config.error500_every = 4  # the list, the status and the POST pass; every 4th request from there fails
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert 500 in statuses(sim)
    assert accepted_posts(sim) == 1


def test_connection_reset_on_a_get(sim: Simulator) -> None:
    sim.config.reset_operation_gets = 2
    outs = create(sim)
    assert outs["status"] == "succeeded"
    dropped = [r for r in sim.requests if r.status is None]
    assert len(dropped) == 2 and all("/operations/" in r.path for r in dropped)
    assert sim.count("POST", "/golive") == 1


def test_connection_reset_after_the_golive_post_reached_the_server(sim: Simulator,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.golive_reset = True
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1  # adopted, not re-posted
    assert [r.status for r in sim.requests if r.path.endswith("/golive")] == [None]
    assert "ended ambiguously" in capsys.readouterr().err


def test_read_timeout_on_a_poll(sim: Simulator) -> None:
    sim.config.stall_operation_gets, sim.config.stall_seconds = 1, 2.5
    outs = create(sim, request_timeout=1.0)
    assert outs["status"] == "succeeded"
    assert sim.config.stall_operation_gets == 0  # the stall really happened
    assert sim.count("POST", "/golive") == 1


class RotatingCredential:
    """A credential that hands out a new token on every call and makes the simulator accept only that one."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.issued: list[str] = []

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        token = f"rotating-token-{len(self.issued) + 1}"
        self.issued.append(token)
        self.sim.config.token, self.sim.config.tokens = token, set()
        return AccessToken(token, int(time.time()) + 3600)  # valid for an hour: only a 401 makes us ask again


def test_401_in_the_middle_of_a_long_wait(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # Mid-wait the server stops accepting the token it accepted so far (it expired early, or was revoked). Only a
    # client that asks its credential for a new token gets on: resending the refused token would be refused again.
    sim.config.golive_seconds = 2.5
    credential = RotatingCredential(sim)
    monkeypatch.setattr(auth, "credential_for", lambda token: credential)

    def revoke_after_three_polls() -> None:
        deadline = time.monotonic() + 30
        while sim.count("GET", None) - 2 < 3 and time.monotonic() < deadline:  # 2 GETs precede the polls
            time.sleep(0.02)
        sim.config.token = "revoked"

    revoker = threading.Thread(target=revoke_after_three_polls, daemon=True)
    revoker.start()
    outs = create(sim)
    revoker.join(timeout=30)
    assert outs["status"] == "succeeded"
    answered = [r.status for r in sim.requests]
    assert answered.count(401) == 1 and answered[answered.index(401) + 1] == 200  # the resend was accepted
    assert credential.issued == ["rotating-token-1", "rotating-token-2"]  # exactly one new token: after the 401
    assert sim.count("POST", "/golive") == 1


def test_malformed_json(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.malformed_json_every = 2
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert "MalformedResponse" in capsys.readouterr().err
    assert sim.count("POST", "/golive") == 1


def test_202_without_any_tracking_header(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.omit_tracking_header = True
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert "neither a Location nor an Operation-Location" in capsys.readouterr().err
    assert sim.count("POST", "/golive") == 1


def test_unknown_status_string(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.unknown_status_first = True
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert capsys.readouterr().err.count("unknown status 'Validating'") == 1
    assert sim.count("POST", "/golive") == 1


def test_operation_404_while_the_list_shows_it_finished(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.operation_404 = True
    outs = create(sim)
    assert outs["status"] == "succeeded"  # found finished in the operations list
    assert "HTTP 404" in capsys.readouterr().err
    operation_gets = [r for r in sim.requests if "/operations/" in r.path]
    assert operation_gets and all(r.status == 404 for r in operation_gets)
    assert sim.count("GET", "/submissions/") >= len(operation_gets)  # each 404 was followed by a look at the list
    assert sim.count("POST", "/golive") == 1


def test_persistent_operation_404_gives_up_after_ten_polls_keeping_the_id(sim: Simulator) -> None:
    # The operation never answers and the list keeps saying it runs: the wait ends after 10 consecutive failed
    # polls (not by timeout), naming the operation so that the next `pulumi up` resumes it.
    sim.config.operation_404, sim.config.golive_seconds = True, 600.0
    with pytest.raises(Exception, match=r"gave up polling go-live operation (\S+) for contoso/vm1 after 10 failed "
                                        r"attempts \(last: .*HTTP 404") as caught:
        make_provider(sim.url).create(golive_inputs(timeout_seconds=60))  # bounded even if giving up broke
    operation_gets = [r for r in sim.requests if "/operations/" in r.path]
    assert len(operation_gets) == 10 and all(r.status == 404 for r in operation_gets)
    assert operation_gets[0].path.rsplit("/", 1)[-1] in str(caught.value)
    assert sim.count("POST", "/golive") == 1


def test_tracking_url_on_a_foreign_host(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.foreign_host = True
    outs = create(sim)
    assert outs["status"] == "succeeded"
    err = capsys.readouterr().err
    assert "refusing to send the bearer token there" in err
    assert "foreign.invalid" not in str(outs["operation_location"])
    assert sim.count("POST", "/golive") == 1


def test_failed_operation(sim: Simulator) -> None:
    sim.config.fail_golive = True
    with pytest.raises(Exception, match=r"go-live operation \S+ for contoso/vm1 ended failed: .*simulated failure"):
        create(sim)
    assert sim.count("POST", "/golive") == 1


_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.integration.conftest import make_provider, golive_inputs
    make_provider({url!r}).create(golive_inputs())
    print("create returned", flush=True)
""")


def test_provider_process_killed_mid_wait(sim: Simulator) -> None:
    sim.config.golive_seconds = 3.0
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(root=root, url=sim.url)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while sim.count("GET", None) == 0 or not any(r.path.endswith("/golive") for r in sim.requests):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never posted"
            time.sleep(0.05)
        # wait until the child is polling the operation: the POST has been answered and it is mid-wait
        while not any("/operations/" in r.path for r in sim.requests):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
    assert "create returned" not in out
    outs = make_provider(sim.url).create(golive_inputs()).outs or {}
    assert outs["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1
