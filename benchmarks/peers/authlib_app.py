"""Authlib's Flask OAuth 2.0 server on Flask-SQLAlchemy, as Authlib's documentation configures it.

The models are the SQLAlchemy mixins of ``authlib.integrations.sqla_oauth2``
with the columns of Authlib's example server (authlib/example-oauth2-server,
website/models.py); the grants and endpoints are that example's
(website/oauth2.py) and the documentation's (docs/flask/2/, docs/specs/):

- ``AuthorizationCodeGrant`` with ``CodeChallenge(required=True)`` (PKCE);
- ``RefreshTokenGrant`` issuing a new refresh token and revoking the old one
  (``INCLUDE_NEW_REFRESH_TOKEN = True``: rotation, as proauth2 and
  django-oauth-toolkit do by default);
- ``ClientCredentialsGrant``; ``create_revocation_endpoint``; an
  ``IntrospectionEndpoint`` subclass (docs/specs/rfc7662.rst);
- ``ResourceProtector`` with ``create_bearer_token_validator``;
- the views of the documentation: ``/oauth/authorize`` (``get_consent_grant``,
  then on ``POST`` with ``confirm`` ``create_authorization_response``),
  ``/oauth/token``, ``/oauth/revoke``, ``/oauth/introspect``;
- ``OAUTH2_REFRESH_TOKEN_GENERATOR = True`` (Authlib issues no refresh token
  otherwise).

The differences from the example are Authlib 1.9's current spellings (no
deprecation warning runs in a timed request): ``request.payload`` for the
request's parameters, ``grant=`` passed to ``create_authorization_response``,
``db.session.get`` for SQLAlchemy 2's ``User.query.get``; and the refresh
token's validity reads the mixin's ``*_revoked_at`` columns (the example's
``self.revoked`` is no column of the current mixin).

Durability: by default SQLite as Flask-SQLAlchemy opens it (rollback journal,
``synchronous=FULL``); with ``wal=True`` an SQLAlchemy ``connect`` event sets
proauth2's settings (``journal_mode=WAL``, ``synchronous=NORMAL``), so the
two can be compared on the same footing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2TokenMixin,
    create_bearer_token_validator,
    create_query_client_func,
    create_query_token_func,
    create_revocation_endpoint,
    create_save_token_func,
)
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from benchmarks.peers import REDIRECT_URI, Endpoints, route, sqlite_pragmas

SCOPE = "profile"
#: where the server answers (the documentation's routes)
PATHS = {
    "authorize": "/oauth/authorize",
    "token": "/oauth/token",
    "revoke": "/oauth/revoke",
    "introspect": "/oauth/introspect",
}


def _wal_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """proauth2's SQLite settings, on every new connection (SQLAlchemy's documented pattern for pragmas)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class AuthlibPeer:
    """One Flask app with its own ``SQLAlchemy`` and models, on the database ``uri`` (SQLAlchemy's URL).

    ``seed`` (the default) registers a user and two clients and makes the
    prepared requests of :attr:`endpoints`; a server process serving the
    routes of a seeded database (benchmarks/load_app.py) passes False.
    """

    def __init__(self, uri: str, *, wal: bool = False, seed: bool = True) -> None:
        self.name = "Authlib, WAL" if wal else "Authlib"
        app = Flask("authlib_bench")
        # OAUTH2_REFRESH_TOKEN_GENERATOR: Authlib issues refresh tokens only when told to
        app.config.update(SQLALCHEMY_DATABASE_URI=uri, SECRET_KEY="bench-only", OAUTH2_REFRESH_TOKEN_GENERATOR=True)
        db = SQLAlchemy()
        self.db = db

        class User(db.Model):  # type: ignore[name-defined,misc]
            id = db.Column(db.Integer, primary_key=True)
            username = db.Column(db.String(40), unique=True)

            def get_user_id(self) -> int:
                return int(self.id)

        class OAuth2Client(db.Model, OAuth2ClientMixin):  # type: ignore[name-defined,misc]
            __tablename__ = "oauth2_client"
            id = db.Column(db.Integer, primary_key=True)
            user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))
            user = db.relationship("User")

        class OAuth2AuthorizationCode(db.Model, OAuth2AuthorizationCodeMixin):  # type: ignore[name-defined,misc]
            __tablename__ = "oauth2_code"
            id = db.Column(db.Integer, primary_key=True)
            user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))
            user = db.relationship("User")

        class OAuth2Token(db.Model, OAuth2TokenMixin):  # type: ignore[name-defined,misc]
            __tablename__ = "oauth2_token"
            id = db.Column(db.Integer, primary_key=True)
            user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))
            user = db.relationship("User")

            def is_refresh_token_active(self) -> bool:
                if self.refresh_token_revoked_at:
                    return False
                return bool(self.issued_at + self.expires_in * 2 >= time.time())

        class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

            def save_authorization_code(self, code: str, request: Any) -> Any:
                auth_code = OAuth2AuthorizationCode(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    user_id=request.user.id,
                    code_challenge=request.payload.data.get("code_challenge"),
                    code_challenge_method=request.payload.data.get("code_challenge_method"),
                )
                db.session.add(auth_code)
                db.session.commit()
                return auth_code

            def query_authorization_code(self, code: str, client: Any) -> Any:
                auth_code = OAuth2AuthorizationCode.query.filter_by(code=code, client_id=client.client_id).first()
                if auth_code and not auth_code.is_expired():
                    return auth_code
                return None

            def delete_authorization_code(self, authorization_code: Any) -> None:
                db.session.delete(authorization_code)
                db.session.commit()

            def authenticate_user(self, authorization_code: Any) -> Any:
                return db.session.get(User, authorization_code.user_id)

        class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
            INCLUDE_NEW_REFRESH_TOKEN = True

            def authenticate_refresh_token(self, refresh_token: str) -> Any:
                token = OAuth2Token.query.filter_by(refresh_token=refresh_token).first()
                if token and token.is_refresh_token_active():
                    return token
                return None

            def authenticate_user(self, credential: Any) -> Any:
                return db.session.get(User, credential.user_id)

            def revoke_old_credential(self, credential: Any) -> None:
                credential.refresh_token_revoked_at = int(time.time())
                db.session.add(credential)
                db.session.commit()

        query_token = create_query_token_func(db.session, OAuth2Token)

        class MyIntrospectionEndpoint(IntrospectionEndpoint):  # type: ignore[misc]
            def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
                return query_token(token_string, token_type_hint)

            def check_permission(self, token: Any, client: Any, request: Any) -> bool:
                return True  # any authenticated client, as proauth2 allows any confidential one

            def introspect_token(self, token: Any) -> dict[str, Any]:
                return {
                    "active": True,
                    "client_id": token.client_id,
                    "token_type": token.token_type,
                    "scope": token.get_scope(),
                    "sub": str(token.user_id) if token.user_id is not None else None,
                    "aud": token.client_id,
                    "iss": "https://auth.example.com",
                    "exp": token.issued_at + token.expires_in,
                    "iat": token.issued_at,
                }

        authorization = AuthorizationServer(
            query_client=create_query_client_func(db.session, OAuth2Client),
            save_token=create_save_token_func(db.session, OAuth2Token),
        )
        require_oauth = ResourceProtector()
        db.init_app(app)
        with app.app_context():
            if wal:
                event.listen(db.engine, "connect", _wal_pragmas)
            self.engine = db.engine
            db.create_all()
        authorization.init_app(app)
        authorization.register_grant(grants.ClientCredentialsGrant)
        authorization.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True)])
        authorization.register_grant(RefreshTokenGrant)
        authorization.register_endpoint(create_revocation_endpoint(db.session, OAuth2Token))
        authorization.register_endpoint(MyIntrospectionEndpoint)
        require_oauth.register_token_validator(create_bearer_token_validator(db.session, OAuth2Token)())

        #: the signed-in user (the host's login is no part of the flow: the example loads it from the session)
        self.signed_in: Any = None

        @app.route("/oauth/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            try:
                grant = authorization.get_consent_grant(end_user=self.signed_in)
            except OAuth2Error as error:
                return authorization.handle_error_response(request, error)
            if request.method == "GET":
                return "consent page"
            grant_user = self.signed_in if request.form["confirm"] else None
            return authorization.create_authorization_response(grant=grant, grant_user=grant_user)

        @app.route("/oauth/token", methods=["POST"])
        def issue_token() -> Any:
            return authorization.create_token_response()

        @app.route("/oauth/revoke", methods=["POST"])
        def revoke_token() -> Any:
            return authorization.create_endpoint_response("revocation")

        @app.route("/oauth/introspect", methods=["POST"])
        def introspect_token() -> Any:
            return authorization.create_endpoint_response(MyIntrospectionEndpoint.ENDPOINT_NAME)

        @app.route("/bare")
        def bare() -> str:
            return "hello"

        @app.route("/api")
        @require_oauth()
        def api() -> str:
            return "hello"

        self.flask = app
        self._token_model = OAuth2Token
        if not seed:
            return
        with app.app_context():
            user = User(username="alice")
            db.session.add(user)
            db.session.commit()
            code_client = self._client(OAuth2Client, user, ["authorization_code", "refresh_token"])
            self.cc_client = self._client(OAuth2Client, user, ["client_credentials"])
            db.session.refresh(user)
            db.session.expunge(user)
        self.signed_in = user
        self.endpoints = Endpoints(
            app,
            PATHS,
            scope=SCOPE,
            approval={"confirm": "1"},
            code_client=code_client,
            cc_client=self.cc_client,
            issue=self._issue,
        )

    def _client(self, model: Any, user: Any, grant_types: list[str]) -> tuple[str, str]:
        """A confidential client registered as the example's ``create_client`` view does."""
        client = model(client_id=generate_token(24), client_id_issued_at=int(time.time()), user_id=user.id)
        client.set_client_metadata(
            {
                "client_name": "bench",
                "grant_types": grant_types,
                "redirect_uris": [REDIRECT_URI],
                "response_types": ["code"],
                "scope": SCOPE,
                "token_endpoint_auth_method": "client_secret_basic",
            }
        )
        client.client_secret = generate_token(48)
        self.db.session.add(client)
        self.db.session.commit()
        return str(client.client_id), str(client.client_secret)

    def _issue(self, count: int) -> list[str]:
        """Access tokens of the client credentials client, stored as ``save_token`` stores them."""
        tokens = [generate_token(42) for _ in range(count)]
        with self.flask.app_context():
            self.db.session.add_all(
                self._token_model(
                    client_id=self.cc_client[0], token_type="Bearer", access_token=token, scope=SCOPE, expires_in=3600
                )
                for token in tokens
            )
            self.db.session.commit()
        return tokens

    def routes(self) -> dict[str, dict[str, Callable[[int], object]]]:
        token = self.endpoints.token
        return {
            "flask": {
                "bare": route(self.flask, "/bare", token, 200),
                "valid": route(self.flask, "/api", token, 200),
                "bad": route(self.flask, "/api", "A" * 43, 401),
                "missing": route(self.flask, "/api", None, 401),
            }
        }

    @contextmanager
    def trace(self) -> Iterator[list[str]]:
        """Every statement of the connections checked out of the engine's pool while the block runs."""
        statements: list[str] = []

        def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
            dbapi_connection.set_trace_callback(statements.append)

        def checkin(dbapi_connection: Any, record: Any) -> None:
            if dbapi_connection is not None:
                dbapi_connection.set_trace_callback(None)

        event.listen(self.engine, "checkout", checkout)
        event.listen(self.engine, "checkin", checkin)
        try:
            yield statements
        finally:
            event.remove(self.engine, "checkout", checkout)
            event.remove(self.engine, "checkin", checkin)

    def pragmas(self) -> dict[str, str]:
        raw = self.engine.raw_connection()
        try:
            return sqlite_pragmas(raw)
        finally:
            raw.close()

    def close(self) -> None:
        self.engine.dispose()
