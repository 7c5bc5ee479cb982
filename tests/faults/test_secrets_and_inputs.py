"""Issue 10 rows 8, 10-13 and item 3: secrets that servers echo, signed tracking URLs, absurd inputs, and the
real azure-identity path (a client secret exchanged at a loopback HTTPS token endpoint, tokens renewed mid-wait).

Through both adapters (dynamic provider and plugin provider) where the adapter adds something. Every test names
what it checks in its assertions: request counts, outputs, error and log text.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from pulumi.provider.experimental.provider import CheckRequest, CreateRequest

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import to_python
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from ..integration.conftest import SIM_TOKEN, configured_provider, golive_inputs, make_provider
from ..integration.test_plugin_provider import URN, configured, props
from ..loopback import LoopbackServer
from ..token_endpoint import TokenEndpoint

OP_ID = "5b1f3a7e-0000-4000-8000-00000000c0de"
OP_PATH = f"/api/publishers/contoso/offers/vm1/operations/{OP_ID}"
SIGNED_QUERY = "api-version=2017-10-31&sig=SERVER-SAS-SECRET-123&token=abc"
TENANT, CLIENT_ID = "7d7c0a4e-0000-4000-8000-000000000001", "0b9a1c2d-0000-4000-8000-000000000002"


# ---- a CPP stand-in with two habits the simulator lacks ----------------------------------------------------------

class EchoingCpp(LoopbackServer):
    """Answers the go-live routes like CPP, except that its error bodies quote the bearer token it was sent (raw and
    percent-encoded) and its tracking URL carries a signature. ``poll_answers`` scripts the operation GETs: an HTTP
    status each (200 means ``complete``); the last one repeats."""

    def __init__(self, poll_answers: list[int]) -> None:
        self.poll_answers = poll_answers
        self.seen: list[tuple[str, str, str]] = []  # (method, path, query) of every request
        self.tokens_seen: set[str] = set()
        super().__init__(self._handler())

    def __enter__(self) -> EchoingCpp:
        super().__enter__()
        return self

    def polls(self) -> list[tuple[str, str, str]]:
        return [r for r in self.seen if r[1] == OP_PATH]

    def posts(self) -> int:
        return sum(1 for method, _, _ in self.seen if method == "POST")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cpp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self, status: int, body: object, headers: tuple[tuple[str, str], ...] = ()) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (("Content-Type", "application/json"), *headers):
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _echo(self, status: int, token: str) -> None:
                self._answer(status, {"error": {"code": "InvalidToken", "message": (
                    f"The token '{token}' is not valid for this operation (received as {quote(token, safe='')})")}})

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                cpp.seen.append((self.command, parts.path, parts.query))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                cpp.tokens_seen.add(token)
                if not token:
                    self._answer(401, {"error": {"code": "Unauthorized", "message": "no bearer token"}})
                elif parts.path.endswith("/submissions/"):
                    self._answer(200, [])
                elif parts.path.endswith("/status"):
                    self._answer(200, {"status": "waitingForPublisherReview", "steps": []})
                elif parts.path.endswith("/golive") and self.command == "POST":
                    self._answer(202, {}, (("Location", f"{OP_PATH}?{SIGNED_QUERY}"),))
                elif parts.path == OP_PATH:
                    status = cpp.poll_answers.pop(0) if len(cpp.poll_answers) > 1 else cpp.poll_answers[0]
                    if status == 200:
                        self._answer(200, {"id": OP_ID, "status": "complete", "steps": []})
                    else:
                        self._echo(status, token)
                else:
                    self._echo(404, token)

            do_GET = do_POST = _serve

        return Handler


@pytest.fixture
def identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenEndpoint]:
    """A token endpoint on loopback HTTPS and the standard environment pointing azure-identity at it."""
    client_secret = f"cs~{secrets.token_urlsafe(18)}"  # opaque, unique per test: a leak is this exact text
    with TokenEndpoint(tmp_path, tenant_id=TENANT, client_id=CLIENT_ID, client_secret=client_secret,
                       lifetime=2) as endpoint:
        for name in ("CPP_ACCESS_TOKEN", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
        monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("AZURE_CLIENT_SECRET", client_secret)
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", endpoint.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(endpoint.ca_file))
        yield endpoint


def identity_provider(base_url: str) -> OfferGoLiveProvider:
    """The dynamic provider configured with no access token: azure-identity supplies it."""
    return configured_provider({"cpp-golive:baseUrl": base_url, "cpp-golive:pollInterval": "0.25"})


def opaque_token() -> str:
    # Not a JWT and not after "Bearer ": only knowing the actual value can mask it. '/' and '+' change when
    # percent-encoded, so the encoded echo is a second spelling to catch.
    return f"tok/{secrets.token_urlsafe(12)}+{secrets.token_hex(4)}"


def assert_absent(secret_values: list[str], **places: str) -> None:
    for value in secret_values:
        for spelling in {value, quote(value, safe="")}:
            for where, text in places.items():
                assert spelling not in text, f"a secret ({spelling[:6]}...) leaked into the {where}"


# ---- row 10: a server that echoes the token ---------------------------------------------------------------------

def test_echoed_static_token_is_masked_in_the_error_and_the_log(capsys: pytest.CaptureFixture[str],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    token = opaque_token()
    with EchoingCpp(poll_answers=[404, 400]) as cpp:
        with pytest.raises(Exception) as caught:
            make_provider(cpp.url, token=token).create(golive_inputs())
    error, err = str(caught.value), capsys.readouterr().err
    assert cpp.tokens_seen == {token} and cpp.posts() == 1 and len(cpp.polls()) == 2
    assert "HTTP 400 InvalidToken: The token '***' is not valid" in error and OP_ID in error
    assert "HTTP 404 InvalidToken" in err  # the first poll's failure was logged, masked too
    assert_absent([token], error=error, stderr=err, logs=caplog.text)


def test_echoed_token_is_masked_through_the_plugin() -> None:
    token = opaque_token()
    lines: list[str] = []
    with EchoingCpp(poll_answers=[404, 400]) as cpp:
        provider = PluginProvider(log=lambda urn, text: lines.append(text))
        asyncio.run(provider.configure(_plugin_configure(cpp.url, token)))
        with pytest.raises(ResourceInitError) as caught:
            asyncio.run(provider.create(CreateRequest(URN, props(publisherId="contoso", offerId="vm1"), 0.0, False)))
    outputs = {key: to_python(value) for key, value in caught.value.properties.items()}
    assert outputs["operationId"] == OP_ID and outputs["status"] == "running" and cpp.posts() == 1
    assert "HTTP 400 InvalidToken" in caught.value.message
    assert any("HTTP 404 InvalidToken" in line for line in lines)
    assert_absent([token], error=caught.value.message, log="\n".join(lines), outputs=json.dumps(outputs))


def test_echoed_azure_identity_tokens_are_masked(identity: TokenEndpoint, capsys: pytest.CaptureFixture[str],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    with EchoingCpp(poll_answers=[404, 400]) as cpp:
        with pytest.raises(Exception) as caught:
            identity_provider(cpp.url).create(golive_inputs())
    error, err = str(caught.value), capsys.readouterr().err
    assert len(identity.issued) >= 2 and cpp.tokens_seen <= set(identity.issued)  # real tokens, echoed back
    assert "HTTP 400 InvalidToken: The token '***'" in error and OP_ID in error
    assert_absent([*identity.issued, identity.client_secret], error=error, stderr=err, logs=caplog.text)


def _plugin_configure(base_url: str, token: str) -> Any:
    from pulumi.provider.experimental.provider import ConfigureRequest

    return ConfigureRequest(variables={}, args=props(baseUrl=base_url, accessToken=token, pollInterval="0.25"),
                            accept_secrets=False, accept_resources=False)


# ---- row 11: a signed tracking URL -------------------------------------------------------------------------------

def test_tracking_url_signature_is_not_recorded() -> None:
    with EchoingCpp(poll_answers=[200]) as cpp:
        outs = make_provider(cpp.url, token=opaque_token()).create(golive_inputs()).outs or {}
        plugin = PluginProvider()
        asyncio.run(plugin.configure(_plugin_configure(cpp.url, opaque_token())))
        created = asyncio.run(plugin.create(CreateRequest(URN, props(publisherId="contoso", offerId="vm1"), 0.0,
                                                          False)))
    plugin_outs = {key: to_python(value) for key, value in created.properties.items()}
    expected = f"{OP_PATH}?api-version=2017-10-31"
    assert outs["status"] == plugin_outs["status"] == "succeeded" and cpp.posts() == 2
    assert outs["operation_location"] == plugin_outs["operationLocation"] == expected
    assert "SERVER-SAS-SECRET-123" not in json.dumps(outs) + json.dumps(plugin_outs)
    assert cpp.polls() and all(query == "api-version=2017-10-31" for _, _, query in cpp.polls())


def test_a_signed_location_recorded_by_an_older_version_is_stripped_on_resume() -> None:
    state = {**golive_inputs(), "operation_id": OP_ID, "operation_location": f"{OP_PATH}?{SIGNED_QUERY}",
             "status": "running", "accepted_at": "2026-11-29T00:00:00Z", "completed_at": None}
    with EchoingCpp(poll_answers=[200]) as cpp:
        outs = make_provider(cpp.url, token=opaque_token()).update(f"contoso/vm1/{OP_ID}", state,
                                                                    golive_inputs()).outs or {}
    assert outs["status"] == "succeeded" and cpp.posts() == 0
    assert outs["operation_location"] == f"{OP_PATH}?api-version=2017-10-31"
    assert [query for _, _, query in cpp.polls()] == ["api-version=2017-10-31"]


# ---- rows 8, 12, 13: refused in check, by both adapters, before any request --------------------------------------

ABSURD_SECONDS = [1e308, 1e9, float("nan"), float("inf"), float("-inf"), -1.0, 0]
BAD_IDS = [".", "..", "\u2025", "\uff0e\uff0e", "..;", "vm;1", "vm\uff0f1"]
BAD_ADDRESSES = ["ops@contoso.com\x00", "a@contoso.com;b@contoso.com", "a@contoso.com, b@contoso.com",
                 "x" * 10_000 + "@contoso.com", "not-an-address", "ops@localhost", "a@@contoso.com",
                 "ops@contoso.com\n"]


def both_checks(sim: Simulator, inputs: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Failures ``{property: reason}`` from the dynamic provider's and the plugin's ``check``."""
    dynamic = make_provider(sim.url).check({}, dict(inputs))
    camel = {"publisher_id": "publisherId", "offer_id": "offerId", "poll_interval_seconds": "pollIntervalSeconds",
             "timeout_seconds": "timeoutSeconds", "notification_emails": "notificationEmails"}
    plugin = asyncio.run(configured(sim).check(CheckRequest(URN, {}, props(**{camel[k]: v for k, v in inputs.items()}),
                                                            b"")))
    return ({f.property: f.reason for f in dynamic.failures or []},
            {f.property: f.reason for f in plugin.failures or []})


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(token=SIM_TOKEN, golive_seconds=0.5)) as simulator:
        simulator.add_offer("contoso", "vm1", state="ready")
        simulator.add_offer("contoso", "a..b", state="ready")
        yield simulator


