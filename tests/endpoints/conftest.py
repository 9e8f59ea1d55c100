"""Fixtures for the endpoint tests: clients of every kind, and the server over real loopback HTTP.

Builds on tests/conftest.py (provider -> store -> clock -> settings), so every
test runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.models import ClientCredentials
from tests.client_assertions import _jwks_server, jwks_certificates, jwks_resolver, jwks_server  # noqa: F401 - fixtures
from tests.endpoints.helpers import REDIRECT_URI, AuthorizeView, Server
from tests.http_server import serve

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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


class Mount:
    """The WSGI app the session's HTTP server runs: whatever app the current test mounted."""

    def __init__(self) -> None:
        self.app: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None, "no app mounted"
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _http() -> Iterator[tuple[str, Mount]]:
    """One real threaded HTTP server for the session (stopping one per test costs half a second)."""
    mount = Mount()
    with serve(mount) as base_url:
        yield base_url, mount


def _serve(http: tuple[str, Mount], provider: Proauth2, **options: object) -> Iterator[Server]:
    base_url, mount = http
    assert mount.app is None, "one served app per test"
    view = AuthorizeView(provider)
    mount.app = DispatcherMiddleware(
        AuthorizationServer(provider, authorization_endpoint="/authorize", **options),  # type: ignore[arg-type]
        {"/authorize": view},
    )
    try:
        yield Server(base_url, view)
    finally:
        mount.app = None


@pytest.fixture
def server(_http: tuple[str, Mount], provider: Proauth2) -> Iterator[Server]:
    """AuthorizationServer (open registration on) plus a host authorize view, over loopback HTTP."""
    yield from _serve(_http, provider, registration=True)


@pytest.fixture
def protected_server(_http: tuple[str, Mount], provider: Proauth2) -> Iterator[Server]:
    """The same, with registration behind an initial access token."""
    yield from _serve(_http, provider, registration=True, initial_access_token=INITIAL_ACCESS_TOKEN)


@pytest.fixture
def default_server(_http: tuple[str, Mount], provider: Proauth2) -> Iterator[Server]:
    """AuthorizationServer with its defaults (registration off)."""
    yield from _serve(_http, provider)
