"""Token issuance (RFC 6749 §5.1): one access token, maybe a refresh token, in a pluggable format and type.

- A :class:`TokenFormat` makes the access token string: ``opaque`` (256
  random bits, the default) or ``jwt`` (RFC 9068, :mod:`.jwt_access_tokens`),
  as the token's audience asks (:class:`~proauth2_wsgi.resources.Audiences`:
  the format and the lifetime of RFC 8707 resources).
- A :class:`TokenType` says how the token is presented and what it is bound
  to: ``DPoP`` (RFC 9449) for access bound to a proof's key, ``Bearer``
  (RFC 6750) otherwise. Types are tried in registration order; the first
  that applies to the access wins, so ``Bearer`` stays last.
- Whatever the format, the access token is stored only by the SHA-256
  digest of its string, so revocation, introspection and validation work
  alike for every format.

:class:`TokenIssuer` returns a typed :class:`IssuedTokens`; its
:meth:`~IssuedTokens.to_response` is the §5.1 JSON body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .errors import InvalidDPoPProof
from .registry import Registry
from .scopes import format_scope
from .tokens import generate_secret, hash_secret

if TYPE_CHECKING:
    from .models import Client
    from .records import Records
    from .resources import Audiences
    from .settings import Settings

#: the client metadata member requiring DPoP-bound access tokens (RFC 9449 §5.2)
DPOP_BOUND = "dpop_bound_access_tokens"

__all__ = [
    "DPOP_BOUND",
    "BearerType",
    "DPoPType",
    "GrantedAccess",
    "IssuedTokens",
    "OpaqueFormat",
    "TokenExtension",
    "TokenFormat",
    "TokenIssuer",
    "TokenType",
]


@dataclass(frozen=True)
class GrantedAccess:
    """What a token is issued for: the client, the user (None for the client itself), scopes, the grant.

    A grant from a sign-in also carries when and how the user authenticated
    and what the client asked to know (OpenID Connect).
    """

    client: Client
    user_id: str | None
    scopes: frozenset[str]
    grant_id: str
    auth_time: int | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    nonce: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    #: the resources the token is for (RFC 8707); empty: no particular audience
    audience: tuple[str, ...] = ()
    #: the thumbprint of the DPoP key the token request proved (RFC 9449 §6); None: a bearer token
    jkt: str | None = None

    def sign_in_claims(self) -> dict[str, Any]:
        """``auth_time``, ``acr`` and ``amr`` as far as the sign-in behind this access says (OIDC Core §2)."""
        claims: dict[str, Any] = {}
        if self.auth_time is not None:
            claims["auth_time"] = self.auth_time
        if self.acr is not None:
            claims["acr"] = self.acr
        if self.amr:
            claims["amr"] = list(self.amr)
        return claims

    @classmethod
    def from_record(
        cls,
        client: Client,
        record: Mapping[str, Any],
        scopes: frozenset[str] | None = None,
        audience: tuple[str, ...] | None = None,
        jkt: str | None = None,
    ) -> GrantedAccess:
        """The access a code or refresh token record grants (``scopes`` and ``audience`` narrow it).

        ``jkt`` is the DPoP key of the token request, what the new access token is bound to.
        """
        return cls(
            client,
            record["user_id"],
            frozenset(record["scopes"]) if scopes is None else scopes,
            record["grant_id"],
            record.get("auth_time"),
            record.get("acr"),
            tuple(record.get("amr") or ()),
            record.get("nonce"),
            record.get("claims") or {},
            tuple(record.get("audience") or ()) if audience is None else audience,
            jkt,
        )


@dataclass(frozen=True)
class IssuedTokens:
    """A token response (RFC 6749 §5.1); the tokens never print."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int
    scopes: frozenset[str]
    refresh_token: str | None = field(default=None, repr=False)
    #: further response members (``id_token``...), from extensions
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def to_response(self) -> dict[str, Any]:
        """The §5.1 JSON body; an empty scope is left out (RFC 6749 §3.3 allows no empty scope string)."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }
        if self.scopes:
            body["scope"] = format_scope(self.scopes)
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body.update(self.extra)
        return body


class TokenFormat:
    """How an access token's string is made: a component of the ``token_formats`` registry."""

    #: the format's name (``opaque``, ``jwt``)
    name: ClassVar[str]

    def create(self, access: GrantedAccess, issued_at: int, expires_at: int) -> str:
        """A new access token for ``access``, valid from ``issued_at`` to ``expires_at``."""
        raise NotImplementedError


