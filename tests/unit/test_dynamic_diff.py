from __future__ import annotations

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider

OLDS = {"publisher_id": "contoso", "offer_id": "vm1", "triggers": ["v1"], "wait": "completed",
        "poll_interval_seconds": None, "timeout_seconds": None, "notification_emails": None,
        "operation_id": "op", "status": "succeeded"}


def diff(**news: object) -> tuple[object, object]:
    result = OfferGoLiveProvider().diff("contoso/vm1/op", OLDS, {**OLDS, **news})
    return result.changes, result.replaces


def test_no_change_means_nothing_to_do() -> None:
    assert diff() == (False, [])


def test_identity_and_triggers_replace() -> None:
    assert diff(offer_id="vm2") == (True, ["offer_id"])
    assert diff(publisher_id="fabrikam") == (True, ["publisher_id"])
    assert diff(triggers=["v2"]) == (True, ["triggers"])


def test_wait_settings_update_in_place() -> None:
    assert diff(poll_interval_seconds=30) == (True, [])
    assert diff(wait="accepted") == (True, [])


def test_running_operation_with_wait_completed_resumes() -> None:
    result = OfferGoLiveProvider().diff("id", {**OLDS, "status": "running"}, dict(OLDS))
    assert (result.changes, result.replaces) == (True, [])
    accepted = {**OLDS, "wait": "accepted"}
    result = OfferGoLiveProvider().diff("id", {**accepted, "status": "running"}, accepted)
    assert result.changes is False
