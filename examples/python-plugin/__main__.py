"""Take one offer version to preview and then live through the cpp-golive plugin (partial state, Cancel).

`pulumi up` publishes to preview; after checking the preview, `pulumi config set goLive true` and `pulumi up` again.
"""

import pulumi
import pulumi_cpp_golive_sdk as cpp

config = pulumi.Config()
publisher_id = config.require("publisherId")
offer_id = config.require("offerId")
api = config.get("api") or "cpp"
version = config.get("offerVersion") or "1"

publish = cpp.OfferPublish(
    "offer-publish",
    publisher_id=publisher_id,
    offer_id=offer_id,
    api=api,
    triggers=[version],
    notification_emails=[config.get("notificationEmail") or "release@example.com"],
    # customTimeouts reach the plugin: when the wait runs out, the operation ID stays in the stack and the next
    # `pulumi up` resumes it.
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="168h")),
)
pulumi.export("publishOperationId", publish.operation_id)
pulumi.export("publishStatus", publish.status)
pulumi.export("previewSubmissionId", publish.submission_id)

if config.get_bool("goLive"):
    golive = cpp.OfferGoLive(
        "offer-golive",
        publisher_id=publisher_id,
        offer_id=offer_id,
        api=api,
        triggers=[version],
        preview_submission_id=publish.submission_id,  # Product Ingestion: exactly this preview; CPP: ""
        wait=config.get("wait") or "completed",
        opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="12h")),
    )
    pulumi.export("operationId", golive.operation_id)
    pulumi.export("status", golive.status)
    pulumi.export("completedAt", golive.completed_at)
