"""The grant protocol (RFC 6749 §4, §6): one class per ``grant_type``, registered on a provider.

A grant names itself, declares the token-request parameters it reads (and
which of them may repeat), what clients using it must register, and
exchanges a :class:`TokenRequest` for :class:`~proauth2_wsgi.issuance.IssuedTokens`
through a narrow :class:`GrantContext`, never the provider itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import InvalidGrant, InvalidRequest
from ..tokens import looks_like_token

if TYPE_CHECKING:
    from ..issuance import IssuedTokens, TokenIssuer
    from ..models import Client
    from ..records import Records
    from ..request import EndpointRequest, Parameters
    from ..resources import Audiences
    from ..settings import Settings

__all__ = ["Grant", "GrantContext", "TokenRequest", "presented_secret"]


@dataclass(frozen=True)
class TokenRequest:
    """An authenticated token request: its grant type, its client, its parameters, the HTTP request.

    ``http`` is None when the request comes from Python
    (:meth:`~proauth2_wsgi.Proauth2.request_access_token`) rather than HTTP.
    ``dpop_jkt`` is the thumbprint of the key its verified DPoP proof was
    signed with (RFC 9449 §5), None without a proof.
    """

    grant_type: str
    client: Client
    params: Parameters
    http: EndpointRequest | None = None
    dpop_jkt: str | None = None


@dataclass(frozen=True)
class GrantContext:
    """What a grant may use: the settings, the records, the token issuer, the clock, the audiences (RFC 8707)."""

    settings: Settings
    records: Records
    issuer: TokenIssuer
    now: Callable[[], int]
    audiences: Audiences


def presented_secret(request: TokenRequest, name: str, invalid: str) -> str:
    """The one-time secret parameter ``name`` (a code, a refresh token), well-formed.

    Missing is ``invalid_request``; not of a shape this server issues is
    ``invalid_grant`` with the ``invalid`` description (RFC 6749 §5.2).
    """
    value = request.params.get(name)
    if value is None:
        raise InvalidRequest(f"{name} is required")
    if not looks_like_token(value):
        raise InvalidGrant(invalid)
    return value


class Grant:
    """Base of grants: subclass, name it, declare its parameters, implement :meth:`exchange`."""

    #: the ``grant_type`` value (RFC 6749 §4.1.3, or an absolute URI for extension grants, §4.5)
    name: ClassVar[str]
    #: token-request parameters the grant reads (for documentation and repeat rules)
    parameters: ClassVar[tuple[str, ...]] = ()
    #: of those, the ones that may appear more than once
    repeatable: ClassVar[frozenset[str]] = frozenset()
    #: may public clients (``none``) use it?
    public_clients: ClassVar[bool] = True
    #: must clients using it register redirect URIs?
    needs_redirect_uris: ClassVar[bool] = False
    #: does it issue refresh tokens (so that ``refresh_token`` may be registered with it)?
    issues_refresh_tokens: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def exchange(self, context: GrantContext, request: TokenRequest) -> IssuedTokens:
        """Issue tokens for an authenticated request, or raise a :class:`~proauth2_wsgi.errors.Proauth2Error`."""
        raise NotImplementedError

    def metadata(self) -> Mapping[str, Any]:
        """What the grant adds to the server metadata (RFC 8414 §2) besides its name; nothing by default."""
        return {}
