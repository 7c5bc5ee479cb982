"""A Microsoft Entra-style token endpoint on loopback HTTPS, for driving the real azure-identity code path.

It behaves like the real one where it matters here: it serves the tenant's OpenID configuration and the v2.0
token route, accepts only the configured tenant, client ID, client secret and the CPP scope (else HTTP 401 with an
``invalid_client`` body, as Entra answers), issues a fresh opaque token every time with the configured lifetime,
and reports each new token through ``on_issue`` (so the CPP simulator can accept only the newest one: an expired
token is refused there like at CPP). Its certificate is signed by a throwaway CA written to ``ca_file``; clients
trust it only when handed that file through the standard settings (``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``).

``echo_secret_in_errors`` makes its error bodies quote the client secret, the way a careless server might.

It also takes the grant of workload identity federation (what azure-identity's ``WorkloadIdentityCredential``
sends, reading ``AZURE_FEDERATED_TOKEN_FILE``): ``client_credentials`` with a ``client_assertion`` of type
``urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` instead of a secret. Only the assertions given in
``federated_tokens`` or by :meth:`TokenEndpoint.accept_assertion` are taken; an unknown one is refused with
Entra's ``AADSTS70021`` (no matching federated identity record), a revoked one (:meth:`TokenEndpoint.revoke_assertion`,
:meth:`TokenEndpoint.rotate_assertion`: as if it had expired) with ``AADSTS700024``, both ``invalid_client`` with
HTTP 401, neither quoting the assertion. ``assertion_uses`` counts the tokens issued for each assertion.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable, Iterable, Optional
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .loopback import JsonHandler, LoopbackServer

CPP_SCOPE = "https://cloudpartner.azure.com/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a 127.0.0.1 server certificate it signed: ``(ca_file, cert_file, key_file)``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pulumi-cpp-golive test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "server.pem", directory / "server-key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


class TokenEndpoint(LoopbackServer):
    """Serve on ``https://127.0.0.1:<port>`` until closed; use as a context manager.

    :param directory: where the CA and server certificate are written.
    :param lifetime: ``expires_in`` of every token (seconds); a short one makes clients renew during a wait.
    :param client_secret: the secret of the client-secret grant ("": that grant is refused).
    :param federated_tokens: the assertions the federated-credential grant takes (more: :meth:`accept_assertion`).
    """

    def __init__(self, directory: Path, *, tenant_id: str, client_id: str, client_secret: str = "",
                 lifetime: int = 3600, on_issue: Optional[Callable[[str], None]] = None,
                 federated_tokens: Iterable[str] = ()) -> None:
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.lifetime = lifetime
        self.on_issue = on_issue
        self.echo_secret_in_errors = False
        self.issued: list[str] = []
        self.refused = 0  # every refused token request, whatever the grant
        self.accepted_assertions: set[str] = set(federated_tokens)
        self.revoked_assertions: set[str] = set()
        self.assertion_uses: Counter[str] = Counter()  # tokens issued for each assertion
        self.refused_assertions = 0  # federated-credential requests refused (unknown or revoked assertion)
        self.requests: list[str] = []  # "METHOD path" of every request
        self.bearer_requests = 0  # requests that carried an Authorization header (a token must never come here)
        self._lock = threading.Lock()
        self.ca_file, cert_file, key_file = _write_certificates(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        super().__init__(self._handler(), tls=context)

    def __enter__(self) -> TokenEndpoint:
        super().__enter__()
        return self

    def accept_assertion(self, assertion: str) -> None:
        """Take ``assertion`` from now on (a federated token the identity provider has just issued)."""
        with self._lock:
            self.accepted_assertions.add(assertion)
            self.revoked_assertions.discard(assertion)

    def revoke_assertion(self, assertion: str) -> None:
        """Refuse ``assertion`` from now on, as Entra refuses one past its expiry."""
        with self._lock:
            self.accepted_assertions.discard(assertion)
            self.revoked_assertions.add(assertion)

    def rotate_assertion(self, assertion: str) -> None:
        """Take only ``assertion`` from now on: every other one is revoked, in one step."""
        with self._lock:
            self.revoked_assertions |= self.accepted_assertions - {assertion}
            self.revoked_assertions.discard(assertion)
            self.accepted_assertions = {assertion}

    def _issue(self) -> str:
        with self._lock:
            token = f"opaque-{len(self.issued) + 1}-{secrets.token_urlsafe(16)}"  # not a JWT: no shape to spot
            self.issued.append(token)
        if self.on_issue is not None:
            self.on_issue(token)
        return token

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(JsonHandler):
            def _record(self) -> str:
                path = urlsplit(self.path).path
                with endpoint._lock:
                    endpoint.requests.append(f"{self.command} {path}")
                    if self.headers.get("Authorization"):
                        endpoint.bearer_requests += 1
                return path

            def do_GET(self) -> None:
                path = self._record()
                base = f"{endpoint.url}/{endpoint.tenant_id}"
                if path == f"/{endpoint.tenant_id}/v2.0/.well-known/openid-configuration":
                    self._answer(200, {"issuer": f"{base}/v2.0",
                                       "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                       "token_endpoint": f"{base}/oauth2/v2.0/token",
                                       "token_endpoint_auth_methods_supported": ["client_secret_post"]})
                else:
                    self._answer(400, {"error": "invalid_tenant",
                                       "error_description": f"AADSTS90002: Tenant of {path!r} not found."})

            def do_POST(self) -> None:
                path = self._record()
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path != f"/{endpoint.tenant_id}/oauth2/v2.0/token":
                    self._answer(404, {"error": "not_found"})
                    return
                if "client_assertion" in form or "client_assertion_type" in form:
                    self._federated(form)
                    return
                good = (form.get("grant_type") == "client_credentials" and form.get("scope") == CPP_SCOPE
                        and form.get("client_id") == endpoint.client_id and bool(endpoint.client_secret)
                        and form.get("client_secret") == endpoint.client_secret
                        and not endpoint.echo_secret_in_errors)
                if not good:
                    with endpoint._lock:
                        endpoint.refused += 1
                    said = form.get("client_secret", "") if endpoint.echo_secret_in_errors else "(hidden)"
                    self._answer(401, {"error": "invalid_client",
                                       "error_description": f"AADSTS7000215: Invalid client secret provided: {said}",
                                       "error_codes": [7000215]})
                    return
                self._token()

            def _token(self) -> None:
                self._answer(200, {"token_type": "Bearer", "expires_in": endpoint.lifetime,
                                   "ext_expires_in": endpoint.lifetime, "access_token": endpoint._issue()})

            def _federated(self, form: dict[str, str]) -> None:
                """The federated-credential grant: a known, unrevoked assertion for our client and scope."""
                assertion = form.get("client_assertion", "")
                well_formed = (form.get("grant_type") == "client_credentials" and form.get("scope") == CPP_SCOPE
                               and form.get("client_id") == endpoint.client_id
                               and form.get("client_assertion_type") == JWT_BEARER and "client_secret" not in form)
                with endpoint._lock:
                    if not well_formed:
                        refusal: Optional[tuple[int, str, int, str]] = (
                            400, "invalid_request", 900144, "The request body must be a client credentials grant "
                            "with a jwt-bearer client assertion for this client and scope.")
                    elif assertion in endpoint.revoked_assertions:
                        refusal = (401, "invalid_client", 700024, "Client assertion is not within its valid time "
                                   "range.")
                    elif assertion not in endpoint.accepted_assertions:
                        refusal = (401, "invalid_client", 70021, "No matching federated identity record found for "
                                   "presented assertion.")
                    else:
                        refusal = None
                        endpoint.assertion_uses[assertion] += 1
                    if refusal is not None:
                        endpoint.refused += 1
                        endpoint.refused_assertions += 1
                if refusal is None:
                    self._token()
                    return
                status, error, code, description = refusal  # never the assertion itself
                self._answer(status, {"error": error, "error_description": f"AADSTS{code}: {description}",
                                      "error_codes": [code]})

        return Handler
