from __future__ import annotations

import pytest

from pulumi_cpp_golive.cpp_wire import (
    error_messages,
    normalise_status,
    operation_id_from_url,
    progress_lines,
    resolve_operation_url,
    tracking_url,
)
from pulumi_cpp_golive.errors import UnusableAnswerError

BASE = "https://cloudpartner.azure.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("running", ("running", True)),
        ("Running", ("running", True)),
        ("not started", ("running", True)),
        ("inProgress", ("running", True)),
        ("complete", ("succeeded", True)),
        ("Completed", ("succeeded", True)),
        ("succeeded", ("succeeded", True)),
        ("FAILED", ("failed", True)),
        ("rejected", ("failed", True)),
        ("canceled", ("canceled", True)),
        ("Cancelled", ("canceled", True)),
        ("Validating", ("running", False)),
        (None, ("running", False)),
        (42, ("running", False)),
    ],
)
def test_status_vocabulary_is_normalised(raw: object, expected: tuple[str, bool]) -> None:
    assert normalise_status(raw) == expected


def test_location_relative_is_preferred_and_resolved() -> None:
    url = tracking_url(
        {"Location": "/api/publishers/p/offers/o/operations/abc?api-version=2017-10-31",
         "Operation-Location": "/api/publishers/p/offers/o/operations/other"},
        BASE,
    )
    assert url == f"{BASE}/api/publishers/p/offers/o/operations/abc?api-version=2017-10-31"


def test_operation_location_absolute_gets_api_version() -> None:
    url = tracking_url({"Operation-Location": f"{BASE}/api/publishers/p/offers/o/operations/408a"}, BASE)
    assert url == f"{BASE}/api/publishers/p/offers/o/operations/408a?api-version=2017-10-31"


@pytest.mark.parametrize("raw", ["/api/operations/contoso$vm1$2$preview?api-version=2017-10-31",
                                 "/api/operations/contoso%24vm1%242%24preview"])
def test_dollar_ids_stay_literal(raw: str) -> None:
    url = resolve_operation_url(raw, BASE)
    assert url == f"{BASE}/api/operations/contoso$vm1$2$preview?api-version=2017-10-31"
    assert operation_id_from_url(url) == "contoso$vm1$2$preview"


def test_foreign_host_is_refused() -> None:
    with pytest.raises(UnusableAnswerError, match="not at the configured CPP host"):
        tracking_url({"Operation-Location": "https://evil.example/api/operations/x"}, BASE)


def test_same_host_different_port_is_foreign() -> None:
    with pytest.raises(UnusableAnswerError):
        resolve_operation_url("http://127.0.0.1:9/api/operations/x", "http://127.0.0.1:8080")


def test_missing_header_is_a_clear_error() -> None:
    with pytest.raises(UnusableAnswerError, match="neither a Location nor an Operation-Location"):
        tracking_url({}, BASE)


def test_protocol_relative_and_non_operation_paths_are_refused() -> None:
    with pytest.raises(UnusableAnswerError):
        resolve_operation_url("//evil.example/api/operations/x", BASE)
    with pytest.raises(UnusableAnswerError, match="does not name an operation"):
        resolve_operation_url("/api/publishers/p/offers/o", BASE)


def test_error_messages_collects_operation_and_step_errors() -> None:
    body = {
        "messages": [{"messageHtml": "Go-live failed", "level": "error"}],
        "steps": [
            {"stepName": "Live", "messages": [{"messageHtml": "Image unreachable", "level": "error"},
                                              {"messageHtml": "fyi", "level": "information"}]},
        ],
    }
    assert error_messages(body) == ["Go-live failed", "Image unreachable"]


def test_progress_lines_show_the_status_and_each_step() -> None:
    body = {"status": "running", "steps": [
        {"stepName": "Publisher signoff", "status": "complete", "progressPercentage": 100},
        {"stepName": "Live", "status": "inProgress", "progressPercentage": 10, "estimatedTimeFrame": "~2-5 days"},
    ]}
    assert progress_lines(body) == {"": "status: running", "Publisher signoff": "Publisher signoff: complete 100%",
                                    "Live": "Live: inProgress 10% (estimated ~2-5 days)"}
    assert progress_lines({}) == {"": "status: unknown"}
