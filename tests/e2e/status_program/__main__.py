"""getOfferStatus from a Python program: through the generated SDK (the plugin's invoke; config `adapter: sdk`) or
the dynamic provider's plain function (`adapter: dynamic`). Exports what it says."""

import pulumi

config = pulumi.Config()
offer_id, api = config.require("offerId"), config.get("api") or "cpp"
if config.get("adapter") == "sdk":
    import pulumi_cpp_golive_sdk as cpp

    found = cpp.get_offer_status(publisher_id="contoso", offer_id=offer_id, api=api)
else:
    from pulumi_cpp_golive import get_offer_status

    found = get_offer_status("contoso", offer_id, api)
pulumi.export("state", found.state)
pulumi.export("operationId", found.operation_id)
