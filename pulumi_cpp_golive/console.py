"""Progress lines on stderr, each written whole.

The engine shows a provider's stderr as diagnostics. ``print`` writes a line and its newline in two calls, so lines
from concurrent waits (a dynamic provider process serves several resources on threads) ran together
(``…d32cpp-golive: contoso/py1…``). One ``write`` of the complete line, under a lock, keeps each line whole.
"""

from __future__ import annotations

import sys
import threading

_LOCK = threading.Lock()


def progress_line(message: str) -> None:
    """Write ``cpp-golive: <message>`` and a newline to stderr as one piece, flushed."""
    text = f"cpp-golive: {message.rstrip(chr(10))}\n"
    with _LOCK:
        sys.stderr.write(text)
        sys.stderr.flush()
