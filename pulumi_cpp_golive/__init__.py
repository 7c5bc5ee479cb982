"""Send an Azure Marketplace offer live from Pulumi, on the Cloud Partner Portal API or the Product Ingestion API.

Public names: :class:`OfferPublish` (publish to preview) and :class:`OfferGoLive` (go live), the resources;
:class:`OfferPublishProvider` and :class:`OfferGoLiveProvider`, their dynamic providers; :func:`get_offer_status`
(where an offer stands, read-only); and the
errors of :mod:`pulumi_cpp_golive.errors` (their tree is drawn there). The go-live logic itself is in
:mod:`pulumi_cpp_golive.golive`.
"""

__version__ = "0.1.0"

from . import errors
from .errors import *  # noqa: F403  (the error tree is public here as it is in errors.__all__)

# The Pulumi resource classes import pulumi (slow, and not needed by the simulator or the client): loaded lazily.
_LAZY = ("OfferGoLive", "OfferGoLiveProvider", "OfferPublish", "OfferPublishProvider", "get_offer_status")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from . import dynamic

        return getattr(dynamic, name)
    raise AttributeError(name)


__all__ = [*errors.__all__, *_LAZY]
