# ruff: noqa: F401, F811 - the fixtures imported from fake_apis are named again as the tests' parameters (pytest's way)
"""Issue 16, the HTTP layer, on CPP: the same hostile transport as on Product Ingestion (stalled, endless and
bombed bodies, undecodable answers, a backslash ``nextLink``), and CPP's own (interim and redirect answers, a
``202`` whose ``Location`` must survive a bad body, a ``Location`` urlsplit cannot parse). Each test drives
:class:`OfferGoLiveProvider` (and, for findings 1 and 5, the plugin adapter) against :class:`~.fake_apis.FakeCpp`
with one route made hostile, and asserts the POST count, where requests went, the outputs or error text and a
time bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Optional

import pytest
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest

from pulumi_cpp_golive.plugin.provider import PluginProvider
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.transport import MAX_BODY_BYTES

from .fake_apis import (
    OPERATION_ID,
    TOKEN,
    FakeCpp,
    at_once,
    cpp,
    cpp_inputs,
    cpp_plugin,
    cpp_provider,
    create,
    new_guid,
    plugin_create,
    server,
)
from .hostile import HostileServer, Reply, Request, Wire, gzip_bomb, head, nested_json
from .test_adopt import Timer
from .test_hostile_transport_pi import SLACK, peak_bytes


def plugin(cpp: FakeCpp, **settings: str) -> PluginProvider:
    """The plugin on ``cpp``, with this file's timings."""
    return cpp_plugin(cpp, **{"requestTimeout": "2", **settings})


def location_of(cpp: FakeCpp, operation_id: str) -> str:
    return f"{cpp.prefix}/operations/{operation_id}?api-version=2017-10-31"


def accepted_then(cpp: FakeCpp, write: Callable[[Wire, str], None]) -> Callable[[Request, Wire], None]:
    """A go-live route: the operation is created (and listed, per ``cpp.list_golive``), then ``write`` answers
    on the wire with the operation's tracking path."""

    def route(request: Request, wire: Wire) -> None:
        write(wire, cpp.accept(new_guid() if cpp.offer_id != "vm1" else OPERATION_ID))

    return route


# ---- 13 (as 1). a stalled 202 body: the Location is the answer, never "not sent" ----------------------------------

def stalled_body(wire: Wire, location: str) -> None:
    wire.send(head(202, [("Location", location), ("Content-Type", "application/json"), ("Content-Length", "300")]))
    wire.stall(8.0)
    wire.close_after = True


def many_offers(server: HostileServer, count: int, list_lag: float) -> list[FakeCpp]:
    offers = [FakeCpp(server, offer_id=f"vm{i}", list_lag=list_lag).install() for i in range(2, 2 + count)]
    for fake in offers:
        server.routes[("POST", f"{fake.prefix}/golive")] = accepted_then(fake, stalled_body)
    return offers


def test_sixteen_go_lives_at_once_with_stalled_202_bodies_post_once_each(server: HostileServer) -> None:
    offers = many_offers(server, 16, list_lag=4.0)
    results: dict[str, tuple[Optional[dict[str, Any]], str]] = {}

    def go_live(fake: FakeCpp) -> None:
        provider = cpp_provider(fake, requestTimeout="1", adoptTimeout="10")
        results[fake.offer_id] = create(provider, cpp_inputs(offer_id=fake.offer_id, wait="accepted"))

    elapsed = at_once(go_live, offers, busy_when=lambda: sum(fake.posts() for fake in offers) >= len(offers))
    assert [fake.posts() for fake in offers] == [1] * len(offers)
    for fake in offers:
        outs, err = results[fake.offer_id]
        assert outs is not None, err
        [operation] = fake.operations
        assert outs["operation_id"] == operation  # from the 202's Location: the stalled body changed nothing
    assert elapsed < 1.0 + SLACK + 2.0


def test_plugin_sixteen_go_lives_at_once_with_stalled_202_bodies_post_once_each(server: HostileServer) -> None:
    offers = many_offers(server, 16, list_lag=4.0)
    results: dict[str, tuple[Optional[dict[str, Any]], str]] = {}

    def go_live(fake: FakeCpp) -> None:
        results[fake.offer_id] = plugin_create(
            plugin(fake, requestTimeout="1", adoptTimeout="10"), offerId=fake.offer_id, wait="accepted")

    elapsed = at_once(go_live, offers, busy_when=lambda: sum(fake.posts() for fake in offers) >= len(offers))
    assert [fake.posts() for fake in offers] == [1] * len(offers)
    for fake in offers:
        outs, err = results[fake.offer_id]
        assert outs is not None, err
        assert outs["operationId"] == next(iter(fake.operations))
    assert elapsed < 1.0 + SLACK + 2.0


