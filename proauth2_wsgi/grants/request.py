"""The parameters of a token request (RFC 6749 §4.1.3, §4.4.2, §6)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TokenRequest:
    """A token request's grant parameters; secrets are kept out of ``repr``."""

    grant_type: str
    code: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    code_verifier: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None
