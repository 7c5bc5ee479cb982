"""A local, loopback-only simulator of the Cloud Partner Portal (CPP) publishing API, for tests, benchmarks and demos.

It follows ``cpp-api.md`` (api-version ``2017-10-31``, bearer token, VM publishing steps) and adds injectable
faults. Standard library only.

In process::

    from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

    with Simulator(SimulatorConfig(golive_seconds=2.0), clock=fake_clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        ...  # point a client at sim.url with token "sim-token"
        assert sim.count("POST", "/golive") == 1

From a shell: ``python -m pulumi_cpp_golive.simulator --port 0 --offer contoso/vm1:ready`` prints
``CPP simulator listening on http://127.0.0.1:PORT`` and serves until SIGINT/SIGTERM.

Routes (all need ``api-version=2017-10-31`` and ``Authorization: Bearer <token>``)
------------------------------------------------------------------------------------
- ``POST /api/publishers/{p}/offers/{o}/publish|golive|cancel`` -> 202, tracking header(s), empty body.
- ``GET /api/publishers/{p}/offers/{o}/operations/{id}`` and ``GET /api/operations/{p}${o}${ver}$preview``.
- ``GET /api/publishers/{p}/offers/{o}/submissions/`` (filter ``status=`` or ``submissionState=``), newest first.
- ``GET /api/publishers/{p}/offers/{o}/status`` and ``GET /api/publishers/{p}/offers/{o}``.

Offer life: ``never-published`` -> publish (``publish_seconds``) -> ``ready`` (publisher-signoff
``waitingForPublisherReview``) -> golive (``golive_seconds``) -> ``live`` (``succeeded``). Status is computed from the
injected clock on each request; there is no background thread.

Faults (``SimulatorConfig`` fields; "Nth" counts /api/ requests since start or ``reset_counts``)
-----------------------------------------------------------------------------------------------------
``throttle_every``/``throttle_burst``/``retry_after`` (429 TooManyRequests + Retry-After), ``error500_every``
(500 with the non-standard ``{"Variant": ...}`` body), ``slow_seconds`` (real sleep before answering),
``fail_golive`` (go-live ends ``failed``), ``golive_reset`` (one-shot: create the go-live, then drop the connection),
``omit_tracking_header`` (one-shot: 202 without tracking header), ``foreign_host`` (absolute Operation-Location on
``http://foreign.invalid``), ``unknown_status_first`` (operation status ``Validating`` while running),
``operation_404``, ``poll_retry_after`` (Retry-After on operation GETs), ``malformed_json_every`` (truncated
operation bodies), ``unauthorized_once_after`` (one 401 with a good token after N requests),
``reset_operation_gets`` (the next N operation GETs get a dropped connection), ``stall_operation_gets`` with
``stall_seconds`` (the next N operation GETs wait that long, in real time, before answering).
Adopt-or-post faults: ``golive_answer_status`` (200/201/204: an accepted go-live answered without tracking header),
``accepted_then_status`` with ``error_body`` (one-shot: create the go-live, then answer 500/502/503/504 with a
gateway's HTML page or a body that claims UTF-8 and is not), ``race_golive`` (one-shot: another client's go-live
lands just before the POST, which then conflicts with ``conflict_status``), ``location_override`` (a ``Location``
value that disagrees with the right ``Operation-Location``), ``list_lag_seconds`` (the operations list leaves out
operations younger than that), ``list_page_size`` (the list answers ``{"value": [...], "nextLink": ...}`` pages).

Control plane (no auth; loopback only; not recorded, not counted for faults)
------------------------------------------------------------------------------
- ``GET /_sim/requests`` -> ``{"counts": {"POST /golive": n, ...}, "requests": [{"method", "path", "query",
  "route", "authorization_ok", "status"}, ...]}``. Count keys are ``METHOD /route`` with route one of publish,
  golive, cancel, operations, submissions, status, offer, unknown. ``status`` is null for a dropped connection.
- ``GET /_sim/config`` -> ``{"config": {...}}`` (tokens omitted).
- ``POST /_sim/config`` with a JSON object of ``SimulatorConfig`` fields to change (``host``/``port`` excluded;
  ``tokens`` as a list) -> ``{"config": {...}}``; 400 and no change if any field is bad.
- ``POST /_sim/offers`` ``{"publisher": .., "offer": .., "state": "ready"}`` -> 201 (creates or replaces).
- ``POST /_sim/reset-counts`` -> forget recorded requests, restart fault counters.
- ``POST /_sim/golive`` ``{"publisher": .., "offer": ..}`` -> 201 ``{"id": .., "location": ..}`` (start a go-live
  without a client, e.g. for adoption tests).
- ``POST /_sim/complete`` ``{"publisher": .., "offer": ..}`` -> ``{"id": .. | null}`` (finish the running operation).
"""

from __future__ import annotations

from .config import SimulatorConfig
from .recording import RecordedRequest
from .simulator import Simulator
from .state import OFFER_STATES, SimulatorError

__all__ = ["OFFER_STATES", "RecordedRequest", "Simulator", "SimulatorConfig", "SimulatorError"]
