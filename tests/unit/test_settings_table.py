"""Everything that names a provider setting agrees with the one table in ``setting_table.py``.

The README's settings table, the schema's ``config`` section and ``Settings.resolve`` each follow from the table;
each test here fails when one of them is edited alone (or the table gains a row one of them does not handle).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pulumi_cpp_golive import resource
from pulumi_cpp_golive.errors import ConfigurationError
from pulumi_cpp_golive.plugin.schema import config_variable, schema_json
from pulumi_cpp_golive.plugin.values import provider_config
from pulumi_cpp_golive.setting_table import (
    NAMESPACE,
    README_HEADER,
    SECONDS,
    SERVES_BOTH,
    SETTINGS,
    TEXT,
    URL,
    URL_WITH_PATH,
    VERSION,
    Setting,
    readme_table,
    stack_config,
)
from pulumi_cpp_golive.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PACKAGE = ROOT / "pulumi_cpp_golive"

# A value each kind accepts (differing from every default), and one it refuses with the text the error gives.
GOOD = {TEXT: "some-token-value", URL: "https://api.example.test", URL_WITH_PATH: "https://api.example.test/rp/pi",
        VERSION: "2023-05-01-preview3", SECONDS: "7.5"}
BAD = {URL: ("ftp://api.example.test", "must be an http(s) URL"),
       URL_WITH_PATH: ("http://api.example.test/rp", "plain http on a non-loopback host"),
       VERSION: ("2023-05-01&x=1", "must look like 2022-07-01"),
       SECONDS: ("soon", "must be a number of seconds")}
IDS = [setting.key for setting in SETTINGS]


def _resolved(setting: Setting, settings: Settings) -> Any:
    return getattr(settings, setting.field)


def _expected(setting: Setting, text: str) -> Any:
    return float(text) if setting.kind == SECONDS else text


# ---- the table itself ------------------------------------------------------------------------------------------

def test_rows_are_complete_and_consistent() -> None:
    assert len({setting.key for setting in SETTINGS}) == len(SETTINGS)
    assert len({name for setting in SETTINGS for name in setting.env}) == sum(len(s.env) for s in SETTINGS)
    for setting in SETTINGS:
        assert setting.kind in GOOD, setting.key
        assert setting.env, setting.key
        assert setting.serves in (*resource.APIS, SERVES_BOTH), setting.key
        assert (setting.bounds is not None) == (setting.kind == SECONDS), setting.key
        assert (setting.default is None) == bool(setting.unset), setting.key
        assert setting.description.endswith(".") and "\n" not in setting.description, setting.key


def test_settings_that_serve_both_apis_have_neutral_names_and_keep_the_old_ones() -> None:
    for setting in SETTINGS:
        if setting.serves == SERVES_BOTH:
            assert setting.env[0].startswith("GOLIVE_"), setting.key
            assert all(alias.startswith("CPP_") for alias in setting.aliases), setting.key
            assert "CPP" not in setting.description, setting.key
        else:
            assert setting.aliases == (), setting.key
    assert {s.key: s.aliases for s in SETTINGS if s.aliases} == {
        "pollInterval": ("CPP_POLL_INTERVAL",), "requestTimeout": ("CPP_REQUEST_TIMEOUT",),
        "adoptTimeout": ("CPP_ADOPT_TIMEOUT",)}


def test_settings_fields_and_defaults_are_the_tables() -> None:
    assert {field.name for field in dataclasses.fields(Settings)} == {setting.field for setting in SETTINGS}
    defaults = Settings()
    for setting in SETTINGS:
        assert _resolved(setting, defaults) == setting.default, setting.key
    for setting in SETTINGS:
        if setting.secret:
            secret = Settings(**{setting.field: "hidden-token-value"})
            assert "hidden-token-value" not in repr(secret), setting.key


def test_the_poll_interval_input_takes_its_range_from_the_table() -> None:
    declared = next(prop for prop in resource.INPUTS if prop.name == "poll_interval_seconds")
    assert declared.bounds == next(s.bounds for s in SETTINGS if s.key == "pollInterval")


# ---- the README ------------------------------------------------------------------------------------------------

def _readme_settings_table() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(README_HEADER[0])
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


def test_readme_settings_table_is_the_rendered_table() -> None:
    assert _readme_settings_table() == readme_table().splitlines(), (
        "the README's settings table differs from setting_table.py: paste `python -m "
        "pulumi_cpp_golive.setting_table` into the README's 'Credentials and settings' section")


def test_readme_settings_table_states_every_fact_of_the_table() -> None:
    # Independent of readme_table: a renderer that dropped a column would still be caught here.
    rows = _readme_settings_table()[2:]
    assert len(rows) == len(SETTINGS)
    for row, setting in zip(rows, SETTINGS):
        assert row.startswith(f"| `{NAMESPACE}:{setting.key}`"), setting.key
        for name in setting.env:
            assert f"`{name}`" in row, (setting.key, name)
        assert setting.description in row and setting.default_text() in row, setting.key
        if setting.bounds:
            low, high = setting.bounds
            assert f"{low:g} to {high:g}" in row, setting.key
        assert ("(secret)" in row) == setting.secret, setting.key


# ---- the schema ------------------------------------------------------------------------------------------------

def test_schema_config_is_generated_from_the_table() -> None:
    schema = json.loads(schema_json())
    generated = {setting.key: config_variable(setting) for setting in SETTINGS}
    assert schema["config"]["variables"] == generated
    assert schema["provider"]["inputProperties"] == generated


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_schema_config_states_the_tables_facts(setting: Setting) -> None:
    declared = json.loads(schema_json())["config"]["variables"][setting.key]
    assert declared["type"] == ("number" if setting.kind == SECONDS else "string")
    assert declared.get("secret", False) == setting.secret
    text = declared["description"]
    assert text.startswith(setting.description)
    assert setting.default_text() in text
    for name in setting.env:
        assert f"`{name}`" in text, name
    if setting.bounds:
        low, high = setting.bounds
        assert f"{low:g} to {high:g}" in text
    if setting.serves == SERVES_BOTH:
        assert "both APIs" in text and "CPP" not in text.replace("`CPP_", "`")


# ---- resolution ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_each_setting_resolves_from_config_then_each_env_name_then_default(setting: Setting) -> None:
    good = GOOD[setting.kind]
    assert _resolved(setting, Settings.resolve({setting.key: good}, {})) == _expected(setting, good)
    for name in setting.env:
        assert _resolved(setting, Settings.resolve({}, {name: good})) == _expected(setting, good), name
    other = "9" if setting.kind == SECONDS else good + "0"
    every_env = dict.fromkeys(setting.env, other)
    assert _resolved(setting, Settings.resolve({setting.key: good}, every_env)) == _expected(setting, good)
    assert _resolved(setting, Settings.resolve({setting.key: ""}, {})) == setting.default
    assert _resolved(setting, Settings.resolve({}, dict.fromkeys(setting.env, "  "))) == setting.default


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.aliases], ids=[s.key for s in SETTINGS if s.aliases])
def test_the_neutral_env_name_wins_over_its_older_alias(setting: Setting) -> None:
    environ = {setting.env[0]: "7.5", **dict.fromkeys(setting.aliases, "9")}
    assert _resolved(setting, Settings.resolve({}, environ)) == 7.5
    blank_new = {setting.env[0]: "", **dict.fromkeys(setting.aliases, "9")}
    assert _resolved(setting, Settings.resolve({}, blank_new)) == 9.0


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.kind in BAD], ids=[s.key for s in SETTINGS
                                                                                 if s.kind in BAD])
def test_an_invalid_value_names_the_property_from_config_and_from_each_env_name(setting: Setting) -> None:
    bad, problem = BAD[setting.kind]
    sources = [({setting.key: bad}, {})] + [({}, {name: bad}) for name in setting.env]
    for config, environ in sources:
        with pytest.raises(ConfigurationError, match=re.escape(f"{NAMESPACE}:{setting.key}")) as caught:
            Settings.resolve(config, environ)
        assert problem in str(caught.value), (config, environ)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.bounds], ids=[s.key for s in SETTINGS if s.bounds])
def test_numbers_accept_their_range_and_refuse_outside_it(setting: Setting) -> None:
    assert setting.bounds is not None
    low, high = setting.bounds
    for value in (low, high):
        assert _resolved(setting, Settings.resolve({setting.key: str(value)}, {})) == value
    for value in (low / 2, high * 2):
        with pytest.raises(ConfigurationError) as caught:
            Settings.resolve({setting.key: str(value)}, {})
        assert str(caught.value) == (f"{NAMESPACE}:{setting.key} must be between {low:g} and {high:g} seconds, "
                                     f"got {str(value)!r}")


# ---- the namespace: added and stripped in setting_table only ---------------------------------------------------

def test_stack_config_strips_the_namespace_of_either_spelling() -> None:
    engine = {"cpp-golive:pollInterval": "5", "cpp-golive:config:baseUrl": "https://a.example",
              "cpp-golive:baseUrl": "https://b.example", "cpp-golive:config:adoptTimeout": "",
              "cpp-golive:adoptTimeout": "30", "other:pollInterval": "1", "cpp-golive:unknown": "x"}
    assert stack_config(engine.get) == {"pollInterval": "5", "baseUrl": "https://a.example", "adoptTimeout": "30"}


def test_plugin_config_takes_args_before_variables() -> None:
    from pulumi.provider.experimental.property_value import PropertyValue

    args = {"pollInterval": PropertyValue(2.0), "baseUrl": PropertyValue(None),
            "adoptTimeout": PropertyValue.computed()}
    variables = {"cpp-golive:pollInterval": "5", "cpp-golive:baseUrl": "https://b.example",
                 "cpp-golive:adoptTimeout": "30"}
    assert provider_config(args, variables) == {"pollInterval": "2.0", "baseUrl": "https://b.example",
                                                "adoptTimeout": "30"}


def test_no_other_module_adds_or_strips_the_namespace() -> None:
    # A namespaced key built from a bare one (f"cpp-golive:{key}"), the engine's older spelling, or the namespace
    # constant itself: each belongs in setting_table.py only.
    building = re.compile(rf"{NAMESPACE}:(config:)?\{{|{NAMESPACE}:config:|NAMESPACE\b")
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in sorted(PACKAGE.rglob("*.py")) if path.name != "setting_table.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if building.search(line)]
    assert found == [], f"the config namespace is added or stripped outside setting_table.py: {found}"


# ---- the import circle -----------------------------------------------------------------------------------------

def _package_imports(module: str) -> set[str]:
    """The package modules ``module`` imports anywhere in its source (TYPE_CHECKING blocks included)."""
    path = PACKAGE / f"{module}.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module or "")
    return found


def test_the_setting_table_imports_nothing_from_the_package() -> None:
    assert _package_imports("setting_table") == set()


def test_resource_does_not_reach_errors() -> None:
    seen: set[str] = set()
    todo = ["resource"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_package_imports(module))
    assert "errors" not in seen and "settings" not in seen, sorted(seen)
