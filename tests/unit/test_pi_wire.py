"""Product Ingestion's wire format (:mod:`pulumi_cpp_golive.pi_wire`): pure functions, no HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_cpp_golive.errors import UnusableAnswerError
from pulumi_cpp_golive.pi_wire import (
    job_error_messages,
    job_id_of,
    job_status_location,
    listing_entries,
    listing_location,
    parse_location,
)

GUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
JOB = "11111111-2222-3333-4444-555555555555"


def test_certification_needs_the_invalid_state_code() -> None:
    job = {"errors": [{"code": "badRequest", "message": "certification pending"}]}
    assert job_error_messages(job) == ["badRequest: certification pending"]
    deep: dict[str, Any] = {"code": "x", "message": "m"}
    for _ in range(30):
        deep = {"code": "x", "message": "m", "details": [deep]}
    assert job_error_messages({"errors": [deep]}) == ["x: m"]  # deduplicated, and bounded in depth


def test_recorded_locations_read_back_as_what_they_name() -> None:
    assert parse_location(job_status_location(JOB, "2022-07-01")) == ("job", JOB)
    assert parse_location(listing_location(f"product/{GUID}", "2022-07-01")) == ("submission", GUID)
    with pytest.raises(UnusableAnswerError, match="names neither"):
        parse_location("/configure/../status")


def test_a_job_id_comes_from_the_body_else_from_the_location() -> None:
    assert job_id_of({"jobID": JOB}) == JOB
    assert job_id_of({}, f"/rp/product-ingestion/configure/{JOB}/status") == JOB
    with pytest.raises(UnusableAnswerError, match="not a GUID"):
        job_id_of({"jobId": "not-a-guid"})


def test_only_draft_preview_and_live_entries_of_this_product_count() -> None:
    items: list[dict[str, Any]] = [
        {"id": f"submission/{GUID}/2", "target": {"targetType": "Live"}, "status": "running"},
        {"id": f"submission/{GUID}/0", "target": {"targetType": "draft"}},
        {"id": f"submission/{GUID}/1", "target": {"targetType": "sandbox"}},
        {"id": "submission/another-product/3", "target": {"targetType": "preview"}},
        {"id": f"submission/{GUID}/x", "target": {"targetType": "preview"}},
    ]
    live, draft = listing_entries(items, f"product/{GUID}")
    assert (live.id, live.number, live.target, live.running) == (f"submission/{GUID}/2", 2, "live", True)
    assert (draft.id, draft.target, draft.status) == (f"submission/{GUID}/0", "draft", None)
