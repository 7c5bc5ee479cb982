"""Issue 16, Product Ingestion: what a hostile or lying server answers, and what the provider must still hold.

Each test drives the provider (the dynamic one; the plugin too where the adapter matters) against the scripted
server of :mod:`.hostile`, and asserts the POSTs sent, what the user sees, and that no secret reached an output.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any, Callable

import pytest

from .fake_apis import (
    JOB_ID,
    PRODUCT_GUID,
    TOKEN,
    FakePi,
    create,
    new_guid,
    pi_inputs,
    pi_plugin,
    pi_provider,
    pi_submission,
    plugin_create,
    plugin_update,
)
from .fake_apis import pi as pi
from .fake_apis import server as server
from .hostile import Reply, Request, Wire


def completes_at_once(pi: FakePi) -> None:
    """The posted go-live's job and rollout end at once (a go-live that succeeded)."""
    accept = pi.accept

    def accepted(request: Request, job_id: str = JOB_ID) -> dict[str, Any]:
        job = accept(request, job_id)
        with pi.lock:
            pi.submissions[-1]["status"] = "completed"
        return job

    pi.accept = accepted  # type: ignore[method-assign]


def no_secret_in(outputs: dict[str, Any], text: str = "") -> None:
    blob = repr(outputs) + text
    for spelling in (TOKEN, TOKEN.encode().hex(), base64.b64encode(TOKEN.encode()).decode()[:-2]):
        assert spelling not in blob


# ---- 3: secrets echoed in other spellings ---------------------------------------------------------------------

