"""The provider side of the demo: an OpenID Provider's login, consent, logout, and the protected ``/api/me``.

The library never shows a page: this is the host app's part (ARCHITECTURE.md).
``/authorize`` validates the request with the extension *before* it asks for
anything, asks what the request needs next (a login, a consent, or nothing
more: OIDC Core §3.1.2.3), and turns the user's answer into the redirect.
The login session remembers when the user signed in (``auth_time``), so
``prompt=login`` and ``max_age`` work as OIDC says; ``/logout`` is the
RP-Initiated Logout endpoint.
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from flask_proauth2 import Proauth2, current_token
from proauth2_wsgi.oidc import Login, Step

from .users import check_login, claims

oauth = Proauth2()
oauth.claims_loader(claims)
bp = Blueprint("provider", __name__)

#: the scopes this demo provider offers, with the wording of its consent page
SCOPES = {
    "openid": "Sign you in with your demo account",
    "profile": "See your name and user name",
    "email": "See your email address",
    "offline_access": "Keep access while you are away",
}


def current_login() -> Login | None:
    """Who is signed in to the demo, and since when (the session holds both)."""
    user, auth_time = session.get("user"), session.get("auth_time")
    if not isinstance(user, str) or not isinstance(auth_time, int):
        return None
    return Login(user, auth_time, amr=("pwd",))


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def _csrf_ok() -> bool:
    sent = request.form.get("csrf", "")
    return "csrf" in session and hmac.compare_digest(sent.encode(), str(session["csrf"]).encode())


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect through ``?next=``."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return url_for("provider.home")
    return target


@bp.route("/")
def home() -> str:
    user = session.get("user")
    return render_template("home.html", user=user, csrf=_csrf_token() if user else None)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    username = request.form.get("username", "")
    if request.method == "POST":
        if not _csrf_ok():
            error = "Your session expired; please try again."
        elif check_login(username, request.form.get("password", "")):
            session.clear()
            session["user"] = username
            session["auth_time"] = int(time.time())
            return redirect(_safe_next(request.args.get("next")), 303)
        else:
            error = "Unknown user name or wrong password."
    return render_template("login.html", error=error, csrf=_csrf_token(), username=username)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """Sign out: RP-Initiated Logout 1.0, and the home page's own button.

    A client's request with an ``id_token_hint`` this server signed (for the
    signed-in user) ends the session at once and goes back to its registered
    ``post_logout_redirect_uri``; any other request asks first, with a form
    carrying the CSRF token, so a cross-site link cannot sign anyone out.
    """
    logout_request = oauth.validate_logout_request()
    login = current_login()
    confirmed = request.method == "POST" and _csrf_ok()
    at_once = logout_request.verified and (login is None or login.user_id == logout_request.subject)
    if request.method == "POST" and not confirmed:
        return Response("Invalid or missing CSRF token.", 400, mimetype="text/plain")
    if not (confirmed or at_once):
        client = logout_request.client.name if logout_request.client else None
        return render_template("logout.html", user=login.user_id if login else None, client=client, csrf=_csrf_token())
    session.clear()
    return oauth.logout_response(logout_request, default=url_for("provider.home"))


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> ResponseReturnValue:
    """RFC 6749 §4.1.1, OIDC Core §3.1.2: validate, then login, consent or answer, as the request needs."""
    auth_request = oauth.validate_authorization_request()
    login = current_login()
    if request.method == "POST" and login is not None:
        if not _csrf_ok():
            return Response("Invalid or missing CSRF token.", 400, mimetype="text/plain")
        approved = request.form.get("decision") == "allow"
        return oauth.authorization_response(auth_request, login, approved=approved)
    step = oauth.authorization_step(auth_request, login)  # prompt=none answers by redirect, never a page
    if step is Step.LOGIN or login is None:  # no login is always the LOGIN step
        return redirect(url_for("provider.login", next=oauth.login_return_url()), 303)
    if step is Step.ANSWER:
        return oauth.authorization_response(auth_request, login, approved=True)
    return render_template(
        "consent.html",
        client=auth_request.client,
        scopes=oauth.scope_descriptions(auth_request),
        redirect_host=urlsplit(auth_request.redirect_uri).netloc or auth_request.redirect_uri,
        user=login.user_id,
        csrf=_csrf_token(),
    )


@bp.route("/api/me")
@oauth.require_oauth("profile")
def me() -> Response:
    """A protected resource (RFC 6750, RFC 9728): who the token speaks for, and which API it is for (RFC 8707)."""
    if current_token is None:  # require_oauth lets no request without a token through
        raise RuntimeError("require_oauth sets current_token")
    body: dict[str, object] = {
        "user_id": current_token.user_id,
        "client_id": current_token.client_id,
        "scope": current_token.scope,
    }
    if current_token.audience:
        body["audience"] = list(current_token.audience)
    return jsonify(body)


def http_error(error: HTTPException) -> ResponseReturnValue:
    """A 404, 405... as JSON under ``/api/`` (what an API client expects), as a page of the demo elsewhere."""
    if error.code is None:
        return error
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    if request.path.startswith("/api/"):
        name = (error.name or "error").lower().replace(" ", "_")
        response = jsonify(error=name, error_description=error.description)
        response.status_code = error.code
        response.headers.update(headers)
        return response
    page = render_template("http_error.html", code=error.code, name=error.name, description=error.description)
    return page, error.code, headers
