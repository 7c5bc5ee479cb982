"""The Product Ingestion HTTP client: $version on every call, paging, the configure POST and its job ID, the
pipeline it shares with CPP (no re-POST on 5xx, 429 retried, token kept to the configured host, 401 refresh)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from azure.core.credentials import AccessToken, TokenCredential

from pulumi_cpp_golive.api_client import MAX_LIST_PAGES
from pulumi_cpp_golive.auth import PI_SCOPE, StaticTokenCredential
from pulumi_cpp_golive.errors import ApiError, ConfigurationError, UnusableAnswerError
from pulumi_cpp_golive.pi_client import PiClient
from pulumi_cpp_golive.redaction import remember_secret

from .conftest import TOKEN

JOB_GUID = "7d3e9a10-4b2c-4e8f-9a61-2c5b8d0e4f17"  # job IDs are GUIDs
OTHER_JOB_GUID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"  # job IDs are GUIDs

PI = "https://pi.example.test/rp/product-ingestion"
GUID = "6a4b1f2e-0000-4000-8000-00000000abcd"
VERSION = "2022-07-01"


@pytest.fixture
def pi() -> PiClient:
    remember_secret(TOKEN)  # as auth.credential_for does for a configured token
    return PiClient(PI, StaticTokenCredential(TOKEN), version=VERSION, retry_total=3, retry_backoff=0.0)


def _query(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


def _posts() -> int:
    return sum(1 for call in responses.calls if call.request.method == "POST")


def _product(external_id: str, guid: str = GUID) -> dict[str, Any]:
    return {"id": f"product/{guid}", "identity": {"externalId": external_id}, "type": "azureVirtualMachine"}


# ---- $version and the product lookup ----------------------------------------------------------------------


@responses.activate
def test_find_product_sends_version_and_follows_next_link_with_version(pi: PiClient) -> None:
    other = "0000aaaa-0000-4000-8000-000000000000"
    responses.get(f"{PI}/product", json={"value": [_product("vm-other", other)],
                                         "@nextLink": f"{PI}/product?externalId=VM1&skip=1"})
    responses.get(f"{PI}/product", json={"value": [_product("vm1")]})
    found = pi.find_products("VM1")
    assert [product["id"] for product in found.matches] == [f"product/{GUID}"]
    assert found.listed == [f"product/{other}", f"product/{GUID}"]
    assert len(responses.calls) == 2
    assert [_query(call).get("$version") for call in responses.calls] == [VERSION, VERSION]
    assert "$version=2022-07-01" in responses.calls[0].request.url  # literal $, as the docs write it
    assert _query(responses.calls[0])["externalId"] == "VM1"
    assert _query(responses.calls[1])["skip"] == "1"
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_find_products_matches_the_external_id_exactly_and_lists_what_was_there(pi: PiClient) -> None:
    # A server that ignores the filter must not hand over another offer: "vm1-beta" is not "vm1".
    responses.get(f"{PI}/product", json={"value": [_product("vm1-beta"), {"id": "product/x"}, "junk"]})
    found = pi.find_products("vm1")
    assert found.matches == [] and found.listed == [f"product/{GUID}", "product/x"]
    assert len(responses.calls) == 1


@responses.activate
def test_an_ampersand_in_the_offer_id_stays_inside_the_query_value(pi: PiClient) -> None:
    responses.get(f"{PI}/product", json={"value": []})
    pi.find_products("a&b=c")
    assert _query(responses.calls[0]) == {"$version": VERSION, "externalId": "a&b=c"}


@responses.activate
def test_a_next_link_carrying_version_does_not_get_it_twice(pi: PiClient) -> None:
    responses.get(f"{PI}/submission/{GUID}",
                  json={"value": [{"id": "a"}], "@nextLink": f"{PI}/submission/{GUID}?%24version=2022-07-01&p=2"})
    responses.get(f"{PI}/submission/{GUID}", json={"value": [{"id": "b"}]})
    assert [item["id"] for item in pi.list_submissions(f"product/{GUID}")] == ["a", "b"]
    assert urlsplit(responses.calls[1].request.url).query.lower().count("version=") == 1


# ---- the submission listing --------------------------------------------------------------------------------


@responses.activate
def test_list_submissions_reads_every_page_of_both_next_link_spellings(pi: PiClient) -> None:
    listing = f"{PI}/submission/{GUID}"
    responses.get(listing, json={"value": [{"id": "s1"}], "@nextLink": f"{listing}?page=2"})
    # A path that names the base URL's path is taken from the host, not appended to the base URL.
    responses.get(listing, json={"value": [{"id": "s2"}, 7],
                                 "nextLink": f"/rp/product-ingestion/submission/{GUID}?page=3"})
    responses.get(listing, json={"value": [{"id": "s3"}], "@nextLink": ""})
    items = pi.list_submissions(GUID)  # the bare GUID is accepted as well as product/<guid>
    assert [item["id"] for item in items] == ["s1", "s2", "s3"]
    assert [_query(call).get("page") for call in responses.calls] == [None, "2", "3"]
    assert all(_query(call)["$version"] == VERSION for call in responses.calls)
    assert all(urlsplit(call.request.url).path == f"/rp/product-ingestion/submission/{GUID}"
               for call in responses.calls)


@responses.activate
def test_a_next_link_loop_is_an_error_not_a_shorter_list(pi: PiClient) -> None:
    listing = f"{PI}/submission/{GUID}"
    responses.get(listing, json={"value": [{"id": "s1"}], "@nextLink": f"{listing}?page=2"})
    responses.get(listing, json={"value": [{"id": "s2"}], "@nextLink": f"{listing}?page=2"})
    with pytest.raises(ApiError, match="points back at a page already read") as caught:
        pi.list_submissions(GUID)
    assert caught.value.code == "InvalidNextLink" and caught.value.service == "Product Ingestion"
    assert len(responses.calls) == 2


@responses.activate
def test_an_endless_listing_stops_at_max_pages(pi: PiClient) -> None:
    listing = f"{PI}/submission/{GUID}"
    responses.add_callback(responses.GET, listing, callback=lambda request: (
        200, {}, json.dumps({"value": [], "@nextLink": f"{listing}?n={len(responses.calls)}"})))
    with pytest.raises(ApiError, match=f"more than {MAX_LIST_PAGES} pages"):
        pi.list_submissions(GUID)
    assert len(responses.calls) == MAX_LIST_PAGES


@responses.activate
def test_a_foreign_next_link_is_refused_and_gets_no_token(pi: PiClient) -> None:
    responses.get(f"{PI}/submission/{GUID}",
                  json={"value": [{"id": "s1"}], "@nextLink": "https://evil.example/rp/product-ingestion/x"})
    evil = responses.get("https://evil.example/rp/product-ingestion/x", json={"value": []})
    with pytest.raises(ApiError, match="not on the configured Product Ingestion host"):
        pi.list_submissions(GUID)
    assert evil.call_count == 0 and len(responses.calls) == 1


@responses.activate
def test_a_listing_that_is_not_a_value_page_is_malformed(pi: PiClient) -> None:
    responses.get(f"{PI}/submission/{GUID}", json=[{"id": "s1"}])
    with pytest.raises(ApiError) as caught:
        pi.list_submissions(GUID)
    assert caught.value.code == "MalformedResponse" and caught.value.transient


def test_a_product_id_that_is_not_one_segment_is_refused_before_sending(pi: PiClient) -> None:
    with pytest.raises(UnusableAnswerError):
        pi.list_submissions("product/../configure")


# ---- the configure POST ------------------------------------------------------------------------------------


BODY = {"$schema": "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2", "resources": []}


@responses.activate
@pytest.mark.parametrize("status", [200, 202])
@pytest.mark.parametrize("key", ["jobId", "jobID"])
def test_post_configure_accepts_any_2xx_with_a_job_id(pi: PiClient, status: int, key: str) -> None:
    responses.post(f"{PI}/configure", status=status, json={key: JOB_GUID, "jobStatus": "notStarted"})
    job = pi.post_configure(BODY)
    assert job["jobId"] == JOB_GUID and job["jobStatus"] == "notStarted"
    request = responses.calls[0].request
    assert json.loads(request.body) == BODY
    assert request.headers["Content-Type"] == "application/json"
    assert _query(responses.calls[0]) == {"$version": VERSION}
    assert _posts() == 1


@responses.activate
@pytest.mark.parametrize("answer", [{"json": {"jobStatus": "running"}}, {"json": {"jobId": ""}},
                                    {"json": {"jobId": "a/b"}}, {"body": "accepted"}, {"body": ""}])
def test_a_2xx_without_a_usable_job_id_is_taken_but_cannot_be_followed(pi: PiClient, answer: dict[str, Any]) -> None:
    responses.post(f"{PI}/configure", status=202, **answer)
    with pytest.raises(UnusableAnswerError, match="HTTP 202 answer cannot be followed"):
        pi.post_configure(BODY)
    assert _posts() == 1


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_configure_is_not_retried_on_5xx(pi: PiClient, status: int) -> None:
    responses.post(f"{PI}/configure", status=status, json={"error": {"code": "internalServerError", "message": "x"}})
    with pytest.raises(ApiError) as caught:
        pi.post_configure(BODY)
    assert _posts() == 1
    assert caught.value.status == status and caught.value.code == "internalServerError"
    assert str(caught.value).startswith(f"Product Ingestion API POST {PI}/configure failed")


@responses.activate
def test_post_configure_answered_429_is_retried(pi: PiClient) -> None:
    responses.post(f"{PI}/configure", status=429, headers={"Retry-After": "0"})
    responses.post(f"{PI}/configure", status=202, json={"jobId": OTHER_JOB_GUID})
    assert pi.post_configure(BODY)["jobId"] == OTHER_JOB_GUID
    assert _posts() == 2


@responses.activate
def test_a_graph_error_body_is_parsed(pi: PiClient) -> None:
    responses.post(f"{PI}/configure", status=400, json={"error": {
        "code": "badRequest", "message": "\"2022-03-01-preview3 is a deprecated schema\""}})
    with pytest.raises(ApiError) as caught:
        pi.post_configure(BODY)
    assert caught.value.code == "badRequest" and "deprecated schema" in str(caught.value)
    assert not caught.value.transient


@responses.activate
def test_a_server_echoing_the_token_does_not_leak_it(pi: PiClient) -> None:
    responses.post(f"{PI}/configure", status=400,
                   json={"error": {"code": "badRequest", "message": f"bad header Authorization: {TOKEN}"}})
    with pytest.raises(ApiError) as caught:
        pi.post_configure(BODY)
    assert TOKEN not in str(caught.value) and TOKEN not in (caught.value.message or "")
    assert "***" in str(caught.value)


# ---- the job status ----------------------------------------------------------------------------------------


@responses.activate
def test_get_job_status_returns_the_body_and_retry_after(pi: PiClient) -> None:
    responses.get(f"{PI}/configure/{JOB_GUID}/status", json={"jobId": JOB_GUID, "jobStatus": "running"},
                  headers={"Retry-After": "90"})
    body, retry_after = pi.get_job_status(JOB_GUID)
    assert body["jobStatus"] == "running" and retry_after == 90.0
    assert _query(responses.calls[0]) == {"$version": VERSION}


def test_a_job_id_that_is_not_one_segment_is_refused_before_sending(pi: PiClient) -> None:
    with pytest.raises(UnusableAnswerError):
        pi.get_job_status("../product")


@responses.activate
def test_get_job_status_retries_5xx_then_reports_it(pi: PiClient) -> None:
    responses.get(f"{PI}/configure/{JOB_GUID}/status", status=503, body="busy")
    with pytest.raises(ApiError) as caught:
        pi.get_job_status(JOB_GUID)
    assert len(responses.calls) == 4 and caught.value.transient  # first try + retry_total=3


class _CountingCredential(TokenCredential):
    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(f"graph-token-{len(self.scopes)}", int(time.time()) + 3600)


@responses.activate
def test_401_gets_a_fresh_graph_token_once_and_the_log_names_the_api(caplog: pytest.LogCaptureFixture) -> None:
    credential = _CountingCredential()
    client = PiClient(PI, credential, retry_backoff=0.0)
    url = f"{PI}/configure/{JOB_GUID}/status"
    responses.get(url, status=401, json={"error": {"code": "unauthorized", "message": "expired"}})
    responses.get(url, json={"jobStatus": "running"})
    with caplog.at_level(logging.INFO, logger="pulumi_cpp_golive.pipeline_policies"):
        assert client.get_job_status(JOB_GUID)[0] == {"jobStatus": "running"}
    assert credential.scopes == [(PI_SCOPE,), (PI_SCOPE,)]
    assert [c.request.headers["Authorization"] for c in responses.calls] == ["Bearer graph-token-1",
                                                                             "Bearer graph-token-2"]
    assert "Product Ingestion answered 401" in caplog.text and "CPP answered" not in caplog.text


def test_the_base_url_keeps_its_path_and_refuses_plain_http_off_loopback() -> None:
    assert PiClient(f"{PI}/", StaticTokenCredential(TOKEN)).base_url == PI
    with pytest.raises(ConfigurationError, match="cpp-golive:productIngestionUrl"):
        PiClient("http://pi.example.test/rp/product-ingestion", StaticTokenCredential(TOKEN))
    assert PiClient("http://127.0.0.1:8080/pi", StaticTokenCredential(TOKEN)).base_url == "http://127.0.0.1:8080/pi"
