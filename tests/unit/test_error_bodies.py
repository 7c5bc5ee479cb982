"""Error bodies: every shape either API's error answers take becomes ``(code, message)``."""

from __future__ import annotations

import pytest

from pulumi_cpp_golive.error_bodies import parse_error_body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"error":{"code":"X","message":"m"}}', ("X", "m")),
        ('{"Variant":{"serviceName":"Variant","error":"Retry is OK."}}', ("Variant", "Retry is OK.")),
        ('{"code":"C","message":"flat"}', ("C", "flat")),
        ("<html>\n  Bad   gateway</html>", (None, "<html> Bad gateway</html>")),
        ("", (None, None)),
    ],
)
def test_parse_error_body_shapes(body: str, expected: tuple[object, object]) -> None:
    assert parse_error_body(body) == expected
