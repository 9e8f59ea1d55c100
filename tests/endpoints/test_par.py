"""The pushed authorization request endpoint over real HTTP (RFC 9126), then the host's authorize view.

The client pushes to ``/oauth/par`` (authenticated as at the token endpoint)
and sends the browser to ``/authorize`` with ``client_id`` and ``request_uri``
only; the host view is the plain-WSGI helpers' (tests/endpoints/helpers.py),
unchanged. Every test runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from joserfc.jwk import Key

from proauth2_wsgi import ClientCredentials, Proauth2, Settings
from proauth2_wsgi.pushed_requests import REQUEST_URI_PREFIX
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.dpop.proofs import make_proof, new_key
from tests.endpoints.helpers import REDIRECT_URI, Server, assert_oauth_error, new_verifier, redirect_params, s256

pytestmark = pytest.mark.backends

RFC = "9126"
ISSUER = "https://auth.example.com"
#: the PAR endpoint's public URL: what a DPoP proof sent to it names (RFC 9449 §4.3 ``htu``)
PAR_ENDPOINT = ISSUER + "/oauth/par"
LOOPBACK = "http://127.0.0.1/callback"
STATE = "par-state"


def par_url(server: Server) -> str:
    return server.url + "/oauth/par"


def pushed_form(client: str, verifier: str, **overrides: str | None) -> dict[str, str]:
    """A valid authorization request's parameters for the client of id ``client``, as a PAR body."""
    form: dict[str, str | None] = {
        "client_id": client,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "email",
        "state": STATE,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }
    return {name: value for name, value in form.items() if value is not None}


def basic(client: ClientCredentials) -> tuple[str, str]:
    return (client.client_id, client.client_secret or "")


def push(server: Server, client: ClientCredentials, verifier: str, **overrides: Any) -> str:
    """Push with client_secret_basic; the ``request_uri`` of the 201."""
    response = server.post(par_url(server), pushed_form(client.client_id, verifier, **overrides), auth=basic(client))
    assert response.status_code == 201, response.text
    return str(response.json()["request_uri"])


def by_reference(server: Server, client_id: str, request_uri: str, **beside: str) -> requests.Response:
    """The browser's authorization request: client_id and request_uri (and whatever else it was given)."""
    return server.authorize(client_id=client_id, request_uri=request_uri, **beside)


def assert_error_page(response: requests.Response, error: str = "invalid_request_uri") -> None:
    """Shown to the user: a 400 HTML page, no redirect anywhere."""
    assert response.status_code == 400, response.text
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert error in response.text


def exchange(server: Server, client: ClientCredentials, code: str, verifier: str, **extra: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, **extra}
    if client.client_secret is None:
        return server.post(server.token_url, {**form, "client_id": client.client_id})
    return server.post(server.token_url, form, auth=basic(client))


@pytest.mark.rfc(RFC, "2.2")
def test_a_confidential_client_pushes_then_authorizes_by_reference(
    server: Server, confidential: ClientCredentials
) -> None:
    verifier = new_verifier()
    response = server.post(par_url(server), pushed_form(confidential.client_id, verifier), auth=basic(confidential))
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"} and body["expires_in"] == 60
    assert body["request_uri"].startswith(REQUEST_URI_PREFIX)
    answer = by_reference(server, confidential.client_id, body["request_uri"])
    assert answer.status_code == 303 and answer.headers["Location"].startswith(REDIRECT_URI + "?")
    params = redirect_params(answer)
    assert params["state"] == STATE and params["iss"] == ISSUER
    tokens = exchange(server, confidential, params["code"], verifier, redirect_uri=REDIRECT_URI)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "email"


@pytest.mark.rfc(RFC, "2.1")
def test_a_public_client_pushes_with_pkce_and_its_client_id(server: Server, public: ClientCredentials) -> None:
    verifier = new_verifier()
    form = pushed_form(public.client_id, verifier, redirect_uri=LOOPBACK, scope="profile")
    response = server.post(par_url(server), form)
    assert response.status_code == 201, response.text
    params = redirect_params(by_reference(server, public.client_id, response.json()["request_uri"]))
    tokens = exchange(server, public, params["code"], verifier, redirect_uri=LOOPBACK)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "profile"


@pytest.mark.rfc(RFC, "2.1")
def test_a_public_client_must_still_use_pkce(server: Server, public: ClientCredentials) -> None:
    form = pushed_form(public.client_id, new_verifier(), redirect_uri=LOOPBACK)
    del form["code_challenge"], form["code_challenge_method"]
    assert_oauth_error(server.post(par_url(server), form), 400, "invalid_request")


