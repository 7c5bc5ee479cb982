"""``python -m pulumi_cpp_golive.simulator``: run the CPP simulator until SIGINT/SIGTERM.

The first (and only) stdout line is ``CPP simulator listening on http://HOST:PORT``, flushed at once, so that a
parent process can read the URL of a simulator started with ``--port 0``. Request lines go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import List, Optional, Sequence, Tuple

from .config import CONFLICT_STATUSES, HEADER_VARIANTS, ID_STYLES, SimulatorConfig
from .simulator import Simulator
from .state import OFFER_STATES
from .vocabulary import STATUS_CASES

DEFAULT_OFFER = ("contoso", "vm1", "ready")


def parse_offer(text: str) -> Tuple[str, str, str]:
    """``publisher/offer[:state]`` -> (publisher, offer, state); the state defaults to ``ready``."""
    names, _, state = text.partition(":")
    publisher, slash, offer = names.partition("/")
    state = state or "ready"
    if not slash or not publisher or not offer or "/" in offer:
        raise argparse.ArgumentTypeError(f"expected publisher/offer[:state], got {text!r}")
    if state not in OFFER_STATES:
        raise argparse.ArgumentTypeError(f"unknown state {state!r}; expected one of {', '.join(OFFER_STATES)}")
    return publisher, offer, state


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface; every flag maps onto a :class:`SimulatorConfig` field."""
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_cpp_golive.simulator",
        description="Local, loopback-only simulator of the Cloud Partner Portal go-live API.",
    )
    add = parser.add_argument
    add("--host", default=defaults.host, help="loopback address to bind (default %(default)s)")
    add("--port", type=int, default=defaults.port, help="port; 0 picks a free one (default %(default)s)")
    add(
        "--token",
        default=os.environ.get("CPP_SIM_TOKEN", defaults.token),
        help="accepted bearer token (default: $CPP_SIM_TOKEN or sim-token)",
    )
    add(
        "--offer",
        action="append",
        type=parse_offer,
        default=[],
        metavar="PUBLISHER/OFFER[:STATE]",
        help=f"create an offer; state one of {', '.join(OFFER_STATES)} (default ready). "
        "Repeatable; without it contoso/vm1:ready is created.",
    )
    add("--golive-seconds", type=float, default=defaults.golive_seconds)
    add("--publish-seconds", type=float, default=defaults.publish_seconds)
    add("--header-variant", choices=HEADER_VARIANTS, default=defaults.header_variant)
    add("--id-style", choices=ID_STYLES, default=defaults.id_style)
    add("--status-case", choices=STATUS_CASES, default=defaults.status_case)
    add("--conflict-status", type=int, choices=CONFLICT_STATUSES, default=defaults.conflict_status)
    add("--throttle-every", type=int, default=defaults.throttle_every, metavar="N")
    add("--throttle-burst", type=int, default=defaults.throttle_burst, metavar="N")
    add("--retry-after", type=int, default=defaults.retry_after, metavar="S")
    add("--error500-every", type=int, default=defaults.error500_every, metavar="N")
    add("--slow-seconds", type=float, default=defaults.slow_seconds, metavar="S")
    add("--fail-golive", action="store_true")
    add("--golive-reset", action="store_true", help="one-shot: drop the connection of the first go-live POST")
    add("--omit-tracking-header", action="store_true", help="one-shot: first go-live 202 has no tracking header")
    add("--foreign-host", action="store_true")
    add("--unknown-status-first", action="store_true")
    add("--operation-404", action="store_true")
    add("--poll-retry-after", type=int, default=None, metavar="S")
    add("--malformed-json-every", type=int, default=defaults.malformed_json_every, metavar="N")
    add("--unauthorized-once-after", type=int, default=defaults.unauthorized_once_after, metavar="N")
    add("--quiet", action="store_true", help="do not log requests to stderr")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Build the configuration from parsed arguments (raises ValueError for bad values)."""
    return SimulatorConfig(
        token=args.token,
        host=args.host,
        port=args.port,
        golive_seconds=args.golive_seconds,
        publish_seconds=args.publish_seconds,
        header_variant=args.header_variant,
        id_style=args.id_style,
        status_case=args.status_case,
        conflict_status=args.conflict_status,
        throttle_every=args.throttle_every,
        throttle_burst=args.throttle_burst,
        retry_after=args.retry_after,
        error500_every=args.error500_every,
        slow_seconds=args.slow_seconds,
        fail_golive=args.fail_golive,
        golive_reset=args.golive_reset,
        omit_tracking_header=args.omit_tracking_header,
        foreign_host=args.foreign_host,
        unknown_status_first=args.unknown_status_first,
        operation_404=args.operation_404,
        poll_retry_after=args.poll_retry_after,
        malformed_json_every=args.malformed_json_every,
        unauthorized_once_after=args.unauthorized_once_after,
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run until SIGINT or SIGTERM; exit status 0 on a clean stop, 2 on bad arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    if not args.quiet:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

    offers: List[Tuple[str, str, str]] = args.offer or [DEFAULT_OFFER]
    simulator = Simulator(config)
    for publisher, offer, state in offers:
        simulator.add_offer(publisher, offer, state)

    stop = threading.Event()

    def request_stop(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    simulator.start()
    try:
        print(f"CPP simulator listening on {simulator.url}", flush=True)
        # Wake up periodically so that signal handlers run promptly on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
