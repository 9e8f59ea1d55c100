"""RFC 6750 §2, §3: where a request may carry its token, what is malformed, how refusals look (no database)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from proauth2_wsgi.errors import (
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    Proauth2Error,
    TemporarilyUnavailable,
    safe_description,
)
from proauth2_wsgi.middleware import MAX_FORM_BODY, resource_request
from proauth2_wsgi.protector import Protector
from proauth2_wsgi.tokens import MAX_ACCESS_TOKEN_LENGTH

TOKEN = "tok-EN_.~+/abc=="


def environ(**options: Any) -> dict[str, Any]:
    return EnvironBuilder(**options).get_environ()


def extract_token(env: dict[str, Any], *, allow_form: bool = False, allow_query: bool = False) -> str | None:
    """The token the protector finds in a WSGI request (its validator is never reached)."""
    protector = Protector(None, allow_form_token=allow_form, allow_query_token=allow_query)  # type: ignore[arg-type]
    return protector.extract(resource_request(env))


@pytest.mark.rfc("6750", "2.1")
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_rfc6750_2_1_header_scheme_is_case_insensitive(scheme: str) -> None:
    assert extract_token(environ(headers={"Authorization": f"{scheme} {TOKEN}"})) == TOKEN


@pytest.mark.rfc("6750", "2.1")
def test_rfc6750_2_1_no_token_is_none() -> None:
    assert extract_token(environ()) is None


@pytest.mark.rfc("6750", "2.1")
@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Digest username=x", "Negotiate abc", "Bearerx abc", "  "])
def test_rfc6750_2_1_another_scheme_is_not_a_bearer_token(header: str) -> None:
    assert extract_token(environ(headers={"Authorization": header})) is None


@pytest.mark.rfc("6750", "2.1")
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer", id="bare-scheme"),
        pytest.param("Bearer ", id="scheme-and-space"),
        pytest.param("Bearer a b", id="two-tokens"),
        pytest.param("Bearer abc, foo=bar", id="parameters"),
        pytest.param("Bearer a=b", id="inner-equals"),
        pytest.param("Bearer a!b", id="outside-b64token"),
        pytest.param('Bearer "abc"', id="quoted"),
        pytest.param("Bearer abc, Bearer def", id="two-headers-joined"),
        pytest.param("Bearer\tabc", id="tab-not-space"),
        pytest.param("bearer\t abc", id="tab-then-space"),
    ],
)
def test_rfc6750_2_1_malformed_header_is_invalid_request(header: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        extract_token(environ(headers={"Authorization": header}))
    assert caught.value.status_code == 400


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_2_3_query_token_refused_by_default() -> None:
    with pytest.raises(InvalidRequest, match="query string"):
        extract_token(environ(query_string={"access_token": TOKEN}))


@pytest.mark.rfc("6750", "2.3")
@pytest.mark.parametrize(
    "query",
    [
        pytest.param("access%5Ftoken=" + TOKEN, id="encoded-underscore"),
        pytest.param("access%5ftoken=" + TOKEN, id="encoded-lower-hex"),
        pytest.param("%61ccess_token=" + TOKEN, id="encoded-letter"),
    ],
)
def test_rfc6750_2_3_percent_encoded_parameter_name_is_still_refused(query: str) -> None:
    """RFC 6750 §2.3 / RFC 9700 §4.3.2: ``access%5Ftoken`` is ``access_token`` once decoded, and refused as well."""
    with pytest.raises(InvalidRequest, match="query string"):
        extract_token(environ(query_string=query))
    with pytest.raises(InvalidRequest, match="more than one method"):
        extract_token(environ(query_string=query, headers={"Authorization": f"Bearer {TOKEN}"}), allow_query=True)


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_error_descriptions_reach_clients_unaltered() -> None:
    """RFC 6749 §5.2 allows no "§" in ``error_description``: ours carry none, so none is mangled into "?"."""
    both = {"query_string": {"access_token": TOKEN}, "headers": {"Authorization": f"Bearer {TOKEN}"}}
    cases: list[tuple[dict[str, Any], bool]] = [
        ({"headers": {"Authorization": "Bearer a b"}}, False),
        ({"query_string": {"access_token": TOKEN}}, False),
        (both, True),
    ]
    for options, allow_query in cases:
        with pytest.raises(InvalidRequest) as caught:
            extract_token(environ(**options), allow_query=allow_query)
        description = caught.value.error_description
        assert description is not None
        assert "?" not in description
        assert safe_description(description) == description


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_2_3_query_token_when_allowed() -> None:
    assert extract_token(environ(query_string={"access_token": TOKEN, "x": "1"}), allow_query=True) == TOKEN


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_2_3_other_query_parameters_are_not_tokens() -> None:
    assert extract_token(environ(query_string={"not_access_token": "1", "access_tokens": "2"})) is None


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_2_3_repeated_parameter_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest, match="repeated"):
        extract_token(environ(query_string="access_token=a&access_token=b"), allow_query=True)


def form(data: dict[str, str], method: str = "POST", content_type: str = "application/x-www-form-urlencoded") -> dict:
    return environ(method=method, data=data, content_type=content_type)


@pytest.mark.rfc("6750", "2.2")
def test_rfc6750_2_2_form_token_when_enabled_and_body_still_readable() -> None:
    env = form({"access_token": TOKEN, "name": "value"})
    assert extract_token(env, allow_form=True) == TOKEN
    assert Request(env).form.to_dict() == {"access_token": TOKEN, "name": "value"}  # the app reads it too


@pytest.mark.rfc("6750", "2.2")
def test_rfc6750_2_2_form_token_ignored_when_disabled() -> None:
    env = form({"access_token": TOKEN})
    assert extract_token(env) is None
    assert env["wsgi.input"].read().startswith(b"access_token=")  # untouched


@pytest.mark.rfc("6750", "2.2")
@pytest.mark.parametrize(
    ("method", "content_type"),
    [
        pytest.param("GET", "application/x-www-form-urlencoded", id="GET"),
        pytest.param("POST", "application/json", id="json"),
        pytest.param("POST", "multipart/form-data", id="multipart"),
    ],
)
def test_rfc6750_2_2_form_token_only_in_urlencoded_non_get_bodies(method: str, content_type: str) -> None:
    env = environ(method=method, content_type=content_type, input_stream=io.BytesIO(b"access_token=x"))
    env["CONTENT_LENGTH"] = "14"
    assert extract_token(env, allow_form=True) is None


@pytest.mark.rfc("6750", "2.2")
def test_rfc6750_2_2_form_token_read_through_an_existing_werkzeug_request() -> None:
    env = form({"access_token": TOKEN})
    request = Request(env)
    assert request.form["access_token"] == TOKEN  # the framework parsed the body first
    assert extract_token(env, allow_form=True) == TOKEN


@pytest.mark.rfc("6750", "2.2")
def test_rfc6750_2_2_oversized_form_is_invalid_request() -> None:
    env = form({"access_token": TOKEN, "pad": "x" * MAX_FORM_BODY})
    with pytest.raises(InvalidRequest, match="too large"):
        extract_token(env, allow_form=True)


@pytest.mark.rfc("6750", "2")
@pytest.mark.parametrize(
    "options",
    [
        pytest.param(
            {"headers": {"Authorization": f"Bearer {TOKEN}"}, "query_string": {"access_token": TOKEN}},
            id="header+query",
        ),
    ],
)
def test_rfc6750_2_more_than_one_method_is_invalid_request(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest, match="more than one method"):
        extract_token(environ(**options), allow_query=True)


@pytest.mark.rfc("6750", "2")
def test_rfc6750_2_header_and_form_is_invalid_request() -> None:
    env = form({"access_token": TOKEN})
    env["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    with pytest.raises(InvalidRequest, match="more than one method"):
        extract_token(env, allow_form=True)


@pytest.mark.rfc("6750", "2")
def test_rfc6750_2_query_and_form_is_invalid_request() -> None:
    env = form({"access_token": TOKEN})
    env["QUERY_STRING"] = f"access_token={TOKEN}"
    with pytest.raises(InvalidRequest, match="more than one method"):
        extract_token(env, allow_form=True, allow_query=True)


def challenge_and_body(error: Proauth2Error | None) -> tuple[int, str | None, dict[str, Any], dict[str, str]]:
    protector = Protector(None)  # type: ignore[arg-type]
    refusal = protector.no_token if error is None else protector.refusal(error)
    headers = dict(refusal.headers)
    return refusal.status, headers.get("WWW-Authenticate"), json.loads(refusal.body), headers


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_no_token_challenge_has_no_error_code() -> None:
    """No error code in the challenge; the body says in words what is missing."""
    status, challenge, body, headers = challenge_and_body(None)
    assert (status, challenge) == (401, 'Bearer realm="api"')
    assert "error" not in body and "access token" in body["error_description"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Vary"] == "Authorization"


def test_tokens_up_to_4_kib_are_well_formed_and_longer_ones_are_not_malformed_but_invalid() -> None:
    """A signed JWT of a few KiB is a b64token like any other; past the cap it is 401, not 400."""
    long_token = "a" * MAX_ACCESS_TOKEN_LENGTH
    assert extract_token(environ(headers={"Authorization": f"Bearer {long_token}"})) == long_token

    class Never:
        def validate_token(self, token: str, request: Any) -> Any:
            raise AssertionError("an oversized token must not reach the validator")

    refusal = Protector(Never()).authenticate(
        resource_request(environ(headers={"Authorization": "Bearer " + "a" * 5000}))
    )
    assert refusal is not None and refusal.status == 401  # type: ignore[union-attr]
    assert b"invalid_token" in refusal.body  # type: ignore[union-attr]


def test_a_validator_bug_is_a_bare_500_without_a_trace() -> None:
    class Broken:
        def validate_token(self, token: str, request: Any) -> Any:
            raise KeyError("secret internals")

    refusal = Protector(Broken()).authenticate(resource_request(environ(headers={"Authorization": f"Bearer {TOKEN}"})))
    assert refusal is not None and refusal.status == 500  # type: ignore[union-attr]
    assert json.loads(refusal.body)["error"] == "server_error"  # type: ignore[union-attr]
    assert b"secret internals" not in refusal.body  # type: ignore[union-attr]


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize(
    ("error", "status", "challenge"),
    [
        pytest.param(
            InvalidRequest("bad"), 400, 'Bearer realm="api", error="invalid_request", error_description="bad"', id="400"
        ),
        pytest.param(
            InvalidToken("gone"), 401, 'Bearer realm="api", error="invalid_token", error_description="gone"', id="401"
        ),
        pytest.param(
            InsufficientScope("more", scope="admin email"),
            403,
            'Bearer realm="api", error="insufficient_scope", error_description="more", scope="admin email"',
            id="403",
        ),
    ],
)
def test_rfc6750_3_1_error_codes_statuses_and_challenges(error: Any, status: int, challenge: str) -> None:
    got_status, got_challenge, body, _ = challenge_and_body(error)
    assert (got_status, got_challenge) == (status, challenge)
    assert body["error"] == error.error


def test_storage_outage_is_503_with_retry_after_and_no_challenge() -> None:
    status, challenge, body, headers = challenge_and_body(TemporarilyUnavailable("the database failed"))
    assert (status, challenge, body["error"]) == (503, None, "temporarily_unavailable")
    assert headers["Retry-After"] == "5"
    assert "database" not in body["error_description"]
