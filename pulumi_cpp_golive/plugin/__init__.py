"""The multi-language provider plugin behind ``PulumiPlugin.yaml`` (an adapter only: logic is in golive.py).

Served by ``python -m pulumi_cpp_golive`` on ``pulumi.provider.experimental``'s asyncio gRPC server. It adds to
the dynamic provider: partial state (a failed, timed-out or cancelled wait keeps its operation ID in the stack),
Cancel (the first Ctrl-C stops every wait), no 4-call limit (waits run on a large thread pool), per-resource
progress through the engine's log, and ``pulumi import``.
"""