@pytest.mark.parametrize("value", ABSURD_SECONDS, ids=str)
@pytest.mark.parametrize(("prop", "camel"), [("poll_interval_seconds", "pollIntervalSeconds"),
                                             ("timeout_seconds", "timeoutSeconds")])
def test_absurd_seconds_are_refused_in_check(sim: Simulator, prop: str, camel: str, value: float) -> None:
    dynamic, plugin = both_checks(sim, {"publisher_id": "contoso", "offer_id": "vm1", prop: value})
    assert list(dynamic) == [prop] and list(plugin) == [camel]
    assert dynamic[prop].startswith(f"{prop} must be ") and f"got {value!r}" in dynamic[prop]
    if value > 0 and value == value:  # finite or infinite positive numbers name the bounds
        assert "between" in dynamic[prop] or "positive" in dynamic[prop]
    assert plugin[camel].startswith(f"{camel} must be ")  # (the plugin sees every number as a float)
    assert sim.requests == []


@pytest.mark.parametrize(("prop", "value"), [("poll_interval_seconds", 0.25), ("poll_interval_seconds", 86_400),
                                             ("timeout_seconds", 0.1), ("timeout_seconds", 30 * 86_400)])
def test_the_documented_bounds_themselves_are_accepted(sim: Simulator, prop: str, value: float) -> None:
    assert both_checks(sim, {"publisher_id": "contoso", "offer_id": "vm1", prop: value}) == ({}, {})


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize(("prop", "camel"), [("publisher_id", "publisherId"), ("offer_id", "offerId")])
def test_dot_segments_and_segment_escapes_are_refused_in_check(sim: Simulator, prop: str, camel: str,
                                                               value: str) -> None:
    inputs = {"publisher_id": "contoso", "offer_id": "vm1", prop: value}
    dynamic, plugin = both_checks(sim, inputs)
    assert list(dynamic) == [prop] and list(plugin) == [camel]
    assert dynamic[prop].startswith(f"{prop} must not ")
    assert sim.requests == []


