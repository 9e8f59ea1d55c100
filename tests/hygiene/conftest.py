"""Fixtures for the hygiene tests: a provider with every flow on (OIDC, keys, device), served over loopback HTTP.

The HTTP server is tests/endpoints/conftest.py's (one per session, the
current test's app mounted on it), here under these settings.
"""

from __future__ import annotations

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.endpoints.conftest import _http, server  # noqa: F401 - fixtures: the loopback server

ISSUER = "https://auth.example.com"
#: the key-encryption secret of the provider's signing keys: never in a dump
KEY_SECRET = "hygiene-key-secret-" + "s3cr3t" * 6


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer=ISSUER,
        scopes={"profile": "Read your profile", "email": "Read your email"},
        default_scope="profile",
        openid=True,
        key_secret=KEY_SECRET,
        device_verification_uri=ISSUER + "/device",
        clock=clock,
    )


@pytest.fixture
def provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    return Proauth2(store, settings)
