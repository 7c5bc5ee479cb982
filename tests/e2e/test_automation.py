"""examples/automation/fleet.py, run as a user runs it (a subprocess of the checkout's Python), against the
simulator in process, with a local file backend: one stack per offer, N at a time, re-runs that send nothing,
shards, the errors a user meets first, a failing offer, and Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import E2E_TOKEN, ROOT, user_shell_env, wait_for

FLEET = ROOT / "examples" / "automation" / "fleet.py"
PYTHON = ROOT / ".venv" / "bin" / "python"
OFFERS = [f"vm{i}" for i in range(5)]
# An offer's requests name it in their path: /api/publishers/contoso/offers/vm3/...
OFFER_IN_PATH = re.compile(r"/offers/(?P<offer>[^/]+)/")
RUN_TIMEOUT = 600.0  # one fleet.py run, at most (a deadline, not a pace: a quiet machine takes well under a minute)


@pytest.fixture
def fleet_sim() -> Iterator[Simulator]:
    """Five offers ready for go-live; a go-live takes 3 s, so that two stacks at once overlap at the simulator."""
    with Simulator(SimulatorConfig(token=E2E_TOKEN, golive_seconds=3.0)) as simulator:
        for offer in OFFERS:
            simulator.add_offer("contoso", offer, state="ready")
        yield simulator


def run_fleet(env: dict[str, str], *args: str, sim: Simulator | None = None) -> subprocess.CompletedProcess[str]:
    base = ["--base-url", sim.url, "--poll-interval", "0.5"] if sim is not None else []
    return subprocess.run([str(PYTHON), str(FLEET), *base, *args], env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, check=False)


def rows(stdout: str, status: str) -> dict[str, str]:
    """offer ID -> operation ID of the table lines with ``status`` (the last such line of each offer)."""
    found = {}
    pattern = re.compile(rf"^contoso/(?P<offer>\S+)\s+{re.escape(status)}\s+(?P<operation>\S+)", re.M)
    for match in pattern.finditer(stdout):
        found[match.group("offer")] = match.group("operation")
    return found


def final_table(stdout: str) -> str:
    """The table fleet.py prints once more at the end (after a blank line), before the summary."""
    return stdout.rsplit("\nOFFER", 1)[1].split("\nsummary:", 1)[0]


def offer_status(sim: Simulator, offer: str) -> str:
    request = urllib.request.Request(f"{sim.url}/api/publishers/contoso/offers/{offer}/status?api-version=2017-10-31",
                                     headers={"Authorization": f"Bearer {E2E_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(json.load(answer)["status"])


def most_offers_at_once(sim: Simulator) -> int:
    """The most offers whose requests were in progress together at the simulator: an offer counts from its first
    request (the survey before the POST) to its last (the poll that saw it live), in arrival order."""
    spans: dict[str, list[int]] = {}
    for index, request in enumerate(sim.requests):
        match = OFFER_IN_PATH.search(request.path)
        if match:
            spans.setdefault(match.group("offer"), [index, index])[1] = index
    edges = sorted([(first, 1) for first, _ in spans.values()] + [(last, -1) for _, last in spans.values()],
                   key=lambda edge: (edge[0], -edge[1]))  # one index can be a start and an end: count it open
    most = running = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_fleet_sends_each_offer_live_once_two_at_a_time_and_a_rerun_sends_nothing(
        tmp_path: Path, pulumi_bin: Path, fleet_sim: Simulator) -> None:
    env = user_shell_env(tmp_path, pulumi_bin)
    offers_file = tmp_path / "offers.txt"
    offers_file.write_text("# the release train\n" + "".join(f"contoso/{offer}\n" for offer in OFFERS) + "\n")

    first = run_fleet(env, "--offers-file", str(offers_file), "--parallel", "2", sim=fleet_sim)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert out.startswith(f"fleet: 5 offers, 2 at a time, api cpp, backend {env['PULUMI_BACKEND_URL']}\n"), out
    assert re.search(r"^OFFER\s+STATUS\s+OPERATION\s+TIME$", out, re.M), out
    # Exactly one go-live POST per offer, and every offer live at the simulator.
    assert fleet_sim.count("POST", "/golive") == 5
    assert {offer: fleet_sim.count("POST", f"/offers/{offer}/golive") for offer in OFFERS} == dict.fromkeys(OFFERS, 1)
    # Never more than 2 offers in progress at the simulator at once, and 2 at once did happen.
    assert most_offers_at_once(fleet_sim) == 2
    # The live table: each offer's stack started, got its operation ID while waiting, and ended live; the ID shown
    # is the operation the simulator was polled for.
    live = rows(final_table(out), "live")
    assert sorted(live) == OFFERS, out
    assert set(rows(out, "running")) == set(OFFERS), out
    assert rows(out, "going live") == live, out
    polled = {OFFER_IN_PATH.search(r.path).group("offer"): r.path.rsplit("/", 1)[1]  # type: ignore[union-attr]
              for r in fleet_sim.requests if "/operations/" in r.path}
    assert polled == live
    assert "\nsummary: 5 offers: 5 live, 0 already live, 0 failed (" in out, out
    assert [offer_status(fleet_sim, offer) for offer in OFFERS] == ["succeeded"] * 5

    # The second run: every stack's state holds its operation, so each `up` is a no-op that sends nothing.
    fleet_sim.reset_counts()
    second = run_fleet(env, "--offers-file", str(offers_file), "--parallel", "2", sim=fleet_sim)
    assert second.returncode == 0, second.stdout + second.stderr
    assert fleet_sim.count("POST") == 0
    assert fleet_sim.count() == 0, fleet_sim.counts()
    assert rows(final_table(second.stdout), "already live") == live, second.stdout
    assert "going live" not in second.stdout
    assert "\nsummary: 5 offers: 0 live, 5 already live, 0 failed (" in second.stdout, second.stdout


def test_shards_cover_the_list_exactly_once(tmp_path: Path, pulumi_bin: Path, fleet_sim: Simulator) -> None:
    env = user_shell_env(tmp_path, pulumi_bin)
    offers_file = tmp_path / "offers.json"
    offers_file.write_text(json.dumps([f"contoso/{offer}" for offer in OFFERS[:3]]
                                      + [{"publisherId": "contoso", "offerId": offer} for offer in OFFERS[3:]]))
    # --list: the documented rule, offer i (0-based) in shard i mod N + 1, with the stacks' names.
    listed = run_fleet(env, "-f", str(offers_file), "--shard", "2/2", "--list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert listed.stdout.splitlines()[1:] == ["contoso/vm1  golive-contoso.vm1", "contoso/vm3  golive-contoso.vm3"]
    assert fleet_sim.count() == 0 and not any((tmp_path / "backend").iterdir())

    done: dict[str, dict[str, str]] = {}
    for shard in ("1/2", "2/2"):
        run = run_fleet(env, "-f", str(offers_file), "--shard", shard, "--parallel", "3", sim=fleet_sim)
        assert run.returncode == 0, run.stdout + run.stderr
        size = 3 if shard == "1/2" else 2
        assert run.stdout.startswith(f"fleet: shard {shard}: {size} of 5 offers, {size} at a time,"), run.stdout
        assert f"\nsummary: {size} offers: {size} live, 0 already live, 0 failed (" in run.stdout, run.stdout
        done[shard] = rows(final_table(run.stdout), "live")
    assert sorted(done["1/2"]) == ["vm0", "vm2", "vm4"]
    assert sorted(done["2/2"]) == ["vm1", "vm3"]
    assert {offer: fleet_sim.count("POST", f"/offers/{offer}/golive") for offer in OFFERS} == dict.fromkeys(OFFERS, 1)


TWO = ["contoso/vm0", "contoso/vm1"]


@pytest.mark.parametrize(("args", "error"), [
    ([*TWO, "--shard", "3/2"], "argument --shard: K must be between 1 and N (2), got '3/2'"),
    ([*TWO, "--shard", "0/4"], "argument --shard: K must be between 1 and N (4), got '0/4'"),
    ([*TWO, "--shard", "1/0"], "argument --shard: N (the number of jobs) must be at least 1, got '1/0'"),
    ([*TWO, "--shard", "2"], "argument --shard: must be K/N, this job's number K of N jobs (e.g. 2/4), got '2'"),
    ([*TWO, "--shard", "a/b"], "argument --shard: must be K/N"),
    (["contoso/vm1", "contoso/vm1"], "contoso/vm1 is listed twice (argument 1 and argument 2)"),
    (["contoso"], "argument 1: 'contoso' is not PUBLISHER/OFFER"),
    ([], "no offers: name them as arguments or with --offers-file"),
], ids=["K>N", "K=0", "N=0", "no-slash", "not-numbers", "twice", "no-offer-id", "no-offers"])
def test_bad_arguments_are_refused_before_anything_runs(tmp_path: Path, pulumi_bin: Path, fleet_sim: Simulator,
                                                        args: list[str], error: str) -> None:
    run = run_fleet(user_shell_env(tmp_path, pulumi_bin), *args, sim=fleet_sim)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"fleet.py: error: {error}" in run.stderr, run.stderr
    assert run.stdout == ""
    assert fleet_sim.count() == 0
    assert not any((tmp_path / "backend").iterdir())  # no stack was created


def test_a_failed_offer_fails_the_run_and_the_others_go_live(tmp_path: Path, pulumi_bin: Path,
                                                             fleet_sim: Simulator) -> None:
    fleet_sim.add_offer("contoso", "nopub", state="never-published")
    run = run_fleet(user_shell_env(tmp_path, pulumi_bin), "contoso/nopub", "contoso/vm0", "--parallel", "2",
                    sim=fleet_sim)
    assert run.returncode == 1, run.stdout + run.stderr
    table = final_table(run.stdout)
    assert list(rows(table, "live")) == ["vm0"], run.stdout
    assert re.search(r"^contoso/nopub\s+failed\s+-\s+[\d.]+ s  offer contoso/nopub was never published to preview",
                     table, re.M), run.stdout
    assert "\nsummary: 2 offers: 1 live, 0 already live, 1 failed (" in run.stdout, run.stdout
    assert re.search(r"^failed: contoso/nopub \(stack golive-contoso\.nopub\): offer contoso/nopub was never "
                     r"published to preview .*Nothing was posted\.$", run.stdout, re.M), run.stdout
    assert fleet_sim.count("POST", "/golive") == 1


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_starts_no_more_stacks_and_a_rerun_posts_nothing_again(tmp_path: Path, pulumi_bin: Path,
                                                                       fleet_sim: Simulator, how: str) -> None:
    """``ctrl-c``: SIGINT to the whole process group, as a terminal sends it; ``sigterm``: SIGTERM to fleet.py alone,
    as a CI runner cancelling a job may send it (fleet.py passes it on to the stacks' pulumi as a Ctrl-C)."""
    env = user_shell_env(tmp_path, pulumi_bin)
    offers = ["contoso/vm0", "contoso/vm1", "contoso/vm2"]
    base = ["--base-url", fleet_sim.url, "--poll-interval", "0.5", "--parallel", "2"]
    # Its own process group, as a terminal's job is, and SIGINT's default action even if this runner ignores it.
    proc = subprocess.Popen([str(PYTHON), str(FLEET), *base, *offers], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        wait_for(lambda: sum(" going live " in line for line in lines) == 2, "two go-lives in flight", proc=proc)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # fleet.py and the two stacks' pulumi
        else:
            os.kill(proc.pid, signal.SIGTERM)  # fleet.py only
        proc.wait(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=30)
    out = "".join(lines)
    assert proc.returncode == 130, out
    assert "fleet: interrupted: starting no more stacks" in out, out
    assert re.search(r"^contoso/vm2\s+not run\s+-$", final_table(out), re.M), out
    assert re.search(r"^summary: 3 offers: .*, 1 not run \(", out, re.M), out
    in_flight = rows(out, "going live")
    assert sorted(in_flight) == ["vm0", "vm1"]
    assert fleet_sim.count("POST", "/golive") == 2  # the third stack never started

    # The interrupted go-lives went on (the dynamic host waits them out); the next run posts only the third.
    fleet_sim.reset_counts()
    again = run_fleet(env, *offers, "--parallel", "2", sim=fleet_sim)
    assert again.returncode == 0, again.stdout + again.stderr
    table = final_table(again.stdout)
    assert {**rows(table, "already live"), **rows(table, "live")}.keys() == {"vm0", "vm1", "vm2"}, again.stdout
    assert {offer: op for offer, op in {**rows(table, "already live"), **rows(table, "live")}.items()
            if offer != "vm2"} == in_flight
    assert {offer: fleet_sim.count("POST", f"/offers/{offer}/golive") for offer in ("vm0", "vm1", "vm2")} == {
        "vm0": 0, "vm1": 0, "vm2": 1}
