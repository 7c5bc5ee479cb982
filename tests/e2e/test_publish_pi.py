"""OfferPublish through the real engine, continued (test_publish.py has the release flow and the killed run):
on Product Ingestion a go-live pinned to the stack's preview refuses once someone published a newer one, naming
both and posting nothing; a publish killed during its wait that reached the preview before the next `up` is not
posted again; and getOfferStatus reports a publish while it runs as `publishing`, then `preview-ready`,
on both APIs, through the plugin's invoke (SDK) and the dynamic provider's plain function."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from pulumi_cpp_golive.simulator import Simulator

from . import test_publish
from .conftest import USE_PLUGIN, Stack, wait_for
from .pi_support import use_pi
from .test_publish import (
    ADAPTERS,
    GOLIVE_KEY,
    PUBLISH_KEY,
    SUBMISSION,
    Clock,
    cpp_publishes,
    finish,
    kill_tree,
    offer,
    polls,
    posts,
    publish_stack,
    text,
)

# The fixtures of test_publish.py (a fixture defined in a test module is only seen there).
clock = test_publish.clock
sim = test_publish.sim

PI = "product-ingestion"
STATUS_PROGRAM = Path(__file__).resolve().parent / "status_program"


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_stale_preview_submission_refuses_the_golive(adapter: str, tmp_path: Path, pulumi_bin: Path,
                                                     sim: Simulator) -> None:
    guid = offer(sim, PI)
    stack = publish_stack(tmp_path, pulumi_bin, sim, adapter, PI)
    stack.up()
    assert posts(sim) == {PUBLISH_KEY[PI]: 1}
    ours = stack.outputs()["preview_submission_id"]
    assert ours == f"submission/{guid}/2"

    # Someone edits the draft and publishes it to preview: a newer preview than the one this stack published.
    sim.edit_draft("vm1")
    newer = sim.publish_preview("vm1")
    found = SUBMISSION.fullmatch(newer)
    assert found and int(found.group(2)) > 2, newer

    sim.reset_counts()
    stack.config("goLive", "true")
    done = stack.up(check=False)
    assert done.returncode != 0
    assert ours in text(done) and newer in text(done), text(done)
    assert "previewSubmissionId" in text(done), text(done)
    assert posts(sim) == {}, sim.counts()
    assert stack.resources("OfferGoLive") == [] or all(
        r["outputs"].get("status") != "succeeded" for r in stack.resources("OfferGoLive"))


# Each route of getOfferStatus on each API; the publish is made through the matching adapter.
ROUTES = [("cpp", "sdk"), ("cpp", "dynamic"), (PI, "sdk"), (PI, "dynamic")]


def status_stack(workdir: Path, pulumi_bin: Path, sim: Simulator, api: str, route: str) -> Stack:
    stack = Stack(workdir, pulumi_bin, sim, program=STATUS_PROGRAM, project_yaml=USE_PLUGIN)
    stack.config("adapter", route)
    stack.config("offers", "vm1")
    if api == PI:
        use_pi(stack, sim)
    return stack


@pytest.mark.parametrize(("api", "route"), ROUTES)
def test_offer_status_while_a_publish_runs_then_once_the_preview_is_ready(
        api: str, route: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator, clock: Clock) -> None:
    sim.config.publish_seconds = sim.config.pi_job_seconds = 3600.0  # until the test moves the clock
    offer(sim, api, published=False)
    publisher = publish_stack(tmp_path / "publish", pulumi_bin, sim, "plugin" if route == "sdk" else "dynamic", api)
    status = status_stack(tmp_path / "status", pulumi_bin, sim, api, route)
    assert sim.requests == []

    up = publisher.start("up", "--yes", "--skip-preview")
    wait_for(lambda: posts(sim).get(PUBLISH_KEY[api], 0) == 1 and polls(sim, api) > 0,
             "the publish POST and a poll of it", proc=up)
    status.up()
    assert status.outputs()["states"] == {"vm1": "publishing"}

    clock.advance(3601.0)  # the publish reaches the preview (CPP: publisher sign-off)
    finish(up)
    assert publisher.outputs()["publish_status"] == "succeeded"
    status.up()
    assert status.outputs()["states"] == {"vm1": "preview-ready"}
    # the status reads posted nothing: the one publish is the only POST
    assert posts(sim) == {PUBLISH_KEY[api]: 1}, sim.counts()
    assert GOLIVE_KEY[api] not in posts(sim)


@pytest.mark.parametrize("api", ["cpp", PI])
def test_publish_killed_whose_preview_became_ready_meanwhile_is_not_posted_again(
        api: str, tmp_path: Path, pulumi_bin: Path, sim: Simulator, clock: Clock) -> None:
    """As for the go-live (README: killed runs are "handled as for the go-live", "never re-posted"): the publish the
    killed run posted reached the preview while no run watched; the next `up` must not publish again."""
    sim.config.publish_seconds = sim.config.pi_job_seconds = 3600.0
    guid = offer(sim, api)
    stack = publish_stack(tmp_path, pulumi_bin, sim, "dynamic", api)
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: posts(sim).get(PUBLISH_KEY[api], 0) == 1 and polls(sim, api) > 0,
             "the publish POST and a poll of it", proc=up)
    kill_tree(up)
    assert up.returncode == -signal.SIGKILL
    posted = cpp_publishes(sim)[0]["id"] if api == "cpp" else f"submission/{guid}/2"
    clock.advance(3601.0)  # the preview is ready (CPP: waiting at publisher sign-off) before anyone looks again

    sim.reset_counts()
    stack.run("cancel", "--yes")
    stack.run("refresh", "--clear-pending-creates", "--yes")
    resumed = stack.start("up", "--yes", "--skip-preview")
    # CPP: the offer has not changed since the killed run's publish started, so it is recorded, not posted again.
    # Product Ingestion cannot tell from its listing: one POST, which the service refuses as having nothing new,
    # and the preview that holds the draft is the result (README, Limits). Either way no second certification.
    allowed = {} if api == "cpp" else {PUBLISH_KEY[api]: 1}
    if allowed:
        wait_for(lambda: resumed.poll() is not None or bool(posts(sim)), "the refused POST", timeout=120)
        clock.advance(3601.0)  # the refused job completes
    wait_for(lambda: resumed.poll() is not None or len(posts(sim)) > len(allowed) or any(
        posts(sim).get(key, 0) > n for key, n in allowed.items()), "the next up to end", timeout=120)
    if resumed.poll() is None:  # it posted more than allowed (and would wait an hour on it): stop it, fail saying so
        kill_tree(resumed)
        out = resumed.stdout.read() if resumed.stdout else ""
        assert posts(sim) == allowed, f"the next up posted again: {sim.counts()}\n{out}"
    finish(resumed)
    assert posts(sim) == allowed
    outputs = stack.outputs()
    assert outputs["publish_status"] == "succeeded", outputs
    if api == "cpp":
        assert outputs["publish_operation_id"] == posted, outputs
    else:
        assert outputs["preview_submission_id"] == posted, outputs
