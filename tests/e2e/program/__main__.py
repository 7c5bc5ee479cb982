"""The Pulumi program the end-to-end tests deploy: N OfferGoLive resources shaped by stack config."""

import pulumi

from pulumi_cpp_golive import OfferGoLive

config = pulumi.Config()
count = config.get_int("count")
count = 1 if count is None else count
offer_id = config.get("offerId")
offers = ["vm1" if offer_id is None else offer_id] if count == 1 else [f"vm{i}" for i in range(count)]

for index, offer in enumerate(offers):
    golive = OfferGoLive(
        f"golive-{index}",
        publisher_id=config.get("publisherId") or "contoso",
        offer_id=offer,
        triggers=[config.get("trigger") or "v1"],
        wait=config.get("wait") or "completed",
        poll_interval_seconds=config.get_float("pollIntervalSeconds"),
        timeout_seconds=config.get_float("timeoutSeconds"),
    )
    if count == 1:
        pulumi.export("operation_id", golive.operation_id)
        pulumi.export("operation_location", golive.operation_location)
        pulumi.export("status", golive.status)
        pulumi.export("accepted_at", golive.accepted_at)
        pulumi.export("completed_at", golive.completed_at)
    else:
        pulumi.export(f"status_{index}", golive.status)
