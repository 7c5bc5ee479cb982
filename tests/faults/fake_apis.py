"""Minimal CPP and Product Ingestion (PI) worlds on the hostile server: plain data a test edits, and one default
route per call the provider makes. A test replaces a route (``server.routes[...] = ...``) to make it lie, stall or
crash, and reads ``server.requests`` for what was sent where.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Optional, TypeVar

import pytest
from pulumi.provider.experimental.provider import ConfigureRequest, CreateRequest, UpdateRequest

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.plugin.provider import PluginProvider, ResourceInitError
from pulumi_cpp_golive.plugin.values import from_python, to_python

from ..integration.conftest import configured_provider
from .hostile import HostileServer, Reply, Request, Wire

T = TypeVar("T")
TOKEN = "hostile-token-5f2a9c81d4"  # the bearer token the tests look for wherever it must not be
PI_VERSION = "2022-07-01"
PRODUCT_GUID = "6f1c2b1e-3d4a-4e5f-8a9b-0c1d2e3f4a5b"
JOB_ID = "0b6f8d4e-2a1c-4f3e-9d8b-7a6c5e4f3a2b"
OPERATION_ID = "3c9e1a7b-5d2f-4b8e-a6c4-1f0e9d8c7b6a"


def pi_submission(number: int, target: str, status: str = "completed", result: str = "succeeded",
                  guid: str = PRODUCT_GUID) -> dict[str, Any]:
    return {"id": f"submission/{guid}/{number}", "target": {"targetType": target}, "status": status,
            "result": result, "created": f"2026-11-0{min(number, 9)}T00:00:00Z"}


@dataclasses.dataclass
class FakePi:
    """PI under ``/pi``: one product ``vm1`` (more with :meth:`add_product`), its listing, and configure jobs. A POST
    creates a job (running) and, unless ``list_golive`` is False, a running live entry for the posted submission,
    listed ``list_lag`` seconds later."""

    server: HostileServer
    products: list[dict[str, Any]] = dataclasses.field(default_factory=lambda: [
        {"id": f"product/{PRODUCT_GUID}", "identity": {"externalId": "vm1"}}])
    submissions: list[dict[str, Any]] = dataclasses.field(default_factory=lambda: [pi_submission(1, "preview")])
    jobs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    list_golive: bool = True
    job_status: str = "completed"  # what a posted job says when read
    list_lag: float = 0.0  # seconds between a POST and its live entry showing in the listing
    listings: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)  # other products' ones
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"{self.server.url}/pi"

    def install(self) -> FakePi:
        self.server.routes.update({
            ("GET", "/pi/product"): lambda r, w: Reply(200, {"value": self.products}),
            ("GET", f"/pi/submission/{PRODUCT_GUID}"): lambda r, w: self.listing(PRODUCT_GUID),
            ("POST", "/pi/configure"): self.configure,
            ("GET", "/pi/configure/*"): self.status,
        })
        return self

    def add_product(self, external_id: str) -> str:
        """Another product, ``external_id``, with its own listing (a succeeded preview 1); its GUID."""
        guid = new_guid()
        with self.lock:
            self.products.append({"id": f"product/{guid}", "identity": {"externalId": external_id}})
            self.listings[guid] = [pi_submission(1, "preview", guid=guid)]
        self.server.routes[("GET", f"/pi/submission/{guid}")] = lambda r, w: self.listing(guid)
        return guid

    def entries(self, guid: str) -> list[dict[str, Any]]:
        """The listing of product ``guid`` as stored (entries not yet visible included)."""
        return self.submissions if guid == PRODUCT_GUID else self.listings[guid]

    def listing(self, guid: str) -> Reply:
        now = time.monotonic()
        with self.lock:
            shown = [{k: v for k, v in entry.items() if k != "visibleAt"} for entry in self.entries(guid)
                     if entry.get("visibleAt", 0.0) <= now]
        return Reply(200, {"value": shown})

    def accept(self, request: Request, job_id: str = JOB_ID) -> dict[str, Any]:
        """What a real PI does with a configure POST: a job, and (``list_golive``) a running live entry."""
        submission = request.json()["resources"][0]["id"]
        guid = submission.split("/")[1]
        job = {"jobId": job_id, "jobStatus": self.job_status, "jobResult": "succeeded", "errors": []}
        with self.lock:
            self.jobs[job_id] = job
            if self.list_golive:
                self.entries(guid).append({**pi_submission(int(submission.rsplit("/", 1)[1]), "live", guid=guid),
                                           "id": submission, "visibleAt": time.monotonic() + self.list_lag})
        return job

    def configure(self, request: Request, wire: Wire) -> Reply:
        return Reply(202, self.accept(request))

    def status(self, request: Request, wire: Wire) -> Reply:
        job_id = request.path.split("/")[3]
        job = self.jobs.get(job_id)
        return Reply(200, job) if job else Reply(404, {"error": {"code": "notFound", "message": "no such job"}})

    def posts(self) -> int:
        return self.server.count("POST", "/pi/configure")


@dataclasses.dataclass
class FakeCpp:
    """CPP for ``contoso/vm1``: offer status, the operations list, go-live and operations. A POST creates a
    running go-live in the list (unless ``list_golive`` is False)."""

    server: HostileServer
    offer_status: dict[str, Any] = dataclasses.field(default_factory=lambda: {"status": "succeeded", "steps": [
        {"stepName": "publisher signoff", "status": "waitingForPublisherReview"}]})
    submissions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    operations: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    list_golive: bool = True
    operation_status: str = "complete"
    offer_id: str = "vm1"  # of publisher contoso; several FakeCpp (one per offer) may share a server
    list_lag: float = 0.0  # seconds between a POST and its go-live showing in the operations list
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @property
    def prefix(self) -> str:
        return f"/api/publishers/contoso/offers/{self.offer_id}"

    def install(self) -> FakeCpp:
        self.server.routes.update({
            ("GET", f"{self.prefix}/status"): lambda r, w: Reply(200, self.offer_status),
            ("GET", f"{self.prefix}/submissions/"): self.listing,
            ("POST", f"{self.prefix}/golive"): self.golive,
            ("GET", f"{self.prefix}/operations/*"): self.operation,
        })
        return self

    def listing(self, request: Request, wire: Wire) -> Reply:
        wanted = request.query.get("status")
        now = time.monotonic()
        with self.lock:
            items = [{k: v for k, v in s.items() if k != "visibleAt"} for s in self.submissions
                     if (not wanted or s.get("submissionState") == wanted) and s.get("visibleAt", 0.0) <= now]
        return Reply(200, items)

    def accept(self, operation_id: str = OPERATION_ID) -> str:
        """What CPP does with a go-live POST: a running operation, listed (``list_golive``). Its tracking path."""
        with self.lock:
            self.operations[operation_id] = {"id": operation_id, "status": self.operation_status}
            if self.list_golive:
                self.submissions.append({"id": operation_id, "submissionType": "goLive",
                                         "submissionState": "running", "changedTime": "2026-11-02T00:00:00Z",
                                         "visibleAt": time.monotonic() + self.list_lag})
        return f"{self.prefix}/operations/{operation_id}?api-version=2017-10-31"

    def golive(self, request: Request, wire: Wire) -> Reply:
        return Reply(202, b"", [("Location", self.accept())])

    def operation(self, request: Request, wire: Wire) -> Reply:
        op = self.operations.get(request.path.rsplit("/", 1)[1])
        return Reply(200, op) if op else Reply(404, {"error": {"code": "notFound", "message": "no operation"}})

    def posts(self) -> int:
        return self.server.count("POST", f"{self.prefix}/golive")


def pi_provider(pi: FakePi, **settings: Any) -> OfferGoLiveProvider:
    config = {"productIngestionUrl": pi.url, "productIngestionToken": TOKEN, "productIngestionVersion": PI_VERSION,
              "pollInterval": "0.25", "adoptTimeout": "2", "requestTimeout": "5", **settings}
    return configured_provider({f"cpp-golive:{key}": str(value) for key, value in config.items()})


def cpp_provider(cpp: FakeCpp, **settings: Any) -> OfferGoLiveProvider:
    config = {"baseUrl": cpp.server.url, "accessToken": TOKEN, "pollInterval": "0.25", "adoptTimeout": "2",
              "requestTimeout": "5", **settings}
    return configured_provider({f"cpp-golive:{key}": str(value) for key, value in config.items()})


def pi_inputs(**overrides: Any) -> dict[str, Any]:
    return {"publisher_id": "contoso", "offer_id": "vm1", "api": "product-ingestion", "wait": "completed",
            "timeout_seconds": 20, **overrides}


def cpp_inputs(**overrides: Any) -> dict[str, Any]:
    return {"publisher_id": "contoso", "offer_id": "vm1", "wait": "completed", "timeout_seconds": 20, **overrides}


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as started:
        yield started


@pytest.fixture
def pi(server: HostileServer) -> FakePi:
    return FakePi(server).install()


@pytest.fixture
def cpp(server: HostileServer) -> FakeCpp:
    return FakeCpp(server).install()


def new_guid() -> str:
    return str(uuid.uuid4())


def create(provider: OfferGoLiveProvider, inputs: dict[str, Any]) -> tuple[Optional[dict[str, Any]], str]:
    """``(outputs, "")`` of a create, or ``(None, error text)``: what the user sees either way."""
    try:
        return dict(provider.create(inputs).outs or {}), ""
    except Exception as exc:  # the dynamic provider's user-facing error is a plain Exception
        return None, str(exc)


URN = "urn:pulumi:dev::p::cpp-golive:index:OfferGoLive::golive"


def plugin_provider(settings: dict[str, Any]) -> PluginProvider:
    """The plugin's provider after ``configure`` with ``settings`` (un-namespaced keys), as the engine drives it."""
    provider = PluginProvider()
    asyncio.run(provider.configure(ConfigureRequest(
        variables={}, args={key: from_python(str(value)) for key, value in settings.items()}, accept_secrets=False,
        accept_resources=False)))
    return provider


