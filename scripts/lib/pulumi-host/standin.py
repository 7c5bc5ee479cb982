"""A stand-in ``pulumi-language-python`` for machines where Pulumi's Go language host cannot be built.

The engine starts a language host, reads its port from the first stdout line, and calls ``Run`` with the
monitor and engine addresses; the host runs the program, which registers resources with the engine. The Python
SDK already ships that server for inline Automation API programs (``pulumi.automation._server.LanguageServer``);
this file only points it at the project's program on disk. It runs the program in its own interpreter (the
checkout's ``.venv``, or ``PULUMI_PYTHON_CMD``) rather than a per-project virtualenv, and installs nothing.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import tomllib
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc


class ProgramHost(LanguageServer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(program=None)

    def Run(self, request: Any, context: Any) -> Any:  # the gRPC method name
        program_dir = request.info.program_directory or request.pwd
        entry = os.path.join(program_dir, request.info.entry_point or ".")
        if request.pwd:
            os.chdir(request.pwd)
        sys.path.insert(0, program_dir)
        self.program = lambda: runpy.run_path(entry, run_name="__main__")
        return super().Run(request, context)

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:  # the gRPC method name
        # Nothing to install: programs and plugins run in this interpreter, set up by scripts/lib/venv.sh.
        yield language_pb2.InstallDependenciesResponse(stdout=b"")

    def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:  # the gRPC method name
        """Run a PulumiPlugin.yaml plugin as Pulumi's host does: ``<dir>/__main__.py`` if present, else
        ``python -m pulumi.run.plugin <pyproject name>``; stream its output back to the engine."""
        plugin_dir = request.info.program_directory or request.pwd
        main = os.path.join(plugin_dir, "__main__.py")
        if os.path.exists(main):
            command = [sys.executable, "-u", main]
        else:
            with open(os.path.join(plugin_dir, "pyproject.toml"), "rb") as handle:
                name = tomllib.load(handle)["project"]["name"]
            command = [sys.executable, "-u", "-m", "pulumi.run.plugin", name]
        env = dict(os.environ)
        env.update(item.split("=", 1) for item in request.env if "=" in item)
        process = subprocess.Popen(  # noqa: S603 - the plugin command the engine asked for
            [*command, *request.args], cwd=request.pwd or plugin_dir, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        chunks: list[Any] = []
        ready = threading.Condition()

        def pump(stream: Any, field: str) -> None:
            for data in iter(lambda: stream.read1(65536), b""):
                with ready:
                    chunks.append(language_pb2.RunPluginResponse(**{field: data}))
                    ready.notify()
            with ready:
                chunks.append(None)
                ready.notify()

        for stream, field in ((process.stdout, "stdout"), (process.stderr, "stderr")):
            threading.Thread(target=pump, args=(stream, field), daemon=True).start()
        open_streams = 2
        context.add_callback(process.kill)  # the engine hung up: the plugin goes too
        while open_streams:
            with ready:
                while not chunks:
                    ready.wait()
                item = chunks.pop(0)
            if item is None:
                open_streams -= 1
            else:
                yield item
        yield language_pb2.RunPluginResponse(exitcode=process.wait())


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProgramHost(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    # The engine ends plugins with SIGTERM/SIGINT when it is done: stop quietly.
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
