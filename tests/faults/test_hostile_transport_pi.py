# ruff: noqa: F401, F811 - the fixtures imported from fake_apis are named again as the tests' parameters (pytest's way)
"""Issue 16, the HTTP layer, on Product Ingestion (PI): a hostile server answers the provider's requests in ways
the transport must survive without posting twice, sending the token elsewhere, raising a raw Python error or
running out of memory. Each test drives :class:`OfferGoLiveProvider` (and, for findings 1 and 5, the plugin
adapter) against :class:`~.fake_apis.FakePi` with one route made hostile, and asserts the POST count, where
requests went, the outputs or error text, and a time bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest

from pulumi_cpp_golive.plugin.provider import PluginProvider
from pulumi_cpp_golive.plugin.values import from_python, to_python
from pulumi_cpp_golive.transport import MAX_BODY_BYTES

from .fake_apis import (
    PI_VERSION,
    PRODUCT_GUID,
    TOKEN,
    FakePi,
    at_once,
    create,
    new_guid,
    pi,
    pi_inputs,
    pi_plugin,
    pi_provider,
    plugin_create,
    server,
)
from .hostile import HostileServer, Reply, Request, Wire, gzip_bomb, head, nested_json
from .test_adopt import Timer

SLACK = 4.0


def plugin(pi: FakePi, **settings: str) -> PluginProvider:
    """The plugin on ``pi``, with this file's timings (a short request timeout against the stalls)."""
    return pi_plugin(pi, **{"adoptTimeout": "8", "requestTimeout": "1", **settings})


def posted_submissions(server: HostileServer) -> Counter[str]:
    """How many ``POST configure`` each submission got."""
    return Counter(r.json()["resources"][0]["id"] for r in server.seen()
                   if r.method == "POST" and r.path == "/pi/configure")


def stalled_body(pi: FakePi, seconds: float = 8.0) -> Callable[[Request, Wire], Optional[Reply]]:
    """The configure route of finding 1: the job is created, the status line and headers go out, and the body
    (which would carry the job ID) never comes."""

    def route(request: Request, wire: Wire) -> None:
        pi.accept(request, new_guid())
        wire.send(head(202, [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "400")]))
        wire.stall(seconds)
        wire.close_after = True

    return route


def answered(pi: FakePi, status: int, body: bytes, *headers: tuple[str, str]) -> Callable[[Request, Wire], Reply]:
    """A configure route that creates the job, then answers ``status`` with ``body`` as bytes and ``headers``."""

    def route(request: Request, wire: Wire) -> Reply:
        pi.accept(request, new_guid())
        return Reply(status, body, list(headers))

    return route


# ---- 1. a stalled body after the status line is ambiguous, never "not sent" --------------------------------------

OFFERS = 16


def test_sixteen_go_lives_at_once_with_stalled_post_bodies_post_once_each(pi: FakePi, server: HostileServer) -> None:
    guids = {f"vm{i}": pi.add_product(f"vm{i}") for i in range(2, 2 + OFFERS)}
    pi.list_lag = 4.0  # the go-lives exist, the listing shows them 4 s late
    server.routes[("POST", "/pi/configure")] = stalled_body(pi)
    results: dict[str, tuple[Optional[dict[str, Any]], str]] = {}

    def go_live(offer: str) -> None:
        provider = pi_provider(pi, requestTimeout="1", adoptTimeout="10")
        results[offer] = create(provider, pi_inputs(offer_id=offer, wait="accepted"))

    elapsed = at_once(go_live, guids, busy_when=lambda: pi.posts() >= len(guids))  # every POST in its stall
    assert posted_submissions(server) == Counter({f"submission/{guid}/1": 1 for guid in guids.values()})
    for offer, guid in guids.items():
        outs, err = results[offer]
        assert outs is not None, err
        assert outs["submission_id"] == f"submission/{guid}/1" and outs["status"] in ("running", "succeeded")
    assert 4.0 <= elapsed < 4.0 + 1.0 + SLACK + 4.0  # the lag, the cut POST, the looks' back-off


