"""Where the provider's settings come from: stack config first, then environment variables, then defaults.

=========================  ======================  ===================================
stack config               environment             default
=========================  ======================  ===================================
``cpp-golive:accessToken``  ``CPP_ACCESS_TOKEN``    azure-identity ``DefaultAzureCredential``
``cpp-golive:baseUrl``      ``CPP_BASE_URL``        ``https://cloudpartner.azure.com``
``cpp-golive:pollInterval`` ``CPP_POLL_INTERVAL``   60 seconds (0.25 to 86400)
``cpp-golive:requestTimeout`` ``CPP_REQUEST_TIMEOUT`` 120 seconds (0.1 to 3600; one HTTP call)
``cpp-golive:adoptTimeout``  ``CPP_ADOPT_TIMEOUT``   120 seconds (1 to 3600; look for a go-live the list lags on)
``cpp-golive:productIngestionUrl``  ``PI_BASE_URL``  ``https://graph.microsoft.com/rp/product-ingestion``
``cpp-golive:productIngestionToken``  ``PI_ACCESS_TOKEN``  azure-identity, scope ``https://graph.microsoft.com/.default``
``cpp-golive:productIngestionVersion``  ``PI_API_VERSION``  ``2022-07-01`` (the ``$version`` of every PI call)
=========================  ======================  ===================================

The first five serve CPP (``api: cpp``); the poll interval, request and adopt timeouts serve both APIs; the last
three serve the Product Ingestion API (``api: product-ingestion``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from .errors import ConfigurationError

DEFAULT_BASE_URL = "https://cloudpartner.azure.com"
DEFAULT_PI_BASE_URL = "https://graph.microsoft.com/rp/product-ingestion"
# The newest schema version we know, sent as ``$version`` on every PI call (docs/product-ingestion-api.md §1, §9).
DEFAULT_PI_VERSION = "2022-07-01"
DEFAULT_POLL_INTERVAL = 60.0
DEFAULT_REQUEST_TIMEOUT = 120.0  # CPP calls can be slow; one real client raised its timeout to 5 minutes
# How long to wait for the operations list to show a go-live that must exist (after an ambiguous POST, a 409, an
# offer status that says running) before giving up with "re-running is safe". Lists lag by seconds, not minutes.
DEFAULT_ADOPT_TIMEOUT = 120.0
CONFIG_NAMESPACE = "cpp-golive"
# The provider's config keys (``cpp-golive:<key>``), as both adapters read them in Configure.
CONFIG_KEYS = ("accessToken", "baseUrl", "pollInterval", "requestTimeout", "adoptTimeout", "productIngestionUrl",
               "productIngestionToken", "productIngestionVersion")
# Accepted ranges (seconds), inclusive, for this setting and the resource's poll_interval_seconds: polling more
# often than the wait loop's own 0.25 s floor is pointless, less often than daily misses a go-live by a day. An
# HTTP call allowed more than an hour is a hang, not a slow answer.
POLL_INTERVAL_RANGE = (0.25, 86_400.0)
REQUEST_TIMEOUT_RANGE = (0.1, 3_600.0)
# A list lags behind a new operation by seconds; waiting an hour for it is a hang, not patience.
ADOPT_TIMEOUT_RANGE = (1.0, 3_600.0)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Resolved provider settings. ``repr`` never shows the token."""

    base_url: str = DEFAULT_BASE_URL
    poll_interval: float = DEFAULT_POLL_INTERVAL
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    adopt_timeout: float = DEFAULT_ADOPT_TIMEOUT
    access_token: Optional[str] = dataclasses.field(default=None, repr=False)
    pi_base_url: str = DEFAULT_PI_BASE_URL
    pi_version: str = DEFAULT_PI_VERSION
    pi_access_token: Optional[str] = dataclasses.field(default=None, repr=False)

    @classmethod
    def resolve(cls, config: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
        """Build settings from stack config (namespaced keys, e.g. ``cpp-golive:baseUrl``) and the environment."""

        def pick(key: str, env: str) -> Optional[str]:
            value = config.get(f"{CONFIG_NAMESPACE}:{key}")
            if value is None or value == "":
                value = environ.get(env)
            return None if value is None or str(value).strip() == "" else str(value).strip()

        base_url = validate_base_url(pick("baseUrl", "CPP_BASE_URL") or DEFAULT_BASE_URL)
        numbers = {}
        for field, key, env, bounds in _NUMBER_SETTINGS:
            text = pick(key, env)
            if text is not None:
                numbers[field] = positive_number(f"{CONFIG_NAMESPACE}:{key}", text, bounds)
        pi_base_url = validate_base_url(pick("productIngestionUrl", "PI_BASE_URL") or DEFAULT_PI_BASE_URL,
                                        setting=f"{CONFIG_NAMESPACE}:productIngestionUrl", allow_path=True)
        pi_version = pick("productIngestionVersion", "PI_API_VERSION") or DEFAULT_PI_VERSION
        if not _VERSION.fullmatch(pi_version):
            raise ConfigurationError(f"{CONFIG_NAMESPACE}:productIngestionVersion must look like 2022-07-01 (or "
                                     f"2022-03-01-preview2), got {pi_version!r}")
        return cls(base_url=base_url, access_token=pick("accessToken", "CPP_ACCESS_TOKEN"), pi_base_url=pi_base_url,
                   pi_version=pi_version, pi_access_token=pick("productIngestionToken", "PI_ACCESS_TOKEN"),
                   **numbers)


# A PI ``$version``: a date, optionally with a preview suffix (it goes into every query string as it is).
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview\d*)?")

