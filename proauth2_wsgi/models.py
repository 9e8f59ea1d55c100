"""The records proauth2 works with, as frozen dataclasses.

None of them holds a usable secret: stores keep digests only, and the one
object that carries a fresh client secret redacts it from its ``repr``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .scopes import format_scope

#: the ``metadata`` member marking a client known by its metadata document URL (its ``client_id``)
METADATA_DOCUMENT = "client_id_metadata_document"


_T = TypeVar("_T")


def _frozen(cls: type[_T], fields: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` holding ``fields``, every one of them, set at once.

    A frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, one call per field; here the instance's
    ``__dict__`` takes them all in one update. The instance is the one
    ``cls(**fields)`` makes (equality, hashing, ``repr``, ``replace``); no
    conversion or default applies, so ``fields`` must name every field.
    """
    instance = object.__new__(cls)
    vars(instance).update(fields)
    return instance


@dataclass(frozen=True)
class Client:
    """A registered client application (RFC 6749 §2)."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: frozenset[str]
    default_scope: frozenset[str]
    auth_method: str
    created_at: int
    secret_hash: str | None = field(default=None, repr=False)
    #: further registered metadata (RFC 7591 §2: ``client_uri``, ``contacts``...)
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_public(self) -> bool:
        """A public client cannot keep a secret (RFC 6749 §2.1) and authenticates with ``none``."""
        return self.auth_method == "none"

    @property
    def document_host(self) -> str | None:
        """The host of a client known by its metadata document URL (its ``client_id``), else None.

        Such a client was never registered: its ``name`` and logo are what
        its own document says. A consent page shows this host beside them,
        since the host is the one thing about the client the server checked
        (draft-ietf-oauth-client-id-metadata-document-01 §6.1).
        """
        if not self.metadata.get(METADATA_DOCUMENT) or not self.client_id.startswith("https://"):
            return None
        return urlsplit(self.client_id).hostname

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Client:
        """Build a client from its DataStore record."""
        return cls(
            client_id=record["client_id"],
            name=record["name"],
            redirect_uris=tuple(record["redirect_uris"]),
            grant_types=tuple(record["grant_types"]),
            scopes=frozenset(record["scopes"]),
            default_scope=frozenset(record["default_scope"]),
            auth_method=record["auth_method"],
            created_at=record["created_at"],
            secret_hash=record["secret_hash"],
            metadata=record.get("metadata") or {},
        )


@dataclass(frozen=True)
class ClientCredentials:
    """What :meth:`Proauth2.register_app` returns: the id, and the secret shown once.

    Unpacks like the original's pair: ``client_id, client_secret = ...``.
    The secret never appears in ``repr``.
    """

    client_id: str
    client_secret: str | None = field(repr=False)

    def __iter__(self) -> Iterator[str | None]:
        return iter((self.client_id, self.client_secret))

    def __repr__(self) -> str:
        # At a Python prompt the repr is all one sees: say where the secret is, never what it is.
        secret = "None" if self.client_secret is None else "<hidden: read .client_secret now, it is shown once>"
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret={secret})"


@dataclass(frozen=True)
class AccessToken:
    """A validated access token: what the middleware puts in ``environ["proauth2.token"]``."""

    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    issued_at: int
    expires_at: int
    grant_id: str
    #: when the user authenticated (OpenID Connect), when known
    auth_time: int | None = None
    #: the OpenID Connect ``claims`` request of the grant (OIDC Core §5.5)
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: the resources the token is for (RFC 8707 ``aud``); empty: no particular audience
    audience: tuple[str, ...] = ()
    #: the thumbprint of the DPoP key the token is bound to (RFC 9449 ``cnf.jkt``); None for a bearer token
    jkt: str | None = None

    @property
    def scope(self) -> str:
        """The granted scope in its wire form."""
        return format_scope(self.scopes)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> AccessToken:
        """Build an access token from its DataStore record (every validated request does: see :func:`_frozen`)."""
        return _frozen(
            cls,
            {
                "client_id": record["client_id"],
                "user_id": record["user_id"],
                "scopes": frozenset(record["scopes"]),
                "issued_at": record["issued_at"],
                "expires_at": record["expires_at"],
                "grant_id": record["grant_id"],
                "auth_time": record.get("auth_time"),
                "claims": record.get("claims") or {},
                "audience": tuple(record.get("audience") or ()),
                "jkt": record.get("jkt"),
            },
        )


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request (RFC 6749 §4.1.1), ready for the consent page.

    ``redirect_uri`` is where the response goes; ``redirect_uri_given`` records
    whether the request named it, since the token request must then repeat it
    (RFC 6749 §4.1.3).
    """

    client: Client
    redirect_uri: str
    redirect_uri_given: bool
    scopes: frozenset[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    #: OpenID Connect (OIDC Core §3.1.2.1), for requests with the ``openid`` scope
    nonce: str | None = None
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    login_hint: str | None = None
    #: the ``sub`` of a verified ``id_token_hint``
    id_token_hint_subject: str | None = None
    ui_locales: tuple[str, ...] = ()
    claims_locales: tuple[str, ...] = ()
    acr_values: tuple[str, ...] = ()
    display: str | None = None
    #: the ``claims`` request (OIDC Core §5.5): claims asked for by name
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: the resources the client named (RFC 8707 ``resource``), in order
    resources: tuple[str, ...] = ()
    #: the thumbprint of the DPoP key the code is bound to (RFC 9449 §10 ``dpop_jkt``)
    dpop_jkt: str | None = None
    #: the digest of the ``request_uri`` whose pushed parameters these are (RFC 9126), used up by the answer
    pushed_request: str | None = None

    @property
    def scope(self) -> str:
        """The requested scope in its wire form."""
        return format_scope(self.scopes)

    @property
    def is_openid(self) -> bool:
        """True for an OpenID Connect authentication request (the ``openid`` scope)."""
        return "openid" in self.scopes
