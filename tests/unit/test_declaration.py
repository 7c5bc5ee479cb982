"""Everything that names the resources' properties agrees with the one declaration in ``resource.py``.

The schema, the output lists, the docstrings and the README's reference blocks are generated from it, the dynamic
resources' signatures are written by hand: each test here fails when one of them drifts from the declaration.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import typing
from pathlib import Path
from types import ModuleType

import pytest

from pulumi_cpp_golive import resource
from pulumi_cpp_golive.dynamic import OfferGoLive, OfferPublish
from pulumi_cpp_golive.inputs import check_inputs, recorded_state
from pulumi_cpp_golive.plugin.schema import RESOURCE_TYPE, schema_json
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.setting_table import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BY_NAME = {prop.name: prop for prop in (*resource.INPUTS, *resource.OUTPUTS)}
CLASSES = {resource.GO_LIVE.name: OfferGoLive, resource.PUBLISH.name: OfferPublish}
EACH = pytest.mark.parametrize("decl", resource.RESOURCES, ids=lambda decl: decl.name)


def _readme_tables() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "lib" / "readme_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _schema() -> dict[str, typing.Any]:
    loaded: dict[str, typing.Any] = json.loads(schema_json())
    return loaded


@EACH
def test_schema_properties_are_the_declared_ones(decl: resource.Declaration) -> None:
    declared = _schema()["resources"][decl.token]
    # schema_json sorts keys: compare as sets
    assert set(declared["inputProperties"]) == {prop.camel for prop in decl.inputs}
    assert set(declared["properties"]) == {prop.camel for prop in (*decl.inputs, *decl.outputs)}
    assert declared["requiredInputs"] == ["publisherId", "offerId"]
    assert declared["required"] == ["publisherId", "offerId", "api", "wait", "operationId", "operationLocation",
                                    "status"]
    for prop in (*decl.inputs, *decl.outputs):
        schema = declared["properties"][prop.camel]
        if prop.enum is None:
            assert schema["type"] == prop.type
        else:
            assert schema["$ref"] == f"#/types/cpp-golive:index:{prop.enum.name}" and "type" not in schema
        assert schema["description"].startswith(prop.description)
        assert schema.get("willReplaceOnChanges", False) == prop.replaces


def test_camel_names_are_the_snake_names_in_camel_case() -> None:
    for prop in (*resource.INPUTS, *resource.OUTPUTS):
        head, *rest = prop.name.split("_")
        assert prop.camel == head + "".join(word.capitalize() for word in rest)


@EACH
def test_dynamic_signature_takes_the_declared_inputs_with_their_defaults(decl: resource.Declaration) -> None:
    parameters = list(inspect.signature(CLASSES[decl.name].__init__).parameters.values())
    assert [p.name for p in parameters] == ["self", "resource_name", *decl.input_names, "opts"]
    for parameter in parameters[2:-1]:
        prop = decl.input(parameter.name)
        assert prop is not None
        if prop.required:
            assert parameter.default is inspect.Parameter.empty, parameter.name
        else:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default == prop.default, prop.name


@EACH
def test_dynamic_outputs_and_docs_are_the_declared_ones(decl: resource.Declaration) -> None:
    cls = CLASSES[decl.name]
    outputs = [name for name in cls.__annotations__ if not name.startswith("_")]
    assert outputs == list(decl.output_names)
    doc = inspect.getdoc(cls) or ""
    for prop in decl.inputs:
        assert f":param {prop.name}: {resource.rst(prop.description)}" in doc
    for prop in decl.outputs:
        assert f":ivar {prop.name}: {resource.rst(prop.description)}" in doc


def test_recorded_state_holds_every_declared_input_and_output() -> None:
    assert {field.name for field in dataclasses.fields(OperationRecord)} >= set(resource.OUTPUT_NAMES)
    record = OperationRecord("contoso", "vm1", "op", "/api/x/operations/op", "running", "2026-01-01T00:00:00Z")
    assert list(record.outputs()) == list(resource.OUTPUT_NAMES)
    state = recorded_state({"publisher_id": "contoso", "offer_id": "vm1"}, record)
    assert list(state) == [*resource.INPUT_NAMES, *resource.OUTPUT_NAMES]


def test_check_fills_declared_defaults_and_checks_declared_bounds() -> None:
    filled, failures = check_inputs({"publisher_id": "contoso", "offer_id": "vm1"})
    assert failures == []
    for prop in resource.INPUTS:
        if not prop.required:
            assert filled.get(prop.name) == prop.default, prop.name
    bounded = [prop for prop in resource.INPUTS if prop.bounds]
    assert bounded, "no input declares bounds"
    for prop in bounded:
        assert prop.bounds is not None
        low, high = prop.bounds
        for value in (low, high):
            assert check_inputs({"publisher_id": "p", "offer_id": "o", prop.name: value})[1] == []
        for value in (low / 2, high * 2):
            failures = check_inputs({"publisher_id": "p", "offer_id": "o", prop.name: value})[1]
            assert failures == [(prop.name, f"{prop.name} must be between {low:g} and {high:g} seconds, "
                                            f"got {value!r}")]


def test_readme_reference_blocks_are_the_generated_ones() -> None:
    """scripts/gen-sdk writes them; this fails when resource.py changed and it was not run."""
    text = README.read_text(encoding="utf-8")
    assert _readme_tables().rendered(text) == text


@EACH
def test_the_generated_reference_follows_the_declaration(decl: resource.Declaration) -> None:
    block = _readme_tables().block(decl)
    for prop in decl.inputs:
        [row] = [line for line in block.splitlines() if line.startswith(f"| `{prop.name}` |")]
        assert row.endswith("| replace (a new go-live) |" if decl is resource.GO_LIVE and prop.replaces
                            else "| replace (a new publish) |" if prop.replaces else "|"), row
        if prop.bounds:
            low, high = prop.bounds
            assert f"{low:.12g} to {high:.12g} seconds" in row, prop.name
    for prop in decl.outputs:
        assert f"| `{prop.name}` |" in block
    assert block.startswith(f"`{decl.name}(resource_name, publisher_id, offer_id, *, ")


def test_config_keys_are_the_schemas_and_the_readmes() -> None:
    keys = {setting.key for setting in SETTINGS}
    schema = _schema()
    assert set(schema["config"]["variables"]) == keys
    assert set(schema["provider"]["inputProperties"]) == keys
    readme = README.read_text(encoding="utf-8")
    for key in keys:
        assert f"cpp-golive:{key}" in readme


def test_api_and_wait_are_schema_enums_of_the_declared_values() -> None:
    """TypeScript, Go and C# refuse a misspelt `api` or `wait` at compile time only if the schema says enum."""
    schema = _schema()
    for camel, values in (("api", resource.APIS), ("wait", resource.WAIT_MODES)):
        reference = schema["resources"][RESOURCE_TYPE]["inputProperties"][camel]["$ref"]
        enum = schema["types"][reference.removeprefix("#/types/")]
        assert enum["type"] == "string"
        assert tuple(choice["value"] for choice in enum["enum"]) == values
        assert all(choice["name"] and choice["description"] for choice in enum["enum"])