def test_plugin_sixteen_go_lives_at_once_with_stalled_post_bodies_post_once_each(
        pi: FakePi, server: HostileServer) -> None:
    guids = {f"vm{i}": pi.add_product(f"vm{i}") for i in range(2, 2 + OFFERS)}
    pi.list_lag = 2.0
    server.routes[("POST", "/pi/configure")] = stalled_body(pi)
    results: dict[str, tuple[Optional[dict[str, Any]], str]] = {}

    def go_live(offer: str) -> None:
        results[offer] = plugin_create(plugin(pi), offerId=offer, api="product-ingestion", wait="accepted")

    elapsed = at_once(go_live, guids, busy_when=lambda: pi.posts() >= len(guids))  # every POST in its stall
    assert posted_submissions(server) == Counter({f"submission/{guid}/1": 1 for guid in guids.values()})
    for offer, guid in guids.items():
        outs, err = results[offer]
        assert outs is not None, err
        assert outs["submissionId"] == f"submission/{guid}/1"
    assert elapsed < 2.0 + 1.0 + SLACK + 4.0


# ---- 2. a nextLink the stack would connect elsewhere -------------------------------------------------------------

def paged_listing(pi: FakePi, next_link: str) -> Callable[[Request, Wire], Reply]:
    def route(request: Request, wire: Wire) -> Reply:
        if "page" in request.query:
            return Reply(200, {"value": []})
        return Reply(200, {"value": list(pi.submissions), "@nextLink": next_link})

    return route


def test_backslash_next_link_sends_nothing_to_the_host_before_the_backslash(
        pi: FakePi, server: HostileServer) -> None:
    with HostileServer() as other:
        link = f"http://127.0.0.1:{other.port}\\@127.0.0.1:{server.port}/pi/submission/{PRODUCT_GUID}?page=2"
        server.routes[("GET", f"/pi/submission/{PRODUCT_GUID}")] = paged_listing(pi, link)
        with Timer() as timer:
            outs, err = create(pi_provider(pi), pi_inputs())
        assert other.seen() == []  # no request, so no Authorization header, ever reached the other server
    assert outs is None and "InvalidNextLink" in err and "nextLink" in err, err
    assert TOKEN not in err
    assert pi.posts() == 0 and timer.elapsed < SLACK


def test_fullwidth_at_in_a_next_link_is_refused_cleanly(pi: FakePi, server: HostileServer) -> None:
    with HostileServer() as other:
        link = f"http://127.0.0.1:{server.port}\uff20127.0.0.1:{other.port}/pi/submission/{PRODUCT_GUID}?page=2"
        server.routes[("GET", f"/pi/submission/{PRODUCT_GUID}")] = paged_listing(pi, link)
        outs, err = create(pi_provider(pi), pi_inputs())
        assert other.seen() == []
    assert outs is None and "InvalidNextLink" in err, err  # our error, not urlsplit's ValueError
    assert pi.posts() == 0


# ---- 5. decoding never raises anything but our own error ----------------------------------------------------------

JOB_JSON = b'{"jobId": "0b6f8d4e-2a1c-4f3e-9d8b-7a6c5e4f3a2b", "jobStatus": "running"}'


