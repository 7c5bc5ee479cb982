"""``stall_post_body_seconds`` over real loopback HTTP, on both APIs: a go-live POST gets its status line and
headers at once, its body only after the stall, and the go-live exists while the body is still held back.

The stall itself is real time (it is what makes a client's read timeout fire); the only time figure asserted is
its lower bound, the body's arrival no earlier than the stall. The go-live is looked up on a second connection
while the first one still waits for its body.
"""

from __future__ import annotations

import http.client
import json
import select
import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig
from pulumi_cpp_golive.simulator.vocabulary import API_VERSION, GOLIVE

from .test_pi_simulator import golive_body

TOKEN = "stall-token"
STALL = 1.0
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(token=TOKEN, stall_post_body_seconds=STALL, golive_seconds=60.0,
                                   pi_job_seconds=60.0)) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        yield simulator


def _post(sim: Simulator, api: str) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """Send the API's go-live POST; returns the connection and its response with only the headers read."""
    connection = http.client.HTTPConnection(sim.url.removeprefix("http://"), timeout=10 * STALL)
    if api == "cpp":
        path, body = f"/api/publishers/contoso/offers/vm1/golive?api-version={API_VERSION}", b""
    else:
        guid = sim.add_product("vm1", state="ready")
        path, body = "/rp/product-ingestion/configure?$version=2022-07-01", json.dumps(golive_body(guid)).encode()
    connection.request("POST", path, body=body, headers={**AUTH, "Content-Type": "application/json",
                                                          "Content-Length": str(len(body))})
    return connection, connection.getresponse()  # returns once the status line and headers are in


def _go_lives(sim: Simulator, api: str) -> List[Dict[str, Any]]:
    """The go-lives the API lists (CPP: the operations list; PI: the live entries of the listing), read on a
    fresh connection."""
    if api == "cpp":
        answer = requests.get(f"{sim.url}/api/publishers/contoso/offers/vm1/submissions",
                              params={"api-version": API_VERSION}, headers=AUTH, timeout=10)
        answer.raise_for_status()
        return [entry for entry in answer.json() if entry["submissionType"] == GOLIVE]
    product = requests.get(f"{sim.pi_url}/product", params={"$version": "2022-07-01", "externalId": "vm1"},
                           headers=AUTH, timeout=10).json()["value"][0]["id"]
    answer = requests.get(f"{sim.pi_url}/submission/{product.removeprefix('product/')}",
                          params={"$version": "2022-07-01"}, headers=AUTH, timeout=10)
    answer.raise_for_status()
    return [entry for entry in answer.json()["value"] if entry["target"]["targetType"] == "live"]


@pytest.mark.parametrize("api", ["cpp", "pi"])
def test_headers_arrive_before_the_stalled_body_and_the_go_live_exists(sim: Simulator, api: str) -> None:
    posted = time.monotonic()
    connection, response = _post(sim, api)
    try:
        assert response.status == 202
        assert response.getheader("Content-Type", "").startswith("application/json")
        length = int(response.getheader("Content-Length") or 0)
        assert length > 0  # CPP's bodiless 202 carries {} so that there is a body to stall
        if api == "cpp":
            assert response.getheader("Location") and response.getheader("Operation-Location")
        # The body has not arrived: nothing is readable on the socket yet.
        assert connection.sock is not None
        readable, _, _ = select.select([connection.sock], [], [], 0)
        assert readable == []
        # The go-live was created before the answer began: another connection sees it now.
        assert len(_go_lives(sim, api)) == 1
        body = response.read()
        arrived = time.monotonic()
    finally:
        connection.close()
    assert len(body) == length
    document = json.loads(body)
    if api == "cpp":
        assert document == {}
    else:
        assert document["jobStatus"] == "notStarted" and document["jobId"]
    assert arrived - posted >= STALL  # never earlier than the stall
    assert sim.counts().get("POST /golive" if api == "cpp" else "POST /configure") == 1


def test_off_by_default(sim: Simulator) -> None:
    sim.config.stall_post_body_seconds = 0.0
    connection, response = _post(sim, "cpp")
    try:
        assert response.status == 202 and response.read() == b""  # the usual bodiless 202
        assert response.getheader("Content-Type") is None
    finally:
        connection.close()