@pytest.mark.rfc(RFC, "2.1")
def test_client_secret_post_credentials_are_not_stored_with_the_request(
    server: Server, store: PeeweeDataStore, post_client: ClientCredentials
) -> None:
    verifier = new_verifier()
    form = {**pushed_form(post_client.client_id, verifier), "client_secret": post_client.client_secret or ""}
    assert server.post(par_url(server), form).status_code == 201
    (row,) = store.fetch_all("pushed_requests")
    assert "client_secret" not in row["parameters"]
    assert (post_client.client_secret or "-") not in repr(row)


@pytest.mark.rfc(RFC, "2.3")
@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param("wrong", id="wrong-secret"),
        pytest.param(None, id="no-credentials-for-a-confidential-client"),
        pytest.param("unknown-client", id="unknown-client"),
    ],
)
def test_failed_client_authentication_is_401_invalid_client(
    server: Server, confidential: ClientCredentials, credentials: str | None
) -> None:
    form = pushed_form(confidential.client_id, new_verifier())
    if credentials == "unknown-client":
        auth: tuple[str, str] | None = ("no-such-client", "secret")
        form["client_id"] = "no-such-client"
    else:
        auth = None if credentials is None else (confidential.client_id, credentials)
    response = server.post(par_url(server), form, auth=auth)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.rfc(RFC, "2.1")
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request", id="bad-redirect-rfc9126-2.3"),
        pytest.param({"redirect_uri": REDIRECT_URI + "#frag"}, "invalid_request", id="redirect-with-fragment"),
        pytest.param({"scope": "no-such-scope"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain-pkce"),
        pytest.param({"request_uri": REQUEST_URI_PREFIX + "A" * 43}, "invalid_request", id="request-uri-rfc9126-2.1"),
        pytest.param({"request": "eyJhbGciOiJub25lIn0.e30."}, "invalid_request", id="request-object-rfc9126-3"),
        pytest.param({"client_id": None}, "invalid_request", id="no-client-id-rfc9126-2.1"),
        pytest.param({"dpop_jkt": "not-a-thumbprint"}, "invalid_request", id="bad-dpop-jkt"),
    ],
)
def test_a_bad_pushed_request_is_a_json_error_never_a_redirect(
    server: Server,
    store: PeeweeDataStore,
    confidential: ClientCredentials,
    overrides: dict[str, str | None],
    error: str,
) -> None:
    response = server.post(
        par_url(server), pushed_form(confidential.client_id, new_verifier(), **overrides), auth=basic(confidential)
    )
    body = assert_oauth_error(response, 400, error)
    assert "Location" not in response.headers and "state" not in body
    assert store.fetch_all("pushed_requests") == []


@pytest.mark.rfc(RFC, "2.1")
def test_a_body_client_id_naming_another_client_is_invalid_request(
    server: Server, confidential: ClientCredentials, post_client: ClientCredentials
) -> None:
    form = pushed_form(post_client.client_id, new_verifier())
    assert_oauth_error(server.post(par_url(server), form, auth=basic(confidential)), 400, "invalid_request")


