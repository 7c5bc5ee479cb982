// Send one offer live through the cpp-golive plugin. The SDK is the generated one in sdk/nodejs (published as
// @pulumi-cpp-golive/cpp-golive); this example imports it from the repository.
import * as pulumi from "@pulumi/pulumi";
import * as cpp from "../../sdk/nodejs";

const config = new pulumi.Config();
const timeoutSeconds = config.getNumber("timeoutSeconds");

const golive = new cpp.OfferGoLive("offer-golive", {
    publisherId: config.require("publisherId"),
    offerId: config.require("offerId"),
    // A new offer version needs a new go-live: changing a trigger replaces the resource.
    triggers: [config.get("offerVersion") ?? "1"],
    wait: config.get("wait") ?? "completed",
    timeoutSeconds,
});

export const operationId = golive.operationId;
export const status = golive.status;
export const completedAt = golive.completedAt;
