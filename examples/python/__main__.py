"""Take one Azure Marketplace offer version to preview and then live, each step once, from one stack.

    pulumi config set publisherId contoso
    pulumi config set offerId vm1
    pulumi config set api product-ingestion   # offers created in Partner Center; leave unset for CPP
    pulumi up                                 # publishes to preview and waits until the preview is ready
    # ... check the preview in Partner Center, then:
    pulumi config set goLive true
    pulumi up                                 # sends exactly that preview live

Against Azure: `az login` (or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET) and nothing else.
Against the local simulator (scripts/demo does this for you): for CPP,
`pulumi config set cpp-golive:baseUrl http://127.0.0.1:PORT` and `pulumi config set --secret cpp-golive:accessToken
sim-token`; for Product Ingestion, `cpp-golive:productIngestionUrl http://127.0.0.1:PORT/rp/product-ingestion` and
`--secret cpp-golive:productIngestionToken sim-token`.
"""

import pulumi

from pulumi_cpp_golive import OfferGoLive, OfferPublish

config = pulumi.Config()
publisher_id = config.require("publisherId")
offer_id = config.require("offerId")
api = config.get("api") or "cpp"
# A new offer version is a new publish (and then a new go-live): changing a trigger replaces the resource.
version = config.get("offerVersion") or "1"

publish = OfferPublish(
    "offer-publish",
    publisher_id=publisher_id,
    offer_id=offer_id,
    api=api,
    triggers=[version],
    # CPP mails the certification results here; Product Ingestion ignores it (Partner Center notifies).
    notification_emails=[config.get("notificationEmail") or "release@example.com"],
)
pulumi.export("publish_operation_id", publish.operation_id)
pulumi.export("publish_status", publish.status)
pulumi.export("preview_submission_id", publish.submission_id)

# The go-live waits for a person: set goLive once the preview has been checked.
if config.get_bool("goLive"):
    golive = OfferGoLive(
        "offer-golive",
        publisher_id=publisher_id,
        offer_id=offer_id,
        api=api,
        triggers=[version],
        # Product Ingestion: go live only with the preview this stack published (CPP gives "", which pins nothing).
        preview_submission_id=publish.submission_id,
        wait=config.get("wait") or "completed",
        # Go-live takes hours to days: the default poll is every 60 s; the API's Retry-After wins when it sends one.
    )
    pulumi.export("operation_id", golive.operation_id)
    pulumi.export("operation_location", golive.operation_location)
    pulumi.export("status", golive.status)
    pulumi.export("accepted_at", golive.accepted_at)
    pulumi.export("completed_at", golive.completed_at)
    pulumi.export("product_id", golive.product_id)
    pulumi.export("submission_id", golive.submission_id)
