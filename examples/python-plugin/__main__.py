"""Send one offer live through the cpp-golive plugin (partial state, Cancel, no 4-call limit)."""

import pulumi
import pulumi_cpp_golive_sdk as cpp

config = pulumi.Config()

golive = cpp.OfferGoLive(
    "offer-golive",
    publisher_id=config.require("publisherId"),
    offer_id=config.require("offerId"),
    api=config.get("api") or "cpp",
    triggers=[config.get("offerVersion") or "1"],
    wait=config.get("wait") or "completed",
    # customTimeouts reach the plugin: when the wait runs out, the operation ID stays in the stack and the next
    # `pulumi up` resumes it.
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="12h")),
)

pulumi.export("operationId", golive.operation_id)
pulumi.export("status", golive.status)
pulumi.export("completedAt", golive.completed_at)
