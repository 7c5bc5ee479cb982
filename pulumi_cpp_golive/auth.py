"""Where the bearer token comes from: a static token from config/env, or azure-identity.

Both are ``azure.core`` token credentials, so the client's ``BearerTokenCredentialPolicy`` caches the token and
asks for a new one before it expires, whichever source is used. Every secret involved (the static token, the
client secret or password azure-identity reads from the environment, each token it hands out) is registered with
:func:`~pulumi_cpp_golive.redaction.remember_secret` before it can be sent anywhere, so no error or log line can
repeat it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions
from azure.core.exceptions import ClientAuthenticationError

from .errors import CredentialError
from .redaction import install_log_redaction, redact, remember_secret
from .settings import is_loopback

CPP_SCOPE = "https://cloudpartner.azure.com/.default"
# Product Ingestion is a Microsoft Graph workload: its tokens are Graph tokens (docs/product-ingestion-api.md §1).
PI_SCOPE = "https://graph.microsoft.com/.default"

# A static token's real expiry is unknown to us; claim an hour so the policy re-reads it now and then (it does
# not change, but a 401 then fails clearly instead of looping).
_STATIC_TOKEN_LIFETIME = 3600


class StaticTokenCredential(TokenCredential):
    """A fixed bearer token (from ``cpp-golive:accessToken`` or ``CPP_ACCESS_TOKEN``). ``repr`` hides it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # claims, tenant_id, ...: one token for all
        return AccessToken(self._token, int(time.time()) + _STATIC_TOKEN_LIFETIME)

    def __repr__(self) -> str:
        return "StaticTokenCredential(***)"

    def __reduce__(self) -> Any:
        raise TypeError("a credential holding a token must not be pickled")


class RedactingCredential(TokenCredential):
    """Wraps an azure-identity credential: every token it hands out is registered for redaction before use, and a
    token refused before its time is replaced by a really new one.

    azure-identity answers from its token cache until a token nears expiry, so when CPP refuses a token early
    (revoked, or a 401 for any other reason) and the client asks again, it would get the refused token back. The
    client asks again in the same thread only after a refusal (or near expiry), so a thread asking while the token
    it last received is still far from expiry means "that token was refused": the wrapped credential is then built
    anew by ``renew`` (an empty cache), once for every thread that held that token.

    ``federated_token_file`` (``AZURE_FEDERATED_TOKEN_FILE``): workload identity's assertion. azure-identity reads
    that file at most once every 10 minutes and keeps sending what it read, so a file rotated since (CI jobs
    write a fresh OIDC token there while a go-live waits: the old one expires within minutes) would be ignored and
    the next token request refused. Whenever a token is asked for, the file is read; when it has changed, the
    wrapped credential is built anew the same way, so that the next token request sends the new assertion. Every
    assertion read is registered for redaction.
    """

    def __init__(self, inner: TokenCredential, renew: Optional[Callable[[], TokenCredential]] = None,
                 federated_token_file: Optional[str] = None) -> None:
        self._inner = inner
        self._renew = renew
        self._generation = 0
        self._lock = threading.Lock()
        self._last = threading.local()  # per thread: (generation, expires_on, refresh_on) of the last token given
        self._token_file = federated_token_file
        self._assertion = _read_assertion(federated_token_file)

    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        inner = self._current()
        try:
            token = inner.get_token(*scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs)
        except ClientAuthenticationError as exc:
            raise _one_line(exc) from None
        self._handed_out(token.token, token.expires_on, None)
        return token

    def get_token_info(self, *scopes: str, options: Optional[TokenRequestOptions] = None) -> AccessTokenInfo:
        """azure-core's newer entry point (it prefers it when present): same token, with ``refresh_on``."""
        inner = self._current()
        get_info = getattr(inner, "get_token_info", None)
        if get_info is None:
            token = self.get_token(*scopes, **(options or {}))
            return AccessTokenInfo(token.token, token.expires_on)
        try:
            info: AccessTokenInfo = get_info(*scopes, options=options)
        except ClientAuthenticationError as exc:
            raise _one_line(exc) from None
        self._handed_out(info.token, info.expires_on, info.refresh_on)
        return info

    def _current(self) -> TokenCredential:
        last: Optional[tuple[int, int, Optional[int]]] = getattr(self._last, "token", None)
        with self._lock:
            refused = last is not None and last[0] == self._generation and _fresh(*last[1:])
            if self._renew is not None and (self._assertion_rotated() or refused):
                old, self._inner = self._inner, self._renew()
                self._generation += 1
                _close(old)
            return self._inner

    def _assertion_rotated(self) -> bool:
        """Whether the federated token file holds another assertion than when the wrapped credential was built."""
        assertion = _read_assertion(self._token_file)
        if assertion is None or assertion == self._assertion:
            return False  # unreadable: azure-identity says why when it reads the file
        self._assertion = assertion
        return True

    def _handed_out(self, token: str, expires_on: int, refresh_on: Optional[int]) -> None:
        remember_secret(token)
        with self._lock:
            self._last.token = (self._generation, expires_on, refresh_on)

    def close(self) -> None:
        _close(self._inner)

    def __repr__(self) -> str:
        return f"RedactingCredential({type(self._inner).__name__})"


