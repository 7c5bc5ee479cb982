"""getOfferStatus from a Python program, for each offer named in config `offers`: through the generated SDK (the
plugin's invoke; config `adapter: sdk`) or the dynamic provider's plain function (`adapter: dynamic`). Exports
`states`: offer -> state."""

import pulumi

config = pulumi.Config()
api = config.get("api") or "cpp"
offers = config.require("offers").split(",")
if config.get("adapter") == "sdk":
    import pulumi_cpp_golive_sdk as cpp

    states = {offer: cpp.get_offer_status(publisher_id="contoso", offer_id=offer, api=api).state for offer in offers}
else:
    from pulumi_cpp_golive import get_offer_status

    states = {offer: get_offer_status("contoso", offer, api).state for offer in offers}
pulumi.export("states", states)
