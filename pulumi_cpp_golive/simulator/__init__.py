"""A local, loopback-only simulator of the Cloud Partner Portal (CPP) publishing API and of Microsoft's Product
Ingestion (PI) API, for tests, benchmarks and demos.

It follows ``docs/cpp-api.md`` (api-version ``2017-10-31``, bearer, VM steps), ``docs/product-ingestion-api.md`` (the PI
go-live and publish to preview: product, submissions, configure job) for the calls the provider makes, and adds
injectable faults. Standard library only.

In process::

    from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

    with Simulator(SimulatorConfig(golive_seconds=2.0), clock=fake_clock) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        ...  # point a client at sim.url with token "sim-token"
        assert sim.count("POST", "/golive") == 1
        guid = sim.add_product("vm1", state="ready")  # PI, at sim.pi_url with the same token

From a shell: ``python -m pulumi_cpp_golive.simulator --port 0 --offer contoso/vm1:ready --product vm1:ready``
prints ``CPP simulator listening on http://127.0.0.1:PORT`` and serves until SIGINT/SIGTERM, PI at that URL +
``/rp/product-ingestion``; every configuration field is a flag (``--help``).

Routes (all need ``api-version=2017-10-31`` and ``Authorization: Bearer <token>``)
------------------------------------------------------------------------------------
- ``POST /api/publishers/{p}/offers/{o}/publish|golive|cancel`` -> 202, tracking header(s), empty body; an optional
  body ``{"metadata": {"notification-emails": "a@x,b@y"}}`` (not JSON: 400). publish and golive are refused with
  ``conflict_status`` while an operation runs.
- ``GET /api/publishers/{p}/offers/{o}/operations/{id}`` and ``GET /api/operations/{p}${o}${ver}$preview``.
- ``GET /api/publishers/{p}/offers/{o}/submissions/`` (filter ``status=`` or ``submissionState=``), newest first.
- ``GET /api/publishers/{p}/offers/{o}/status``.

Offer life: ``never-published`` -> publish (``POST .../publish`` or ``Simulator.start_publish``, ``publish_seconds``)
-> ``ready`` (publisher-signoff ``waitingForPublisherReview``) -> golive (``golive_seconds``) -> ``live``
(``succeeded``). At sign-off the publish is ``complete`` in the submissions list and the offer status reads
``waitingForPublisherReview``, but the publish's own operation GET reads ``running`` (sign-off step
``waitingForPublisherReview``) until a later publish or go-live exists; ``fail_publish`` fails it in certification.
A ``ready`` or ``live`` offer's version is the one its last publish carried, so a new publish to preview has nothing
to do (the provider records that preview); ``add_offer(..., edited=True)``, ``Simulator.edit_offer``,
``--edit-offer PUBLISHER/OFFER`` or the control plane give it a newer version.
Status is computed from the injected clock on each request; there is no background thread. The faults are the
``SimulatorConfig`` fields, each documented where it is declared (``options.py``).

PI routes (under ``/rp/product-ingestion/``; all need ``$version`` and the same bearer token)
-------------------------------------------------------------------------------------------
``$version`` is required; ``2022-03-01-preview3`` is refused as deprecated; any date-shaped version is accepted.
Errors are ``{"error": {"code": "badRequest|unauthorized|notFound|conflict|...", "message": ...}}``.

- ``GET product?externalId=X`` (query name in any case) -> ``{"value": [product]}``, empty when unknown.
- ``GET submission/{productGuid}`` (optional ``targetType``) -> ``{"value": [...]}``: the newest draft, preview and
  live entries, ``status``/``result`` on all but the draft; pages of ``pi_page_size`` with an absolute ``@nextLink``.
- ``POST configure``, body of docs/product-ingestion-api.md §3 -> ``pi_configure_status`` and a job; a strict 400 naming
  what is wrong with the body; ``pi_conflict_status`` with code ``conflict`` while a submission is in progress or
  when ``id`` is not the current preview. With ``target.targetType: preview`` and ``id`` the draft
  (``submission/<guid>/0``) it publishes the draft to preview (§10): a job and preview entry n+1, which completes
  ``publish_seconds`` after the POST but not before its job; a draft without changes gets only a job that fails with
  code ``noChanges``.
- ``GET configure/{jobId}/status`` -> the job document (key ``pi_job_id_spelling``).

Product life (``Simulator.add_product``, ``--product EXTID:STATE``): ``draft``, ``preview-running``, ``ready``,
``live`` or ``preview-failed``. Only a ``draft`` product's draft has changes to publish, unless ``add_product(...,
draft_changed=True)``, ``Simulator.edit_draft``, ``--edit-draft EXTID`` or the control plane gives it some; a publish
uses them up. ``Simulator.publish_preview`` (someone else publishing) adds preview submission n+1
(``publish_seconds``), without a job. A
go-live creates a job (``notStarted``, ``running``, ``completed`` after ``pi_job_seconds``) and a ``live`` entry with
the preview's ID that completes ``pi_rollout_seconds`` after the job; both fail with ``pi_fail_job`` or
``pi_certification_failure``. The ``pi_*`` options hold PI's own faults; throttling, 500s, the one-off 401, slow
answers and the operation-GET faults (on job-status GETs) are shared with CPP.

Layout: ``core`` is the sans-I/O part (request in, reply out: dispatch, route matching, request journal, control
plane); ``cpp_routes`` and ``pi_routes`` are the two APIs' route tables, ``faults`` the faults they share; ``world``,
``views`` and ``vocabulary`` hold the offers, their JSON and their words, ``pi_world`` the PI products and jobs,
``timeline`` the injected clock; ``http_server`` is the HTTP server and ``http_shell`` the :class:`Simulator` around
it.

Control plane (no auth; loopback only; not recorded, not counted for faults)
------------------------------------------------------------------------------
- ``GET /_sim/requests`` -> ``{"counts": {"POST /golive": n, ...}, "requests": [{"method", "path", "query",
  "route", "authorization_ok", "status"}, ...]}``. Count keys are ``METHOD /route`` with route one of publish,
  golive, cancel, operations, submissions, status (CPP), product, submission, configure (a go-live), ``configure
  preview`` (a publish to preview), configure-status (PI), unknown. ``status`` is null for a dropped connection.
- ``POST /_sim/reset-counts`` -> forget recorded requests, restart fault counters.
- ``POST /_sim/pi/products/{externalId}/edit-draft`` -> ``{"externalId", "draftChanged": true}``: the next publish to
  preview has something to publish.
- ``POST /_sim/pi/products/{externalId}/publish-preview`` -> ``{"id": "submission/<guid>/<n>"}``: someone else
  published to preview (``Simulator.publish_preview``); 404 for an unknown product, 409 while one is in progress.
"""

from __future__ import annotations

from .core import RecordedRequest
from .http_shell import Simulator
from .options import SimulatorConfig
from .pi_world import PRODUCT_STATES
from .world import OFFER_STATES, SimulatorError

__all__ = ["OFFER_STATES", "PRODUCT_STATES", "RecordedRequest", "Simulator", "SimulatorConfig", "SimulatorError"]
