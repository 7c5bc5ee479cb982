"""The simulator's options, declared once: each :class:`SimulatorConfig` field carries its help text, its allowed
values and its lower bound, and the command line (:func:`add_flags`) and validation are generated from them.

A :class:`SimulatorConfig` is live: the server reads its attributes on every request, so a test may change them while
it runs (``sim.config.fail_golive = True``). Single attribute reads and writes are atomic in CPython, which is all the
server relies on; one-shot faults are cleared under the fault injector's lock.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Optional, Sequence, Set

from ..settings import is_loopback
from .vocabulary import STATUS_CASES


def _meta(
    help: str,
    choices: Optional[Sequence[Any]] = None,
    minimum: Optional[float] = None,
    parse: Optional[Callable[[str], Any]] = None,
) -> Dict[str, Any]:
    """What the command line and validation need to know of a field; ``parse`` reads the flag's text when the
    default (None) does not tell the type."""
    return {"help": help, "choices": choices, "minimum": minimum, "parse": parse}


def _option(default: Any, help: str, **meta: Any) -> Any:
    """A field with an immutable default and :func:`_meta` ``meta``."""
    return field(default=default, metadata=_meta(help, **meta))


@dataclass
class SimulatorConfig:
    """Everything that shapes the simulator's answers. "Nth" counts API requests (CPP and PI together) since start
    or ``reset_counts``."""

    token: str = _option("sim-token", "the accepted bearer token (CLI default: $CPP_SIM_TOKEN or sim-token)")
    tokens: Set[str] = field(
        default_factory=set, metadata=_meta("further accepted bearer tokens (repeatable); empty ones never match")
    )
    host: str = _option("127.0.0.1", "loopback address to listen on")
    port: int = _option(0, "port to listen on; 0 picks a free one", minimum=0)
    # Timings, in seconds of the injected clock.
    golive_seconds: float = _option(2.0, "how long a go-live runs", minimum=0)
    publish_seconds: float = _option(1.0, "how long a publish (to preview) runs", minimum=0)
    # Response shapes (docs/cpp-api.md §2a, §4b, §8).
    header_variant: str = _option(
        "both", "tracking header(s) of a 202", choices=("location", "operation-location", "both")
    )
    id_style: str = _option("guid", "operation IDs: GUIDs or {p}${o}${ver}$preview", choices=("guid", "dollar"))
    status_case: str = _option("camel", "spelling of status words", choices=STATUS_CASES)
    conflict_status: int = _option(400, "status of a POST that meets a running operation", choices=(400, 409))
    # Faults counted over /api/ requests.
    throttle_every: int = _option(0, "every Nth request is answered 429 TooManyRequests (0: never)", minimum=0)
    throttle_burst: int = _option(1, "consecutive 429s from each throttled request on", minimum=1)
    retry_after: int = _option(1, "Retry-After seconds of a 429", minimum=0)
    error500_every: int = _option(0, "every Nth request is a 500 with the non-standard Variant body", minimum=0)
    unauthorized_once_after: int = _option(0, "one-shot: one 401 (good token) once N requests were answered", minimum=0)
    slow_seconds: float = _option(0.0, "every request waits this long (real time) before it is answered", minimum=0)
    # Faults of the long-running POSTs; "one-shot" ones clear themselves when they fire. Those named for go-live
    # touch CPP go-live POSTs only, the publish_* ones CPP publish POSTs only, the others the next CPP go-live or
    # publish POST, whichever comes first.
    fail_golive: bool = _option(False, "go-lives started from now on end 'failed'")
    fail_publish: bool = _option(False, "publishes started from now on end 'failed' in certification")
    golive_reset: bool = _option(False, "one-shot: create the go-live, then drop the connection without answering")
    publish_reset: bool = _option(False, "one-shot: create the publish, then drop the connection without answering")
    omit_tracking_header: bool = _option(False, "one-shot: the next go-live's or publish's 202 has no tracking header")
    foreign_host: bool = _option(
        False, "go-live and publish Operation-Locations are absolute on http://foreign.invalid"
    )
    golive_answer_status: int = _option(
        202, "status of an accepted go-live (not publish); 200/201/204 carry no tracking header",
        choices=(200, 201, 202, 204),
    )
    accepted_then_status: int = _option(
        0, "one-shot: create the next go-live or publish, then answer this status with error_body (0: off)",
        choices=(0, 500, 502, 503, 504),
    )
    error_body: str = _option(
        "gateway", "body of that answer: a gateway's HTML page, or JSON that is not UTF-8",
        choices=("gateway", "bad-utf8"),
    )
    race_golive: bool = _option(
        False, "one-shot: another client's go-live lands just before the next one, which then conflicts"
    )
    race_publish: bool = _option(
        False, "one-shot: another client's publish lands just before the next one, which then conflicts"
    )
    location_override: str = _option(
        "", "a Location value that disagrees with the right Operation-Location (go-live and publish)"
    )
    stall_post_body_seconds: float = _option(
        0.0, "long-running POSTs (CPP golive and publish, PI configure): the operation or job is created at once, the "
        "status line and headers are sent, then the body waits this long (real time); CPP's bodiless 202 then "
        "carries {} so that there is a body to stall (0: off)", minimum=0,
    )
    # Polling and listing faults. The malformed/reset/stall ones count PI job-status GETs as operation GETs too.
    unknown_status_first: bool = _option(False, "a running operation's status reads 'Validating'")
    operation_404: bool = _option(False, "every operation GET is answered 404")
    poll_retry_after: Optional[int] = _option(None, "Retry-After seconds on operation GETs", minimum=0, parse=int)
    malformed_json_every: int = _option(0, "every Nth operation GET has a truncated body", minimum=0)
    reset_operation_gets: int = _option(0, "the next N operation GETs get a dropped connection", minimum=0)
    stall_operation_gets: int = _option(0, "the next N operation GETs wait stall_seconds (real time)", minimum=0)
    stall_seconds: float = _option(0.0, "how long a stalled operation GET waits", minimum=0)
    list_lag_seconds: float = _option(0.0, "the operations list leaves out operations younger than this", minimum=0)
    list_page_size: int = _option(0, "N > 0: the list answers {value, nextLink} pages of N", minimum=0)
    # Product Ingestion (PI) API: timings, response shapes and faults (the shared faults above apply to it too).
    pi_job_seconds: float = _option(2.0, "PI: how long a configure job (go-live or publish) runs", minimum=0)
    pi_rollout_seconds: float = _option(
        2.0, "PI: how long the live submission keeps rolling out after its job completed", minimum=0
    )
    pi_page_size: int = _option(0, "PI: N > 0: the submission listing answers pages of N with @nextLink", minimum=0)
    pi_configure_status: int = _option(202, "PI: status of an accepted configure POST", choices=(200, 202))
    pi_conflict_status: int = _option(409, "PI: status of a configure POST that meets a submission in progress",
                                      choices=(400, 409))
    pi_job_id_spelling: str = _option("jobId", "PI: key of the job ID in job documents", choices=("jobId", "jobID"))
    # The PI faults below apply to every configure POST, go-live or publish to preview.
    pi_fail_job: bool = _option(
        False, "PI: jobs accepted from now on (and their submission) end failed, with nested error details"
    )
    pi_certification_failure: bool = _option(
        False, "PI: jobs accepted from now on (and their submission) end failed with an invalidState certification "
        "error"
    )
    pi_race_golive: bool = _option(
        False, "PI: one-shot: another client's configure of the same kind (go-live or publish) lands just before the "
        "next one, which then conflicts"
    )
    pi_accepted_then_status: int = _option(
        0, "PI: one-shot: create the job, then answer this status with error_body (0: off)",
        choices=(0, 500, 502, 503, 504),
    )
    pi_golive_reset: bool = _option(
        False, "PI: one-shot: create the job (go-live or publish), then drop the connection without answering"
    )
    pi_list_lag_seconds: float = _option(
        0.0, "PI: the submission listing leaves out live entries younger than this", minimum=0
    )

    def __post_init__(self) -> None:
        if not is_loopback(self.host):
            raise ValueError(f"host {self.host!r} is not a loopback address; the simulator only listens on loopback")
        if self.port > 65535:
            raise ValueError(f"port {self.port} is out of range")
        for spec in dataclasses.fields(self):
            value, choices, minimum = getattr(self, spec.name), spec.metadata["choices"], spec.metadata["minimum"]
            if choices is not None and value not in choices:
                raise ValueError(f"{spec.name} must be one of {', '.join(map(str, choices))}; got {value!r}")
            if minimum is not None and value is not None and value < minimum:
                raise ValueError(f"{spec.name} must be at least {minimum}")

    def accepted_tokens(self) -> FrozenSet[str]:
        """The bearer tokens accepted right now."""
        return frozenset(t for t in {self.token, *self.tokens} if t)


def add_flags(parser: argparse.ArgumentParser, defaults: SimulatorConfig) -> None:
    """One ``--field-name`` flag per :class:`SimulatorConfig` field, defaulting to ``defaults``."""
    for spec in dataclasses.fields(SimulatorConfig):
        flag, default, meta = "--" + spec.name.replace("_", "-"), getattr(defaults, spec.name), spec.metadata
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true", default=default, help=meta["help"])
        elif isinstance(default, set):
            parser.add_argument(flag, action="append", default=[], metavar="TOKEN", help=meta["help"])
        else:
            parse = meta["parse"] or type(default)
            help_text = meta["help"] + (" (default %(default)s)" if default is not None else "")
            parser.add_argument(flag, type=parse, choices=meta["choices"], default=default, help=help_text)


def config_from_flags(args: argparse.Namespace) -> SimulatorConfig:
    """The configuration the parsed flags describe (raises ValueError for values out of bounds)."""
    values = {spec.name: getattr(args, spec.name) for spec in dataclasses.fields(SimulatorConfig)}
    values["tokens"] = set(values["tokens"])
    return SimulatorConfig(**values)
