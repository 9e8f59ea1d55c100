"""Hostile dynamic client registration (RFC 7591 §2, §3, §3.2.2; OIDC Dynamic Registration §2).

JSON bodies of any shape, valid metadata with hostile members, and bodies
that are not JSON at all. A refusal registers nothing; a registration that
succeeds never holds a redirect URI a browser could be sent astray with
(RFC 9700 §4.1.1: https, or http on loopback, no fragment).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import exercise
from tests.fuzz.pieces import DPOP_KEY
from tests.fuzz.strategies import (
    CONTENT_TYPES,
    Hostile,
    authorization_headers,
    header_value,
    hostile_text,
    json_bytes,
    json_values,
    redirect_uris,
)
from tests.fuzz.world import REDIRECT, World

PATH = "/oauth/register"
uri_lists = st.lists(redirect_uris(REDIRECT, "http://127.0.0.1/cb", "https://rp.example.com/out"), max_size=3)
METADATA = {
    "redirect_uris": st.one_of(uri_lists, json_values),
    "post_logout_redirect_uris": st.one_of(uri_lists, json_values),
    "client_name": st.one_of(hostile_text("My app"), json_values),
    "token_endpoint_auth_method": st.one_of(
        st.sampled_from(["none", "client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth"]),
        hostile_text(),
    ),
    "grant_types": st.one_of(
        st.lists(
            st.sampled_from(["authorization_code", "refresh_token", "client_credentials", "implicit", "password"])
        ),
        json_values,
    ),
    "response_types": st.one_of(st.lists(st.sampled_from(["code", "token", "id_token"])), json_values),
    "scope": st.one_of(hostile_text("profile", "openid profile email"), json_values),
    "jwks": st.one_of(st.just({"keys": [DPOP_KEY.as_dict(private=False)]}), json_values),
    "jwks_uri": st.one_of(redirect_uris("https://client.example.com/jwks"), json_values),
    "contacts": st.one_of(st.lists(hostile_text("a@example.com"), max_size=3), json_values),
    "logo_uri": redirect_uris("https://client.example.com/logo.png"),
    "client_uri": redirect_uris("https://client.example.com/"),
    "id_token_signed_response_alg": st.one_of(st.sampled_from(["RS256", "ES256", "none", "HS256"]), json_values),
    "subject_type": hostile_text("public", "pairwise"),
    "software_statement": hostile_text("eyJhbGciOiJub25lIn0.e30."),
    "require_pushed_authorization_requests": json_values,
    "dpop_bound_access_tokens": json_values,
}
metadata_documents = st.fixed_dictionaries({}, optional=METADATA).map(
    lambda members: {"redirect_uris": [REDIRECT], **members}
)


def _assert_safe_uri(uri: str) -> None:
    """RFC 9700 §4.1.1, RFC 8252 §7.3, RFC 6749 §3.1.2: https, or http on loopback; absolute; no fragment."""
    parts = urlsplit(uri)
    assert parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost"))
    assert parts.netloc and not parts.fragment and "\\" not in uri and uri.isprintable(), uri


@pytest.mark.rfc("7591", "3.2.2")
@given(data=st.data())
def test_hostile_registration_requests_rfc7591_3_2_2(world: World, data: st.DataObject) -> None:
    body = data.draw(json_bytes(metadata_documents))
    content_type = data.draw(st.one_of(st.just("application/json"), st.sampled_from(CONTENT_TYPES)))
    method = data.draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE"]))
    headers = {}
    authorization = data.draw(authorization_headers())
    if authorization is not None:
        headers["Authorization"] = header_value(authorization)
    answer, error = exercise(world, "registration", Hostile(method, PATH, b"", content_type, body, headers))
    if error is None:
        assert answer.status == 201, answer.status
        registered = json.loads(answer.body)
        for uri in registered.get("redirect_uris", []) + registered.get("post_logout_redirect_uris", []):
            _assert_safe_uri(uri)
