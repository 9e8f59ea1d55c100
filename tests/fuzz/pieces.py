"""Strategies that need the world: its clients' credentials, its artifacts, signed proofs and assertions.

Signed values are real (a DPoP proof signed by a real key, an RFC 7523
assertion signed by the registered client key) with hostile claims or
headers drawn in, so the parsers are reached past the signature check too.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from joserfc.jwk import ECKey

from proauth2_wsgi.client_auth.private_key_jwt import ASSERTION_TYPE
from tests.dpop.proofs import make_proof, sign_compact
from tests.fuzz.strategies import (
    authorization_headers,
    basic,
    compact_jws_like,
    hostile_text,
    json_values,
)
from tests.fuzz.world import ISSUER, World

#: a DPoP key made once per run (EC P-256: fast)
DPOP_KEY = ECKey.generate_key("P-256")

#: claims and header members worth overwriting with hostile values
_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "jti", "htm", "htu", "ath", "nonce", "cnf", "client_id", "scope")
_HEADERS = ("alg", "typ", "kid", "jwk", "crit", "x5u", "jku", "b64", "zip")
hostile_members = st.dictionaries(
    st.sampled_from(_CLAIMS), st.one_of(json_values, hostile_text().filter(lambda text: len(text) < 10_000)), max_size=3
)
hostile_header_members = st.dictionaries(
    st.sampled_from(_HEADERS),
    st.one_of(json_values, st.sampled_from(["none", "HS256", "RS256", "dpop+jwt", "JWT", "at+jwt"])),
    max_size=2,
)


def client_authorizations(world: World) -> st.SearchStrategy[str | None]:
    """Authorization headers: each confidential client's correct Basic, a public client's ``id:``, hostile ones."""
    valid = [basic(client.client_id, client.client_secret or "") for client in world.clients if client.client_secret]
    valid.append(basic(world.public.client_id, ""))
    return authorization_headers(*valid)


def client_ids(world: World) -> st.SearchStrategy[str]:
    return hostile_text(*(client.client_id for client in world.clients))


def client_secrets(world: World) -> st.SearchStrategy[str]:
    return hostile_text(*world.secrets)


@st.composite
def dpop_proofs(draw: st.DrawFn, world: World, htu: str, htm: str = "POST", access_token: str | None = None) -> str:
    """A DPoP proof: valid for ``htu``, or with hostile claims or header members, or not a JWS at all."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(compact_jws_like)
    now = int(world.clock.now)
    if kind == 1:
        return make_proof(DPOP_KEY, htu=htu, htm=htm, iat=now)
    if kind == 2:
        return make_proof(
            DPOP_KEY,
            htu=htu,
            htm=htm,
            iat=now,
            extra_claims=draw(hostile_members),
            extra_header=draw(hostile_header_members),
        )
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": DPOP_KEY.as_dict(private=False)}
    payload = draw(st.one_of(json_values.map(json.dumps), hostile_text()))
    return sign_compact(json.dumps(header).encode(), payload.encode("utf-8", "surrogatepass"), DPOP_KEY, "ES256")


@st.composite
def client_assertions(draw: st.DrawFn, world: World, audience: str) -> str:
    """An RFC 7523 assertion of the private_key_jwt client: valid, with hostile claims/header, or garbage."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(compact_jws_like)
    changes: dict[str, Any] = {}
    if kind == 2:
        # client_id names the assertion's client (AssertionKey.assertion's own argument), not a claim here
        changes = {
            name: value for name, value in draw(hostile_members).items() if value is not None and name != "client_id"
        }
        header = draw(hostile_header_members)
        if header:
            changes["header"] = {name: value for name, value in header.items() if value is not None}
    return world.assertion_key.assertion(world.jwt_client.client_id, audience, now=world.clock.now, **changes)


def assertion_params(world: World, audience: str) -> dict[str, st.SearchStrategy[str]]:
    """The RFC 7523 §2.2 parameters, hostile or valid."""
    return {
        "client_assertion_type": hostile_text(ASSERTION_TYPE),
        "client_assertion": client_assertions(world, audience),
    }


def endpoint_url(path: str) -> str:
    """The public URL of an endpoint below the issuer (what ``aud`` and ``htu`` name)."""
    return ISSUER + path
