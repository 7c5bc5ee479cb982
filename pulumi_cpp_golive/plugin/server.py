"""The plugin's gRPC entry point: ``python -m pulumi_cpp_golive <engine-address>``.

``pulumi.provider.experimental.server`` turns every exception into a plain error, which makes the engine
forget a resource whose create failed. Go-live needs the engine's "resource init failed" path instead (the
operation ID must land in state), so this servicer answers a :class:`ResourceInitError` with the
``pulumirpc.ErrorResourceInitFailed`` status detail, and CPP errors with their own one-line message.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from typing import Any, NoReturn, Optional

import grpc
import grpc.aio
from google.protobuf import any_pb2
from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import ProviderServicer

# Pulumi ships its own google.rpc.Status; importing googleapis' copy too would clash in the descriptor pool.
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, status_pb2

from .. import __version__
from ..console import progress_line
from ..errors import OfferGoLiveError
from .provider import PluginProvider, ResourceInitError


class EngineLog:
    """Progress lines to the engine's Log RPC, attached to a resource URN. Safe to call from any thread."""

    def __init__(self, engine_address: Optional[str]) -> None:
        self._lock = threading.Lock()
        self._stub: Any = None
        if engine_address:
            self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(engine_address))

    def __call__(self, urn: str, message: str) -> None:
        self._send(engine_pb2.INFO, urn, message)

    def passing(self, urn: str, message: str) -> None:
        """A line shown on the resource's row while it is news, and not repeated in the Diagnostics summary."""
        self._send(engine_pb2.INFO, urn, message, ephemeral=True)

    def warning(self, urn: str, message: str) -> None:
        """A line the engine prints as a warning (and counts in its summary)."""
        self._send(engine_pb2.WARNING, urn, message)

    def _send(self, severity: Any, urn: str, message: str, *, ephemeral: bool = False) -> None:
        if self._stub is None:
            progress_line(message)
            return
        try:
            self._stub.Log(engine_pb2.LogRequest(severity=severity, message=message, urn=urn, ephemeral=ephemeral),
                           timeout=10)
        except grpc.RpcError:
            progress_line(message)  # the engine is going away


async def _abort_init_failed(context: grpc.aio.ServicerContext, error: ResourceInitError) -> NoReturn:
    detail = provider_pb2.ErrorResourceInitFailed(
        id=error.resource_id,
        properties=PropertyValue.marshal_map(error.properties),
        reasons=[error.message],
    )
    packed = any_pb2.Any()
    packed.Pack(detail)
    status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=error.message, details=[packed])
    await context.abort(grpc.StatusCode.UNKNOWN, error.message,
                        trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),))
    raise AssertionError("unreachable")  # context.abort raises


class GoLiveServicer(ProviderServicer):
    """ProviderServicer whose Create/Update can fail *with* state, and whose errors read as one line."""

    async def Create(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # the gRPC method name
        try:
            response = await self._provider.create(api.CreateRequest(
                request.urn, PropertyValue.unmarshal_map(request.properties), request.timeout, request.preview))
        except ResourceInitError as error:
            await _abort_init_failed(context, error)
        except OfferGoLiveError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        return provider_pb2.CreateResponse(id=response.resource_id or "",
                                           properties=PropertyValue.marshal_map(response.properties))

    async def Update(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # the gRPC method name
        try:
            response = await self._provider.update(api.UpdateRequest(
                request.urn, request.id, PropertyValue.unmarshal_map(request.olds),
                PropertyValue.unmarshal_map(request.news), timeout=request.timeout,
                ignore_changes=request.ignoreChanges, preview=request.preview))
        except ResourceInitError as error:
            await _abort_init_failed(context, error)
        except OfferGoLiveError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        return provider_pb2.UpdateResponse(properties=PropertyValue.marshal_map(response.properties))

    async def Configure(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # the gRPC method name
        # As the base class's, but a bad setting from the environment (stack config is checked in CheckConfig)
        # reads as its one-line message: the base class appends a Python traceback to every error.
        try:
            response = await self._provider.configure(api.ConfigureRequest(
                dict(request.variables), PropertyValue.unmarshal_map(request.args), request.acceptSecrets,
                request.acceptResources))
        except OfferGoLiveError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return provider_pb2.ConfigureResponse(
            acceptSecrets=response.accept_secrets, acceptResources=response.accept_resources,
            acceptOutputs=response.accept_outputs, supportsPreview=response.supports_preview)

    async def Invoke(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # the gRPC method name
        # As the base class's, but our errors (an API's refusal, a missing token) read as their one line.
        try:
            response = await self._provider.invoke(api.InvokeRequest(request.tok,
                                                                     PropertyValue.unmarshal_map(request.args)))
        except OfferGoLiveError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        answer: dict[str, Any] = {"return": PropertyValue.marshal_map(response.return_value)
                                  if response.return_value else None}
        if response.failures:
            answer["failures"] = [provider_pb2.CheckFailure(property=f.property, reason=f.reason)
                                  for f in response.failures]
        return provider_pb2.InvokeResponse(**answer)

    async def Read(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # the gRPC method name
        try:
            return await super().Read(request, context)
        except OfferGoLiveError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))


def main(argv: Optional[list[str]] = None) -> None:
    """Serve the provider; print the port first (the engine reads it), nothing else on stdout."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="cpp-golive Pulumi provider plugin")
    parser.add_argument("engine", nargs="?", help="engine address (given by the engine)")
    parser.add_argument("--logflow", action="store_true")
    parser.add_argument("--logtostderr", action="store_true")
    parser.add_argument("--tracing", default=None)
    parser.add_argument("-v", default=None)
    known, _ = parser.parse_known_args(args)

    async def serve() -> None:
        server = grpc.aio.server()
        log = EngineLog(known.engine)
        provider = PluginProvider(log=log, warn=log.warning, passing=log.passing)
        servicer = GoLiveServicer(args, __version__, provider, engine_address=known.engine or "")
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
