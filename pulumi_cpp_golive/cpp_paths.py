"""CPP's API version and the canonical path of an operation, for whoever needs them without CPP's wire parsing
(:class:`~.record.OperationRecord` rebuilds the path of an operation imported by ID alone)."""

from __future__ import annotations

API_VERSION = "2017-10-31"


def operation_path(publisher_id: str, offer_id: str, operation_id: str) -> str:
    """The canonical tracking path of an operation known only by its ID (adoption from the list, import)."""
    return f"/api/publishers/{publisher_id}/offers/{offer_id}/operations/{operation_id}?api-version={API_VERSION}"
