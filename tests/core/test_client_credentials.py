"""The client credentials grant (RFC 6749 §4.4): confidential clients, no user, no refresh token."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.errors import InvalidClient, InvalidClientMetadata, InvalidScope, UnauthorizedClient
from tests.core.helpers import LOOPBACK, REDIRECT

pytestmark = pytest.mark.backends


@pytest.mark.rfc("6749", "4.4.3")
def test_service_gets_an_access_token_without_refresh_token_or_user(
    provider: Proauth2, machine: ClientCredentials
) -> None:
    """RFC 6749 §4.4.3: an access token for the client itself; a refresh token SHOULD NOT be included."""
    response = provider.request_access_token(
        "client_credentials", machine.client_id, machine.client_secret, scope="email", auth_method="client_secret_post"
    )
    assert set(response) == {"access_token", "token_type", "expires_in", "scope"}
    token = provider.authenticate_token(response["access_token"], "email")
    assert (token.client_id, token.user_id, token.scope) == (machine.client_id, None, "email")
    introspection = provider.introspect_token(response["access_token"])
    assert introspection["active"] and "sub" not in introspection and "username" not in introspection


@pytest.mark.rfc("6749", "4.4.2")
def test_each_request_is_its_own_grant(provider: Proauth2, machine: ClientCredentials) -> None:
    """RFC 6749 §4.4.2: revoking one client credentials token leaves the next one alone."""
    first = provider.request_access_token("client_credentials", machine.client_id, machine.client_secret)
    second = provider.request_access_token("client_credentials", machine.client_id, machine.client_secret)
    provider.revoke_token(first["access_token"], client_id=machine.client_id)
    assert provider.authenticate_token(second["access_token"]).client_id == machine.client_id


@pytest.mark.rfc("6749", "4.4.2")
@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        pytest.param(None, "profile", id="default-scope"),
        pytest.param("email", "email", id="allowed-scope"),
        pytest.param("profile email", "email profile", id="all-allowed"),
    ],
)
def test_scope_within_the_clients_allowance(
    provider: Proauth2, machine: ClientCredentials, requested: str | None, granted: str
) -> None:
    """RFC 6749 §4.4.2, §3.3: the requested (or default) scope, within what the client may have."""
    assert (
        provider.request_access_token("client_credentials", machine.client_id, machine.client_secret, scope=requested)[
            "scope"
        ]
        == granted
    )


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    "requested",
    [pytest.param("admin", id="not-allowed-for-client"), pytest.param("payments", id="unknown")],
)
def test_scope_outside_the_allowance_is_invalid_scope(
    provider: Proauth2, machine: ClientCredentials, requested: str
) -> None:
    """RFC 6749 §5.2: a scope the client may not have -> invalid_scope."""
    with pytest.raises(InvalidScope):
        provider.request_access_token("client_credentials", machine.client_id, machine.client_secret, scope=requested)


@pytest.mark.rfc("6749", "4.4")
def test_public_clients_cannot_register_for_it(provider: Proauth2) -> None:
    """RFC 6749 §4.4: "MUST only be used by confidential clients"."""
    with pytest.raises(InvalidClientMetadata):
        provider.register_app("Native", [LOOPBACK], grant_types=["client_credentials"], auth_method="none")


@pytest.mark.rfc("6749", "4.4")
def test_public_client_is_refused(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 6749 §4.4: a public client asking for client credentials -> unauthorized_client."""
    with pytest.raises(UnauthorizedClient):
        provider.request_access_token("client_credentials", public.client_id, auth_method="none")


@pytest.mark.rfc("6749", "5.2")
def test_client_must_be_registered_for_it(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §5.2: a client not registered for client_credentials -> unauthorized_client."""
    with pytest.raises(UnauthorizedClient):
        provider.request_access_token("client_credentials", confidential.client_id, confidential.client_secret)


@pytest.mark.rfc("6749", "4.4.2")
@pytest.mark.parametrize(
    ("secret", "method"),
    [
        pytest.param("wrong", "client_secret_post", id="wrong-secret"),
        pytest.param(None, "client_secret_post", id="no-secret"),
        pytest.param("right", "client_secret_basic", id="other-method"),
    ],
)
def test_client_must_authenticate(
    provider: Proauth2, machine: ClientCredentials, secret: str | None, method: str
) -> None:
    """RFC 6749 §4.4.2: "The client MUST authenticate with the authorization server"."""
    presented = machine.client_secret if secret == "right" else secret
    with pytest.raises(InvalidClient):
        provider.request_access_token("client_credentials", machine.client_id, presented, auth_method=method)


@pytest.mark.rfc("7591", "2")
def test_client_credentials_combined_with_code_grant(provider: Proauth2) -> None:
    """RFC 7591 §2: a confidential client may hold both grants; client credentials still issues no refresh token."""
    both = provider.register_app(
        "Both", [REDIRECT], grant_types=["authorization_code", "refresh_token", "client_credentials"]
    )
    assert "refresh_token" not in provider.request_access_token(
        "client_credentials", both.client_id, both.client_secret
    )
