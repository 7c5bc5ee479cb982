"""RedactingCredential and workload identity's token file: a file rotated since the wrapped credential read it makes
the next token request build the credential anew (azure-identity alone rereads it only every 10 minutes), and each
assertion read is registered for redaction."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken

from pulumi_cpp_golive.auth import RedactingCredential
from pulumi_cpp_golive.redaction import redact

# Asking again while the last token is far from expiry means "that token was refused" to RedactingCredential, which
# rebuilds then; tokens this close to expiry are asked for again as a client renewing them would.
EXPIRING_IN = 60


class _Inner:
    """A stand-in for DefaultAzureCredential: which generation it is, and how many tokens it gave."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.closed = False

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(f"access-{self.generation}", int(time.time()) + EXPIRING_IN)

    def close(self) -> None:
        self.closed = True


def _credential(token_file: Path) -> tuple[RedactingCredential, list[_Inner]]:
    built = [_Inner(0)]

    def renew() -> _Inner:
        built.append(_Inner(len(built)))
        return built[-1]

    return RedactingCredential(built[0], renew, federated_token_file=str(token_file)), built  # type: ignore[arg-type]


def test_a_rotated_file_rebuilds_the_credential_once(tmp_path: Path) -> None:
    token_file = tmp_path / "federated-token"
    token_file.write_text("assertion-one-5f3a9c")
    credential, built = _credential(token_file)
    assert credential.get_token("scope").token == "access-0"
    assert credential.get_token("scope").token == "access-0"  # a renewal, the file unchanged: no rebuild
    assert len(built) == 1

    token_file.write_text("assertion-two-81d4e7")
    assert credential.get_token("scope").token == "access-1"
    assert len(built) == 2 and built[0].closed
    assert credential.get_token("scope").token == "access-1"  # the new content is now the known one
    assert len(built) == 2


def test_every_assertion_read_is_redacted(tmp_path: Path) -> None:
    token_file = tmp_path / "federated-token"
    token_file.write_text("assertion-first-0c6b21\n")
    credential, _ = _credential(token_file)
    token_file.write_text("assertion-second-e94d70")
    credential.get_token("scope")
    text = redact("sent assertion-first-0c6b21 then assertion-second-e94d70")
    assert "assertion-first-0c6b21" not in text and "assertion-second-e94d70" not in text


def test_a_missing_file_changes_nothing(tmp_path: Path) -> None:
    credential, built = _credential(tmp_path / "absent")
    assert credential.get_token("scope").token == "access-0"
    assert len(built) == 1
