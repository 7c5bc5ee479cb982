"""The provider's settings, declared once: one :class:`Setting` row per ``cpp-golive:<key>`` stack config key.

Everything else follows from :data:`SETTINGS`: ``Settings.resolve`` (settings.py) reads each row from stack config,
then its environment variables, then its default; the schema's ``config`` section (plugin/schema.py) and the
README's settings table (:func:`readme_table`) are rendered from it, and ``tests/unit/test_settings_table.py``
fails when one of them is edited alone. Adding a setting is a row here and a field of ``Settings``; then
``scripts/gen-sdk`` for the SDKs and ``python -m pulumi_cpp_golive.setting_table`` for the README's table.

This module imports nothing from the package, so that resource.py can take the poll interval range from it without
an import loop through settings.py and errors.py.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping, Optional, Union

# The stack config namespace. Adapters hand over bare keys (``pollInterval``): the namespace is added and stripped
# here only (Setting.name, stack_config).
NAMESPACE = "cpp-golive"

# Which API a setting serves: the values of the resource's ``api`` input, or both.
SERVES_CPP = "cpp"
SERVES_PRODUCT_INGESTION = "product-ingestion"
SERVES_BOTH = "both"

# How a value is checked (settings.py holds the checks): free text (tokens), an http(s) base URL without or with a
# path, a Product Ingestion ``$version``, or a number of seconds within the row's bounds.
TEXT = "text"
URL = "url"
URL_WITH_PATH = "url-with-path"
VERSION = "version"
SECONDS = "seconds"

DEFAULT_BASE_URL = "https://cloudpartner.azure.com"
DEFAULT_PI_BASE_URL = "https://graph.microsoft.com/rp/product-ingestion"
# The newest schema version we know, sent as ``$version`` on every PI call (docs/product-ingestion-api.md §1, §9).
DEFAULT_PI_VERSION = "2022-07-01"
DEFAULT_POLL_INTERVAL = 60.0
DEFAULT_REQUEST_TIMEOUT = 120.0  # CPP calls can be slow; one real client raised its timeout to 5 minutes
# How long to wait for the operations list to show a go-live that must exist (after an ambiguous POST, a 409, an
# offer status that says running) before giving up with an error saying what was seen. Lists lag by seconds.
DEFAULT_ADOPT_TIMEOUT = 120.0

# Accepted ranges (seconds), inclusive, for this setting and the resource's poll_interval_seconds: polling more
# often than the wait loop's own 0.25 s floor is pointless, less often than daily misses a go-live by a day. An
# HTTP call allowed more than an hour is a hang, not a slow answer.
POLL_INTERVAL_RANGE = (0.25, 86_400.0)
REQUEST_TIMEOUT_RANGE = (0.1, 3_600.0)
# A list lags behind a new operation by seconds; waiting an hour for it is a hang, not patience.
ADOPT_TIMEOUT_RANGE = (1.0, 3_600.0)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One provider setting. ``description`` and ``unset`` are Markdown, shown by the schema, SDKs and README."""

    key: str  # the bare config key; a stack sets it as cpp-golive:<key>
    field: str  # the Settings attribute it resolves to
    kind: str  # TEXT, URL, URL_WITH_PATH, VERSION or SECONDS
    env: tuple[str, ...]  # environment variables read when config is unset; the first set one wins
    serves: str  # SERVES_CPP, SERVES_PRODUCT_INGESTION or SERVES_BOTH
    description: str  # one sentence
    default: Union[str, float, None] = None
    unset: str = ""  # what is used when neither config nor environment gives a value and there is no default
    bounds: Optional[tuple[float, float]] = None  # inclusive, for SECONDS
    secret: bool = False

    @property
    def name(self) -> str:
        """The namespaced config key, as a stack sets it and as error messages name it."""
        return f"{NAMESPACE}:{self.key}"

    @property
    def type(self) -> str:
        """The schema type."""
        return "number" if self.kind == SECONDS else "string"

    @property
    def aliases(self) -> tuple[str, ...]:
        """Older environment variable names, still read when the first one is unset."""
        return self.env[1:]

    def default_text(self) -> str:
        """The default, or what is used without one."""
        if self.default is None:
            return self.unset
        return f"`{self.default:g}`" if isinstance(self.default, float) else f"`{self.default}`"

    def range_text(self) -> str:
        """The accepted range of a number (``0.25 to 86400``), else empty."""
        if self.bounds is None:
            return ""
        low, high = self.bounds
        return f"{low:g} to {high:g}"

    def serves_text(self) -> str:
        """Which API the setting serves, as prose."""
        return "both APIs" if self.serves == SERVES_BOTH else f"`api: {self.serves}`"


