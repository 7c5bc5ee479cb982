"""``cpp-golive`` as a ``pulumi.provider.experimental.Provider``: translate names and values, call the core.

Blocking go-live waits run on a dedicated, large thread pool (not asyncio's default one, which holds only a
handful of threads), so the gRPC event loop stays free for Check, Diff, Cancel and other resources' Creates:
N offers wait side by side.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ..errors import AmbiguousGoLiveError, GoLiveError, OfferGoLiveError
from ..inputs import (
    GoLiveSpec,
    check_inputs,
    id_problem,
    imported_inputs,
    input_changes,
    input_notes,
    plan_change,
    recorded_state,
)
from ..offer_status import FUNCTION_TYPE, query_problems
from ..offer_status import OUTPUTS as STATUS_OUTPUTS
from ..record import OperationRecord
from ..resource import API_CPP, API_PRODUCT_INGESTION, Declaration
from ..session import FORGET_MESSAGES, ProviderSession
from ..setting_table import SETTINGS
from ..settings import config_problems, unknown_key_warnings
from ..status import RUNNING, UNCONFIRMED, utc_now
from .schema import DECLARATIONS, RESOURCE_TYPE, schema_json
from .values import camel_name, camel_props, is_unknown, provider_config, snake_props, to_python, unknown_value

if TYPE_CHECKING:
    from ..golive import Reporter

# (how an input changes, whether that change replaces) -> the engine's kind of property diff.
_DIFF_KINDS = {
    ("add", False): PropertyDiffKind.ADD, ("add", True): PropertyDiffKind.ADD_REPLACE,
    ("delete", False): PropertyDiffKind.DELETE, ("delete", True): PropertyDiffKind.DELETE_REPLACE,
    ("update", False): PropertyDiffKind.UPDATE, ("update", True): PropertyDiffKind.UPDATE_REPLACE,
}

T = TypeVar("T")
Logger = Callable[[str, str], None]  # (urn, message)

_WAIT_THREADS = 512  # one per offer waiting at once; each mostly sleeps


class ResourceInitError(Exception):
    """A create/update that failed after CPP accepted the go-live: the engine must still record these outputs."""

    def __init__(self, message: str, resource_id: str, properties: dict[str, PropertyValue]) -> None:
        super().__init__(message)
        self.message = message
        self.resource_id = resource_id
        self.properties = properties


class PluginProvider(Provider):
    """The plugin's provider. ``log(urn, text)`` sends a progress line to the engine, attached to the resource."""

    def __init__(self, log: Optional[Logger] = None, warn: Optional[Logger] = None,
                 passing: Optional[Logger] = None) -> None:
        """``log`` gets the lasting progress lines (kept in the engine's Diagnostics), ``passing`` the step changes
        (shown while they are news; default: ``log``), ``warn`` warnings."""
        self._session = ProviderSession()
        self._cancel = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=_WAIT_THREADS, thread_name_prefix="golive")
        self._log = log or (lambda urn, text: None)
        self._warn = warn or self._log
        self._passing = passing or self._log

    # ---- provider-level --------------------------------------------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=schema_json())

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        """Every bad setting at once, named with its key and range, before any resource is touched; a typo'd key
        warned about with the nearest setting; a token returned secret, so that the stack keeps it encrypted even when
        it was set without ``--secret``."""
        inputs = dict(request.new_inputs)
        given = {key: value.value for key, value in inputs.items()
                 if not isinstance(value.value, Computed) and value.value is not None}
        failures = [CheckFailure(key, reason) for key, reason in config_problems(given)]
        for warning in unknown_key_warnings(given):
            self._warn(request.urn, warning)
        # The engine hands CheckConfig every value unmarked (it strips secrets before a provider has said it takes
        # them), so whether the user typed --secret cannot be seen here: a token is returned secret either way.
        for setting in SETTINGS:
            value = inputs.get(setting.key)
            if setting.secret and value is not None:
                inputs[setting.key] = value.with_secret(True)
        return CheckResponse(inputs=inputs, failures=failures)

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        """``getOfferStatus``: where an offer stands (GETs only)."""
        if request.tok != FUNCTION_TYPE:
            raise OfferGoLiveError(f"unknown function {request.tok!r}; this provider has {FUNCTION_TYPE}")
        args = {key: to_python(value) for key, value in request.args.items()}
        api = args.get("api") or API_CPP
        problems = query_problems(args.get("publisherId"), args.get("offerId"), api, ("publisherId", "offerId", "api"))
        if problems:
            return InvokeResponse(failures=[CheckFailure(name, reason) for name, reason in problems])
        spec = GoLiveSpec(publisher_id=str(args["publisherId"]), offer_id=str(args["offerId"]), api=str(api))
        session = self._session
        status = await self._blocking(lambda: session.offer_status(spec))
        return InvokeResponse(return_value={name: PropertyValue(getattr(status, field))
                                            for name, field, _ in STATUS_OUTPUTS})

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        self._session.configure(provider_config(request.args, request.variables))
        # No preview support: the engine never calls create during preview, so preview sends nothing to CPP.
        return ConfigureResponse(accept_secrets=False, supports_preview=False)

    async def cancel(self) -> None:
        # The engine's Cancel (first Ctrl-C): every wait stops now and reports partial state with its ID.
        self._cancel.set()

    # ---- check / diff ----------------------------------------------------------------------------------------

    async def check(self, request: CheckRequest) -> CheckResponse:
        decl = _declaration(request.urn)
        inputs, problems = check_inputs(snake_props(request.new_inputs), is_unknown=is_unknown, decl=decl)
        failures = [CheckFailure(camel_name(prop), reason.replace(prop, camel_name(prop), 1))
                    for prop, reason in problems]
        known = {key: value for key, value in inputs.items() if not is_unknown(value)}
        checked = camel_props(known)
        for prop in decl.inputs:  # keep unknowns unknown
            if is_unknown(inputs.get(prop.name)):
                checked[prop.camel] = unknown_value()
        return CheckResponse(inputs=checked, failures=failures)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        decl = _declaration(request.urn)
        old, new = snake_props(request.old_state), snake_props(request.new_inputs)
        changes, replaces = plan_change(old, new, decl)
        # The engine prints `[diff: ~triggers]` and `--diff`'s old and new values only from a detailed diff.
        detailed = {camel_name(name): PropertyDiff(_DIFF_KINDS[kind, name in replaces], input_diff=True)
                    for name, kind in input_changes(old, new, decl).items()}
        return DiffResponse(changes=changes, replaces=[camel_name(name) for name in replaces],
                            diffs=list(detailed), detailed_diff=detailed, delete_before_replace=False)

    # ---- create / update / read / delete ---------------------------------------------------------------------

    async def create(self, request: CreateRequest) -> CreateResponse:
        decl = _declaration(request.urn)
        inputs = snake_props(request.properties)
        spec = GoLiveSpec.from_inputs(inputs)
        timeout = _tighter(spec.timeout, request.timeout)
        report, progress = self._reporters(request.urn)
        for note in input_notes(spec, decl):
            report(note)
        try:
            record = await self._blocking(
                lambda: self._session.golive(spec.api, report, progress, kind=decl).create(spec, self._cancel,
                                                                                             timeout))
        except GoLiveError as exc:
            raise ResourceInitError(str(exc), exc.record.resource_id, _properties(inputs, exc.record, decl)) from None
        except AmbiguousGoLiveError as exc:
            if not exc.posted:
                raise
            # Recorded, so that the next `pulumi up` (an update, as after any partial state) looks before it posts.
            unconfirmed = OperationRecord(spec.publisher_id, spec.offer_id, UNCONFIRMED, "", RUNNING,
                                          exc.sent_at or utc_now())
            window = self._session.settings.adopt_timeout
            raise ResourceInitError(
                f"{exc} The stack records this: the next `pulumi up` looks for it for up to {window:g} s "
                "(cpp-golive:adoptTimeout) before it posts.", unconfirmed.resource_id,
                _properties(inputs, unconfirmed, decl)) from None
        return CreateResponse(resource_id=record.resource_id, properties=_properties(inputs, record, decl))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        decl = _declaration(request.urn)
        olds, news = snake_props(request.olds), snake_props(request.news)
        spec = GoLiveSpec.from_inputs(news)
        recorded = OperationRecord.from_state(request.resource_id, olds)
        report, progress = self._reporters(request.urn)
        timeout = _tighter(spec.timeout, request.timeout)
        # A recorded operation is followed on its own API; an unconfirmed POST is looked for on the one posted to.
        api = spec.api if recorded.operation_id == UNCONFIRMED else recorded.api
        session = self._session
        try:
            record = await self._blocking(
                lambda: session.golive(api, report, progress, kind=decl).resume(spec, recorded, self._cancel,
                                                                                 timeout=timeout))
        except GoLiveError as exc:
            raise ResourceInitError(str(exc), request.resource_id, _properties(news, exc.record, decl)) from None
        except AmbiguousGoLiveError as exc:
            if not exc.posted or recorded.operation_id != UNCONFIRMED:
                raise
            raise ResourceInitError(
                f"{exc} The stack still records the ambiguous POST: the next `pulumi up` looks again before it "
                "posts.", request.resource_id, _properties(news, recorded, decl)) from None
        return UpdateResponse(properties=_properties(news, record, decl))

    async def read(self, request: ReadRequest) -> ReadResponse:
        decl = _declaration(request.urn)
        state = snake_props(request.properties) or snake_props(request.inputs)
        if not state:  # `pulumi import`: nothing but the ID, and nothing is believed until the API confirms it
            return await self._import(request, decl)
        record = OperationRecord.from_state(request.resource_id, state)
        if not record.publisher_id or not record.offer_id or not record.operation_id:
            raise OfferGoLiveError(f"cannot read {request.resource_id!r}: the ID must be "
                           "{publisherId}/{offerId}/{operationId}")
        report, progress = self._reporters(request.urn)
        recorded = record
        warn = lambda text: self._warn(request.urn, text)  # noqa: E731  (a refresh that keeps a forgotten record)
        record = await self._blocking(
            lambda: self._session.golive(recorded.api, report, progress, warn, kind=decl).refresh(recorded))
        inputs = snake_props(request.inputs) or imported_inputs(record, decl)
        return ReadResponse(resource_id=record.resource_id,
                            properties=_properties({**state, **inputs}, record, decl), inputs=camel_props(inputs))

    async def _import(self, request: ReadRequest, decl: Declaration) -> ReadResponse:
        parts = request.resource_id.split("/")
        if len(parts) == 4 and parts[2] == API_PRODUCT_INGESTION:
            api, (publisher_id, offer_id, _, operation_id) = API_PRODUCT_INGESTION, parts
        elif len(parts) == 3:
            api, (publisher_id, offer_id, operation_id) = API_CPP, parts
        else:
            raise OfferGoLiveError(
                f"cannot import {request.resource_id!r}: the ID is {{publisherId}}/{{offerId}}/{{operationId}} (CPP) "
                "or {publisherId}/{offerId}/product-ingestion/{jobId} (a Product Ingestion configure job)")
        spec = GoLiveSpec(publisher_id=publisher_id, offer_id=offer_id, api=api)
        for name, value in (("publisherId", publisher_id), ("offerId", offer_id), ("operationId", operation_id)):
            problem = id_problem(value)
            if problem is not None:
                raise OfferGoLiveError(f"cannot import {request.resource_id!r}: its {name} {problem}")
        report, progress = self._reporters(request.urn)
        session = self._session
        record = await self._blocking(
            lambda: session.golive(api, report, progress, kind=decl).import_operation(spec, operation_id))
        inputs = imported_inputs(record, decl)
        return ReadResponse(resource_id=record.resource_id, properties=_properties(inputs, record, decl),
                            inputs=camel_props(inputs))

    async def delete(self, request: DeleteRequest) -> None:
        self._log(request.urn, FORGET_MESSAGES[_declaration(request.urn).name])

    # ---- plumbing --------------------------------------------------------------------------------------------

    def _reporters(self, urn: str) -> tuple[Reporter, Reporter]:
        """The machine's two channels for one resource: lasting lines and passing ones."""
        return (lambda text: self._log(urn, text)), (lambda text: self._passing(urn, text))

    async def _blocking(self, work: Callable[[], T]) -> T:
        # Build the GoLiveMachine inside ``work``: the session keeps one HTTP client per thread.
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)


def _tighter(mine: Optional[float], engines: float) -> Optional[float]:
    """The shorter of ``timeoutSeconds`` and ``customTimeouts`` (the engine sends 0 when unset)."""
    limits = [limit for limit in (mine, engines or None) if limit]
    return min(limits) if limits else None


def _properties(inputs: Mapping[str, Any], record: OperationRecord, decl: Declaration) -> dict[str, PropertyValue]:
    return camel_props(recorded_state(inputs, record, decl))


def _declaration(urn: str) -> Declaration:
    """The declaration of the resource a URN names (``urn:pulumi:stack::project::[parent$]type::name``)."""
    parts = urn.split("::")
    token = parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""
    found = DECLARATIONS.get(token)
    if found is None:
        raise OfferGoLiveError(f"unknown resource type {token!r}; this provider has {', '.join(DECLARATIONS)}")
    return found


__all__ = ["RESOURCE_TYPE", "PluginProvider", "ResourceInitError"]
