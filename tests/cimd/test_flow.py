"""A client known by its metadata document, end to end: authorization, code, tokens, refresh, revocation.

Through the provider, and over the real token endpoint (``AuthorizationServer``
on loopback HTTP) with the document on a real HTTPS server: the client is
public (PKCE, ``none``), never stored, and its document is fetched once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.errors import InvalidClient, InvalidRequest, InvalidScope, InvalidToken, UnauthorizedClient
from proauth2_wsgi.models import METADATA_DOCUMENT
from proauth2_wsgi.stores import PeeweeDataStore
from tests.cimd.conftest import CALLBACK, HOST, Answer, DocumentServer
from tests.cimd.helpers import DRAFT, authorization_query
from tests.endpoints.helpers import USER_ID, AuthorizeView, Server, assert_oauth_error, new_verifier
from tests.http_server import serve


@pytest.fixture
def server(provider: Proauth2) -> Iterator[Server]:
    """AuthorizationServer and a host authorize view of an approving user, over loopback HTTP."""
    view = AuthorizeView(provider)
    app = DispatcherMiddleware(AuthorizationServer(provider, authorization_endpoint="/authorize"), {"/authorize": view})
    with serve(app) as base_url:
        yield Server(base_url, view)


@pytest.mark.rfc(DRAFT, "4.1")
def test_code_flow_through_the_provider(provider: Proauth2, documents: DocumentServer) -> None:
    """Authorization request -> code -> token as a public client with PKCE -> refresh; one fetch in all."""
    url = documents.document("/app.json", client_name="Example App", client_uri="https://app.example.com/")
    verifier = new_verifier()
    request = provider.parse_authorization_request(authorization_query(url, verifier))
    client = request.client
    assert (client.client_id, client.name, client.auth_method, client.is_public) == (url, "Example App", "none", True)
    assert client.grant_types == ("authorization_code", "refresh_token")
    assert client.redirect_uris == (CALLBACK,)
    assert client.scopes == {"profile", "email", "admin"} and client.default_scope == frozenset()
    assert client.metadata == {METADATA_DOCUMENT: True, "client_uri": "https://app.example.com/"}
    assert client.document_host == HOST
    answer = provider.authorization_response(request, USER_ID)
    tokens = provider.request_access_token(
        "authorization_code", url, code=answer["code"], redirect_uri=CALLBACK, code_verifier=verifier
    )
    assert tokens["scope"] == "profile"
    assert provider.authenticate_token(tokens["access_token"]).client_id == url
    refreshed = provider.request_access_token("refresh_token", url, refresh_token=tokens["refresh_token"])
    assert provider.authenticate_token(refreshed["access_token"]).client_id == url
    assert documents.hits["/app.json"] == 1
    assert provider.list_clients() == []  # never stored


@pytest.mark.rfc(DRAFT, "4.1")
def test_code_flow_over_the_real_token_endpoint(provider: Proauth2, documents: DocumentServer, server: Server) -> None:
    """The authorize view, then the token endpoint over HTTP: code, refresh, revocation; one fetch."""
    url = documents.document("/app.json")
    verifier = new_verifier()
    code = server.code(url, verifier, redirect_uri=CALLBACK, scope="profile email")
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    response = server.post(server.token_url, {**form, "client_id": url, "redirect_uri": CALLBACK})
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["scope"] == "email profile" and "refresh_token" in tokens
    response = server.post(
        server.token_url, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": url}
    )
    assert response.status_code == 200, response.text
    access_token = response.json()["access_token"]
    assert provider.authenticate_token(access_token).client_id == url
    response = server.post(server.revoke_url, {"token": access_token, "client_id": url})
    assert response.status_code == 200, response.text
    with pytest.raises(InvalidToken):
        provider.authenticate_token(access_token)
    assert documents.hits["/app.json"] == 1
    assert provider.list_clients() == []


@pytest.mark.rfc(DRAFT, "4.3")
def test_a_failed_fetch_is_shown_never_redirected(
    provider: Proauth2, documents: DocumentServer, server: Server
) -> None:
    url = documents.url("/missing.json")
    response = server.authorize(**authorization_query(url, new_verifier()))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "the client&#x27;s metadata document could not be fetched: HTTP 404" in response.text
    with pytest.raises(InvalidClient) as caught:
        provider.parse_authorization_request(authorization_query(url, new_verifier()))
    assert caught.value.redirect_uri is None and caught.value.status_code == 401
    assert caught.value.error_description == "the client's metadata document could not be fetched: HTTP 404"


@pytest.mark.rfc(DRAFT, "4.3")
def test_a_failed_fetch_at_the_token_endpoint_is_invalid_client(documents: DocumentServer, server: Server) -> None:
    url = documents.answer("/broken.json", Answer(b"oops", status="500 Internal Server Error"))
    response = server.post(
        server.token_url, {"grant_type": "authorization_code", "code": "x", "code_verifier": "y", "client_id": url}
    )
    body = assert_oauth_error(response, 401, "invalid_client")
    assert body["error_description"] == "the client's metadata document could not be fetched: HTTP 500"


def test_a_document_client_must_not_present_a_secret(documents: DocumentServer, server: Server) -> None:
    """Its method is none: Basic credentials naming it are a failed client authentication."""
    url = documents.document("/app.json")
    verifier = new_verifier()
    code = server.code(url, verifier, redirect_uri=CALLBACK)
    response = server.post(
        server.token_url,
        {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": CALLBACK},
        auth=(url, "a-guessed-secret"),
    )
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.rfc(DRAFT, "6.1")
def test_a_redirect_uri_not_in_the_document_is_shown(provider: Proauth2, documents: DocumentServer) -> None:
    url = documents.document("/app.json")
    query = authorization_query(url, new_verifier(), redirect_uri="https://evil.example.net/callback")
    with pytest.raises(InvalidRequest) as caught:
        provider.parse_authorization_request(query)
    assert caught.value.redirect_uri is None
    assert caught.value.error_description == "redirect_uri is not registered for this client"


def test_scopes_are_the_documents_within_the_servers(provider: Proauth2, documents: DocumentServer) -> None:
    """The document's scope is intersected with what the server offers; nothing is granted without asking."""
    url = documents.document("/app.json", scope="profile calendar")
    client = provider.get_client(url)
    assert client is not None and client.scopes == {"profile"} and client.default_scope == frozenset()
    with pytest.raises(InvalidScope):
        provider.parse_authorization_request(authorization_query(url, new_verifier(), scope="email"))


