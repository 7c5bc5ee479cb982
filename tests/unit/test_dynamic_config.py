"""The dynamic provider's configure: a bad setting fails each resource's check naming the key (no traceback from
configure), and a misspelt key is warned about with the nearest setting."""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider

INPUTS = {"publisher_id": "contoso", "offer_id": "vm1"}


def configured(raw: dict[str, str]) -> OfferGoLiveProvider:
    provider = OfferGoLiveProvider()
    provider.configure(ConfigureRequest(Config(raw_config=raw, project_name="example")))
    return provider


def test_a_bad_setting_fails_check_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOLIVE_POLL_INTERVAL", raising=False)
    provider = configured({"cpp-golive:pollInterval": "0.1", "example:offerId": "vm1"})
    result = provider.check({}, dict(INPUTS))
    assert [(f.property, f.reason) for f in result.failures] == [
        ("cpp-golive:pollInterval", "cpp-golive:pollInterval must be between 0.25 and 86400 seconds, got '0.1'")]


def test_good_settings_check_clean_and_configure_the_session() -> None:
    provider = configured({"cpp-golive:pollInterval": "5"})
    assert provider.check({}, dict(INPUTS)).failures == []
    assert provider._session.settings.poll_interval == 5.0


def test_a_misspelt_key_is_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    configured({"cpp-golive:basUrl": "http://127.0.0.1:1", "example:unrelated": "x"})
    assert capsys.readouterr().err == (
        "cpp-golive: warning: cpp-golive:basUrl is not a setting of this provider and is ignored; did you mean "
        "cpp-golive:baseUrl?\n")
