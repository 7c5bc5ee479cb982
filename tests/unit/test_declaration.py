"""Everything that names the resource's properties agrees with the one declaration in ``resource.py``.

The schema and the output list are generated from it, the dynamic resource's signature and the README's tables are
written by hand: each test here fails when one of them drifts from the declaration.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import typing
from pathlib import Path

from pulumi_cpp_golive import resource
from pulumi_cpp_golive.dynamic import OfferGoLive
from pulumi_cpp_golive.inputs import check_inputs, recorded_state
from pulumi_cpp_golive.plugin.schema import RESOURCE_TYPE, schema_json
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.setting_table import SETTINGS

README = Path(__file__).resolve().parents[2] / "README.md"
BY_NAME = {prop.name: prop for prop in (*resource.INPUTS, *resource.OUTPUTS)}


def _schema() -> dict[str, typing.Any]:
    loaded: dict[str, typing.Any] = json.loads(schema_json())
    return loaded


def _readme_table(first_header: str) -> list[list[str]]:
    """The rows of the README table whose first column is headed ``first_header``, as lists of cells."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"| {first_header} |")))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _names(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def test_schema_properties_are_the_declared_ones() -> None:
    declared = _schema()["resources"][RESOURCE_TYPE]
    # schema_json sorts keys: compare as sets
    assert set(declared["inputProperties"]) == {prop.camel for prop in resource.INPUTS}
    assert set(declared["properties"]) == {prop.camel for prop in (*resource.INPUTS, *resource.OUTPUTS)}
    assert declared["requiredInputs"] == ["publisherId", "offerId"]
    assert declared["required"] == ["publisherId", "offerId", "api", "wait", "operationId", "operationLocation",
                                    "status"]
    for prop in (*resource.INPUTS, *resource.OUTPUTS):
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


def test_dynamic_signature_takes_the_declared_inputs_with_their_defaults() -> None:
    parameters = list(inspect.signature(OfferGoLive.__init__).parameters.values())
    assert [p.name for p in parameters] == ["self", "resource_name", *resource.INPUT_NAMES, "opts"]
    for parameter in parameters[2:-1]:
        prop = BY_NAME[parameter.name]
        if prop.required:
            assert parameter.default is inspect.Parameter.empty, parameter.name
        else:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default == prop.default, prop.name


def test_dynamic_outputs_and_docs_are_the_declared_ones() -> None:
    outputs = [name for name in OfferGoLive.__annotations__ if not name.startswith("_")]
    assert outputs == list(resource.OUTPUT_NAMES)
    doc = inspect.getdoc(OfferGoLive) or ""
    for prop in resource.INPUTS:
        assert f":param {prop.name}: {resource.rst(prop.description)}" in doc
    for prop in resource.OUTPUTS:
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


def test_readme_signature_is_the_declared_one() -> None:
    arguments = ["resource_name"]
    arguments += [prop.name for prop in resource.INPUTS if prop.required]
    arguments.append("*")
    arguments += [f"{prop.name}={json.dumps(prop.default) if prop.default is not None else 'None'}"
                  for prop in resource.INPUTS if not prop.required]
    assert f"`OfferGoLive({', '.join([*arguments, 'opts=None'])})`" in README.read_text(encoding="utf-8")


def test_readme_input_table_is_the_declared_inputs() -> None:
    rows = _readme_table("input")
    assert [name for row in rows for name in _names(row[0])] == list(resource.INPUT_NAMES)
    for row in rows:
        for name in _names(row[0]):
            prop = BY_NAME[name]
            assert row[2].startswith("replace") == prop.replaces, name
            if prop.bounds:
                low, high = prop.bounds
                assert f"{low:.12g}" in row[1] and f"{high:.12g}" in row[1], name


def test_readme_output_table_is_the_declared_outputs() -> None:
    assert [name for row in _readme_table("output") for name in _names(row[0])] == list(resource.OUTPUT_NAMES)


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