ENCODINGS: dict[str, Callable[[str], str]] = {
    "percent-lower": lambda t: "".join(f"%{b:02x}" for b in t.encode()),
    "percent-upper": lambda t: "".join(f"%{b:02X}" for b in t.encode()),
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "base64-inside": lambda t: base64.b64encode(b'{"token":"' + t.encode() + b'"}').decode(),
    "base64url": lambda t: base64.urlsafe_b64encode(b"Bearer " + t.encode()).decode().rstrip("="),
    "hex": lambda t: t.encode().hex(),
    "hex-upper": lambda t: t.encode().hex().upper(),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_3_a_403_echoing_the_token_encoded_shows_no_form_of_it(pi: FakePi, encoding: str) -> None:
    echoed = ENCODINGS[encoding](TOKEN)
    pi.server.routes[("GET", "/pi/product")] = lambda r, w: Reply(
        403, {"error": {"code": "forbidden", "message": f"token {echoed} is not allowed"}})
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is None and "HTTP 403 forbidden" in error
    assert echoed not in error and "***" in error
    no_secret_in({}, error)
    assert pi.posts() == 0


def test_18_a_token_cut_at_the_edge_of_a_shortened_body_is_masked(pi: FakePi) -> None:
    body = "x" * (300 - 20) + TOKEN + " trailing words"  # cut to 300 characters: 20 of the token's remain
    pi.server.routes[("GET", "/pi/product")] = lambda r, w: Reply(403, body, [("Content-Type", "text/plain")])
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is None and "HTTP 403" in error
    assert TOKEN[:12] not in error and "***" in error


# ---- 4 and 10: the job ID of the POST's answer ------------------------------------------------------------------

@pytest.mark.parametrize("adapter", ["dynamic", "plugin"])
def test_4_a_job_id_that_is_the_token_is_never_recorded_and_the_go_live_is_adopted(
        pi: FakePi, adapter: str) -> None:
    completes_at_once(pi)

    def configure(request: Request, wire: Wire) -> Reply:
        pi.accept(request)
        return Reply(202, {"jobId": TOKEN, "jobStatus": "notStarted"})

    pi.server.routes[("POST", "/pi/configure")] = configure
    if adapter == "dynamic":
        outputs, error = create(pi_provider(pi), pi_inputs())
        assert outputs is not None, error
        status, submission = outputs["status"], outputs["submission_id"]
    else:
        outputs, error = plugin_create(pi_plugin(pi), api="product-ingestion")
        assert error == "" and outputs is not None, error
        status, submission = outputs["status"], outputs["submissionId"]
    assert pi.posts() == 1
    assert status == "succeeded" and submission == f"submission/{PRODUCT_GUID}/1"
    no_secret_in(outputs, error)
    assert not any(TOKEN in r.path for r in pi.server.seen())  # never polled as a job


@pytest.mark.parametrize("answer", [
    {"headers": [("Location", f"/pi/configure/{JOB_ID}/status")], "body": {"jobStatus": "notStarted"}},
    {"headers": [], "body": {"JobId": JOB_ID}},
    {"headers": [], "body": {"id": JOB_ID}},
], ids=["Location", "JobId", "id"])
def test_10_a_job_id_in_another_spelling_is_recorded(pi: FakePi, answer: dict[str, Any]) -> None:
    completes_at_once(pi)

    def configure(request: Request, wire: Wire) -> Reply:
        pi.accept(request)
        return Reply(202, answer["body"], list(answer["headers"]))

    pi.server.routes[("POST", "/pi/configure")] = configure
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is not None, error
    assert outputs["operation_id"] == JOB_ID and outputs["operation_location"].startswith(f"/configure/{JOB_ID}/")
    assert pi.server.count("GET", f"/configure/{JOB_ID}/status") >= 1 and pi.posts() == 1


# ---- 7 and 8: the job's answers ----------------------------------------------------------------------------------

def test_7_a_failed_job_with_60000_errors_ends_in_bounded_time(pi: FakePi) -> None:
    errors = [{"code": "invalidResource", "message": f"problem {n}"} for n in range(60_000)]

    def configure(request: Request, wire: Wire) -> Reply:
        job = pi.accept(request)
        job.update(jobStatus="completed", jobResult="failed", errors=errors)
        return Reply(202, job)

    pi.server.routes[("POST", "/pi/configure")] = configure
    started = time.monotonic()
    outputs, error = create(pi_provider(pi), pi_inputs(timeout_seconds=10))
    elapsed = time.monotonic() - started
    assert outputs is None and JOB_ID in error and "problem 0" in error and "problem 49" in error
    assert "problem 50;" not in error and "problem 59999" not in error
    assert elapsed < 8.0, elapsed


def test_8_a_status_answer_naming_another_job_is_not_believed(pi: FakePi) -> None:
    completes_at_once(pi)
    lies = {"left": 2}

    def status(request: Request, wire: Wire) -> Reply:
        if lies["left"]:
            lies["left"] -= 1
            return Reply(200, {"jobId": new_guid(), "jobStatus": "completed", "jobResult": "failed",
                               "errors": [{"code": "other", "message": "someone else's failure"}]})
        return pi.status(request, wire)

    pi.server.routes[("GET", "/pi/configure/*")] = status
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is not None and "someone else's failure" not in error, error
    assert outputs["status"] == "succeeded" and outputs["operation_id"] == JOB_ID
    assert lies["left"] == 0 and pi.posts() == 1


# ---- 9: which live entry is ours ---------------------------------------------------------------------------------

def test_9_an_older_go_live_still_running_is_waited_out_then_the_new_preview_is_sent(pi: FakePi) -> None:
    completes_at_once(pi)
    pi.submissions[:] = [pi_submission(2, "preview"), pi_submission(2, "live", status="running", result="pending"),
                         pi_submission(3, "preview")]

    def finish_older() -> None:
        with pi.lock:
            pi.submissions[1].update(status="completed", result="succeeded")

    timer = threading.Timer(1.0, finish_older)
    timer.start()
    try:
        outputs, error = create(pi_provider(pi, adoptTimeout=10), pi_inputs())
    finally:
        timer.cancel()
    assert outputs is not None, error
    assert outputs["submission_id"] == f"submission/{PRODUCT_GUID}/3" and outputs["status"] == "succeeded"
    [post] = [r for r in pi.server.seen() if r.method == "POST"]
    assert post.json()["resources"][0]["id"] == f"submission/{PRODUCT_GUID}/3"


def test_9_an_older_go_live_that_does_not_end_is_refused_naming_both(pi: FakePi) -> None:
    pi.submissions[:] = [pi_submission(2, "live", status="running", result="pending"), pi_submission(3, "preview")]
    outputs, error = create(pi_provider(pi, adoptTimeout=1), pi_inputs())
    assert outputs is None and pi.posts() == 0
    assert f"submission/{PRODUCT_GUID}/2" in error and f"submission/{PRODUCT_GUID}/3" in error
    assert "Nothing was posted" in error and "live" not in error.split("Nothing")[1]


def test_9_a_submission_number_that_is_not_ascii_digits_is_never_taken(pi: FakePi) -> None:
    completes_at_once(pi)
    odd = [f"submission/{PRODUCT_GUID}/²", f"submission/{PRODUCT_GUID}/{'9' * 5000}"]
    pi.submissions[:] = [pi_submission(1, "preview"), *({**pi_submission(1, "preview"), "id": i} for i in odd)]
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is not None, error
    assert outputs["submission_id"] == f"submission/{PRODUCT_GUID}/1" and pi.posts() == 1


# ---- 11 and 12: which product is the offer -----------------------------------------------------------------------

def test_11_two_products_with_the_offer_id_are_refused_naming_both(pi: FakePi) -> None:
    other = new_guid()
    pi.products.append({"id": f"product/{other}", "identity": {"externalId": "VM1"}})
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is None and pi.posts() == 0
    assert f"product/{PRODUCT_GUID}" in error and f"product/{other}" in error and "2 products" in error


def test_12_products_listed_without_the_external_id_are_named(pi: FakePi) -> None:
    pi.products[:] = [{"id": f"product/{PRODUCT_GUID}", "externalIds": [{"type": "AzureOfferId", "value": "vm1"}]}]
    outputs, error = create(pi_provider(pi), pi_inputs())
    assert outputs is None and pi.posts() == 0
    assert f"listed 1 product(s) for the external ID 'vm1' (product/{PRODUCT_GUID})" in error
    assert "identity.externalId" in error


# ---- 22: an ambiguous POST, and the run after it -----------------------------------------------------------------

def test_22_a_502_after_the_go_live_started_is_never_called_safe_to_rerun(pi: FakePi) -> None:
    pi.list_golive = False  # the listing lags past this run's adoptTimeout

    def configure(request: Request, wire: Wire) -> Reply:
        pi.accept(request)
        return Reply(502, "<html>Bad Gateway</html>", [("Content-Type", "text/html")])

    pi.server.routes[("POST", "/pi/configure")] = configure
    outputs, error = create(pi_provider(pi, adoptTimeout=1), pi_inputs())
    assert outputs is None and pi.posts() == 1
    assert "HTTP 502" in error and "may have been started" in error and "safe" not in error


def test_22_plugin_records_the_ambiguous_post_and_the_next_up_looks_before_posting(pi: FakePi) -> None:
    completes_at_once(pi)
    pi.list_golive = False

    def configure(request: Request, wire: Wire) -> Reply:
        pi.accept(request)
        return Reply(502, "<html>Bad Gateway</html>", [("Content-Type", "text/html")])

    pi.server.routes[("POST", "/pi/configure")] = configure
    provider = pi_plugin(pi, adoptTimeout=1)
    state, error = plugin_create(provider, api="product-ingestion")
    assert "HTTP 502" in error and "the next `pulumi up` looks for it for up to 1 s" in error
    assert state is not None  # partial state, not a plain failure
    assert state["operationId"] == "unconfirmed" and state["status"] == "running"
    assert pi.posts() == 1

    # The listing catches up 1.5 s into the next run, which looks for up to 3 s before it would post.
    def listed() -> None:
        with pi.lock:
            pi.submissions.append({**pi_submission(1, "live")})

    timer = threading.Timer(1.5, listed)
    timer.start()
    try:
        outputs, error = plugin_update(pi_plugin(pi, adoptTimeout=3), state)
    finally:
        timer.cancel()
    assert error == "", error
    assert pi.posts() == 1  # adopted, not posted again
    assert outputs["status"] == "succeeded" and outputs["submissionId"] == f"submission/{PRODUCT_GUID}/1"
