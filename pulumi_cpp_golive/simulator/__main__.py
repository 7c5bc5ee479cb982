"""``python -m pulumi_cpp_golive.simulator``: run the CPP simulator until SIGINT/SIGTERM.

The first stdout line is ``CPP simulator listening on http://HOST:PORT``, flushed at once, so that a parent process
can read the URL of a simulator started with ``--port 0``; the banner's next lines say what a stack needs: both base
URLs (the Product Ingestion API is served at that URL + ``/rp/product-ingestion``) with the settings they go into,
and the bearer token accepted (``--token``, else ``$CPP_SIM_TOKEN``, else ``sim-token``). Request lines go to
stderr. Every :class:`~pulumi_cpp_golive.simulator.options.SimulatorConfig` field is a flag (``--golive-seconds 8``,
``--fail-golive``, ...); ``--help`` lists them.
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

from .http_shell import Simulator
from .options import SimulatorConfig, add_flags, config_from_flags
from .pi_world import PRODUCT_STATES
from .world import OFFER_STATES, SimulatorError

DEFAULT_OFFER = ("contoso", "vm1", "ready")
DEFAULT_PRODUCT = ("vm1", "ready")


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


def parse_offer_name(text: str) -> Tuple[str, str]:
    """``publisher/offer`` -> (publisher, offer)."""
    publisher, slash, offer = text.partition("/")
    if not slash or not publisher or not offer or "/" in offer or ":" in offer:
        raise argparse.ArgumentTypeError(f"expected publisher/offer, got {text!r}")
    return publisher, offer


def parse_product(text: str) -> Tuple[str, str]:
    """``externalId[:state]`` -> (external ID, state); the state defaults to ``ready``."""
    external_id, _, state = text.partition(":")
    state = state or "ready"
    if not external_id or "/" in external_id:
        raise argparse.ArgumentTypeError(f"expected externalId[:state], got {text!r}")
    if state not in PRODUCT_STATES:
        raise argparse.ArgumentTypeError(f"unknown state {state!r}; expected one of {', '.join(PRODUCT_STATES)}")
    return external_id, state


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``--offer``, ``--product``, ``--edit-draft``, ``--edit-offer``, ``--quiet`` and one flag
    per configuration field."""
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_cpp_golive.simulator",
        description="Local, loopback-only simulator of the Cloud Partner Portal and Product Ingestion publish and "
        "go-live APIs.",
    )
    parser.add_argument(
        "--offer",
        action="append",
        type=parse_offer,
        default=[],
        metavar="PUBLISHER/OFFER[:STATE]",
        help=f"create an offer; state one of {', '.join(OFFER_STATES)} (default ready). "
        "Repeatable; without it contoso/vm1:ready is created.",
    )
    parser.add_argument(
        "--product",
        action="append",
        type=parse_product,
        default=[],
        metavar="EXTERNALID[:STATE]",
        help=f"create a Product Ingestion product; state one of {', '.join(PRODUCT_STATES)} (default ready). "
        "Only a draft-state product's draft has changes to publish to preview (see --edit-draft). Repeatable; "
        "without it vm1:ready is created.",
    )
    parser.add_argument(
        "--edit-draft",
        action="append",
        default=[],
        metavar="EXTERNALID",
        help="give that product's draft changes, so that a publish to preview has something to publish (later: "
        "POST /_sim/pi/products/EXTERNALID/edit-draft). Repeatable.",
    )
    parser.add_argument(
        "--edit-offer",
        action="append",
        type=parse_offer_name,
        default=[],
        metavar="PUBLISHER/OFFER",
        help="give that CPP offer a new version since its last publish, so that a publish to preview has something "
        "to publish (a ready offer's preview is otherwise already what a publish would make; later: "
        "POST /_sim/cpp/offers/PUBLISHER/OFFER/edit). Repeatable.",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    # The token may come from the environment so that it never shows in a process listing.
    defaults = SimulatorConfig(token=os.environ.get("CPP_SIM_TOKEN", SimulatorConfig().token))
    add_flags(parser, defaults)
    return parser


def banner(url: str, pi_url: str, token: str) -> str:
    """What a user needs to point a stack at the simulator; the first line stays machine-readable."""
    return "\n".join([
        f"CPP simulator listening on {url}",
        f"  CPP API                {url}  (cpp-golive:baseUrl)",
        f"  Product Ingestion API  {pi_url}  (cpp-golive:productIngestionUrl)",
        f"  bearer token           {token}  (pulumi config set --secret cpp-golive:accessToken or "
        "cpp-golive:productIngestionToken; --token chooses it)",
    ])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run until SIGINT or SIGTERM; exit status 0 on a clean stop, 2 on bad arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_flags(args)
    except ValueError as error:
        parser.error(str(error))
    if not args.quiet:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

    offers: List[Tuple[str, str, str]] = args.offer or [DEFAULT_OFFER]
    simulator = Simulator(config)
    for publisher, offer, state in offers:
        simulator.add_offer(publisher, offer, state)
    for external_id, state in args.product or [DEFAULT_PRODUCT]:
        simulator.add_product(external_id, state)
    for external_id in args.edit_draft:
        try:
            simulator.edit_draft(external_id)
        except SimulatorError as unknown:
            parser.error(f"--edit-draft: {unknown.message}")
    for publisher, offer in args.edit_offer:
        try:
            simulator.edit_offer(publisher, offer)
        except SimulatorError as unknown:
            parser.error(f"--edit-offer: {unknown.message}")

    stop = threading.Event()

    def request_stop(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    simulator.start()
    try:
        print(banner(simulator.url, simulator.pi_url, config.token), flush=True)
        # Wake up periodically so that signal handlers run promptly on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
