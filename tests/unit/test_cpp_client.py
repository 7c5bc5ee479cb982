from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
import responses
from azure.core.credentials import AccessToken, TokenCredential

from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.errors import ApiError, UnusableAnswerError

from .conftest import BASE, OFFER, TOKEN

GOLIVE = f"{OFFER}/golive"
OP_PATH = "/api/publishers/contoso/offers/vm1/operations/408a4835-0000-1000-0000-000000000000"


def _posts() -> int:
    return sum(1 for call in responses.calls if call.request.method == "POST")


@responses.activate
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Location": f"{OP_PATH}?api-version=2017-10-31"}, f"{BASE}{OP_PATH}?api-version=2017-10-31"),
        ({"Operation-Location": f"{BASE}{OP_PATH}"}, f"{BASE}{OP_PATH}?api-version=2017-10-31"),
        ({"Location": OP_PATH, "Operation-Location": OP_PATH}, f"{BASE}{OP_PATH}?api-version=2017-10-31"),
        ({"Location": "/api/operations/contoso$vm1$2$preview?api-version=2017-10-31"},
         f"{BASE}/api/operations/contoso$vm1$2$preview?api-version=2017-10-31"),
    ],
)
def test_golive_reads_every_header_variant(client: CppClient, headers: dict[str, str], expected: str) -> None:
    responses.post(GOLIVE, status=202, headers=headers)
    accepted = client.post_golive("contoso", "vm1")
    assert accepted.url == expected
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "api-version=2017-10-31" in str(request.url)
    assert request.body in (None, b"", "")


@responses.activate
def test_golive_sends_notification_emails_as_a_comma_separated_string(client: CppClient) -> None:
    responses.post(GOLIVE, status=202, headers={"Location": OP_PATH})
    client.post_golive("contoso", "vm1", ["a@contoso.com", "b@contoso.com"])
    body = responses.calls[0].request.body
    assert json.loads(body) == {"metadata": {"notification-emails": "a@contoso.com,b@contoso.com"}}


@responses.activate
def test_dollar_operation_is_polled_with_a_literal_dollar(client: CppClient) -> None:
    responses.get(f"{BASE}/api/operations/contoso$vm1$2$preview", json={"status": "running"})
    snapshot = client.get_operation("/api/operations/contoso$vm1$2$preview?api-version=2017-10-31")
    assert snapshot.body["status"] == "running"
    assert "contoso$vm1$2$preview" in str(responses.calls[0].request.url)


@responses.activate
def test_golive_post_answered_500_is_not_retried(client: CppClient) -> None:
    responses.post(GOLIVE, status=500, json={"Variant": {"serviceName": "Variant", "error": "Retry is OK."}})
    with pytest.raises(ApiError) as caught:
        client.post_golive("contoso", "vm1")
    assert _posts() == 1
    assert caught.value.status == 500
    assert caught.value.code == "Variant"
    assert "Retry is OK." in str(caught.value)


@responses.activate
def test_golive_post_answered_429_is_retried_after_retry_after(client: CppClient) -> None:
    responses.post(GOLIVE, status=429, headers={"Retry-After": "0"},
                   json={"error": {"code": "TooManyRequests", "message": "slow down"}})
    responses.post(GOLIVE, status=202, headers={"Location": OP_PATH})
    accepted = client.post_golive("contoso", "vm1")
    assert _posts() == 2
    assert accepted.url.startswith(f"{BASE}{OP_PATH}")


@responses.activate
def test_retry_after_is_honoured_on_get(client: CppClient) -> None:
    url = f"{BASE}{OP_PATH}"
    responses.get(url, status=429, headers={"Retry-After": "1"})
    responses.get(url, json={"status": "running"})
    started = time.monotonic()
    client.get_operation(OP_PATH)
    assert time.monotonic() - started >= 0.9
    assert len(responses.calls) == 2


@responses.activate
def test_get_retries_5xx_then_gives_a_clear_error(client: CppClient) -> None:
    url = f"{BASE}{OP_PATH}"
    responses.get(url, status=503, body="<html>Service Unavailable</html>")
    with pytest.raises(ApiError) as caught:
        client.get_operation(OP_PATH)
    assert len(responses.calls) == 4  # first try + retry_total=3
    assert caught.value.status == 503
    assert caught.value.transient
    assert "HTTP 503" in str(caught.value) and "Service Unavailable" in str(caught.value)
    assert "?" not in caught.value.url


@responses.activate
def test_documented_error_body_is_parsed(client: CppClient) -> None:
    responses.post(GOLIVE, status=400,
                   json={"error": {"code": "InvalidOperation", "message": "Offer is not waiting for sign-off"}})
    with pytest.raises(ApiError) as caught:
        client.post_golive("contoso", "vm1")
    text = str(caught.value)
    assert "POST https://cpp.example.test/api/publishers/contoso/offers/vm1/golive" in text
    assert "HTTP 400 InvalidOperation: Offer is not waiting for sign-off" in text
    assert not caught.value.transient


@responses.activate
def test_malformed_json_is_a_transient_error(client: CppClient) -> None:
    responses.get(f"{BASE}{OP_PATH}", body='{"status": "runn', content_type="application/json")
    with pytest.raises(ApiError) as caught:
        client.get_operation(OP_PATH)
    assert caught.value.code == "MalformedResponse"
    assert caught.value.transient


class CountingCredential(TokenCredential):
    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        assert scopes == ("https://cloudpartner.azure.com/.default",)
        return AccessToken(f"token-{self.calls}", int(time.time()) + 3600)


@responses.activate
def test_401_gets_a_fresh_token_once() -> None:
    credential = CountingCredential()
    client = CppClient(BASE, credential, retry_backoff=0.0)
    url = f"{BASE}{OP_PATH}"
    responses.get(url, status=401, json={"error": {"code": "Unauthorized", "message": "token expired"}})
    responses.get(url, json={"status": "running"})
    assert client.get_operation(OP_PATH).body == {"status": "running"}
    assert [c.request.headers["Authorization"] for c in responses.calls] == ["Bearer token-1", "Bearer token-2"]


@responses.activate
def test_persistent_401_names_the_status_and_hides_the_token(client: CppClient) -> None:
    responses.get(f"{BASE}{OP_PATH}", status=401,
                  json={"error": {"code": "Unauthorized", "message": f"bad token Bearer {TOKEN}"}})
    with pytest.raises(ApiError) as caught:
        client.get_operation(OP_PATH)
    assert "HTTP 401" in str(caught.value)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.args)
    assert len(responses.calls) == 2  # original + one refresh


@responses.activate
def test_token_is_never_sent_to_a_foreign_host(client: CppClient) -> None:
    with pytest.raises(UnusableAnswerError):
        client.get_operation("https://evil.example/api/operations/x")
    assert len(responses.calls) == 0


@responses.activate
def test_connection_errors_are_reported_without_a_status(client: CppClient) -> None:
    responses.post(GOLIVE, body=requests.ConnectionError("connection reset by peer"))
    with pytest.raises(ApiError) as caught:
        client.post_golive("contoso", "vm1")
    assert caught.value.status is None and caught.value.transient
    assert "no HTTP response" in str(caught.value)
    assert _posts() == 1


def test_plain_http_is_refused_off_loopback() -> None:
    from pulumi_cpp_golive.auth import StaticTokenCredential
    from pulumi_cpp_golive.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="plain http on a non-loopback host"):
        CppClient("http://cpp.example.test", StaticTokenCredential(TOKEN))
