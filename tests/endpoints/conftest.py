"""Fixtures for the endpoint tests: clients of every kind, and the server over real loopback HTTP.

Builds on tests/conftest.py (provider -> store -> clock -> settings), so every
test runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.models import ClientCredentials
from tests.endpoints.helpers import REDIRECT_URI, AuthorizeView, Server
from tests.http_server import serve

#: the initial access token of the protected registration server
INITIAL_ACCESS_TOKEN = "initial-access-token-for-tests"


@pytest.fixture
def confidential(provider: Proauth2) -> ClientCredentials:
    """A confidential client using client_secret_basic, code + refresh grants."""
    return provider.register_app("Basic app", [REDIRECT_URI])


@pytest.fixture
def post_client(provider: Proauth2) -> ClientCredentials:
    """A confidential client using client_secret_post."""
    return provider.register_app("Post app", [REDIRECT_URI], auth_method="client_secret_post")


@pytest.fixture
def public(provider: Proauth2) -> ClientCredentials:
    """A public client (token_endpoint_auth_method none): PKCE only."""
    return provider.register_app("Native app", ["http://127.0.0.1/callback"], auth_method="none")


@pytest.fixture
def service(provider: Proauth2) -> ClientCredentials:
    """A confidential client allowed only the client credentials grant."""
    return provider.register_app("Service", grant_types=["client_credentials"], scopes="profile email")


def _serve(provider: Proauth2, **options: object) -> Iterator[Server]:
    view = AuthorizeView(provider)
    app = DispatcherMiddleware(
        AuthorizationServer(provider, authorization_endpoint="/authorize", **options),  # type: ignore[arg-type]
        {"/authorize": view},
    )
    with serve(app) as base_url:
        yield Server(base_url, view)


@pytest.fixture
def server(provider: Proauth2) -> Iterator[Server]:
    """AuthorizationServer (open registration on) plus a host authorize view, over loopback HTTP."""
    yield from _serve(provider, registration=True)


@pytest.fixture
def protected_server(provider: Proauth2) -> Iterator[Server]:
    """The same, with registration behind an initial access token."""
    yield from _serve(provider, registration=True, initial_access_token=INITIAL_ACCESS_TOKEN)


@pytest.fixture
def default_server(provider: Proauth2) -> Iterator[Server]:
    """AuthorizationServer with its defaults (registration off)."""
    yield from _serve(provider)
