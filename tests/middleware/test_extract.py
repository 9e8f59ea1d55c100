"""RFC 6750 §2: where a request may carry its token, and what is malformed (no database needed)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from proauth2_wsgi.bearer import MAX_FORM_BODY, bearer_error_response, extract_token
from proauth2_wsgi.errors import InsufficientScope, InvalidRequest, InvalidToken, StorageUnavailable, safe_description

TOKEN = "tok-EN_.~+/abc=="


def environ(**options: Any) -> dict[str, Any]:
    return EnvironBuilder(**options).get_environ()


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_rfc6750_2_1_header_scheme_is_case_insensitive(scheme: str) -> None:
    assert extract_token(environ(headers={"Authorization": f"{scheme} {TOKEN}"})) == TOKEN


def test_rfc6750_2_1_no_token_is_none() -> None:
    assert extract_token(environ()) is None


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Digest username=x", "Negotiate abc", "Bearerx abc", "  "])
def test_rfc6750_2_1_another_scheme_is_not_a_bearer_token(header: str) -> None:
    assert extract_token(environ(headers={"Authorization": header})) is None


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
        pytest.param("Bearer " + "a" * 513, id="too-long"),
        pytest.param("Bearer abc, Bearer def", id="two-headers-joined"),
        pytest.param("Bearer\tabc", id="tab-not-space"),
        pytest.param("bearer\t abc", id="tab-then-space"),
    ],
)
def test_rfc6750_2_1_malformed_header_is_invalid_request(header: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        extract_token(environ(headers={"Authorization": header}))
    assert caught.value.status_code == 400


def test_rfc6750_2_3_query_token_refused_by_default() -> None:
    with pytest.raises(InvalidRequest, match="query string"):
        extract_token(environ(query_string={"access_token": TOKEN}))


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


def test_rfc6750_2_3_query_token_when_allowed() -> None:
    assert extract_token(environ(query_string={"access_token": TOKEN, "x": "1"}), allow_query=True) == TOKEN


def test_rfc6750_2_3_other_query_parameters_are_not_tokens() -> None:
    assert extract_token(environ(query_string={"not_access_token": "1", "access_tokens": "2"})) is None


def test_rfc6750_2_3_repeated_parameter_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest, match="repeated"):
        extract_token(environ(query_string="access_token=a&access_token=b"), allow_query=True)


def form(data: dict[str, str], method: str = "POST", content_type: str = "application/x-www-form-urlencoded") -> dict:
    return environ(method=method, data=data, content_type=content_type)


def test_rfc6750_2_2_form_token_when_enabled_and_body_still_readable() -> None:
    env = form({"access_token": TOKEN, "name": "value"})
    assert extract_token(env, allow_form=True) == TOKEN
    assert Request(env).form.to_dict() == {"access_token": TOKEN, "name": "value"}  # the app reads it too


def test_rfc6750_2_2_form_token_ignored_when_disabled() -> None:
    env = form({"access_token": TOKEN})
    assert extract_token(env) is None
    assert env["wsgi.input"].read().startswith(b"access_token=")  # untouched


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


def test_rfc6750_2_2_form_token_read_through_an_existing_werkzeug_request() -> None:
    env = form({"access_token": TOKEN})
    request = Request(env)
    assert request.form["access_token"] == TOKEN  # the framework parsed the body first
    assert extract_token(env, allow_form=True) == TOKEN


def test_rfc6750_2_2_oversized_form_is_invalid_request() -> None:
    env = form({"access_token": TOKEN, "pad": "x" * MAX_FORM_BODY})
    with pytest.raises(InvalidRequest, match="too large"):
        extract_token(env, allow_form=True)


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


def test_rfc6750_2_header_and_form_is_invalid_request() -> None:
    env = form({"access_token": TOKEN})
    env["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    with pytest.raises(InvalidRequest, match="more than one method"):
        extract_token(env, allow_form=True)


def test_rfc6750_2_query_and_form_is_invalid_request() -> None:
    env = form({"access_token": TOKEN})
    env["QUERY_STRING"] = f"access_token={TOKEN}"
    with pytest.raises(InvalidRequest, match="more than one method"):
        extract_token(env, allow_form=True, allow_query=True)


def challenge_and_body(error: Any) -> tuple[int, str | None, dict[str, Any], dict[str, str]]:
    response = bearer_error_response(error, "api")
    return response.status_code, response.headers.get("WWW-Authenticate"), json.loads(response.data), response.headers


def test_rfc6750_3_no_token_challenge_has_no_error_code() -> None:
    status, challenge, body, headers = challenge_and_body(None)
    assert (status, challenge, body) == (401, 'Bearer realm="api"', {})
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"


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
    status, challenge, body, headers = challenge_and_body(StorageUnavailable("the database failed"))
    assert (status, challenge, body["error"]) == (503, None, "temporarily_unavailable")
    assert headers["Retry-After"] == "5"