# ---- 13 (as 2). a nextLink the stack would connect elsewhere: submissions paging ---------------------------------

def paged(next_link: str) -> Callable[[Request, Wire], Reply]:
    def route(request: Request, wire: Wire) -> Reply:
        if "page" in request.query:
            return Reply(200, {"value": []})
        return Reply(200, {"value": [], "nextLink": next_link})

    return route


def test_backslash_next_link_in_submissions_paging_sends_nothing_elsewhere(cpp: FakeCpp, server: HostileServer) -> None:
    with HostileServer() as other:
        link = f"http://127.0.0.1:{other.port}\\@127.0.0.1:{server.port}{cpp.prefix}/submissions/?page=2"
        server.routes[("GET", f"{cpp.prefix}/submissions/")] = paged(link)
        with Timer() as timer:
            outs, err = create(cpp_provider(cpp), cpp_inputs())
        assert other.seen() == []  # no request, so no Authorization header, reached the other server
    assert outs is None and "InvalidNextLink" in err, err
    assert TOKEN not in err
    assert cpp.posts() == 0 and timer.elapsed < SLACK


# ---- 17. URLs urlsplit cannot parse: refused cleanly, the other header still used --------------------------------

def test_unparseable_location_falls_back_to_the_operation_location(cpp: FakeCpp, server: HostileServer) -> None:
    cpp.list_golive = False  # only the headers can name the operation

    def answer(wire: Wire, location: str) -> None:
        wire.send(Reply(202, b"", [("Location", "http://[bad-ipv6/api/operations/x"),
                                   ("Operation-Location", location)]).encode())

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
    outs, err = create(cpp_provider(cpp), cpp_inputs(wait="accepted"))
    assert outs is not None, err  # no ValueError from urlsplit
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1


def test_fullwidth_at_in_a_next_link_is_refused_cleanly(cpp: FakeCpp, server: HostileServer) -> None:
    with HostileServer() as other:
        link = f"http://127.0.0.1:{server.port}\uff20127.0.0.1:{other.port}{cpp.prefix}/submissions/?page=2"
        server.routes[("GET", f"{cpp.prefix}/submissions/")] = paged(link)
        outs, err = create(cpp_provider(cpp), cpp_inputs())
        assert other.seen() == []
    assert outs is None and "InvalidNextLink" in err, err
    assert cpp.posts() == 0


# ---- 13 (as 5). decoding never raises anything but our own error --------------------------------------------------

@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"status": "succeeded"}', "application/json; charset=rot13"),
    (b'{"status": "succeeded"}', "application/json; charset=base64"),
    (b'{"status": "succeeded"}', "application/json; charset*=utf-8''rot13"),
    (nested_json(10_000), "application/json"),
], ids=["charset-rot13", "charset-base64", "rfc2231-charset", "nested-10000"])
def test_undecodable_offer_status_is_a_malformed_response(cpp: FakeCpp, server: HostileServer, body: bytes,
                                                          content_type: str) -> None:
    server.routes[("GET", f"{cpp.prefix}/status")] = lambda r, w: Reply(200, body, [("Content-Type", content_type)])
    outs, err = create(cpp_provider(cpp), cpp_inputs())
    assert outs is None and "MalformedResponse" in err, err
    assert cpp.posts() == 0


@pytest.mark.parametrize("claims", ["a", "__8_", "__4"])
def test_unreadable_claims_challenge_on_the_post_is_a_plain_401(cpp: FakeCpp, server: HostileServer,
                                                              claims: str) -> None:
    server.routes[("POST", f"{cpp.prefix}/golive")] = lambda r, w: Reply(
        401, {"error": {"code": "Unauthorized", "message": "token rejected"}},
        [("WWW-Authenticate", f'Bearer error="insufficient_claims", claims="{claims}"')])
    with Timer() as timer:
        outs, err = create(cpp_provider(cpp), cpp_inputs())
    assert outs is None and "HTTP 401" in err and "token rejected" in err, err
    assert not any(word in err for word in ("UnicodeDecodeError", "binascii", "padding"))  # ours, not Python's
    assert cpp.posts() <= 2 and timer.elapsed < SLACK


