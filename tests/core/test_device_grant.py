"""The device authorization grant at the provider (RFC 8628): codes, polling, verification, guessing limits."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error, Settings, SettingsError
from proauth2_wsgi.device import (
    DEVICE_CODE_GRANT,
    USER_CODE_ALPHABET,
    InvalidUserCode,
    MemoryAttemptLimiter,
    TooManyAttempts,
    normalise_user_code,
)
from proauth2_wsgi.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InvalidClient,
    InvalidClientMetadata,
    InvalidGrant,
    InvalidScope,
    InvalidTarget,
    SlowDown,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from proauth2_wsgi.grants.device_code import DeviceCodeGrant, RecentPolls
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.core.helpers import is_active

ISSUER = "https://auth.example.com"
USER_CODE = re.compile(f"[{USER_CODE_ALPHABET}]{{4}}-[{USER_CODE_ALPHABET}]{{4}}")
KEY_SECRET = "device-tests-" + "k" * 32
API = "https://api.example.com"
REPORTS = "https://reports.example.com"
THREADS = 16


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    """The core settings with the device flow on (its verification page a path below the issuer)."""
    return Settings(
        issuer=ISSUER,
        scopes={"profile": "Read your profile", "email": "Read your email", "admin": "Administer"},
        default_scope="profile",
        device_verification_uri="/device",
        resources={API: {"scopes": ["profile"]}, REPORTS: {"scopes": ["profile"]}},
        clock=clock,
    )


@pytest.fixture
def tv(provider: Proauth2) -> ClientCredentials:
    """A public device client (``none``) with the device grant and refresh tokens."""
    return provider.register_app(
        "Living-room TV", grant_types=[DEVICE_CODE_GRANT, "refresh_token"], scopes="profile email", auth_method="none"
    )


def authorize(provider: Proauth2, client: ClientCredentials, **params: Any) -> dict[str, Any]:
    """The device authorization response (RFC 8628 §3.2) for ``client``."""
    return provider.request_device_authorization(client.client_id, client.client_secret, **params)


def poll(provider: Proauth2, client: ClientCredentials, device_code: str, **params: Any) -> dict[str, Any]:
    """One token request of the device (RFC 8628 §3.4)."""
    return provider.request_access_token(
        DEVICE_CODE_GRANT, client.client_id, client.client_secret, device_code=device_code, **params
    )


def row(store: PeeweeDataStore, device_code: str) -> dict[str, Any]:
    """The stored device authorization of ``device_code``."""
    record = store.fetch("device_codes", device_code_hash=hashlib.sha256(device_code.encode()).hexdigest())
    assert record is not None
    return record


def wrong_second_half(user_code: str) -> str:
    """``user_code`` with its second half changed: a guess at this code."""
    first, second = user_code.split("-")
    other = "".join(USER_CODE_ALPHABET[(USER_CODE_ALPHABET.index(c) + 1) % 20] for c in second)
    return f"{first}-{other}"


# -- the device authorization request and response (RFC 8628 §3.1, §3.2) ----------------------


@pytest.mark.rfc("8628", "3.2")
def test_the_device_authorization_response_has_every_member(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials
) -> None:
    answer = authorize(provider, tv, scope="email")
    assert set(answer) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert len(answer["device_code"]) == 43  # 256 bits, base64url
    assert USER_CODE.fullmatch(answer["user_code"])
    assert answer["verification_uri"] == f"{ISSUER}/device"
    assert answer["verification_uri_complete"] == f"{ISSUER}/device?user_code={answer['user_code']}"
    assert (answer["expires_in"], answer["interval"]) == (600, 5)
    stored = row(store, answer["device_code"])
    assert stored["user_code"] == answer["user_code"].replace("-", "")  # normalised
    assert stored["scopes"] == ["email"] and stored["status"] == "pending" and stored["user_id"] is None
    assert answer["device_code"] not in repr(stored)  # only its digest is kept


@pytest.mark.rfc("8628", "3.1")
def test_the_default_scope_and_the_clients_scopes(provider: Proauth2, tv: ClientCredentials) -> None:
    assert provider.device_request(authorize(provider, tv)["user_code"]).scopes == {"profile"}
    with pytest.raises(InvalidScope):
        authorize(provider, tv, scope="admin")  # offered by the server, not registered for this client


@pytest.mark.rfc("8628", "3.1")
def test_a_client_without_the_device_grant_is_unauthorized(provider: Proauth2) -> None:
    web = provider.register_app("Web", ["https://client.example.com/cb"])
    with pytest.raises(UnauthorizedClient):
        authorize(provider, web)


@pytest.mark.rfc("8628", "3.1")
def test_a_confidential_device_client_authenticates(provider: Proauth2) -> None:
    box = provider.register_app("Set-top box", grant_types=[DEVICE_CODE_GRANT])
    assert box.client_secret is not None
    with pytest.raises(InvalidClient):
        provider.request_device_authorization(box.client_id, "not-the-secret")
    answer = authorize(provider, box)
    provider.approve_device(answer["user_code"], "alice")
    assert poll(provider, box, answer["device_code"])["token_type"] == "Bearer"


@pytest.mark.rfc("8628", "3.1")
def test_the_device_flow_is_off_without_a_verification_uri(store: PeeweeDataStore, clock: FakeClock) -> None:
    provider = Proauth2(store, issuer=ISSUER, scopes="profile", clock=clock)
    assert DEVICE_CODE_GRANT not in provider.grants
    with pytest.raises(InvalidClientMetadata):
        provider.register_app("TV", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
    with pytest.raises(UnsupportedGrantType):
        provider.request_access_token(DEVICE_CODE_GRANT, "anyone", device_code="x" * 43)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("device", "absolute https URL", id="relative"),
        pytest.param("//evil.example/device", "absolute https URL", id="scheme-relative"),
        pytest.param("http://auth.example.com/device", "https", id="http"),
        pytest.param("/device#x", "https URL or a path", id="fragment"),
        pytest.param(5, "https URL or a path", id="not-text"),
    ],
)
def test_the_verification_uri_is_checked_at_start_up(value: Any, reason: str) -> None:
    with pytest.raises(SettingsError, match=f"^device_verification_uri: .*{reason}"):
        Settings(issuer=ISSUER, device_verification_uri=value)


def test_a_verification_path_needs_an_issuer_and_a_url_does_not() -> None:
    with pytest.raises(SettingsError, match=r"^device_verification_uri: a path is below the issuer"):
        Settings(device_verification_uri="/device")
    assert Settings(device_verification_uri="https://tv.example/go").device_verification_url == "https://tv.example/go"
    assert Settings(issuer=f"{ISSUER}/tenant", device_verification_uri="/d").device_verification_url == (
        f"{ISSUER}/tenant/d"
    )


# -- polling (RFC 8628 §3.4, §3.5) ---------------------------------------------------------


@pytest.mark.rfc("8628", "3.5")
def test_the_happy_path_pending_then_tokens_for_the_user_who_approved(
    provider: Proauth2, clock: FakeClock, tv: ClientCredentials
) -> None:
    answer = authorize(provider, tv, scope="profile email")
    with pytest.raises(AuthorizationPending) as pending:
        poll(provider, tv, answer["device_code"])
    assert pending.value.status_code == 400
    shown = provider.device_request(answer["user_code"], session="browser-1")
    assert (shown.client_name, shown.scope, shown.user_code) == ("Living-room TV", "email profile", answer["user_code"])
    provider.approve_device(answer["user_code"], Login("alice", int(clock.now) - 30), session="browser-1")
    clock.advance(5)
    tokens = poll(provider, tv, answer["device_code"])
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "email profile" and "refresh_token" in tokens
    access = provider.validate_token(tokens["access_token"])
    assert (access.user_id, access.client_id, access.auth_time) == ("alice", tv.client_id, int(clock.now) - 35)
    refreshed = provider.request_access_token("refresh_token", tv.client_id, refresh_token=tokens["refresh_token"])
    assert refreshed["scope"] == "email profile"
    assert provider.consented_scopes(tv.client_id, "alice") == {"email", "profile"}  # remembered, as consent pages do


@pytest.mark.rfc("8628", "3.5")
def test_no_refresh_token_without_the_refresh_grant(provider: Proauth2) -> None:
    lamp = provider.register_app("Lamp", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
    answer = authorize(provider, lamp)
    provider.approve_device(answer["user_code"], "alice")
    assert "refresh_token" not in poll(provider, lamp, answer["device_code"])


@pytest.mark.rfc("8628", "3.5")
def test_polling_sooner_than_the_interval_slows_the_device_down(
    provider: Proauth2, store: PeeweeDataStore, clock: FakeClock, tv: ClientCredentials
) -> None:
    """slow_down: "the interval MUST be increased by 5 seconds for this and all subsequent requests"."""
    code = authorize(provider, tv)["device_code"]
    with pytest.raises(AuthorizationPending):
        poll(provider, tv, code)
    clock.advance(4)
    with pytest.raises(SlowDown, match="every 10 seconds"):
        poll(provider, tv, code)
    assert row(store, code)["interval"] == 10
    clock.advance(5)  # the old interval is not enough any more
    with pytest.raises(SlowDown):
        poll(provider, tv, code)
    assert row(store, code)["interval"] == 15
    clock.advance(15)
    with pytest.raises(AuthorizationPending):
        poll(provider, tv, code)
    clock.advance(15)
    with pytest.raises(AuthorizationPending):
        poll(provider, tv, code)
    assert row(store, code)["interval"] == 15


@pytest.mark.rfc("8628", "3.5")
def test_a_device_polling_in_a_tight_loop_gets_slow_down_and_a_longer_interval(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials
) -> None:
    code = authorize(provider, tv)["device_code"]
    answers = []
    for _ in range(20):
        try:
            poll(provider, tv, code)
        except Proauth2Error as error:
            answers.append(error.error)
    assert answers == ["authorization_pending"] + ["slow_down"] * 19
    assert row(store, code)["interval"] == 5 + 19 * 5


@pytest.mark.rfc("8628", "3.5")
def test_a_pending_poll_writes_nothing_and_a_slow_down_is_shared_by_every_worker(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials
) -> None:
    """Each worker remembers the polls it answered; what slow_down changes is in the database for all of them."""
    other_worker = Proauth2(store, provider.settings)
    code = authorize(provider, tv)["device_code"]
    answers = []
    for worker in (provider, other_worker, provider, other_worker, other_worker):
        try:
            poll(worker, tv, code)
        except Proauth2Error as error:
            answers.append(error.error)
    # the other worker's first poll looks on time to it; after one slow_down, both enforce it
    assert answers == ["authorization_pending", "authorization_pending", "slow_down", "slow_down", "slow_down"]
    assert row(store, code)["interval"] == 20


@pytest.mark.rfc("8628", "3.5")
def test_record_every_poll_makes_slow_down_exact_across_workers(
    provider: Proauth2, store: PeeweeDataStore, clock: FakeClock, tv: ClientCredentials
) -> None:
    """One write per pending poll (its time, a compare-and-set), so another worker knows of it at once."""
    workers = [Proauth2(store, provider.settings), Proauth2(store, provider.settings)]
    for worker in workers:
        worker.grants.register(DeviceCodeGrant(record_every_poll=True), replace=True)
    code = authorize(provider, tv)["device_code"]
    with pytest.raises(AuthorizationPending):
        poll(workers[0], tv, code)
    assert row(store, code)["last_polled_at"] == int(clock.now)
    with pytest.raises(SlowDown):
        poll(workers[1], tv, code)
    clock.advance(10)
    with pytest.raises(AuthorizationPending):
        poll(workers[1], tv, code)


def test_recent_polls_are_bounded_and_forget_decided_codes(provider: Proauth2, tv: ClientCredentials) -> None:
    polls = RecentPolls(size=2)
    assert polls.poll("a", 100, 5, None) and polls.poll("b", 100, 5, None) and polls.poll("c", 100, 5, None)
    assert len(polls) == 2 and polls.poll("a", 101, 5, None)  # "a" was forgotten: taken as on time
    assert not polls.poll("c", 101, 5, None)
    assert not polls.poll("d", 101, 5, 100)  # what the database knows counts too
    with pytest.raises(ValueError, match="at least 1"):
        RecentPolls(size=0)
    grant = provider.grants[DEVICE_CODE_GRANT]
    assert isinstance(grant, DeviceCodeGrant)
    answer = authorize(provider, tv)
    with pytest.raises(AuthorizationPending):
        poll(provider, tv, answer["device_code"])
    assert len(grant.recent_polls) == 1
    provider.approve_device(answer["user_code"], "alice")
    poll(provider, tv, answer["device_code"])
    assert len(grant.recent_polls) == 0


@pytest.mark.rfc("8628", "3.5")
def test_a_denied_request_is_access_denied(provider: Proauth2, clock: FakeClock, tv: ClientCredentials) -> None:
    answer = authorize(provider, tv)
    denied = provider.deny_device(answer["user_code"])
    assert denied.client.client_id == tv.client_id
    with pytest.raises(AccessDenied) as refused:
        poll(provider, tv, answer["device_code"])
    assert refused.value.status_code == 400  # a token endpoint error (RFC 6749 §5.2), not the 403 of a redirect
    with pytest.raises(InvalidUserCode):  # decided: it cannot be approved any more
        provider.approve_device(answer["user_code"], "alice")


@pytest.mark.rfc("8628", "3.5")
@pytest.mark.parametrize("approved", [False, True], ids=["pending", "approved"])
def test_an_expired_code_is_expired_token(
    provider: Proauth2, clock: FakeClock, tv: ClientCredentials, approved: bool
) -> None:
    answer = authorize(provider, tv)
    if approved:
        provider.approve_device(answer["user_code"], "alice")
    clock.advance(600)
    with pytest.raises(ExpiredToken):
        poll(provider, tv, answer["device_code"])
    with pytest.raises(InvalidUserCode):
        provider.device_request(answer["user_code"])


@pytest.mark.rfc("8628", "3.4")
@pytest.mark.parametrize(
    "device_code",
    [
        pytest.param("x" * 43, id="unknown"),
        pytest.param("not a token!", id="malformed"),
        pytest.param("x" * 600, id="too-long"),
    ],
)
def test_unknown_device_codes_are_invalid_grant(provider: Proauth2, tv: ClientCredentials, device_code: str) -> None:
    with pytest.raises(InvalidGrant):
        poll(provider, tv, device_code)


@pytest.mark.rfc("8628", "3.4")
def test_another_clients_device_code_is_invalid_grant(provider: Proauth2, tv: ClientCredentials) -> None:
    other = provider.register_app("Other TV", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
    answer = authorize(provider, tv)
    provider.approve_device(answer["user_code"], "alice")
    with pytest.raises(InvalidGrant):
        poll(provider, other, answer["device_code"])
    assert "access_token" in poll(provider, tv, answer["device_code"])  # still the device's own


@pytest.mark.rfc("8628", "3.5")
def test_a_second_redemption_is_invalid_grant_and_revokes_what_the_first_got(
    provider: Proauth2, tv: ClientCredentials
) -> None:
    answer = authorize(provider, tv)
    provider.approve_device(answer["user_code"], "alice")
    tokens = poll(provider, tv, answer["device_code"])
    with pytest.raises(InvalidGrant):
        poll(provider, tv, answer["device_code"])
    assert not is_active(provider, tokens["access_token"])
    assert not is_active(provider, tokens["refresh_token"])


@pytest.mark.rfc("8628", "3.3")
def test_approving_binds_the_user_and_the_sign_in(provider: Proauth2, clock: FakeClock, tv: ClientCredentials) -> None:
    answer = authorize(provider, tv)
    approved = provider.approve_device(answer["user_code"], Login("bob", 1_700_000_000, acr="mfa", amr=("pwd",)))
    assert approved.user_code == answer["user_code"]
    with pytest.raises(InvalidUserCode):  # approved already: nobody else can approve it
        provider.approve_device(answer["user_code"], "mallory")
    assert provider.validate_token(poll(provider, tv, answer["device_code"])["access_token"]).user_id == "bob"


# -- RFC 8707 resources -----------------------------------------------------------------


@pytest.mark.rfc("8707", "2")
def test_a_resource_names_the_audience_of_the_devices_tokens(provider: Proauth2, tv: ClientCredentials) -> None:
    answer = authorize(provider, tv, resource=API)
    assert provider.device_request(answer["user_code"]).audience == (API,)
    provider.approve_device(answer["user_code"], "alice")
    tokens = poll(provider, tv, answer["device_code"])
    assert provider.validate_token(tokens["access_token"]).audience == (API,)
    with pytest.raises(InvalidTarget):
        authorize(provider, tv, resource="https://unknown.example.com")
    with pytest.raises(InvalidScope):  # the API accepts profile only
        authorize(provider, tv, resource=API, scope="email")


@pytest.mark.rfc("8707", "2.2")
def test_the_token_request_may_narrow_the_audience_never_widen_it(provider: Proauth2, tv: ClientCredentials) -> None:
    answer = authorize(provider, tv, resource=[API, REPORTS])
    provider.approve_device(answer["user_code"], "alice")
    tokens = poll(provider, tv, answer["device_code"], resource=REPORTS)
    assert provider.validate_token(tokens["access_token"]).audience == (REPORTS,)
    refreshed = provider.request_access_token("refresh_token", tv.client_id, refresh_token=tokens["refresh_token"])
    assert provider.validate_token(refreshed["access_token"]).audience == (API, REPORTS)  # the grant's whole audience
    narrow = authorize(provider, tv, resource=API)
    provider.approve_device(narrow["user_code"], "alice")
    with pytest.raises(InvalidTarget):
        poll(provider, tv, narrow["device_code"], resource=REPORTS)


# -- OpenID Connect ----------------------------------------------------------------------


@pytest.fixture
def openid_provider(store: PeeweeDataStore, clock: FakeClock) -> Proauth2:
    return Proauth2(
        store,
        issuer=ISSUER,
        openid=True,
        key_secret=KEY_SECRET,
        scopes="profile",
        device_verification_uri="https://tv.example/activate",
        clock=clock,
    )


@pytest.mark.rfc("openid-connect-core", "2")
def test_openid_gets_an_id_token_of_the_approving_sign_in(openid_provider: Proauth2, clock: FakeClock) -> None:
    provider = openid_provider
    provider.claims_loader = lambda user_id, scopes, claims: {"name": "Alice Liddell"}
    tv = provider.register_app("TV", grant_types=[DEVICE_CODE_GRANT, "refresh_token"], auth_method="none")
    answer = authorize(provider, tv, scope="openid profile")
    assert answer["verification_uri"] == "https://tv.example/activate"
    signed_in = int(clock.now) - 60
    provider.approve_device(answer["user_code"], Login("alice", signed_in, acr="urn:mace:incommon:iap:silver"))
    tokens = poll(provider, tv, answer["device_code"])
    assert "refresh_token" not in tokens  # OIDC Core §11: no offline_access, no refresh token
    _, claims = provider.keys.verify(tokens["id_token"])
    assert (claims["iss"], claims["aud"], claims["sub"], claims["auth_time"]) == (
        ISSUER,
        tv.client_id,
        "alice",
        signed_in,
    )
    assert claims["acr"] == "urn:mace:incommon:iap:silver" and claims["name"] == "Alice Liddell"
    offline = authorize(provider, tv, scope="openid offline_access")
    provider.approve_device(offline["user_code"], "alice")
    assert "refresh_token" in poll(provider, tv, offline["device_code"])


# -- the verification page: user codes, and guessing (RFC 8628 §5.1, §6.1) ------------------


@pytest.mark.rfc("8628", "6.1")
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("BCDF-GHJK", "BCDFGHJK", id="as-shown"),
        pytest.param("bcdf-ghjk", "BCDFGHJK", id="lower-case"),
        pytest.param("bcdfghjk", "BCDFGHJK", id="no-dash"),
        pytest.param(" BCDF GHJK ", "BCDFGHJK", id="spaces"),
        pytest.param("BC-DF-GH-JK", "BCDFGHJK", id="more-dashes"),
        pytest.param("BCDF\u2013GHJK", "BCDFGHJK", id="en-dash"),
        pytest.param("BCDF-GHJ", None, id="too-short"),
        pytest.param("BCDF-GHJKL", None, id="too-long"),
        pytest.param("BCDF-GHJA", None, id="vowel"),
        pytest.param("BCDF-GHJ1", None, id="digit"),
        pytest.param("BCDF_GHJK", None, id="underscore"),
        pytest.param("B" * 100, None, id="huge"),
        pytest.param(None, None, id="none"),
    ],
)
def test_user_codes_are_compared_without_case_dashes_or_spaces(typed: Any, expected: str | None) -> None:
    assert normalise_user_code(typed) == expected


@pytest.mark.rfc("8628", "6.1")
def test_what_the_user_types_finds_the_code_in_any_case_and_spacing(provider: Proauth2, tv: ClientCredentials) -> None:
    shown = authorize(provider, tv)["user_code"]
    for typed in (shown, shown.lower(), shown.replace("-", ""), " " + shown.replace("-", " ").lower() + " "):
        assert provider.device_request(typed).user_code == shown


@pytest.mark.rfc("8628", "6.1")
def test_user_codes_are_unique_among_live_codes(
    provider: Proauth2, clock: FakeClock, tv: ClientCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh code never shares its first half (what is looked up) with a live one; an expired one may."""
    draws = iter(["BCDFGHJK", "BCDFZZZZ", "BCDFGHJK", "GHJKBCDF"])
    monkeypatch.setattr("proauth2_wsgi.device.new_user_code", lambda: next(draws))
    assert authorize(provider, tv)["user_code"] == "BCDF-GHJK"
    assert authorize(provider, tv)["user_code"] == "GHJK-BCDF"  # BCDF-ZZZZ and BCDF-GHJK redrawn
    clock.advance(600)
    monkeypatch.setattr("proauth2_wsgi.device.new_user_code", lambda: "BCDFGHJK")
    assert authorize(provider, tv)["user_code"] == "BCDF-GHJK"  # the first one expired