@pytest.mark.parametrize(("body", "content_type"), [
    (JOB_JSON, "application/json; charset=base64"),
    (JOB_JSON, "application/json; charset=rot13"),
    (nested_json(10_000), "application/json; charset=utf-8"),
    (JOB_JSON, "application/json; charset*=utf-8''base64"),  # RFC 2231: azure-core's charset lookup gets a tuple
], ids=["charset-base64", "charset-rot13", "nested-10000", "rfc2231-charset"])
def test_undecodable_post_answer_is_ambiguous_and_adopted(pi: FakePi, server: HostileServer, body: bytes,
                                                          content_type: str) -> None:
    server.routes[("POST", "/pi/configure")] = answered(pi, 202, body, ("Content-Type", content_type))
    with Timer() as timer:
        outs, err = create(pi_provider(pi), pi_inputs(wait="accepted"))
    assert outs is not None, err  # no raw LookupError / RecursionError / TypeError: the go-live was adopted
    assert outs["submission_id"] == f"submission/{PRODUCT_GUID}/1"
    assert pi.posts() == 1 and timer.elapsed < SLACK


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"value": []}', "application/json; charset=rot13"),
    (b'{"value": []}', "application/json; charset=base64"),
    (nested_json(10_000), "application/json"),
], ids=["charset-rot13", "charset-base64", "nested-10000"])
def test_undecodable_get_answer_is_a_malformed_response(pi: FakePi, server: HostileServer, body: bytes,
                                                        content_type: str) -> None:
    server.routes[("GET", "/pi/product")] = lambda r, w: Reply(200, body, [("Content-Type", content_type)])
    outs, err = create(pi_provider(pi), pi_inputs())
    assert outs is None and "MalformedResponse" in err, err
    assert pi.posts() == 0


@pytest.mark.parametrize("claims", ["__4", "a", "__8_"])
def test_unreadable_claims_challenge_on_the_post_is_a_plain_401(pi: FakePi, server: HostileServer,
                                                              claims: str) -> None:
    challenge = f'Bearer error="insufficient_claims", claims="{claims}"'
    server.routes[("POST", "/pi/configure")] = lambda r, w: Reply(
        401, {"error": {"code": "Unauthorized", "message": "token rejected"}}, [("WWW-Authenticate", challenge)])
    with Timer() as timer:
        outs, err = create(pi_provider(pi), pi_inputs())
    assert outs is None and "HTTP 401" in err and "token rejected" in err, err
    assert "UnicodeDecodeError" not in err and "binascii" not in err
    assert pi.posts() <= 2  # the 401 itself, and at most one resend with a fresh token: never accepted
    assert timer.elapsed < SLACK


def test_unreadable_claims_challenge_on_a_get_is_a_plain_401(pi: FakePi, server: HostileServer) -> None:
    server.routes[("GET", "/pi/product")] = lambda r, w: Reply(
        401, {"error": {"code": "Unauthorized", "message": "token rejected"}},
        [("WWW-Authenticate", 'Bearer error="insufficient_claims", claims="__4"')])
    outs, err = create(pi_provider(pi), pi_inputs())
    assert outs is None and "HTTP 401" in err and "UnicodeDecodeError" not in err, err
    assert pi.posts() == 0


def test_plugin_undecodable_post_answer_is_adopted(pi: FakePi, server: HostileServer) -> None:
    server.routes[("POST", "/pi/configure")] = answered(
        pi, 202, JOB_JSON, ("Content-Type", "application/json; charset=base64"))
    outs, err = plugin_create(plugin(pi), api="product-ingestion", wait="accepted")
    assert outs is not None, err
    assert outs["submissionId"] == f"submission/{PRODUCT_GUID}/1" and pi.posts() == 1


def test_plugin_unreadable_claims_challenge_is_a_plain_401(pi: FakePi, server: HostileServer) -> None:
    server.routes[("POST", "/pi/configure")] = lambda r, w: Reply(
        401, {"error": {"code": "Unauthorized", "message": "token rejected"}},
        [("WWW-Authenticate", 'Bearer error="insufficient_claims", claims="__4"')])
    outs, err = plugin_create(plugin(pi), api="product-ingestion", wait="accepted")
    assert outs is None and "HTTP 401" in err and "UnicodeDecodeError" not in err, err
    assert pi.posts() <= 2


# ---- 6. bodies are capped: no MemoryError, bounded time ---------------------------------------------------------

