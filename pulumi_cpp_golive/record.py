"""What is known of one operation, whichever API runs it: :class:`OperationRecord`, the one shape both adapters
record in state and rebuild from it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit

from .cpp_paths import operation_path
from .resource import OUTPUT_NAMES
from .status import RUNNING, TERMINAL


@dataclasses.dataclass
class OperationRecord:
    """What is known of a go-live operation: enough to resume waiting on it from another process."""

    publisher_id: str
    offer_id: str
    operation_id: str
    operation_location: str
    status: str
    accepted_at: Optional[str]
    completed_at: Optional[str] = None
    messages: tuple[str, ...] = ()
    product_id: str = ""  # Product Ingestion only: ``product/<guid>``
    submission_id: str = ""  # Product Ingestion only: ``submission/<guid>/<n>``, the submission sent live

    @classmethod
    def from_state(cls, resource_id: str, state: Mapping[str, Any]) -> OperationRecord:
        """Rebuild the record from a resource's recorded outputs (snake_case), or from its ID alone (import)."""
        publisher_id, offer_id, operation_id = [*resource_id.split("/", 2), "", "", ""][:3]
        publisher_id = str(state.get("publisher_id") or publisher_id)
        offer_id = str(state.get("offer_id") or offer_id)
        operation_id = str(state.get("operation_id") or operation_id)
        recorded = state.get("operation_location")
        # A location recorded before query stripping existed may still carry a signature: strip it on load too.
        location = path_and_query(str(recorded)) if recorded else operation_path(publisher_id, offer_id, operation_id)
        return cls(
            publisher_id=publisher_id,
            offer_id=offer_id,
            operation_id=operation_id,
            operation_location=str(location),
            status=str(state.get("status") or RUNNING),
            accepted_at=state.get("accepted_at"),
            completed_at=state.get("completed_at"),
            product_id=str(state.get("product_id") or ""),
            submission_id=str(state.get("submission_id") or ""),
        )

    @property
    def resource_id(self) -> str:
        """The Pulumi resource ID: ``{publisher_id}/{offer_id}/{operation_id}``."""
        return f"{self.publisher_id}/{self.offer_id}/{self.operation_id}"

    @property
    def api(self) -> str:
        """The API the operation runs on: only Product Ingestion operations have a product ID. Resuming and
        refreshing follow the operation's own API, whatever the resource's ``api`` input says now."""
        return "product-ingestion" if self.product_id else "cpp"

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def outputs(self) -> dict[str, Optional[str]]:
        """The resource outputs, as both adapters record them (snake_case): one attribute per declared output."""
        return {name: getattr(self, name) for name in OUTPUT_NAMES}


def path_and_query(url: str) -> str:
    """The host-free form of a tracking URL, as recorded in state and outputs: its path and API version only
    (CPP's ``api-version``, Product Ingestion's ``$version``).

    Host-free so that a stack survives a base URL change. Every other query parameter is dropped: a tracking URL
    may carry a signature or token (``sig=``, ``token=``) that must not land in outputs or state, and polling
    needs only the path, the API version and the bearer token.
    """
    parts = urlsplit(url)
    versions = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
                if key in ("api-version", "$version")]
    return f"{parts.path}?{urlencode(versions[:1], safe='$')}" if versions else parts.path
