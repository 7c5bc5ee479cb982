"""The benchmarks' Pulumi program: ``count`` OfferGoLive resources (offers vm0 .. vm{count-1}; 0 is an empty
stack), through the dynamic provider or, with ``provider: plugin``, the plugin's generated Python SDK."""

import pulumi

config = pulumi.Config()
count = config.get_int("count") or 0
use_plugin = config.get("provider") == "plugin"

if use_plugin:
    import pulumi_cpp_golive_sdk as sdk

    resource_class = sdk.OfferGoLive
else:
    from pulumi_cpp_golive import OfferGoLive

    resource_class = OfferGoLive

for index in range(count):
    golive = resource_class(f"golive-{index}", publisher_id="contoso", offer_id=f"vm{index}", triggers=["v1"])
    pulumi.export(f"status_{index}", golive.status)
