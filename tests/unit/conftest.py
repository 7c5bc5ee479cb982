"""Shared helpers for the unit tests: a CPP base URL, a client with no back-off, a fake clock."""

from __future__ import annotations

import threading
from typing import Optional

import pytest

from pulumi_cpp_golive.auth import StaticTokenCredential
from pulumi_cpp_golive.cpp_api import CppOfferApi
from pulumi_cpp_golive.cpp_client import CppClient
from pulumi_cpp_golive.golive import GoLiveMachine

BASE = "https://cpp.example.test"
TOKEN = "unit-test-token-6f1c9a"  # a fake token whose leaks the tests look for
OFFER = f"{BASE}/api/publishers/contoso/offers/vm1"


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.cancel_after: Optional[int] = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float, cancel: Optional[threading.Event]) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return self.cancel_after is not None and len(self.sleeps) >= self.cancel_after


@pytest.fixture
def client() -> CppClient:
    return CppClient(BASE, StaticTokenCredential(TOKEN), retry_total=3, retry_backoff=0.0)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def machine(client: CppClient, fake_clock: FakeClock, lines: list[str]) -> GoLiveMachine:
    api = CppOfferApi(client, now=lambda: "2026-11-25T00:00:00Z")
    return GoLiveMachine(api, default_poll_interval=60.0, report=lines.append, clock=fake_clock.clock,
                  sleep=fake_clock.sleep, now=lambda: "2026-11-25T00:00:00Z")
