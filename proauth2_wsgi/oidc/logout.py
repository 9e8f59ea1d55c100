"""RP-Initiated Logout 1.0: a client sends the user to the provider to end the session.

:func:`validate_logout_request` checks ``id_token_hint`` (an ID token this
server signed, expired or not, issued to the client), ``client_id``,
``post_logout_redirect_uri`` (registered by that client, compared exactly)
and ``state``. A request it refuses is shown to the user, never followed: an
unregistered URI gets a 400 page, not a redirect. A request whose
``id_token_hint`` verified and names the signed-in user may end the session
without asking (:attr:`LogoutRequest.verified`); any other the app should
confirm first, since anyone can link to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidRequest
from ..keyset import UnverifiableToken
from ..uris import add_query
from .parameters import parse_words

if TYPE_CHECKING:
    from ..clients import Clients
    from ..keyset import KeySet
    from ..models import Client
    from ..request import Parameters
    from ..settings import Settings

__all__ = ["LogoutRequest", "validate_logout_request"]

#: longest ``state`` echoed back
MAX_STATE_LENGTH = 2000
#: the registered metadata listing a client's post-logout redirect URIs
POST_LOGOUT_REDIRECT_URIS = "post_logout_redirect_uris"


@dataclass(frozen=True)
class LogoutRequest:
    """A checked logout request: whose session, back to where, with which ``state``."""

    client: Client | None
    #: the ``sub`` of the verified ``id_token_hint``
    subject: str | None
    post_logout_redirect_uri: str | None
    state: str | None
    ui_locales: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """True when an ID token this server issued says who is logging out (no confirmation needed)."""
        return self.subject is not None and self.client is not None

    def redirect_url(self) -> str | None:
        """Where to send the user once the session ended: the registered URI with ``state``, or None."""
        if self.post_logout_redirect_uri is None:
            return None
        return add_query(self.post_logout_redirect_uri, {} if self.state is None else {"state": self.state})


def validate_logout_request(params: Parameters, settings: Settings, keys: KeySet, clients: Clients) -> LogoutRequest:
    """Check a logout request; every error is ``invalid_request`` to show, never to redirect."""
    params.check_repeats()
    hint = params.get("id_token_hint")
    subject = None
    client = None
    if hint is not None:
        try:
            _, claims = keys.verify(hint)
        except UnverifiableToken:
            raise InvalidRequest("id_token_hint is not an ID token this server issued") from None
        if claims.get("iss") != settings.issuer or not isinstance(claims.get("sub"), str):
            raise InvalidRequest("id_token_hint is not an ID token this server issued")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        client = clients.get(audiences[0]) if audiences else None
        if client is None:
            raise InvalidRequest("id_token_hint names no registered client")
        subject = claims["sub"]
    client_id = params.get("client_id")
    if client_id is not None:
        named = clients.get(client_id)
        if named is None or (client is not None and named.client_id != client.client_id):
            raise InvalidRequest("client_id is unknown, or not the client of the id_token_hint")
        client = named
    uri = params.get("post_logout_redirect_uri")
    if uri is not None:
        registered = client.metadata.get(POST_LOGOUT_REDIRECT_URIS, []) if client is not None else []
        if uri not in registered:
            raise InvalidRequest("post_logout_redirect_uri is not registered for this client")
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE_LENGTH:
        raise InvalidRequest("state is too long")
    return LogoutRequest(client, subject, uri, state, parse_words("ui_locales", params.get("ui_locales")))
