"""Caches and CORS: ``Vary: Authorization`` on protected responses, preflights pass unchecked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest
from werkzeug.test import Client

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from tests.middleware.conftest import Tokens, bearer, echo_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def app_with_vary(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [b"ok"]


@pytest.mark.rfc("9110", "12.5.5")
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(None, id="no-token-401"),
        pytest.param({"Authorization": "Bearer " + "A" * 43}, id="invalid-token-401"),
        pytest.param("valid", id="valid-200"),
    ],
)
def test_protected_responses_vary_on_authorization(
    provider: Proauth2, tokens: Tokens, headers: dict[str, str] | str | None
) -> None:
    """RFC 9110 §12.5.5: an answer chosen by the Authorization header says so, for shared caches."""
    client = Client(BearerTokenMiddleware(echo_app, provider, public_paths=["/health"]))
    sent = bearer(tokens.for_user()) if headers == "valid" else headers
    response = client.get("/api", headers=sent)
    assert response.status_code == (200 if headers == "valid" else 401)
    assert "Authorization" in response.headers.get("Vary", "")
    assert "Vary" not in client.get("/health").headers  # public paths are the app's own business


def test_an_existing_vary_header_is_extended_not_replaced(provider: Proauth2, tokens: Tokens) -> None:
    response = Client(BearerTokenMiddleware(app_with_vary, provider)).get("/", headers=bearer(tokens.for_user()))
    assert response.status_code == 200
    assert response.headers.getlist("Vary") == ["Accept-Encoding, Authorization"]


def test_cors_preflight_passes_without_a_token(provider: Proauth2) -> None:
    """A CORS preflight (OPTIONS) never carries credentials: it reaches the app, unannotated."""
    client = Client(BearerTokenMiddleware(echo_app, provider))
    response = client.options("/api")
    assert response.status_code == 200
    assert response.get_json()["user_id"] is None
    assert client.get("/api").status_code == 401


def test_exempt_methods_can_be_turned_off(provider: Proauth2) -> None:
    client = Client(BearerTokenMiddleware(echo_app, provider, exempt_methods=()))
    assert client.options("/api").status_code == 401


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize(
    ("header", "status"),
    [
        pytest.param("Basic \xff\xfe", 401, id="basic-non-ascii"),
        pytest.param("Basic !!!notbase64", 401, id="basic-garbage"),
        pytest.param("Bearer \xff\xfe", 400, id="bearer-non-ascii"),
        pytest.param("\xff", 401, id="no-scheme"),
    ],
)
def test_garbage_authorization_headers_are_4xx_never_500(provider: Proauth2, header: str, status: int) -> None:
    """RFC 6750 §3.1: a header that is not a bearer credential is 'no token' (401), a broken one 400."""
    environ = {"HTTP_AUTHORIZATION": header}
    response = Client(BearerTokenMiddleware(echo_app, provider)).get("/api", environ_overrides=environ)
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')
