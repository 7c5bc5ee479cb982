"""A deployment killed or interrupted during the wait resumes the same go-live: never a second POST."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from pulumi_cpp_golive.simulator import Simulator

from .conftest import Stack, wait_for


def _polling(sim: Simulator) -> bool:
    return any("/operations/" in r.path for r in sim.requests)


def _process_tree(pid: int) -> list[int]:
    table = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        if line.strip():
            child, parent = map(int, line.split())
            children.setdefault(parent, []).append(child)
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _recover_and_up(stack: Stack) -> None:
    """The documented recovery after a killed deployment (README, "When a deployment is killed")."""
    stack.run("cancel", "--yes")  # releases the dead run's stack lock
    stack.run("refresh", "--clear-pending-creates", "--yes")  # forgets the create that never finished
    stack.up()


def test_sigkill_during_wait_then_recovery_posts_once(stack: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 6.0
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: _polling(sim), "the provider to poll the operation", proc=up)
    # A CI job killed outright: the CLI and every plugin process under it die at once.
    for pid in _process_tree(up.pid):
        os.kill(pid, signal.SIGKILL)
    up.wait(timeout=30)
    assert sim.count("POST", "/golive") == 1

    _recover_and_up(stack)
    outputs = stack.outputs()
    assert outputs["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1
    assert not stack.export()["deployment"].get("pending_operations")


def test_double_ctrl_c_exits_fast_and_the_next_up_adopts(stack: Stack, sim: Simulator) -> None:
    sim.config.golive_seconds = 30.0
    up = stack.start("up", "--yes", "--skip-preview")
    wait_for(lambda: _polling(sim), "the provider to poll the operation", proc=up)
    # As a terminal sends it: SIGINT to the CLI's whole process group (plugins have groups of their own).
    os.killpg(up.pid, signal.SIGINT)
    time.sleep(1.0)  # a person's pause between the two presses, not a synchronisation
    assert up.poll() is None, "the first Ctrl-C waits for running creates"
    second = time.monotonic()
    os.killpg(up.pid, signal.SIGINT)
    up.wait(timeout=30)
    assert time.monotonic() - second < 30
    assert up.returncode != 0
    assert sim.count("POST", "/golive") == 1

    sim.complete_now("contoso", "vm1")
    _recover_and_up(stack)
    assert stack.outputs()["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1
