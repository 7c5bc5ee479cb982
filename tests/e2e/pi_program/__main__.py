"""The Product Ingestion e2e program: one OfferGoLive on offer ``vm1`` through either adapter, chosen by stack config
``adapter`` (``dynamic``, the default, or ``plugin``: the generated SDK served by PulumiPlugin.yaml), with ``api``,
``wait`` and ``trigger`` from stack config. Outputs are exported under the same snake_case names for both."""

import pulumi

config = pulumi.Config()
if config.get("adapter") == "plugin":
    import pulumi_cpp_golive_sdk as adapter
else:
    import pulumi_cpp_golive as adapter

golive = adapter.OfferGoLive(
    "golive-0",
    publisher_id="contoso",
    offer_id="vm1",
    api=config.get("api") or "cpp",
    triggers=[config.get("trigger") or "v1"],
    wait=config.get("wait") or "completed",
)

pulumi.export("operation_id", golive.operation_id)
pulumi.export("operation_location", golive.operation_location)
pulumi.export("status", golive.status)
pulumi.export("accepted_at", golive.accepted_at)
pulumi.export("completed_at", golive.completed_at)
pulumi.export("product_id", golive.product_id)
pulumi.export("submission_id", golive.submission_id)
