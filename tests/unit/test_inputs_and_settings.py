from __future__ import annotations

import base64
import re
from urllib.parse import unquote, urlsplit

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.cpp_wire import operation_id_from_url, resolve_operation_url, tracking_url
from pulumi_cpp_golive.errors import ConfigurationError, UnusableAnswerError
from pulumi_cpp_golive.inputs import GoLiveSpec, check_inputs
from pulumi_cpp_golive.settings import Settings, is_loopback

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
        ("notification_emails", ["ops@b.co", "a@b.c,d@e.f"], "notification_emails[1] must be one address"),
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


ID_LIKE = st.one_of(
    st.sampled_from([".", "..", "\u2025", "\uff0e\uff0e", "..;", "a..b", "vm.1", ".hidden", "\uff0f", "ok"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)


@settings(deadline=None)  # the first example pays for imports; correctness is what is tested
@given(publisher=ID_LIKE, offer=ID_LIKE)
def test_every_accepted_id_stays_one_path_segment_of_its_own_route(publisher: str, offer: str) -> None:
    """Whatever ``check`` accepts reaches the offer's own route: the HTTP stack (requests/urllib3, which resolve
    dot segments) keeps it as exactly one path segment. Whatever it refuses is refused naming the property."""
    _, problems = check_inputs({"publisher_id": publisher, "offer_id": offer})
    for prop, reason in problems:
        assert prop in ("publisher_id", "offer_id") and reason.startswith(f"{prop} ")
    if problems:
        return
    client = CppClient("https://cpp.example.test", StaticTokenCredential("unused-token"))
    url = requests.Request("GET", client._offer_path(publisher, offer, "golive")).prepare().url or ""
    segments = urlsplit(url).path.split("/")
    assert segments[:3] == ["", "api", "publishers"] and segments[4] == "offers" and segments[6:] == ["golive"]
    assert (unquote(segments[3]), unquote(segments[5])) == (publisher, offer)


ANY_VALUE = st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.booleans(), st.lists(st.text(), max_size=3))
SECONDS = st.one_of(st.floats(), st.integers(min_value=-10, max_value=10**12), ANY_VALUE)
ADDRESSES = st.lists(st.one_of(st.emails(), st.text(max_size=30), st.builds("{};{}".format, st.emails(), st.emails())),
                     max_size=3)


@example({"publisher_id": "p", "offer_id": "o", "poll_interval_seconds": 1e308})
@example({"publisher_id": "p", "offer_id": "o", "timeout_seconds": 1e9})
@example({"publisher_id": "p", "offer_id": "o", "notification_emails": ["a@b.co;c@d.co"]})
@example({"publisher_id": "p", "offer_id": "o", "notification_emails": ["a@b.co\x00"]})
@settings(deadline=None)
@given(st.one_of(
    st.fixed_dictionaries({"publisher_id": ID_LIKE, "offer_id": ID_LIKE},
                          optional={"wait": st.one_of(st.sampled_from(["completed", "accepted"]), ANY_VALUE),
                                    "poll_interval_seconds": SECONDS, "timeout_seconds": SECONDS,
                                    "notification_emails": st.one_of(ADDRESSES, ANY_VALUE),
                                    "triggers": ANY_VALUE}),
    st.dictionaries(st.sampled_from(["publisher_id", "offer_id", "wait", "poll_interval_seconds",
                                     "timeout_seconds", "notification_emails", "triggers"]), ANY_VALUE),
))
def test_check_accepts_only_what_a_go_live_can_use(props: dict[str, object]) -> None:
    """Each failure is reported under its own property, and what passes ``check`` builds a spec whose numbers are
    usable in deadline arithmetic and whose addresses are single plain addresses."""
    inputs, problems = check_inputs(props)
    for prop, reason in problems:
        assert prop in props or prop in ("publisher_id", "offer_id")
        assert reason.startswith((f"{prop} ", f"{prop}["))
    if problems:
        return
    spec = GoLiveSpec.from_inputs(inputs)
    for seconds in (spec.poll_interval, spec.timeout):
        assert seconds is None or 0.1 <= seconds <= 30 * 86_400
    for address in spec.notification_emails:
        assert address.count("@") == 1 and not any(ch in address for ch in ",; \x00")


@settings(deadline=None)
@given(st.lists(st.emails(), min_size=1, max_size=5))
def test_every_plain_address_is_accepted(addresses: list[str]) -> None:
    assert failures(notification_emails=addresses) == []


@example("/api/publishers/p/offers/o/operations/../golive")
@example("https://cpp.example.test:99/api/publishers/p/offers/o/operations/x")
@settings(deadline=None)
@given(st.text(max_size=300))
def test_tracking_header_parser_only_fails_clearly(raw: str) -> None:
    base = "https://cloudpartner.azure.com"
    try:
        url = tracking_url({"Location": raw}, base)
    except UnusableAnswerError as exc:
        assert re.match(r"(tracking URL|the answer|invalid port in URL)", str(exc)), str(exc)
        assert len(str(exc)) < 400  # a bounded excerpt of the header, not the whole of it
    else:
        assert url.startswith(base + "/") and url.count("api-version=") == 1


OPERATION_IDS = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_$-]{0,40}", fullmatch=True)


