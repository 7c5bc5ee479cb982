"""The provider plugin (PulumiPlugin.yaml) through the real engine: what it adds over the dynamic provider."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, PLUGIN_PROGRAM, ROOT, USE_PLUGIN, Stack, wait_for

RESULTS = ROOT / "benchmarks" / "e2e-plugin-latest.json"


@pytest.fixture
def plugin_stack(tmp_path: Path, pulumi_bin: Path, sim: Simulator) -> Stack:
    return Stack(tmp_path, pulumi_bin, sim, program=PLUGIN_PROGRAM, project_yaml=USE_PLUGIN)


def golive_resources(stack: Stack) -> list[dict[str, Any]]:
    return stack.resources("cpp-golive:index:OfferGoLive")


def test_schema_is_served_from_the_repository_root(plugin_stack: Stack) -> None:
    done = plugin_stack.run("package", "get-schema", str(ROOT))
    schema = json.loads(done.stdout)
    resource = schema["resources"]["cpp-golive:index:OfferGoLive"]
    assert schema["name"] == "cpp-golive"
    assert set(resource["inputProperties"]) == {"publisherId", "offerId", "api", "triggers", "wait",
                                                "pollIntervalSeconds", "timeoutSeconds", "notificationEmails",
                                                "previewSubmissionId"}
    assert {"operationId", "operationLocation", "status", "acceptedAt", "completedAt", "productId",
            "submissionId"} <= set(resource["properties"])
    publish = schema["resources"]["cpp-golive:index:OfferPublish"]
    assert set(publish["inputProperties"]) == {"publisherId", "offerId", "api", "triggers", "wait",
                                               "pollIntervalSeconds", "timeoutSeconds", "notificationEmails"}
    assert {"operationId", "status", "submissionId"} <= set(publish["properties"])
    assert schema["config"]["variables"]["accessToken"]["secret"] is True
    assert schema["config"]["variables"]["productIngestionToken"]["secret"] is True
    assert all(len(p["description"]) > 20 for p in resource["inputProperties"].values())


def test_preview_up_redeploy_destroy(plugin_stack: Stack, sim: Simulator) -> None:
    preview = json.loads(plugin_stack.preview("--json").stdout)
    assert [s["op"] for s in preview["steps"] if "OfferGoLive" in s["urn"]] == ["create"]
    assert sim.requests == []
    up = plugin_stack.up()
    assert sim.count("POST", "/golive") == 1
    assert plugin_stack.outputs()["status"] == "succeeded"
    # progress reached the resource's own row, through the engine's log channel
    assert "cpp-golive:index:OfferGoLive (golive-0):" in up.stdout and "go-live accepted" in up.stdout
    sim.reset_counts()
    plugin_stack.up()
    plugin_stack.preview()
    assert sim.requests == []
    plugin_stack.run("destroy", "--yes")
    assert sim.count("POST") == 0 and golive_resources(plugin_stack) == []


def _recorded(stack: Stack) -> dict[str, Any]:
    [resource] = golive_resources(stack)
    return resource


def test_failed_operation_keeps_its_id_in_state(plugin_stack: Stack, sim: Simulator) -> None:
    sim.config.fail_golive = True
    done = plugin_stack.up(check=False)
    assert done.returncode != 0 and "simulated failure" in done.stdout + done.stderr
    recorded = _recorded(plugin_stack)
    operation_id = recorded["outputs"]["operationId"]
    assert recorded["id"] == f"contoso/vm1/{operation_id}"
    assert recorded["outputs"]["status"] == "failed"
    assert any(operation_id in reason for reason in recorded.get("initErrors", []))
    sim.reset_counts()
    # The engine re-runs the errored resource as an update: it fails again, naming the operation; nothing is posted.
    again = plugin_stack.up(check=False)
    assert again.returncode != 0 and operation_id in again.stdout and "not posted again" in again.stdout
    assert sim.count("POST") == 0 and sim.requests == []
    assert _recorded(plugin_stack)["outputs"]["status"] == "failed"


@pytest.mark.parametrize("how", ["timeoutSeconds", "customTimeouts"])
def test_timeout_keeps_the_id_and_the_next_up_resumes(plugin_stack: Stack, sim: Simulator, how: str) -> None:
    sim.config.golive_seconds = 8.0
    if how == "timeoutSeconds":
        plugin_stack.config("timeoutSeconds", "1")
    else:
        plugin_stack.config("createTimeout", "1s")
    done = plugin_stack.up(check=False)
    assert done.returncode != 0 and "re-run `pulumi up` to resume" in done.stdout + done.stderr
    recorded = _recorded(plugin_stack)
    assert recorded["outputs"]["status"] == "running" and recorded["outputs"]["operationId"]
    assert sim.count("POST", "/golive") == 1

    if how == "timeoutSeconds":
        plugin_stack.run("config", "rm", "timeoutSeconds")
    resumed = plugin_stack.up()
    assert "resuming the wait on recorded operation" in resumed.stdout
    assert _recorded(plugin_stack)["outputs"]["status"] == "succeeded"
    assert _recorded(plugin_stack)["outputs"]["operationId"] == recorded["outputs"]["operationId"]
    assert sim.count("POST", "/golive") == 1


def test_ctrl_c_cancels_the_wait_promptly_and_keeps_the_id(plugin_stack: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 120.0
    up = plugin_stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: any("/operations/" in r.path for r in sim.requests), "the wait to start", proc=up)
    pressed = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)  # one Ctrl-C: the engine's Cancel reaches the plugin
    up.wait(timeout=60)
    assert time.monotonic() - pressed < 30
    recorded = _recorded(plugin_stack)
    assert recorded["outputs"]["operationId"] and recorded["outputs"]["status"] == "running"
    sim.complete_now("contoso", "vm1")
    plugin_stack.up()
    assert _recorded(plugin_stack)["outputs"]["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1


def test_import_adopts_an_existing_golive_without_posting(plugin_stack: Stack, sim: Simulator) -> None:
    operation_id = sim.start_golive("contoso", "vm1")
    sim.complete_now("contoso", "vm1")
    plugin_stack.run("import", "cpp-golive:index:OfferGoLive", "imported", f"contoso/vm1/{operation_id}", "--yes",
                     "--protect=false", "--generate-code=false")
    [resource] = golive_resources(plugin_stack)
    assert resource["id"] == f"contoso/vm1/{operation_id}"
    assert resource["outputs"]["status"] == "succeeded"
    assert sim.count("POST") == 0


def _timed_up(stack: Stack) -> float:
    started = time.monotonic()
    stack.up("--parallel", "256")
    return time.monotonic() - started


def test_hundred_offers_take_about_one_golive(tmp_path: Path, pulumi_bin: Path) -> None:
    with Simulator(SimulatorConfig(token=E2E_TOKEN, golive_seconds=10.0)) as sim:
        for index in range(100):
            sim.add_offer("contoso", f"vm{index}", state="ready")
        single = Stack(tmp_path / "one", pulumi_bin, sim, program=PLUGIN_PROGRAM, project_yaml=USE_PLUGIN)
        many = Stack(tmp_path / "many", pulumi_bin, sim, program=PLUGIN_PROGRAM, project_yaml=USE_PLUGIN)
        for stack in (single, many):
            stack.config("cpp-golive:pollInterval", "1")
        many.config("count", "100")
        single_seconds = _timed_up(single)
        sim.add_offer("contoso", "vm1", state="ready")  # the single stack sent vm1 live
        many_seconds = _timed_up(many)
        assert sim.count("POST", "/golive") == 101
        assert set(many.outputs().values()) == {"succeeded"}
    ratio = many_seconds / single_seconds
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"plugin_100_offers_seconds": round(many_seconds, 1),
                                   "plugin_1_offer_seconds": round(single_seconds, 1),
                                   "ratio": round(ratio, 2), "golive_seconds": 10.0}, indent=2) + "\n")
    print(f"plugin: 100 offers {many_seconds:.1f} s, 1 offer {single_seconds:.1f} s, ratio {ratio:.2f}")
    assert ratio <= 1.5


def test_preview_names_a_changed_trigger_as_the_replace_reason(plugin_stack: Stack, sim: Simulator) -> None:
    """A trigger change replaces the resource (a new go-live): the preview says which input, `--diff` its old and
    new values, and nothing is sent."""
    plugin_stack.up()
    sim.reset_counts()
    plugin_stack.config("trigger", "v2")
    preview = plugin_stack.preview()
    assert "[diff: ~triggers]" in preview.stdout, preview.stdout
    detailed = plugin_stack.preview("--diff")
    [triggers] = [line for line in detailed.stdout.splitlines() if "triggers" in line]
    assert "~ triggers" in triggers, detailed.stdout
    old_and_new = detailed.stdout[detailed.stdout.index("triggers"):]
    assert '"v1"' in old_and_new and '"v2"' in old_and_new, detailed.stdout
    assert sim.requests == []


def test_bad_provider_config_fails_up_front_naming_each_key(plugin_stack: Stack, sim: Simulator) -> None:
    """CheckConfig: every bad value named with its key and range at once, a misspelt key warned about with the
    nearest setting, and no Python traceback; nothing is sent."""
    plugin_stack.config("cpp-golive:pollInterval", "0.1")
    plugin_stack.config("cpp-golive:requestTimeout", "soon")
    plugin_stack.config("cpp-golive:basUrl", sim.url)
    done = plugin_stack.preview(check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "cpp-golive:pollInterval must be between 0.25 and 86400" in text, text
    assert "cpp-golive:requestTimeout" in text and "'soon'" in text, text
    assert "cpp-golive:basUrl is not a setting of this provider and is ignored; did you mean cpp-golive:baseUrl?" \
        in text, text
    # No traceback of ours (the engine then stops the program, whose runner prints its own KeyboardInterrupt).
    assert "pulumi_cpp_golive" not in text and "Unexpected <class" not in text, text
    assert sim.requests == []


def test_a_token_set_without_secret_is_kept_encrypted(plugin_stack: Stack, sim: Simulator) -> None:
    plugin_stack.run("config", "set", "--plaintext", "cpp-golive:accessToken", E2E_TOKEN)
    plugin_stack.up()
    assert sim.count("POST", "/golive") == 1
    assert E2E_TOKEN not in json.dumps(plugin_stack.export()), "the token is in the stack's state in plain text"
    checkpoints = [p for p in plugin_stack.backend.rglob("*") if p.is_file() and "stacks" in p.parts]
    assert checkpoints and all(E2E_TOKEN not in p.read_text(errors="replace") for p in checkpoints)
    # Pulumi itself copies plain-text stack config into its update history (the README says so): only --secret
    # keeps it out of there.


def test_step_changes_pass_and_the_summary_keeps_one_outcome_per_resource(plugin_stack: Stack,
                                                                         sim: Simulator) -> None:
    """Each step change is shown while it is news (an ephemeral log line); the Diagnostics block at the end keeps
    the lasting lines only: accepted, and the outcome."""
    up = plugin_stack.up()
    assert sim.count("POST", "/golive") == 1
    shown, summary = up.stdout.split("Diagnostics:", 1)
    assert "Validate Pre-Requisites" in shown or "status: running" in shown, shown
    summary = summary.split("Outputs:", 1)[0]
    assert "go-live accepted: operation" in summary and "succeeded: the offer is live" in summary, summary
    assert "status: running" not in summary and "Publisher signoff" not in summary, summary


def test_import_of_an_id_the_api_does_not_know_fails(plugin_stack: Stack, sim: Simulator) -> None:
    """`pulumi import` of an operation no API returns: the import fails saying so, and the stack records nothing."""
    unknown = "contoso/vm1/00000000-0000-0000-0000-000000000000"
    done = plugin_stack.run("import", "cpp-golive:index:OfferGoLive", "imported", unknown, "--yes",
                            "--protect=false", "--generate-code=false", check=False)
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "the CPP API does not know go-live operation 00000000-0000-0000-0000-000000000000" in text, text
    assert "1 imported" not in text
    assert golive_resources(plugin_stack) == []
    assert sim.count("POST") == 0
