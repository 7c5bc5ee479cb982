"""Every wait ends by its deadline or by Cancel, whatever the server does (issue 10, rows 4-7).

Each test runs a hostile CPP on loopback: it behaves until the go-live is accepted, then answers the operation
GETs in one hostile way (a 429 with a day-long ``Retry-After``, an answer trickling one byte a second, absurd
``Retry-After`` values). Through the dynamic provider and the plugin provider (driven directly, as the engine
would), each asserts the number of POSTs, the end state, the message with the operation ID, and the time bound:
``timeout_seconds`` + 5 s, and 2 s after Cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest

from pulumi_cpp_golive import session
from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.cpp_api import CppOfferApi
from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.deadline import Deadline, applied
from pulumi_cpp_golive.errors import ApiError, GoLiveCancelledError
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.settings import Settings

from ..integration.conftest import SIM_TOKEN, golive_inputs, make_provider
from ..loopback import LoopbackServer

OP_ID = "5f3c0a4e-dead-1000-0000-000000000001"
OFFER = "/api/publishers/contoso/offers/vm1"
OP_PATH = f"{OFFER}/operations/{OP_ID}"
URN = "urn:pulumi:dev::p::cpp-golive:index:OfferGoLive::golive"
SLACK = 5.0  # the done-when: a go-live with timeout_seconds=T returns within T + 5 s
CANCEL_BOUND = 2.0  # Cancel ends every wait within 2 s


class Hostile(LoopbackServer):
    """A loopback CPP whose operation GETs are answered by ``on_operation`` (any hostile behaviour)."""

    def __init__(self, on_operation: Callable[[http.server.BaseHTTPRequestHandler, Hostile], None],
                 tls: Optional[ssl.SSLContext] = None) -> None:
        self.on_operation = on_operation
        self.stop = threading.Event()  # ends every trickle at teardown
        self.client_gone = threading.Event()  # set when a trickle finds the client hung up
        self.log: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()
        hostile = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                hostile.record("GET", self.path)
                path = self.path.split("?", 1)[0]
                if path == f"{OFFER}/submissions/":
                    self.reply(200, [])
                elif path == f"{OFFER}/status":
                    self.reply(200, {"status": "waitingForPublisherReview", "steps": []})
                elif path == OP_PATH:
                    hostile.on_operation(self, hostile)
                else:
                    self.reply(404, {"error": {"code": "NotFound", "message": path}})

            def do_POST(self) -> None:
                hostile.record("POST", self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.split("?", 1)[0] == f"{OFFER}/golive":
                    self.reply(202, None, {"Location": f"{OP_PATH}?api-version=2017-10-31"})
                else:
                    self.reply(404, {"error": {"code": "NotFound", "message": self.path}})

            def reply(self, status: int, body: Any, headers: Optional[dict[str, str]] = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler, tls)

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.log.append((method, path.split("?", 1)[0], time.monotonic()))

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for m, p, _ in self.log if m == method and p == path)

    def operation_get_times(self) -> list[float]:
        with self._lock:
            return [t for m, p, t in self.log if m == "GET" and p == OP_PATH]

    def wait_for_operation_get(self, within: float = 15.0) -> None:
        give_up = time.monotonic() + within
        while not self.count("GET", OP_PATH):
            assert time.monotonic() < give_up, "the client never polled the operation"
            time.sleep(0.02)

    def __enter__(self) -> Hostile:
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()  # releases handlers stuck in a trickle, so that shutdown does not wait for them
        super().__exit__(*exc)


# ---- hostile behaviours -------------------------------------------------------------------------------------


def throttled(retry_after: str) -> Callable[[Any, Hostile], None]:
    def answer(handler: Any, hostile: Hostile) -> None:
        handler.reply(429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": retry_after})
    return answer


def running_with(retry_after: str) -> Callable[[Any, Hostile], None]:
    def answer(handler: Any, hostile: Hostile) -> None:
        handler.reply(200, {"id": OP_ID, "status": "running", "steps": []}, {"Retry-After": retry_after})
    return answer


def trickle(head_first: bool) -> Callable[[Any, Hostile], None]:
    """A complete, valid answer sent one byte a second: from the status line on, or after prompt headers."""

    def answer(handler: Any, hostile: Hostile) -> None:
        body = json.dumps({"id": OP_ID, "status": "running", "steps": []}).encode()
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        handler.close_connection = True
        try:
            if head_first:
                handler.wfile.write(head)
                handler.wfile.flush()
            for byte in (body if head_first else head + body):
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                if hostile.stop.wait(1.0):
                    return
        except OSError:
            hostile.client_gone.set()

    return answer


# ---- the two adapters ---------------------------------------------------------------------------------------


def dynamic_create(url: str, request_timeout: float = 30.0, **inputs: Any) -> None:
    make_provider(url, poll_interval=0.25, request_timeout=request_timeout).create(golive_inputs(**inputs))


def plugin(url: str, request_timeout: float = 30.0, poll_interval: float = 0.25) -> PluginProvider:
    provider = PluginProvider()
    args = {"baseUrl": url, "accessToken": SIM_TOKEN, "pollInterval": str(poll_interval),
            "requestTimeout": str(request_timeout)}
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args={k: from_python(v) for k, v in args.items()}, accept_secrets=False,
        accept_resources=False)))
    return provider


def plugin_request(engine_timeout: float = 0.0, **extra: Any) -> CreateRequest:
    values = {"publisherId": "contoso", "offerId": "vm1", "wait": "completed", **extra}
    return CreateRequest(URN, {k: from_python(v) for k, v in values.items()}, engine_timeout, False)


def plugin_outputs(error: ResourceInitError) -> dict[str, Any]:
    return {key: to_python(value) for key, value in error.properties.items()}


@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.monotonic()
    yield lambda: time.monotonic() - started


def assert_timed_out(message: str, limit: float) -> None:
    assert f"still running after the {limit:g} s timeout" in message, message
    assert OP_ID in message, message
    assert "re-run `pulumi up` to resume" in message, message


# ---- row 4: a 429 with Retry-After: 86400 during the wait -------------------------------------------------


def test_day_long_retry_after_is_bounded_by_timeout_seconds_dynamic() -> None:
    with Hostile(throttled("86400")) as cpp, stopwatch() as elapsed:
        with pytest.raises(Exception) as caught:
            dynamic_create(cpp.url, timeout_seconds=3)
        took = elapsed()
    assert 2.5 <= took <= 3 + SLACK, took
    assert_timed_out(str(caught.value), 3)
    assert cpp.count("POST", f"{OFFER}/golive") == 1
    assert cpp.count("GET", OP_PATH) == 1  # the server asked for a day: it is not asked again before the timeout


@pytest.mark.parametrize("timeout_seconds, engine_timeout", [(3.0, 0.0), (None, 3.0)],
                         ids=["timeoutSeconds", "customTimeouts"])
def test_day_long_retry_after_is_bounded_by_either_timeout_plugin(timeout_seconds: Optional[float],
                                                                   engine_timeout: float) -> None:
    extra = {"timeoutSeconds": timeout_seconds} if timeout_seconds else {}
    with Hostile(throttled("86400")) as cpp, stopwatch() as elapsed:
        with pytest.raises(ResourceInitError) as caught:
            asyncio.run(plugin(cpp.url).create(plugin_request(engine_timeout, **extra)))
        took = elapsed()
    assert 2.5 <= took <= 3 + SLACK, took
    assert_timed_out(caught.value.message, 3)
    outputs = plugin_outputs(caught.value)
    assert outputs["status"] == "running" and outputs["operationId"] == OP_ID
    assert caught.value.resource_id == f"contoso/vm1/{OP_ID}"
    assert cpp.count("POST", f"{OFFER}/golive") == 1


# ---- row 5: an answer that trickles one byte a second -------------------------------------------------------


@pytest.mark.parametrize("head_first", [False, True], ids=["status-line-trickles", "body-trickles"])
def test_trickling_answer_is_cut_at_the_whole_request_limit(head_first: bool) -> None:
    # No go-live deadline here: requestTimeout alone must end the call, although a byte arrives every second.
    with Hostile(trickle(head_first)) as cpp:
        api = session.offer_api(Settings(base_url=cpp.url, request_timeout=3.0, access_token=SIM_TOKEN), "cpp")
        assert isinstance(api, CppOfferApi)  # the client as the provider builds it
        client = api.client
        with stopwatch() as elapsed, pytest.raises(ApiError) as caught:
            client.get_operation(OP_PATH)
        took = elapsed()
        assert cpp.client_gone.wait(3.0), "the server never saw the request aborted"
    # azure-core retries a GET's read failure 3 times, after pauses of at most 3.2 s; each attempt is cut at 3 s,
    # where one attempt alone would take 80 s or more without the whole-request limit.
    attempts = cpp.operation_get_times()
    assert len(attempts) == 4, attempts
    assert all(later - earlier <= 3 + 3.2 + 0.5 for earlier, later in zip(attempts, attempts[1:])), attempts
    assert took <= 4 * 3 + 0.25 + 1.6 + 3.2 + 1.5, took
    assert "no complete answer within 3 s" in str(caught.value)
    assert caught.value.status is None


@pytest.mark.parametrize("head_first", [False, True], ids=["status-line-trickles", "body-trickles"])
def test_trickle_ends_by_timeout_seconds_dynamic(head_first: bool) -> None:
    with Hostile(trickle(head_first)) as cpp, stopwatch() as elapsed:
        with pytest.raises(Exception) as caught:
            dynamic_create(cpp.url, request_timeout=3.0, timeout_seconds=5)
        took = elapsed()
    assert 4.5 <= took <= 5 + SLACK, took
    assert_timed_out(str(caught.value), 5)
    assert cpp.count("POST", f"{OFFER}/golive") == 1


@pytest.mark.parametrize("head_first", [False, True], ids=["status-line-trickles", "body-trickles"])
def test_trickle_ends_by_timeout_seconds_plugin(head_first: bool) -> None:
    with Hostile(trickle(head_first)) as cpp, stopwatch() as elapsed:
        with pytest.raises(ResourceInitError) as caught:
            asyncio.run(plugin(cpp.url, request_timeout=3.0).create(plugin_request(timeoutSeconds=5.0)))
        took = elapsed()
    assert 4.5 <= took <= 5 + SLACK, took
    assert_timed_out(caught.value.message, 5)
    assert plugin_outputs(caught.value)["operationId"] == OP_ID
    assert cpp.count("POST", f"{OFFER}/golive") == 1


# ---- row 6: Cancel while a request is in flight -------------------------------------------------------------


@pytest.mark.parametrize("behaviour, in_flight", [(throttled("86400"), False), (trickle(head_first=False), True)],
                         ids=["429-retry-after-86400", "trickle"])
def test_plugin_cancel_ends_an_in_flight_request(behaviour: Callable[[Any, Hostile], None], in_flight: bool) -> None:
    with Hostile(behaviour) as cpp:
        provider = plugin(cpp.url, request_timeout=120.0)

        async def scenario() -> tuple[object, float]:
            task = asyncio.ensure_future(provider.create(plugin_request()))
            give_up = time.monotonic() + 15
            while not cpp.count("GET", OP_PATH):  # from here the poll trickles, or azure-core retries it in a day
                assert time.monotonic() < give_up and not task.done(), "the create never polled"
                await asyncio.sleep(0.02)
            cancelled_at = time.monotonic()
            await provider.cancel()
            error = await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=30)
            return error[0], time.monotonic() - cancelled_at

        error, after_cancel = asyncio.run(scenario())
        if in_flight:
            assert cpp.client_gone.wait(3.0), "the trickling request was left running"
    assert isinstance(error, ResourceInitError), error
    assert after_cancel <= CANCEL_BOUND, after_cancel
    assert "was cancelled" in error.message and OP_ID in error.message
    assert plugin_outputs(error)["status"] == "running"
    assert cpp.count("POST", f"{OFFER}/golive") == 1
    assert cpp.count("GET", OP_PATH) == 1  # nothing was sent after Cancel


def test_core_cancel_ends_a_trickling_request() -> None:
    # The dynamic provider gets no Cancel from Pulumi's host; the core it calls honours one all the same.
    with Hostile(trickle(head_first=False)) as cpp:
        cancel = threading.Event()
        settings = Settings(base_url=cpp.url, poll_interval=0.25, request_timeout=120.0, access_token=SIM_TOKEN)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                session.golive(settings).create(GoLiveSpec("contoso", "vm1"), cancel)
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        cpp.wait_for_operation_get()
        cancelled_at = time.monotonic()
        cancel.set()
        worker.join(timeout=30)
        after_cancel = time.monotonic() - cancelled_at
        assert cpp.client_gone.wait(3.0), "the trickling request was left running"
    assert after_cancel <= CANCEL_BOUND, after_cancel
    assert len(outcome) == 1 and isinstance(outcome[0], GoLiveCancelledError), outcome
    assert outcome[0].operation_id == OP_ID
    assert cpp.count("POST", f"{OFFER}/golive") == 1


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1, trusted by the client through
    REQUESTS_CA_BUNDLE (the standard setting requests reads)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.mark.parametrize("ended_by", ["request-limit", "cancel"])
def test_tls_requests_are_aborted_too(tls: ssl.SSLContext, ended_by: str) -> None:
    # Over TLS the transport shuts the plain socket down under the TLS layer; the read fails at once.
    with Hostile(trickle(head_first=True), tls) as cpp:
        client = CppClient(cpp.url, StaticTokenCredential(SIM_TOKEN), retry_total=0,
                           request_timeout=2.0 if ended_by == "request-limit" else 120.0)
        cancel = threading.Event()

        def cancel_in_flight() -> None:  # once the server holds the request (it would for a minute)
            cpp.wait_for_operation_get()
            cancel.set()

        if ended_by == "cancel":
            threading.Thread(target=cancel_in_flight, daemon=True).start()
        with stopwatch() as elapsed, applied(Deadline(None, cancel)), pytest.raises(ApiError) as caught:
            client.get_operation(OP_PATH)
        took = elapsed()
        assert cpp.client_gone.wait(3.0), "the trickling request was left running"
    expected = "no complete answer within 2 s" if ended_by == "request-limit" else "the go-live was cancelled"
    assert expected in str(caught.value)
    assert took <= (2.0 + 1.0 if ended_by == "request-limit" else CANCEL_BOUND), took
    assert cpp.count("GET", OP_PATH) == 1


# ---- row 7: Retry-After values that mean nothing ------------------------------------------------------------
# On a 200 only nan hurts here (a busy loop, or ValueError from sleep): inf and the like were already cut to the
# time left; without a time limit they overflowed, which tests/unit/test_deadline.py shows with a fake clock.
# On a 429, azure-core's own parser raised or retried at once for every one of them.

ABSURD = ["nan", "inf", "-inf", "1e400", "-5", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999999"]
CASES = [(running_with, "nan")] + [(throttled, value) for value in ABSURD]
CASE_IDS = [f"{'200-running' if answer is running_with else '429'}-{value}" for answer, value in CASES]
PLUGIN_CASE_IDS = ["200-running-nan", "429-nan", "429-1e400", "429--5", "429-soon"]


def assert_polls_spaced(cpp: Hostile, limit: float) -> None:
    times = cpp.operation_get_times()
    assert 1 <= len(times) <= limit / 0.25 + 1, len(times)
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert all(gap >= 0.2 for gap in gaps), gaps  # 0.25 s, less scheduling jitter


@pytest.mark.parametrize("answer, value", CASES, ids=CASE_IDS)
def test_absurd_retry_after_dynamic(answer: Callable[[str], Callable[[Any, Hostile], None]], value: str) -> None:
    with Hostile(answer(value)) as cpp, stopwatch() as elapsed:
        with pytest.raises(Exception) as caught:
            dynamic_create(cpp.url, timeout_seconds=2)
        took = elapsed()
    assert took <= 2 + SLACK, took
    assert_timed_out(str(caught.value), 2)
    assert_polls_spaced(cpp, 2)
    assert cpp.count("POST", f"{OFFER}/golive") == 1


PLUGIN_CASES = [case for case, case_id in zip(CASES, CASE_IDS) if case_id in PLUGIN_CASE_IDS]


@pytest.mark.parametrize("answer, value", PLUGIN_CASES, ids=PLUGIN_CASE_IDS)
def test_absurd_retry_after_plugin(answer: Callable[[str], Callable[[Any, Hostile], None]], value: str) -> None:
    with Hostile(answer(value)) as cpp, stopwatch() as elapsed:
        with pytest.raises(ResourceInitError) as caught:
            asyncio.run(plugin(cpp.url).create(plugin_request(timeoutSeconds=2.0)))
        took = elapsed()
    assert took <= 2 + SLACK, took
    assert_timed_out(caught.value.message, 2)
    assert plugin_outputs(caught.value)["operationId"] == OP_ID
    assert_polls_spaced(cpp, 2)
    assert cpp.count("POST", f"{OFFER}/golive") == 1