def test_plugin_unreadable_claims_challenge_is_a_plain_401(cpp: FakeCpp, server: HostileServer) -> None:
    server.routes[("POST", f"{cpp.prefix}/golive")] = lambda r, w: Reply(
        401, {"error": {"code": "Unauthorized", "message": "token rejected"}},
        [("WWW-Authenticate", 'Bearer error="insufficient_claims", claims="a"')])
    outs, err = plugin_create(plugin(cpp), wait="accepted")
    assert outs is None and "HTTP 401" in err and "binascii" not in err and "padding" not in err, err
    assert cpp.posts() <= 2


def test_plugin_undecodable_operation_status_is_ridden_out(cpp: FakeCpp, server: HostileServer) -> None:
    answers = iter([Reply(200, nested_json(10_000), [("Content-Type", "application/json")])])

    def operation(request: Request, wire: Wire) -> Reply:
        return next(answers, None) or cpp.operation(request, wire)

    server.routes[("GET", f"{cpp.prefix}/operations/*")] = operation
    outs, err = plugin_create(plugin(cpp))
    assert err == "" and outs is not None, err
    assert outs["status"] == "succeeded" and outs["operationId"] == OPERATION_ID  # the bad poll was ridden out
    assert cpp.posts() == 1


# ---- 13 (as 6). capped bodies ------------------------------------------------------------------------------------

def test_endless_chunked_202_body_keeps_the_location(cpp: FakeCpp, server: HostileServer) -> None:
    cpp.list_golive = False
    sent: list[int] = []

    def endless(wire: Wire, location: str) -> None:
        wire.send(head(202, [("Location", location), ("Transfer-Encoding", "chunked")]))
        sent.append(wire.chunked_forever(b"x" * 65536, rate=200e6, until=6.0))

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, endless)
    with Timer() as timer:
        outs, err = create(cpp_provider(cpp, requestTimeout="3"), cpp_inputs(wait="accepted"))
    assert outs is not None, err
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1
    give_up = time.monotonic() + 5
    while not sent and time.monotonic() < give_up:  # the route ends once the client hung up
        time.sleep(0.01)
    assert sent and sent[0] < 3 * MAX_BODY_BYTES, sent
    assert timer.elapsed < 3.0


def test_gzip_bomb_202_body_keeps_the_location_in_bounded_memory(cpp: FakeCpp, server: HostileServer) -> None:
    cpp.list_golive = False
    bomb = gzip_bomb(64 << 20)

    def bombed(wire: Wire, location: str) -> None:
        wire.send(Reply(202, bomb, [("Location", location), ("Content-Encoding", "gzip")]).encode())

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, bombed)
    (outs, err), peak = peak_bytes(lambda: create(cpp_provider(cpp), cpp_inputs(wait="accepted")))
    assert outs is not None, err
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1
    assert peak < 2.5 * MAX_BODY_BYTES, peak