def pi_plugin(pi: FakePi, **settings: Any) -> PluginProvider:
    return plugin_provider({"productIngestionUrl": pi.url, "productIngestionToken": TOKEN,
                            "productIngestionVersion": PI_VERSION, "pollInterval": "0.25", "adoptTimeout": "2",
                            "requestTimeout": "5", **settings})


def cpp_plugin(cpp: FakeCpp, **settings: Any) -> PluginProvider:
    return plugin_provider({"baseUrl": cpp.server.url, "accessToken": TOKEN, "pollInterval": "0.25",
                            "adoptTimeout": "2", "requestTimeout": "5", **settings})


def plugin_create(provider: PluginProvider, **inputs: Any) -> tuple[Optional[dict[str, Any]], str]:
    """``(outputs, "")`` of a plugin create; ``(partial state, message)`` when it failed after acceptance; else
    ``(None, "<exception type>: <text>")``. camelCase inputs."""
    values = {"publisherId": "contoso", "offerId": "vm1", "wait": "completed", "timeoutSeconds": 20, **inputs}
    request = CreateRequest(URN, {key: from_python(value) for key, value in values.items()}, 0.0, False)
    try:
        response = asyncio.run(provider.create(request))
    except ResourceInitError as exc:
        return {key: to_python(value) for key, value in exc.properties.items()}, exc.message
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return {key: to_python(value) for key, value in response.properties.items()}, ""


