"""Microsoft's Product Ingestion (PI) API (``/rp/product-ingestion/...``, docs/product-ingestion-api.md): faults, bearer
token and ``$version`` checks, then one handler per route: product lookup, the submission listing, the ``configure``
POST (a go-live, or a publish of the draft to preview; validated as strictly as the contract allows) and the job
status. :attr:`PiApi.control_routes` adds the PI part of the control plane (``/_sim/pi/...``).

The shared faults (throttling, 500s, the one-off 401, slow answers, and on job-status GETs the malformed, reset and
stalled answers) come from :class:`~pulumi_cpp_golive.simulator.faults.FaultInjector`; the ``pi_*`` options add
PI's own.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Callable, List, Optional, Sequence, Tuple
from urllib.parse import urlencode, urlsplit

from .core import DROPPED, JSON_CONTENT_TYPE, Match, Params, Reply, Request, Route, dispatch, error_reply, json_reply
from .faults import FaultInjector, lost_answer, stalled_body
from .options import SimulatorConfig
from .pi_world import COMPLETED, DRAFT, LIVE, PREVIEW, TARGETS, Job, Json, PiWorld, Product, Submission, bad_request
from .vocabulary import FAILED

_LOG = logging.getLogger(__name__)

PREFIX = "/rp/product-ingestion/"
SCHEMA_HOST = "schema.mp.microsoft.com"
_SCHEMAS = f"https://{SCHEMA_HOST}/schema/"
PRODUCT_SCHEMA = _SCHEMAS + "product/2022-03-01-preview2"
# The only submission schema a configure body may name (docs/product-ingestion-api.md §1); listings show a newer (§6).
SUBMISSION_SCHEMA = _SCHEMAS + "submission/2022-03-01-preview2"
LISTED_SUBMISSION_SCHEMA = _SCHEMAS + "submission/2022-03-01-preview7"
JOB_SCHEMA = _SCHEMAS + "configure-status/2022-07-01"
DEPRECATED_VERSIONS = ("2022-03-01-preview3",)
_VERSION = re.compile(r"\d{4}-\d\d-\d\d(-preview\d+)?")
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# jobEnd of a job that has not completed (the docs' sample value).
NO_END = "0001-01-01T00:00:00"


class PiApi:
    """Answers the requests under ``/rp/product-ingestion/``."""

    prefix = PREFIX

    def __init__(self, world: PiWorld, faults: FaultInjector, config: Callable[[], SimulatorConfig]) -> None:
        self._world = world
        self._faults = faults
        self._config = config
        self.routes: Sequence[Route] = (
            Route("GET", "product", "product", self._products),
            Route("GET", "submission/{product}", "submission", self._submissions),
            Route("POST", "configure", "configure", self._configure, namer=configure_name),
            Route("GET", "configure/{job_id}/status", "configure-status", self._job_status),
        )
        # Under /_sim/: what other clients do to a product (edit its draft, publish it to preview).
        products = "pi/products/{external_id}"
        self.control_routes: Sequence[Route] = (
            Route("POST", products + "/edit-draft", "edit-draft", self._edit_draft),
            Route("POST", products + "/publish-preview", "publish-preview", self._publish_preview),
        )

    def answer(self, request: Request, found: Optional[Match], token_ok: bool) -> Reply:
        """Faults first (they stand for the service's front door), then the checks, then the route's handler."""
        if self._config().slow_seconds > 0:
            time.sleep(self._config().slow_seconds)  # real time: the client's HTTP timeout is what is tested
        fault = self._faults.on_api_request(pi=True)
        if fault is not None:
            return fault
        if not token_ok:
            challenge = (("WWW-Authenticate", "Bearer"),)
            return error_reply(401, "unauthorized", "The access token is missing or invalid.", challenge)
        _check_version(request.query.get("$version"))
        return dispatch(request, found, "notFound", "methodNotAllowed")

    # --- reads --------------------------------------------------------------------------------------------------

    def _products(self, request: Request, params: Params) -> Reply:
        wanted = _query(request, "externalId")
        products = [p for p in self._world.products() if wanted is None or p.external_id == wanted]
        return json_reply(200, {"value": [_product(p) for p in products]})

    def _submissions(self, request: Request, params: Params) -> Reply:
        config = self._config()
        target = _query(request, "targetType")
        if target is not None and target not in TARGETS:
            raise bad_request(f"targetType must be one of {', '.join(TARGETS)}; got '{target}'.")
        with self._world.lock:
            product, now = self._world.product(params["product"]), self._world.timeline.now()
            listed = product.listing(now, config.pi_list_lag_seconds)
            entries = [self._submission(s, now) for s in listed if target in (None, s.target)]
        if config.pi_page_size <= 0:
            return json_reply(200, {"value": entries})
        return json_reply(200, _page(entries, request, config.pi_page_size))

    def _job_status(self, request: Request, params: Params) -> Reply:
        if self._faults.countdown("reset_operation_gets"):
            return DROPPED
        if self._faults.countdown("stall_operation_gets"):
            time.sleep(self._config().stall_seconds)  # real time: the client's read timeout is what is tested
        with self._world.lock:
            job = self._world.job(params["job_id"])
            payload = json.dumps(self._job(job, self._world.timeline.now())).encode("utf-8")
        if self._faults.malformed_operation_get():
            payload = payload[: len(payload) // 2]
        return Reply(200, payload, (("Content-Type", JSON_CONTENT_TYPE),))

    # --- the go-live and the publish to preview ----------------------------------------------------------------

    def _configure(self, request: Request, params: Params) -> Reply:
        # The job exists before the answer leaves; stall_post_body_seconds then holds back its body.
        return stalled_body(self._start_job(request), self._config().stall_post_body_seconds)

    def _start_job(self, request: Request) -> Reply:
        guid, target, number = parse_configure(request.body)
        if self._faults.take("pi_race_golive"):
            # Another client's configure of the same kind lands first; this one then meets the product busy.
            rival = self._world.publish_draft(guid) if target == PREVIEW else self._world.go_live(guid)
            _LOG.info("pi_race_golive: another client started job %s first", rival.id)
        job = self._world.publish_draft(guid) if target == PREVIEW else self._world.go_live(guid, number)
        lost = self._faults.take("pi_accepted_then_status")
        if lost:
            # The job exists but the client only sees an error: it must read the listing before anything else.
            return lost_answer(lost, self._config().error_body)
        if self._faults.take("pi_golive_reset"):
            _LOG.info("pi_golive_reset: dropping the connection after creating job %s", job.id)
            return DROPPED
        with self._world.lock:
            document = self._job(job, job.created)
        return json_reply(self._config().pi_configure_status, document)

    # --- control plane ------------------------------------------------------------------------------------------

    def _edit_draft(self, request: Request, params: Params) -> Reply:
        self._world.edit_draft(params["external_id"])
        return json_reply(200, {"externalId": params["external_id"], "draftChanged": True})

    def _publish_preview(self, request: Request, params: Params) -> Reply:
        preview = self._world.publish_preview(params["external_id"])
        return json_reply(200, {"id": preview.id})

    # --- bodies -------------------------------------------------------------------------------------------------

    def _job(self, job: Job, now: float) -> Json:
        status, result = job.progress(now)
        done = status == COMPLETED
        return {
            "$schema": JOB_SCHEMA,
            self._config().pi_job_id_spelling: job.id,
            "jobStatus": status,
            "jobResult": result,
            "jobStart": self._world.timeline.iso(job.created),
            "jobEnd": self._world.timeline.iso(job.ended) if done else NO_END,
            "errors": job.errors() if done and result == FAILED else [],
        }

    def _submission(self, submission: Submission, now: float) -> Json:
        body: Json = {
            "$schema": LISTED_SUBMISSION_SCHEMA,
            "id": submission.id,
            "product": f"product/{submission.product}",
            "target": {"targetType": submission.target},
        }
        if submission.target != DRAFT:
            body["status"], body["result"] = submission.progress(now)
        body["created"] = self._world.timeline.iso(submission.created)
        return body


def configure_name(request: Request) -> str:
    """The counting key's route of a configure POST: ``configure preview`` for a publish to preview, else
    ``configure`` (go-lives, and bodies too broken to tell)."""
    try:
        resource = json.loads(request.body)["resources"][0]
        preview = resource["target"]["targetType"] == PREVIEW
    except (ValueError, LookupError, TypeError):
        preview = False
    return "configure preview" if preview else "configure"


def parse_configure(body: bytes) -> Tuple[str, str, int]:
    """The product GUID, target (``live`` or ``preview``) and submission number of a configure body: a go-live names
    the preview submission (docs/product-ingestion-api.md §3), a publish to preview the draft (§10). A 400 naming
    the first thing wrong with it otherwise."""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise bad_request(f"The request body is not valid JSON: {error}.") from None
    if not isinstance(payload, dict):
        raise bad_request("The request body must be a JSON object.")
    if _schema_kind(payload.get("$schema")) != "configure":
        raise bad_request(f"'$schema' {payload.get('$schema')} is not a configure schema.")
    resources = payload.get("resources")
    if not isinstance(resources, list) or len(resources) != 1 or not isinstance(resources[0], dict):
        raise bad_request("'resources' must hold exactly one submission resource to publish.")
    resource: Json = resources[0]
    schema = resource.get("$schema")
    if _schema_kind(schema) != "submission":
        raise bad_request(f"'resources' must hold exactly one submission resource; got schema {schema}.")
    if schema != SUBMISSION_SCHEMA:
        # What the service said once a newer schema made `sources` required (docs/product-ingestion-api.md §6).
        raise bad_request(f"Required properties [sources] were not present (resource schema {schema}).")
    product = resource.get("product")
    found = re.fullmatch(f"product/({_GUID})", product) if isinstance(product, str) else None
    if found is None:
        raise bad_request(f"'product' must be 'product/<guid>'; got {product!r}.")
    guid = found.group(1)
    target = resource.get("target")
    target_type = target.get("targetType") if isinstance(target, dict) else None
    if target_type not in (LIVE, PREVIEW):
        raise bad_request(f"target.targetType must be 'live' (go-live) or 'preview' (publish); got {target_type!r}.")
    submission = resource.get("id")
    if submission is None:
        named = "preview submission to publish live" if target_type == LIVE else "draft submission to publish"
        raise bad_request(f"'id' is required: name the {named}.")
    number = re.fullmatch(f"submission/{re.escape(guid)}/([0-9]+)", submission) if isinstance(submission, str) else None
    if number is None:
        raise bad_request(f"'id' {submission!r} is not a submission of {product}.")
    if target_type == PREVIEW and int(number.group(1)) != 0:
        raise bad_request(
            f"A publish to preview names the draft submission submission/{guid}/0, not {submission}; "
            f"to publish {submission}, target.targetType must be 'live'."
        )
    return guid, target_type, int(number.group(1))


def _schema_kind(url: object) -> str:
    """The resource type a ``$schema`` URL names (``configure``, ``submission``, ...); a 400 if it is missing or
    not on ``schema.mp.microsoft.com`` (the retired azureedge host is gone, docs/product-ingestion-api.md §9)."""
    if not isinstance(url, str) or not url:
        raise bad_request("'$schema' is required.")
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname != SCHEMA_HOST:
        raise bad_request(f"Schema '{url}' could not be accessed.")
    segments = parts.path.strip("/").split("/")
    return segments[1] if len(segments) == 3 and segments[0] == "schema" else ""


def _check_version(version: Optional[str]) -> None:
    if not version:
        raise bad_request("The $version query parameter is required.")
    if version in DEPRECATED_VERSIONS:
        raise bad_request(f'"{version} is a deprecated schema"')
    if not _VERSION.fullmatch(version):
        raise bad_request(f"$version '{version}' is not a schema version such as 2022-07-01.")


def _query(request: Request, name: str) -> Optional[str]:
    """A query parameter by case-insensitive name (clients send both ``externalId`` and ``externalid``)."""
    return next((value for key, value in request.query.items() if key.lower() == name.lower()), None)


def _product(product: Product) -> Json:
    return {
        "$schema": PRODUCT_SCHEMA,
        "id": product.id,
        "identity": {"externalId": product.external_id},
        "type": "azureVirtualMachine",
        "alias": product.external_id,
    }


def _page(items: List[Json], request: Request, size: int) -> Json:
    """One page, ``{"value": [...], "@nextLink": <absolute URL>}``, from the ``continuationToken`` query."""
    token = _query(request, "continuationToken") or "0"
    if not token.isdigit():
        raise bad_request(f"continuationToken '{token}' is not valid.")
    start = int(token)
    page: Json = {"value": items[start : start + size]}
    if start + size < len(items):
        query = {k: v for k, v in request.query.items() if k.lower() != "continuationtoken"}
        query["continuationToken"] = str(start + size)
        page["@nextLink"] = f"{request.base_url}{request.path}?{urlencode(query, safe='$')}"
    return page
