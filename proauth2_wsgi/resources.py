"""Resource indicators (RFC 8707): the protected resources this server issues tokens for, and audiences.

A :class:`Resource` is an API the server knows: its identifier (an absolute
https URI, the ``aud`` of its tokens), the scopes it accepts, the format of
its access tokens (``opaque``, or ``jwt``: RFC 9068) and, optionally, their
lifetime. They come from ``Settings.resources`` into the provider's
``resources`` registry.

:class:`Audiences` applies RFC 8707 to one request: ``resource`` (repeatable)
at the authorization request and at the token request (code, refresh,
client credentials). An unknown, malformed or not-allowed resource is
``invalid_target``; the audience granted is stored with the code, the
refresh token and the access token; a token request may narrow the
audience of its grant, never widen it. A request naming no resource gets
what it got before: a token with no audience, in the opaque format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidScope, InvalidTarget
from .scopes import parse_scope
from .uris import validate_resource

if TYPE_CHECKING:
    from .models import Client
    from .registry import Registry

__all__ = [
    "CLIENT_RESOURCES",
    "DEFAULT_JWT_LIFETIME",
    "TOKEN_FORMATS",
    "Audiences",
    "Resource",
    "parse_resources",
]

#: the access-token formats a resource may ask for
TOKEN_FORMATS = ("opaque", "jwt")
#: seconds a JWT access token lives unless its resource says otherwise: short, since a resource
#: server validating it offline honours a revocation only at its expiry
DEFAULT_JWT_LIFETIME = 300
#: the client metadata member limiting a client to some resources
CLIENT_RESOURCES = "resources"
#: most resources one request may name
MAX_RESOURCES = 10


@dataclass(frozen=True)
class Resource:
    """A protected resource (RFC 8707): an API identified by an absolute URI, with what it accepts.

    ``scopes`` empty means every scope the server offers. ``access_token_lifetime``
    (seconds) defaults to the server's for opaque tokens and to
    :data:`DEFAULT_JWT_LIFETIME` for JWT ones.
    """

    identifier: str
    scopes: frozenset[str] = frozenset()
    token_format: str = "opaque"  # noqa: S105 - a format's name
    access_token_lifetime: int | None = None
    #: the JWS algorithm of its JWT access tokens (RFC 9068 §4 requires RS256 support)
    signing_alg: str = "RS256"
    #: its tokens must be DPoP-bound (RFC 9449 §5.2, RFC 9728 ``dpop_bound_access_tokens_required``)
    dpop_bound_access_tokens: bool = False

    def __post_init__(self) -> None:
        try:
            validate_resource(self.identifier)
        except ValueError as exc:
            raise ValueError(f"resource {self.identifier!r}: {exc}") from None
        try:
            object.__setattr__(self, "scopes", parse_scope(self.scopes))
        except InvalidScope:
            raise ValueError(f"resource {self.identifier}: malformed scopes {self.scopes!r}") from None
        if self.token_format not in TOKEN_FORMATS:
            raise ValueError(f"resource {self.identifier}: token_format is one of {', '.join(TOKEN_FORMATS)}")
        lifetime = self.access_token_lifetime
        if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0):
            raise ValueError(f"resource {self.identifier}: access_token_lifetime is a positive number of seconds")
        if not isinstance(self.dpop_bound_access_tokens, bool):
            raise ValueError(f"resource {self.identifier}: dpop_bound_access_tokens is True or False")

    @property
    def name(self) -> str:
        """Its name in the ``resources`` registry: the identifier."""
        return self.identifier

    def accepts(self, scope: str) -> bool:
        """True when a token for this resource may carry ``scope``."""
        return not self.scopes or scope in self.scopes


#: what a resource's options may say
_OPTIONS = frozenset({"scopes", "token_format", "access_token_lifetime", "signing_alg", "dpop_bound_access_tokens"})


def parse_resources(value: Any) -> tuple[Resource, ...]:
    """``Settings.resources``: identifiers, or a mapping of identifier to options; ValueError when wrong.

    ``{"https://api.example.com": {"scopes": "read write", "token_format": "jwt",
    "access_token_lifetime": 300}}``, or ``["https://api.example.com"]`` for
    resources with the defaults.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split()
    if isinstance(value, Mapping):
        entries = list(value.items())
    elif isinstance(value, Iterable):
        entries = [(item.identifier, item) if isinstance(item, Resource) else (item, {}) for item in value]
    else:
        raise ValueError("expected resource identifiers, or a mapping of identifier to options")
    resources: dict[str, Resource] = {}
    for identifier, options in entries:
        if isinstance(options, Resource):
            resource = options
        elif isinstance(options, Mapping):
            unknown = set(options) - _OPTIONS
            if unknown:
                raise ValueError(f"resource {identifier}: unknown options {', '.join(sorted(map(str, unknown)))}")
            resource = Resource(identifier, **options)
        else:
            raise ValueError(f"resource {identifier}: expected a mapping of options")
        if resource.identifier in resources:
            raise ValueError(f"resource {resource.identifier} is configured twice")
        resources[resource.identifier] = resource
    return tuple(resources.values())


