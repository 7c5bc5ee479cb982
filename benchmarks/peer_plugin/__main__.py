"""``benchpeer``: a provider plugin whose one resource, ``benchpeer:index:Nothing``, does nothing.

It is served by the same Pulumi Python provider server as the cpp-golive plugin, so a no-change ``pulumi up`` of N
of these costs what the engine and that server cost, and the benchmarks can hold ours against it.
"""

from __future__ import annotations

import sys

from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import main

INPUTS = ("publisherId", "offerId", "triggers")


class NothingProvider(api.Provider):
    """Create records the inputs and a fixed status; diff compares the inputs only, as the cpp-golive plugin does."""

    async def create(self, request: api.CreateRequest) -> api.CreateResponse:
        props = dict(request.properties)
        props["status"] = PropertyValue("succeeded")
        return api.CreateResponse(resource_id=f"{request.name}/noop", properties=props)

    async def diff(self, request: api.DiffRequest) -> api.DiffResponse:
        changed = [name for name in INPUTS if request.old_state.get(name) != request.new_inputs.get(name)]
        return api.DiffResponse(changes=bool(changed), replaces=changed)

    async def delete(self, request: api.DeleteRequest) -> None:
        return None


if __name__ == "__main__":
    main(sys.argv[1:], "0.0.1", NothingProvider())
