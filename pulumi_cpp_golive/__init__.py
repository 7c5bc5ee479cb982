"""Drive the Azure Marketplace Cloud Partner Portal "Go Live" step from Pulumi.

Public names: :class:`OfferGoLive` (the resource), :class:`OfferGoLiveProvider` (its dynamic provider) and the
errors below. The go-live logic itself is in :mod:`pulumi_cpp_golive.golive`.
"""

__version__ = "0.1.0"

from .errors import (
    AmbiguousGoLiveError,
    ApiError,
    ConfigurationError,
    GoLiveCancelledError,
    GoLiveError,
    GoLiveFailedError,
    GoLiveTimeoutError,
    OfferGoLiveError,
    OfferNotReadyError,
    UnusableAnswerError,
)


def __getattr__(name: str) -> object:
    # The Pulumi resource classes import pulumi (slow, and not needed by the simulator or the client): load lazily.
    if name in ("OfferGoLive", "OfferGoLiveProvider"):
        from . import dynamic

        return getattr(dynamic, name)
    raise AttributeError(name)


__all__ = [
    "AmbiguousGoLiveError",
    "ApiError",
    "ConfigurationError",
    "GoLiveCancelledError",
    "GoLiveError",
    "GoLiveFailedError",
    "GoLiveTimeoutError",
    "OfferGoLive",
    "OfferGoLiveError",
    "OfferGoLiveProvider",
    "OfferNotReadyError",
    "UnusableAnswerError",
]
