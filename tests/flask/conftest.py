"""Fixtures: database_url -> store (emptied after each test) -> make_app -> app -> client."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from proauth2_wsgi import ClientCredentials
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.flask.apps import SCOPES, USER, create_app

ISSUER = "https://auth.example.com"
REDIRECT = "https://client.example.com/callback"

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(database_url: str, store: PeeweeDataStore, clock: FakeClock, tmp_path: Any) -> Iterator[MakeApp]:
    """Build test apps on the backend's database (``store`` empties it afterwards); ``config`` overrides."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        defaults = {
            "TESTING": True,
            "PROAUTH2_DATABASE_URL": database_url,
            "PROAUTH2_ISSUER": ISSUER,
            "PROAUTH2_SCOPES": SCOPES,
            "PROAUTH2_DEFAULT_SCOPE": "profile",
            "PROAUTH2_CLOCK": clock,
            "PROAUTH2_AUTHORIZATION_ENDPOINT": "/authorize",
        }
        app = create_app(instance_path=str(tmp_path / f"instance{len(apps)}"), **{**defaults, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["proauth2"].provider.store.close()


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def provider(app: Flask) -> Provider:
    """The app's provider (overrides the core fixture of the same name)."""
    return app.extensions["proauth2"].provider


@pytest.fixture
def confidential(provider: Provider) -> ClientCredentials:
    return provider.register_app("Test Client", [REDIRECT], grant_types=["authorization_code", "refresh_token"])


def issue_token(provider: Provider, client: ClientCredentials, scope: str = "profile", user_id: str = USER) -> str:
    """Run the code grant with S256 PKCE at the provider; the access token."""
    verifier = secrets.token_urlsafe(48)
    code = provider.request_authorization(
        client.client_id,
        user_id,
        scope=scope,
        code_challenge=s256_challenge(verifier),
        code_challenge_method="S256",
    )["code"]
    response = provider.request_access_token(
        "authorization_code", client.client_id, client.client_secret, code=code, code_verifier=verifier
    )
    return str(response["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
