"""The baseline: the short polling script a team would write instead of using this package.

POST the go-live, read the tracking URL from the 202, then ``sleep(interval)`` + GET until the status is terminal.
No adoption, no offer check, no ``Retry-After``, no retries. Plain ``requests``; nothing from pulumi_cpp_golive.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urljoin

import requests

API_VERSION = "2017-10-31"
TERMINAL_WORDS = frozenset({"complete", "completed", "succeeded", "failed", "canceled", "cancelled", "rejected"})


class NaiveError(RuntimeError):
    """The naive script gave up (no tracking header, or more polls than allowed)."""


def naive_golive(base: str, token: str, publisher: str, offer: str, interval: float,
                 sleep: Callable[[float], object], max_polls: int = 100_000) -> str:
    """Send ``publisher/offer`` live and wait for the operation to end; returns the tracking URL it polled."""
    headers = {"Authorization": f"Bearer {token}"}
    answer = requests.post(f"{base}/api/publishers/{publisher}/offers/{offer}/golive?api-version={API_VERSION}",
                           headers=headers, timeout=30)
    answer.raise_for_status()
    location = answer.headers.get("Location") or answer.headers.get("Operation-Location")
    if not location:
        raise NaiveError("the 202 carried no tracking header")
    url = urljoin(base + "/", location)
    for _ in range(max_polls):
        sleep(interval)
        status = str(requests.get(url, headers=headers, timeout=30).json().get("status", ""))
        if status.lower() in TERMINAL_WORDS:
            return url
    raise NaiveError(f"still running after {max_polls} polls")
