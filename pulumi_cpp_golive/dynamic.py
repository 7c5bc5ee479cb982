"""The Pulumi dynamic provider and the ``OfferGoLive`` resource class (an adapter only: logic is in golive.py).

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

import os
import sys
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi.dynamic as dyn
from pulumi.runtime import rpc

from . import runtime
from .errors import CppError, GoLiveError
from .inputs import WAIT_COMPLETED, GoLiveSpec, check_inputs, plan_change, recorded_state
from .operation import OperationRecord
from .settings import Settings

OUTPUT_NAMES = ("operation_id", "operation_location", "status", "accepted_at", "completed_at")


def _report(line: str) -> None:
    print(f"cpp-golive: {line}", file=sys.stderr, flush=True)


def _is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value == rpc.UNKNOWN


class OfferGoLiveProvider(dyn.ResourceProvider):
    """Dynamic provider behind :class:`OfferGoLive`. See :mod:`pulumi_cpp_golive.golive` for the semantics."""

    def __init__(self) -> None:
        super().__init__()
        self._settings: Optional[Settings] = None

    # Nothing on the instance is pickled into state: settings are rebuilt from config in the provider process.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self._settings = None

    def configure(self, req: dyn.ConfigureRequest) -> None:
        keys = ("cpp-golive:accessToken", "cpp-golive:baseUrl", "cpp-golive:pollInterval", "cpp-golive:requestTimeout",
                "cpp-golive:adoptTimeout")
        config = {key: req.config.get(key) for key in keys}
        self._settings = Settings.resolve(config, os.environ)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.resolve({}, os.environ)
        return self._settings

    # ---- check / diff -------------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        inputs, failures = check_inputs(news, is_unknown=_is_unknown)
        return dyn.CheckResult(inputs, [dyn.CheckFailure(prop, reason) for prop, reason in failures])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> dyn.DiffResult:
        changes, replaces = plan_change(_olds, _news)
        return dyn.DiffResult(changes=changes, replaces=replaces, delete_before_replace=False)

    # ---- create / update / read / delete ------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        spec = GoLiveSpec.from_inputs(props)
        try:
            record = runtime.golive(self.settings, _report).create(spec)
        except CppError as exc:
            raise _user_error(exc) from None
        return dyn.CreateResult(record.resource_id, recorded_state(props, record))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> dyn.UpdateResult:
        spec = GoLiveSpec.from_inputs(_news)
        try:
            record = runtime.golive(self.settings, _report).resume(spec, OperationRecord.from_state(_id, _olds))
        except CppError as exc:
            raise _user_error(exc) from None
        return dyn.UpdateResult(recorded_state(_news, record))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        record = OperationRecord.from_state(id_, props)
        spec = GoLiveSpec(publisher_id=record.publisher_id, offer_id=record.offer_id)
        try:
            record = runtime.golive(self.settings, _report).refresh(spec, record)
        except CppError as exc:
            raise _user_error(exc) from None
        return dyn.ReadResult(id_, recorded_state(props, record))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Going live cannot be undone through the CPP API: deleting only forgets the resource.
        _report(f"{_id}: removed from the stack only; the offer stays live (CPP has no 'undo go-live')")


def _user_error(exc: CppError) -> Exception:
    # The dynamic host shows the exception text to the user; keep it one clear line, with the operation ID.
    text = str(exc)
    if isinstance(exc, GoLiveError) and exc.operation_id not in text:
        text += f" (operation {exc.operation_id})"
    return Exception(text)


class OfferGoLive(dyn.Resource, module="cpp-golive", name="OfferGoLive"):
    """Sends a Cloud Partner Portal offer live, once, and records the go-live operation in the stack.

    ``pulumi preview`` shows the planned go-live without calling CPP. ``pulumi up`` adopts a go-live already
    running on the offer or posts one, then (with ``wait="completed"``) waits until it ends. The operation ID is
    kept in state, so later ``pulumi up`` runs do nothing; a run that was interrupted or timed out resumes the same
    operation instead of posting again. Deleting the resource does not undo going live (CPP cannot).

    :param resource_name: the Pulumi resource name.
    :param publisher_id: CPP publisher ID (e.g. ``contoso``).
    :param offer_id: CPP offer ID; the offer must have been published to preview and await publisher sign-off.
    :param triggers: any values; changing them replaces the resource, i.e. performs a new go-live (use it with the
        offer version you just published).
    :param wait: ``"completed"`` blocks until the operation ends (hours to days); ``"accepted"`` returns once CPP
        accepted it and the ID is recorded; a later ``pulumi up`` with ``"completed"`` resumes the wait.
    :param poll_interval_seconds: seconds between status polls when CPP sends no ``Retry-After``
        (default: ``cpp-golive:pollInterval``, else ``CPP_POLL_INTERVAL``, else 60).
    :param timeout_seconds: give up waiting (not the operation) after this long; re-run ``pulumi up`` to resume.
    :param notification_emails: addresses CPP notifies (ignored by CPP for offers migrated to Partner Center).
    """

    operation_id: pulumi.Output[str]
    """ID of the go-live operation (a GUID, or ``publisher$offer$version$preview`` for non-migrated offers)."""
    operation_location: pulumi.Output[str]
    """Tracking URL path of the operation, relative to the CPP base URL, with ``api-version``."""
    status: pulumi.Output[str]
    """``running``, ``succeeded``, ``failed`` or ``canceled``."""
    accepted_at: pulumi.Output[Optional[str]]
    """When CPP accepted the go-live (ISO-8601 UTC)."""
    completed_at: pulumi.Output[Optional[str]]
    """When the operation was seen to end (ISO-8601 UTC), or None while running."""

    def __init__(
        self,
        resource_name: str,
        publisher_id: pulumi.Input[str],
        offer_id: pulumi.Input[str],
        *,
        triggers: Optional[pulumi.Input[Sequence[Any]]] = None,
        wait: pulumi.Input[str] = WAIT_COMPLETED,
        poll_interval_seconds: Optional[pulumi.Input[float]] = None,
        timeout_seconds: Optional[pulumi.Input[float]] = None,
        notification_emails: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        props: dict[str, Any] = {
            "publisher_id": publisher_id,
            "offer_id": offer_id,
            "triggers": triggers,
            "wait": wait,
            "poll_interval_seconds": poll_interval_seconds,
            "timeout_seconds": timeout_seconds,
            "notification_emails": notification_emails,
            **{name: None for name in OUTPUT_NAMES},
        }
        super().__init__(OfferGoLiveProvider(), resource_name, props, opts)
