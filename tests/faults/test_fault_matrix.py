"""What long waits meet, one fault at a time, through the dynamic provider against the simulator on loopback.

Each test asserts the number of go-live POSTs, the final status, and what the user is told.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

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
    sim.config.throttle_every, sim.config.throttle_burst, sim.config.retry_after = 4, 2, 1
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert statuses(sim).count(429) >= 2
    assert accepted_posts(sim) == 1
    assert sim.count("POST", "/golive") == sum(1 for r in sim.requests if r.path.endswith("/golive"))


def test_500_with_the_variant_body(sim: Simulator) -> None:
    sim.config.error500_every = 3
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


def test_401_in_the_middle_of_a_long_wait(sim: Simulator) -> None:
    sim.config.golive_seconds = 2.5
    sim.config.unauthorized_once_after = 6
    outs = create(sim)
    assert outs["status"] == "succeeded"
    assert 401 in statuses(sim)
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


def test_operation_404_during_the_wait(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.config.operation_404 = True
    outs = create(sim)
    assert outs["status"] == "succeeded"  # found finished in the operations list
    err = capsys.readouterr().err
    assert "HTTP 404" in err
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
