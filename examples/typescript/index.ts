// Take one offer version to preview and then live through the cpp-golive plugin. The SDK is the one generated in
// sdk/nodejs, installed by `pulumi install` (npm) from the "file:" dependency in package.json.
//   pulumi up                                  publishes to preview and waits until the preview is ready
//   pulumi config set goLive true && pulumi up  after checking the preview: sends exactly that preview live
import * as pulumi from "@pulumi/pulumi";
import * as cpp from "@pulumi-cpp-golive/cpp-golive";

const config = new pulumi.Config();
const publisherId = config.require("publisherId");
const offerId = config.require("offerId");
// The SDK's enums: a misspelt value is a type error; from config, Pulumi checks it against the allowed ones.
const api = config.get("api", { allowedValues: Object.values(cpp.Api) }) ?? cpp.Api.Cpp;
// A new offer version is a new publish and a new go-live: changing a trigger replaces the resource.
const triggers = [config.get("offerVersion") ?? "1"];
const timeoutSeconds = config.getNumber("timeoutSeconds");

const publish = new cpp.OfferPublish("offer-publish", {
    publisherId,
    offerId,
    api,
    triggers,
    notificationEmails: [config.get("notificationEmail") ?? "release@example.com"],
    wait: cpp.PublishWait.Preview,
});
export const publishOperationId = publish.operationId;
export const publishStatus = publish.status;
export const previewSubmissionId = publish.submissionId;

const golive = config.getBoolean("goLive")
    ? new cpp.OfferGoLive("offer-golive", {
        publisherId,
        offerId,
        api,
        triggers,
        // Product Ingestion: go live only with the preview this stack published (CPP gives "", which pins nothing).
        previewSubmissionId: publish.submissionId,
        wait: config.get("wait", { allowedValues: Object.values(cpp.Wait) }) ?? cpp.Wait.Completed,
        timeoutSeconds,
    })
    : undefined;

export const operationId = golive?.operationId;
export const status = golive?.status;
export const completedAt = golive?.completedAt;
