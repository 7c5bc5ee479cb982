"""The operation machine on its own: every survey outcome, an ambiguous POST, resume, refresh, timeout and cancel,
driven through :class:`FakeOfferApi` (no HTTP, no sleeps: time moves only when the machine pauses).

Each path is run with the two APIs' names and the answers each gives (CPP's lagging listing, Product Ingestion's
go-live of another submission and its post target), and the last tests run a second kind of operation with other
words through the same machine.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pulumi_cpp_golive.errors import (
    AmbiguousGoLiveError,
    ApiError,
    GoLiveCancelledError,
    GoLiveError,
    GoLiveFailedError,
    GoLiveTimeoutError,
    OfferNotReadyError,
    UnusableAnswerError,
)
from pulumi_cpp_golive.golive import OperationMachine
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.offer_api import (
    Adopt,
    AlreadyDone,
    Busy,
    Lagging,
    LastFailed,
    Lookup,
    OfferApi,
    OperationWords,
    Post,
    Reading,
    Refuse,
)
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.resource import WAIT_ACCEPTED
from pulumi_cpp_golive.status import CANCELED, FAILED, RUNNING, SUCCEEDED, UNCONFIRMED

from .conftest import FakeClock
from .fake_offer_api import FakeOfferApi

NOW = "2026-11-25T00:00:00Z"
SPEC = GoLiveSpec("contoso", "vm1", poll_interval=30.0)


@dataclasses.dataclass(frozen=True)
class Flavour:
    """How one API names itself and its listing, and what its POST needs from the survey."""

    name: str
    listing: str
    target: dict[str, str]


CPP = Flavour("CPP", "operations list", {})
PI = Flavour("Product Ingestion", "submission listing",
             {"product": "product/6f1c", "submission": "submission/6f1c/4"})


def record(operation_id: str = "op-1", status: str = RUNNING, **extra: Any) -> OperationRecord:
    return OperationRecord(publisher_id="contoso", offer_id="vm1", operation_id=operation_id,
                           operation_location=f"/operations/{operation_id}", status=status,
                           accepted_at="2026-11-24T10:00:00Z", **extra)


def gateway_error(status: int = 502) -> ApiError:
    return ApiError(status=status, method="POST", url="https://api.example.test/golive", message="Bad Gateway")


@pytest.fixture(params=[CPP, PI], ids=["cpp", "pi"])
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def machine_for(api: OfferApi, clock: FakeClock, lines: list[str], **options: Any) -> OperationMachine:
    return OperationMachine(api, default_poll_interval=60.0, report=lines.append, clock=clock.clock,
                            sleep=clock.sleep, now=lambda: NOW, adopt_window=options.pop("adopt_window", 10.0),
                            **options)


def fake(flavour: Flavour, **scripts: Any) -> FakeOfferApi:
    return FakeOfferApi(name=flavour.name, listing=flavour.listing, **scripts)


# ---- the outcomes cannot be built without what the machine needs -----------------------------------------


@pytest.mark.parametrize("outcome", [Adopt, AlreadyDone, LastFailed])
def test_an_outcome_about_an_operation_needs_its_record(outcome: Any) -> None:
    with pytest.raises(TypeError, match="needs the operation's record"):
        outcome(None)


@pytest.mark.parametrize("outcome", [Refuse, Lagging, Busy])
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_outcome_the_user_is_told_needs_a_reason(outcome: Any, reason: Any) -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        outcome(reason)


# ---- 1. adopt or post --------------------------------------------------------------------------------------


def test_posts_once_then_waits_reporting_each_step_once(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    survey = Post(flavour.target)
    api = fake(flavour, surveys=[survey], posts=[record()], readings=[
        Reading(RUNNING, progress={"": "step 1"}), Reading(RUNNING, progress={"": "step 1"}),
        Reading(RUNNING, progress={"": "step 2"}), Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).create(SPEC)
    assert (done.status, done.completed_at) == (SUCCEEDED, NOW)
    assert api.count("post") == 1 and api.given("post") == [survey]  # the post gets the survey's target
    assert api.count("read") == 4 and api.count("look_for") == 0
    assert clock.sleeps == [30.0, 30.0, 30.0]
    assert lines == ["contoso/vm1: go-live accepted: operation op-1",
                     "contoso/vm1: operation op-1: step 1",
                     "contoso/vm1: operation op-1: step 2",
                     "contoso/vm1: go-live operation op-1 succeeded: the offer is live"]


def test_wait_accepted_returns_the_running_operation_without_reading_it(flavour: Flavour, clock: FakeClock,
                                                                       lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[record()])
    done = machine_for(api, clock, lines).create(dataclasses.replace(SPEC, wait=WAIT_ACCEPTED))
    assert done.status == RUNNING and api.count("post") == 1 and api.count("read") == 0


def test_a_running_operation_is_adopted_not_posted(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    api = fake(flavour, surveys=[Adopt(record("op-9"))], readings=[Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).create(SPEC)
    assert done.operation_id == "op-9" and done.status == SUCCEEDED
    assert api.count("post") == 0 and api.count("read") == 1
    assert lines[0] == ("contoso/vm1: adopting go-live operation op-9 already running on the offer; no new go-live "
                        "was posted")


def test_an_offer_already_live_is_recorded_without_posting_or_reading(flavour: Flavour, clock: FakeClock,
                                                                     lines: list[str]) -> None:
    live = record("op-8", SUCCEEDED, completed_at="2026-11-20T00:00:00Z")
    api = fake(flavour, surveys=[AlreadyDone(live)])
    assert machine_for(api, clock, lines).create(SPEC) is live
    assert api.count("post") == 0 and api.count("read") == 0
    assert lines == ["contoso/vm1: offer is already live; adopting its go-live operation op-8 instead of posting "
                     "again"]


def test_a_refused_offer_is_not_posted(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    api = fake(flavour, surveys=[Refuse("offer contoso/vm1 was never published to preview.")])
    with pytest.raises(OfferNotReadyError) as caught:
        machine_for(api, clock, lines).create(SPEC)
    assert str(caught.value) == "offer contoso/vm1 was never published to preview. Nothing was posted."
    assert api.count("post") == 0 and api.count("survey") == 1


def test_a_last_failed_operation_is_reported_not_posted_again(flavour: Flavour, clock: FakeClock,
                                                              lines: list[str]) -> None:
    failed = record("op-7", FAILED, messages=("certification failure: bad image",))
    api = fake(flavour, surveys=[LastFailed(failed)])
    with pytest.raises(GoLiveFailedError) as caught:
        machine_for(api, clock, lines).create(SPEC)
    assert caught.value.record is failed
    assert str(caught.value).startswith("the last go-live of contoso/vm1, operation op-7, ended failed: "
                                        "certification failure: bad image. A failed go-live is not posted again")
    assert api.count("post") == 0


def test_a_lagging_listing_is_looked_at_until_it_shows_the_operation(clock: FakeClock, lines: list[str]) -> None:
    reason = "the offer status says 'running' but the operations list shows no running go-live yet"
    api = fake(CPP, surveys=[Lagging(reason)], lookups=[Lookup(), Lookup(), Lookup(record("op-6"))],
               readings=[Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).create(SPEC)
    assert done.operation_id == "op-6" and api.count("post") == 0 and api.count("look_for") == 3
    assert clock.sleeps[:3] == [0.5, 1.0, 2.0]  # the looks back off
    assert f"contoso/vm1: {reason}; adopting go-live operation op-6 from the operations list" in lines


def test_a_lagging_listing_that_never_shows_it_stops_without_posting(clock: FakeClock, lines: list[str]) -> None:
    api = fake(CPP, surveys=[Lagging("the offer status says 'running'")])
    with pytest.raises(AmbiguousGoLiveError) as caught:
        machine_for(api, clock, lines, adopt_window=10.0).create(SPEC)
    assert caught.value.posted and api.count("post") == 0 and api.count("look_for") >= 3
    assert ("the offer status says 'running'; no go-live appeared in the operations list of contoso/vm1 within "
            "10 s (cpp-golive:adoptTimeout). The go-live may have been started; nothing was re-posted.") in str(
                caught.value)
    assert sum(clock.sleeps) == pytest.approx(10.0)


def test_a_listing_that_shows_why_none_will_come_stops_early(clock: FakeClock, lines: list[str]) -> None:
    api = fake(CPP, surveys=[Lagging("the offer is busy")], lookups=[Lookup(other="a 'publish' operation runs")])
    with pytest.raises(OfferNotReadyError, match=r"^the offer is busy; a 'publish' operation runs$"):
        machine_for(api, clock, lines).create(SPEC)
    assert api.count("look_for") == 1 and api.count("post") == 0


def test_another_operation_running_is_waited_out_then_posted(clock: FakeClock, lines: list[str]) -> None:
    reason = "the go-live of live submission submission/6f1c/3 (running) is still running"
    api = fake(PI, surveys=[Busy(reason), Busy(reason), Post(PI.target)], posts=[record()])
    done = machine_for(api, clock, lines).create(dataclasses.replace(SPEC, wait=WAIT_ACCEPTED))
    assert done.operation_id == "op-1"
    assert api.count("survey") == 3 and api.count("post") == 1 and clock.sleeps == [0.5, 1.0]
    assert lines.count(f"contoso/vm1: waiting: {reason}") == 2


def test_another_operation_that_keeps_running_stops_without_posting(clock: FakeClock, lines: list[str]) -> None:
    api = fake(PI, surveys=[Busy("another go-live runs")])
    with pytest.raises(OfferNotReadyError) as caught:
        machine_for(api, clock, lines, adopt_window=3.0).create(SPEC)
    assert str(caught.value) == ("another go-live runs; it was still running after 3 s (cpp-golive:adoptTimeout). "
                                 "Re-run `pulumi up` once it has ended. Nothing was posted.")
    assert api.count("post") == 0 and sum(clock.sleeps) == pytest.approx(3.0)


# ---- an ambiguous POST: looked for, never posted again -------------------------------------------------------


@pytest.mark.parametrize("failure", [gateway_error(502), gateway_error(409),
                                     UnusableAnswerError("the answer named no operation")],
                         ids=["5xx", "conflict", "unusable"])
def test_an_ambiguous_post_is_resolved_by_looking_never_by_posting_again(
        flavour: Flavour, clock: FakeClock, lines: list[str], failure: Exception) -> None:
    survey = Post(flavour.target)
    api = fake(flavour, surveys=[survey], posts=[failure], lookups=[Lookup(), Lookup(record("op-5"))],
               readings=[Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).create(SPEC)
    assert done.operation_id == "op-5" and done.status == SUCCEEDED
    assert api.count("post") == 1 and api.given("look_for") == [survey, survey]  # looked for what was posted
    assert any(f"adopting go-live operation op-5 from the {flavour.listing}" in line for line in lines)


def test_an_ambiguous_post_never_listed_says_re_running_is_safe(flavour: Flavour, clock: FakeClock,
                                                               lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[gateway_error(504)])
    with pytest.raises(AmbiguousGoLiveError) as caught:
        machine_for(api, clock, lines).create(SPEC)
    assert caught.value.posted and api.count("post") == 1
    assert str(caught.value).startswith("the go-live POST ended ambiguously (")
    assert f"looks for it in the {flavour.listing} before it posts" in str(caught.value)


def test_a_post_never_sent_is_posted_again_only_after_looking(flavour: Flavour, clock: FakeClock,
                                                              lines: list[str]) -> None:
    not_sent = ApiError(status=None, method="POST", url="https://api.example.test/golive", code="NotSent")
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[not_sent, record()])
    done = machine_for(api, clock, lines).create(dataclasses.replace(SPEC, wait=WAIT_ACCEPTED))
    assert done.operation_id == "op-1" and api.count("post") == 2 and api.count("look_for") == 1
    assert [call.method for call in api.calls] == ["survey", "post", "look_for", "post"]


def test_a_post_never_sent_three_times_stops_saying_nothing_was_posted(flavour: Flavour, clock: FakeClock,
                                                                       lines: list[str]) -> None:
    not_sent = ApiError(status=None, method="POST", url="https://api.example.test/golive", code="NotSent")
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[not_sent, not_sent, not_sent])
    with pytest.raises(AmbiguousGoLiveError, match="could not be sent") as caught:
        machine_for(api, clock, lines).create(SPEC)
    assert not caught.value.posted and api.count("post") == 3


def test_a_definite_refusal_is_raised_as_it_is(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    refused = gateway_error(400)
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[refused])
    with pytest.raises(ApiError) as caught:
        machine_for(api, clock, lines).create(SPEC)
    assert caught.value is refused and api.count("post") == 1 and api.count("look_for") == 0


# ---- resume ------------------------------------------------------------------------------------------------


def test_resume_waits_on_the_recorded_operation_without_surveying(flavour: Flavour, clock: FakeClock,
                                                                  lines: list[str]) -> None:
    api = fake(flavour, readings=[Reading(RUNNING), Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).resume(SPEC, record("op-4"))
    assert done.status == SUCCEEDED
    assert [call.method for call in api.calls] == ["read", "read"]
    assert lines[0] == ("contoso/vm1: resuming the wait on recorded operation op-4 (no new go-live is posted)")


@pytest.mark.parametrize("status", [FAILED, CANCELED])
def test_resume_of_a_recorded_failure_asks_nothing(flavour: Flavour, clock: FakeClock, lines: list[str],
                                                   status: str) -> None:
    api = fake(flavour)
    with pytest.raises(GoLiveFailedError, match=f"ended {status} \\(as recorded in the stack\\)"):
        machine_for(api, clock, lines).resume(SPEC, record("op-3", status))
    assert api.calls == []


def test_resume_of_an_unconfirmed_post_adopts_what_the_listing_shows(flavour: Flavour, clock: FakeClock,
                                                                    lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], lookups=[Lookup(record("op-2"))],
               readings=[Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).resume(SPEC, record(UNCONFIRMED))
    assert done.operation_id == "op-2" and api.count("post") == 0
    assert any("the previous run's go-live POST ended ambiguously; adopting go-live operation op-2" in line
               for line in lines)


def test_resume_of_an_unconfirmed_post_posts_once_the_listing_shows_none(flavour: Flavour, clock: FakeClock,
                                                                        lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[record()], readings=[Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines, adopt_window=5.0).resume(SPEC, record(UNCONFIRMED))
    assert done.operation_id == "op-1" and api.count("post") == 1 and api.count("look_for") >= 2
    assert any("shows no go-live after 5 s (cpp-golive:adoptTimeout): posting" in line for line in lines)


def test_an_ambiguous_post_says_when_it_was_sent(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    # What the plugin records as the unconfirmed POST's time: the next run's API may look for what was created since.
    times = iter(["2026-11-25T00:00:05Z", "2026-11-25T00:09:00Z"])
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[gateway_error(504)])
    machine = OperationMachine(api, report=lines.append, clock=clock.clock, sleep=clock.sleep,
                               now=lambda: next(times), adopt_window=10.0)
    with pytest.raises(AmbiguousGoLiveError) as caught:
        machine.create(SPEC)
    assert caught.value.sent_at == "2026-11-25T00:00:05Z"


def test_resume_of_an_unconfirmed_post_looks_since_it_was_sent(flavour: Flavour, clock: FakeClock,
                                                              lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], lookups=[Lookup(record("op-2"))],
               readings=[Reading(SUCCEEDED)])
    unconfirmed = record(UNCONFIRMED)
    machine_for(api, clock, lines).resume(SPEC, unconfirmed)
    [looked] = api.given("look_for")
    assert looked == Post(flavour.target, since=unconfirmed.accepted_at)


def test_an_unconfirmed_post_still_unseen_keeps_the_first_posts_time(flavour: Flavour, clock: FakeClock,
                                                                    lines: list[str]) -> None:
    # The earlier run's POST, not this run's, is the earliest that can have made the operation.
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[gateway_error(504)])
    with pytest.raises(AmbiguousGoLiveError) as caught:
        machine_for(api, clock, lines, adopt_window=5.0).resume(SPEC, record(UNCONFIRMED))
    assert api.count("post") == 1 and caught.value.sent_at == "2026-11-24T10:00:00Z"


def test_cancel_while_looking_for_an_unconfirmed_post_keeps_it_unconfirmed(flavour: Flavour, clock: FakeClock,
                                                                         lines: list[str]) -> None:
    clock.cancel_after = 1
    api = fake(flavour, surveys=[Post(flavour.target)])
    with pytest.raises(AmbiguousGoLiveError) as caught:  # the plugin keeps recording the ambiguous POST
        machine_for(api, clock, lines).resume(SPEC, record(UNCONFIRMED))
    assert caught.value.posted and api.count("post") == 0
    assert str(caught.value).startswith("the previous run's go-live POST ended ambiguously; the go-live was "
                                        f"cancelled before the {flavour.listing} showed it. The go-live may have")


def test_an_unconfirmed_post_with_another_operation_listed_is_not_posted(flavour: Flavour, clock: FakeClock,
                                                                        lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], lookups=[Lookup(other="a 'publish' operation runs")])
    with pytest.raises(OfferNotReadyError) as caught:
        machine_for(api, clock, lines).resume(SPEC, record(UNCONFIRMED))
    assert str(caught.value) == "the previous run's go-live POST ended ambiguously; a 'publish' operation runs"
    assert api.count("post") == 0 and api.count("look_for") == 1


# ---- timeout, cancel, failed polls: the record is always kept -------------------------------------------------


def test_a_timeout_keeps_the_record_and_posts_nothing_more(flavour: Flavour, clock: FakeClock,
                                                           lines: list[str]) -> None:
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[record()])
    with pytest.raises(GoLiveTimeoutError) as caught:
        machine_for(api, clock, lines).create(dataclasses.replace(SPEC, timeout=100.0))
    assert caught.value.record.operation_id == "op-1" and caught.value.record.status == RUNNING
    assert "is still running after the 100 s timeout" in str(caught.value)
    assert api.count("post") == 1 and api.count("read") == 4 and sum(clock.sleeps) == pytest.approx(100.0)


def test_cancel_stops_the_wait_and_keeps_the_record(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    clock.cancel_after = 2
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[record()])
    with pytest.raises(GoLiveCancelledError) as caught:
        machine_for(api, clock, lines).create(SPEC)
    assert caught.value.record.operation_id == "op-1" and api.count("read") == 2
    assert f"was cancelled; the operation keeps running at {flavour.name}" in str(caught.value)


def test_cancel_while_looking_after_an_ambiguous_post_says_so(flavour: Flavour, clock: FakeClock,
                                                              lines: list[str]) -> None:
    clock.cancel_after = 1
    api = fake(flavour, surveys=[Post(flavour.target)], posts=[gateway_error(502)])
    with pytest.raises(AmbiguousGoLiveError, match=f"the go-live was cancelled before the {flavour.listing}"):
        machine_for(api, clock, lines).create(SPEC)
    assert api.count("post") == 1 and api.count("look_for") == 0


def test_transient_read_failures_are_ridden_out_then_given_up(flavour: Flavour, clock: FakeClock,
                                                              lines: list[str]) -> None:
    api = fake(flavour, readings=[gateway_error(503)])
    with pytest.raises(GoLiveError, match=r"gave up polling go-live operation op-1 .* after 3 failed attempts") as got:
        machine_for(api, clock, lines, max_transient_errors=3).wait(SPEC, record())
    assert got.value.record.operation_id == "op-1" and api.count("read") == 3
    assert clock.sleeps == [10.0, 20.0]  # shortened after a failed poll, doubling


# ---- refresh -----------------------------------------------------------------------------------------------


def test_refresh_reads_once_and_takes_the_new_status(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    api = fake(flavour, readings=[Reading(SUCCEEDED)])
    refreshed = machine_for(api, clock, lines).refresh(record())
    assert (refreshed.status, refreshed.completed_at) == (SUCCEEDED, NOW) and api.count("read") == 1


def test_refresh_keeps_an_operation_the_api_forgot(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    api = fake(flavour, readings=[ApiError(status=404, method="GET", url="https://api.example.test/op")])
    refreshed = machine_for(api, clock, lines).refresh(record())
    assert refreshed.status == RUNNING
    assert lines == [f"contoso/vm1: operation op-1 is no longer returned by {flavour.name}; keeping its recorded "
                     "state"]


def test_a_forgotten_operation_is_a_warning_and_step_changes_are_passing(flavour: Flavour, clock: FakeClock,
                                                                         lines: list[str]) -> None:
    """The channels an adapter shows differently: warnings, passing lines (ephemeral in the plugin), lasting ones."""
    warnings: list[str] = []
    passing: list[str] = []
    api = fake(flavour, readings=[ApiError(status=404, method="GET", url="https://api.example.test/op")])
    machine_for(api, clock, lines, warn=warnings.append, progress=passing.append).refresh(record())
    assert warnings == [f"contoso/vm1: operation op-1 is no longer returned by {flavour.name}; keeping its "
                        "recorded state"]
    assert lines == [] and passing == []


def test_refresh_of_an_unconfirmed_post_reads_nothing(flavour: Flavour, clock: FakeClock, lines: list[str]) -> None:
    api = fake(flavour)
    assert machine_for(api, clock, lines).refresh(record(UNCONFIRMED)).operation_id == UNCONFIRMED
    assert api.calls == []


# ---- a second kind of operation: the same machine, other words --------------------------------------------------

PUBLISH = OperationWords(noun="publish", done="the offer is in preview", already_done="offer is already in preview",
                         retry_hint="A failed publish is not posted again on its own.")


def test_a_second_kind_runs_through_the_same_machine_in_its_own_words(clock: FakeClock, lines: list[str]) -> None:
    api = FakeOfferApi(words=PUBLISH, surveys=[Post()], posts=[record("pub-1")],
                       readings=[Reading(RUNNING, progress={"": "certifying"}), Reading(SUCCEEDED)])
    done = machine_for(api, clock, lines).create(SPEC)
    assert done.status == SUCCEEDED and api.count("post") == 1
    assert lines == ["contoso/vm1: publish accepted: operation pub-1",
                     "contoso/vm1: operation pub-1: certifying",
                     "contoso/vm1: publish operation pub-1 succeeded: the offer is in preview"]


def test_a_second_kind_keeps_every_guarantee_in_its_own_words(clock: FakeClock, lines: list[str]) -> None:
    failed = FakeOfferApi(words=PUBLISH, surveys=[LastFailed(record("pub-2", FAILED))])
    with pytest.raises(GoLiveFailedError) as caught:
        machine_for(failed, clock, lines).create(SPEC)
    assert str(caught.value) == ("the last publish of contoso/vm1, operation pub-2, ended failed: CPP gave no "
                                 "message. A failed publish is not posted again on its own.")
    ambiguous = FakeOfferApi(words=PUBLISH, surveys=[Post()], posts=[gateway_error(502)])
    with pytest.raises(AmbiguousGoLiveError) as unlisted:
        machine_for(ambiguous, clock, lines).create(SPEC)
    assert ambiguous.count("post") == 1
    assert "no publish appeared in the operations list" in str(unlisted.value)
    assert "The publish may have been started; nothing was re-posted" in str(unlisted.value)
    already = FakeOfferApi(words=PUBLISH, surveys=[AlreadyDone(record("pub-3", SUCCEEDED))])
    machine_for(already, clock, lines).create(SPEC)
    assert lines[-1] == "contoso/vm1: offer is already in preview; adopting its publish operation pub-3 instead of " \
                        "posting again"
    assert not any("go-live" in line for line in lines)


def test_a_second_kind_is_named_by_its_deadline_too(clock: FakeClock, lines: list[str]) -> None:
    api = FakeOfferApi(words=PUBLISH, surveys=[Post()], posts=[gateway_error(502)])
    with pytest.raises(AmbiguousGoLiveError) as caught:
        machine_for(api, clock, lines, adopt_window=600.0).create(dataclasses.replace(SPEC, timeout=4.0))
    assert "the publish's time limit (4 s) was reached before the operations list showed it" in str(caught.value)
    assert api.count("post") == 1 and "go-live" not in str(caught.value)
