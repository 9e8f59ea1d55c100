"""Authentication requests (OIDC Core §3.1.2): their parameters, and what each needs next (login, consent, answer)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.errors import InvalidClient, Proauth2Error
from proauth2_wsgi.oidc import Login, Step
from proauth2_wsgi.oidc.login import login_return_url
from proauth2_wsgi.pkce import s256_challenge
from tests.oidc.conftest import REDIRECT, authenticate

CHALLENGE = s256_challenge("v" * 50)


def query(client: ClientCredentials, **params: str) -> dict[str, str]:
    return {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "xyz",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **params,
    }


def test_the_parameters_reach_the_request(provider: Proauth2, rp: ClientCredentials) -> None:
    claims = {"userinfo": {"email": {"essential": True}}, "id_token": {"auth_time": {"essential": True}}}
    request = provider.parse_authorization_request(
        query(
            rp,
            nonce="n1",
            prompt="login consent",
            max_age="300",
            login_hint="alice@example.com",
            ui_locales="fr-CA fr en",
            claims_locales="fr",
            acr_values="urn:a urn:b",
            display="page",
            claims=json.dumps(claims),
        )
    )
    assert request.is_openid and request.nonce == "n1" and request.prompt == {"login", "consent"}
    assert (request.max_age, request.login_hint, request.display) == (300, "alice@example.com", "page")
    assert request.ui_locales == ("fr-CA", "fr", "en") and request.acr_values == ("urn:a", "urn:b")
    assert request.claims == claims


@pytest.mark.rfc("openid-connect-core", "3.1.2.6")
@pytest.mark.parametrize(
    ("params", "error"),
    [
        pytest.param({"nonce": "n" * 10_000}, "invalid_request", id="nonce-10kb"),
        pytest.param({"nonce": "a\x00b"}, "invalid_request", id="nonce-nul"),
        pytest.param({"nonce": "line\nbreak"}, "invalid_request", id="nonce-control"),
        pytest.param({"prompt": "bogus"}, "invalid_request", id="prompt-unknown"),
        pytest.param({"prompt": "none login"}, "invalid_request", id="prompt-none-and-login"),
        pytest.param({"prompt": "   "}, "invalid_request", id="prompt-blank"),
        pytest.param({"max_age": "-1"}, "invalid_request", id="max-age-negative"),
        pytest.param({"max_age": "ten"}, "invalid_request", id="max-age-text"),
        pytest.param({"max_age": "1e3"}, "invalid_request", id="max-age-exponent"),
        pytest.param({"max_age": "٣"}, "invalid_request", id="max-age-arabic-digit"),
        pytest.param({"max_age": "9" * 30}, "invalid_request", id="max-age-huge"),
        pytest.param({"claims": "{not json"}, "invalid_request", id="claims-broken"),
        pytest.param({"claims": "[1]"}, "invalid_request", id="claims-array"),
        pytest.param({"claims": '{"userinfo": 1}'}, "invalid_request", id="claims-userinfo-number"),
        pytest.param({"claims": '{"userinfo": {"email": 1}}'}, "invalid_request", id="claims-member-number"),
        pytest.param({"claims": '{"id_token": {"a": {"essential": "yes"}}}'}, "invalid_request", id="essential-text"),
        pytest.param(
            {"claims": json.dumps({"userinfo": {f"c{i}": None for i in range(500)}})},
            "invalid_request",
            id="claims-5kb",
        ),
        pytest.param({"claims": "[" * 5000}, "invalid_request", id="claims-deep"),
        pytest.param({"id_token_hint": "not.a.jwt"}, "invalid_request", id="hint-garbage"),
        pytest.param({"login_hint": "x" * 3000}, "invalid_request", id="login-hint-long"),
        pytest.param({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported", id="request-object"),
        pytest.param({"request_uri": "https://rp.example.com/r"}, "request_uri_not_supported", id="request-uri"),
    ],
)
def test_hostile_parameters_are_redirected_errors_never_500(
    provider: Proauth2, rp: ClientCredentials, params: dict[str, str], error: str
) -> None:
    with pytest.raises(Proauth2Error) as raised:
        provider.parse_authorization_request(query(rp, **params))
    assert raised.value.error == error
    assert (raised.value.redirect_uri, raised.value.state) == (REDIRECT, "xyz")


def test_a_repeated_prompt_is_invalid_request(provider: Proauth2, rp: ClientCredentials) -> None:
    args = {**query(rp), "prompt": ["none", "login"]}
    with pytest.raises(Proauth2Error) as raised:
        provider.parse_authorization_request(args)
    assert raised.value.error == "invalid_request" and raised.value.redirect_uri == REDIRECT


def test_an_id_token_hint_of_another_client_is_refused(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    other = provider.register_app("Other RP", [REDIRECT])
    hint = authenticate(provider, other, alice)["id_token"]
    with pytest.raises(Proauth2Error, match="not issued to this client"):
        provider.parse_authorization_request(query(rp, id_token_hint=hint))
    assert provider.parse_authorization_request(query(other, id_token_hint=hint)).id_token_hint_subject == "alice"


def test_plain_oauth_requests_ignore_the_openid_parameters(provider: Proauth2, rp: ClientCredentials) -> None:
    request = provider.parse_authorization_request(query(rp, scope="profile", prompt="bogus", max_age="x"))
    assert not request.is_openid and request.prompt == frozenset() and request.max_age is None


def step(provider: Proauth2, client: ClientCredentials, login: Login | None, **params: str) -> Step:
    return provider.next_step(provider.parse_authorization_request(query(client, **params)), login)


def approve(provider: Proauth2, client: ClientCredentials, login: Login, **params: str) -> None:
    provider.authorization_response(provider.parse_authorization_request(query(client, **params)), login)


def refusal(provider: Proauth2, client: ClientCredentials, login: Login | None, **params: str) -> dict[str, list[str]]:
    """The redirect a ``prompt=none`` refusal carries, as its query."""
    from proauth2_wsgi.endpoints import error_redirect

    with pytest.raises(Proauth2Error) as raised:
        step(provider, client, login, **params)
    return parse_qs(urlsplit(error_redirect(provider, raised.value)).query)


@pytest.mark.rfc("openid-connect-core", "3.1.2.3")
def test_nobody_signed_in_needs_a_login(provider: Proauth2, rp: ClientCredentials) -> None:
    assert step(provider, rp, None) is Step.LOGIN
    answer = refusal(provider, rp, None, prompt="none")
    assert (answer["error"], answer["state"], answer["iss"]) == (
        ["login_required"],
        ["xyz"],
        [provider.settings.issuer],
    )


@pytest.mark.backends
def test_consent_is_asked_once_then_remembered(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    assert step(provider, rp, alice) is Step.CONSENT
    assert refusal(provider, rp, alice, prompt="none")["error"] == ["consent_required"]
    approve(provider, rp, alice)
    assert step(provider, rp, alice) is Step.ANSWER
    assert step(provider, rp, alice, prompt="none") is Step.ANSWER  # prompt=none succeeds without a page
    assert step(provider, rp, alice, scope="openid") is Step.ANSWER  # less than consented
    assert step(provider, rp, alice, scope="openid profile email") is Step.CONSENT  # something new
    assert step(provider, rp, alice, prompt="consent") is Step.CONSENT


def test_prompt_login_asks_again_until_the_return_url_drops_it(
    provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    approve(provider, rp, alice)
    assert step(provider, rp, alice, prompt="login") is Step.LOGIN
    url = "/authorize?" + "&".join(f"{k}={v}" for k, v in query(rp, prompt="login consent", max_age="0").items())
    back = parse_qs(urlsplit(login_return_url(url)).query)
    assert back["prompt"] == ["consent"] and "max_age" not in back and back["state"] == ["xyz"]


@pytest.mark.rfc("openid-connect-core", "3.1.2.1")
def test_max_age_forces_a_login_when_the_sign_in_is_older(provider: Proauth2, rp: ClientCredentials) -> None:
    now = provider.now()
    long_ago = Login("alice", now - 3600)
    approve(provider, rp, long_ago)
    assert step(provider, rp, long_ago, max_age="600") is Step.LOGIN
    assert refusal(provider, rp, long_ago, prompt="none", max_age="600")["error"] == ["login_required"]
    assert step(provider, rp, long_ago, max_age="3600") is Step.ANSWER
    just_now = Login("alice", now)
    assert step(provider, rp, just_now, max_age="0") is Step.ANSWER  # signed in this very second
    assert step(provider, rp, Login("alice", now - 1), max_age="0") is Step.LOGIN


def test_an_id_token_hint_naming_someone_else_needs_a_login(provider: Proauth2, rp: ClientCredentials) -> None:
    bob = Login("bob", provider.now())
    hint = authenticate(provider, rp, bob)["id_token"]
    alice = Login("alice", provider.now())
    approve(provider, rp, alice)
    assert step(provider, rp, alice, id_token_hint=hint) is Step.LOGIN
    assert refusal(provider, rp, alice, id_token_hint=hint, prompt="none")["error"] == ["login_required"]
    assert step(provider, rp, bob, id_token_hint=hint) is Step.ANSWER


def test_select_account_is_the_apps_login_step(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    approve(provider, rp, alice)
    assert step(provider, rp, alice, prompt="select_account") is Step.LOGIN


@pytest.mark.backends
def test_withdrawing_consent_revokes_the_clients_tokens_for_that_user(
    provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    other = provider.register_app("Other RP", [REDIRECT])
    mine = authenticate(provider, rp, alice, scope="openid offline_access", prompt="consent")
    theirs = authenticate(provider, other, alice)
    bobs = authenticate(provider, rp, Login("bob", provider.now()))
    assert set(provider.consents("alice")) == {rp.client_id, other.client_id}
    assert provider.withdraw_consent(rp.client_id, "alice") == 2  # her access and refresh tokens at this client
    for token in (mine["access_token"], mine["refresh_token"]):
        assert provider.introspect_token(token) == {"active": False}
    assert provider.introspect_token(theirs["access_token"])["active"]
    assert provider.introspect_token(bobs["access_token"])["active"]
    assert set(provider.consents("alice")) == {other.client_id}
    assert step(provider, rp, alice) is Step.CONSENT
    with pytest.raises(InvalidClient):
        provider.withdraw_consent(rp.client_id, "alice")


@pytest.mark.backends
def test_the_consents_commands_list_and_withdraw(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    import io

    from proauth2_wsgi.cli import Console, run

    def cli(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = run(args, lambda _: provider, console=Console(out, err, io.StringIO()))
        return status, out.getvalue(), err.getvalue()

    assert cli("consents", "list", "--user", "alice")[1] == "alice has given no consent\n"
    token = authenticate(provider, rp, alice)["access_token"]
    given = json.loads(cli("consents", "list", "--user", "alice", "--json")[1])
    assert given == {rp.client_id: ["email", "openid", "profile"]}
    status, out, _ = cli("consents", "withdraw", "--user", "alice", "--client", rp.client_id)
    assert status == 0 and "revoked 1 token(s)" in out
    assert provider.introspect_token(token) == {"active": False}
    assert cli("consents", "withdraw", "--user", "alice", "--client", rp.client_id)[0] == 1
