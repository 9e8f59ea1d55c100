"""Registered clients for the provider-level tests: they compose on the ``provider`` fixture."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from tests.client_assertions import _jwks_server, jwks_certificates, jwks_resolver, jwks_server  # noqa: F401 - fixtures
from tests.core.helpers import LOOPBACK, OTHER_REDIRECT, REDIRECT


@pytest.fixture
def confidential(provider: Proauth2) -> ClientCredentials:
    """A web app: client_secret_basic, two redirect URIs, code + refresh grants, every scope."""
    return provider.register_app("Web app", [REDIRECT, OTHER_REDIRECT])


@pytest.fixture
def public(provider: Proauth2) -> ClientCredentials:
    """A native app: no secret (``none``), one loopback redirect URI, PKCE S256 (RFC 8252)."""
    return provider.register_app("Native app", [LOOPBACK], auth_method="none")


@pytest.fixture
def machine(provider: Proauth2) -> ClientCredentials:
    """A backend service: client_secret_post, client credentials grant only, no redirect URI."""
    return provider.register_app(
        "Service", grant_types=["client_credentials"], scopes="profile email", auth_method="client_secret_post"
    )
