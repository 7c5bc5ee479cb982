"""The one declaration of each resource's inputs and outputs: ``OfferGoLive`` (:data:`GO_LIVE`) and
``OfferPublish`` (:data:`PUBLISH`).

Everything else that names a property is generated from a :class:`Declaration` or checked against it by
``tests/unit/test_declaration.py``: the plugin schema (``plugin/schema.py``), the dynamic resources' signatures
and docstrings (``dynamic.py``), the recorded outputs (``OperationRecord.outputs``), the state both adapters store
(``inputs.recorded_state``) and the README's input and output tables. Adding an input is one entry here, its
validation in ``inputs.check_inputs`` when it needs one, and ``scripts/gen-sdk`` for the SDKs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from .setting_table import POLL_INTERVAL_RANGE

WAIT_COMPLETED = "completed"
WAIT_ACCEPTED = "accepted"
WAIT_PREVIEW = "preview"  # OfferPublish: until the preview is ready for go-live
API_CPP = "cpp"
API_PRODUCT_INGESTION = "product-ingestion"


@dataclasses.dataclass(frozen=True)
class Choice:
    """One value of an enumerated input: its schema name (the SDKs' constant, e.g. ``Wait.Completed``), its value
    and what it means."""

    name: str
    value: str
    description: str


@dataclasses.dataclass(frozen=True)
class Enum:
    """An input whose value is one of a few: a schema enum type, generated into every SDK (TypeScript, Go and C#
    then refuse a misspelt value at compile time); ``check`` still refuses one from YAML or the dynamic provider."""

    name: str  # the type's name in the schema, ``cpp-golive:index:<name>``
    description: str
    choices: tuple[Choice, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


API_ENUM = Enum("Api", "Which marketplace API serves the operation.", (
    Choice("Cpp", API_CPP, "The legacy Cloud Partner Portal API."),
    Choice("ProductIngestion", API_PRODUCT_INGESTION,
           "Microsoft's Product Ingestion API, for every offer created in Partner Center."),
))
WAIT_ENUM = Enum("Wait", "How long `pulumi up` waits on the operation.", (
    Choice("Completed", WAIT_COMPLETED, "Until the operation ends (hours to days)."),
    Choice("Accepted", WAIT_ACCEPTED, "Until the API accepted it and its ID is recorded."),
))
# getOfferStatus's states (offer_status.py): where an offer stands.
NEVER_PUBLISHED = "never-published"
PUBLISHING = "publishing"
PREVIEW_READY = "preview-ready"
GOING_LIVE = "going-live"
LIVE = "live"
OFFER_STATE_ENUM = Enum("OfferState", "Where an offer stands, as `getOfferStatus` reports it.", (
    Choice("NeverPublished", NEVER_PUBLISHED, "No preview that succeeded: publish to preview first."),
    Choice("Publishing", PUBLISHING, "A publish to preview is in progress."),
    Choice("PreviewReady", PREVIEW_READY, "Published to preview and awaiting go-live."),
    Choice("GoingLive", GOING_LIVE, "A go-live is running."),
    Choice("Live", LIVE, "The offer is live with its current preview."),
))
PUBLISH_WAIT_ENUM = Enum("PublishWait", "How long `pulumi up` waits on a publish to preview.", (
    Choice("Preview", WAIT_PREVIEW, "Until the preview is ready for go-live (hours to days: certification)."),
    Choice("Accepted", WAIT_ACCEPTED, "Until the API accepted the publish and its ID is recorded."),
))
ENUMS = (API_ENUM, WAIT_ENUM, PUBLISH_WAIT_ENUM, OFFER_STATE_ENUM)
APIS = API_ENUM.values
WAIT_MODES = WAIT_ENUM.values

# The schema's token of an enum type, before its name (``cpp-golive:index:Api``).
ENUM_TYPE_PREFIX = "cpp-golive:index:"

# A wait longer than 30 days is a stuck job (Microsoft's guides put go-live at hours to about two weeks).
TIMEOUT_RANGE = (0.1, 30 * 86_400.0)


@dataclasses.dataclass(frozen=True)
class Property:
    """One input or output of the resource.

    ``description`` is Markdown, shown by the schema and SDKs and (as reStructuredText) by the dynamic resource's
    docstring. ``plugin_note`` is appended in the schema only: what holds for the plugin but not for the dynamic
    provider (e.g. ``customTimeouts``, which the dynamic host never passes on).
    """

    name: str  # snake_case: the core, the dynamic resource, the Python state
    camel: str  # camelCase: the schema, the SDKs, the plugin's state
    type: str  # schema type: "string", "number" or "array"
    description: str
    items: Optional[dict[str, Any]] = None  # schema "items" of an array
    required: bool = False  # an input the program must give
    default: Any = None  # filled in by check when the program gives none
    replaces: bool = False  # a change means another go-live (replace), not a change of how we wait (update)
    bounds: Optional[tuple[float, float]] = None  # inclusive range of a number, checked in check
    optional: bool = False  # an output that may be absent (None) in state
    plugin_note: str = ""
    enum: Optional[Enum] = None  # a string input whose value is one of the enum's (a schema enum type)

    def schema(self) -> dict[str, Any]:
        """The property as the Pulumi package schema declares it."""
        text = f"{self.description} {self.plugin_note}" if self.plugin_note else self.description
        declared: dict[str, Any] = {"type": self.type}
        if self.enum is not None:
            declared = {"$ref": f"#/types/{ENUM_TYPE_PREFIX}{self.enum.name}"}
        if self.items is not None:
            declared["items"] = self.items
        declared["description"] = text
        if self.replaces:
            declared["willReplaceOnChanges"] = True
        return declared


INPUTS: tuple[Property, ...] = (  # OfferGoLive's
    Property("publisher_id", "publisherId", "string",
             "Publisher (seller) ID, e.g. `contoso`. CPP addresses the offer by it; with `product-ingestion` it only "
             "names the seller in the resource ID.",
             required=True, replaces=True),
    Property("offer_id", "offerId", "string",
             "Offer ID as Partner Center shows it (with `product-ingestion`: the product's external ID). The offer "
             "must have been published to preview and await publisher sign-off.",
             required=True, replaces=True),
    Property("api", "api", "string",
             "`cpp` (default): the legacy Cloud Partner Portal API; `product-ingestion`: Microsoft's Product "
             "Ingestion API, for every offer created in Partner Center. Changing it on an existing resource sends "
             "nothing.",
             default=API_CPP, enum=API_ENUM),
    Property("triggers", "triggers", "array",
             "Any values; changing them replaces the resource, i.e. performs a new go-live. Put the offer version "
             "you just published here.",
             items={"$ref": "pulumi.json#/Any"}, replaces=True),
    Property("wait", "wait", "string",
             "`completed` (default) waits until the operation ends (hours to days); `accepted` returns once the API "
             "accepted the go-live and its ID is recorded. A later `pulumi up` with `completed` resumes the "
             "recorded operation without posting again.",
             default=WAIT_COMPLETED, enum=WAIT_ENUM),
    Property("poll_interval_seconds", "pollIntervalSeconds", "number",
             "Seconds between status polls when the API sends no `Retry-After` (default: provider `pollInterval`).",
             bounds=POLL_INTERVAL_RANGE),
    Property("timeout_seconds", "timeoutSeconds", "number",
             "Stop waiting (not the operation) after this many seconds. The operation ID stays in the stack and "
             "the next `pulumi up` resumes the wait.",
             bounds=TIMEOUT_RANGE, plugin_note="`customTimeouts.create` works too."),
    Property("notification_emails", "notificationEmails", "array",
             "`cpp` only: addresses CPP notifies (ignored by CPP for offers migrated to Partner Center).",
             items={"type": "string"}),
    Property("preview_submission_id", "previewSubmissionId", "string",
             "`product-ingestion` only: go live only if the offer's current preview submission is this one "
             "(`submission/<guid>/<n>`), else refuse naming both. Wire `OfferPublish`'s `submissionId` here to "
             "send live exactly what the stack published; changing it is a new go-live.",
             replaces=True),
)

OUTPUTS: tuple[Property, ...] = (
    Property("operation_id", "operationId", "string",
             "ID of the go-live operation (a GUID, or `publisher$offer$version$preview` for non-migrated offers)."),
    Property("operation_location", "operationLocation", "string",
             "Tracking path of the operation, relative to the API's base URL, with `api-version` (CPP) or "
             "`$version` (Product Ingestion)."),
    Property("status", "status", "string", "`running`, `succeeded`, `failed` or `canceled`."),
    Property("accepted_at", "acceptedAt", "string", "When the API accepted the go-live (ISO-8601 UTC).", optional=True),
    Property("completed_at", "completedAt", "string",
             "When the operation was seen to end (ISO-8601 UTC); empty while running.", optional=True),
    Property("product_id", "productId", "string",
             "`product-ingestion` only: the product's durable ID, `product/<guid>`; empty for CPP.", optional=True),
    Property("submission_id", "submissionId", "string",
             "`product-ingestion` only: the submission sent live, `submission/<guid>/<n>`; empty for CPP.",
             optional=True),
)

_PUBLISH_DESCRIPTIONS = {
    "offer_id": "Offer ID as Partner Center shows it (with `product-ingestion`: the product's external ID). With "
                "`product-ingestion` its draft submission is what is published.",
    "triggers": "Any values; changing them replaces the resource, i.e. publishes again. Put the offer version "
                "(or a hash of its draft) here.",
    "wait": "`preview` (default) waits until the preview is ready for go-live (certification: hours to days); "
            "`accepted` returns once the API accepted the publish and its ID is recorded. A later `pulumi up` "
            "with `preview` resumes the recorded operation without posting again.",
    "notification_emails": "Addresses CPP notifies about the publish (required with `cpp`, sent comma-joined); "
                           "ignored, with a note, by `product-ingestion`.",
}
PUBLISH_INPUTS: tuple[Property, ...] = tuple(
    dataclasses.replace(prop, description=_PUBLISH_DESCRIPTIONS.get(prop.name, prop.description),
                        default=WAIT_PREVIEW if prop.name == "wait" else prop.default,
                        enum=PUBLISH_WAIT_ENUM if prop.name == "wait" else prop.enum)
    for prop in INPUTS if prop.name != "preview_submission_id"
)
_PUBLISH_OUTPUT_DESCRIPTIONS = {
    "operation_id": "ID of the publish: CPP's operation GUID; Product Ingestion's configure job ID (or, for a "
                    "publish adopted from the listing, its preview submission ID).",
    "status": "`running`, `succeeded` (the preview is ready for go-live), `failed` or `canceled`.",
    "accepted_at": "When the API accepted the publish (ISO-8601 UTC).",
    "completed_at": "When the preview was seen ready, or the publish to end (ISO-8601 UTC); empty while running.",
    "submission_id": "`product-ingestion` only: the preview submission the publish created, "
                     "`submission/<guid>/<n>` (wire it to `OfferGoLive`'s `previewSubmissionId`); empty for CPP.",
}
PUBLISH_OUTPUTS: tuple[Property, ...] = tuple(
    dataclasses.replace(prop, description=_PUBLISH_OUTPUT_DESCRIPTIONS.get(prop.name, prop.description))
    for prop in OUTPUTS
)


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One resource: its name (the schema token is ``cpp-golive:index:<name>``), inputs and outputs."""

    name: str
    inputs: tuple[Property, ...]
    outputs: tuple[Property, ...]

    @property
    def token(self) -> str:
        return f"{ENUM_TYPE_PREFIX}{self.name}"

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(prop.name for prop in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(prop.name for prop in self.outputs)

    @property
    def replace_on_change(self) -> tuple[str, ...]:
        return tuple(prop.name for prop in self.inputs if prop.replaces)

    def input(self, name: str) -> Optional[Property]:
        return next((prop for prop in self.inputs if prop.name == name), None)

    def always_set(self, prop: Property) -> bool:
        """Whether ``prop`` has a value in every recorded state (the schema's ``required``)."""
        if prop in self.inputs:
            return prop.required or prop.default is not None
        return not prop.optional


GO_LIVE = Declaration("OfferGoLive", INPUTS, OUTPUTS)
PUBLISH = Declaration("OfferPublish", PUBLISH_INPUTS, PUBLISH_OUTPUTS)
RESOURCES = (GO_LIVE, PUBLISH)

INPUT_NAMES = GO_LIVE.input_names
OUTPUT_NAMES = GO_LIVE.output_names
REPLACE_ON_CHANGE = GO_LIVE.replace_on_change


def rst(markdown: str) -> str:
    """A description in the reStructuredText of Python docstrings: Markdown's `code` becomes ``code``."""
    return markdown.replace("`", "``")
