// Send one offer live through the cpp-golive plugin. The SDK is the one generated in sdk/nodejs, installed by
// `pulumi install` (npm) from the "file:" dependency in package.json and imported by its package name.
import * as pulumi from "@pulumi/pulumi";
import * as cpp from "@pulumi-cpp-golive/cpp-golive";

const config = new pulumi.Config();
const timeoutSeconds = config.getNumber("timeoutSeconds");

const golive = new cpp.OfferGoLive("offer-golive", {
    publisherId: config.require("publisherId"),
    offerId: config.require("offerId"),
    // A new offer version needs a new go-live: changing a trigger replaces the resource.
    triggers: [config.get("offerVersion") ?? "1"],
    // The SDK's enums: a misspelt value is a type error; from config, Pulumi checks it against the allowed ones.
    wait: config.get("wait", { allowedValues: Object.values(cpp.Wait) }) ?? cpp.Wait.Completed,
    timeoutSeconds,
});

export const operationId = golive.operationId;
export const status = golive.status;
export const completedAt = golive.completedAt;