@contextlib.contextmanager
def busy_interpreter(when: Callable[[], bool], threads: int = 4) -> Iterator[None]:
    """A loaded runner: once ``when()`` holds (checked every 10 ms, for at most 10 s), threads keep the
    interpreter busy, so that which thread runs first after a timeout is up to the scheduler: the watchdog no
    longer reliably beats a socket timeout that fires a moment after it."""
    stop = threading.Event()

    def spin() -> None:
        give_up = time.monotonic() + 10
        while not when() and not stop.is_set() and time.monotonic() < give_up:
            stop.wait(0.01)
        while not stop.is_set():
            sum(range(2000))

    spinners = [threading.Thread(target=spin, daemon=True) for _ in range(threads)]
    for spinner in spinners:
        spinner.start()
    try:
        yield
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join(timeout=5)


def at_once(work: Callable[[T], None], items: Iterable[T], busy_when: Callable[[], bool]) -> float:
    """Run ``work(item)`` for every item, each on its own thread, all at once, on a loaded interpreter once
    ``busy_when()`` holds (:func:`busy_interpreter`); the seconds it took. Each thread is given 30 s."""
    threads = [threading.Thread(target=work, args=(item,)) for item in items]
    started = time.monotonic()
    with busy_interpreter(busy_when):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a go-live did not end within 30 s"
    return time.monotonic() - started


def plugin_update(provider: PluginProvider, olds: dict[str, Any],
                  resource_id: str = "contoso/vm1/unconfirmed") -> tuple[dict[str, Any], str]:
    """``(outputs, "")`` of the update the engine sends after partial state ``olds`` (same inputs), or
    ``(partial state, error text)``."""
    news = {key: olds[key] for key in ("publisherId", "offerId", "api", "wait", "timeoutSeconds") if key in olds}
    request = UpdateRequest(URN, resource_id, {k: from_python(v) for k, v in olds.items()},
                            {k: from_python(v) for k, v in news.items()}, 0.0, [], False)
    try:
        response = asyncio.run(provider.update(request))
    except ResourceInitError as exc:
        return {key: to_python(value) for key, value in exc.properties.items()}, exc.message
    return {key: to_python(value) for key, value in (response.properties or {}).items()}, ""