def _fresh(expires_on: int, refresh_on: Optional[int]) -> bool:
    # azure-core asks for a new token 5 minutes (less up to 1 minute of jitter) before expiry, or at refresh_on.
    now = time.time()
    return expires_on - now > 300 and (refresh_on is None or now < refresh_on)


def _read_assertion(path: Optional[str]) -> Optional[str]:
    """The federated token file's content (registered for redaction), or None when there is none to read."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            assertion = file.read()
    except (OSError, UnicodeDecodeError):
        return None
    remember_secret(assertion.strip())
    return assertion


def _close(credential: TokenCredential) -> None:
    close = getattr(credential, "close", None)
    if close is not None:
        close()


def _one_line(exc: ClientAuthenticationError) -> CredentialError:
    """azure-identity's refusal as one line: its first line and the attempt the chain stopped at, the one that says
    why (``AADSTS7000215: Invalid client secret``, or the last sign-in that was not there). The whole list of
    attempts, a line per credential, goes to the debug log only."""
    text = redact(str(exc.message))
    _LOG.debug("azure-identity: %s", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    attempts = [line for line in lines[1:] if not line.startswith(("Attempted credentials", "To mitigate"))]
    first = lines[0] if lines else type(exc).__name__
    reason = f"{first.rstrip('.')}; last tried: {attempts[-1]}" if attempts else first
    return CredentialError(reason if len(reason) <= _MAX_REASON else reason[:_MAX_REASON].rsplit(" ", 1)[0] + " …")


_LOG = logging.getLogger(__name__)
# The longest azure-identity reason an error quotes (cut at a word, never mid-word).
_MAX_REASON = 400

# Environment variables through which azure-identity may read a secret (service principal or user password).
SECRET_ENVIRONMENT_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD")


def credential_for(token: Optional[str]) -> TokenCredential:
    """The credential to use: the configured static ``token`` (of the API in use), else ``DefaultAzureCredential``.

    ``DefaultAzureCredential`` covers service-principal environment variables (``AZURE_CLIENT_ID``,
    ``AZURE_TENANT_ID``, ``AZURE_CLIENT_SECRET``, ``AZURE_AUTHORITY_HOST``), workload identity (the same IDs and
    ``AZURE_FEDERATED_TOKEN_FILE``, whose rotation is followed: see :class:`RedactingCredential`), managed
    identity, and ``az login``. An ``AZURE_AUTHORITY_HOST`` on a loopback address (a token endpoint on this
    machine, e.g. an emulator) is used as given: Microsoft's instance discovery, which cannot know such a host, is
    skipped.
    """
    install_log_redaction()
    for name in SECRET_ENVIRONMENT_VARIABLES:
        remember_secret(os.environ.get(name))
    if token:
        remember_secret(token)
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential  # imported late: it is slow and not needed with a token

    # azure-identity logs its whole list of attempts as a warning before it raises; the error says what matters
    # (see _one_line) and the list goes to our debug log, so that a user does not read it twice.
    logging.getLogger("azure.identity._credentials.chained").setLevel(logging.ERROR)

    authority = (os.environ.get("AZURE_AUTHORITY_HOST") or "").strip()
    authority_host = urlsplit(authority if "://" in authority else f"https://{authority}").hostname or ""
    options: dict[str, Any] = {"disable_instance_discovery": True} if is_loopback(authority_host) else {}
    return RedactingCredential(DefaultAzureCredential(**options), lambda: DefaultAzureCredential(**options),
                               federated_token_file=os.environ.get("AZURE_FEDERATED_TOKEN_FILE"))
