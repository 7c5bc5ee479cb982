"""The Pulumi dynamic providers and the ``OfferGoLive`` and ``OfferPublish`` resource classes (adapters only:
logic is in golive.py).

Dynamic-provider facts that shape this file (see the README's "Limits"):

* The provider object is pickled into state by reference (it lives in an importable module) and carries no
  fields: settings and clients are rebuilt in the provider process from the stack config handed to ``configure``.
* ``pulumi preview`` never calls ``create`` on a dynamic provider, so preview sends no request.
* Progress goes to stderr, which the engine shows as Info diagnostics while ``pulumi up`` runs.
* A failing ``create`` records nothing in state. That is safe here because the next ``create`` adopts the
  operation still running at CPP instead of posting again, and refuses to post after a failed go-live until the
  offer is published again (README, "A failed go-live").
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi.dynamic as dyn
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .console import progress_line
from .errors import ConfigurationError, GoLiveError, OfferGoLiveError
from .inputs import GoLiveSpec, check_inputs, input_notes, plan_change, recorded_state
from .offer_status import OfferStatus, query_problems
from .record import OperationRecord
from .resource import API_CPP, GO_LIVE, PUBLISH, WAIT_COMPLETED, WAIT_PREVIEW, Declaration, rst
from .session import FORGET_MESSAGES, ProviderSession
from .setting_table import bare_keys, qualified, stack_config
from .settings import config_problems, unknown_key_warnings


def _is_unknown(value: Any) -> bool:
    # The dynamic host deserialises a value not known yet as an ``Unknown`` (keep_unknowns), older ones as the string.
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


class _OperationProvider(dyn.ResourceProvider):
    """What both dynamic providers are: one resource declaration (``_decl``) on the operation machine."""

    _decl: Declaration = GO_LIVE

    def __init__(self) -> None:
        super().__init__()
        self._session = ProviderSession()
        self._config_problems: list[tuple[str, str]] = []

    # Nothing on the instance is pickled into state: settings are rebuilt from config in the provider process.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]  # a fresh provider, as unpickling one must give

    def configure(self, req: dyn.ConfigureRequest) -> None:
        # Bad settings are reported by check, per resource and naming the key: an error raised here would reach the
        # user as a Python traceback. Misspelt keys are named with the nearest setting.
        raw = getattr(req.config, "_props", {})  # the whole stack config: the only way to see keys we never read
        for warning in unknown_key_warnings(bare_keys(raw)):
            progress_line(f"warning: {warning}")
        config = stack_config(req.config.get)
        self._config_problems = config_problems(config)
        if not self._config_problems:
            self._session.configure(config)

    # ---- check / diff -------------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        inputs, failures = check_inputs(news, is_unknown=_is_unknown, decl=self._decl)
        failures = [*((qualified(key), reason) for key, reason in self._config_problems), *failures]
        return dyn.CheckResult(inputs, [dyn.CheckFailure(prop, reason) for prop, reason in failures])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> dyn.DiffResult:
        changes, replaces = plan_change(_olds, _news, self._decl)
        return dyn.DiffResult(changes=changes, replaces=replaces, delete_before_replace=False)

    # ---- create / update / read / delete ------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        spec = GoLiveSpec.from_inputs(props)
        for note in input_notes(spec, self._decl):
            progress_line(f"{spec.publisher_id}/{spec.offer_id}: {note}")
        try:
            record = self._session.golive(spec.api, progress_line, kind=self._decl).create(spec)
        except OfferGoLiveError as exc:
            raise _user_error(exc) from None
        return dyn.CreateResult(record.resource_id, recorded_state(props, record, self._decl))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> dyn.UpdateResult:
        spec = GoLiveSpec.from_inputs(_news)
        try:
            recorded = OperationRecord.from_state(_id, _olds)
            record = self._session.golive(recorded.api, progress_line, kind=self._decl).resume(spec, recorded)
        except OfferGoLiveError as exc:
            raise _user_error(exc) from None
        return dyn.UpdateResult(recorded_state(_news, record, self._decl))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            recorded = OperationRecord.from_state(id_, props)
            record = self._session.golive(recorded.api, progress_line, warn=lambda line: progress_line(
                f"warning: {line}"), kind=self._decl).refresh(recorded)
        except OfferGoLiveError as exc:
            raise _user_error(exc) from None
        return dyn.ReadResult(id_, recorded_state(props, record, self._decl))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        progress_line(f"{_id}: {FORGET_MESSAGES[self._decl.name]}")


class OfferGoLiveProvider(_OperationProvider):
    """Dynamic provider behind :class:`OfferGoLive`. See :mod:`pulumi_cpp_golive.golive` for the semantics."""

    _decl = GO_LIVE


class OfferPublishProvider(_OperationProvider):
    """Dynamic provider behind :class:`OfferPublish`: the same machine, on the publish to preview."""

    _decl = PUBLISH


def _user_error(exc: OfferGoLiveError) -> Exception:
    # The dynamic host shows the exception text to the user; keep it one clear line, with the operation ID.
    text = str(exc)
    if isinstance(exc, GoLiveError) and exc.operation_id not in text:
        text += f" (operation {exc.operation_id})"
    return Exception(text)


def _docstring(decl: Declaration, summary: str) -> str:
    """A class docstring: ``summary``, then one line per declared input and output (resource.py)."""
    params = "\n".join(f":param {prop.name}: {rst(prop.description)}" for prop in decl.inputs)
    outputs = "\n".join(f":ivar {prop.name}: {rst(prop.description)}" for prop in decl.outputs)
    return f"""{summary}

