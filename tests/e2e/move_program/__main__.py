"""One go-live declared through the dynamic provider, or (config `provider: plugin`) the same go-live through the
plugin's SDK: the README's way of moving a stack from one to the other."""

import pulumi

config = pulumi.Config()
inputs = dict(publisher_id="contoso", offer_id="vm1", api=config.get("api") or "cpp", triggers=["v1"],
              wait="completed")
if config.get("provider") == "plugin":
    import pulumi_cpp_golive_sdk as cpp

    golive = cpp.OfferGoLive("golive", **inputs)
else:
    from pulumi_cpp_golive import OfferGoLive

    golive = OfferGoLive("golive", **inputs)
pulumi.export("operation_id", golive.operation_id)
pulumi.export("status", golive.status)
pulumi.export("submission_id", golive.submission_id)
