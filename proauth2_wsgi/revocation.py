"""Token revocation (RFC 7009 §2.1).

Revoking a refresh token revokes its whole grant, access tokens included; an
unknown or already-revoked token is not an error (§2.2). With the
requesting client's id (as the revocation endpoint passes it), a token issued
to another client is refused with ``unauthorized_client`` and left alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import UnauthorizedClient
from .tokens import MAX_ACCESS_TOKEN_LENGTH, constant_time_equals, hash_secret, looks_like_token

if TYPE_CHECKING:
    from .records import Records

__all__ = ["revoke_token"]


def revoke_token(
    records: Records, token: str, token_type_hint: str | None = None, client_id: str | None = None
) -> None:
    """Revoke an access or refresh token; ``token_type_hint`` only orders the lookup (RFC 7009 §2.1)."""
    if not looks_like_token(token, MAX_ACCESS_TOKEN_LENGTH):  # a JWT access token is longer than a secret
        return
    token_hash = hash_secret(token)
    found = records.find_token(token_hash, refresh_first=token_type_hint == "refresh_token")  # noqa: S105 - a hint
    if found is None:
        return
    kind, record = found
    if client_id is not None and not constant_time_equals(record["client_id"], client_id):
        raise UnauthorizedClient("the token was not issued to this client")
    if kind == "refresh_token":
        records.revoke_grant(record["grant_id"])
    else:
        records.revoke_access_token(token_hash)