# The numeric settings: (Settings field, config key, environment variable, accepted range). Unset, a field keeps its
# default above.
_NUMBER_SETTINGS = (
    ("poll_interval", "pollInterval", "CPP_POLL_INTERVAL", POLL_INTERVAL_RANGE),
    ("request_timeout", "requestTimeout", "CPP_REQUEST_TIMEOUT", REQUEST_TIMEOUT_RANGE),
    ("adopt_timeout", "adoptTimeout", "CPP_ADOPT_TIMEOUT", ADOPT_TIMEOUT_RANGE),
)


def positive_number(name: str, value: object, bounds: tuple[float, float]) -> float:
    """``value`` as a number of seconds within ``bounds`` (inclusive), or a :class:`ConfigurationError` naming
    ``name``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ConfigurationError(f"{name} must be a number of seconds, got {value!r}") from None
    low, high = bounds
    if not math.isfinite(number) or number <= 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
    if not low <= number <= high:
        raise ConfigurationError(f"{name} must be between {low:g} and {high:g} seconds, got {value!r}")
    return number


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, as a URL or a socket gives it) is this machine's loopback.

    The one loopback check of the package: plain http, a token endpoint without instance discovery and the
    simulator's listening address and peers are allowed only where this says yes. An IPv4-mapped IPv6 address
    (``::ffff:127.0.0.1``, how a dual-stack socket reports an IPv4 peer) counts as its IPv4 address.
    """
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def validate_base_url(url: str, *, setting: str = "cpp-golive:baseUrl", allow_path: bool = False) -> str:
    """Accept ``https://host[:port]`` anywhere and ``http://`` only on loopback; return it without a trailing /.

    ``allow_path`` admits a path (the Product Ingestion API lives under ``/rp/product-ingestion``); ``setting`` is
    the name errors give.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"{setting} must be an http(s) URL, got {url!r}")
    if scheme == "http" and not is_loopback(host):
        raise ConfigurationError(
            f"{setting} {url!r} uses plain http on a non-loopback host; "
            "the bearer token is only sent over https (http is allowed for 127.0.0.1/localhost simulators)"
        )
    path = parts.path.rstrip("/")
    bad_path = path != "" and (not allow_path or any(seg in ("", ".", "..") for seg in path[1:].split("/")))
    if bad_path or parts.query or parts.fragment or parts.username or parts.password:
        shape = "scheme://host[:port][/path]" if allow_path else "scheme://host[:port]"
        raise ConfigurationError(f"{setting} must be {shape} only, got {url!r}")
    try:
        _ = parts.port
    except ValueError:
        raise ConfigurationError(f"{setting} has an invalid port: {url!r}") from None
    return f"{scheme}://{parts.netloc}{path}"
