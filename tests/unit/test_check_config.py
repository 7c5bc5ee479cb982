"""The plugin's CheckConfig: bad settings named with key and range, typos warned with the nearest key, tokens
returned secret."""

from __future__ import annotations

import asyncio

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CheckRequest

from pulumi_cpp_golive.plugin.provider import PluginProvider

URN = "urn:pulumi:dev::p::pulumi:providers:cpp-golive::default"


def check_config(**config: str) -> tuple[dict[str, PropertyValue], list[tuple[str, str]], list[str]]:
    warnings: list[str] = []
    provider = PluginProvider(log=lambda urn, text: None, warn=lambda urn, text: warnings.append(text))
    news = {key: PropertyValue(value) for key, value in config.items()}
    response = asyncio.run(provider.check_config(CheckRequest(URN, {}, news, b"")))
    failures = [(f.property, f.reason) for f in response.failures or []]
    return dict(response.inputs or {}), failures, warnings


def test_every_bad_value_is_named_with_its_range() -> None:
    _, failures, _ = check_config(pollInterval="0.1", requestTimeout="soon", baseUrl="ftp://example.test")
    reasons = dict(failures)
    assert set(reasons) == {"pollInterval", "requestTimeout", "baseUrl"}
    assert "cpp-golive:pollInterval must be between 0.25 and 86400 seconds" in reasons["pollInterval"]
    assert "cpp-golive:requestTimeout must be a number of seconds, got 'soon'" in reasons["requestTimeout"]
    assert "cpp-golive:baseUrl" in reasons["baseUrl"]


def test_a_misspelt_key_is_warned_about_with_the_nearest_setting() -> None:
    _, failures, warnings = check_config(basUrl="https://cloudpartner.azure.com", version="0.1.0", zzz="1")
    assert failures == []
    assert warnings == [
        "cpp-golive:basUrl is not a setting of this provider and is ignored; did you mean cpp-golive:baseUrl?",
        "cpp-golive:zzz is not a setting of this provider and is ignored",
    ]


def test_a_token_comes_back_secret() -> None:
    inputs, failures, warnings = check_config(accessToken="plain-token-123456", pollInterval="5")
    assert failures == [] and warnings == []
    assert inputs["accessToken"].is_secret and inputs["accessToken"].value == "plain-token-123456"
    assert not inputs["pollInterval"].is_secret
