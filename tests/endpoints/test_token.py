"""The token endpoint over real HTTP (RFC 6749 §2.3.1, §4.1.3, §4.4, §5, §6; RFC 9700)."""

from __future__ import annotations

import base64

import pytest
import requests

from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.models import ClientCredentials
from proauth2_wsgi.stores import PeeweeDataStore
from tests.endpoints.helpers import REDIRECT_URI, USER_ID, Server, assert_oauth_error, new_verifier
from tests.http_server import serve


def _percent_encode_all(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


@pytest.mark.rfc("6749", "4.1.4")
def test_code_exchange_json_no_store_rfc6749_4_1_4_and_5_1(server: Server, confidential: ClientCredentials) -> None:
    """A code and its verifier buy an access and a refresh token, as JSON nobody caches."""
    verifier = new_verifier()
    code = server.code(confidential.client_id, verifier, scope="profile email")
    response = server.post(
        server.token_url,
        {"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
        auth=(confidential.client_id, confidential.client_secret),
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "email profile"
    assert body["expires_in"] > 0
    assert {"access_token", "refresh_token"} <= set(body)


@pytest.mark.rfc("6749", "2.3.1")
def test_basic_credentials_are_form_urlencoded_rfc6749_2_3_1(server: Server, confidential: ClientCredentials) -> None:
    """The id and secret inside Basic are form-urlencoded first; the server decodes them."""
    verifier = new_verifier()
    code = server.code(confidential.client_id, verifier)
    userpass = f"{_percent_encode_all(confidential.client_id)}:{_percent_encode_all(confidential.client_secret)}"
    header = "Basic " + base64.b64encode(userpass.encode()).decode()
    response = server.post(
        server.token_url,
        {"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
        headers={"Authorization": header},
    )
    assert response.status_code == 200, response.text


@pytest.mark.rfc("6749", "2.3.1")
def test_client_secret_post_rfc6749_2_3_1(server: Server, post_client: ClientCredentials) -> None:
    verifier = new_verifier()
    code = server.code(post_client.client_id, verifier)
    response = server.post(
        server.token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": post_client.client_id,
            "client_secret": post_client.client_secret,
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.rfc("6749", "2.1")
def test_public_client_sends_only_its_id_rfc6749_2_1_and_rfc7636(server: Server, public: ClientCredentials) -> None:
    verifier = new_verifier()
    code = server.code(public.client_id, verifier, redirect_uri="http://127.0.0.1:8123/callback")
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    data |= {"client_id": public.client_id, "redirect_uri": "http://127.0.0.1:8123/callback"}
    response = server.post(server.token_url, data)
    assert response.status_code == 200, response.text


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    "auth",
    [
        pytest.param("wrong-secret", id="wrong-secret"),
        pytest.param("", id="empty-secret"),
    ],
)
def test_failed_basic_authentication_is_401_with_challenge_rfc6749_5_2(
    server: Server, confidential: ClientCredentials, auth: str
) -> None:
    response = server.post(server.token_url, {"grant_type": "client_credentials"}, auth=(confidential.client_id, auth))
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="https://auth.example.com"'
    assert confidential.client_id not in response.text


@pytest.mark.rfc("6749", "5.2")
def test_failed_post_authentication_is_401_rfc6749_5_2(server: Server, post_client: ClientCredentials) -> None:
    data = {"grant_type": "client_credentials", "client_id": post_client.client_id, "client_secret": "nope"}
    assert_oauth_error(server.post(server.token_url, data), 401, "invalid_client")


@pytest.mark.rfc("6749", "5.2")
def test_unknown_client_is_invalid_client_rfc6749_5_2(server: Server) -> None:
    response = server.post(server.token_url, {"grant_type": "client_credentials"}, auth=("nobody", "secret"))
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.rfc("6749", "2.3")
def test_only_the_registered_method_authenticates_rfc6749_2_3(server: Server, confidential: ClientCredentials) -> None:
    """A client_secret_basic client presenting its secret in the body is refused."""
    data = {
        "grant_type": "client_credentials",
        "client_id": confidential.client_id,
        "client_secret": confidential.client_secret,
    }
    assert_oauth_error(server.post(server.token_url, data), 401, "invalid_client")


@pytest.mark.rfc("6749", "2.3")
def test_basic_and_post_together_are_invalid_request_rfc6749_2_3(
    server: Server, confidential: ClientCredentials
) -> None:
    """RFC 6749 §2.3: the client MUST NOT use more than one authentication method per request."""
    data = {"grant_type": "client_credentials", "client_secret": confidential.client_secret}
    response = server.post(server.token_url, data, auth=(confidential.client_id, confidential.client_secret))
    body = assert_oauth_error(response, 400, "invalid_request")
    assert confidential.client_secret not in response.text
    assert "error_description" in body


@pytest.mark.rfc("6749", "2.3.1")
def test_client_id_must_agree_with_basic_rfc6749_2_3_1(
    server: Server, confidential: ClientCredentials, post_client: ClientCredentials
) -> None:
    data = {"grant_type": "client_credentials", "client_id": post_client.client_id}
    response = server.post(server.token_url, data, auth=(confidential.client_id, confidential.client_secret))
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.rfc("6749", "4.1.2")
def test_code_replay_fails_and_revokes_its_tokens_rfc6749_4_1_2(
    server: Server, confidential: ClientCredentials, service: ClientCredentials
) -> None:
    verifier = new_verifier()
    code = server.code(confidential.client_id, verifier)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    auth = (confidential.client_id, confidential.client_secret)
    first = server.post(server.token_url, data, auth=auth)
    assert first.status_code == 200
    assert_oauth_error(server.post(server.token_url, data, auth=auth), 400, "invalid_grant")
    introspector = (service.client_id, service.client_secret)
    assert server.introspect(first.json()["access_token"], introspector) == {"active": False}
    assert server.introspect(first.json()["refresh_token"], introspector) == {"active": False}


@pytest.mark.rfc("6749", "4.1.3")
def test_redirect_uri_must_be_repeated_rfc6749_4_1_3(server: Server, confidential: ClientCredentials) -> None:
    verifier = new_verifier()
    code = server.code(confidential.client_id, verifier, redirect_uri=REDIRECT_URI)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    auth = (confidential.client_id, confidential.client_secret)
    assert_oauth_error(server.post(server.token_url, data, auth=auth), 400, "invalid_grant")


@pytest.mark.rfc("7636", "4.6")
def test_wrong_code_verifier_is_invalid_grant_rfc7636_4_6(server: Server, confidential: ClientCredentials) -> None:
    code = server.code(confidential.client_id, new_verifier())
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": new_verifier()}
    auth = (confidential.client_id, confidential.client_secret)
    assert_oauth_error(server.post(server.token_url, data, auth=auth), 400, "invalid_grant")


@pytest.mark.rfc("9700", "4.14.2")
def test_refresh_rotates_and_reuse_revokes_the_grant_rfc9700_4_14_2(
    server: Server, confidential: ClientCredentials, service: ClientCredentials
) -> None:
    auth = (confidential.client_id, confidential.client_secret)
    first = server.tokens(*auth, scope="profile email")
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "profile"}
    second = server.post(server.token_url, refresh, auth=auth)
    assert second.status_code == 200
    assert second.json()["scope"] == "profile"  # narrowed, RFC 6749 §6
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert_oauth_error(server.post(server.token_url, refresh, auth=auth), 400, "invalid_grant")
    introspector = (service.client_id, service.client_secret)
    assert server.introspect(second.json()["access_token"], introspector) == {"active": False}


@pytest.mark.rfc("6749", "6")
def test_refresh_cannot_widen_scope_rfc6749_6(server: Server, confidential: ClientCredentials) -> None:
    auth = (confidential.client_id, confidential.client_secret)
    first = server.tokens(*auth, scope="profile")
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "profile admin"}
    assert_oauth_error(server.post(server.token_url, refresh, auth=auth), 400, "invalid_scope")


@pytest.mark.rfc("6749", "4.4")
def test_client_credentials_rfc6749_4_4(server: Server, service: ClientCredentials) -> None:
    """No user and no refresh token (RFC 6749 §4.4.3)."""
    data = {"grant_type": "client_credentials", "scope": "email"}
    response = server.post(server.token_url, data, auth=(service.client_id, service.client_secret))
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "email"
    assert "refresh_token" not in body
    assert "sub" not in server.introspect(body["access_token"], (service.client_id, service.client_secret))


@pytest.mark.rfc("6749", "5.2")
def test_grant_not_allowed_for_client_is_unauthorized_client_rfc6749_5_2(
    server: Server, confidential: ClientCredentials
) -> None:
    auth = (confidential.client_id, confidential.client_secret)
    response = server.post(server.token_url, {"grant_type": "client_credentials"}, auth=auth)
    assert_oauth_error(response, 400, "unauthorized_client")


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    "grant_type",
    [
        pytest.param("password", id="password-rfc9700-2.4"),
        pytest.param("implicit", id="implicit-rfc9700-2.1.2"),
        pytest.param("token", id="token"),
        pytest.param("urn:ietf:params:oauth:grant-type:device_code", id="device-code"),
        pytest.param("AUTHORIZATION_CODE", id="wrong-case"),
    ],
)
def test_unsupported_grant_types_rfc6749_5_2(server: Server, service: ClientCredentials, grant_type: str) -> None:
    data = {"grant_type": grant_type, "username": USER_ID, "password": "pw"}
    response = server.post(server.token_url, data, auth=(service.client_id, service.client_secret))
    assert_oauth_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql://postgres@127.0.0.1:1/proauth2", id="postgresql"),
        pytest.param("mysql://root@127.0.0.1:1/proauth2", id="mysql"),
    ],
)
def test_storage_outage_is_503_with_retry_after(url: str) -> None:
    """An unreachable database answers 503 ``temporarily_unavailable``, never 401 or 500."""
    provider = Proauth2(PeeweeDataStore(url, auto_migrate=False, timeout=2), issuer="https://auth.example.com")
    with serve(AuthorizationServer(provider)) as base_url:
        response = requests.post(
            base_url + "/oauth/token", data={"grant_type": "client_credentials"}, auth=("id", "secret"), timeout=10
        )
    assert_oauth_error(response, 503, "temporarily_unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert "secret" not in response.text
    assert "127.0.0.1" not in response.text and "proauth2" not in response.text  # no internal address
