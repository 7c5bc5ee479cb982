"""The Pulumi package schema of ``cpp-golive``, and the camelCase <-> snake_case property names."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__, offer_status, resource
from ..setting_table import SETTINGS, Setting

PACKAGE = "cpp-golive"
#: Where `pulumi install` (and any automatic plugin acquisition) fetches the plugin the SDKs declare: this project's
#: GitHub releases. The engine reads it as the organization ``pulumi-cpp-golive`` with the repository named by its
#: convention, ``pulumi-<package>``, i.e. github.com/pulumi-cpp-golive/pulumi-cpp-golive, release tag ``v<version>``,
#: asset ``pulumi-resource-cpp-golive-v<version>-<os>-<arch>.tar.gz`` (what scripts/release builds).
PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumi-cpp-golive"
RESOURCE_TYPE = resource.GO_LIVE.token
PUBLISH_TYPE = resource.PUBLISH.token
#: Each resource's declaration by its schema token.
DECLARATIONS = {decl.token: decl for decl in resource.RESOURCES}

# schema name -> core (snake_case) name, from the declarations (both resources' names agree)
INPUTS = {prop.camel: prop.name for decl in resource.RESOURCES for prop in decl.inputs}
OUTPUTS = {prop.camel: prop.name for decl in resource.RESOURCES for prop in decl.outputs}
TO_SNAKE = {**INPUTS, **OUTPUTS}
TO_CAMEL = {snake: camel for camel, snake in TO_SNAKE.items()}


def config_variable(setting: Setting) -> dict[str, Any]:
    """One setting as the schema's ``config`` section and the provider's inputs declare it. The description says
    what it serves and where it is read from, with the default and range taken from the setting table."""
    sources = f"the environment variable `{setting.env[0]}`"
    if setting.aliases:
        sources += " (or its older name " + ", ".join(f"`{alias}`" for alias in setting.aliases) + ")"
    description = (f"{setting.description} Serves {setting.serves_text()}. When unset in stack config: {sources}, "
                   f"else {setting.default_text()}.")
    if setting.bounds is not None:
        description += f" Accepted: {setting.range_text()} seconds."
    declared: dict[str, Any] = {"type": setting.type, "description": description}
    if setting.secret:
        declared["secret"] = True
    return declared


_CONFIG = {setting.key: config_variable(setting) for setting in SETTINGS}

GO_LIVE_DESCRIPTION = (
    "Sends an Azure Marketplace offer live, once, and records the go-live operation, on the Cloud Partner Portal "
    "API (`api: cpp`) or the Product Ingestion API (`api: product-ingestion`).\n\n"
    "`pulumi preview` plans the go-live without calling the API. `pulumi up` adopts a go-live already running on the "
    "offer or posts one, then (with `wait = completed`) waits until it ends, reporting step progress. The "
    "operation ID is kept in the stack even when the wait fails, times out or is cancelled, so the next "
    "`pulumi up` resumes it instead of posting again. Deleting the resource does not undo going live (neither "
    "API can). Import an existing go-live with "
    "`pulumi import cpp-golive:index:OfferGoLive NAME {publisherId}/{offerId}/{operationId}` (a Product Ingestion "
    "configure job: `{publisherId}/{offerId}/product-ingestion/{jobId}`); an ID the API does not know is refused."
)
PUBLISH_DESCRIPTION = (
    "Publishes an Azure Marketplace offer to preview, once, and records the publish operation: the step before "
    "`OfferGoLive`, on either API (with `product-ingestion`, the product's draft submission becomes its next "
    "preview submission).\n\n"
    "`pulumi preview` plans the publish without calling the API. `pulumi up` adopts a publish already in progress on "
    "the offer or posts one, then (with `wait = preview`) waits until the preview is ready for go-live, reporting "
    "each step. The operation ID is kept in the stack through failures, timeouts and Cancel, so the next "
    "`pulumi up` resumes it instead of posting again. Wire `submissionId` to `OfferGoLive`'s `previewSubmissionId` "
    "to send live exactly this preview. Deleting the resource does not unpublish (neither API can). Import with "
    "`pulumi import cpp-golive:index:OfferPublish NAME {publisherId}/{offerId}/{operationId}` (Product Ingestion: "
    "`{publisherId}/{offerId}/product-ingestion/{jobId}`)."
)
_DESCRIPTIONS = {resource.GO_LIVE.name: GO_LIVE_DESCRIPTION, resource.PUBLISH.name: PUBLISH_DESCRIPTION}


def resource_schema(decl: resource.Declaration) -> dict[str, Any]:
    """One resource as the schema declares it, from its declaration."""
    inputs = {prop.camel: prop.schema() for prop in decl.inputs}
    outputs = {prop.camel: prop.schema() for prop in decl.outputs}
    return {
        "description": _DESCRIPTIONS[decl.name],
        "inputProperties": inputs,
        "requiredInputs": [prop.camel for prop in decl.inputs if prop.required],
        "properties": {**inputs, **outputs},
        "required": [prop.camel for prop in (*decl.inputs, *decl.outputs) if decl.always_set(prop)],
    }


SCHEMA: dict[str, Any] = {
    "name": PACKAGE,
    "displayName": "Azure Marketplace Go Live",
    "version": __version__,
    "description": "Drive the Azure Marketplace publish-to-preview and \"Go Live\" steps from Pulumi, on the Cloud "
                   "Partner Portal or the Product Ingestion API: once, resumable, never posted twice.",
    "keywords": ["azure", "marketplace", "cloud-partner-portal", "category/utility", "kind/native"],
    "license": "Apache-2.0",
    "publisher": "pulumi-cpp-golive",
    "homepage": "https://github.com/pulumi-cpp-golive/pulumi-cpp-golive",
    "repository": "https://github.com/pulumi-cpp-golive/pulumi-cpp-golive",
    "pluginDownloadURL": PLUGIN_DOWNLOAD_URL,
    "config": {"variables": _CONFIG},
    "types": {
        f"{resource.ENUM_TYPE_PREFIX}{enum.name}": {
            "type": "string",
            "description": enum.description,
            "enum": [{"name": c.name, "value": c.value, "description": c.description} for c in enum.choices],
        }
        for enum in resource.ENUMS
    },
    "provider": {
        "description": "The provider for publish and go-live resources on either API. Reads `cpp-golive:*` stack "
                       "config.",
        "inputProperties": _CONFIG,
    },
    "functions": {
        offer_status.FUNCTION_TYPE: {
            "description": "Where an offer stands, read-only (GETs only: nothing is posted or recorded), for a "
                           "pipeline to gate on: `never-published`, `publishing`, `preview-ready`, `going-live` or "
                           "`live`, with the go-live operation the API shows.",
            "inputs": {
                "properties": {
                    "publisherId": {"type": "string", "description": "Publisher (seller) ID, e.g. `contoso`."},
                    "offerId": {"type": "string", "description": "Offer ID as Partner Center shows it (with "
                                                                 "`product-ingestion`: the product's external ID)."},
                    "api": {"$ref": f"#/types/{resource.ENUM_TYPE_PREFIX}{resource.API_ENUM.name}",
                            "description": "The API to ask: `cpp` (default) or `product-ingestion`."},
                },
                "required": ["publisherId", "offerId"],
            },
            "outputs": {
                "properties": {
                    name: ({"$ref": f"#/types/{resource.ENUM_TYPE_PREFIX}{resource.OFFER_STATE_ENUM.name}"}
                           if name == "state" else {"type": "string"}) | {"description": description}
                    for name, _, description in offer_status.OUTPUTS
                },
                "required": [name for name, _, _ in offer_status.OUTPUTS],
            },
        },
    },
    "resources": {decl.token: resource_schema(decl) for decl in resource.RESOURCES},
    "language": {
        "nodejs": {"packageName": "@pulumi-cpp-golive/cpp-golive", "respectSchemaVersion": True},
        "python": {"packageName": "pulumi_cpp_golive_sdk", "pyproject": {"enabled": True},
                   "respectSchemaVersion": True},
        "go": {"importBasePath": "github.com/pulumi-cpp-golive/pulumi-cpp-golive/sdk/go/cppgolive",
               "generateResourceContainerTypes": True, "respectSchemaVersion": True},
        "csharp": {"rootNamespace": "PulumiCppGoLive", "packageReferences": {"Pulumi": "3.*"},
                   "respectSchemaVersion": True},
    },
}


def schema_json() -> str:
    """The schema as the engine's GetSchema returns it."""
    return json.dumps(SCHEMA, indent=2, sort_keys=True)
