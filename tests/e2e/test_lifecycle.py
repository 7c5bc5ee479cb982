"""What a user sees through the real engine: preview has no side effect, up posts once, redeploys are no-ops."""

from __future__ import annotations

import json

from pulumi_cpp_golive.simulator import Simulator

from .conftest import E2E_TOKEN, Stack


def golive_steps(preview_json: str) -> list[str]:
    steps = json.loads(preview_json).get("steps") or []
    return [s["op"] for s in steps if "OfferGoLive" in s.get("urn", "")]


def test_preview_up_redeploy_refresh_replace_destroy(stack: Stack, sim: Simulator) -> None:
    # preview of a new OfferGoLive: the plan shows one create and nothing reaches CPP
    assert golive_steps(stack.preview("--json").stdout) == ["create"]
    assert sim.requests == []

    # up: exactly one go-live POST; outputs and state carry the operation ID; no token in plain text
    stack.up()
    assert sim.count("POST", "/golive") == 1 and sim.count("POST") == 1
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded"
    operation_id = outputs["operation_id"]
    assert operation_id and outputs["completed_at"]
    [resource] = stack.resources()
    assert resource["id"] == f"contoso/vm1/{operation_id}"
    assert resource["outputs"]["operation_id"] == operation_id
    assert E2E_TOKEN not in stack.state_text()
    assert E2E_TOKEN not in json.dumps(stack.export())

    # a second up and preview: no request at all, no change
    sim.reset_counts()
    second = stack.up()
    assert sim.requests == []
    assert "2 unchanged" in second.stdout  # the stack and the OfferGoLive
    quiet = stack.preview("--json").stdout
    assert json.loads(quiet)["changeSummary"] == {"same": 2} and golive_steps(quiet) == []
    assert sim.requests == []

    # refresh: reads only
    stack.run("refresh", "--yes")
    assert sim.count("POST") == 0 and sim.count("GET") >= 1
    assert stack.outputs()["operation_id"] == operation_id

    # a new offer version is published and reaches sign-off; changing triggers replaces: one new go-live
    sim.start_publish("contoso", "vm1")
    sim.complete_now("contoso", "vm1")
    sim.reset_counts()
    stack.config("trigger", "v2")
    assert golive_steps(stack.preview("--json").stdout) == ["replace"]
    assert sim.count("POST") == 0
    stack.up()
    assert sim.count("POST", "/golive") == 1
    new_outputs = stack.outputs()
    assert new_outputs["status"] == "succeeded" and new_outputs["operation_id"] != operation_id

    # destroy: going live cannot be undone; nothing is posted
    sim.reset_counts()
    stack.run("destroy", "--yes")
    assert sim.count("POST") == 0
    assert stack.resources() == []


def test_accepted_then_completed_resumes_without_posting(stack: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 4.0
    stack.config("wait", "accepted")
    stack.up()
    first = stack.outputs()
    assert first["status"] == "running" and first.get("completed_at") is None
    assert sim.count("POST", "/golive") == 1

    stack.config("wait", "completed")
    done = stack.up()
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded"
    assert outputs["operation_id"] == first["operation_id"]
    assert sim.count("POST", "/golive") == 1
    assert "resuming the wait on recorded operation" in done.stdout + done.stderr


def test_failed_operation_fails_up_with_id_and_cpp_message(stack: Stack, sim: Simulator) -> None:
    sim.config.fail_golive = True
    done = stack.up(check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    operation_paths = [r.path for r in sim.requests if "/operations/" in r.path]
    operation_id = operation_paths[-1].rsplit("/", 1)[-1]
    assert f"go-live operation {operation_id}" in text
    assert "ended failed" in text and "simulated failure" in text
    assert sim.count("POST", "/golive") == 1


def test_bad_input_fails_preview_naming_the_property(stack: Stack, sim: Simulator) -> None:
    stack.config("offerId", "")
    done = stack.preview(check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "offer_id must not be empty" in text
    assert sim.requests == []


def test_progress_reaches_the_user(stack: Stack, sim: Simulator) -> None:
    done = stack.up()
    assert sim.count("POST") == 1
    assert "go-live accepted: operation" in done.stdout
    assert "Live: inProgress" in done.stdout or "status: running" in done.stdout
