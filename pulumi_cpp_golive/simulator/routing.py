"""Map request paths onto the CPP routes the simulator serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional
from urllib.parse import unquote

# Routes whose last path word names them; the method each answers.
_OFFER_ACTIONS = {"publish": "POST", "golive": "POST", "cancel": "POST", "status": "GET", "submissions": "GET"}


@dataclass(frozen=True)
class Route:
    """A recognised API route. ``name`` is also the counting key (``"POST /golive"``)."""

    name: str
    method: str
    publisher: Optional[str] = None
    offer: Optional[str] = None
    operation_id: Optional[str] = None


def path_segments(path: str) -> List[str]:
    """Split a raw path and percent-decode each segment (so ``%24`` becomes ``$`` but ``%2F`` cannot add a level)."""
    segments = [unquote(segment) for segment in path.split("/")[1:]]
    # One trailing slash is allowed everywhere; the docs spell the list route as ``submissions/``.
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()
    return segments


def parse_api_path(path: str) -> Optional[Route]:
    """The CPP route for a raw ``/api/...`` path, or None if there is none."""
    segments = path_segments(path)
    if segments[:1] != ["api"]:
        return None
    rest = segments[1:]
    if len(rest) == 2 and rest[0] == "operations" and rest[1]:
        # Non-migrated offers: /api/operations/{publisher}${offer}${version}$preview
        return Route("operations", "GET", operation_id=rest[1])
    if len(rest) < 4 or rest[0] != "publishers" or rest[2] != "offers" or not rest[1] or not rest[3]:
        return None
    publisher, offer, tail = rest[1], rest[3], rest[4:]
    if not tail:
        return Route("offer", "GET", publisher, offer)
    if len(tail) == 1 and tail[0] in _OFFER_ACTIONS:
        return Route(tail[0], _OFFER_ACTIONS[tail[0]], publisher, offer)
    if len(tail) == 2 and tail[0] == "operations" and tail[1]:
        return Route("operations", "GET", publisher, offer, tail[1])
    return None