def test_an_id_with_dots_inside_still_reaches_its_own_route(sim: Simulator) -> None:
    outs = make_provider(sim.url).create(golive_inputs(offer_id="a..b")).outs or {}
    assert outs["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1
    assert all("/offers/a..b/" in r.path for r in sim.requests)


@pytest.mark.parametrize("address", BAD_ADDRESSES, ids=lambda a: repr(a[:24]))
def test_each_notification_address_is_validated_in_check(sim: Simulator, address: str) -> None:
    dynamic, plugin = both_checks(sim, {"publisher_id": "contoso", "offer_id": "vm1",
                                        "notification_emails": ["ops@contoso.com", address]})
    assert list(dynamic) == ["notification_emails"] and list(plugin) == ["notificationEmails"]
    assert dynamic["notification_emails"].startswith("notification_emails[1] ")
    assert len(dynamic["notification_emails"]) < 300  # a 10k-character value is quoted in part only
    assert sim.requests == []


def test_too_many_addresses_and_valid_ones(sim: Simulator) -> None:
    many = [f"ops{i}@contoso.com" for i in range(51)]
    dynamic, _ = both_checks(sim, {"publisher_id": "contoso", "offer_id": "vm1", "notification_emails": many})
    assert dynamic == {"notification_emails": "notification_emails has 51 addresses; at most 50"}
    good = ["ops@contoso.com", "first.last+go-live@mail.contoso.co.uk", "o'brien@xn--bcher-kva.example"]
    assert both_checks(sim, {"publisher_id": "contoso", "offer_id": "vm1", "notification_emails": good}) == ({}, {})


# ---- item 3: the real azure-identity path ---------------------------------------------------------------------

def test_client_secret_credential_renews_tokens_during_a_wait(identity: TokenEndpoint,
                                                              capsys: pytest.CaptureFixture[str],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with Simulator(SimulatorConfig(token="", golive_seconds=2.0)) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        identity.on_issue = lambda token: setattr(sim.config, "tokens", {token})  # an older token is refused
        outs = identity_provider(sim.url).create(golive_inputs()).outs or {}
        requests = list(sim.requests)
    err = capsys.readouterr().err
    assert outs["status"] == "succeeded" and sum(1 for r in requests if r.method == "POST") == 1
    polls = [r for r in requests if "/operations/" in r.path]
    assert len(polls) >= 3 and len(identity.issued) >= 3  # tokens expire after 2 s: renewed during the wait
    assert all(r.authorization_ok and r.status in (200, 202) for r in requests)  # each carried the newest token
    assert identity.refused == 0 and identity.bearer_requests == 0  # no bearer token went to the token endpoint
    assert_absent([*identity.issued, identity.client_secret], outputs=json.dumps(outs), stderr=err,
                  logs=caplog.text)


def test_a_token_refused_long_before_its_expiry_is_replaced_by_a_new_one(identity: TokenEndpoint) -> None:
    # azure-identity would answer from its cache (the refused token) for the next hour; the provider must get a
    # really new one. The simulator stops accepting the first token after three polls, as if it had been revoked.
    identity.lifetime = 3600
    with Simulator(SimulatorConfig(token="", golive_seconds=2.5)) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        identity.on_issue = lambda token: setattr(sim.config, "tokens", {token})

        def revoke_after_three_polls() -> None:
            deadline = time.monotonic() + 30
            while sim.count("GET", None) - 2 < 3 and time.monotonic() < deadline:  # 2 GETs precede the polls
                time.sleep(0.02)
            sim.config.tokens = set()

        revoker = threading.Thread(target=revoke_after_three_polls, daemon=True)
        revoker.start()
        outs = identity_provider(sim.url).create(golive_inputs()).outs or {}
        revoker.join(timeout=30)
        answered = [r.status for r in sim.requests]
    assert outs["status"] == "succeeded" and sim.count("POST", "/golive") == 1
    assert answered.count(401) == 1 and answered[answered.index(401) + 1] == 200
    assert len(identity.issued) == 2  # one token per hour, plus one to replace the refused one


def test_an_untrusted_token_endpoint_certificate_fails_and_nothing_is_posted(
        identity: TokenEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # the self-made CA is no longer handed to the client
    with Simulator(SimulatorConfig(token="", golive_seconds=0.5)) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED") as caught:
            identity_provider(sim.url).create(golive_inputs())
        assert sim.requests == []  # no request at all goes to CPP without a token
    assert identity.issued == [] and identity.requests == []  # the TLS handshake failed before any request
    assert_absent([identity.client_secret], error=str(caught.value))


def test_a_token_endpoint_that_echoes_the_client_secret(identity: TokenEndpoint, capsys: pytest.CaptureFixture[str],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    identity.echo_secret_in_errors = True
    with Simulator(SimulatorConfig(token="", golive_seconds=0.5)) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        with pytest.raises(Exception) as caught:
            identity_provider(sim.url).create(golive_inputs())
        assert sim.requests == []
    error, err = str(caught.value), capsys.readouterr().err
    assert "AADSTS7000215: Invalid client secret provided: ***" in error  # the reason, not just "failed"
    assert identity.refused >= 1
    assert_absent([identity.client_secret], error=error, stderr=err, logs=caplog.text)

