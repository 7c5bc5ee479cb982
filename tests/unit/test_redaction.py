"""Redaction of the secrets the process actually uses: every spelling, errors made before or after, log records."""

from __future__ import annotations

import json
import logging
import secrets
from urllib.parse import quote

import pytest

from pulumi_cpp_golive.errors import ApiError, OfferGoLiveError
from pulumi_cpp_golive.redaction import install_log_redaction, redact, remember_secret


def fresh_secret() -> str:
    return f"s/{secrets.token_urlsafe(10)}+\"q"  # '/', '+' and '"' change when percent-encoded or JSON-escaped


def test_every_spelling_of_a_registered_secret_is_masked() -> None:
    secret = fresh_secret()
    text = f"raw {secret} json {json.dumps(secret)[1:-1]} url {quote(secret, safe='')}"
    assert secret in text  # without registration nothing is masked: the value has no token shape
    assert redact(text) == text
    remember_secret(secret)
    assert redact(text) == "raw *** json *** url ***"


def test_values_too_short_to_be_secrets_are_not_registered() -> None:
    remember_secret("abc")
    assert redact("abc abcdef") == "abc abcdef"


def test_an_error_made_before_the_secret_was_known_is_masked_when_shown() -> None:
    secret = fresh_secret()
    error = ApiError(status=400, method="GET", url="https://cpp.example.test/x?sig=1", code="Bad",
                        message=f"echo {secret}")
    remember_secret(secret)
    assert str(error) == "CPP API GET https://cpp.example.test/x failed: HTTP 400 Bad: echo ***"
    assert secret not in str(OfferGoLiveError(f"later {secret}"))


def test_every_log_record_is_masked_even_a_malformed_one(caplog: pytest.LogCaptureFixture) -> None:
    secret = fresh_secret()
    remember_secret(secret)
    install_log_redaction()
    install_log_redaction()  # idempotent: one factory, not two stacked
    logger = logging.getLogger("some.library")
    with caplog.at_level(logging.INFO):
        logger.warning("refused: %s", secret)
        logger.warning("two placeholders, one argument: %s %s", secret)  # must not raise
        try:
            raise ValueError(f"secret in an exception: {secret}")
        except ValueError:
            logger.exception("failed")
    assert [record.getMessage() for record in caplog.records][:2] == [
        "refused: ***", "two placeholders, one argument: %s %s ('***',)"]
    assert secret not in caplog.text and "secret in an exception: ***" in caplog.text


def test_a_text_cut_in_the_middle_of_a_secret_keeps_none_of_it() -> None:
    secret = fresh_secret() + "-long-enough"
    remember_secret(secret)
    for kept in (6, 12, len(secret) - 1):
        assert redact(f"message {secret[:kept]}") == "message ***"
    assert redact(f"message {secret[:5]}") == f"message {secret[:5]}"  # too short to tell from prose


def test_base64_and_hex_spellings_are_masked_at_any_alignment() -> None:
    import base64
    secret = fresh_secret()
    remember_secret(secret)
    for prefix in (b"", b"a", b"ab", b'{"k":"'):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            shown = redact(encode(prefix + secret.encode() + b'"}').decode())
            assert "***" in shown and secret not in shown
    assert redact(secret.encode().hex().upper()) == "***"
    assert redact("".join(f"%{b:02x}" for b in secret.encode())) == "***"


def test_jwt_masking_is_linear_and_still_masks_jwts() -> None:
    import time
    started = time.monotonic()
    redact("eyJ" * 30_000)
    redact("eyJaaaaaa." * 30_000)
    assert time.monotonic() - started < 1.0
    assert redact("token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl end") == "token *** end"
