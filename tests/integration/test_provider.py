"""The dynamic provider's methods against the simulator over real HTTP on loopback."""

from __future__ import annotations

import pytest

from pulumi_cpp_golive.dynamic import OfferGoLiveProvider
from pulumi_cpp_golive.simulator import Simulator, SimulatorConfig

from .conftest import SIM_TOKEN, accepted_posts, golive_inputs, make_provider


@pytest.mark.parametrize("status_case", ["camel", "pascal"])
@pytest.mark.parametrize("id_style", ["guid", "dollar"])
@pytest.mark.parametrize("header_variant", ["location", "operation-location", "both"])
def test_create_sends_one_post_and_succeeds(header_variant: str, id_style: str, status_case: str) -> None:
    config = SimulatorConfig(token=SIM_TOKEN, golive_seconds=0.5, header_variant=header_variant,
                             id_style=id_style, status_case=status_case)
    with Simulator(config) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        result = make_provider(sim.url).create(golive_inputs())
        assert sim.count("POST", "/golive") == 1
        assert sim.count("POST") == 1
    outs = result.outs or {}
    assert outs["status"] == "succeeded"
    assert outs["completed_at"] and outs["accepted_at"]
    assert result.id == f"contoso/vm1/{outs['operation_id']}"
    if id_style == "dollar":
        assert outs["operation_id"] == "contoso$vm1$2$preview"
        assert "/api/operations/contoso$vm1$2$preview" in outs["operation_location"]
    else:
        assert "$" not in outs["operation_id"] and len(outs["operation_id"]) == 36
    assert "api-version=2017-10-31" in outs["operation_location"]


def test_throttling_and_server_errors_still_mean_one_golive() -> None:
    config = SimulatorConfig(token=SIM_TOKEN, golive_seconds=0.8, throttle_every=3, retry_after=1,
                             error500_every=5)
    with Simulator(config) as sim:
        sim.add_offer("contoso", "vm1", state="ready")
        outs = make_provider(sim.url).create(golive_inputs()).outs or {}
        statuses = [r.status for r in sim.requests]
    assert outs["status"] == "succeeded"
    assert accepted_posts(sim) == 1
    assert 429 in statuses and 500 in statuses  # the faults really happened


def test_failed_operation_names_id_and_cpp_message(sim: Simulator, provider: OfferGoLiveProvider) -> None:
    sim.config.fail_golive = True
    with pytest.raises(Exception) as caught:
        provider.create(golive_inputs())
    text = str(caught.value)
    listed = [r for r in sim.requests if r.path.endswith("/golive")]
    assert len(listed) == 1
    operation_id = sim.requests[-1].path.rsplit("/", 1)[-1]
    assert operation_id in text
    assert "ended failed" in text and "simulated failure" in text


def test_wrong_token_names_401_and_hides_the_token(sim: Simulator) -> None:
    wrong = "wrong-token-9d2f41"
    with pytest.raises(Exception) as caught:
        make_provider(sim.url, token=wrong).create(golive_inputs())
    text = str(caught.value)
    assert "HTTP 401" in text
    assert wrong not in text and SIM_TOKEN not in text
    assert sim.count("POST") == 0


def test_never_published_offer_is_refused_without_post(sim: Simulator, provider: OfferGoLiveProvider) -> None:
    sim.add_offer("contoso", "fresh", state="never-published")
    with pytest.raises(Exception, match="never published to preview"):
        provider.create(golive_inputs(offer_id="fresh"))
    assert sim.count("POST") == 0


def test_accepted_then_update_resumes_without_posting(sim: Simulator, provider: OfferGoLiveProvider) -> None:
    created = provider.create(golive_inputs(wait="accepted"))
    olds = created.outs or {}
    assert olds["status"] == "running" and olds["completed_at"] is None
    news = golive_inputs(wait="completed")
    diff = provider.diff(created.id, olds, news)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, olds, news).outs or {}
    assert updated["status"] == "succeeded"
    assert updated["operation_id"] == olds["operation_id"]
    assert sim.count("POST") == 1
    assert provider.diff(created.id, updated, news).changes is False


def test_running_operation_is_adopted_not_reposted(sim: Simulator, provider: OfferGoLiveProvider) -> None:
    operation_id = sim.start_golive("contoso", "vm1")
    outs = provider.create(golive_inputs()).outs or {}
    assert outs["operation_id"] == operation_id and outs["status"] == "succeeded"
    assert sim.count("POST") == 0


def test_read_refreshes_and_keeps_state_when_the_operation_is_gone(sim: Simulator,
                                                                 provider: OfferGoLiveProvider) -> None:
    created = provider.create(golive_inputs(wait="accepted"))
    sim.complete_now("contoso", "vm1")
    read = provider.read(created.id, created.outs or {})
    assert (read.outs or {})["status"] == "succeeded"
    sim.config.operation_404 = True
    before = sim.count("GET")
    again = provider.read(created.id, read.outs or {})
    assert again.id == created.id and (again.outs or {})["status"] == "succeeded"
    assert sim.count("GET") == before + 2  # the operation (404), then the operations list, which cannot tell more
    assert sim.count("POST") == 1


def test_timeout_says_how_to_resume_and_the_rerun_adopts(sim: Simulator, provider: OfferGoLiveProvider) -> None:
    sim.config.golive_seconds = 3.0
    with pytest.raises(Exception, match=r"re-run `pulumi up` to resume"):
        provider.create(golive_inputs(timeout_seconds=0.5))
    outs = provider.create(golive_inputs()).outs or {}
    assert outs["status"] == "succeeded"
    assert sim.count("POST", "/golive") == 1


def test_delete_sends_nothing(sim: Simulator, provider: OfferGoLiveProvider) -> None:
    provider.delete("contoso/vm1/x", golive_inputs())
    assert sim.requests == []
