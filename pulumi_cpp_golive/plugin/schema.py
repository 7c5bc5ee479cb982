"""The Pulumi package schema of ``cpp-golive``, and the camelCase <-> snake_case property names."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__, resource

PACKAGE = "cpp-golive"
RESOURCE_TYPE = "cpp-golive:index:OfferGoLive"

# schema name -> core (snake_case) name, from the one declaration
INPUTS = {prop.camel: prop.name for prop in resource.INPUTS}
OUTPUTS = {prop.camel: prop.name for prop in resource.OUTPUTS}
TO_SNAKE = {**INPUTS, **OUTPUTS}
TO_CAMEL = {snake: camel for camel, snake in TO_SNAKE.items()}

_CONFIG = {
    "accessToken": {
        "type": "string",
        "secret": True,
        "description": "Bearer token for the CPP API. When unset: the `CPP_ACCESS_TOKEN` environment variable, "
                       "else azure-identity's DefaultAzureCredential (service principal environment variables, "
                       "workload or managed identity, `az login`) for scope "
                       "`https://cloudpartner.azure.com/.default`.",
    },
    "baseUrl": {
        "type": "string",
        "description": "CPP API base URL (default `https://cloudpartner.azure.com`, or `CPP_BASE_URL`). Plain "
                       "`http://` is accepted for loopback hosts only; the token is never sent to another host.",
    },
    "pollInterval": {
        "type": "number",
        "description": "Seconds between status polls when CPP sends no `Retry-After` (default 60, or "
                       "`CPP_POLL_INTERVAL`).",
    },
    "requestTimeout": {
        "type": "number",
        "description": "Read timeout of one HTTP call in seconds (default 120, or `CPP_REQUEST_TIMEOUT`).",
    },
    "adoptTimeout": {
        "type": "number",
        "description": "Seconds to wait for the operations list to show a go-live that must be running (after an "
                       "ambiguous go-live POST, a 409, or an offer status that says running) before stopping with "
                       "\"re-running is safe\"; nothing is posted meanwhile (default 120, 1 to 3600, or "
                       "`CPP_ADOPT_TIMEOUT`). Applies to both APIs.",
    },
    "productIngestionUrl": {
        "type": "string",
        "description": "Product Ingestion API base URL, for `api: product-ingestion` (default "
                       "`https://graph.microsoft.com/rp/product-ingestion`, or `PI_BASE_URL`). Plain `http://` is "
                       "accepted for loopback hosts only; the token is never sent to another host.",
    },
    "productIngestionToken": {
        "type": "string",
        "secret": True,
        "description": "Bearer token for the Product Ingestion API. When unset: the `PI_ACCESS_TOKEN` environment "
                       "variable, else azure-identity's DefaultAzureCredential for scope "
                       "`https://graph.microsoft.com/.default` (an Entra app associated with the Partner Center "
                       "account).",
    },
    "productIngestionVersion": {
        "type": "string",
        "description": "The `$version` sent on every Product Ingestion call (default `2022-07-01`, or "
                       "`PI_API_VERSION`).",
    },
}

_INPUT_PROPERTIES = {prop.camel: prop.schema() for prop in resource.INPUTS}
_OUTPUT_PROPERTIES = {prop.camel: prop.schema() for prop in resource.OUTPUTS}

RESOURCE_DESCRIPTION = (
    "Sends an Azure Marketplace offer live, once, and records the go-live operation, on the Cloud Partner Portal "
    "API (`api: cpp`) or the Product Ingestion API (`api: product-ingestion`).\n\n"
    "`pulumi preview` plans the go-live without calling the API. `pulumi up` adopts a go-live already running on the "
    "offer or posts one, then (with `wait = completed`) waits until it ends, reporting step progress. The "
    "operation ID is kept in the stack even when the wait fails, times out or is cancelled, so the next "
    "`pulumi up` resumes it instead of posting again. Deleting the resource does not undo going live (neither "
    "API can). Import an existing go-live with "
    "`pulumi import cpp-golive:index:OfferGoLive NAME {publisherId}/{offerId}/{operationId}`."
)

SCHEMA: dict[str, Any] = {
    "name": PACKAGE,
    "displayName": "CPP Go Live",
    "version": __version__,
    "description": "Drive the Azure Marketplace Cloud Partner Portal \"Go Live\" step from Pulumi: once, "
                   "resumable, never posted twice.",
    "keywords": ["azure", "marketplace", "cloud-partner-portal", "category/utility", "kind/native"],
    "license": "Apache-2.0",
    "publisher": "pulumi-cpp-golive",
    "homepage": "https://github.com/pulumi-cpp-golive/pulumi-cpp-golive",
    "repository": "https://github.com/pulumi-cpp-golive/pulumi-cpp-golive",
    "config": {"variables": _CONFIG},
    "provider": {
        "description": "The provider for CPP go-live resources. Reads `cpp-golive:*` stack config.",
        "inputProperties": _CONFIG,
    },
    "resources": {
        RESOURCE_TYPE: {
            "description": RESOURCE_DESCRIPTION,
            "inputProperties": _INPUT_PROPERTIES,
            "requiredInputs": [prop.camel for prop in resource.INPUTS if prop.required],
            "properties": {**_INPUT_PROPERTIES, **_OUTPUT_PROPERTIES},
            "required": [prop.camel for prop in (*resource.INPUTS, *resource.OUTPUTS) if prop.always_set],
        },
    },
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
