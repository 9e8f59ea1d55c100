"""Stateless DPoP nonces (RFC 9449 sections 8 and 9): made from the time and a secret, checked without storage."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from proauth2_wsgi.dpop import DEFAULT_NONCE_WINDOW, DPoPNonces
from proauth2_wsgi.errors import UseDPoPNonce, safe_description
from tests.conftest import FakeClock

RFC = "9449"
SECRET = b"s" * 32
#: RFC 9449 section 8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E
NQCHARS = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def nonces(clock: FakeClock) -> DPoPNonces:
    return DPoPNonces(SECRET, clock=clock)


def refusal(nonces: DPoPNonces, nonce: str | None) -> UseDPoPNonce:
    with pytest.raises(UseDPoPNonce) as caught:
        nonces.check(nonce)
    error = caught.value
    assert error.error == "use_dpop_nonce" and error.status_code == 400
    assert error.headers == {"DPoP-Nonce": nonces.current()}
    assert error.error_description is not None and safe_description(error.error_description) == error.error_description
    return error


@pytest.mark.rfc(RFC, "8.1")
def test_a_nonce_is_the_window_index_and_its_hmac(nonces: DPoPNonces, clock: FakeClock) -> None:
    nonce = nonces.current()
    assert NQCHARS.fullmatch(nonce) and len(nonce) == 32
    raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    index = int(clock.now // DEFAULT_NONCE_WINDOW).to_bytes(8, "big")
    tag = hmac.new(SECRET, b"proauth2 dpop nonce" + index, hashlib.sha256).digest()[:16]
    assert raw == index + tag


@pytest.mark.rfc(RFC, "9")
def test_every_worker_with_the_secret_makes_and_accepts_the_same_nonces(clock: FakeClock) -> None:
    one, two = DPoPNonces(SECRET, clock=clock), DPoPNonces(SECRET, clock=clock)
    assert one.current() == two.current()
    two.check(one.current())
    other = DPoPNonces(b"o" * 32, clock=clock)
    assert other.current() != one.current()
    refusal(other, one.current())


@pytest.mark.rfc(RFC, "8")
def test_the_nonce_changes_each_window_and_the_previous_one_stays_accepted(
    nonces: DPoPNonces, clock: FakeClock
) -> None:
    first = nonces.current()
    clock.advance(DEFAULT_NONCE_WINDOW - (clock.now % DEFAULT_NONCE_WINDOW) - 1)  # the window's last second
    assert nonces.current() == first
    nonces.check(first)
    clock.advance(1)
    second = nonces.current()
    assert second != first
    nonces.check(first)
    nonces.check(second)
    clock.advance(DEFAULT_NONCE_WINDOW)
    nonces.check(second)
    error = refusal(nonces, first)
    assert error.error_description == "the DPoP nonce is stale or invalid"


@pytest.mark.rfc(RFC, "8")
def test_a_missing_nonce_asks_for_one(nonces: DPoPNonces) -> None:
    assert refusal(nonces, None).error_description == "the DPoP proof must carry the server's nonce"


@pytest.mark.rfc(RFC, "8")
@pytest.mark.parametrize(
    "nonce",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-nonce", id="garbage"),
        pytest.param("\u00e9" * 32, id="non-ascii"),
        pytest.param("\ud800", id="lone-surrogate"),
    ],
)
def test_a_wrong_nonce_is_stale_or_invalid(nonces: DPoPNonces, nonce: str) -> None:
    assert refusal(nonces, nonce).error_description == "the DPoP nonce is stale or invalid"


def test_a_future_windows_nonce_is_refused(nonces: DPoPNonces, clock: FakeClock) -> None:
    clock.advance(DEFAULT_NONCE_WINDOW)
    future = nonces.current()
    clock.advance(-DEFAULT_NONCE_WINDOW)
    refusal(nonces, future)


def test_the_window_is_configurable(clock: FakeClock) -> None:
    nonces = DPoPNonces(SECRET, window=10, clock=clock)
    nonce = nonces.current()
    clock.advance(20)
    refusal(nonces, nonce)


@pytest.mark.parametrize(
    ("secret", "window"),
    [
        pytest.param(b"s" * 31, 300, id="short-secret"),
        pytest.param("s" * 32, 300, id="text-secret"),
        pytest.param(SECRET, 0, id="no-window"),
    ],
)
def test_a_short_secret_or_empty_window_is_refused(secret: bytes, window: int) -> None:
    with pytest.raises(ValueError):
        DPoPNonces(secret, window=window)


def test_the_secret_is_never_shown(nonces: DPoPNonces) -> None:
    assert repr(nonces) == f"<DPoPNonces window={DEFAULT_NONCE_WINDOW}>"
    assert SECRET.decode() not in repr(nonces) and SECRET.decode() not in str(refusal(nonces, None))
