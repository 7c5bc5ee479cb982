"""With no token configured and no sign-in for azure-identity, the error says which API, which settings give it a
token, and what DefaultAzureCredential said, in one short line; nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from pulumi_cpp_golive.auth import RedactingCredential
from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.errors import CredentialError
from pulumi_cpp_golive.pi_client import PiClient

# What DefaultAzureCredential raises when no credential in its chain can sign in (azure-identity's own layout).
NOTHING_FOUND = (
    "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
    "Attempted credentials:\n"
    "\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully "
    "configured.\nVisit https://aka.ms/azsdk/python/identity/environmentcredential/troubleshoot to troubleshoot this "
    "issue.\n"
    "\tWorkloadIdentityCredential: WorkloadIdentityCredential authentication unavailable. The workload options are not "
    "fully configured.\n"
    "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from the IMDS "
    "endpoint.\n"
    "\tSharedTokenCacheCredential: SharedTokenCacheCredential authentication unavailable. No accounts were found in "
    "the cache.\n"
    "\tAzureCliCredential: Azure CLI not found on path\n"
    "\tAzurePowerShellCredential: PowerShell is not installed\n"
    "\tAzureDeveloperCliCredential: Azure Developer CLI could not be found. Please visit https://aka.ms/azure-dev for "
    "installation instructions and then,once installed, authenticate to your Azure account using 'azd auth login'.\n"
    "To mitigate this issue, please refer to the troubleshooting guidelines here at "
    "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."
)


class _NoSignIn:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError(message=NOTHING_FOUND)


@responses.activate
@pytest.mark.parametrize("api", ["cpp", "product-ingestion"])
def test_one_short_line_naming_the_api_and_the_settings_that_give_a_token(api: str) -> None:
    credential = RedactingCredential(_NoSignIn())  # type: ignore[arg-type]
    if api == "cpp":
        client: Any = CppClient("https://cpp.example.test", credential, retry_total=0)
        request = lambda: client.get_offer_status("contoso", "vm1")  # noqa: E731
        service, key, env = "CPP", "cpp-golive:accessToken", "CPP_ACCESS_TOKEN"
    else:
        client = PiClient("https://graph.example.test/rp/product-ingestion", credential, retry_total=0)
        request = lambda: client.find_products("vm1")  # noqa: E731
        service, key, env = "Product Ingestion", "cpp-golive:productIngestionToken", "PI_ACCESS_TOKEN"
    with pytest.raises(CredentialError) as caught:
        request()
    text = str(caught.value)
    assert text.startswith(f"no token for the {service} API: set one with `pulumi config set --secret {key} …` "
                           f"or {env}, or sign in for azure-identity's DefaultAzureCredential"), text
    assert "DefaultAzureCredential failed to retrieve a token from the included credentials; last tried: " \
           "AzureDeveloperCliCredential: Azure Developer CLI could not be found." in text, text
    assert "\n" not in text and len(text) < 900 and "NoResponse" not in text and "no HTTP response" not in text
    assert text.count("EnvironmentCredential") == 0, "the list of every attempt is for the debug log, not the error"
    assert len(responses.calls) == 0  # nothing was sent without a token
