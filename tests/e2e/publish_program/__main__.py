"""The release flow of examples/python and examples/python-plugin, as one e2e program: an OfferPublish of offer
``vm1`` always, and an OfferGoLive of exactly that preview once stack config ``goLive`` is true. The adapter is stack
config ``adapter`` (``dynamic``, the default: pulumi_cpp_golive; ``plugin``: the generated SDK served by
PulumiPlugin.yaml); ``api`` as in the examples; ``notificationEmails`` is a comma-separated list (default two
addresses; ``none`` gives no notification_emails at all). Outputs have the same snake_case names for both adapters."""

import pulumi

config = pulumi.Config()
if config.get("adapter") == "plugin":
    import pulumi_cpp_golive_sdk as cpp
else:
    import pulumi_cpp_golive as cpp

api = config.get("api") or "cpp"
version = config.get("offerVersion") or "1"
emails = config.get("notificationEmails") or "release@example.com,ops@example.com"

publish = cpp.OfferPublish(
    "offer-publish",
    publisher_id="contoso",
    offer_id="vm1",
    api=api,
    triggers=[version],
    notification_emails=None if emails == "none" else emails.split(","),
)
pulumi.export("publish_operation_id", publish.operation_id)
pulumi.export("publish_status", publish.status)
pulumi.export("publish_product_id", publish.product_id)
pulumi.export("preview_submission_id", publish.submission_id)

if config.get_bool("goLive"):
    golive = cpp.OfferGoLive(
        "offer-golive",
        publisher_id="contoso",
        offer_id="vm1",
        api=api,
        triggers=[version],
        preview_submission_id=publish.submission_id,
        wait="completed",
    )
    pulumi.export("operation_id", golive.operation_id)
    pulumi.export("status", golive.status)
    pulumi.export("product_id", golive.product_id)
    pulumi.export("submission_id", golive.submission_id)
