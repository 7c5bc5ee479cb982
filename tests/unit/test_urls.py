"""The one rule for server-given URLs (:mod:`pulumi_cpp_golive.urls`): parsed by urllib3's parser, the one that
connects, and used only on the configured origin; never a ValueError of a parser's."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from pulumi_cpp_golive.errors import UnusableAnswerError
from pulumi_cpp_golive.urls import origin, same_origin

BASE = "http://127.0.0.1:8080"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9\\@127.0.0.1:8080/x",  # urlsplit reads the host after "@", urllib3 the one before "\"
    "http://127.0.0.1:8080\uff20127.0.0.1:9/x",  # a fullwidth at sign
    "http://user@127.0.0.1:8080/x",
    "http://127.0.0.1:8080@127.0.0.1:9/x",
    "http://[bad-ipv6/x",
    "http://127.0.0.1:99999/x",
    "http://127.0.0.1:8080/x\r\nHost: evil",
    "http://127.0.0.1:8080/\u00e9",
    "//127.0.0.1:8080/x",
    "ftp://127.0.0.1:8080/x",
    "https://127.0.0.1:8080/x",
    "http://127.0.0.1.:8080/x",
    "",
])
def test_refused_urls_raise_our_error(url: str) -> None:
    with pytest.raises(UnusableAnswerError):
        same_origin(url, BASE)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/a?b=c", "HTTP://127.0.0.1:8080/a", "http://127.0.0.1:8080"])
def test_same_origin_is_accepted(url: str) -> None:
    assert same_origin(url, BASE).port == 8080


def test_default_ports_are_left_out_of_the_origin() -> None:
    assert origin("https://Example.test:443/x") == "https://example.test"
    assert origin("http://[::1]:80/x") == "http://[::1]"


@example("http://127.0.0.1:9\\@127.0.0.1:8080/")
@example("http://127.0.0.1:8080#@evil/")
@example("http://127.0.0.1:8080?@evil/")
@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("htp:/\\@#?.0127819[]%ae\uff20 \t"), max_size=60))
def test_an_accepted_url_connects_to_the_configured_origin(url: str) -> None:
    try:
        parsed = same_origin(url, BASE)
    except UnusableAnswerError:
        return
    connects_to = parse_url(url)  # what urllib3 (and so requests) connects to
    assert (connects_to.host, connects_to.port) == ("127.0.0.1", 8080) == (parsed.host, parsed.port)