def test_gzip_bomb_offer_status_is_a_malformed_response_naming_the_cap(cpp: FakeCpp, server: HostileServer) -> None:
    bomb = gzip_bomb(64 << 20)
    server.routes[("GET", f"{cpp.prefix}/status")] = lambda r, w: Reply(
        200, bomb, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
    (outs, err), peak = peak_bytes(lambda: create(cpp_provider(cpp), cpp_inputs()))
    assert outs is None and f"larger than {MAX_BODY_BYTES} bytes" in err, err
    assert peak < 2.5 * MAX_BODY_BYTES, peak
    assert cpp.posts() == 0


# ---- 16. a bad body never discards the status line and headers ---------------------------------------------------

def test_undecodable_gzip_202_body_keeps_the_location(cpp: FakeCpp, server: HostileServer) -> None:
    cpp.list_golive = False  # only the Location can name the operation

    def answer(wire: Wire, location: str) -> None:
        wire.send(Reply(202, b"this is not gzip", [("Location", location), ("Content-Encoding", "gzip"),
                                                  ("Content-Type", "application/json")]).encode())

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
    with Timer() as timer:
        outs, err = create(cpp_provider(cpp), cpp_inputs())
    assert outs is not None, err
    assert outs["operation_id"] == OPERATION_ID and outs["status"] == "succeeded"
    assert cpp.posts() == 1 and timer.elapsed < SLACK


# ---- 15. interim answers are skipped, redirects never followed ---------------------------------------------------

@pytest.mark.parametrize("hints", [1, 3])
def test_early_hints_before_the_202_are_skipped(cpp: FakeCpp, server: HostileServer, hints: int) -> None:
    cpp.list_golive = False

    def answer(wire: Wire, location: str) -> None:
        wire.send(head(103, [("Link", "</a.css>; rel=preload")]) * hints + Reply(202, b"", [("Location", location)])
                  .encode())

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
    outs, err = create(cpp_provider(cpp), cpp_inputs())
    assert outs is not None, err
    assert outs["operation_id"] == OPERATION_ID and outs["status"] == "succeeded"
    assert cpp.posts() == 1


def test_endless_interim_answers_are_ambiguous_not_a_refusal(cpp: FakeCpp, server: HostileServer) -> None:
    def answer(wire: Wire, location: str) -> None:
        wire.send(head(103, [("Link", "</a.css>; rel=preload")]) * 200)
        wire.close_after = True

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
    outs, err = create(cpp_provider(cpp), cpp_inputs(wait="accepted"))
    assert outs is not None, err  # looked for, and adopted from the operations list
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1


@pytest.mark.parametrize("status", [303, 307, 302])
def test_redirect_on_the_post_is_never_followed_and_is_ambiguous(cpp: FakeCpp, server: HostileServer,
                                                                 status: int, capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    with HostileServer() as other:
        def answer(wire: Wire, location: str) -> None:
            wire.send(Reply(status, b"", [("Location", f"{other.url}{location}")]).encode())

        server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
        outs, err = create(cpp_provider(cpp), cpp_inputs(wait="accepted"))
        assert other.seen() == []  # not followed, so the token never went there
    assert outs is not None, err  # not a refusal: looked for, and adopted
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1
    assert f"HTTP {status}" in capsys.readouterr().err


def test_redirect_on_a_get_is_not_followed(cpp: FakeCpp, server: HostileServer) -> None:
    with HostileServer() as other:
        server.routes[("GET", f"{cpp.prefix}/status")] = lambda r, w: Reply(
            302, b"", [("Location", f"https://127.0.0.1:{other.port}{cpp.prefix}/status")])
        outs, err = create(cpp_provider(cpp), cpp_inputs())
        assert other.seen() == []
    assert outs is None and "HTTP 302" in err and "Redirected" in err, err
    assert cpp.posts() == 0


# ---- do more: what else gateways and proxies send ----------------------------------------------------------------

def test_location_with_a_latin1_byte_is_refused_and_the_operation_location_used(cpp: FakeCpp,
                                                                              server: HostileServer) -> None:
    # http.client reads header bytes as latin-1: an "é" before the ID was taken as part of it and recorded.
    cpp.list_golive = False

    def answer(wire: Wire, location: str) -> None:
        wire.send(Reply(202, b"", [("Location", location.replace("/operations/", "/operations/\xe9")),
                                   ("Operation-Location", location)]).encode())

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
    outs, err = create(cpp_provider(cpp), cpp_inputs(wait="accepted"))
    assert outs is not None, err
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1


def test_switching_protocols_on_the_post_is_ambiguous_not_a_refusal(cpp: FakeCpp, server: HostileServer) -> None:
    # A 101 is a final answer to http.client, and not an answer to a go-live: it may have been acted on.
    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(
        cpp, lambda wire, location: wire.send(head(101, [("Upgrade", "h2c"), ("Connection", "Upgrade")])))
    outs, err = create(cpp_provider(cpp), cpp_inputs(wait="accepted"))
    assert outs is not None, err  # looked for, and adopted
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1


def test_oversized_chunk_line_in_the_202_body_keeps_the_location(cpp: FakeCpp, server: HostileServer) -> None:
    cpp.list_golive = False

    def answer(wire: Wire, location: str) -> None:
        wire.send(head(202, [("Location", location), ("Transfer-Encoding", "chunked")]) + b"f" * 100_000 + b"\r\n")
        wire.close_after = True

    server.routes[("POST", f"{cpp.prefix}/golive")] = accepted_then(cpp, answer)
    with Timer() as timer:
        outs, err = create(cpp_provider(cpp), cpp_inputs(wait="accepted"))
    assert outs is not None, err
    assert outs["operation_id"] == OPERATION_ID and cpp.posts() == 1 and timer.elapsed < SLACK