:param resource_name: the Pulumi resource name.
{params}
:param opts: Pulumi resource options.
{outputs}
"""


_GO_LIVE_SUMMARY = """Sends a Marketplace offer live, once, and records the go-live operation in the stack.

It works on the Cloud Partner Portal API (``api="cpp"``) or on the Product Ingestion API
(``api="product-ingestion"``). ``pulumi preview`` shows the planned go-live without calling the API. ``pulumi up``
adopts a go-live already running on the offer or posts one, then (with ``wait="completed"``) waits until it ends.
The operation ID is kept in state, so later ``pulumi up`` runs do nothing; a run that was interrupted or timed out
resumes the same operation instead of posting again. Deleting the resource does not undo going live (neither API
can)."""

_PUBLISH_SUMMARY = """Publishes a Marketplace offer to preview, once, and records the publish operation in the stack.

The step before :class:`OfferGoLive`, on either API. ``pulumi preview`` shows the planned publish without calling
the API. ``pulumi up`` adopts a publish already in progress on the offer or posts one, then (with
``wait="preview"``) waits until the preview is ready for go-live. The operation ID is kept in state, so a run that
was interrupted or timed out resumes the same publish instead of posting again. Pass ``submission_id`` to
``OfferGoLive(preview_submission_id=...)`` (Product Ingestion) to send live exactly this preview. Deleting the
resource does not unpublish (neither API can)."""


class OfferGoLive(dyn.Resource, module="cpp-golive", name="OfferGoLive"):
    # The docstring is generated from the declaration (see _docstring); the signature is checked against it by
    # tests/unit/test_declaration.py.
    __doc__ = _docstring(GO_LIVE, _GO_LIVE_SUMMARY)

    operation_id: pulumi.Output[str]
    operation_location: pulumi.Output[str]
    status: pulumi.Output[str]
    accepted_at: pulumi.Output[Optional[str]]
    completed_at: pulumi.Output[Optional[str]]
    product_id: pulumi.Output[Optional[str]]
    submission_id: pulumi.Output[Optional[str]]

    def __init__(
        self,
        resource_name: str,
        publisher_id: pulumi.Input[str],
        offer_id: pulumi.Input[str],
        *,
        api: pulumi.Input[str] = API_CPP,
        triggers: Optional[pulumi.Input[Sequence[Any]]] = None,
        wait: pulumi.Input[str] = WAIT_COMPLETED,
        poll_interval_seconds: Optional[pulumi.Input[float]] = None,
        timeout_seconds: Optional[pulumi.Input[float]] = None,
        notification_emails: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        preview_submission_id: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        # Every declared input is a parameter of the same name (checked by a test), so the arguments are the inputs.
        super().__init__(OfferGoLiveProvider(), resource_name, _props(GO_LIVE, locals()), opts)


class OfferPublish(dyn.Resource, module="cpp-golive", name="OfferPublish"):
    __doc__ = _docstring(PUBLISH, _PUBLISH_SUMMARY)

    operation_id: pulumi.Output[str]
    operation_location: pulumi.Output[str]
    status: pulumi.Output[str]
    accepted_at: pulumi.Output[Optional[str]]
    completed_at: pulumi.Output[Optional[str]]
    product_id: pulumi.Output[Optional[str]]
    submission_id: pulumi.Output[Optional[str]]

    def __init__(
        self,
        resource_name: str,
        publisher_id: pulumi.Input[str],
        offer_id: pulumi.Input[str],
        *,
        api: pulumi.Input[str] = API_CPP,
        triggers: Optional[pulumi.Input[Sequence[Any]]] = None,
        wait: pulumi.Input[str] = WAIT_PREVIEW,
        poll_interval_seconds: Optional[pulumi.Input[float]] = None,
        timeout_seconds: Optional[pulumi.Input[float]] = None,
        notification_emails: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__(OfferPublishProvider(), resource_name, _props(PUBLISH, locals()), opts)


def _props(decl: Declaration, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's properties: each declared input from the argument of its name, each output unknown."""
    props: dict[str, Any] = {name: arguments[name] for name in decl.input_names}
    props.update(dict.fromkeys(decl.output_names))
    return props


def get_offer_status(publisher_id: str, offer_id: str, api: str = API_CPP) -> OfferStatus:
    """Where an offer stands, for programs that use the dynamic provider (the plugin's ``getOfferStatus``):
    ``never-published``, ``publishing``, ``preview-ready``, ``going-live`` or ``live``, with the go-live operation the
    API shows. GETs only: nothing is posted or recorded, so it runs in ``pulumi preview`` too. Reads the same
    ``cpp-golive:*`` settings as :class:`OfferGoLive` (stack config, else the environment), in the program's own
    process; call it from a program (or anywhere the environment holds the settings).

    :raises ConfigurationError: an ID that cannot name an offer, an unknown ``api``, or a bad setting.
    """
    problems = query_problems(publisher_id, offer_id, api)
    if problems:
        raise ConfigurationError("; ".join(reason for _, reason in problems))
    session = ProviderSession()
    session.configure(stack_config(pulumi.runtime.get_config))
    return session.offer_status(GoLiveSpec(publisher_id=publisher_id, offer_id=offer_id, api=api))
