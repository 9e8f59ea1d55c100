"""Fixtures for resource indicators and JWT access tokens: a provider knowing three resources, its clients."""

from __future__ import annotations

from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Settings
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.flows import approved_code_exchange
from tests.keys import _key_pool, _pooled_keys  # noqa: F401 - fixtures: real keys, made once per run

ISSUER = "https://auth.example.com"
REDIRECT = "https://client.example.com/callback"
#: a JWT resource accepting read and write; an opaque one accepting reports; one accepting anything
ORDERS = "https://orders.example.com/api"
REPORTS = "https://reports.example.com"
ANY_API = "https://any.example.com/v1"
KEY_SECRET = "resources-tests-" + "k" * 32


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer=ISSUER,
        scopes={"read": "Read", "write": "Write", "reports": "See reports"},
        key_secret=KEY_SECRET,
        resources={
            ORDERS: {"scopes": "read write", "token_format": "jwt"},
            REPORTS: {"scopes": ["reports"], "access_token_lifetime": 120},
            ANY_API: {},
        },
        clock=clock,
    )


@pytest.fixture
def provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    return Proauth2(store, settings)


@pytest.fixture
def app_client(provider: Proauth2) -> ClientCredentials:
    """A confidential client of the code and refresh grants, every scope."""
    return provider.register_app("App", [REDIRECT])


@pytest.fixture
def service(provider: Proauth2) -> ClientCredentials:
    """A confidential client of the client credentials grant."""
    return provider.register_app("Service", grant_types=["client_credentials"])


def code_grant(
    provider: Proauth2, client: ClientCredentials, *, resources: tuple[str, ...] = (), scope: str = "read", **token: Any
) -> dict[str, Any]:
    """An authorization request naming ``resources``, approved for alice, its code exchanged (``token`` params)."""
    query = {"redirect_uri": REDIRECT, "scope": scope, "state": "s", "resource": list(resources)}
    return approved_code_exchange(provider, client, Login("alice", provider.now() - 5, amr=("pwd",)), query, **token)
