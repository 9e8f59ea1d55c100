"""Authorization requests (RFC 6749 §4.1.1, RFC 7636 §4.3): validated before consent, answered after.

:meth:`AuthorizationRequests.validate` checks client, redirect_uri,
response_type, scope, state, PKCE and the resources (RFC 8707 ``resource``,
which may repeat). Its errors are of two kinds
(RFC 6749 §4.1.2.1): those that must be shown to the user and never
redirected — an unknown client, a missing or unregistered redirect URI, or a
repeated ``client_id``/``redirect_uri`` — carry no ``redirect_uri``; every other
one carries the ``redirect_uri`` and ``state`` to send it back with.

Pushed authorization requests (RFC 9126, :mod:`~proauth2_wsgi.pushed_requests`)
go through the same validation twice: when pushed (:meth:`AuthorizationRequests.push`,
for the authenticated client), and when the authorization request names their
``request_uri`` (:meth:`AuthorizationRequests.validate`), with the pushed
parameters only. An error answering a pushed request carries its digest
(``pushed_request``), and the answer — code, error redirect, denial — uses it up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import pkce, uris
from .errors import (
    InvalidClient,
    InvalidDPoPProof,
    InvalidRequest,
    InvalidRequestUri,
    Proauth2Error,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from .keyset import UnverifiableToken
from .models import AuthorizationRequest, Client
from .oidc import parameters as oidc_parameters
from .oidc.claims import parse_claims_request
from .oidc.login import Login
from .pushed_requests import PushedRequest, PushedRequests, is_pushed_reference, pushed_required
from .request import Parameters
from .scopes import grant_scope
from .tokens import generate_id, generate_secret, hash_secret, is_thumbprint

if TYPE_CHECKING:
    from .clients import Clients
    from .keyset import KeySet
    from .records import Records
    from .resources import Audiences
    from .settings import Settings

__all__ = ["MAX_STATE_LENGTH", "PARAMETERS", "REPEATABLE", "AuthorizationRequests"]

#: longest ``state`` value accepted in an authorization request
MAX_STATE_LENGTH = 2000
#: the authorization request parameters (RFC 6749 §4.1.1, RFC 7636 §4.3)
PARAMETERS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
)
#: parameters that may repeat (RFC 8707 §2: one ``resource`` per target)
REPEATABLE = frozenset({"resource"})
#: parameters that decide where a response may go: repeated, the error is shown, not redirected
_REDIRECT_DECIDING = ("client_id", "redirect_uri")


class AuthorizationRequests:
    """Validate authorization requests and issue their codes, for one provider."""

    def __init__(
        self,
        settings: Settings,
        records: Records,
        clients: Clients,
        keys: KeySet,
        audiences: Audiences,
        now: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._records = records
        self._clients = clients
        self._keys = keys
        self._audiences = audiences
        self._now = now
        #: the pushed requests (RFC 9126) authorization requests may name by ``request_uri``
        self.pushed = PushedRequests(settings, records, now)

    def check_client_redirect(self, client_id: str | None, redirect_uri: str | None) -> tuple[Client, str]:
        """The client and the redirect URI to answer on; raises the errors that must NOT redirect.

        RFC 6749 §4.1.2.1: an unknown client or a bad redirect URI is shown
        to the user, never sent to an unverified URI.
        """
        if not client_id:
            raise InvalidRequest("client_id is required")
        client = self._clients.get(client_id)
        if client is None:
            raise InvalidClient("unknown client_id")
        if redirect_uri is None:
            if len(client.redirect_uris) != 1:
                raise InvalidRequest("redirect_uri is required")
            return client, client.redirect_uris[0]
        if not uris.match_redirect_uri(redirect_uri, client.redirect_uris):
            raise InvalidRequest("redirect_uri is not registered for this client")
        return client, redirect_uri

    def validate(self, params: Parameters) -> AuthorizationRequest:
        """Validate an authorization request's parameters before the app asks the user for consent.

        A ``request_uri`` from the PAR endpoint (RFC 9126 §4) stands for the
        parameters pushed: only ``client_id`` is read beside it.
        """
        request_uris = params.getlist("request_uri")
        if any(is_pushed_reference(value) for value in request_uris):
            return self._validate_pushed(params)
        return self._validate(params)

    def _validate_pushed(self, params: Parameters) -> AuthorizationRequest:
        """RFC 9126 §4: resolve the ``request_uri``, then validate what was pushed; shown, never redirected."""
        if any(name in ("client_id", "request_uri") for name in params.repeated()):
            raise InvalidRequest("client_id or request_uri is repeated")
        client_id = params.get("client_id")
        if client_id is None:
            raise InvalidRequest("client_id is required")
        request_uri = params.get("request_uri")
        if request_uri is None:  # validate() saw it
            raise InvalidRequest("request_uri is required")
        pushed_params, key = self.pushed.resolve(client_id, request_uri)
        return self._validate(pushed_params, pushed=key)

    def push(self, client: Client, params: Parameters, dpop_jkt: str | None = None) -> PushedRequest:
        """Validate and store a pushed authorization request of the authenticated ``client`` (RFC 9126 §2).

        The parameters get exactly an authorization request's validation; a
        ``client_id`` in them must be the client's (RFC 9126 §2.1 requires
        it). ``dpop_jkt`` is the thumbprint of the request's DPoP proof (RFC
        9449 §10.1): it binds the code as ``dpop_jkt`` does, and must match
        one the parameters name. Every error is for the PAR endpoint's JSON
        response, never a redirect.
        """
        for name in ("request_uri", "request"):  # RFC 9126 §2.1, §3: no reference, and no request objects here
            if name in params:
                raise InvalidRequest(f"{name} is not accepted in a pushed authorization request")
        named = params.get("client_id")
        if named is None:
            raise InvalidRequest("client_id is required (RFC 9126 section 2.1)")
        if named != client.client_id:
            raise InvalidRequest("client_id differs from the client the credentials authenticate")
        if dpop_jkt is not None:
            given = params.get("dpop_jkt")
            if given is None:
                params = Parameters([*_pairs(params), ("dpop_jkt", dpop_jkt)])
            elif given != dpop_jkt:
                raise InvalidDPoPProof("the DPoP proof's key is not the one dpop_jkt names (RFC 9449 section 10.1)")
        try:
            self._validate(params, pushing=True)
        except Proauth2Error as exc:
            exc.redirect_uri, exc.state = None, None  # answered at the PAR endpoint, as JSON
            raise
        return self.pushed.store(client.client_id, params)

    def _validate(
        self, params: Parameters, pushed: str | None = None, *, pushing: bool = False
    ) -> AuthorizationRequest:
        """Validate parameters: sent (``pushed`` and ``pushing`` unset), being pushed, or pushed under ``pushed``."""
        repeated = params.repeated()
        if any(name in _REDIRECT_DECIDING for name in repeated):
            raise InvalidRequest("client_id or redirect_uri is repeated")
        redirect_uri = params.get("redirect_uri")
        client, target = self.check_client_redirect(params.get("client_id"), redirect_uri)
        states = params.getlist("state")
        # A repeated or over-long state is not echoed back.
        state = states[0] if len(states) == 1 and len(states[0]) <= MAX_STATE_LENGTH else None
        try:
            if pushed is None and not pushing and pushed_required(self._settings, client):
                raise InvalidRequest("this client must push its authorization requests first (RFC 9126)")
            if pushed is None and params.get("request_uri") is not None:
                raise RequestUriNotSupported(
                    "request_uri: only the pushed authorization request endpoint's are accepted"
                )
            params.check_repeats(REPEATABLE)
            if states and state is None:
                raise InvalidRequest("state is too long")
            response_type = params.get("response_type")
            if response_type is None:
                raise InvalidRequest("response_type is required")
            if response_type != "code":
                raise UnsupportedResponseType("only response_type=code is supported")
            if "authorization_code" not in client.grant_types:
                raise UnauthorizedClient("this client may not use the authorization code grant")
            scopes = grant_scope(
                params.get("scope"), client.default_scope, client.scopes & frozenset(self._settings.scopes)
            )
            resources = self._audiences.requested(params.getlist("resource"), client)
            self._audiences.check_scopes(resources, scopes)
            challenge, method = self._pkce(client, params)
            dpop_jkt = _dpop_jkt(params.get("dpop_jkt"))
            openid = self._openid(client, scopes, params) if self._settings.openid and "openid" in scopes else {}
        except Proauth2Error as exc:
            exc.redirect_uri, exc.state, exc.pushed_request = target, state, pushed
            raise
        if openid and "offline_access" in scopes and "consent" not in openid["prompt"]:
            scopes = scopes - {"offline_access"}  # OIDC Core §11: ignored unless the user is asked to consent
        return AuthorizationRequest(
            client=client,
            redirect_uri=target,
            redirect_uri_given=redirect_uri is not None,
            scopes=scopes,
            state=state,
            code_challenge=challenge,
            code_challenge_method=method,
            resources=resources,
            dpop_jkt=dpop_jkt,
            pushed_request=pushed,
            **openid,
        )

    def _openid(self, client: Client, scopes: frozenset[str], params: Parameters) -> dict[str, Any]:
        """The OpenID Connect parameters of an authentication request (OIDC Core §3.1.2.1)."""
        if params.get("request") is not None:
            raise RequestNotSupported("request objects are not supported")
        return {
            "nonce": oidc_parameters.parse_text("nonce", params.get("nonce"), oidc_parameters.MAX_NONCE_LENGTH),
            "prompt": oidc_parameters.parse_prompt(params.get("prompt")),
            "max_age": oidc_parameters.parse_max_age(params.get("max_age")),
            "login_hint": oidc_parameters.parse_text("login_hint", params.get("login_hint")),
            "id_token_hint_subject": self._hinted_subject(client, params.get("id_token_hint")),
            "ui_locales": oidc_parameters.parse_words("ui_locales", params.get("ui_locales")),
            "claims_locales": oidc_parameters.parse_words("claims_locales", params.get("claims_locales")),
            "acr_values": oidc_parameters.parse_words("acr_values", params.get("acr_values")),
            "display": oidc_parameters.parse_text("display", params.get("display")),
            "claims": parse_claims_request(params.get("claims")),
        }

    def _hinted_subject(self, client: Client, hint: str | None) -> str | None:
        """The ``sub`` of an ``id_token_hint``: an ID token this server issued to this client, expired or not."""
        if hint is None:
            return None
        try:
            _, claims = self._keys.verify(hint)
        except UnverifiableToken:
            raise InvalidRequest("id_token_hint is not an ID token this server issued") from None
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if claims.get("iss") != self._settings.issuer or client.client_id not in audiences:
            raise InvalidRequest("id_token_hint was not issued to this client")
        subject = claims.get("sub")
        if not isinstance(subject, str):
            raise InvalidRequest("id_token_hint has no subject")
        return subject

    def _pkce(self, client: Client, params: Parameters) -> tuple[str | None, str | None]:
        """The PKCE challenge and method (RFC 7636 §4.3), required for public clients and by default."""
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge is not None:
            method = method or "plain"
            # RFC 9700 §2.1.1: public clients must use S256, whatever plain allowances
            allowed = ("S256",) if client.is_public else self._settings.pkce_methods
            pkce.validate_challenge(challenge, method, allowed)
            return challenge, method
        if method is not None:
            raise InvalidRequest("code_challenge_method without code_challenge")
        if client.is_public or self._settings.require_pkce:
            raise InvalidRequest("code_challenge is required (PKCE, RFC 7636)")
        return None, None

    def issue_code(self, request: AuthorizationRequest, user: Login | str | int) -> str:
        """Issue a one-time authorization code for a validated request the user approved.

        ``user`` is the :class:`~proauth2_wsgi.oidc.Login` (who, when, how) or
        just the user's id, for a user authenticated now.
        """
        login = as_login(user, self._now())
        code = generate_secret()
        record = {
            "code_hash": hash_secret(code),
            "client_id": request.client.client_id,
            "user_id": login.user_id,
            "redirect_uri": request.redirect_uri,
            "redirect_uri_given": request.redirect_uri_given,
            "scopes": request.scopes,
            "code_challenge": request.code_challenge,
            "code_challenge_method": request.code_challenge_method,
            "grant_id": generate_id(),
            "expires_at": self._now() + self._settings.code_lifetime,
            "used": False,
            "nonce": request.nonce,
            "auth_time": login.auth_time,
            "acr": login.acr,
            "amr": list(login.amr),
            "claims": request.claims,
            "audience": list(request.resources),
            "jkt": request.dpop_jkt,
        }
        if request.pushed_request is None:
            self._records.add_code(record)
            return code
        with self._records.atomic():  # RFC 9126 §4: one code per pushed request, however many approvals race
            if not self.pushed.spend(request.pushed_request):
                raise InvalidRequestUri("the request_uri was used already")
            self._records.add_code(record)
        return code

    def response(self, request: AuthorizationRequest, user: Login | str | int) -> dict[str, str]:
        """The parameters of a successful authorization response: ``code``, ``state``, ``iss`` (RFC 9207).

        The user's consent to the request's scopes is remembered (a later
        request for no more can be answered without asking, :meth:`next_step`).
        """
        login = as_login(user, self._now())
        self._records.remember_consent(request.client.client_id, login.user_id, request.scopes, self._now())
        response = {"code": self.issue_code(request, login)}
        if request.state is not None:
            response["state"] = request.state
        if self._settings.issuer:
            response["iss"] = self._settings.issuer
        return response

    def error_response(self, error: Proauth2Error) -> dict[str, str]:
        """The parameters of an error response to redirect with (RFC 6749 §4.1.2.1, RFC 9207 ``iss``).

        A pushed request the error answers is used up (RFC 9126 §4): the
        client starts again with a new one.
        """
        if error.pushed_request is not None:
            self.pushed.spend(error.pushed_request)
        params = error.to_dict()
        if self._settings.issuer:
            params["iss"] = self._settings.issuer
        return params


#: longest user id (what the app identifies its user by)
MAX_USER_ID_LENGTH = 255


def as_login(user: Login | str | int, now: int) -> Login:
    """``user`` as a :class:`Login`: a bare user id is a user who authenticated ``now``."""
    if isinstance(user, Login):
        user_id_text(user.user_id)
        return user
    return Login(user_id_text(user), now)


def user_id_text(user_id: object) -> str:
    """A user id as stored: a string or an integer, as text of 1 to 255 printable characters."""
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)):
        raise InvalidRequest("user_id must be a string or an integer")
    text = str(user_id)
    if not 0 < len(text) <= MAX_USER_ID_LENGTH or not text.isprintable():
        raise InvalidRequest(f"user_id must be 1 to {MAX_USER_ID_LENGTH} printable characters")
    return text


def _pairs(params: Parameters) -> list[tuple[str, str]]:
    return [(name, value) for name in params for value in params.getlist(name)]


def _dpop_jkt(value: str | None) -> str | None:
    """RFC 9449 §10: ``dpop_jkt`` is the RFC 7638 SHA-256 thumbprint of the key the code's tokens will be bound to."""
    if value is not None and not is_thumbprint(value):
        raise InvalidRequest("dpop_jkt is not a JWK SHA-256 thumbprint (RFC 7638)")
    return value
