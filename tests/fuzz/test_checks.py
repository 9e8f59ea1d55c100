"""The properties themselves catch what they claim to: a checker that cannot fail proves nothing."""

from __future__ import annotations

import json

import pytest

from tests.fuzz.checks import (
    RESOURCE_STATUSES,
    assert_endpoint_answer,
    assert_no_leak,
    assert_registered_location,
    assert_unchanged,
    error_body,
)
from tests.fuzz.harness import carries_any
from tests.fuzz.strategies import Hostile, encode_form
from tests.fuzz.world import REDIRECT, Answer

JSON = {"content-type": "application/json", "cache-control": "no-store"}


def _answer(status: int, body: object, **headers: str) -> Answer:
    merged = {**JSON, **headers}
    return Answer(status, merged, json.dumps(body).encode(), list(merged.items()), "POST")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(_answer(500, {"error": "server_error"}), id="500"),
        pytest.param(_answer(503, {"error": "temporarily_unavailable"}), id="503"),
        pytest.param(_answer(400, {"error": "x", "d": 'File "a.py", line 3'}), id="stack-trace"),
        pytest.param(_answer(400, {"error": "KeyError: 'code'"}), id="exception-text"),
        pytest.param(_answer(400, {"error": "invalid_request"}, x="a\r\nb"), id="crlf-header"),
        pytest.param(_answer(400, {"error": "invalid_request", "error_description": "s3cret"}), id="secret-echoed"),
    ],
)
def test_leaks_are_caught(answer: Answer) -> None:
    with pytest.raises(AssertionError):
        assert_no_leak(answer, ["s3cret"])


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(_answer(400, {"error": "made_up"}), id="unknown-code"),
        pytest.param(_answer(400, {"error": "invalid_client"}), id="wrong-status"),
        pytest.param(_answer(401, {"error": "invalid_client"}), id="401-without-challenge"),
        pytest.param(_answer(405, {"error": "invalid_request"}), id="405-without-allow"),
        pytest.param(_answer(400, {"error": "invalid_request", "error_description": 'a "quote"'}), id="bad-charset"),
        pytest.param(_answer(400, {"error": "invalid_request"}, **{"cache-control": "public"}), id="cacheable"),
        pytest.param(_answer(400, {"error": "invalid_request"}, **{"content-type": "text/html"}), id="not-json"),
        pytest.param(_answer(400, ["invalid_request"]), id="not-an-object"),
        pytest.param(_answer(302, {}, location="https://evil.example"), id="redirect"),
    ],
)
def test_bad_error_answers_are_caught_rfc6749_5_2(answer: Answer) -> None:
    with pytest.raises(AssertionError):
        assert_endpoint_answer(answer)


def test_a_good_error_passes_and_dpop_refusals_are_401_at_a_resource_rfc9449_7_1() -> None:
    assert error_body(_answer(400, {"error": "invalid_grant", "error_description": "no"}))["error"] == "invalid_grant"
    refusal = _answer(401, {"error": "invalid_dpop_proof"}, **{"www-authenticate": 'DPoP error="invalid_dpop_proof"'})
    assert error_body(refusal, RESOURCE_STATUSES)["error"] == "invalid_dpop_proof"
    with pytest.raises(AssertionError):
        error_body(refusal)


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/cb?code=x",
        "https://client.example.com/cb/../evil?code=x",
        "https://client.example.com@evil.example/cb?code=x",
        "https://client.example.com/cb#code=x",
        "http://127.0.0.1.evil.example/callback?code=x",
        "http://127.0.0.1/other?code=x",
    ],
)
def test_redirects_to_unregistered_uris_are_caught_rfc9700_4_1(location: str) -> None:
    with pytest.raises(AssertionError):
        assert_registered_location(location, (REDIRECT, "http://127.0.0.1/callback"))


def test_a_registered_query_must_be_kept_first_rfc6749_3_1_2() -> None:
    registered = ("https://c.example/cb?next=x",)
    assert assert_registered_location("https://c.example/cb?next=x&code=c", registered)["code"] == ["c"]
    for location in ("https://c.example/cb?code=c", "https://c.example/cb?next=xy&code=c", "https://c.example/cb"):
        with pytest.raises(AssertionError):
            assert_registered_location(location, registered)


def test_registered_redirects_pass_rfc8252_7_3() -> None:
    assert assert_registered_location(REDIRECT + "?code=c&iss=x", (REDIRECT,)) == {"code": ["c"], "iss": ["x"]}
    assert assert_registered_location("http://127.0.0.1:5555/callback?code=c", ("http://127.0.0.1/callback",))


def test_changed_rows_are_caught() -> None:
    row = (("token_hash", "h"), ("revoked", False))
    before = {"access_tokens": frozenset([row]), "dpop_proofs": frozenset()}
    revoked = {"access_tokens": frozenset([(("token_hash", "h"), ("revoked", True))]), "dpop_proofs": frozenset()}
    with pytest.raises(AssertionError):
        assert_unchanged(before, revoked)
    assert_unchanged(before, revoked, volatile={"access_tokens": ("revoked",)})
    grown = {"access_tokens": frozenset([row]), "dpop_proofs": frozenset([(("proof_hash", "p"),)])}
    assert_unchanged(before, grown)  # a replay cache may gain a row
    with pytest.raises(AssertionError):
        assert_unchanged(grown, before)  # never lose one


def test_artifacts_are_found_raw_or_percent_encoded() -> None:
    hostile = Hostile(body=encode_form([("token", "a/b+c")]))
    assert carries_any(hostile, ["a/b+c"]) and not carries_any(hostile, ["zzz"])
