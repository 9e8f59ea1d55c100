"""The one OAuth error family of proauth2.

Every refusal the library makes is a :class:`Proauth2Error` carrying the
OAuth ``error`` code, an optional ``error_description`` / ``error_uri``, the
``state`` of an authorization request, and the HTTP status its code maps to:

- RFC 6749 §4.1.2.1 (authorization errors, delivered by redirect),
- RFC 6749 §5.2 (token endpoint errors),
- RFC 6750 §3.1 (bearer token errors),
- RFC 7009 §2.2.1 (revocation), RFC 7662 (introspection),
- RFC 7591 §3.2.2 (registration),
- RFC 8628 §3.5 (the device authorization grant's polling errors),
- RFC 9449 §5, §7.1, §8 (DPoP proofs and nonces).
- RFC 9101 §7 (``invalid_request_uri``: a pushed request, RFC 9126, that cannot be used).

The status comes from the error code (:data:`STATUS_BY_ERROR`); only the HTTP
adapters change it, for what HTTP itself decides (405, 413). A storage outage
reaches adapters as :class:`TemporarilyUnavailable`: HTTP 503 with
``Retry-After``, never 401, so an outage never looks like a bad token.

This module imports nothing but the standard library.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

__all__ = [
    "STATUS_BY_ERROR",
    "AccessDenied",
    "AccountSelectionRequired",
    "AuthorizationPending",
    "ConsentRequired",
    "ExpiredToken",
    "InsufficientScope",
    "InteractionRequired",
    "InvalidClient",
    "InvalidClientMetadata",
    "InvalidDPoPProof",
    "InvalidGrant",
    "InvalidRedirectUri",
    "InvalidRequest",
    "InvalidRequestUri",
    "InvalidScope",
    "InvalidTarget",
    "InvalidToken",
    "LoginRequired",
    "Proauth2Error",
    "RequestNotSupported",
    "RequestUriNotSupported",
    "ServerError",
    "SlowDown",
    "TemporarilyUnavailable",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
    "UseDPoPNonce",
    "safe_description",
]

#: HTTP status for each error code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2).
STATUS_BY_ERROR: dict[str, int] = {
    "invalid_request": 400,
    "invalid_client": 401,
    "invalid_grant": 400,
    "unauthorized_client": 400,
    "unsupported_grant_type": 400,
    "unsupported_response_type": 400,
    "invalid_scope": 400,
    "access_denied": 403,
    "server_error": 500,
    "temporarily_unavailable": 503,
    "invalid_token": 401,
    "insufficient_scope": 403,
    "invalid_redirect_uri": 400,
    "invalid_client_metadata": 400,
    "login_required": 400,
    "consent_required": 400,
    "interaction_required": 400,
    "account_selection_required": 400,
    "request_not_supported": 400,
    "request_uri_not_supported": 400,
    "invalid_request_uri": 400,
    "invalid_target": 400,
    "invalid_dpop_proof": 400,
    "use_dpop_nonce": 400,
    "authorization_pending": 400,
    "slow_down": 400,
    "expired_token": 400,
}

# RFC 6749 §5.2: error and error_description are limited to
# %x20-21 / %x23-5B / %x5D-7E (no double quote, no backslash), so they are
# always safe inside a quoted-string of WWW-Authenticate.
_SAFE_TEXT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_UNSAFE_CHAR = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def safe_description(text: str | None) -> str | None:
    """Return ``text`` restricted to the RFC 6749 §5.2 charset (others become ``?``)."""
    if text is None or _SAFE_TEXT.fullmatch(text):
        return text
    return _UNSAFE_CHAR.sub("?", text)


class Proauth2Error(Exception):
    """An OAuth 2 error: ``error`` code, description, uri, state and HTTP status.

    ``Proauth2Error("invalid_grant", "code expired")`` works for any code;
    the subclasses below only pre-fill ``error``. ``redirect_uri`` is set on
    authorization-request errors that must be delivered back to the client by
    redirect (RFC 6749 §4.1.2.1); it stays ``None`` for the errors that must
    not redirect (unknown client, bad redirect_uri). ``pushed_request`` is
    the digest of the pushed request (RFC 9126) such an error answers: it is
    used up when the error is redirected.
    """

    #: the default ``error`` code of a subclass
    error_code: ClassVar[str] = "invalid_request"

    def __init__(
        self,
        error: str | None = None,
        error_description: str | None = None,
        error_uri: str | None = None,
        state: str | None = None,
        *,
        status_code: int | None = None,
        redirect_uri: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.error = error or self.error_code
        self.error_description = safe_description(error_description)
        self.error_uri = safe_description(error_uri)
        self.state = state
        self.status_code = status_code or STATUS_BY_ERROR.get(self.error, 400)
        self.redirect_uri = redirect_uri
        self.pushed_request: str | None = None
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.error if not self.error_description else f"{self.error}: {self.error_description}")

    def to_dict(self) -> dict[str, str]:
        """The RFC 6749 §5.2 JSON body (``state`` included when set)."""
        body = {"error": self.error}
        if self.error_description:
            body["error_description"] = self.error_description
        if self.error_uri:
            body["error_uri"] = self.error_uri
        if self.state is not None:
            body["state"] = self.state
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error!r}, {self.error_description!r})"


class _CodedError(Proauth2Error):
    """A Proauth2Error whose ``error`` code is fixed by its class: the description comes first."""

    def __init__(
        self,
        error_description: str | None = None,
        error_uri: str | None = None,
        state: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(self.error_code, error_description, error_uri, state, **options)


class InvalidRequest(_CodedError):
    """RFC 6749 §5.2: the request is missing a parameter, repeats one, or is malformed."""

    error_code = "invalid_request"


class InvalidClient(_CodedError):
    """RFC 6749 §5.2: client authentication failed (unknown client, bad secret, wrong method)."""

    error_code = "invalid_client"


class InvalidGrant(_CodedError):
    """RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked or not the client's."""

    error_code = "invalid_grant"


