"""The authorization-request helper: what the host app calls around its consent page.

proauth2 never renders a login or consent page. The host app:

1. calls :func:`parse_authorization_request` with the query parameters of
   ``GET /authorize`` before it shows anything. It validates client,
   redirect_uri, response_type, scope, state and PKCE (RFC 6749 §4.1.1,
   RFC 7636 §4.3) and raises :class:`~proauth2_wsgi.errors.Proauth2Error`
   on failure: with ``redirect_uri`` set the error goes back to the client
   (:func:`error_redirect`); with ``redirect_uri`` None (unknown client,
   unregistered redirect URI) it must be shown to the user, never
   redirected (RFC 6749 §4.1.2.1; :func:`error_page`);
2. logs the user in and asks for consent;
3. redirects to :func:`authorization_redirect` (``code``, ``state``, ``iss``:
   RFC 6749 §4.1.2, RFC 9207) or :func:`denial_redirect` (``access_denied``).

Redirects keep the registered URI's own query, add the response parameters
form-urlencoded (RFC 6749 §4.1.2, Appendix B) and never carry a fragment.

A pushed authorization request (RFC 9126) needs nothing more: a query of
``client_id`` and ``request_uri`` parses into the pushed request, errors about
the ``request_uri`` itself come without ``redirect_uri`` (show them), and the
answer — :func:`authorization_redirect`, :func:`denial_redirect`,
:func:`error_redirect` — uses the ``request_uri`` up. Two approvals racing for
one ``request_uri`` issue one code: :func:`authorization_redirect` raises
``invalid_request_uri`` (no ``redirect_uri``) for the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..errors import AccessDenied, Proauth2Error
from ..responses import NO_STORE
from ..uris import add_query

if TYPE_CHECKING:
    from ..models import AuthorizationRequest
    from ..oidc import Login
    from ..provider import Proauth2

#: the error page :func:`error_page` renders unless given another template; ``{error}`` and
#: ``{description}`` are replaced, HTML-escaped
ERROR_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorization error</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}
code{{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}}</style></head>
<body>
<h1>The authorization request was refused</h1>
<p><code>{error}</code></p>
<p>{description}</p>
<p>Nothing was sent to the application that asked. Go back to it and try again.</p>
</body>
</html>
"""
#: headers of every error page: not cached, not framed, no script, no content sniffing
ERROR_PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def parse_authorization_request(provider: Proauth2, args: Mapping[str, Any]) -> AuthorizationRequest:
    """Validate the query of an authorization request (RFC 6749 §4.1.1) before consent.

    ``args`` is a werkzeug ``MultiDict`` (``request.args``), any mapping with
    ``getlist`` (Django's ``QueryDict``), a ``parse_qs`` result, or a plain
    mapping of strings. Empty parameters count as omitted (RFC 6749 §3.1); a
    repeated one is ``invalid_request``, shown when it is ``client_id`` or
    ``redirect_uri``, redirected otherwise.
    """
    return provider.parse_authorization_request(args)


def authorization_redirect(provider: Proauth2, request: AuthorizationRequest, user: Login | str | int) -> str:
    """Issue the code for the approving user (a :class:`Login` or an id); the URL to redirect to.

    The redirect carries ``code``, ``state`` and ``iss``. For a pushed request
    whose ``request_uri`` was used meanwhile it raises ``invalid_request_uri``
    without ``redirect_uri``: show it with :func:`error_page`.
    """
    return add_query(request.redirect_uri, provider.authorization_response(request, user))


def denial_redirect(provider: Proauth2, request: AuthorizationRequest) -> str:
    """The URL telling the client the user said no (RFC 6749 §4.1.2.1 ``access_denied``)."""
    denied = AccessDenied("the user denied the request", state=request.state, redirect_uri=request.redirect_uri)
    denied.pushed_request = request.pushed_request
    return error_redirect(provider, denied)


def error_redirect(provider: Proauth2, error: Proauth2Error) -> str:
    """The URL delivering a redirectable error to the client (RFC 6749 §4.1.2.1, RFC 9207 ``iss``).

    The pushed request it answers, if any, is used up (RFC 9126 §4).
    Raises ValueError for an error without ``redirect_uri``: show it with :func:`error_page`.
    """
    if error.redirect_uri is None:
        raise ValueError("this error must be shown to the user, not redirected: use error_page()")
    return add_query(error.redirect_uri, provider.authorization_error(error))


def error_page(error: Proauth2Error, template: str = ERROR_PAGE) -> Response:
    """An HTML page for an error that must not be redirected (RFC 6749 §4.1.2.1), text escaped.

    ``template`` is the app's own page, with ``{error}`` and ``{description}``
    where the (escaped) error code and description go, and ``{{``/``}}`` for
    literal braces. The status is 400 for every refused request; a server
    fault keeps its own (503 with ``Retry-After`` for an outage).
    """
    body = template.format(error=escape(error.error), description=escape(error.error_description or ""))
    return Response(body, status=error_page_status(error), mimetype="text/html", headers=error_page_headers(error))


def error_page_status(error: Proauth2Error) -> int:
    """The status of an error page: 400, or the server fault's own (503, 500)."""
    return error.status_code if error.status_code >= 500 else 400


def error_page_headers(error: Proauth2Error) -> dict[str, str]:
    """The headers of an error page (:data:`ERROR_PAGE_HEADERS`, with ``Retry-After`` for an outage)."""
    return {**ERROR_PAGE_HEADERS, **error.headers}
