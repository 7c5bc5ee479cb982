"""The `api` input and what follows from it: validation, diff, which API a recorded operation is followed on, and
the settings of each API."""

from __future__ import annotations

import pytest
import responses

from pulumi_cpp_golive import session
from pulumi_cpp_golive.errors import ConfigurationError
from pulumi_cpp_golive.golive import GoLiveMachine
from pulumi_cpp_golive.inputs import GoLiveSpec, check_inputs, plan_change
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.settings import Settings

from .conftest import BASE, FakeClock

VALID = {"publisher_id": "contoso", "offer_id": "vm1"}
STATE = {**VALID, "api": "cpp", "wait": "completed", "operation_id": "op", "status": "succeeded"}


def test_api_defaults_to_cpp_and_accepts_product_ingestion() -> None:
    assert check_inputs(VALID) == ({**VALID, "api": "cpp", "wait": "completed"}, [])
    assert check_inputs({**VALID, "api": "product-ingestion"})[1] == []
    assert GoLiveSpec.from_inputs({**VALID, "api": "product-ingestion"}).api == "product-ingestion"


@pytest.mark.parametrize("value", ["pi", "CPP", "", 3, ["cpp"]])
def test_any_other_api_fails_check_naming_api(value: object) -> None:
    [(prop, reason)] = check_inputs({**VALID, "api": value})[1]
    assert prop == "api" and reason.startswith("api must be one of 'cpp', 'product-ingestion', got ")


def test_changing_api_is_an_update_not_a_new_golive() -> None:
    assert plan_change(STATE, {**STATE, "api": "product-ingestion"}) == (True, [])
    # A state recorded before `api` existed was CPP's: no change, so no update.
    before = {key: value for key, value in STATE.items() if key != "api"}
    assert plan_change(before, STATE) == (False, [])


def test_a_recorded_operation_is_followed_on_its_own_api() -> None:
    cpp = OperationRecord.from_state("contoso/vm1/op", STATE)
    pi = OperationRecord.from_state("contoso/vm1/job", {**STATE, "api": "cpp", "product_id": "product/g",
                                                        "submission_id": "submission/g/2"})
    assert (cpp.api, pi.api) == ("cpp", "product-ingestion")
    assert pi.outputs()["product_id"] == "product/g" and cpp.outputs()["submission_id"] == ""


@responses.activate
def test_update_after_changing_api_sends_nothing(fake_clock: FakeClock) -> None:
    # A recorded, finished go-live: whatever `api` says now, resume returns it without a request.
    record = OperationRecord.from_state("contoso/vm1/op", STATE)
    machine = session.golive(Settings(base_url=BASE, access_token="t" * 20), record.api)
    assert machine.resume(GoLiveSpec("contoso", "vm1", api="product-ingestion"), record) is record
    assert len(responses.calls) == 0


def test_each_api_gets_its_own_machine_and_token() -> None:
    settings = Settings(base_url=BASE, access_token="cpp-token-123", pi_access_token="pi-token-456")
    cpp, pi = session.golive(settings, "cpp"), session.golive(settings, "product-ingestion")
    assert isinstance(cpp, GoLiveMachine) and isinstance(pi, GoLiveMachine)
    assert (cpp.api.name, pi.api.name) == ("CPP", "Product Ingestion")
    cpp_token = session.credential(settings, "cpp").get_token("scope").token
    pi_token = session.credential(settings, "product-ingestion").get_token("scope").token
    assert (cpp_token, pi_token) == ("cpp-token-123", "pi-token-456")


def test_product_ingestion_settings_come_from_config_then_environment_then_defaults() -> None:
    defaults = Settings.resolve({}, {})
    assert defaults.pi_base_url == "https://graph.microsoft.com/rp/product-ingestion"
    assert defaults.pi_version == "2022-07-01" and defaults.pi_access_token is None
    environ = {"PI_BASE_URL": "https://pi.example.test/rp/product-ingestion/", "PI_ACCESS_TOKEN": "env-token",
               "PI_API_VERSION": "2022-03-01-preview2"}
    from_env = Settings.resolve({}, environ)
    assert (from_env.pi_base_url, from_env.pi_access_token, from_env.pi_version) == (
        "https://pi.example.test/rp/product-ingestion", "env-token", "2022-03-01-preview2")
    config = {"productIngestionUrl": "http://127.0.0.1:8080/rp/product-ingestion",
              "productIngestionToken": "config-token", "productIngestionVersion": "2023-01-01"}
    from_config = Settings.resolve(config, environ)
    assert (from_config.pi_base_url, from_config.pi_access_token, from_config.pi_version) == (
        "http://127.0.0.1:8080/rp/product-ingestion", "config-token", "2023-01-01")
    assert "config-token" not in repr(from_config)


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("productIngestionUrl", "http://pi.example.test/rp/product-ingestion", "plain http on a non-loopback host"),
    ("productIngestionUrl", "https://pi.example.test/rp/../x", "must be scheme://host[:port][/path] only"),
    ("productIngestionUrl", "https://pi.example.test/rp?x=1", "must be scheme://host[:port][/path] only"),
    ("productIngestionVersion", "2022-07-01&x=1", "must look like 2022-07-01"),
])
def test_bad_product_ingestion_settings_are_refused_by_name(key: str, value: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=f"cpp-golive:{key}") as caught:
        Settings.resolve({key: value}, {})
    assert problem in str(caught.value)
