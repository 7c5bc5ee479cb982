"""Where the bearer token comes from: a static token from config/env, or azure-identity.

Both are ``azure.core`` token credentials, so the client's ``BearerTokenCredentialPolicy`` caches the token and
asks for a new one before it expires, whichever source is used.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from azure.core.credentials import AccessToken, TokenCredential

from .settings import Settings

CPP_SCOPE = "https://cloudpartner.azure.com/.default"

# A static token's real expiry is unknown to us; claim an hour so the policy re-reads it now and then (it does
# not change, but a 401 then fails clearly instead of looping).
_STATIC_TOKEN_LIFETIME = 3600


class StaticTokenCredential(TokenCredential):
    """A fixed bearer token (from ``cpp-golive:accessToken`` or ``CPP_ACCESS_TOKEN``). ``repr`` hides it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + _STATIC_TOKEN_LIFETIME)

    def __repr__(self) -> str:
        return "StaticTokenCredential(***)"

    def __reduce__(self) -> Any:
        raise TypeError("a credential holding a token must not be pickled")


def credential_for(settings: Settings) -> TokenCredential:
    """The credential to use: the configured static token, else ``DefaultAzureCredential``.

    ``DefaultAzureCredential`` covers service-principal environment variables (``AZURE_CLIENT_ID``,
    ``AZURE_TENANT_ID``, ``AZURE_CLIENT_SECRET``), workload and managed identity, and ``az login``.
    """
    if settings.access_token:
        return StaticTokenCredential(settings.access_token)
    from azure.identity import DefaultAzureCredential  # imported late: it is slow and not needed with a token

    return DefaultAzureCredential()