@settings(deadline=None)
@given(operation_id=OPERATION_IDS, absolute=st.booleans(), dollar_encoded=st.booleans(),
       query=st.sampled_from(["", "?api-version=2017-10-31", "?x=1", "?api-version=2017-10-31&sig=abc"]))
def test_well_formed_tracking_headers_resolve_to_their_operation(operation_id: str, absolute: bool,
                                                                 dollar_encoded: bool, query: str) -> None:
    base = "https://cloudpartner.azure.com"
    written = operation_id.replace("$", "%24") if dollar_encoded else operation_id
    raw = f"{base if absolute else ''}/api/publishers/p/offers/o/operations/{written}{query}"
    url = tracking_url({"Location": raw}, base)
    assert url.startswith(f"{base}/api/publishers/p/offers/o/operations/") and url.count("api-version=") == 1
    assert operation_id_from_url(url) == operation_id
    assert resolve_operation_url(url, base) == url  # idempotent


def test_settings_precedence_config_then_env_then_default() -> None:
    env = {"CPP_BASE_URL": "http://127.0.0.1:9", "CPP_POLL_INTERVAL": "5", "CPP_ACCESS_TOKEN": "from-env"}
    assert Settings.resolve({}, {}) == Settings()
    from_env = Settings.resolve({}, env)
    assert (from_env.base_url, from_env.poll_interval, from_env.access_token) == ("http://127.0.0.1:9", 5.0, "from-env")
    config = {"baseUrl": "https://cpp.example", "pollInterval": "2", "accessToken": "from-config"}
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
        Settings.resolve({"baseUrl": url}, {})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.y"])
def test_loopback_http_and_any_https_are_accepted(url: str) -> None:
    assert Settings.resolve({"baseUrl": url}, {}).base_url == url


def test_bad_poll_interval_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="cpp-golive:pollInterval must be a positive number"):
        Settings.resolve({"pollInterval": "-1"}, {})


def test_pickled_provider_holds_no_settings_or_token() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
    from pulumi_cpp_golive.session import ProviderSession

    provider = OfferGoLiveProvider()
    provider._session = ProviderSession(Settings(access_token="pickle-leak-check-token"))
    assert provider._session.settings.access_token == "pickle-leak-check-token"
    pickled = base64.b64decode(serialize_provider(provider))
    assert b"pickle-leak-check-token" not in pickled
    assert b"pulumi_cpp_golive.dynamic" in pickled and len(pickled) < 400  # by reference, not by value


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("LocalHost", True),
    ("::ffff:127.0.0.1", True),  # how a dual-stack socket reports an IPv4 loopback peer
    ("::ffff:10.0.0.1", False), ("10.0.0.1", False), ("0.0.0.0", False), ("localhost.example.com", False), ("", False),
])
def test_one_loopback_check(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