def test_grant_types_come_from_the_document(provider: Proauth2, documents: DocumentServer) -> None:
    """Only authorization_code and refresh_token are taken; without refresh_token, no refresh."""
    url = documents.document("/app.json", grant_types=["authorization_code", "client_credentials"])
    verifier = new_verifier()
    request = provider.parse_authorization_request(authorization_query(url, verifier))
    assert request.client.grant_types == ("authorization_code",)
    code = provider.authorization_response(request, USER_ID)["code"]
    tokens = provider.request_access_token(
        "authorization_code", url, code=code, redirect_uri=CALLBACK, code_verifier=verifier
    )
    with pytest.raises(UnauthorizedClient):
        provider.request_access_token("refresh_token", url, refresh_token=tokens.get("refresh_token", "x"))
    with pytest.raises(UnauthorizedClient):
        provider.request_access_token("client_credentials", url)


def test_the_name_defaults_to_the_host_and_the_consent_page_sees_the_host(
    provider: Proauth2, documents: DocumentServer
) -> None:
    url = documents.document("/app.json", client_name=None)
    client = provider.get_client(url)
    assert client is not None and client.name == HOST and client.document_host == HOST
    registered = provider.register_app("Registered", [CALLBACK])
    stored = provider.get_client(registered.client_id)
    assert stored is not None and stored.document_host is None


def test_document_clients_cannot_be_changed_or_deleted(provider: Proauth2, documents: DocumentServer) -> None:
    """They are not stored: updating, rotating or deleting one finds no client, and fetches nothing."""
    url = documents.document("/app.json")
    with pytest.raises(InvalidClient, match="no such client"):
        provider.update_client(url, name="Renamed")
    with pytest.raises(InvalidClient, match="no such client"):
        provider.rotate_client_secret(url)
    assert provider.delete_client(url) is False
    assert documents.hits["/app.json"] == 0


def test_off_a_url_client_id_is_an_unknown_client_and_nothing_is_fetched(
    store: PeeweeDataStore, documents: DocumentServer
) -> None:
    provider = Proauth2(store, issuer="https://auth.example.com", scopes="profile")
    assert provider.client_documents is None
    url = documents.document("/app.json")
    assert provider.get_client(url) is None
    with pytest.raises(InvalidClient, match="unknown client_id"):
        provider.parse_authorization_request(authorization_query(url, new_verifier()))
    assert documents.hits["/app.json"] == 0


def test_registered_clients_are_found_as_before(provider: Proauth2, documents: DocumentServer) -> None:
    """An identifier that is no URL is never fetched; an unknown one is still None."""
    registered = provider.register_app("Registered", [CALLBACK])
    client = provider.get_client(registered.client_id)
    assert client is not None and client.name == "Registered"
    assert provider.get_client("no-such-client") is None
    assert sum(documents.hits.values()) == 0
