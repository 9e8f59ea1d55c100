"""The Flask app the tests drive: the extension in an app factory, an authorization view, protected routes."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template_string, request

from flask_proauth2 import Proauth2, current_token

#: the user the test authorization view logs in
USER = "alice"
#: the scopes every test app offers
SCOPES = {"profile": "Read your profile", "email": "Read your email", "admin": "Administer"}

oauth = Proauth2()

_CONSENT = """<h1>{{ auth.client.name }} asks for</h1>
<ul>{% for name, text in scopes.items() %}<li data-scope="{{ name }}">{{ text }}</li>{% endfor %}</ul>
<form method="post"><button name="decision" value="approve">Allow</button></form>"""


def _token_json() -> Any:
    if not current_token:
        return jsonify(token=None)
    return jsonify(
        user_id=current_token.user_id,
        client_id=current_token.client_id,
        scopes=sorted(current_token.scopes),
        expires_at=current_token.expires_at,
    )


def create_app(instance_path: str | None = None, **config: Any) -> Flask:
    """An app with ``config`` (``PROAUTH2_*`` keys and ``AUTO_APPROVE``), ``oauth`` initialised on it."""
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(config)
    oauth.init_app(app)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        auth = oauth.validate_authorization_request()
        if request.method == "GET" and not app.config.get("AUTO_APPROVE"):
            return render_template_string(_CONSENT, auth=auth, scopes=oauth.scope_descriptions(auth))
        approved = app.config.get("AUTO_APPROVE") or request.form.get("decision") == "approve"
        return oauth.authorization_response(auth, USER, approved=approved)

    @app.route("/me", methods=["GET", "OPTIONS"])
    @oauth.require_oauth("profile")
    def me() -> Any:
        if request.method == "OPTIONS":
            return "", 204, {"Access-Control-Allow-Headers": "Authorization"}
        return _token_json()

    @app.route("/any")
    @oauth.require_oauth()
    def any_token() -> Any:
        return _token_json()

    @app.route("/admin")
    @oauth.require_oauth("admin email")
    def admin() -> Any:
        return _token_json()

    @app.route("/maybe")
    @oauth.require_oauth(optional=True)
    def maybe() -> Any:
        return _token_json()

    @app.route("/cached")
    @oauth.require_oauth("profile", cache_ttl=5)
    def cached() -> Any:
        return _token_json()

    @app.route("/form", methods=["POST"])
    @oauth.require_oauth("profile", allow_form_token=True)
    def form() -> Any:
        return _token_json()

    @app.route("/strict", methods=["GET", "OPTIONS"])
    @oauth.require_oauth(exempt_methods=())
    def strict() -> Any:
        return _token_json()

    @app.route("/unguarded")
    def unguarded() -> Any:
        return _token_json()

    return app
