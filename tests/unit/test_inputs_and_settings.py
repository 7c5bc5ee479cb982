from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_cpp_golive.errors import ConfigurationError, TrackingUrlError
from pulumi_cpp_golive.inputs import check_inputs
from pulumi_cpp_golive.operation import resolve_operation_url, tracking_url
from pulumi_cpp_golive.settings import Settings

VALID = {"publisher_id": "contoso", "offer_id": "vm1"}


def failures(**props: object) -> list[tuple[str, str]]:
    return check_inputs({**VALID, **props})[1]


def test_valid_inputs_get_defaults() -> None:
    inputs, problems = check_inputs(VALID)
    assert problems == []
    assert inputs["wait"] == "completed"


@pytest.mark.parametrize(
    ("prop", "value", "reason"),
    [
        ("offer_id", "", "offer_id must not be empty"),
        ("offer_id", None, "offer_id is required"),
        ("publisher_id", "con toso", "publisher_id must not contain whitespace, got 'con toso'"),
        ("offer_id", "vm/1", "offer_id must not contain '/', got 'vm/1'"),
        ("offer_id", "vm?1", "offer_id must not contain '?'"),
        ("offer_id", "vm#1", "offer_id must not contain '#'"),
        ("offer_id", "vm%2F", "offer_id must not contain '%'"),
        ("offer_id", "vm\x001", "offer_id must not contain control characters"),
        ("offer_id", 7, "offer_id must be a string, got 7"),
        ("wait", "forever", "wait must be one of 'completed', 'accepted', got 'forever'"),
        ("poll_interval_seconds", 0, "poll_interval_seconds must be a positive number of seconds, got 0"),
        ("timeout_seconds", -5.0, "timeout_seconds must be a positive number of seconds, got -5.0"),
        ("timeout_seconds", float("nan"), "timeout_seconds must be a positive number"),
        ("timeout_seconds", True, "timeout_seconds must be a number of seconds, got True"),
        ("notification_emails", "a@b.c", "notification_emails must be a list"),
        ("notification_emails", ["a@b.c,d@e.f"], "notification_emails has an invalid address"),
        ("triggers", "v1", "triggers must be a list"),
    ],
)
def test_each_bad_input_is_named_with_its_value(prop: str, value: object, reason: str) -> None:
    problems = failures(**{prop: value})
    assert len(problems) == 1
    assert problems[0][0] == prop
    assert reason in problems[0][1]


def test_unknown_values_pass_through_during_preview() -> None:
    unknown = object()
    _, problems = check_inputs({"publisher_id": unknown, "offer_id": "vm1", "wait": unknown},
                               is_unknown=lambda v: v is unknown)
    assert problems == []


@settings(deadline=None)  # the first example pays for imports; correctness is what is tested
@given(st.dictionaries(st.sampled_from(["publisher_id", "offer_id", "wait", "poll_interval_seconds",
                                        "timeout_seconds", "notification_emails", "triggers"]),
                       st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.booleans(),
                                 st.lists(st.text(), max_size=3))))
def test_check_never_crashes_and_names_a_known_property(props: dict[str, object]) -> None:
    _, problems = check_inputs(props)
    for prop, reason in problems:
        assert prop in reason


@settings(deadline=None)
@given(st.text(max_size=300))
def test_tracking_header_parser_only_fails_clearly(raw: str) -> None:
    base = "https://cloudpartner.azure.com"
    try:
        url = tracking_url({"Location": raw}, base)
    except TrackingUrlError as exc:
        assert str(exc)
    else:
        assert url.startswith(base + "/") and "api-version=" in url
        assert resolve_operation_url(url, base) == url  # idempotent


def test_settings_precedence_config_then_env_then_default() -> None:
    env = {"CPP_BASE_URL": "http://127.0.0.1:9", "CPP_POLL_INTERVAL": "5", "CPP_ACCESS_TOKEN": "from-env"}
    assert Settings.resolve({}, {}) == Settings()
    from_env = Settings.resolve({}, env)
    assert (from_env.base_url, from_env.poll_interval, from_env.access_token) == ("http://127.0.0.1:9", 5.0, "from-env")
    config = {"cpp-golive:baseUrl": "https://cpp.example", "cpp-golive:pollInterval": "2",
              "cpp-golive:accessToken": "from-config"}
    both = Settings.resolve(config, env)
    assert (both.base_url, both.poll_interval, both.access_token) == ("https://cpp.example", 2.0, "from-config")
    assert "from-config" not in repr(both)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://cpp.example.com", "plain http on a non-loopback host"),
        ("http://10.0.0.1:8080", "plain http on a non-loopback host"),
        ("ftp://127.0.0.1", "must be an http(s) URL"),
        ("https://cpp.example.com/api", "scheme://host[:port] only"),
        ("https://user:pw@cpp.example.com", "scheme://host[:port] only"),
    ],
)
def test_bad_base_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Settings.resolve({"cpp-golive:baseUrl": url}, {})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.y"])
def test_loopback_http_and_any_https_are_accepted(url: str) -> None:
    assert Settings.resolve({"cpp-golive:baseUrl": url}, {}).base_url == url


def test_bad_poll_interval_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="cpp-golive:pollInterval must be a positive number"):
        Settings.resolve({"cpp-golive:pollInterval": "-1"}, {})


def test_pickled_provider_holds_no_settings_or_token() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    from pulumi_cpp_golive.dynamic import OfferGoLiveProvider

    provider = OfferGoLiveProvider()
    provider._settings = Settings(access_token="pickle-leak-check-token")
    pickled = base64.b64decode(serialize_provider(provider))
    assert b"pickle-leak-check-token" not in pickled
    assert b"pulumi_cpp_golive.dynamic" in pickled and len(pickled) < 400  # by reference, not by value