@pytest.mark.rfc(RFC, "2")
@pytest.mark.parametrize(
    ("method", "data", "headers", "status"),
    [
        pytest.param("GET", None, {}, 405, id="get"),
        pytest.param("POST", '{"client_id": "x"}', {"Content-Type": "application/json"}, 400, id="json-body"),
        pytest.param("POST", "state=a&state=b", {}, 400, id="repeated-parameter"),
        pytest.param("POST", "state=%ff", {}, 400, id="not-utf-8"),
    ],
)
def test_only_a_form_post_is_accepted(
    server: Server,
    confidential: ClientCredentials,
    method: str,
    data: str | None,
    headers: dict[str, str],
    status: int,
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    response = requests.request(
        method, par_url(server), data=data, headers=headers, auth=basic(confidential), timeout=10
    )
    assert_oauth_error(response, status, "invalid_request")
    if status == 405:
        assert response.headers["Allow"] == "POST"


@pytest.mark.rfc(RFC, "4")
def test_a_used_request_uri_is_an_error_page(server: Server, confidential: ClientCredentials) -> None:
    """RFC 9126 §4, §7.3: one-time use; the second authorization request is shown, never redirected."""
    request_uri = push(server, confidential, new_verifier())
    assert by_reference(server, confidential.client_id, request_uri).status_code == 303
    assert_error_page(by_reference(server, confidential.client_id, request_uri))


@pytest.mark.rfc(RFC, "4")
def test_a_denied_request_uri_is_used_up_too(server: Server, confidential: ClientCredentials) -> None:
    request_uri = push(server, confidential, new_verifier())
    server.view.approve = False
    denied = by_reference(server, confidential.client_id, request_uri)
    assert redirect_params(denied)["error"] == "access_denied"
    server.view.approve = True
    assert_error_page(by_reference(server, confidential.client_id, request_uri))


@pytest.mark.rfc(RFC, "4")
def test_another_clients_request_uri_is_an_error_page(
    server: Server, confidential: ClientCredentials, post_client: ClientCredentials
) -> None:
    """The thief's own redirect_uri is registered, and still nothing is redirected."""
    request_uri = push(server, confidential, new_verifier())
    assert_error_page(by_reference(server, post_client.client_id, request_uri, redirect_uri=REDIRECT_URI))
    assert by_reference(server, confidential.client_id, request_uri).status_code == 303


@pytest.mark.rfc(RFC, "4")
def test_an_expired_request_uri_is_an_error_page(
    server: Server, confidential: ClientCredentials, clock: FakeClock
) -> None:
    request_uri = push(server, confidential, new_verifier())
    clock.advance(60)
    assert_error_page(by_reference(server, confidential.client_id, request_uri))


@pytest.mark.rfc(RFC, "4")
def test_an_unknown_request_uri_is_an_error_page_even_for_a_client_with_one_redirect(
    server: Server, confidential: ClientCredentials
) -> None:
    assert_error_page(by_reference(server, confidential.client_id, REQUEST_URI_PREFIX + "A" * 43))


@pytest.mark.rfc(RFC, "4")
def test_parameters_beside_the_request_uri_have_no_effect(
    server: Server, provider: Proauth2, confidential: ClientCredentials
) -> None:
    """A redirect_uri, scope and state added in the browser are ignored: the pushed ones are used."""
    provider.update_client(confidential.client_id, redirect_uris=[REDIRECT_URI, "https://client.example.com/other"])
    verifier = new_verifier()
    request_uri = push(server, confidential, verifier)
    answer = by_reference(
        server,
        confidential.client_id,
        request_uri,
        redirect_uri="https://client.example.com/other",
        scope="admin profile",
        state="forged",
        response_type="token",
    )
    assert answer.headers["Location"].startswith(REDIRECT_URI + "?")
    params = redirect_params(answer)
    assert params["state"] == STATE
    tokens = exchange(server, confidential, params["code"], verifier, redirect_uri=REDIRECT_URI).json()
    assert tokens["scope"] == "email"


@pytest.mark.rfc(RFC, "6")
def test_a_client_registered_to_require_par_must_push(server: Server) -> None:
    registered = requests.post(
        server.register_url,
        json={"redirect_uris": [REDIRECT_URI], "require_pushed_authorization_requests": True},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    client = registered.json()
    assert client["require_pushed_authorization_requests"] is True
    credentials = ClientCredentials(client["client_id"], client["client_secret"])
    verifier = new_verifier()
    direct = server.authorize(**pushed_form(credentials.client_id, verifier))
    assert direct.status_code == 303  # a registered redirect_uri: the error goes back to the client (RFC 6749 §4.1.2.1)
    assert redirect_params(direct)["error"] == "invalid_request" and redirect_params(direct)["state"] == STATE
    request_uri = push(server, credentials, verifier)
    assert "code" in redirect_params(by_reference(server, credentials.client_id, request_uri))


@pytest.mark.rfc(RFC, "6")
def test_require_par_metadata_must_be_a_boolean(server: Server) -> None:
    response = requests.post(
        server.register_url,
        json={"redirect_uris": [REDIRECT_URI], "require_pushed_authorization_requests": "yes"},
        timeout=10,
    )
    assert_oauth_error(response, 400, "invalid_client_metadata")


@pytest.mark.rfc(RFC, "5")
def test_metadata_names_the_endpoint_and_the_requirement(server: Server) -> None:
    document = requests.get(server.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert document["pushed_authorization_request_endpoint"] == PAR_ENDPOINT
    assert document["require_pushed_authorization_requests"] is False


class TestRequiredServerWide:
    """``require_pushed_authorization_requests=True``: every client must push (RFC 9126 §5; FAPI 2.0)."""

    @pytest.fixture
    def settings(self, clock: FakeClock) -> Settings:
        return Settings(
            issuer=ISSUER,
            scopes={"profile": "Read your profile", "email": "Read your email"},
            default_scope="profile",
            require_pushed_authorization_requests=True,
            clock=clock,
        )

    @pytest.mark.rfc(RFC, "5")
    def test_metadata_says_so(self, server: Server) -> None:
        document = requests.get(server.url + "/.well-known/oauth-authorization-server", timeout=10).json()
        assert document["require_pushed_authorization_requests"] is True

    @pytest.mark.rfc(RFC, "4")
    def test_a_request_not_pushed_is_invalid_request(self, server: Server, confidential: ClientCredentials) -> None:
        verifier = new_verifier()
        direct = server.authorize(**pushed_form(confidential.client_id, verifier))
        assert redirect_params(direct)["error"] == "invalid_request"
        request_uri = push(server, confidential, verifier)
        code = redirect_params(by_reference(server, confidential.client_id, request_uri))["code"]
        assert exchange(server, confidential, code, verifier, redirect_uri=REDIRECT_URI).status_code == 200


# -- DPoP (RFC 9449 §10.1): a proof at the PAR endpoint binds the code ------------------------------------------


@pytest.fixture(scope="module")
def key() -> Key:
    return new_key("ES256")


def proof(key: Key, clock: FakeClock, htu: str = PAR_ENDPOINT) -> str:
    """A fresh proof by ``key`` for a POST to ``htu``, made at the server's (fake) time."""
    return make_proof(key, htu=htu, iat=clock.now)


@pytest.mark.rfc("9449", "10.1")
def test_a_dpop_proof_at_the_par_endpoint_binds_the_code_to_its_key(
    server: Server, public: ClientCredentials, store: PeeweeDataStore, key: Key, clock: FakeClock
) -> None:
    verifier = new_verifier()
    form = pushed_form(public.client_id, verifier, redirect_uri=LOOPBACK)
    response = server.post(par_url(server), form, headers={"DPoP": proof(key, clock)})
    assert response.status_code == 201, response.text
    (row,) = store.fetch_all("pushed_requests")
    assert row["parameters"]["dpop_jkt"] == [key.thumbprint()]
    code = redirect_params(by_reference(server, public.client_id, response.json()["request_uri"]))["code"]
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "client_id": public.client_id}
    assert_oauth_error(server.post(server.token_url, {**form, "redirect_uri": LOOPBACK}), 400, "invalid_grant")
    token_proof = proof(key, clock, ISSUER + "/oauth/token")
    tokens = server.post(server.token_url, {**form, "redirect_uri": LOOPBACK}, headers={"DPoP": token_proof})
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "DPoP"


@pytest.mark.rfc("9449", "10.1")
def test_a_proof_and_a_dpop_jkt_of_another_key_are_refused(
    server: Server, public: ClientCredentials, key: Key, clock: FakeClock
) -> None:
    other = new_key("ES256")
    form = pushed_form(public.client_id, new_verifier(), redirect_uri=LOOPBACK, dpop_jkt=other.thumbprint())
    response = server.post(par_url(server), form, headers={"DPoP": proof(key, clock)})
    assert_oauth_error(response, 400, "invalid_dpop_proof")
    same = pushed_form(public.client_id, new_verifier(), redirect_uri=LOOPBACK, dpop_jkt=key.thumbprint())
    assert server.post(par_url(server), same, headers={"DPoP": proof(key, clock)}).status_code == 201


@pytest.mark.rfc("9449", "10.1")
@pytest.mark.parametrize(
    "htu",
    [
        pytest.param(ISSUER + "/oauth/token", id="proof-for-another-endpoint"),
        pytest.param(None, id="replayed-proof"),
    ],
)
def test_a_bad_or_replayed_proof_is_refused(
    server: Server, public: ClientCredentials, store: PeeweeDataStore, key: Key, clock: FakeClock, htu: str | None
) -> None:
    form = pushed_form(public.client_id, new_verifier(), redirect_uri=LOOPBACK)
    proof_value = proof(key, clock, htu or PAR_ENDPOINT)
    if htu is None:
        assert server.post(par_url(server), form, headers={"DPoP": proof_value}).status_code == 201
    assert_oauth_error(server.post(par_url(server), form, headers={"DPoP": proof_value}), 400, "invalid_dpop_proof")
    assert len(store.fetch_all("pushed_requests")) == (1 if htu is None else 0)
