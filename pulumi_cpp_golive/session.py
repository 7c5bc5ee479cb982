"""What both adapters hold between Pulumi's calls: the provider settings, and a ready :class:`GoLiveMachine` per call.

Settings come from ``Configure`` (the stack's ``cpp-golive:*`` config, see :mod:`~.setting_table`), else from the
environment alone: a dynamic provider may be unpickled and called without ``configure`` (e.g. by
``pulumi destroy`` from an old state), and the plugin is called directly in tests.

Clients are built lazily inside the provider process and are never stored on anything Pulumi serialises, so no
token or client can end up in state. The credential is shared per settings (one token cache per process); the
HTTP client is per thread because a ``requests`` session is not meant to be shared between threads.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Mapping, Optional

from .redaction import redact
from .resource import API_CPP, API_PRODUCT_INGESTION, GO_LIVE, Declaration
from .settings import Settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from .golive import GoLiveMachine, Reporter
    from .inputs import GoLiveSpec
    from .offer_api import OfferApi
    from .offer_status import OfferStatus

_LOCK = threading.Lock()
_CREDENTIALS: dict[tuple[Settings, str], TokenCredential] = {}
_LOCAL = threading.local()

# What deleting a resource does, as both adapters tell the user: neither API has a call that takes an offer off
# the marketplace again, or a preview back.
FORGET_MESSAGES = {
    "OfferGoLive": "removed from the stack only; the offer stays live (neither API has an 'undo go-live')",
    "OfferPublish": "removed from the stack only; the preview stays published (neither API can unpublish)",
}
FORGET_MESSAGE = FORGET_MESSAGES["OfferGoLive"]


class ProviderSession:
    """The settings of one configured provider and the go-lives it runs.

    :param settings: already resolved settings (tests); otherwise :meth:`configure` or the environment.
    """

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self._settings = settings

    def configure(self, config: Mapping[str, Any]) -> None:
        """Resolve the settings from the stack config by bare key (e.g. ``baseUrl``), then the environment."""
        self._settings = Settings.resolve(config, os.environ)

    @property
    def settings(self) -> Settings:
        """The configured settings; without ``configure``, those of the environment."""
        if self._settings is None:
            self._settings = Settings.resolve({}, os.environ)
        return self._settings

    def golive(self, api: str = API_CPP, report: Optional[Reporter] = None,
               progress: Optional[Reporter] = None, warn: Optional[Reporter] = None, *,
               kind: Declaration = GO_LIVE) -> GoLiveMachine:
        """The machine for ``kind``'s operation (the go-live, or ``resource.PUBLISH``'s publish) on ``api``
        (``cpp`` or ``product-ingestion``) for this thread; build it on the thread that runs it. ``progress`` gets
        the passing lines (step changes), ``warn`` warnings, ``report`` the other lasting ones."""
        return golive(self.settings, api, report, progress, warn, kind=kind)

    def offer_status(self, spec: GoLiveSpec) -> OfferStatus:
        """Where the offer of ``spec`` stands on ``spec.api`` (GETs only); build it on the thread that runs it."""
        from .offer_status import offer_status  # loads the API's client: only when a status is asked for

        return offer_status(offer_api(self.settings, spec.api), spec)


def credential(settings: Settings, api: str) -> TokenCredential:
    """One credential per settings and API (each API has its own token audience), shared by every thread."""
    # Imported on the first request: azure-core is slow to load, and Check and Diff never need a credential.
    from . import auth

    with _LOCK:
        found = _CREDENTIALS.get((settings, api))
        if found is None:
            token = settings.pi_access_token if api == API_PRODUCT_INGESTION else settings.access_token
            found = _CREDENTIALS[(settings, api)] = auth.credential_for(token)
        return found


def offer_api(settings: Settings, api: str, kind: Declaration = GO_LIVE) -> OfferApi:
    """This thread's client for ``api``, behind the machine's questions about ``kind``'s operation."""
    apis: Optional[dict[tuple[Settings, str, str], OfferApi]] = getattr(_LOCAL, "apis", None)
    if apis is None:
        apis = _LOCAL.apis = {}
    found = apis.get((settings, api, kind.name))
    if found is None:
        made: OfferApi
        publish = kind is not GO_LIVE
        # The clients pull in requests and azure-core; imported on the first request, not when Check or Diff run.
        if api == API_PRODUCT_INGESTION:
            from .pi_api import PiOfferApi
            from .pi_client import PiClient
            from .pi_publish_api import PiPublishApi

            pi = PiClient(settings.pi_base_url, credential(settings, api), version=settings.pi_version,
                          request_timeout=settings.request_timeout)
            made = PiPublishApi(pi) if publish else PiOfferApi(pi)
        else:
            from .cpp_api import CppOfferApi
            from .cpp_client import CppClient
            from .cpp_publish_api import CppPublishApi

            cpp = CppClient(settings.base_url, credential(settings, api), request_timeout=settings.request_timeout)
            made = CppPublishApi(cpp) if publish else CppOfferApi(cpp)
        found = apis[(settings, api, kind.name)] = made
    return found


def golive(settings: Settings, api: str = API_CPP, report: Optional[Reporter] = None,
           progress: Optional[Reporter] = None, warn: Optional[Reporter] = None, *,
           kind: Declaration = GO_LIVE) -> GoLiveMachine:
    """The machine for ``kind``'s operation, for ``settings`` on ``api``, using this thread's client. Every progress
    line it reports is redacted (a line may quote a server's answer, and a server may echo the token)."""
    # Only a create, update or read runs the machine; Check and Diff are answered without loading it.
    from .golive import GoLiveMachine

    sink = report or logging.getLogger("pulumi_cpp_golive").info
    passing, warning = progress or sink, warn or sink
    return GoLiveMachine(offer_api(settings, api, kind), default_poll_interval=settings.poll_interval,
                         report=lambda line: sink(redact(line)), progress=lambda line: passing(redact(line)),
                         warn=lambda line: warning(redact(line)), adopt_window=settings.adopt_timeout)
