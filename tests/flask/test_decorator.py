"""@oauth.require_oauth and current_token (RFC 6750), on the validation path of the middleware."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_proauth2 import current_token
from proauth2_wsgi import BearerTokenMiddleware, ClientCredentials
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.errors import InvalidScope
from proauth2_wsgi.middleware import TOKEN
from tests.conftest import FakeClock
from tests.flask.apps import USER, oauth
from tests.flask.conftest import MakeApp, bearer, issue_token
from tests.middleware.conftest import with_dpop
from tests.protector.cases import CASES


@pytest.fixture
def token(provider: Provider, confidential: ClientCredentials) -> str:
    return issue_token(provider, confidential, scope="profile email")


def test_valid_token_reaches_the_view_with_current_token(
    client: Any, token: str, confidential: ClientCredentials, clock: FakeClock
) -> None:
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json == {
        "user_id": USER,
        "client_id": confidential.client_id,
        "scopes": ["email", "profile"],
        "expires_at": int(clock.now) + 3600,
    }
    assert "Authorization" in response.headers["Vary"]


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize("path", ["/me", "/any", "/admin"])
def test_rfc6750_section_3_1_no_token_is_401_with_a_bare_challenge(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == with_dpop('Bearer realm="api"')
    assert response.headers["Vary"] == "Authorization"


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_section_3_1_invalid_token_is_401_invalid_token(client: Any) -> None:
    response = client.get("/any", headers=bearer("x" * 43))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token"')
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_section_3_1_expired_token_is_401(client: Any, token: str, clock: FakeClock) -> None:
    clock.advance(3600)
    assert client.get("/any", headers=bearer(token)).json["error"] == "invalid_token"


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_section_3_1_missing_scope_is_403_insufficient_scope(client: Any, token: str) -> None:
    response = client.get("/admin", headers=bearer(token))
    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"
    assert 'scope="admin email"' in response.headers["WWW-Authenticate"]
    assert response.headers["Vary"] == "Authorization"


@pytest.mark.rfc("6750", "2.1")
def test_rfc6750_section_2_1_malformed_header_is_400_invalid_request(client: Any) -> None:
    response = client.get("/any", headers={"Authorization": "Bearer two tokens"})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_section_2_3_query_token_is_refused(client: Any, token: str) -> None:
    response = client.get("/any", query_string={"access_token": token})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_require_oauth_without_scope_accepts_any_valid_token(client: Any, token: str) -> None:
    assert client.get("/any", headers=bearer(token)).json["user_id"] == USER


def test_optional_lets_anonymous_requests_through(client: Any) -> None:
    response = client.get("/maybe")
    assert response.status_code == 200
    assert response.json == {"token": None}
    assert response.headers["Vary"] == "Authorization"


def test_optional_still_reads_a_valid_token(client: Any, token: str) -> None:
    assert client.get("/maybe", headers=bearer(token)).json["user_id"] == USER


def test_optional_still_refuses_an_invalid_token(client: Any) -> None:
    assert client.get("/maybe", headers=bearer("y" * 43)).status_code == 401


def test_options_preflight_passes_without_a_token(client: Any) -> None:
    response = client.options("/me")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization"


def test_current_token_outside_a_guarded_view(client: Any, token: str) -> None:
    assert client.get("/unguarded", headers=bearer(token)).json["user_id"] == USER
    assert client.get("/unguarded", headers=bearer("z" * 43)).json == {"token": None}
    assert client.get("/unguarded").json == {"token": None}


def test_current_token_is_loaded_once_per_request(app: Flask, token: str) -> None:
    provider = app.extensions["proauth2"].provider
    with app.test_request_context("/", headers=bearer(token)):
        assert current_token.user_id == USER
        provider.revoke_token(token)
        assert current_token.user_id == USER  # still the request's token, not a second lookup
    with app.test_request_context("/", headers=bearer(token)):
        assert not current_token


def test_a_token_the_middleware_validated_is_not_validated_again(app: Flask, token: str) -> None:
    provider = app.extensions["proauth2"].provider
    app.wsgi_app = BearerTokenMiddleware(app.wsgi_app, provider)  # type: ignore[method-assign]
    client = app.test_client()
    validated = client.get("/me", headers=bearer(token))
    assert validated.json["user_id"] == USER
    # The decorator trusts proauth2.token in the environ: no header, no lookup.
    environ = {TOKEN: provider.authenticate_token(token)}
    app.wsgi_app = app.wsgi_app.app  # type: ignore[attr-defined]
    provider.revoke_token(token)
    assert client.get("/me", environ_base=environ).json["user_id"] == USER


def test_storage_outage_is_503_with_retry_after_not_401(make_app: MakeApp, token: str) -> None:
    down = make_app(PROAUTH2_DATABASE_URL="postgresql://nobody@127.0.0.1:9/none", PROAUTH2_CREATE_SCHEMA=False)
    for path in ("/me", "/maybe", "/unguarded"):
        response = down.test_client().get(path, headers=bearer(token))
        assert response.status_code == 503, path
        assert response.headers["Retry-After"]
        assert "WWW-Authenticate" not in response.headers


def test_a_malformed_scope_in_the_decorator_fails_at_decoration() -> None:
    with pytest.raises(InvalidScope):
        oauth.require_oauth('bad"scope')


def test_the_decorator_takes_the_middlewares_token_cache(client: Any, provider: Provider, token: str) -> None:
    """``cache_ttl``: a token revoked meanwhile stays accepted for up to the TTL here, never on uncached routes."""
    assert client.get("/cached", headers=bearer(token)).status_code == 200
    provider.revoke_token(token)
    assert client.get("/cached", headers=bearer(token)).status_code == 200
    assert client.get("/me", headers=bearer(token)).status_code == 401


@pytest.mark.rfc("6750", "2.2")
def test_the_decorator_takes_the_middlewares_form_token_option(client: Any, token: str) -> None:
    response = client.post("/form", data={"access_token": token})
    assert (response.status_code, response.json["user_id"]) == (200, USER)
    assert client.post("/form", data={"access_token": "x" * 43}).status_code == 401


def test_the_decorator_takes_the_middlewares_exempt_methods(client: Any) -> None:
    assert client.options("/me").status_code == 204  # OPTIONS exempt by default
    assert client.options("/strict").status_code == 401  # exempt_methods=(): every method checked


# One table of RFC 6750 cases (tests/protector/cases.py), answered the same by the middleware and the decorator.
@pytest.mark.parametrize("case", CASES)
def test_the_middleware_and_the_decorator_answer_alike(
    make_app: MakeApp, provider: Provider, confidential: ClientCredentials, case: dict[str, Any]
) -> None:
    """One protector behind both: same status, challenge, body and headers for every case (issue 9)."""
    options = dict(case)
    if "token" in options:
        options["headers"] = bearer(issue_token(provider, confidential, scope=options.pop("token")))
    guarded = make_app()
    wrapped = make_app()
    wrapped.wsgi_app = BearerTokenMiddleware(  # type: ignore[method-assign]
        wrapped.wsgi_app, wrapped.extensions["proauth2"].provider, rules=[("/unguarded", "admin email")]
    )
    by_decorator = guarded.test_client().get("/admin", **options)
    by_middleware = wrapped.test_client().get("/unguarded", **options)
    assert by_decorator.status_code == by_middleware.status_code
    if by_decorator.status_code != 200:
        assert by_decorator.get_data() == by_middleware.get_data()
    for header in ("WWW-Authenticate", "Cache-Control", "Vary", "Content-Type"):
        assert by_decorator.headers.get(header) == by_middleware.headers.get(header), header