class Audiences:
    """RFC 8707 for one provider: which resources a request may name, and what its token is then like."""

    def __init__(self, resources: Registry[Resource], own_scopes: frozenset[str]) -> None:
        self._resources = resources
        #: scopes the server itself serves (OpenID Connect's), granted whatever the audience
        self._own_scopes = own_scopes

    def requested(self, values: Iterable[str], client: Client) -> tuple[str, ...]:
        """The resources a request names, checked: known, well-formed, allowed for ``client``; in order."""
        named = list(dict.fromkeys(values))
        if len(named) > MAX_RESOURCES:
            raise InvalidTarget(f"at most {MAX_RESOURCES} resources per request")
        allowed = client.metadata.get(CLIENT_RESOURCES)
        for identifier in named:
            if identifier not in self._resources:
                raise InvalidTarget("the resource is unknown to this server (RFC 8707 section 2)")
            if allowed is not None and identifier not in allowed:
                raise InvalidTarget("this client may not obtain tokens for that resource")
        return tuple(named)

    def narrowed(self, values: Iterable[str], client: Client, granted: tuple[str, ...]) -> tuple[str, ...]:
        """The audience of a token request on a grant: ``values`` within ``granted``, or ``granted``.

        A grant with no audience leaves the token request free to name any
        resource the client may use (the grant was not limited); one with an
        audience may only be narrowed (RFC 8707 §2.2).
        """
        named = self.requested(values, client)
        if not named:
            return granted
        if granted and not set(named) <= set(granted):
            raise InvalidTarget("a token request cannot widen the audience of its grant")
        return named

    def check_scopes(self, audience: tuple[str, ...], scopes: frozenset[str]) -> None:
        """``invalid_scope`` when a scope is accepted by none of the ``audience`` (and is not the server's own)."""
        if not audience:
            return
        resources = [self._resources[identifier] for identifier in audience if identifier in self._resources]
        for scope in sorted(scopes - self._own_scopes):
            if not any(resource.accepts(scope) for resource in resources):
                raise InvalidScope(f"scope {scope} is not accepted by the requested resource")

    def token_format(self, audience: tuple[str, ...]) -> str:
        """``jwt`` when any resource of the audience wants JWT access tokens, else ``opaque``."""
        formats = {self._resources[identifier].token_format for identifier in audience if identifier in self._resources}
        return "jwt" if "jwt" in formats else "opaque"

    def lifetime(self, audience: tuple[str, ...], default: int) -> int:
        """Seconds the access token for ``audience`` lives: the shortest its resources allow."""
        lifetimes = [default]
        for identifier in audience:
            resource = self._resources.get(identifier)
            if resource is None:
                continue
            if resource.access_token_lifetime is not None:
                lifetimes.append(resource.access_token_lifetime)
            elif resource.token_format == "jwt":  # noqa: S105 - a format's name
                lifetimes.append(DEFAULT_JWT_LIFETIME)
        return min(lifetimes)

    def requires_dpop(self, audience: tuple[str, ...]) -> bool:
        """True when a resource of ``audience`` accepts DPoP-bound tokens only (RFC 9449 §5.2)."""
        return any(
            resource.dpop_bound_access_tokens
            for identifier in audience
            if (resource := self._resources.get(identifier)) is not None
        )

    def signing_alg(self, audience: tuple[str, ...]) -> str:
        """The JWS algorithm of a JWT access token for ``audience``: its first JWT resource's."""
        for identifier in audience:
            resource = self._resources.get(identifier)
            if resource is not None and resource.token_format == "jwt":  # noqa: S105 - a format's name
                return resource.signing_alg
        return "RS256"
