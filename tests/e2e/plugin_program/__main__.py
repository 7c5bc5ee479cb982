"""N cpp-golive:index:OfferGoLive resources served by the plugin (PulumiPlugin.yaml at the repository root)."""

import pulumi

OUTPUTS = ("operationId", "operationLocation", "status", "acceptedAt", "completedAt")

config = pulumi.Config()
count = config.get_int("count")
count = 1 if count is None else count
offer_id = config.get("offerId")
offers = ["vm1" if offer_id is None else offer_id] if count == 1 else [f"vm{i}" for i in range(count)]
timeouts = config.get("createTimeout")

for index, offer in enumerate(offers):
    golive = pulumi.CustomResource(
        "cpp-golive:index:OfferGoLive",
        f"golive-{index}",
        {
            "publisherId": "contoso",
            "offerId": offer,
            "triggers": [config.get("trigger") or "v1"],
            "wait": config.get("wait") or "completed",
            "timeoutSeconds": config.get_float("timeoutSeconds"),
            **{name: None for name in OUTPUTS},
        },
        pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeouts) if timeouts else None),
    )
    prefix = "" if count == 1 else f"{index}_"
    pulumi.export(f"{prefix}status", golive.status)  # type: ignore[attr-defined]
    if count == 1:
        pulumi.export("operationId", golive.operationId)  # type: ignore[attr-defined]
