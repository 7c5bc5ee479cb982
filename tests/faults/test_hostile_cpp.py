"""Issue 16, CPP: what a hostile or lying server answers, and what the provider must still hold.

Each test drives the provider (the dynamic one; the plugin too where the adapter matters) against the scripted
server of :mod:`.hostile`, and asserts the POSTs sent, what the user sees, and that no secret reached an output.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import pytest

from .fake_apis import (
    OPERATION_ID,
    TOKEN,
    FakeCpp,
    cpp_inputs,
    cpp_plugin,
    cpp_provider,
    create,
    new_guid,
    plugin_create,
)
from .fake_apis import cpp as cpp
from .fake_apis import server as server
from .hostile import Reply, Request, Wire


def no_secret_in(outputs: dict[str, Any], text: str = "") -> None:
    blob = repr(outputs) + text
    for spelling in (TOKEN, TOKEN.encode().hex(), base64.b64encode(TOKEN.encode()).decode()[:-2]):
        assert spelling not in blob


def created(cpp: FakeCpp, adapter: str, **settings: Any) -> tuple[dict[str, Any], str]:
    """Outputs (snake_case) and error text of a create through ``adapter``."""
    if adapter == "dynamic":
        outputs, error = create(cpp_provider(cpp, **settings), cpp_inputs())
        return outputs or {}, error
    state, error = plugin_create(cpp_plugin(cpp, **settings))
    names = {"operationId": "operation_id", "operationLocation": "operation_location", "acceptedAt": "accepted_at"}
    return {names.get(key, key): value for key, value in (state or {}).items()}, error


# ---- 3 and 18 ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["percent", "base64", "hex"])
def test_3_a_403_on_the_post_echoing_the_token_encoded_shows_no_form_of_it(cpp: FakeCpp, form: str) -> None:
    echoed = {"percent": "".join(f"%{b:02X}" for b in TOKEN.encode()), "hex": TOKEN.encode().hex(),
              "base64": base64.b64encode(f"Bearer {TOKEN}".encode()).decode()}[form]
    cpp.server.routes[("POST", f"{cpp.prefix}/golive")] = lambda r, w: Reply(
        403, {"error": {"code": "Forbidden", "message": f"refused {echoed}"}})
    outputs, error = create(cpp_provider(cpp), cpp_inputs())
    assert outputs is None and "HTTP 403 Forbidden" in error and echoed not in error
    no_secret_in({}, error)


# ---- 14: a 500 that started the go-live --------------------------------------------------------------------------

def test_14_a_500_in_cpps_own_shape_after_the_go_live_started_is_adopted_not_reposted(cpp: FakeCpp) -> None:
    cpp.list_golive = False

    def golive(request: Request, wire: Wire) -> Reply:
        cpp.accept()
        threading.Timer(1.5, lambda: cpp.submissions.append(
            {"id": OPERATION_ID, "submissionType": "goLive", "submissionState": "running",
             "changedTime": "2026-11-02T00:00:00Z"})).start()
        return Reply(500, {"Variant": {"serviceName": "Variant", "error": "Internal error. Retry is OK."}})

    cpp.server.routes[("POST", f"{cpp.prefix}/golive")] = golive
    outputs, error = create(cpp_provider(cpp, adoptTimeout=10), cpp_inputs())
    assert outputs is not None, error
    assert cpp.posts() == 1 and outputs["operation_id"] == OPERATION_ID and outputs["status"] == "succeeded"


# ---- 19: the token in outputs through other fields -----------------------------------------------------------------

@pytest.mark.parametrize("adapter", ["dynamic", "plugin"])
@pytest.mark.parametrize("where", ["list-id", "location-id", "api-version", "changed-time"])
def test_19_the_token_never_reaches_an_output_through_a_recorded_field(cpp: FakeCpp, adapter: str,
                                                                     where: str) -> None:
    running = {"id": OPERATION_ID, "submissionType": "goLive", "submissionState": "running",
               "changedTime": "2026-11-02T00:00:00Z"}
    if where == "list-id":
        cpp.submissions.append({**running, "id": TOKEN})  # a "running go-live" that must not be adopted
    elif where == "changed-time":
        cpp.list_golive = False
        cpp.accept()  # someone else's go-live of this offer, running; the list's times hold the token
        cpp.submissions.append({**running, "changedTime": TOKEN, "createdDateTime": TOKEN})
    elif where == "location-id":
        cpp.list_golive = False

        def golive(request: Request, wire: Wire) -> Reply:
            cpp.accept()
            cpp.submissions.append(running)
            return Reply(202, b"", [("Location", f"{cpp.prefix}/operations/{TOKEN}?api-version=2017-10-31")])

        cpp.server.routes[("POST", f"{cpp.prefix}/golive")] = golive
    else:
        cpp.server.routes[("POST", f"{cpp.prefix}/golive")] = lambda r, w: Reply(202, b"", [(
            "Location", f"{cpp.prefix}/operations/{cpp.accept().split('/')[-1].split('?')[0]}?api-version={TOKEN}")])
    outputs, error = created(cpp, adapter)
    no_secret_in(outputs, error)
    assert cpp.posts() == (1 if where in ("location-id", "api-version") else (0 if where == "changed-time" else 1))
    if where != "list-id":
        assert error == "", error
        assert outputs["operation_id"] == OPERATION_ID
        assert outputs["operation_location"].endswith("?api-version=2017-10-31")


# ---- 20: CPU the deadline cannot stop ------------------------------------------------------------------------------

def test_20_an_operation_failing_with_20000_messages_ends_in_bounded_time(cpp: FakeCpp) -> None:
    cpp.operation_status = "failed"
    messages = [f"problem {n}" for n in range(20_000)]
    cpp.server.routes[("GET", f"{cpp.prefix}/operations/*")] = lambda r, w: Reply(
        200, {"status": "failed", "messages": messages})
    started = time.monotonic()
    outputs, error = create(cpp_provider(cpp), cpp_inputs(timeout_seconds=20))
    assert outputs is None and OPERATION_ID in error and "problem 49" in error and "problem 50" not in error
    assert time.monotonic() - started < 5.0


def test_20_a_message_of_repeated_jwt_starts_is_redacted_in_linear_time(cpp: FakeCpp) -> None:
    message = "eyJ" * 30_000  # 90,000 characters that a backtracking JWT pattern takes seconds over
    cpp.server.routes[("GET", f"{cpp.prefix}/operations/*")] = lambda r, w: Reply(
        200, {"status": "failed", "messages": [message]})
    started = time.monotonic()
    outputs, error = create(cpp_provider(cpp), cpp_inputs())
    assert outputs is None and "ended failed" in error and OPERATION_ID in error
    assert time.monotonic() - started < 2.0


# ---- 21: another offer's go-live, another operation's answer -------------------------------------------------------

def test_21_a_running_go_live_of_another_offer_is_not_adopted(cpp: FakeCpp) -> None:
    cpp.submissions.append({"id": new_guid(), "submissionType": "goLive", "submissionState": "running",
                            "publisherId": "fabrikam", "offerId": "vm2", "changedTime": "2026-11-03T00:00:00Z"})
    outputs, error = create(cpp_provider(cpp), cpp_inputs())
    assert outputs is not None, error
    assert cpp.posts() == 1 and outputs["operation_id"] == OPERATION_ID


def test_21_an_operation_answer_naming_another_operation_or_offer_is_not_believed(cpp: FakeCpp) -> None:
    lies = {"left": 2}

    def operation(request: Request, wire: Wire) -> Reply:
        if lies["left"]:
            lies["left"] -= 1
            return Reply(200, {"id": new_guid(), "offerId": "vm2", "status": "complete"})
        return Reply(200, {"id": OPERATION_ID, "status": "running"})

    cpp.server.routes[("GET", f"{cpp.prefix}/operations/*")] = operation
    outputs, error = create(cpp_provider(cpp), cpp_inputs(wait="completed", timeout_seconds=3))
    assert outputs is None and "still running after the 3 s timeout" in error and OPERATION_ID in error
    assert lies["left"] == 0 and cpp.posts() == 1


# ---- 22: "re-running is safe" was not ------------------------------------------------------------------------------

def test_22_a_502_with_a_lagging_list_is_not_called_safe_and_the_plugin_records_it(cpp: FakeCpp) -> None:
    cpp.list_golive = False

    def golive(request: Request, wire: Wire) -> Reply:
        cpp.accept()
        return Reply(502, "<html>Bad Gateway</html>", [("Content-Type", "text/html")])

    cpp.server.routes[("POST", f"{cpp.prefix}/golive")] = golive
    outputs, error = created(cpp, "plugin", adoptTimeout=1)
    assert cpp.posts() == 1 and "HTTP 502" in error and "safe" not in error
    assert "may have been started" in error and outputs["operation_id"] == "unconfirmed"
