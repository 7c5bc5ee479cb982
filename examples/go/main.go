// Takes one Azure Marketplace offer version to preview and then live with the cpp-golive provider, from Go.
//
//	pulumi config set publisherId contoso
//	pulumi config set offerId vm1
//	pulumi config set api product-ingestion   # offers created in Partner Center; leave unset for CPP
//	pulumi up                                 # publishes to preview; waits until the preview is ready
//	pulumi config set goLive true             # after checking the preview
//	pulumi up                                 # sends exactly that preview live
package main

import (
	"github.com/pulumi-cpp-golive/pulumi-cpp-golive/sdk/go/cppgolive"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		offerVersion := conf.Get("offerVersion")
		if offerVersion == "" {
			offerVersion = "1"
		}
		api := conf.Get("api")
		if api == "" {
			api = "cpp"
		}
		// Bump after changing the offer: a new publish, then a new go-live.
		triggers := pulumi.Array{pulumi.String(offerVersion)}
		publish, err := cppgolive.NewOfferPublish(ctx, "publish", &cppgolive.OfferPublishArgs{
			PublisherId:        pulumi.String(conf.Require("publisherId")),
			OfferId:            pulumi.String(conf.Require("offerId")),
			Api:                cppgolive.Api(api),
			Triggers:           triggers,
			NotificationEmails: pulumi.StringArray{pulumi.String("release@example.com")},
			Wait:               cppgolive.PublishWaitPreview,
		})
		if err != nil {
			return err
		}
		ctx.Export("publishOperationId", publish.OperationId)
		ctx.Export("publishStatus", publish.Status)
		ctx.Export("previewSubmissionId", publish.SubmissionId)
		if !conf.GetBool("goLive") {
			return nil // the go-live waits for a person: `pulumi config set goLive true` once the preview is checked
		}
		golive, err := cppgolive.NewOfferGoLive(ctx, "golive", &cppgolive.OfferGoLiveArgs{
			PublisherId: pulumi.String(conf.Require("publisherId")),
			OfferId:     pulumi.String(conf.Require("offerId")),
			Api:         cppgolive.Api(api),
			Triggers:    triggers,
			// Product Ingestion: go live only with the preview this stack published (CPP gives "", which pins nothing).
			PreviewSubmissionId: publish.SubmissionId,
			Wait:                cppgolive.WaitCompleted,
			// Stop waiting after 14 days; the next `pulumi up` resumes the same operation.
			TimeoutSeconds: pulumi.Float64(14 * 24 * 3600),
		})
		if err != nil {
			return err
		}
		ctx.Export("operationId", golive.OperationId)
		ctx.Export("status", golive.Status)
		ctx.Export("acceptedAt", golive.AcceptedAt)
		ctx.Export("completedAt", golive.CompletedAt)
		ctx.Export("productId", golive.ProductId)
		ctx.Export("submissionId", golive.SubmissionId)
		return nil
	})
}