def peak_bytes(action: Callable[[], Any]) -> tuple[Any, int]:
    """``action()``'s result and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_endless_chunked_post_body_is_cut_at_the_cap(pi: FakePi, server: HostileServer) -> None:
    sent: list[int] = []

    def endless(request: Request, wire: Wire) -> None:
        pi.accept(request, new_guid())
        wire.send(head(202, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]))
        sent.append(wire.chunked_forever(b"[" * 65536, rate=200e6, until=6.0))

    server.routes[("POST", "/pi/configure")] = endless
    with Timer() as timer:
        outs, err = create(pi_provider(pi, requestTimeout="3"), pi_inputs(wait="accepted"))
    assert outs is not None, err
    assert outs["submission_id"] == f"submission/{PRODUCT_GUID}/1" and pi.posts() == 1
    give_up = time.monotonic() + 5
    while not sent and time.monotonic() < give_up:  # the route ends once the client hung up
        time.sleep(0.01)
    assert sent and sent[0] < 3 * MAX_BODY_BYTES, sent  # the client stopped reading at the cap, not at a timeout
    assert timer.elapsed < 3.0


def test_gzip_bomb_post_body_is_a_malformed_answer_in_bounded_memory(pi: FakePi, server: HostileServer) -> None:
    bomb = gzip_bomb(64 << 20)
    server.routes[("POST", "/pi/configure")] = answered(
        pi, 202, bomb, ("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    (outs, err), peak = peak_bytes(lambda: create(pi_provider(pi), pi_inputs(wait="accepted")))
    assert outs is not None, err
    assert outs["submission_id"] == f"submission/{PRODUCT_GUID}/1" and pi.posts() == 1
    assert peak < 2.5 * MAX_BODY_BYTES, peak  # 64 MiB were never held


def test_gzip_bomb_on_a_get_is_a_malformed_response_naming_the_cap(pi: FakePi, server: HostileServer) -> None:
    bomb = gzip_bomb(64 << 20)
    server.routes[("GET", "/pi/product")] = lambda r, w: Reply(
        200, bomb, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
    (outs, err), peak = peak_bytes(lambda: create(pi_provider(pi), pi_inputs()))
    assert outs is None and "MalformedResponse" in err and f"larger than {MAX_BODY_BYTES} bytes" in err, err
    assert peak < 2.5 * MAX_BODY_BYTES, peak
    assert pi.posts() == 0


# ---- do more: interim answers on PI too --------------------------------------------------------------------------

def test_early_hints_before_the_202_are_skipped(pi: FakePi, server: HostileServer) -> None:
    def hinted(request: Request, wire: Wire) -> Reply:
        job = pi.accept(request, new_guid())
        wire.send(head(103, [("Link", "</style.css>; rel=preload")]) * 2)
        return Reply(202, job)

    server.routes[("POST", "/pi/configure")] = hinted
    outs, err = create(pi_provider(pi), pi_inputs())
    assert outs is not None, err
    assert outs["status"] == "succeeded" and outs["operation_id"] in pi.jobs  # the job ID of the 202's body
    assert pi.posts() == 1


def test_json_job_body_is_read_unchanged(pi: FakePi) -> None:
    # The transport reads bodies itself now: a plain go-live still records the job from the body.
    outs, err = create(pi_provider(pi), pi_inputs())
    assert outs is not None, err
    assert outs["operation_id"] == json.loads(JOB_JSON)["jobId"] and outs["status"] == "succeeded"


def test_redirect_on_the_post_is_never_followed_and_is_ambiguous(pi: FakePi, server: HostileServer) -> None:
    with HostileServer() as other:
        def moved(request: Request, wire: Wire) -> Reply:
            pi.accept(request, new_guid())
            return Reply(307, b"", [("Location", f"{other.url}/pi/configure")])

        server.routes[("POST", "/pi/configure")] = moved
        outs, err = create(pi_provider(pi), pi_inputs(wait="accepted"))
        assert other.seen() == []  # not followed: the token (and the go-live) never went there
    assert outs is not None, err  # not a refusal: looked for in the listing, and adopted
    assert outs["submission_id"] == f"submission/{PRODUCT_GUID}/1" and pi.posts() == 1