class OpaqueFormat(TokenFormat):
    """256 random bits, meaningless outside this server (validated by lookup or introspection)."""

    name = "opaque"

    def create(self, access: GrantedAccess, issued_at: int, expires_at: int) -> str:
        return generate_secret()


class TokenType:
    """How a token is presented, and what it is bound to: a component of the ``token_types`` registry."""

    #: the ``token_type`` of the response (``Bearer``, ``DPoP``)
    name: ClassVar[str]

    def applies(self, access: GrantedAccess) -> bool:
        """True when a token for ``access`` is of this type."""
        raise NotImplementedError


class DPoPType(TokenType):
    """RFC 9449 §5: a token bound to the key of the request's DPoP proof, useless without that key."""

    name = "DPoP"

    def applies(self, access: GrantedAccess) -> bool:
        return access.jkt is not None


class BearerType(TokenType):
    """RFC 6750: whoever holds the token may use it; the type every other token gets."""

    name = "Bearer"

    def applies(self, access: GrantedAccess) -> bool:
        return True


class TokenExtension(Protocol):
    """What adds members to a token response (``id_token``): a component of ``token_extensions``."""

    @property
    def name(self) -> str: ...

    def extend(self, access: GrantedAccess, access_token: str) -> Mapping[str, Any]:
        """The members to add for ``access`` (nothing, when it does not apply)."""
        ...


class TokenIssuer:
    """Stores and returns new tokens; call it inside :meth:`Records.atomic` with what the grant consumed."""

    def __init__(
        self,
        settings: Settings,
        records: Records,
        formats: Registry[TokenFormat],
        types: Registry[TokenType],
        extensions: Registry[TokenExtension],
        audiences: Audiences,
        now: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._records = records
        self._formats = formats
        self._types = types
        self._extensions = extensions
        self._audiences = audiences
        self._now = now

    def issue(
        self,
        access: GrantedAccess,
        *,
        refresh: bool,
        refresh_scopes: frozenset[str] | None = None,
        refresh_audience: tuple[str, ...] | None = None,
    ) -> IssuedTokens:
        """A new access token for ``access`` (and a refresh token when ``refresh``), stored by digest.

        ``refresh_scopes`` and ``refresh_audience`` are what the refresh token
        may grant later (the grant's whole scope and audience when a refresh
        narrowed this access token). The audience decides the token's format
        and lifetime, and whether it must be DPoP-bound. A public client's
        refresh token is bound to the DPoP key too (RFC 9449 §5): only that
        key can use it.
        """
        now = self._now()
        audiences = self._audiences
        audiences.check_scopes(access.audience, access.scopes)
        if access.jkt is None and (
            audiences.requires_dpop(access.audience) or access.client.metadata.get(DPOP_BOUND) is True
        ):
            raise InvalidDPoPProof("a DPoP proof is required for this token (RFC 9449 section 5.2)")
        lifetime = audiences.lifetime(access.audience, self._settings.access_token_lifetime)
        token_type = next(kind for kind in self._types if kind.applies(access))
        access_token = self._formats[audiences.token_format(access.audience)].create(access, now, now + lifetime)
        common = {
            "client_id": access.client.client_id,
            "user_id": access.user_id,
            "grant_id": access.grant_id,
            "issued_at": now,
            "revoked": False,
        }
        self._records.add_access_token(
            {
                **common,
                "token_hash": hash_secret(access_token),
                "scopes": access.scopes,
                "expires_at": now + lifetime,
                "auth_time": access.auth_time,
                "claims": access.claims,
                "audience": list(access.audience),
                "jkt": access.jkt,
            }
        )
        refresh_token = None
        if refresh:
            refresh_token = generate_secret()
            self._records.add_refresh_token(
                {
                    **common,
                    "token_hash": hash_secret(refresh_token),
                    "scopes": access.scopes if refresh_scopes is None else refresh_scopes,
                    "expires_at": now + self._settings.refresh_token_lifetime,
                    "used": False,
                    "auth_time": access.auth_time,
                    "acr": access.acr,
                    "amr": list(access.amr),
                    "claims": access.claims,
                    "audience": list(access.audience if refresh_audience is None else refresh_audience),
                    "jkt": access.jkt if access.client.is_public else None,
                }
            )
        extra: dict[str, Any] = {}
        for extension in self._extensions:
            extra.update(extension.extend(access, access_token))
        return IssuedTokens(access_token, token_type.name, lifetime, access.scopes, refresh_token, extra)
