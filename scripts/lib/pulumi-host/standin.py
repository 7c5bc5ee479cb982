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
import sys
from concurrent import futures
from typing import Any

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc


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


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
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