class UnauthorizedClient(_CodedError):
    """RFC 6749 §5.2: the client may not use this grant type or response type."""

    error_code = "unauthorized_client"


class UnsupportedGrantType(_CodedError):
    """RFC 6749 §5.2: the grant type is not supported by this server."""

    error_code = "unsupported_grant_type"


class UnsupportedResponseType(_CodedError):
    """RFC 6749 §4.1.2.1: the response type is not supported (only ``code`` is)."""

    error_code = "unsupported_response_type"


class InvalidScope(_CodedError):
    """RFC 6749 §5.2: the scope is invalid, unknown, malformed or exceeds what is allowed."""

    error_code = "invalid_scope"


class AccessDenied(_CodedError):
    """RFC 6749 §4.1.2.1: the resource owner denied the request."""

    error_code = "access_denied"


class InvalidToken(_CodedError):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed or invalid."""

    error_code = "invalid_token"


class InsufficientScope(_CodedError):
    """RFC 6750 §3.1: the request requires higher privileges than the token carries.

    ``scope`` is the space-separated scope the resource requires; it goes into
    the ``WWW-Authenticate`` challenge.
    """

    error_code = "insufficient_scope"

    def __init__(self, error_description: str | None = None, *, scope: str = "") -> None:
        super().__init__(error_description)
        self.scope = scope


class InvalidTarget(_CodedError):
    """RFC 8707 §2: the requested resource is invalid, missing, unknown, malformed, or not this client's."""

    error_code = "invalid_target"


class InvalidDPoPProof(_CodedError):
    """RFC 9449 §5, §7.1: the ``DPoP`` proof is missing where required, malformed, or does not fit the request.

    400 at the token endpoint; a protected resource answers it with 401 and a
    ``DPoP`` challenge.
    """

    error_code = "invalid_dpop_proof"


class UseDPoPNonce(_CodedError):
    """RFC 9449 §8, §9: the proof must carry the server's nonce, sent in the ``DPoP-Nonce`` header."""

    error_code = "use_dpop_nonce"

    def __init__(self, nonce: str, error_description: str | None = None) -> None:
        super().__init__(
            error_description or "the DPoP proof must carry the server's nonce", headers={"DPoP-Nonce": nonce}
        )


