"""A storage outage is 503 with Retry-After, never 401: an outage must not log users out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from proauth2_wsgi import BearerTokenMiddleware, PeeweeDataStore, Proauth2, TemporarilyUnavailable
from tests.http_server import free_port
from tests.middleware.conftest import bearer, echo_app

TOKEN = "A" * 43


@pytest.fixture(params=["postgresql", "mysql"])
def down_provider(request: pytest.FixtureRequest) -> Iterator[Proauth2]:
    """A provider whose database server is not there (nothing listens on the port)."""
    url = f"{request.param}://proauth2:s3cret-password@127.0.0.1:{free_port()}/proauth2"
    store = PeeweeDataStore(url, auto_migrate=False, timeout=1)
    yield Proauth2(store)
    store.close()


@pytest.mark.parametrize("options", [pytest.param({}, id="required"), pytest.param({"optional": True}, id="optional")])
def test_outage_is_503_with_retry_after(down_provider: Proauth2, options: dict[str, Any]) -> None:
    response = Client(BearerTokenMiddleware(echo_app, down_provider, **options)).get("/", headers=bearer(TOKEN))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "WWW-Authenticate" not in response.headers
    assert response.json["error"] == "temporarily_unavailable"
    text = response.get_data(as_text=True)
    assert "s3cret" not in text
    assert TOKEN not in text
    assert "127.0.0.1" not in text and "proauth2" not in text  # no internal host or database name


def test_outage_tells_the_operator_what_the_client_is_not_told(down_provider: Proauth2) -> None:
    with pytest.raises(TemporarilyUnavailable) as raised:
        down_provider.authenticate_token(TOKEN)
    error = raised.value
    assert error.error_description == TemporarilyUnavailable.PUBLIC_DESCRIPTION
    assert error.detail is not None and "127.0.0.1:" in error.detail and "127.0.0.1:" in str(error)
    assert "s3cret" not in str(error) + repr(error)


def test_outage_does_not_touch_public_paths_or_tokenless_requests(down_provider: Proauth2) -> None:
    client = Client(BearerTokenMiddleware(echo_app, down_provider, public_paths=["/health"]))
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 401  # no token: nothing to look up
