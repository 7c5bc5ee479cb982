#!/usr/bin/env python3
"""Send a list of Marketplace offers live, one Pulumi stack per offer, N at a time (Pulumi's Automation API).

    python fleet.py contoso/vm1 contoso/vm2 --parallel 2
    python fleet.py --offers-file offers.txt --parallel 8 --shard 2/4

Each offer gets a stack of its own (``<prefix><publisher>.<offer>``, e.g. ``golive-contoso.vm1``) in project
``cpp-golive-fleet``, the way release teams split state: one offer's go-live never waits on, locks or breaks
another's. Each stack holds one ``OfferGoLive`` that records the go-live's operation ID, so a second run is a
no-op ``up`` that sends nothing and reports the offer as ``already live``. The output is a table of offer, status
and operation ID, updated as stacks progress, then a summary; the exit code is 1 when any offer failed.

Why a local program and not an inline one
-----------------------------------------
Each stack runs the program in ``program/`` (``__main__.py``: one ``pulumi_cpp_golive.OfferGoLive`` from stack
config), through a project file that fleet.py writes into a private work directory per stack with ``main:``
pointing there. So every ``up`` is a plain ``pulumi up`` of its own CLI process: the program runs under Pulumi's
real Python language host, and the dynamic provider under Pulumi's dynamic-provider host, exactly as in a
hand-run stack. An inline program (``create_or_select_stack(name, project_name, program=...)``) would run every
stack's program inside this one Python process instead, beside the Automation API's own gRPC language server: no
language host at all, and one process shared by N concurrent programs, whose global runtime state Pulumi's Python
SDK does not promise to keep apart. The per-stack work directory holds that stack's ``Pulumi.yaml`` and
``Pulumi.<stack>.yaml`` only (all state is in the backend), so N stacks at once never share a file, and it is
removed at the end.

Concurrency: ``--parallel N`` worker threads; each runs its offer's ``pulumi stack select --create``, ``config
set-all`` and ``up``, which are subprocesses, so the threads only wait. ``--shard K/N`` keeps the offers at
positions i (0-based, in list order) with ``i mod N == K - 1``: deterministic for a given list, and the shards'
sizes differ by at most one. Editing the list may move an offer to another shard; that is harmless, since its state
is its own stack's, wherever it runs (the backend's lock stops two jobs updating one stack at once).

Ctrl-C starts no more stacks and waits for the running ones, whose ``pulumi up`` got it too (exit code 130).

Credentials and settings: the environment, as the README documents (``CPP_ACCESS_TOKEN``, ``PI_ACCESS_TOKEN``, or
azure-identity's ``DefaultAzureCredential``: ``AZURE_CLIENT_ID``/``AZURE_TENANT_ID``/``AZURE_CLIENT_SECRET``,
workload identity, ``az login``). The CLI and the provider process inherit it; fleet.py writes no token into any
stack's config. ``--base-url``, ``--poll-interval`` and ``--config cpp-golive:KEY=VALUE`` set plaintext
``cpp-golive:*`` settings on every stack. The backend: ``--backend``, else ``PULUMI_BACKEND_URL``, else the CLI's
current login; a DIY backend's passphrase comes from ``PULUMI_CONFIG_PASSPHRASE`` (or ``--secrets-provider``).

Needs the ``pulumi`` CLI on PATH and this package (pulumi_cpp_golive) in the Python that runs fleet.py; the stacks'
programs run in that same Python (its virtualenv, else ``PULUMI_PYTHON_CMD``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional, TextIO

from pulumi import automation as auto

PROGRAM = Path(__file__).resolve().parent / "program"
PROJECT = "cpp-golive-fleet"
APIS = ("cpp", "product-ingestion")
# A publisher or offer ID as fleet.py takes it: what Marketplace IDs are made of, and what a stack name may hold
# (the "." that joins them in the stack name cannot appear in either, so two offers never share a stack).
ID = re.compile(r"[A-Za-z0-9_-]+")
PREFIX = re.compile(r"[A-Za-z0-9_.-]*")
MAX_STACK_NAME = 100  # Pulumi's limit on a stack name
# What the provider prints once the go-live has an operation (posted, adopted or resumed): the ID is the table's.
OPERATION_LINE = re.compile(r"(?:accepted|adopting|resuming)\b.*?\boperation (?P<id>[^\s,;()]+)")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOTE_WIDTH = 100  # a failure's text in the table (the summary gives it whole)
CHANGED = ("create", "update", "replace", "create-replacement", "delete-replaced")

# The statuses of the table, in the order an offer goes through them.
QUEUED, STARTING, RUNNING, GOING_LIVE = "queued", "starting", "running", "going live"
LIVE, ALREADY_LIVE, FAILED, NOT_RUN = "live", "already live", "failed", "not run"
DONE = (LIVE, ALREADY_LIVE, FAILED, NOT_RUN)


class FleetError(Exception):
    """A problem with the input: printed as one line, exit code 2."""


@dataclasses.dataclass(frozen=True)
class Offer:
    publisher: str
    offer: str

    def __str__(self) -> str:
        return f"{self.publisher}/{self.offer}"


# ---- input --------------------------------------------------------------------------------------------------------


def parse_offer(text: str, where: str) -> Offer:
    """``publisher/offer`` as an :class:`Offer`, or a :class:`FleetError` saying where the bad entry is."""
    publisher, slash, offer = text.strip().partition("/")
    if not slash or not ID.fullmatch(publisher) or not ID.fullmatch(offer):
        raise FleetError(f"{where}: {text.strip()!r} is not PUBLISHER/OFFER (IDs of letters, digits, '-' and '_')")
    return Offer(publisher, offer)


def _json_entry(entry: Any, where: str) -> Offer:
    if isinstance(entry, str):
        return parse_offer(entry, where)
    if isinstance(entry, dict):
        publisher = entry.get("publisherId", entry.get("publisher"))
        offer = entry.get("offerId", entry.get("offer"))
        if isinstance(publisher, str) and isinstance(offer, str):
            return parse_offer(f"{publisher}/{offer}", where)
    raise FleetError(f"{where}: expected \"publisher/offer\" or {{\"publisherId\": ..., \"offerId\": ...}}, "
                     f"got {json.dumps(entry)[:80]}")


def read_offers(path: str) -> list[tuple[Offer, str]]:
    """The offers of a file (``-``: standard input), each with where it stands, in file order.

    Text: one ``publisher/offer`` per line; blank lines and ``#`` comments are skipped. JSON (the file starts with
    ``[`` or ``{``): a list of ``"publisher/offer"`` strings or ``{"publisherId", "offerId"}`` objects, or an
    object whose ``offers`` is such a list.
    """
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetError(f"cannot read the offers file {name}: {exc.strerror or exc}") from None
    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FleetError(f"{name}: not valid JSON ({exc})") from None
        if isinstance(data, dict):
            data = data.get("offers")
        if not isinstance(data, list):
            raise FleetError(f"{name}: JSON must be a list of offers, or an object with an \"offers\" list")
        return [(_json_entry(entry, f"{name} entry {i + 1}"), f"{name} entry {i + 1}") for i, entry in enumerate(data)]
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            found.append((parse_offer(entry, f"{name}:{number}"), f"{name}:{number}"))
    return found


def gather_offers(arguments: list[str], files: list[str]) -> list[Offer]:
    """The arguments' offers, then each file's, in order; an offer named twice is an error (one stack each)."""
    entries = [(parse_offer(text, f"argument {i + 1}"), f"argument {i + 1}") for i, text in enumerate(arguments)]
    for path in files:
        entries += read_offers(path)
    first: dict[Offer, str] = {}
    for offer, where in entries:
        if offer in first:
            raise FleetError(f"{offer} is listed twice ({first[offer]} and {where}); each offer is one stack")
        first[offer] = where
    return [offer for offer, _ in entries]


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` as (K, N) with 1 <= K <= N (argparse reports the error with the option's name)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"must be K/N, this job's number K of N jobs (e.g. 2/4), got {text!r}")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1:
        raise argparse.ArgumentTypeError(f"N (the number of jobs) must be at least 1, got {text!r}")
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"K must be between 1 and N ({n}), got {text!r}")
    return k, n


def shard_of(offers: list[Offer], k: int, n: int) -> list[Offer]:
    """The offers job K of N runs: those at 0-based positions i with ``i mod N == K - 1``."""
    return [offer for i, offer in enumerate(offers) if i % n == k - 1]


def stack_name(prefix: str, offer: Offer) -> str:
    return f"{prefix}{offer.publisher}.{offer.offer}"


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def setting(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key.startswith("cpp-golive:") or len(key) == len("cpp-golive:"):
        raise argparse.ArgumentTypeError(f"must be cpp-golive:KEY=VALUE, got {text!r}")
    return key, value


# ---- the table ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    offer: Offer
    stack: str
    status: str = QUEUED
    operation: str = ""
    note: str = ""
    started: Optional[float] = None
    seconds: Optional[float] = None


class Table:
    """The live table. On a terminal tall enough for it, it is redrawn in place; elsewhere (CI logs) each change
    is one new line: ``running`` when a stack's ``up`` starts, ``going live`` once the go-live has an operation ID,
    and the outcome. Every line is written whole, under a lock."""

    def __init__(self, rows: list[Row], out: TextIO, redraw: bool) -> None:
        self.rows = rows
        self.out = out
        self.redraw = redraw
        self._lock = threading.Lock()
        self._drawn = 0
        self._width = max([len("OFFER"), *(len(str(row.offer)) for row in rows)])

    def line(self, row: Row) -> str:
        seconds = f"{row.seconds:.1f} s" if row.seconds is not None else ""
        text = f"{row.offer!s:<{self._width}}  {row.status:<12}  {row.operation or '-':<36}  {seconds:>8}"
        note = row.note if len(row.note) <= NOTE_WIDTH else row.note[: NOTE_WIDTH - 3] + "..."
        return (f"{text}  {note}" if note else text).rstrip()

    def header(self) -> str:
        return f"{'OFFER':<{self._width}}  {'STATUS':<12}  {'OPERATION':<36}  {'TIME':>8}"

    def start(self) -> None:
        with self._lock:
            self.out.write(self.header() + "\n")
            if self.redraw:
                self._draw()
            self.out.flush()

    def update(self, row: Row, status: str, operation: str = "", note: str = "") -> None:
        with self._lock:
            if status == row.status and (not operation or operation == row.operation) and not note:
                return
            if status == RUNNING and row.started is None:
                row.started = time.monotonic()
            if status in DONE and row.started is not None:
                row.seconds = time.monotonic() - row.started
            row.status, row.operation, row.note = status, operation or row.operation, note or row.note
            if self.redraw:
                self._draw()
            elif status != STARTING:  # a log line per step that matters: running, going live, the outcome
                self.out.write(self.line(row) + "\n")
            self.out.flush()

    def final(self) -> None:
        """The whole table once more in list order (a log's last word on every offer), unless it is on screen."""
        with self._lock:
            if not self.redraw:
                self.out.write("\n" + self.header() + "\n" + "".join(self.line(row) + "\n" for row in self.rows))
                self.out.flush()

    def _draw(self) -> None:
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F")  # back to the first row
        self.out.write("".join(f"\x1b[2K{self.line(row)}\n" for row in self.rows))
        self._drawn = len(self.rows)


# ---- one offer --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    """What every stack of the run shares."""

    api: str
    offer_version: str
    settings: dict[str, str]
    env: dict[str, str]
    runtime_options: dict[str, Any]
    secrets_provider: Optional[str]
    command: auto.PulumiCommand
    root: Path


def _clean(message: str) -> str:
    return " ".join(ANSI.sub("", message).split())


def _last_line(text: str) -> str:
    """The last non-blank line of ``text`` without ANSI colours, an ``error:`` or an ``Exception:`` prefix: the
    dynamic host reports a provider's error as its traceback, whose last line is the provider's message."""
    lines = [line.strip() for line in ANSI.sub("", text).splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    for prefix in ("stderr:", "error:", "Exception:"):
        last = last.removeprefix(prefix).strip()
    return last


def _failure_text(errors: list[str], exc: BaseException) -> str:
    """The most telling line of a failed run: the resource's error diagnostic, else the command's error line."""
    for message in errors:
        if "update failed" not in message and _last_line(message):
            return _last_line(message)
    lines = [line.strip().removeprefix("stderr:").strip() for line in ANSI.sub("", str(exc)).splitlines()]
    lines = [line for line in lines if line]
    return _last_line(([line for line in lines if line.startswith("error:")] or lines or [type(exc).__name__])[-1])


def _offers(count: int) -> str:
    return f"{count} offer" if count == 1 else f"{count} offers"


def run_offer(row: Row, plan: Plan, table: Table) -> None:
    """Select (or create) the offer's stack, set its config, ``up``; the row ends live, already live or failed."""
    table.update(row, STARTING)
    errors: list[str] = []

    def on_event(event: auto.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is None:
            return
        if diagnostic.severity == "error":
            errors.append(diagnostic.message)
        elif row.status == RUNNING and (found := OPERATION_LINE.search(_clean(diagnostic.message))):
            table.update(row, GOING_LIVE, found.group("id"))

    work = plan.root / row.stack
    work.mkdir()
    try:
        project = auto.ProjectSettings(name=PROJECT, runtime=auto.ProjectRuntimeInfo("python", plan.runtime_options),
                                       main=str(PROGRAM), description="One offer of examples/automation/fleet.py")
        options = auto.LocalWorkspaceOptions(work_dir=str(work), project_settings=project, env_vars=plan.env,
                                             secrets_provider=plan.secrets_provider, pulumi_command=plan.command)
        stack = auto.create_or_select_stack(row.stack, work_dir=str(work), opts=options)
        config = {"publisherId": row.offer.publisher, "offerId": row.offer.offer, "api": plan.api,
                  "offerVersion": plan.offer_version, **plan.settings}
        stack.set_all_config({key: auto.ConfigValue(value) for key, value in config.items()})
        table.update(row, RUNNING)
        result = stack.up(on_event=on_event, color="never", suppress_progress=True)
    except Exception as exc:  # every failure is this offer's row, never the run's end
        table.update(row, FAILED, note=_failure_text(errors, exc))
        return
    # Counts by kind of step; the CLI's JSON gives plain strings where the annotations say OpType.
    steps = result.summary.resource_changes or {}
    changes = {str(getattr(kind, "value", kind)): count for kind, count in steps.items()}
    operation = str(result.outputs["operation_id"].value) if "operation_id" in result.outputs else ""
    status = str(result.outputs["status"].value) if "status" in result.outputs else "unknown"
    if status != "succeeded":
        table.update(row, FAILED, operation, note=f"the stack's go-live status is {status!r}, not 'succeeded'")
    elif any(changes.get(kind) for kind in CHANGED):
        table.update(row, LIVE, operation)
    else:
        table.update(row, ALREADY_LIVE, operation)


# ---- the run ----------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleet.py", description="Send Marketplace offers live, one Pulumi stack per offer, N at a time.",
        epilog="Exit codes: 0 every offer live or already live, 1 an offer failed, 2 bad arguments or input, "
               "130 interrupted. See examples/automation/README.md.")
    parser.add_argument("offers", nargs="*", metavar="PUBLISHER/OFFER", help="offers to send live (in this order)")
    parser.add_argument("-f", "--offers-file", action="append", default=[], metavar="FILE",
                        help="offers, one PUBLISHER/OFFER per line (# comments), or JSON: a list of "
                        "\"publisher/offer\" strings or {\"publisherId\", \"offerId\"} objects; - for stdin; "
                        "repeatable, read after the arguments")
    parser.add_argument("-p", "--parallel", type=positive_int, default=4, metavar="N",
                        help="stacks to run at once (default 4)")
    parser.add_argument("--shard", type=parse_shard, metavar="K/N",
                        help="run only job K's share of N jobs: the offers at 0-based list positions i with "
                        "i mod N == K-1")
    parser.add_argument("--api", choices=APIS, default="cpp", help="the Marketplace API (default cpp)")
    parser.add_argument("--base-url", metavar="URL",
                        help="the API's base URL: cpp-golive:baseUrl (cpp) or cpp-golive:productIngestionUrl "
                        "(product-ingestion); default the real service")
    parser.add_argument("--poll-interval", metavar="SECONDS", help="cpp-golive:pollInterval (default 60)")
    parser.add_argument("--config", type=setting, action="append", default=[], metavar="cpp-golive:KEY=VALUE",
                        help="any other plaintext provider setting, on every stack (repeatable); tokens come from "
                        "the environment")
    parser.add_argument("--offer-version", default="1", metavar="V",
                        help="the go-live's trigger (default 1): a new value sends every offer live again")
    parser.add_argument("--backend", default=os.environ.get("PULUMI_BACKEND_URL"), metavar="URL",
                        help="the state backend (default $PULUMI_BACKEND_URL, else the CLI's current login)")
    parser.add_argument("--stack-prefix", default="golive-", metavar="PREFIX",
                        help="stack names are PREFIX + publisher + '.' + offer (default golive-)")
    parser.add_argument("--secrets-provider", metavar="URL",
                        help="for new stacks (default: the backend's; passphrase on a DIY backend)")
    parser.add_argument("--list", action="store_true", help="print the offers and stacks this job would run; run "
                        "nothing")
    return parser


def _runtime() -> tuple[dict[str, Any], dict[str, str]]:
    """The Python the stacks' programs run in: this one (its virtualenv, else PULUMI_PYTHON_CMD)."""
    if sys.prefix != sys.base_prefix:
        return {"toolchain": "pip", "virtualenv": sys.prefix}, {}
    return {}, {"PULUMI_PYTHON_CMD": sys.executable}


def _on_sigterm(signum: int, frame: Any) -> None:
    """A CI runner cancelling the job may signal this process alone (SIGTERM), not its process group as a terminal's
    Ctrl-C does: pass it on to the stacks' `pulumi` processes as the Ctrl-C they understand (a graceful cancel:
    no new go-live, the state written), then stop starting stacks, as after Ctrl-C."""
    # pgrep -P: this process's children on Linux and macOS alike (the Automation API does not expose their PIDs).
    children = subprocess.run(["pgrep", "-P", str(os.getpid())],  # noqa: S603, S607 (fixed arguments)
                              capture_output=True, text=True, check=False)
    for pid in children.stdout.split():
        try:
            os.kill(int(pid), signal.SIGINT)
        except (ProcessLookupError, ValueError):
            pass  # ended meanwhile
    raise KeyboardInterrupt


def main(argv: Optional[list[str]] = None) -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    parser = _parser()
    args = parser.parse_args(argv)
    if not PREFIX.fullmatch(args.stack_prefix):
        parser.error(f"--stack-prefix may hold letters, digits, '-', '_' and '.' only, got {args.stack_prefix!r}")
    try:
        offers = gather_offers(args.offers, args.offers_file)
    except FleetError as exc:
        parser.error(str(exc))
    if not offers:
        parser.error("no offers: name them as arguments or with --offers-file")
    k, n = args.shard or (1, 1)
    mine = shard_of(offers, k, n)
    rows = [Row(offer, stack_name(args.stack_prefix, offer)) for offer in mine]
    for row in rows:
        if len(row.stack) > MAX_STACK_NAME:
            parser.error(f"stack name {row.stack!r} is longer than {MAX_STACK_NAME} characters")
    shard_text = f"shard {k}/{n}: {len(mine)} of {_offers(len(offers))}" if args.shard else _offers(len(mine))
    print(f"fleet: {shard_text}, {min(args.parallel, max(len(mine), 1))} at a time, api {args.api}, "
          f"backend {args.backend or '(the CLI login)'}", flush=True)
    if args.list:
        for row in rows:
            print(f"{row.offer}  {row.stack}")
        return 0
    if not mine:
        print("fleet: nothing to do in this shard")
        return 0

    settings = dict(args.config)
    if args.base_url:
        settings["cpp-golive:baseUrl" if args.api == "cpp" else "cpp-golive:productIngestionUrl"] = args.base_url
    if args.poll_interval:
        settings["cpp-golive:pollInterval"] = args.poll_interval
    runtime_options, env = _runtime()
    if args.backend:
        env["PULUMI_BACKEND_URL"] = args.backend
    try:
        command = auto.PulumiCommand()
    except Exception as exc:
        print(f"fleet.py: error: the pulumi CLI: {exc}", file=sys.stderr)
        return 2

    started = time.monotonic()
    # Redrawn in place on a terminal tall enough for it (the cursor cannot go back above the screen's top).
    redraw = sys.stdout.isatty() and len(rows) + 4 <= shutil.get_terminal_size().lines
    table = Table(rows, sys.stdout, redraw=redraw)
    table.start()
    with tempfile.TemporaryDirectory(prefix="cpp-golive-fleet-") as root:
        plan = Plan(args.api, args.offer_version, settings, env, runtime_options, args.secrets_provider, command,
                    Path(root))
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel, thread_name_prefix="fleet")
        futures = [pool.submit(run_offer, row, plan, table) for row in rows]
        interrupted = False
        try:
            for future in concurrent.futures.as_completed(futures):
                future.result()
        except KeyboardInterrupt:  # the stacks' CLIs got the Ctrl-C too; let the running ones end, start no more
            interrupted = True
            pool.shutdown(wait=False, cancel_futures=True)
            for row, future in zip(rows, futures):
                if future.cancelled():
                    table.update(row, NOT_RUN)
            print("fleet: interrupted: starting no more stacks; waiting for the running ones to end (their pulumi "
                  "got the Ctrl-C: a second one stops them at once)", file=sys.stderr, flush=True)
        while True:
            try:  # join the workers (concurrent.futures.wait would never count a future shutdown cancelled as done)
                pool.shutdown(wait=True)
                break
            except KeyboardInterrupt:  # the CLIs end on their own second Ctrl-C; keep waiting for them
                interrupted = True
    table.final()
    counts = {status: sum(row.status == status for row in rows) for status in DONE}
    print(f"\nsummary: {_offers(len(rows))}: {counts[LIVE]} live, {counts[ALREADY_LIVE]} already live, "
          f"{counts[FAILED]} failed" + (f", {counts[NOT_RUN]} not run" if counts[NOT_RUN] else "")
          + f" ({time.monotonic() - started:.1f} s)")
    for row in rows:
        if row.status == FAILED:
            print(f"failed: {row.offer} (stack {row.stack}): {row.note}")
    if interrupted:
        return 130
    return 1 if counts[FAILED] else 0


if __name__ == "__main__":
    sys.exit(main())
