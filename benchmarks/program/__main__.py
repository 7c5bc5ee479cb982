"""The benchmarks' Pulumi program: ``count`` resources for offers vm0 .. vm{count-1} (0 is an empty stack).

``provider`` (stack config) picks the resource:

* ``dynamic``: OfferGoLive through the dynamic provider (the default);
* ``plugin``: OfferGoLive through the plugin's generated Python SDK;
* ``peer-dynamic``: a dynamic resource with the same inputs and outputs whose provider does nothing;
* ``peer-plugin``: the same do-nothing resource served by ``benchmarks/peer_plugin`` (a Python provider plugin
  like ours), the peer the plugin's no-change overhead is measured against.
"""

from typing import Any, Optional

import pulumi
import pulumi.dynamic as dyn

INPUTS = ("publisher_id", "offer_id", "triggers")
OUTPUTS = ("operation_id", "operation_location", "status", "accepted_at", "completed_at")
CAMEL_OUTPUTS = ("operationId", "operationLocation", "status", "acceptedAt", "completedAt")


class NothingProvider(dyn.ResourceProvider):
    """Records its inputs and a fixed status; no request, no wait. Its diff looks only at the inputs, as ours."""

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        return dyn.CreateResult(f"{props['publisher_id']}/{props['offer_id']}/noop", {**props, "status": "succeeded"})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = [name for name in INPUTS if olds.get(name) != news.get(name)]
        return dyn.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)


class DynamicNothing(dyn.Resource):
    """The do-nothing dynamic peer: the same property bag as OfferGoLive."""

    status: pulumi.Output[str]

    def __init__(self, name: str, publisher_id: str, offer_id: str, triggers: list[str]) -> None:
        props = {"publisher_id": publisher_id, "offer_id": offer_id, "triggers": triggers,
                 **{output: None for output in OUTPUTS}}
        super().__init__(NothingProvider(), name, props)


class PluginNothing(pulumi.CustomResource):
    """The do-nothing plugin peer (``benchpeer:index:Nothing``); its provider is ``benchmarks/peer_plugin``."""

    status: pulumi.Output[str]

    def __init__(self, name: str, publisher_id: str, offer_id: str, triggers: list[str],
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        props = {"publisherId": publisher_id, "offerId": offer_id, "triggers": triggers,
                 **{output: None for output in CAMEL_OUTPUTS}}
        super().__init__("benchpeer:index:Nothing", name, props, opts)


config = pulumi.Config()
count = config.get_int("count") or 0
kind = config.get("provider") or "dynamic"

resource_class: Any
if kind == "plugin":
    import pulumi_cpp_golive_sdk as sdk

    resource_class = sdk.OfferGoLive
elif kind == "dynamic":
    from pulumi_cpp_golive import OfferGoLive

    resource_class = OfferGoLive
elif kind == "peer-dynamic":
    resource_class = DynamicNothing
elif kind == "peer-plugin":
    resource_class = PluginNothing
else:
    raise ValueError(f"provider must be dynamic, plugin, peer-dynamic or peer-plugin, got {kind!r}")

for index in range(count):
    resource = resource_class(f"golive-{index}", publisher_id="contoso", offer_id=f"vm{index}", triggers=["v1"])
    pulumi.export(f"status_{index}", resource.status)