class AuthorizationPending(_CodedError):
    """RFC 8628 §3.5: the user has not decided yet; the device polls again after ``interval`` seconds.

    "The authorization request is still pending as the end user hasn't yet
    completed the user-interaction steps."
    """

    error_code = "authorization_pending"


class SlowDown(_CodedError):
    """RFC 8628 §3.5: still pending, and the device polled too soon: its interval grows by 5 seconds.

    "A variant of authorization_pending, the authorization request is still
    pending and polling should continue, but the interval MUST be increased
    by 5 seconds for this and all subsequent requests."
    """

    error_code = "slow_down"


class ExpiredToken(_CodedError):
    """RFC 8628 §3.5: the device code expired before the user approved; the device may start again.

    "The device_code has expired, and the device authorization session has concluded."
    """

    error_code = "expired_token"


class InvalidRedirectUri(_CodedError):
    """RFC 7591 §3.2.2: a redirect URI in a registration request is not acceptable."""

    error_code = "invalid_redirect_uri"


class InvalidClientMetadata(_CodedError):
    """RFC 7591 §3.2.2: a client metadata field in a registration request is not acceptable."""

    error_code = "invalid_client_metadata"


class LoginRequired(_CodedError):
    """OIDC Core §3.1.2.6: ``prompt=none``, and the user must sign in first."""

    error_code = "login_required"


class ConsentRequired(_CodedError):
    """OIDC Core §3.1.2.6: ``prompt=none``, and the user has not consented to what is asked."""

    error_code = "consent_required"


class InteractionRequired(_CodedError):
    """OIDC Core §3.1.2.6: ``prompt=none``, and the app needs the user for something else."""

    error_code = "interaction_required"


class AccountSelectionRequired(_CodedError):
    """OIDC Core §3.1.2.6: ``prompt=none``, and the user must choose one of several accounts."""

    error_code = "account_selection_required"


class RequestNotSupported(_CodedError):
    """OIDC Core §3.1.2.6: the ``request`` parameter (a request object) is not supported."""

    error_code = "request_not_supported"


class RequestUriNotSupported(_CodedError):
    """OIDC Core §3.1.2.6: the ``request_uri`` parameter is not supported."""

    error_code = "request_uri_not_supported"


class InvalidRequestUri(_CodedError):
    """RFC 9101 §7: the ``request_uri`` is unknown, expired, used or another client's (RFC 9126 §4).

    Shown to the user, never redirected: nothing of the request can be trusted.
    """

    error_code = "invalid_request_uri"


class ServerError(_CodedError):
    """RFC 6749 §4.1.2.1 ``server_error``: a fault of the server, never of the request.

    What an adapter answers for an unexpected exception: a generic
    description, no stack trace; the exception itself goes to the log.
    """

    error_code = "server_error"

    #: the ``error_description`` every HTTP client sees
    PUBLIC_DESCRIPTION: ClassVar[str] = "the authorization server met an unexpected condition"

    def __init__(self) -> None:
        super().__init__(self.PUBLIC_DESCRIPTION)


class TemporarilyUnavailable(_CodedError):
    """The database cannot be reached or failed: HTTP 503 with ``Retry-After`` (RFC 6749 §4.1.2.1).

    The provider raises it for every storage outage (the store's own
    :class:`~proauth2_wsgi.stores.errors.StorageUnavailable`, translated once).
    ``detail`` (also ``str(error)``) is for the operator: it names the
    database's host and the driver's reason, never a password. HTTP clients get
    only :data:`PUBLIC_DESCRIPTION`: no internal host, port, database name or
    driver ever reaches a response or a redirect.
    """

    error_code = "temporarily_unavailable"

    #: the ``error_description`` every HTTP client sees
    PUBLIC_DESCRIPTION: ClassVar[str] = "the authorization server is temporarily unavailable"

    #: seconds a client should wait before retrying
    retry_after: ClassVar[int] = 5

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(self.PUBLIC_DESCRIPTION, headers={"Retry-After": str(self.retry_after)})
        self.detail = detail
        if detail:
            self.args = (f"{self.error}: {detail}",)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"
