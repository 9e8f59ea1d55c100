"""Client authentication: the protocol, the built-in methods, and finding what a request presented.

``client_secret_basic``, ``client_secret_post``, ``private_key_jwt``
(RFC 7523, :mod:`.private_key_jwt`) and ``none`` are built in; mTLS
(RFC 8705) would be one more :class:`ClientAuthMethod` registered on a
provider. ``client_secret_jwt`` is not offered: it needs the secret itself
on the server, which keeps only its digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import InvalidRequest
from ..request import EndpointRequest
from .base import ClientAuthContext as ClientAuthContext
from .base import ClientAuthMethod as ClientAuthMethod
from .base import PresentedCredentials as PresentedCredentials
from .none import NoClientAuthentication as NoClientAuthentication
from .private_key_jwt import PrivateKeyJwt as PrivateKeyJwt
from .secret import ClientSecretBasic as ClientSecretBasic
from .secret import ClientSecretPost as ClientSecretPost

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "ClientAuthContext",
    "ClientAuthMethod",
    "ClientSecretBasic",
    "ClientSecretPost",
    "NoClientAuthentication",
    "PresentedCredentials",
    "PrivateKeyJwt",
    "default_methods",
    "presented_credentials",
]


def default_methods(settings: Settings | None = None) -> list[ClientAuthMethod]:
    """The methods a new provider registers: the two secret ones, ``private_key_jwt``, ``none``.

    ``private_key_jwt`` takes its algorithms, assertion lifetime and fetch
    options from ``settings`` (the defaults without).
    """
    if settings is None:
        from ..settings import Settings

        settings = Settings()
    return [ClientSecretBasic(), ClientSecretPost(), PrivateKeyJwt(settings), NoClientAuthentication()]


def presented_credentials(methods: Iterable[ClientAuthMethod], request: EndpointRequest) -> PresentedCredentials:
    """How the request identifies its client (RFC 6749 §2.3): exactly one method's credentials.

    Credentials of two methods at once, or a body ``client_id`` naming
    another client than the credentials do, are ``invalid_request``. With
    none at all the result names no client (and authenticates nobody).
    """
    methods = list(methods)
    found = [presented for method in methods if not method.fallback if (presented := method.detect(request))]
    if len(found) > 1:
        raise InvalidRequest("use one client authentication method, not several at once")
    if not found:
        found = [presented for method in methods if method.fallback if (presented := method.detect(request))]
    if not found:
        return PresentedCredentials(None, "none")
    presented = found[0]
    named = request.params.get("client_id")
    if named is not None and presented.client_id != named:
        raise InvalidRequest("client_id differs from the client the credentials authenticate")
    return presented
