"""Send one Azure Marketplace offer live, once, and export the go-live operation.

    pulumi config set publisherId contoso
    pulumi config set offerId vm1
    pulumi config set api product-ingestion   # offers created in Partner Center; leave unset for CPP
    pulumi up

Against Azure: `az login` (or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET) and nothing else.
Against the local simulator (scripts/demo does this for you): for CPP,
`pulumi config set cpp-golive:baseUrl http://127.0.0.1:PORT` and `pulumi config set --secret cpp-golive:accessToken
sim-token`; for Product Ingestion, `cpp-golive:productIngestionUrl http://127.0.0.1:PORT/rp/product-ingestion` and
`--secret cpp-golive:productIngestionToken sim-token`.
"""

import pulumi

from pulumi_cpp_golive import OfferGoLive

config = pulumi.Config()

golive = OfferGoLive(
    "offer-golive",
    publisher_id=config.require("publisherId"),
    offer_id=config.require("offerId"),
    api=config.get("api") or "cpp",
    # A new offer version needs a new go-live: changing a trigger replaces the resource, i.e. goes live again.
    triggers=[config.get("offerVersion") or "1"],
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