def test_no_free_user_code_is_a_503(provider: Proauth2, tv: ClientCredentials, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("proauth2_wsgi.device.new_user_code", lambda: "BCDFGHJK")
    authorize(provider, tv)
    with pytest.raises(TemporarilyUnavailable):
        authorize(provider, tv)


@pytest.mark.rfc("8628", "5.1")
def test_every_refusal_is_the_same_generic_error(provider: Proauth2, clock: FakeClock, tv: ClientCredentials) -> None:
    """Unknown, malformed, expired, used, denied: one answer, so a guesser learns nothing."""
    used, denied, expired = (authorize(provider, tv)["user_code"] for _ in range(3))
    provider.approve_device(used, "alice")
    provider.deny_device(denied)
    descriptions = set()
    for typed in ("ZZZZ-ZZZZ", "nonsense", used, denied):
        with pytest.raises(InvalidUserCode) as refused:
            provider.device_request(typed)
        descriptions.add((type(refused.value), refused.value.error, refused.value.error_description))
    clock.advance(600)
    with pytest.raises(InvalidUserCode) as refused:
        provider.device_request(expired)
    descriptions.add((type(refused.value), refused.value.error, refused.value.error_description))
    assert descriptions == {(InvalidUserCode, "invalid_grant", InvalidUserCode.PUBLIC_DESCRIPTION)}


@pytest.mark.rfc("8628", "5.1")
def test_guesses_at_a_code_lock_it_after_the_limit(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials
) -> None:
    """Wrong second halves count against the code they were meant for: at 5, it is locked, whatever the session."""
    answer = authorize(provider, tv)
    guess = wrong_second_half(answer["user_code"])
    for attempt in range(4):
        with pytest.raises(InvalidUserCode):
            provider.device_request(guess, session=f"attacker-{attempt}")  # a fresh session each time
    assert row(store, answer["device_code"])["failed_attempts"] == 4
    assert provider.device_request(answer["user_code"]).user_code == answer["user_code"]  # 4: still usable
    with pytest.raises(InvalidUserCode):
        provider.device_request(guess, session="attacker-5")
    with pytest.raises(InvalidUserCode) as refused:  # locked: the right code is refused, with the same words
        provider.approve_device(answer["user_code"], "alice")
    assert type(refused.value) is InvalidUserCode
    with pytest.raises(AccessDenied):  # the device learns it must start again
        poll(provider, tv, answer["device_code"])


@pytest.mark.rfc("8628", "5.1")
def test_guesses_in_one_session_lock_the_session_not_the_codes(
    provider: Proauth2, clock: FakeClock, tv: ClientCredentials
) -> None:
    answer = authorize(provider, tv)
    for guess in ("ZZZZ-ZZZZ", "ZZZZ-ZZZB", "ZZZZ-ZZZC", "nonsense", "ZZZZ-ZZZD"):
        with pytest.raises(InvalidUserCode) as refused:
            provider.device_request(guess, session="browser")
        assert type(refused.value) is InvalidUserCode
    with pytest.raises(TooManyAttempts):  # even the right code, from this session
        provider.approve_device(answer["user_code"], "alice", session="browser")
    with pytest.raises(TooManyAttempts):
        provider.deny_device(answer["user_code"], session="browser")
    assert provider.device_request(answer["user_code"], session="other-browser").user_code == answer["user_code"]
    clock.advance(600)  # the window has passed: the session starts afresh
    fresh = authorize(provider, tv)
    assert provider.device_request(fresh["user_code"], session="browser").user_code == fresh["user_code"]


def test_the_session_limiter_is_bounded_and_forgets_the_oldest(clock: FakeClock) -> None:
    limiter = MemoryAttemptLimiter(limit=2, window=60, now=clock, sessions=2)
    for key in ("a", "a", "b", "c"):
        limiter.failed(key)
    assert not limiter.locked("a")  # forgotten: the oldest of three
    assert repr(limiter) == "<MemoryAttemptLimiter 2/2 sessions>"
    limiter.failed("c")
    assert limiter.locked("c")
    clock.advance(60)
    assert not limiter.locked("c")
    with pytest.raises(ValueError, match="at least 1"):
        MemoryAttemptLimiter(limit=0, window=60, now=clock)


def test_a_shared_limiter_replaces_the_memory_one(provider: Proauth2, tv: ClientCredentials) -> None:
    """Any ``AttemptLimiter`` (``locked``, ``failed``) counts the sessions, e.g. one every worker shares."""

    class Everyone:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def locked(self, key: str) -> bool:
            return len(self.seen) >= 1

        def failed(self, key: str) -> None:
            self.seen.append(key)

    provider.device.attempts = shared = Everyone()
    with pytest.raises(InvalidUserCode):
        provider.device_request("ZZZZ-ZZZZ", session="secret-session-id")
    assert shared.seen == [hashlib.sha256(b"secret-session-id").hexdigest()]  # a digest, never the id itself
    with pytest.raises(TooManyAttempts):
        provider.device_request(authorize(provider, tv)["user_code"], session="another")


# -- storage: purge, deletion, concurrency ------------------------------------------------------


def test_expired_device_codes_are_purged_and_a_deleted_client_takes_its_own(
    provider: Proauth2, store: PeeweeDataStore, clock: FakeClock, tv: ClientCredentials
) -> None:
    authorize(provider, tv)
    clock.advance(600)
    assert provider.purge_expired() >= 1
    assert store.fetch_all("device_codes") == []
    authorize(provider, tv)
    assert provider.delete_client(tv.client_id)
    assert store.fetch_all("device_codes") == []


def race(attempt: Any, store: PeeweeDataStore) -> list[str]:
    """Run ``attempt`` in THREADS threads released at once; the outcome of each: ``"tokens"`` or the error."""
    barrier = threading.Barrier(THREADS)

    def run(_: int) -> str:
        barrier.wait()
        try:
            attempt()
            return "tokens"
        except Proauth2Error as exc:
            return exc.error
        finally:
            store.close()

    with ThreadPoolExecutor(THREADS) as pool:
        return sorted(pool.map(run, range(THREADS)))


@pytest.fixture
def approved(provider: Proauth2, tv: ClientCredentials) -> Iterator[str]:
    answer = authorize(provider, tv)
    provider.approve_device(answer["user_code"], "alice")
    yield answer["device_code"]


@pytest.mark.backends
@pytest.mark.rfc("8628", "3.5")
def test_16_threads_redeeming_one_approved_code_get_one_set_of_tokens(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials, approved: str
) -> None:
    outcomes = race(lambda: poll(provider, tv, approved), store)
    assert outcomes == ["invalid_grant"] * (THREADS - 1) + ["tokens"]
    assert len(store.fetch_all("access_tokens", client_id=tv.client_id)) == 1  # issued once (then revoked: replays)
    assert len(store.fetch_all("refresh_tokens", client_id=tv.client_id)) == 1


@pytest.mark.backends
@pytest.mark.rfc("8628", "3.5")
@pytest.mark.parametrize("record_every_poll", [False, True], ids=["remembered", "recorded"])
def test_16_threads_polling_one_pending_code_get_one_pending_and_slow_downs(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials, record_every_poll: bool
) -> None:
    """Of polls at one moment, one is on time: in the process's memory, or by a compare-and-set in the database."""
    provider.grants.register(DeviceCodeGrant(record_every_poll=record_every_poll), replace=True)
    code = authorize(provider, tv)["device_code"]
    outcomes = race(lambda: poll(provider, tv, code), store)
    assert outcomes == ["authorization_pending"] + ["slow_down"] * (THREADS - 1)
    assert row(store, code)["interval"] > 5


@pytest.mark.backends
@pytest.mark.rfc("8628", "5.1")
def test_16_threads_guessing_at_one_code_lock_it_at_the_limit(
    provider: Proauth2, store: PeeweeDataStore, tv: ClientCredentials
) -> None:
    """Concurrent wrong guesses are all counted: the code is locked, never left open by a lost update."""
    answer = authorize(provider, tv)
    guess = wrong_second_half(answer["user_code"])
    outcomes = race(lambda: provider.device_request(guess), store)
    assert outcomes == ["invalid_grant"] * THREADS
    stored = row(store, answer["device_code"])
    assert (stored["status"], stored["failed_attempts"]) == ("denied", 5)
