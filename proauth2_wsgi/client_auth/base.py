"""The client-authentication protocol (RFC 6749 §2.3, RFC 7591 §2 ``token_endpoint_auth_method``).

A method is a component in a provider's ``client_auth_methods`` registry:

- :meth:`ClientAuthMethod.detect` looks at the whole request and says what the
  client presented by this method, if anything;
- :meth:`ClientAuthMethod.verify` checks that presentation against the
  registered client.

Each client is registered with exactly one method and must use that one
(RFC 6749 §2.3: a client MUST NOT use more than one per request).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..models import Client
    from ..records import Records
    from ..request import EndpointRequest

__all__ = ["ClientAuthContext", "ClientAuthMethod", "PresentedCredentials"]


@dataclass(frozen=True)
class PresentedCredentials:
    """What a request presented to identify its client, and by which method; the credential never prints."""

    client_id: str | None
    method: str
    #: the secret, assertion or other proof, as sent
    credential: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ClientAuthContext:
    """What a method may need beyond the request: where it was sent, the issuer, the time, the records."""

    #: the public URL of the endpoint the request was sent to (an assertion's ``aud``)
    endpoint_url: str | None
    issuer: str | None
    now: int
    records: Records


class ClientAuthMethod:
    """Base of client-authentication methods: name it, detect its credentials, verify them."""

    #: the ``token_endpoint_auth_method`` value (RFC 7591 §2)
    name: ClassVar[str]
    #: True when the client proves who it is (False only for ``none``)
    confidential: ClassVar[bool] = True
    #: tried only when no other method detects credentials (``none``: a bare client_id)
    fallback: ClassVar[bool] = False
    #: True when a confidential client of this method gets a secret from the server (not ``private_key_jwt``)
    uses_secret: ClassVar[bool] = True
    #: the JWS algorithms of a method whose clients sign what they present (``private_key_jwt``)
    signing_algorithms: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def detect(self, request: EndpointRequest) -> PresentedCredentials | None:
        """What the request presents by this method, or None when it uses another."""
        raise NotImplementedError

    def verify(self, client: Client, presented: PresentedCredentials, context: ClientAuthContext) -> bool:
        """True when ``presented`` proves the request comes from ``client``."""
        raise NotImplementedError

    def checked_metadata(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """A client's further metadata, checked for what this method needs; as it is by default.

        Registration and updates call it (``private_key_jwt`` requires the
        client's public keys); a refusal is
        :class:`~proauth2_wsgi.errors.InvalidClientMetadata`.
        """
        return dict(metadata)

    def metadata(self) -> Mapping[str, Any]:
        """What the method adds to the server metadata (RFC 8414 §2); nothing by default."""
        return {}
