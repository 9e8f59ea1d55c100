"""The provider side of the demo: login, consent, and the protected ``/api/me``.

The library never shows a page: this is the host app's part (ARCHITECTURE.md).
``/authorize`` validates the request with the extension *before* it asks for
consent, and turns the user's answer into the redirect.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from flask_proauth2 import Proauth2, current_token

from .users import check_login

oauth = Proauth2()
bp = Blueprint("provider", __name__)

#: the scopes this demo provider offers, with the wording of its consent page
SCOPES = {"profile": "See your user name", "email": "See your email address"}


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
            return redirect(_safe_next(request.args.get("next")), 303)
        else:
            error = "Unknown user name or wrong password."
    return render_template("login.html", error=error, csrf=_csrf_token(), username=username)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out; a cross-site form cannot sign the user out (the CSRF token is checked)."""
    if not _csrf_ok():
        return Response("Invalid or missing CSRF token.", 400, mimetype="text/plain")
    session.clear()
    return redirect(url_for("provider.home"), 303)


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> ResponseReturnValue:
    """RFC 6749 §4.1.1: validate, log in, ask for consent, answer with a redirect."""
    auth_request = oauth.validate_authorization_request()
    user = session.get("user")
    if user is None:
        return redirect(url_for("provider.login", next=request.full_path), 303)
    if request.method == "POST":
        if not _csrf_ok():
            return Response("Invalid or missing CSRF token.", 400, mimetype="text/plain")
        approved = request.form.get("decision") == "allow"
        return oauth.authorization_response(auth_request, user, approved=approved)
    return render_template(
        "consent.html",
        client=auth_request.client,
        scopes=oauth.scope_descriptions(auth_request),
        redirect_host=urlsplit(auth_request.redirect_uri).netloc or auth_request.redirect_uri,
        user=user,
        csrf=_csrf_token(),
    )


@bp.route("/api/me")
@oauth.require_oauth("profile")
def me() -> Response:
    """A protected resource (RFC 6750): who the token speaks for."""
    assert current_token is not None
    return jsonify(user_id=current_token.user_id, client_id=current_token.client_id, scope=current_token.scope)


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
