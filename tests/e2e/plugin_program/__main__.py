"""N OfferGoLive resources served by the plugin (PulumiPlugin.yaml at the repository root), through the
generated Python SDK (sdk/python)."""

import pulumi
import pulumi_cpp_golive_sdk as cpp

config = pulumi.Config()
count = config.get_int("count")
count = 1 if count is None else count
offer_id = config.get("offerId")
offers = ["vm1" if offer_id is None else offer_id] if count == 1 else [f"vm{i}" for i in range(count)]
create_timeout = config.get("createTimeout")

for index, offer in enumerate(offers):
    golive = cpp.OfferGoLive(
        f"golive-{index}",
        publisher_id="contoso",
        offer_id=offer,
        triggers=[config.get("trigger") or "v1"],
        wait=config.get("wait") or "completed",
        timeout_seconds=config.get_float("timeoutSeconds"),
        opts=pulumi.ResourceOptions(
            custom_timeouts=pulumi.CustomTimeouts(create=create_timeout) if create_timeout else None),
    )
    if count == 1:
        pulumi.export("status", golive.status)
        pulumi.export("operationId", golive.operation_id)
    else:
        pulumi.export(f"{index}_status", golive.status)
