"""The demo's device verification page (RFC 8628 §3.3), and its "Demo TV", a device client of its own.

A device with no browser (``python -m demo.device_login``, a TV) shows its
user ``/device`` and a code. Here the signed-in user types the code (the
form is only pre-filled from ``?user_code=``, the link of
``verification_uri_complete``: nothing is decided on a GET), sees which
client asks for what, compares the code with the one on the device, and
allows or denies with a form carrying the session's CSRF token. A wrong code
is the form again, as a 400; too many wrong codes a 429 (RFC 8628 §5.1:
counted per code by the library, and per user here, ``session_key``).
"""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.device import DEVICE_CODE_GRANT, DeviceRequest, InvalidUserCode, TooManyAttempts
from proauth2_wsgi.oidc import Login

from .provider_views import _csrf_ok, _csrf_token, current_login, oauth

bp = Blueprint("device", __name__)

#: the name the demo's device client is registered under (one per database)
DEMO_TV_NAME = "Demo TV"
#: what it may ask for, and what it asks for when it names nothing (``python -m demo.device_login`` does not):
#: an ID token, the user's name, and a refresh token (OIDC Core §11: with ``openid``, for ``offline_access`` only)
DEMO_TV_SCOPE = "openid profile email offline_access"
DEMO_TV_DEFAULT_SCOPE = "openid profile offline_access"
DEMO_TV_GRANT_TYPES = (DEVICE_CODE_GRANT, "refresh_token")
#: the extension key of the Demo TV's client id
EXTENSION_KEY = "demo_tv"

_DEMO_TV_LOCK = threading.Lock()


def ensure_demo_tv(provider: Provider) -> str:
    """The client id of this database's Demo TV: found, or registered once (a public client: it has no secret)."""
    wanted = {
        "grant_types": list(DEMO_TV_GRANT_TYPES),
        "scopes": DEMO_TV_SCOPE,
        "default_scope": DEMO_TV_DEFAULT_SCOPE,
    }
    for client in provider.list_clients():
        if client.name == DEMO_TV_NAME and client.is_public and DEVICE_CODE_GRANT in client.grant_types:
            same = (
                client.grant_types == DEMO_TV_GRANT_TYPES
                and client.scopes == frozenset(DEMO_TV_SCOPE.split())
                and client.default_scope == frozenset(DEMO_TV_DEFAULT_SCOPE.split())
            )
            if not same:  # a database from an older demo
                provider.update_client(client.client_id, **wanted)
            return client.client_id
    return provider.register_app(DEMO_TV_NAME, auth_method="none", **wanted).client_id  # type: ignore[arg-type]


def demo_tv() -> str:
    """The Demo TV's client id, made ready on first use (``python -m demo`` asks at start-up)."""
    app = current_app
    client_id = app.extensions.get(EXTENSION_KEY)
    if client_id is None:
        with _DEMO_TV_LOCK:
            client_id = app.extensions.get(EXTENSION_KEY)
            if client_id is None:
                client_id = app.extensions[EXTENSION_KEY] = ensure_demo_tv(oauth.provider)
    return str(client_id)


@bp.route("/device", methods=["GET", "POST"])
def device() -> ResponseReturnValue:
    """Enter the code (GET: the form), see the request (POST the code), decide (POST ``decision``)."""
    login = current_login()
    if login is None:  # back here after the login, the code still in the query
        return redirect(url_for("provider.login", next=request.full_path), 303)
    if request.method == "GET":
        return _code_form(login, request.args.get("user_code", ""))
    typed = request.form.get("user_code", "")
    if not _csrf_ok():  # a forged form decides nothing, and guesses no code on the user's account
        return _code_form(login, typed, "Your session expired; please enter the code again."), 400
    decision = request.form.get("decision")
    try:
        if decision == "allow":
            return _done(oauth.approve_device(typed, login, session_key=login.user_id), approved=True)
        if decision == "deny":
            return _done(oauth.deny_device(typed, session_key=login.user_id), approved=False)
        shown = oauth.device_request(typed, session_key=login.user_id)
    except TooManyAttempts as refused:
        return _code_form(login, "", refused.error_description), 429
    except InvalidUserCode as refused:  # unknown, expired, used, decided or locked: one answer
        return _code_form(login, typed, refused.error_description), 400
    return render_template(
        "device_consent.html",
        shown=shown,
        client=shown.client,
        scopes=oauth.scope_descriptions(shown),
        user=login.user_id,
        csrf=_csrf_token(),
    )


def _code_form(login: Login, user_code: str, error: str | None = None) -> str:
    shown = None if error is None else f"{error[:1].upper()}{error[1:].rstrip('.')}."  # the library's words, a sentence
    return render_template("device.html", user=login.user_id, user_code=user_code, error=shown, csrf=_csrf_token())


def _done(decided: DeviceRequest, approved: bool) -> str:
    return render_template("device_done.html", client=decided.client, approved=approved)
