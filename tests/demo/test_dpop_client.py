"""The DPoP client key (proauth2_wsgi/dpop/client.py) as the demo client uses it: proofs its verifier takes.

No server here: each proof is checked by :class:`~proauth2_wsgi.dpop.ProofVerifier`
as the token endpoint and the resources check it (§4.3), its thumbprint
against RFC 7638 worked by hand, and the key is kept out of every ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import ECKey

from demo.client_views import PENDING, DemoClient, PendingFlows, start_flow
from proauth2_wsgi.dpop import DPoPKey, DPoPNonces, ProofVerifier, access_token_hash
from proauth2_wsgi.dpop.client import htu
from proauth2_wsgi.errors import UseDPoPNonce

pytestmark = pytest.mark.rfc("9449", "4.2")

URL = "http://127.0.0.1:5000/api/me"
TOKEN = "an-access-token-of-43-characters-xxxxxxxxxx"
NOW = 1_800_000_000


def _decoded(part: str) -> dict[str, Any]:
    value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(value, dict)
    return value


def _parts(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A compact JWS's header and payload."""
    header, payload, _ = proof.split(".")
    return _decoded(header), _decoded(payload)


def test_a_proof_is_what_the_provider_verifies() -> None:
    key = DPoPKey(clock=lambda: NOW)
    proof = key.proof("get", URL + "?q=1#frag", access_token=TOKEN)
    verified = ProofVerifier(clock=lambda: NOW).verify(proof, method="GET", urls=(URL,), access_token=TOKEN)
    assert (verified.jkt, verified.htm, verified.htu, verified.iat) == (key.thumbprint, "GET", URL, NOW)
    assert verified.ath == access_token_hash(TOKEN) and verified.nonce is None

    header, claims = _parts(proof)
    assert (header["typ"], header["alg"]) == ("dpop+jwt", "ES256")
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}  # the public key only (§4.2)
    assert set(claims) == {"jti", "htm", "htu", "iat", "ath"}


def test_each_proof_is_new_and_carries_the_nonce_it_is_given() -> None:
    key = DPoPKey()
    first, second = (_parts(key.proof("POST", URL))[1] for _ in range(2))
    assert first["jti"] != second["jti"]  # §11.1: a server refuses a jti it saw
    assert "nonce" not in first and "ath" not in first

    nonces = DPoPNonces(b"k" * 32, clock=lambda: NOW)
    verifier = ProofVerifier(clock=lambda: NOW)
    with pytest.raises(UseDPoPNonce):
        verifier.verify(DPoPKey(clock=lambda: NOW).proof("POST", URL), method="POST", urls=(URL,), nonces=nonces)
    proof = DPoPKey(clock=lambda: NOW).proof("POST", URL, nonce=nonces.current())
    assert verifier.verify(proof, method="POST", urls=(URL,), nonces=nonces).nonce == nonces.current()


@pytest.mark.rfc("7638", "3.1")
def test_the_thumbprint_is_rfc_7638() -> None:
    private = ECKey.generate_key("P-256")
    public = private.as_dict(private=False)
    members = json.dumps({name: public[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    assert DPoPKey(private).thumbprint == expected


def test_ath_and_htu() -> None:
    """§4.2: ``ath`` is base64url(SHA-256(token)); ``htu`` has no query or fragment."""
    assert access_token_hash("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    assert htu("https://as.example.com/token?x=1#y") == "https://as.example.com/token"


def test_the_key_is_never_shown() -> None:
    key = DPoPKey()
    private = str(key._key.as_dict(private=True)["d"])
    flow = PendingFlows().start(bound=True, dpop=True)
    assert flow.dpop is not None
    flow_private = str(flow.dpop._key.as_dict(private=True)["d"])
    for shown in (repr(key), str(key), repr(flow), repr(flow.dpop)):
        assert private not in shown and flow_private not in shown
    assert repr(key) == f"<DPoPKey ES256 jkt={key.thumbprint}>"


@pytest.mark.rfc("9449", "10")
def test_a_dpop_flow_names_its_key_in_the_authorization_request() -> None:
    client = DemoClient("demo", "secret", "http://127.0.0.1:5000/client/callback", "http://127.0.0.1:5000", "x")
    url, state = start_flow(client, dpop=True)
    sent = parse_qs(urlsplit(url).query)
    flow = PENDING.finish(state)
    assert flow is not None and flow.dpop is not None
    assert sent["dpop_jkt"] == [flow.dpop.thumbprint]

    bearer_url, bearer_state = start_flow(client)
    assert "dpop_jkt" not in parse_qs(urlsplit(bearer_url).query)
    bearer = PENDING.finish(bearer_state)
    assert bearer is not None and bearer.dpop is None
