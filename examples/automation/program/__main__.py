"""One offer of a fleet: the Pulumi program each stack of ``examples/automation/fleet.py`` runs.

One ``OfferGoLive`` (the dynamic provider) for the offer the stack's config names. fleet.py sets the config
(``publisherId``, ``offerId``, ``api``, ``offerVersion`` and the ``cpp-golive:*`` settings it was given) and writes
the project file that points here; the program needs nothing else.
"""

import pulumi

from pulumi_cpp_golive import OfferGoLive

config = pulumi.Config()
golive = OfferGoLive(
    "golive",
    publisher_id=config.require("publisherId"),
    offer_id=config.require("offerId"),
    api=config.get("api") or "cpp",
    # A new offer version is a new go-live: changing the trigger replaces the resource.
    triggers=[config.get("offerVersion") or "1"],
)
pulumi.export("operation_id", golive.operation_id)
pulumi.export("status", golive.status)
pulumi.export("completed_at", golive.completed_at)
