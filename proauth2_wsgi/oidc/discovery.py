"""What OpenID Connect Discovery 1.0 (§3) adds to the authorization server metadata.

The same document is served at ``/.well-known/openid-configuration`` below
the issuer (OIDC Discovery §4) and at the RFC 8414 location, so both kinds
of client read one issuer and one set of endpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .claims import STANDARD_CLAIMS
from .parameters import PROMPT_VALUES

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["WELL_KNOWN_PATH", "openid_metadata"]

#: OIDC Discovery §4: the configuration document's path, after the issuer's own path
WELL_KNOWN_PATH = "/.well-known/openid-configuration"
#: the claims an ID token carries besides the user's
_TOKEN_CLAIMS = ("iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash")


def openid_metadata(settings: Settings) -> dict[str, Any]:
    """The OpenID Provider metadata (OIDC Discovery §3) beyond RFC 8414's."""
    return {
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(settings.signing_algorithms),
        "claims_supported": [*STANDARD_CLAIMS, *_TOKEN_CLAIMS],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": list(PROMPT_VALUES),
    }
