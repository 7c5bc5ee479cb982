"""The inputs of ``OfferPublish`` (check_inputs with decl PUBLISH: defaults, the ``wait`` enum, CPP's required
addresses), ``OfferGoLive``'s ``preview_submission_id``, plan_change for a publish, and input_notes."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_cpp_golive.inputs import GoLiveSpec, check_inputs, input_notes, plan_change
from pulumi_cpp_golive.resource import GO_LIVE, PUBLISH

GUID = "6a4b1f2e-0000-4000-8000-00000000abcd"
PINNED = f"submission/{GUID}/4"
VALID = {"publisher_id": "contoso", "offer_id": "vm1"}
EMAILS = ["a@x.com", "b@y.com"]
UNKNOWN = object()


def publish_failures(**props: Any) -> list[tuple[str, str]]:
    return check_inputs({**VALID, **props}, decl=PUBLISH, is_unknown=lambda v: v is UNKNOWN)[1]


def golive_failures(**props: Any) -> list[tuple[str, str]]:
    return check_inputs({**VALID, **props}, decl=GO_LIVE, is_unknown=lambda v: v is UNKNOWN)[1]


# ---- OfferPublish ---------------------------------------------------------------------------------------------


def test_publish_defaults_are_wait_preview_and_api_cpp() -> None:
    inputs, problems = check_inputs({**VALID, "notification_emails": EMAILS}, decl=PUBLISH)
    assert problems == []
    assert inputs["wait"] == "preview" and inputs["api"] == "cpp"
    spec = GoLiveSpec.from_inputs(inputs)
    assert spec.wait == "preview" and spec.waits_to_end and spec.notification_emails == ("a@x.com", "b@y.com")


def test_publish_has_no_preview_submission_id_input() -> None:
    assert PUBLISH.input("preview_submission_id") is None
    assert "preview_submission_id" in GO_LIVE.input_names
    assert PUBLISH.input("wait") is not None and PUBLISH.input("wait").default == "preview"  # type: ignore[union-attr]


@pytest.mark.parametrize("wait", ["completed", "forever", ""])
def test_publish_refuses_a_wait_of_the_go_live_naming_wait(wait: str) -> None:
    problems = publish_failures(wait=wait, notification_emails=EMAILS)
    assert problems == [("wait", f"wait must be one of 'preview', 'accepted', got {wait!r}")]


@pytest.mark.parametrize("wait", ["preview", "accepted"])
def test_publish_takes_its_own_waits(wait: str) -> None:
    assert publish_failures(wait=wait, notification_emails=EMAILS) == []


def test_the_go_live_still_refuses_wait_preview() -> None:
    problems = golive_failures(wait="preview")
    assert problems == [("wait", "wait must be one of 'completed', 'accepted', got 'preview'")]


@pytest.mark.parametrize("props", [{}, {"notification_emails": []}, {"notification_emails": None},
                                   {"api": "cpp"}, {"api": "cpp", "notification_emails": ()}],
                         ids=["absent", "empty", "none", "explicit-cpp", "empty-tuple"])
def test_cpp_publish_needs_notification_emails(props: dict[str, Any]) -> None:
    problems = publish_failures(**props)
    assert len(problems) == 1
    name, reason = problems[0]
    assert name == "notification_emails"
    assert reason.startswith("notification_emails is required with api 'cpp'")


def test_cpp_go_live_does_not_need_notification_emails() -> None:
    assert golive_failures() == []


def test_product_ingestion_publish_without_emails_is_fine() -> None:
    assert publish_failures(api="product-ingestion") == []


def test_product_ingestion_publish_with_emails_is_fine_but_noted() -> None:
    inputs, problems = check_inputs({**VALID, "api": "product-ingestion", "notification_emails": EMAILS},
                                    decl=PUBLISH)
    assert problems == []
    notes = input_notes(GoLiveSpec.from_inputs(inputs), PUBLISH)
    assert notes == ["note: notification_emails is ignored with api 'product-ingestion' (Partner Center notifies "
                     "the account's contacts)"]


@pytest.mark.parametrize(("api", "emails", "decl"), [
    ("cpp", ("a@x.com",), PUBLISH),
    ("product-ingestion", (), PUBLISH),
    ("product-ingestion", ("a@x.com",), GO_LIVE),
    ("cpp", ("a@x.com",), GO_LIVE),
])
def test_no_note_otherwise(api: str, emails: tuple[str, ...], decl: Any) -> None:
    assert input_notes(GoLiveSpec("contoso", "vm1", api=api, notification_emails=emails), decl) == []


def test_unknown_values_pass_through_for_a_publish() -> None:
    assert publish_failures(notification_emails=UNKNOWN) == []
    assert publish_failures(wait=UNKNOWN, api=UNKNOWN) == []


def test_an_unknown_api_is_not_taken_for_cpp() -> None:
    # The api is not known yet during preview: it may be product-ingestion, which needs no addresses.
    assert publish_failures(api=UNKNOWN) == []


def test_bad_addresses_are_named_for_a_publish() -> None:
    problems = publish_failures(notification_emails=["ops@x.com", "a@x.com,b@y.com"])
    assert [name for name, _ in problems] == ["notification_emails"]
    assert problems[0][1].startswith("notification_emails[1] must be one address")


def test_a_publish_with_an_unknown_address_inside_the_list_passes() -> None:
    assert publish_failures(notification_emails=["ops@x.com", UNKNOWN]) == []


# ---- OfferGoLive's preview_submission_id --------------------------------------------------------------------------


def test_go_live_pinned_on_product_ingestion_is_fine() -> None:
    inputs, problems = check_inputs({**VALID, "api": "product-ingestion", "preview_submission_id": PINNED})
    assert problems == []
    assert GoLiveSpec.from_inputs(inputs).preview_submission_id == PINNED


@pytest.mark.parametrize("pinned", [
    "submission/not-a-guid/4",
    f"submission/{GUID}/x",
    f"submission/{GUID}",
    f"product/{GUID}",
    f"submission/{GUID}/4/extra",
    f"Submission/{GUID}/4",
    f"submission/{GUID}/-1",
    f"submission/{GUID}/\u0664",  # an Arabic-Indic digit: not ASCII
    4,
    ["submission", GUID, "4"],
])
def test_go_live_refuses_a_pin_of_the_wrong_shape(pinned: Any) -> None:
    problems = golive_failures(api="product-ingestion", preview_submission_id=pinned)
    assert len(problems) == 1
    assert problems[0][0] == "preview_submission_id"
    assert problems[0][1].startswith("preview_submission_id must be a submission ID (submission/<guid>/<n>), got ")


@pytest.mark.parametrize("api", [{"api": "cpp"}, {}], ids=["explicit-cpp", "default-cpp"])
def test_go_live_refuses_a_pin_with_cpp(api: dict[str, Any]) -> None:
    problems = golive_failures(preview_submission_id=PINNED, **api)
    assert problems == [("preview_submission_id",
                         f"preview_submission_id is for api 'product-ingestion' only; CPP has no preview submissions "
                         f"(got {PINNED!r})")]


@pytest.mark.parametrize("pinned", [None, "", UNKNOWN])
def test_go_live_without_a_pin_or_with_one_not_known_yet_passes(pinned: Any) -> None:
    assert golive_failures(api="cpp", preview_submission_id=pinned) == []


def test_a_pin_is_not_checked_for_a_publish() -> None:
    # OfferPublish has no such input: it produces the submission ID instead.
    assert publish_failures(api="product-ingestion", preview_submission_id="junk") == []


# ---- plan_change for a publish --------------------------------------------------------------------------------------


def publish_state(**changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {**VALID, "api": "cpp", "wait": "preview", "notification_emails": EMAILS,
                             "triggers": ["v1"], "poll_interval_seconds": None, "timeout_seconds": None,
                             "status": "succeeded", "operation_id": "op"}
    state.update(changes)
    return state


def publish_inputs(**changes: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {**VALID, "api": "cpp", "wait": "preview", "notification_emails": EMAILS,
                              "triggers": ["v1"]}
    inputs.update(changes)
    return inputs


def test_a_running_publish_with_wait_preview_is_an_update_that_resumes() -> None:
    assert plan_change(publish_state(status="running"), publish_inputs(), PUBLISH) == (True, [])


def test_a_running_publish_with_wait_accepted_is_no_change() -> None:
    assert plan_change(publish_state(status="running", wait="accepted"), publish_inputs(wait="accepted"),
                       PUBLISH) == (False, [])


def test_a_finished_publish_with_the_same_inputs_is_no_change() -> None:
    assert plan_change(publish_state(), publish_inputs(), PUBLISH) == (False, [])


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_failed_publish_is_an_update_so_that_it_is_reported(status: str) -> None:
    assert plan_change(publish_state(status=status), publish_inputs(), PUBLISH) == (True, [])


def test_changed_triggers_replace_the_publish() -> None:
    assert plan_change(publish_state(), publish_inputs(triggers=["v2"]), PUBLISH) == (True, ["triggers"])
    assert plan_change(publish_state(status="running"), publish_inputs(triggers=["v2"]), PUBLISH) == (
        True, ["triggers"])


def test_a_changed_offer_replaces_and_a_changed_wait_updates() -> None:
    assert plan_change(publish_state(), publish_inputs(offer_id="vm2"), PUBLISH) == (True, ["offer_id"])
    assert plan_change(publish_state(), publish_inputs(wait="accepted"), PUBLISH) == (True, [])
    assert plan_change(publish_state(), publish_inputs(notification_emails=["c@z.com"]), PUBLISH) == (True, [])


def test_a_publish_state_without_api_is_cpp() -> None:
    assert plan_change(publish_state(api=None), publish_inputs(), PUBLISH) == (False, [])


def test_a_changed_pin_replaces_the_go_live() -> None:
    old = {**VALID, "api": "product-ingestion", "wait": "completed", "preview_submission_id": PINNED,
           "status": "succeeded"}
    new = {**VALID, "api": "product-ingestion", "wait": "completed", "preview_submission_id": f"submission/{GUID}/5"}
    assert plan_change(old, new, GO_LIVE) == (True, ["preview_submission_id"])
    assert "preview_submission_id" not in PUBLISH.replace_on_change
    assert set(PUBLISH.replace_on_change) == {"publisher_id", "offer_id", "triggers"}
