"""Where the provider's settings come from: stack config first, then environment variables, then defaults.

Which settings there are, their config keys, environment variables, defaults and ranges: the table in
:mod:`~pulumi_cpp_golive.setting_table` (rendered as the README's settings table). This module resolves and checks
them; an invalid value raises :class:`~.errors.ConfigurationError` naming its ``cpp-golive:<key>``.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import math
import re
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .setting_table import (
    BY_KEY,
    DEFAULT_BASE_URL,
    DEFAULT_PI_BASE_URL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_REQUEST_TIMEOUT,
    SECONDS,
    SERVES_CPP,
    SERVES_PRODUCT_INGESTION,
    SETTINGS,
    URL,
    URL_WITH_PATH,
    VERSION,
    Setting,
    qualified,
)

# Defaults other modules take from here (the machine's adopt window, the PI client's version).
from .setting_table import DEFAULT_ADOPT_TIMEOUT as DEFAULT_ADOPT_TIMEOUT
from .setting_table import DEFAULT_PI_VERSION as DEFAULT_PI_VERSION


@dataclasses.dataclass(frozen=True)
class Settings:
    """Resolved provider settings, one field per row of the setting table. ``repr`` never shows a token."""

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
        """Build settings from stack config by bare key (``baseUrl``, as ``setting_table.stack_config`` gives it),
        else the environment, else the defaults."""
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            text = _pick(setting, config, environ)
            if text is not None:
                values[setting.field] = _checked(setting, text)
        return cls(**values)


# Keys the engine itself puts among a provider's inputs: not settings, never "unknown".
_ENGINE_KEYS = frozenset({"version", "pluginDownloadURL"})


def config_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every bad value of stack config (by bare key), with the reason naming ``cpp-golive:<key>`` and its range:
    what the plugin's CheckConfig reports all at once, before any resource is touched."""
    problems = []
    for setting in SETTINGS:
        value = config.get(setting.key)
        text = None if value is None else str(value).strip()
        if text:
            try:
                _checked(setting, text)
            except ConfigurationError as exc:
                problems.append((setting.key, str(exc)))
    return problems


def unknown_key_warnings(config: Mapping[str, Any]) -> list[str]:
    """One warning per key that is no setting of this provider (a typo such as ``basUrl``), naming the nearest
    setting when one is close: what both adapters tell the user."""
    known = [setting.key for setting in SETTINGS]
    warnings = []
    for key in config:
        if key in known or key in _ENGINE_KEYS or key.startswith("__"):
            continue
        nearest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean {qualified(nearest[0])}?" if nearest else ""
        warnings.append(f"{qualified(key)} is not a setting of this provider and is ignored{hint}")
    return warnings


def no_token_message(service: str, reason: str) -> str:
    """The error for an API without a token: which settings give it a static one, and what azure-identity's
    ``DefaultAzureCredential`` (the fallback) said."""
    serves = SERVES_PRODUCT_INGESTION if service == "Product Ingestion" else SERVES_CPP
    [token] = [setting for setting in SETTINGS if setting.secret and setting.serves == serves]
    return (f"no token for the {service} API: set one with `pulumi config set --secret {token.name} …` or "
            f"{token.env[0]}, or sign in for azure-identity's DefaultAzureCredential (AZURE_CLIENT_ID, "
            f"AZURE_TENANT_ID and AZURE_CLIENT_SECRET, workload or managed identity, `az login`), which got none: "
            f"{reason}")


def _pick(setting: Setting, config: Mapping[str, Any], environ: Mapping[str, str]) -> Optional[str]:
    """The setting's text: config unless it is missing or empty, else the first of its environment variables that
    is not blank; None when neither gives one (or what they give is blank)."""
    value = config.get(setting.key)
    if value is None or value == "":
        value = next((environ[name] for name in setting.env if environ.get(name, "").strip()), None)
    text = None if value is None else str(value).strip()
    return text or None


def _checked(setting: Setting, text: str) -> Any:
    """``text`` as the setting's value, or a :class:`ConfigurationError` naming the setting."""
    if setting.kind == SECONDS:
        assert setting.bounds is not None  # every SECONDS row has bounds (tests/unit/test_settings_table.py)
        return positive_number(setting.name, text, setting.bounds)
    if setting.kind in (URL, URL_WITH_PATH):
        return validate_base_url(text, setting=setting.name, allow_path=setting.kind == URL_WITH_PATH)
    if setting.kind == VERSION and not _VERSION.fullmatch(text):
        raise ConfigurationError(f"{setting.name} must look like 2022-07-01 (or 2022-03-01-preview2), got {text!r}")
    return text


# A PI ``$version``: a date, optionally with a preview suffix (it goes into every query string as it is).
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview\d*)?")


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


def validate_base_url(url: str, *, setting: str = BY_KEY["baseUrl"].name, allow_path: bool = False) -> str:
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
