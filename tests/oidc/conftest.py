"""Fixtures for OpenID Connect: a provider with ``openid`` on, its signing keys, a relying party, a signed-in alice."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from joserfc import jwk, jwt

from proauth2_wsgi import ClientCredentials, Proauth2, Settings
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.flows import approved_code_exchange
from tests.keys import _key_pool, _pooled_keys  # noqa: F401 - fixtures: real keys, made once per run

ISSUER = "https://auth.example.com"
REDIRECT = "https://rp.example.com/callback"
LOGOUT_REDIRECT = "https://rp.example.com/signed-out"
KEY_SECRET = "tests-key-secret-" + "k" * 32
#: alice's claims, as the host app's loader gives them
ALICE = {
    "name": "Alice Liddell",
    "preferred_username": "alice",
    "email": "alice@example.com",
    "email_verified": True,
    "phone_number": "+44 20 7946 0000",
    "address": {"locality": "Oxford", "country": "GB"},
    "secret_hobby": "never released",
}


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer=ISSUER,
        scopes={"api": "Call the API"},
        openid=True,
        key_secret=KEY_SECRET,
        clock=clock,
    )


@pytest.fixture
def provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    provider = Proauth2(store, settings)
    provider.claims_loader = lambda user_id, scopes, request: ALICE if user_id == "alice" else {}
    return provider


@pytest.fixture
def rp(provider: Proauth2) -> ClientCredentials:
    """A relying party: code + refresh, every scope, a post-logout redirect URI."""
    return provider.register_app("Relying party", [REDIRECT], metadata={"post_logout_redirect_uris": [LOGOUT_REDIRECT]})


@pytest.fixture
def alice(clock: FakeClock) -> Login:
    """alice, signed in a minute ago with a password."""
    return Login("alice", int(clock.now) - 60, acr="urn:example:password", amr=("pwd",))


def authenticate(provider: Proauth2, client: ClientCredentials, login: Login, **params: str) -> dict[str, Any]:
    """An authentication request approved for ``login``, its code exchanged: the token response."""
    query = {"redirect_uri": REDIRECT, "scope": "openid profile email", "state": "s", **params}
    return approved_code_exchange(provider, client, login, query)


def verified_claims(
    provider: Proauth2, id_token: str, algorithms: tuple[str, ...] = ("RS256", "ES256")
) -> dict[str, Any]:
    """The ID token's claims, verified against the provider's published JWK set as a client would."""
    keys = jwk.KeySet.import_key_set(provider.keys.jwks())  # type: ignore[arg-type]
    return dict(jwt.decode(id_token, keys, algorithms=list(algorithms)).claims)


def later(provider: Proauth2, seconds: int) -> Proauth2:
    """The same provider ``seconds`` later (the clock is the settings')."""
    clock: FakeClock = provider.settings.clock  # type: ignore[assignment]
    clock.advance(seconds)
    return provider


def with_settings(provider: Proauth2, **changes: Any) -> Proauth2:
    other = Proauth2(provider.store, dataclasses.replace(provider.settings, **changes))
    other.claims_loader = provider.claims_loader
    return other
