"""``python -m pulumi_cpp_golive``: serve the cpp-golive provider plugin (the engine starts it)."""

from .plugin.server import main

main()