SETTINGS: tuple[Setting, ...] = (
    Setting("accessToken", "access_token", TEXT, ("CPP_ACCESS_TOKEN",), SERVES_CPP,
            "Bearer token for the CPP API (store it with `--secret`).",
            unset="azure-identity's `DefaultAzureCredential` (service principal environment variables, workload or "
                  "managed identity, `az login`) for scope `https://cloudpartner.azure.com/.default`",
            secret=True),
    Setting("baseUrl", "base_url", URL, ("CPP_BASE_URL",), SERVES_CPP,
            "CPP API base URL; plain `http://` is accepted for loopback hosts only (the simulator), and the token is "
            "never sent to another host.",
            default=DEFAULT_BASE_URL),
    Setting("pollInterval", "poll_interval", SECONDS, ("GOLIVE_POLL_INTERVAL", "CPP_POLL_INTERVAL"), SERVES_BOTH,
            "Seconds between status polls when the API sends no `Retry-After`.",
            default=DEFAULT_POLL_INTERVAL, bounds=POLL_INTERVAL_RANGE),
    Setting("requestTimeout", "request_timeout", SECONDS, ("GOLIVE_REQUEST_TIMEOUT", "CPP_REQUEST_TIMEOUT"),
            SERVES_BOTH,
            "Seconds one HTTP call may take, from connecting to the last byte of the answer (a timed-out poll is "
            "retried; a timed-out go-live POST is resolved by adoption).",
            default=DEFAULT_REQUEST_TIMEOUT, bounds=REQUEST_TIMEOUT_RANGE),
    Setting("adoptTimeout", "adopt_timeout", SECONDS, ("GOLIVE_ADOPT_TIMEOUT", "CPP_ADOPT_TIMEOUT"), SERVES_BOTH,
            "Seconds to wait for the API's operation listing to show a go-live that must be running (after an "
            "ambiguous go-live POST, a conflict, or an offer status that says running) before stopping with "
            "an error that says what was seen; nothing is posted meanwhile, and the wait never outlasts the "
            "go-live's time limit or Cancel.",
            default=DEFAULT_ADOPT_TIMEOUT, bounds=ADOPT_TIMEOUT_RANGE),
    Setting("productIngestionUrl", "pi_base_url", URL_WITH_PATH, ("PI_BASE_URL",), SERVES_PRODUCT_INGESTION,
            "Product Ingestion API base URL; plain `http://` is accepted for loopback hosts only, and the token is "
            "never sent to another host.",
            default=DEFAULT_PI_BASE_URL),
    Setting("productIngestionToken", "pi_access_token", TEXT, ("PI_ACCESS_TOKEN",), SERVES_PRODUCT_INGESTION,
            "Bearer token for the Product Ingestion API (store it with `--secret`).",
            unset="azure-identity's `DefaultAzureCredential` for scope `https://graph.microsoft.com/.default` (an "
                  "Entra app associated with the Partner Center account)",
            secret=True),
    Setting("productIngestionVersion", "pi_version", VERSION, ("PI_API_VERSION",), SERVES_PRODUCT_INGESTION,
            "The `$version` sent on every Product Ingestion call, a date with an optional preview suffix "
            "(`2022-03-01-preview2`).",
            default=DEFAULT_PI_VERSION),
)

BY_KEY = {setting.key: setting for setting in SETTINGS}


def qualified(key: str) -> str:
    """A bare key as the user types it in stack config, ``cpp-golive:<key>``: also for a key that is no setting."""
    return f"{NAMESPACE}:{key}"


def bare_keys(raw: Mapping[str, object]) -> dict[str, object]:
    """The ``cpp-golive:*`` entries of a whole stack config (``project:key`` names), by bare key: what the user set
    for this provider, including keys that are no setting."""
    prefix = f"{NAMESPACE}:"
    return {name[len(prefix):].removeprefix("config:"): value for name, value in raw.items() if name.startswith(prefix)}


def stack_config(get: Callable[[str], object]) -> dict[str, object]:
    """Every setting's stack config value by bare key, read with ``get`` from the engine's namespaced names.

    The engine names a key ``cpp-golive:<key>`` or, in its older spelling, ``cpp-golive:config:<key>``; the older
    spelling is tried first and a missing or empty value falls through to the other.
    """
    found: dict[str, object] = {}
    for setting in SETTINGS:
        value = get(f"{NAMESPACE}:config:{setting.key}") or get(setting.name)
        if value is not None:
            found[setting.key] = value
    return found


README_HEADER = ("| config | environment | default | serves | meaning |", "|---|---|---|---|---|")


def readme_table() -> str:
    """The README's settings table (section "Credentials and settings"), one row per setting."""
    rows = list(README_HEADER)
    for setting in SETTINGS:
        env = f"`{setting.env[0]}`"
        if setting.aliases:
            env += " (older: " + ", ".join(f"`{alias}`" for alias in setting.aliases) + ")"
        config = f"`{setting.name}`" + (" (secret)" if setting.secret else "")
        serves = "both" if setting.serves == SERVES_BOTH else f"`{setting.serves}`"
        default = setting.default_text() + (f"; {setting.range_text()}" if setting.bounds else "")
        rows.append(f"| {config} | {env} | {default} | {serves} | {setting.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(readme_table())
