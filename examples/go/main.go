// Sends an Azure Marketplace offer live with the cpp-golive provider, from Go.
//
//	pulumi config set publisherId contoso
//	pulumi config set offerId vm1
//	pulumi config set api product-ingestion   # offers created in Partner Center; leave unset for CPP
//	pulumi up
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
		golive, err := cppgolive.NewOfferGoLive(ctx, "golive", &cppgolive.OfferGoLiveArgs{
			PublisherId: pulumi.String(conf.Require("publisherId")),
			OfferId:     pulumi.String(conf.Require("offerId")),
			Api:         cppgolive.Api(api),
			// Bump after publishing a new offer version: a new go-live.
			Triggers: pulumi.Array{pulumi.String(offerVersion)},
			Wait:     cppgolive.WaitCompleted,
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
