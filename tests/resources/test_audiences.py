"""Resource indicators (RFC 8707) on every backend: audiences asked for, stored, narrowed, reported."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Settings
from proauth2_wsgi.errors import InvalidScope, InvalidTarget, Proauth2Error
from tests.conftest import FakeClock
from tests.resources.conftest import ANY_API, ORDERS, REDIRECT, REPORTS, code_grant

pytestmark = [pytest.mark.backends, pytest.mark.rfc("8707", "2")]


def test_a_resource_at_the_authorization_request_becomes_the_tokens_audience(
    provider: Proauth2, app_client: ClientCredentials
) -> None:
    tokens = code_grant(provider, app_client, resources=(ANY_API,))
    access = provider.validate_token(tokens["access_token"])
    assert access.audience == (ANY_API,)
    assert provider.introspect_token(tokens["access_token"])["aud"] == ANY_API  # RFC 7662 §2.2
    assert tokens["access_token"].count(".") == 0  # ANY_API's tokens are opaque


def test_several_resources_are_one_audience_and_the_jwt_format_wins(
    provider: Proauth2, app_client: ClientCredentials
) -> None:
    tokens = code_grant(provider, app_client, resources=(ORDERS, ANY_API))
    assert tokens["access_token"].count(".") == 2  # ORDERS wants JWT access tokens
    assert provider.validate_token(tokens["access_token"]).audience == (ORDERS, ANY_API)
    assert provider.introspect_token(tokens["access_token"])["aud"] == [ORDERS, ANY_API]
    assert tokens["expires_in"] == 300  # a JWT resource's default lifetime: short


def test_the_token_request_narrows_the_audience_of_its_code(provider: Proauth2, app_client: ClientCredentials) -> None:
    tokens = code_grant(provider, app_client, resources=(ORDERS, ANY_API), resource=ANY_API)
    assert provider.validate_token(tokens["access_token"]).audience == (ANY_API,)
    assert tokens["access_token"].count(".") == 0


def test_the_token_request_cannot_widen_the_audience_of_its_code(
    provider: Proauth2, app_client: ClientCredentials
) -> None:
    with pytest.raises(InvalidTarget, match="widen"):
        code_grant(provider, app_client, resources=(ANY_API,), resource=ORDERS)


@pytest.mark.rfc("8707", "2.2")
def test_a_refresh_narrows_the_audience_and_the_next_one_may_still_use_the_whole_grant(
    provider: Proauth2, app_client: ClientCredentials
) -> None:
    first = code_grant(provider, app_client, resources=(ORDERS, ANY_API))
    client_id, secret = app_client
    narrowed = provider.request_access_token(
        "refresh_token", client_id, secret, refresh_token=first["refresh_token"], resource=ANY_API
    )
    assert provider.validate_token(narrowed["access_token"]).audience == (ANY_API,)
    whole = provider.request_access_token("refresh_token", client_id, secret, refresh_token=narrowed["refresh_token"])
    assert provider.validate_token(whole["access_token"]).audience == (ORDERS, ANY_API)
    with pytest.raises(InvalidTarget):
        provider.request_access_token(
            "refresh_token", client_id, secret, refresh_token=whole["refresh_token"], resource=REPORTS
        )
    # the refused refresh changed nothing: its refresh token still works once
    again = provider.request_access_token("refresh_token", client_id, secret, refresh_token=whole["refresh_token"])
    assert provider.validate_token(again["access_token"]).audience == (ORDERS, ANY_API)


def test_a_grant_of_no_audience_lets_the_token_request_name_one(
    provider: Proauth2, app_client: ClientCredentials
) -> None:
    tokens = code_grant(provider, app_client, resource=ANY_API)
    assert provider.validate_token(tokens["access_token"]).audience == (ANY_API,)


def test_without_resource_everything_is_as_before(provider: Proauth2, app_client: ClientCredentials) -> None:
    tokens = code_grant(provider, app_client)
    access = provider.validate_token(tokens["access_token"])
    assert access.audience == () and tokens["expires_in"] == 3600 and tokens["access_token"].count(".") == 0
    assert "aud" not in provider.introspect_token(tokens["access_token"])


def test_client_credentials_take_resource_too(provider: Proauth2, service: ClientCredentials) -> None:
    client_id, secret = service
    tokens = provider.request_access_token("client_credentials", client_id, secret, resource=REPORTS, scope="reports")
    assert tokens["expires_in"] == 120  # REPORTS' own lifetime
    assert provider.validate_token(tokens["access_token"]).audience == (REPORTS,)


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param("https://unknown.example.com", id="unknown"),
        pytest.param("not a uri", id="malformed"),
        pytest.param(ORDERS + "#fragment", id="fragment"),
        pytest.param(ORDERS + "/", id="not-exactly-equal"),
        pytest.param("x" * 3000, id="long"),
    ],
)
def test_an_unknown_or_malformed_resource_is_invalid_target_everywhere(
    provider: Proauth2, app_client: ClientCredentials, service: ClientCredentials, resource: str
) -> None:
    with pytest.raises(Proauth2Error) as at_authorization:
        code_grant(provider, app_client, resources=(resource,))
    assert at_authorization.value.error == "invalid_target" and at_authorization.value.redirect_uri == REDIRECT
    with pytest.raises(InvalidTarget):
        provider.request_access_token("client_credentials", *service, resource=resource)
    assert provider.records.store.fetch_all("codes") == []  # no code was issued


def test_a_client_limited_to_some_resources_gets_no_other(provider: Proauth2) -> None:
    limited = provider.register_app("Limited", grant_types=["client_credentials"], metadata={"resources": [REPORTS]})
    provider.request_access_token("client_credentials", *limited, resource=REPORTS)
    with pytest.raises(InvalidTarget, match="may not"):
        provider.request_access_token("client_credentials", *limited, resource=ANY_API)


def test_a_client_cannot_be_limited_to_resources_the_server_does_not_know(provider: Proauth2) -> None:
    with pytest.raises(Proauth2Error, match="resources"):
        provider.register_app("Bad", grant_types=["client_credentials"], metadata={"resources": ["https://nope"]})


def test_a_scope_no_requested_resource_accepts_is_invalid_scope(provider: Proauth2, service: ClientCredentials) -> None:
    with pytest.raises(InvalidScope, match="reports"):
        provider.request_access_token("client_credentials", *service, resource=ORDERS, scope="read reports")
    with pytest.raises(Proauth2Error) as raised:
        code_grant(provider, provider.register_app("App 2", [REDIRECT]), resources=(ORDERS,), scope="reports")
    assert raised.value.error == "invalid_scope"


def test_repeated_resource_is_allowed_but_other_repeats_are_not(provider: Proauth2, service: ClientCredentials) -> None:
    tokens = provider.request_access_token("client_credentials", *service, resource=[ORDERS, ANY_API, ORDERS])
    assert provider.validate_token(tokens["access_token"]).audience == (ORDERS, ANY_API)
    with pytest.raises(Proauth2Error, match="repeated"):
        provider.request_access_token("client_credentials", *service, scope=["read", "write"])


def test_at_most_ten_resources_per_request(provider: Proauth2, service: ClientCredentials, clock: FakeClock) -> None:
    many = [f"https://api{i}.example.com" for i in range(11)]
    wide = Proauth2(provider.store, Settings(issuer="https://auth.example.com", resources=many, clock=clock))
    client = wide.register_app("Wide", grant_types=["client_credentials"])
    with pytest.raises(InvalidTarget, match="at most"):
        wide.request_access_token("client_credentials", *client, resource=many)
    assert wide.validate_token(
        wide.request_access_token("client_credentials", *client, resource=many[:10])["access_token"]
    ).audience == tuple(many[:10])
