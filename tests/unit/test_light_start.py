"""Starting the providers and answering Check and Diff load no HTTP stack.

A no-change ``pulumi up`` only starts the provider and asks Check and Diff; requests, azure-core and
azure-identity take longer to import than those calls take to answer, so they are imported on the first request.
Each case runs in a fresh interpreter: this test process has long imported all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("requests", "azure.core", "azure.identity", "urllib3")

# GetSchema, Configure, Check and Diff on the plugin's provider, as the engine asks them for an unchanged resource.
PLUGIN = """
import asyncio

import pulumi_cpp_golive.plugin.server
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CheckRequest, ConfigureRequest, DiffRequest, GetSchemaRequest
from pulumi_cpp_golive.plugin.provider import PluginProvider

URN = "urn:pulumi:dev::p::cpp-golive:index:OfferGoLive::go"
inputs = {"publisherId": PropertyValue("contoso"), "offerId": PropertyValue("vm1")}


async def calls() -> None:
    provider = PluginProvider()
    await provider.get_schema(GetSchemaRequest(0, None, None))
    await provider.configure(ConfigureRequest(variables={}, args={"baseUrl": PropertyValue("https://cpp.example.test")},
                                              accept_secrets=False, accept_resources=False))
    checked = await provider.check(CheckRequest(URN, {}, inputs, b""))
    assert not checked.failures, checked.failures
    state = {**(checked.inputs or {}), "operationId": PropertyValue("op-1"), "status": PropertyValue("succeeded")}
    diff = await provider.diff(DiffRequest(URN, "contoso/vm1/op-1", state, checked.inputs or {}, []))
    assert not diff.changes, diff


asyncio.run(calls())
"""

# The dynamic provider's configure, check and diff, as the dynamic host calls them after unpickling it.
DYNAMIC = """
import pickle

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider


class Request:
    config = {"cpp-golive:baseUrl": "https://cpp.example.test"}


provider = pickle.loads(pickle.dumps(OfferGoLiveProvider()))
provider.configure(Request())
inputs = {"publisher_id": "contoso", "offer_id": "vm1"}
checked = provider.check({}, inputs)
assert not checked.failures, checked.failures
diff = provider.diff("contoso/vm1/op-1", {**checked.inputs, "operation_id": "op-1"}, checked.inputs)
assert not diff.changes, diff
"""


def _loaded_after(script: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after ``script`` ran in a fresh interpreter."""
    report = f"\nimport json, sys\nprint(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))\n"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script) + report], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("script", [PLUGIN, DYNAMIC], ids=["plugin", "dynamic"])
def test_check_and_diff_load_no_http_stack(script: str) -> None:
    assert _loaded_after(script) == []


def test_the_http_stack_still_loads_for_a_request() -> None:
    # The guard above must be able to fail: building a machine (what a create does first) loads the stack.
    loaded = _loaded_after("""
from pulumi_cpp_golive.session import ProviderSession
from pulumi_cpp_golive.settings import Settings

ProviderSession(Settings.resolve({"cpp-golive:baseUrl": "https://cpp.example.test"}, {})).golive()
""")
    assert {"requests", "azure.core"} <= set(loaded)
