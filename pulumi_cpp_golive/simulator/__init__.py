"""A local, loopback-only simulator of the Cloud Partner Portal (CPP) publishing API, for tests, benchmarks and demos.

It follows ``cpp-api.md`` (api-version ``2017-10-31``, bearer token, VM publishing steps) for the calls the provider
makes, and adds injectable faults. Standard library only.

In process::

    from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

    with Simulator(SimulatorConfig(golive_seconds=2.0), clock=fake_clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        ...  # point a client at sim.url with token "sim-token"
        assert sim.count("POST", "/golive") == 1

From a shell: ``python -m pulumi_cpp_golive.simulator --port 0 --offer contoso/vm1:ready`` prints
``CPP simulator listening on http://127.0.0.1:PORT`` and serves until SIGINT/SIGTERM; every configuration field is
a flag (``--help``).

Routes (all need ``api-version=2017-10-31`` and ``Authorization: Bearer <token>``)
------------------------------------------------------------------------------------
- ``POST /api/publishers/{p}/offers/{o}/golive|cancel`` -> 202, tracking header(s), empty body.
- ``GET /api/publishers/{p}/offers/{o}/operations/{id}`` and ``GET /api/operations/{p}${o}${ver}$preview``.
- ``GET /api/publishers/{p}/offers/{o}/submissions/`` (filter ``status=`` or ``submissionState=``), newest first.
- ``GET /api/publishers/{p}/offers/{o}/status``.

Offer life: ``never-published`` -> publish (``Simulator.start_publish``, ``publish_seconds``) -> ``ready``
(publisher-signoff ``waitingForPublisherReview``) -> golive (``golive_seconds``) -> ``live`` (``succeeded``). Status
is computed from the injected clock on each request; there is no background thread. The faults are the
``SimulatorConfig`` fields, each documented where it is declared (``options.py``).

Layout: ``core`` is the sans-I/O part (request in, reply out: dispatch, route matching, request journal, control
plane); ``cpp_routes`` and ``faults`` are CPP's route table and faults; ``world``, ``views`` and ``vocabulary`` hold
the offers, their JSON and their words; ``http_shell`` is the HTTP server and the :class:`Simulator` around it.

Control plane (no auth; loopback only; not recorded, not counted for faults)
------------------------------------------------------------------------------
- ``GET /_sim/requests`` -> ``{"counts": {"POST /golive": n, ...}, "requests": [{"method", "path", "query",
  "route", "authorization_ok", "status"}, ...]}``. Count keys are ``METHOD /route`` with route one of golive,
  cancel, operations, submissions, status, unknown. ``status`` is null for a dropped connection.
- ``POST /_sim/reset-counts`` -> forget recorded requests, restart fault counters.
"""

from __future__ import annotations

from .core import RecordedRequest
from .http_shell import Simulator
from .options import SimulatorConfig
from .world import OFFER_STATES, SimulatorError

__all__ = ["OFFER_STATES", "RecordedRequest", "Simulator", "SimulatorConfig", "SimulatorError"]
