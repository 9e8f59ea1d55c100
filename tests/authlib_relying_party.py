"""A relying party written the way Authlib's documentation shows: Flask and ``flask_client``.

Authlib reads the OpenID configuration, sends a ``nonce`` and a PKCE
challenge, and in ``authorize_access_token`` validates the ID token itself
(signature over the JWK set, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``,
``at_hash``). Each page answers JSON for the test to read.
"""

from __future__ import annotations

import secrets
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, request, session, url_for
from flask.typing import ResponseReturnValue


def relying_party(issuer: str, client_id: str, client_secret: str) -> Flask:
    """The relying party's app for a client registered at ``issuer``."""
    app = Flask("authlib_relying_party")
    # its own cookie: a browser keeps one cookie jar per host, whatever the port
    app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_NAME="relying_party")
    oauth = OAuth(app)
    provider: Any = oauth.register(
        "demo",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )

    @app.get("/start")
    def start() -> ResponseReturnValue:
        asked = {name: request.args[name] for name in ("prompt", "max_age") if name in request.args}
        return provider.authorize_redirect(url_for("callback", _external=True), **asked)  # type: ignore[no-any-return]

    @app.get("/callback")
    def callback() -> ResponseReturnValue:
        try:
            token = provider.authorize_access_token()
        except OAuthError as error:
            return jsonify(error=error.error)
        session["id_token"] = token["id_token"]
        return jsonify(id_token=dict(token["userinfo"]), userinfo=dict(provider.userinfo(token=token)))

    @app.get("/logout")
    def logout() -> ResponseReturnValue:
        return provider.logout_redirect(  # type: ignore[no-any-return]
            post_logout_redirect_uri=url_for("signed_out", _external=True),
            id_token_hint=session.pop("id_token"),
            state=secrets.token_urlsafe(16),
        )

    @app.get("/signed-out")
    def signed_out() -> ResponseReturnValue:
        try:
            provider.validate_logout_response()  # the state it sent came back
        except OAuthError as error:
            return jsonify(signed_out=False, error=error.description)
        return jsonify(signed_out=True)

    return app
