"""The one rule for every URL a server hands us (``nextLink``, ``@nextLink``, ``Location``,
``Operation-Location``, tracking URLs): it is parsed **once**, by the parser the HTTP stack connects with
(:func:`urllib3.util.parse_url`, which requests and urllib3 use to pick the host), and it is used only when its
scheme, host and port are the configured base URL's.

Why one parser: Python's ``urlsplit`` and urllib3 read some URLs differently. In
``http://127.0.0.1:1\\@127.0.0.1:2/x`` ``urlsplit`` sees host ``127.0.0.1:2`` (after the ``@``) while urllib3
connects to ``127.0.0.1:1`` (before the ``\\``), so a check made with one and a connection made with the other
sent the bearer token to another server. A check made with urllib3's own parser judges the host the request
really goes to. Characters no marketplace URL carries (``\\``, control characters, whitespace, anything not
ASCII, which includes the fullwidth ``＠``) and userinfo (``user@``) are refused outright, before parsing, so that
no parser's reading of them matters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import UnusableAnswerError

if TYPE_CHECKING:
    from urllib3.util import Url

_DEFAULT_PORTS = {"http": 80, "https": 443}
# How much of a refused URL an error shows (a server may send a megabyte of it).
_SHOWN = 200


def shown(url: str) -> str:
    """``url`` as an error may show it: without its query (a signature may be in it), cut to a bounded length."""
    return url.split("?", 1)[0][:_SHOWN]


def refuse_odd_characters(url: str, what: str) -> None:
    """Raise :class:`UnusableAnswerError` when ``url`` holds a character no marketplace URL carries: a backslash, a
    control character or whitespace, or anything outside printable ASCII (a fullwidth ``＠`` is one)."""
    for ch in url:
        if ch == "\\" or not 0x21 <= ord(ch) <= 0x7E:
            raise UnusableAnswerError(f"{what} {shown(url)!r} contains {ch!r}, which no API URL carries; refused")


def parse(url: str, what: str = "URL") -> Url:
    """``url`` parsed by urllib3 (the parser that connects), absolute http(s), without userinfo; else
    :class:`UnusableAnswerError` (never a ``ValueError`` of the parser's)."""
    if not isinstance(url, str) or not url:
        raise UnusableAnswerError(f"{what} is empty or not a string")
    refuse_odd_characters(url, what)
    # Imported here: state records import this module, and Check and Diff must not load the HTTP stack.
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        parsed = parse_url(url)
    except (LocationParseError, ValueError) as exc:  # LocationParseError is a ValueError; any other is too
        raise UnusableAnswerError(f"{what} {shown(url)!r} cannot be parsed ({type(exc).__name__})") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS or not parsed.host:
        raise UnusableAnswerError(f"{what} {shown(url)!r} is not an absolute http(s) URL")
    if parsed.auth is not None or "@" in (parsed.netloc or ""):
        raise UnusableAnswerError(f"{what} {shown(url)!r} carries userinfo (user@host); refused")
    return parsed


def origin_of(parsed: Url) -> str:
    """``scheme://host[:port]`` of a parsed URL, lower-cased, with the scheme's default port left out."""
    scheme = (parsed.scheme or "").lower()
    host = (parsed.host or "").lower()
    port = parsed.port
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` as urllib3 connects to it; :class:`UnusableAnswerError` when ``url``
    is not a URL the client would send a request to (see :func:`parse`)."""
    return origin_of(parse(url))


def same_origin(url: str, base_url: str, what: str = "URL", service: str = "") -> Url:
    """``url`` parsed (:func:`parse`), provided that its scheme, host and port are ``base_url``'s; else
    :class:`UnusableAnswerError` naming where it points. This is the check every request passes before it is sent
    (:class:`~.pipeline_policies.SameHostPolicy`) and every server-given URL before it is used."""
    parsed = parse(url, what)
    target, allowed = origin_of(parsed), origin(base_url)
    if target != allowed:
        host = f"{service} host" if service else "host"
        raise UnusableAnswerError(f"{what} points at {target}, not at the configured {host} {allowed}; refusing to "
                               "send the bearer token there")
    return parsed
