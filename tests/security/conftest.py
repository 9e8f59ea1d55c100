"""Fixtures for the MUSTs of docs/SECURITY.md that no other test proves.

The endpoint tests' server over real loopback HTTP and their clients, on a
provider whose settings also turn on the device flow, so that every kind of
credential the server issues can be asked for.
"""

from __future__ import annotations

import pytest

from proauth2_wsgi import Settings
from tests.conftest import FakeClock
from tests.endpoints.conftest import _http, confidential, post_client, public, server  # noqa: F401 - fixtures


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    """The core test settings, with the device flow on (RFC 8628)."""
    return Settings(
        issuer="https://auth.example.com",
        scopes={"profile": "Read your profile", "email": "Read your email"},
        default_scope="profile",
        device_verification_uri="/device",
        clock=clock,
    )
