"""What the hostile-input properties found, pinned as plain tests (each once a failing hypothesis example)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from proauth2_wsgi import Proauth2Error
from proauth2_wsgi.uris import validate_redirect_uri
from tests.flask.apps import create_app
from tests.fuzz.world import ISSUER, SCOPES


@pytest.fixture(scope="module")
def flask_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("fuzz-regressions")
    app = create_app(
        instance_path=str(folder / "instance"),
        PROAUTH2_DATABASE_URL=f"sqlite:///{folder}/proauth2.db",
        PROAUTH2_ISSUER=ISSUER,
        PROAUTH2_SCOPES=SCOPES,
    )
    yield app
    app.extensions["proauth2"].provider.store.close()


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "FOO"])
@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server"])
def test_an_unlisted_method_gets_the_endpoints_json_405_in_flask_rfc6749_5_2(
    flask_app: Flask, method: str, path: str
) -> None:
    """flask_proauth2 answered TRACE or PROPFIND with Flask's HTML 405, its Allow naming seven methods
    the endpoint refuses; the bare WSGI endpoint answers JSON with its own Allow (found by tests/fuzz)."""
    response = flask_app.test_client().open(path, method=method)
    assert response.status_code == 405
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == "invalid_request"
    assert response.headers["Allow"] in ("POST", "GET, HEAD")
    assert response.headers["Cache-Control"] in ("no-store", "public, max-age=3600")


@pytest.mark.rfc("8252", "8.3")
@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("http://evil.example\\@127.0.0.1/cb", id="backslash-authority-looks-loopback"),
        pytest.param("https://client.example.com/cb\\@evil.example", id="backslash-path"),
        pytest.param("https://client.example.com\\evil.example/cb", id="backslash-host"),
        pytest.param("https://client.example.com/cb\u00e9", id="non-ascii"),
        pytest.param("https://evil.example\u3002com/cb", id="ideographic-full-stop"),
    ],
)
def test_a_redirect_uri_browsers_read_otherwise_is_refused_rfc8252_8_3(uri: str) -> None:
    """RFC 3986 §2, RFC 8252 §8.3, RFC 9700 §2.1: ``http://evil.example\\@127.0.0.1/cb`` passed as a loopback
    http redirect URI (urlsplit's host) though a browser sends the code in clear to evil.example; a CIMD
    document holding one got redirects whose Location was not the URI it listed (found by tests/fuzz)."""
    with pytest.raises(ValueError, match="ASCII without backslashes"):
        validate_redirect_uri(uri)


@pytest.mark.rfc("7591", "2")
def test_registration_refuses_a_backslash_redirect_uri_rfc7591_2(flask_app: Flask) -> None:
    """The same through registration: ``invalid_redirect_uri``, nothing registered."""
    provider = flask_app.extensions["proauth2"].provider
    before = len(provider.list_clients())
    with pytest.raises(Proauth2Error, match="ASCII without backslashes") as refused:
        provider.register_app("Sneaky", ["http://evil.example\\@127.0.0.1/cb"], auth_method="none")
    assert refused.value.error == "invalid_redirect_uri"
    assert len(provider.list_clients()) == before
