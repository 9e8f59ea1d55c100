"""The parsers on their own, fed hostile input directly: each returns or raises its one documented error.

- the Authorization header (RFC 9110 §11.6.2): :func:`proauth2_wsgi.headers.parse_authorization`;
- the compact JWS reader (RFC 7515 §3.1, §5.2): :mod:`proauth2_wsgi.compact_jws`;
- DPoP proofs (RFC 9449 §4.3): ``ProofVerifier.verify`` raises only ``InvalidDPoPProof``,
  ``proof_value`` and ``normalise_htu`` only theirs;
- JWT access tokens (RFC 9068 §4): ``JWTValidator.validate_token`` raises only ``InvalidToken``,
  for garbage and for tokens signed by the trusted key with hostile claims;
- redirect URI matching (RFC 6749 §3.1.2, RFC 8252 §7.3, RFC 9700 §4.1.3): only a registered URI matches,
  or a loopback one differing by its port alone.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry

from proauth2_wsgi.compact_jws import COMPACT, json_object
from proauth2_wsgi.dpop.proofs import ProofVerifier, normalise_htu, proof_value
from proauth2_wsgi.errors import InvalidDPoPProof, InvalidToken, UseDPoPNonce
from proauth2_wsgi.headers import parse_authorization
from proauth2_wsgi.uris import add_query, match_redirect_uri
from proauth2_wsgi.validators import JWTValidator
from tests.fuzz.counting import tried
from tests.fuzz.pieces import dpop_proofs, hostile_header_members, hostile_members
from tests.fuzz.strategies import (
    OPEN_REDIRECTS,
    authorization_headers,
    b64url,
    broken_segments,
    compact_jws_like,
    header_value,
    hostile_text,
    redirect_uris,
)
from tests.fuzz.world import API, ISSUER, LOOPBACK, REDIRECT, World

HTU = ISSUER + "/oauth/token"
#: the resource server's own key, trusted by the validator under test
RS_KEY = ECKey.generate_key("P-256", parameters={"kid": "rs-1"})


@pytest.mark.rfc("9110", "11.6.2")
@given(header=authorization_headers())
def test_authorization_header_parsing_never_raises_rfc9110_11_6_2(header: str | None) -> None:
    tried("parser: Authorization header")
    parsed = parse_authorization(None if header is None else header_value(header))
    assert parsed is None or isinstance(parsed.type, str)


@pytest.mark.rfc("7515", "5.2")
@given(token=st.one_of(compact_jws_like, broken_segments))
def test_compact_jws_reader_returns_an_object_or_none_rfc7515_5_2(token: str) -> None:
    tried("parser: compact JWS reader")
    match = COMPACT.fullmatch(token)
    for segment in match.groups()[:2] if match else (token,):
        value = json_object(segment)
        assert value is None or isinstance(value, dict)


@pytest.mark.rfc("9449", "4.3")
@given(data=st.data())
def test_dpop_proof_verification_raises_only_invalid_dpop_proof_rfc9449_4_3(world: World, data: st.DataObject) -> None:
    tried("parser: DPoP proof")
    verifier = ProofVerifier(clock=world.clock)
    proof = data.draw(dpop_proofs(world, HTU))
    method = data.draw(st.sampled_from(["POST", "GET", "post"]))
    token = data.draw(st.one_of(st.none(), hostile_text(world.artifact("access_token"))))
    try:
        checked = verifier.verify(proof, method=method, urls=[HTU], access_token=token)
    except (InvalidDPoPProof, UseDPoPNonce):
        return
    assert checked.jkt and method == "POST", checked


@pytest.mark.rfc("9449", "4.3")
@given(value=st.one_of(st.none(), compact_jws_like), url=st.one_of(redirect_uris(HTU), hostile_text(HTU)))
def test_dpop_header_and_htu_parsing_rfc9449_4_3(value: str | None, url: str) -> None:
    tried("parser: DPoP header and htu")
    headers = {} if value is None else {"DPoP": header_value(value)}  # as a WSGI environ may hold it, CR/LF too
    try:
        assert proof_value(headers) in (None, headers.get("DPoP"))
    except InvalidDPoPProof:
        pass
    try:
        normalised = normalise_htu(url)
    except ValueError:
        return
    assert urlsplit(normalised).scheme in ("http", "https")


def _sign(header: dict, claims: object, key: ECKey = RS_KEY) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = JWSRegistry.algorithms["ES256"].sign(signing_input.encode(), key)
    return f"{signing_input}.{b64url(signature)}"


@st.composite
def jwt_access_tokens(draw: st.DrawFn, now: int) -> str:
    """Signed by the trusted key with hostile claims or header members, by another key, or garbage."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(compact_jws_like)
    claims = {
        "iss": ISSUER,
        "aud": API,
        "sub": "alice",
        "client_id": "c",
        "exp": now + 60,
        "iat": now,
        "jti": "j",
        "scope": "profile",
    }
    header = {"alg": "ES256", "typ": "at+jwt", "kid": "rs-1"}
    if kind == 3:
        return _sign(header, draw(st.one_of(st.lists(st.integers()), hostile_text())))
    claims.update(draw(hostile_members))
    header.update(draw(hostile_header_members))
    return _sign(header, claims, RS_KEY if kind == 1 else ECKey.generate_key("P-256"))


@pytest.mark.rfc("9068", "4")
@given(data=st.data())
def test_jwt_access_token_validation_raises_only_invalid_token_rfc9068_4(world: World, data: st.DataObject) -> None:
    tried("parser: JWT access token (JWTValidator)")
    now = int(world.clock.now)
    validator = JWTValidator(
        issuer=ISSUER, audience=API, keys={"keys": [RS_KEY.as_dict(private=False)]}, clock=world.clock
    )
    token = data.draw(jwt_access_tokens(now))
    try:
        access = validator.validate_token(token)
    except InvalidToken as refused:
        assert refused.status_code == 401
        return
    assert access.client_id and access.expires_at > now


@pytest.mark.rfc("9700", "4.1.3")
@given(requested=st.one_of(redirect_uris(REDIRECT, LOOPBACK), st.sampled_from(OPEN_REDIRECTS)))
def test_only_registered_redirect_uris_match_rfc9700_4_1_3(requested: str) -> None:
    tried("parser: redirect URI matching")
    if not match_redirect_uri(requested, [REDIRECT, LOOPBACK]):
        return
    parts = urlsplit(requested)
    assert requested == REDIRECT or (
        parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.path == "/callback" and not parts.query
    ), requested
    added = add_query(requested, {"code": "c", "state": "s\r\n#x"})
    assert urlsplit(added).hostname == parts.hostname and "\r" not in added and "#" not in added
