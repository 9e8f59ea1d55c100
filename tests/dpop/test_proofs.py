"""DPoP proofs (RFC 9449 section 4.3): real proofs verify to their key's thumbprint, every hostile one is refused.

Every refusal is :class:`InvalidDPoPProof` with a description in the RFC 6749
section 5.2 charset that holds no part of the proof (:func:`assert_refused`).
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import SecurityWarning
from joserfc.jwk import Key, RSAKey

from proauth2_wsgi.dpop import (
    DEFAULT_ALGORITHMS,
    DEFAULT_MAX_AGE,
    MAX_JTI_LENGTH,
    MAX_PROOF_LENGTH,
    SUPPORTED_ALGORITHMS,
    DPoPNonces,
    DPoPProof,
    ProofVerifier,
    access_token_hash,
    normalise_htu,
    proof_value,
)
from proauth2_wsgi.errors import InvalidDPoPProof, UseDPoPNonce, safe_description
from tests.conftest import FakeClock
from tests.dpop.proofs import HTU, make_proof, new_key, sign_compact

RFC = "9449"
NOW = 1_800_000_000
TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"  # the access token of RFC 9449 section 7.1

Keys = dict[str, Key]


@pytest.fixture(scope="module")
def keys() -> Keys:
    """One key per algorithm (RSA keys are slow to make), and ``other``: an ES256 key no proof names."""
    made = {alg: new_key(alg) for alg in sorted(SUPPORTED_ALGORITHMS | {"HS256"})}
    made["other"] = new_key("ES256")
    return made


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def verifier(clock: FakeClock) -> ProofVerifier:
    return ProofVerifier(clock=clock)


def verify(verifier: ProofVerifier, proof: str, **request: object) -> DPoPProof:
    """``verifier.verify`` for a POST to :data:`HTU` unless ``request`` says otherwise."""
    arguments: dict[str, object] = {"method": "POST", "urls": [HTU]} | request
    return verifier.verify(proof, **arguments)  # type: ignore[arg-type]


def assert_safe(error: InvalidDPoPProof | UseDPoPNonce, proof: str, description: str) -> None:
    """The description says ``description``, keeps to the RFC 6749 section 5.2 charset, holds no part of ``proof``."""
    text = error.error_description
    assert text is not None and description in text, text
    assert safe_description(text) == text and "\u00a7" not in text
    for segment in proof.split("."):
        assert len(segment) < 8 or segment not in text
    assert len(proof) < 8 or (proof not in repr(error) and proof not in str(error))


def assert_refused(verifier: ProofVerifier, proof: str, description: str, **request: object) -> InvalidDPoPProof:
    """The proof is refused as ``invalid_dpop_proof``, saying ``description`` (see :func:`assert_safe`)."""
    with pytest.raises(InvalidDPoPProof) as caught:
        verify(verifier, proof, **request)
    error = caught.value
    assert error.error == "invalid_dpop_proof" and type(error) is InvalidDPoPProof
    assert_safe(error, proof, description)
    return error


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_key_proof(bits: int) -> str:
    """An RS256 proof by a new RSA key of ``bits`` (joserfc warns on making a short one)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        key = RSAKey.import_key(private)
    return make_proof(key, alg="RS256", iat=NOW)


def rsa_proof(keys: Keys, **jwk: str) -> str:
    """An RS256 proof whose jwk is the RS256 key's public key with ``jwk`` members replaced."""
    return make_proof(keys["RS256"], alg="RS256", iat=NOW, jwk={**keys["RS256"].as_dict(private=False), **jwk})


# -- proofs that verify -----------------------------------------------------------------------


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize("alg", sorted(SUPPORTED_ALGORITHMS))
def test_a_valid_proof_verifies_to_its_key_thumbprint(keys: Keys, clock: FakeClock, alg: str) -> None:
    verifier = ProofVerifier(SUPPORTED_ALGORITHMS, clock=clock)
    proof = make_proof(keys[alg], alg=alg, iat=NOW, jti="proof-1", nonce="n-1", extra_header={"kid": "ignored"})
    verified = verify(verifier, proof)
    assert verified == DPoPProof(
        jkt=keys[alg].thumbprint(), jti="proof-1", htm="POST", htu=HTU, iat=NOW, nonce="n-1", ath=None
    )
    assert len(verified.jkt) == 43 and "=" not in verified.jkt
    assert repr(verified) == f"<DPoPProof jkt={verified.jkt!r} POST {HTU!r}>"


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize("alg", DEFAULT_ALGORITHMS)
def test_the_default_algorithms_verify(keys: Keys, verifier: ProofVerifier, alg: str) -> None:
    assert verify(verifier, make_proof(keys[alg], alg=alg, iat=NOW)).jkt == keys[alg].thumbprint()


@pytest.mark.rfc(RFC, "4.2")
@pytest.mark.parametrize("typ", ["dpop+jwt", "DPoP+JWT", "application/dpop+jwt"])
def test_typ_is_compared_case_insensitively_with_or_without_its_media_type_prefix(
    keys: Keys, verifier: ProofVerifier, typ: str
) -> None:
    verify(verifier, make_proof(keys["ES256"], typ=typ, iat=NOW))


@pytest.mark.rfc(RFC, "4.3")
def test_unknown_header_parameters_and_claims_are_ignored(keys: Keys, verifier: ProofVerifier) -> None:
    proof = make_proof(keys["ES256"], iat=NOW, extra_header={"x-client": "1"}, extra_claims={"exp": NOW + 60})
    verify(verifier, proof)


def test_verify_takes_a_sequence_of_urls_not_one_string(keys: Keys, verifier: ProofVerifier) -> None:
    with pytest.raises(TypeError):
        verify(verifier, make_proof(keys["ES256"], iat=NOW), urls=HTU)


# -- the header (RFC 9449 section 4.3 steps 2, 4, 5, 7) ------------------------------------------


ProofMaker = Callable[[Keys], str]


def _es256(**options: object) -> ProofMaker:
    return lambda keys: make_proof(keys["ES256"], **({"iat": NOW} | options))  # type: ignore[arg-type]


def _header_bytes(raw: bytes) -> ProofMaker:
    payload = json.dumps({"jti": "j", "htm": "POST", "htu": HTU, "iat": NOW}).encode()
    return lambda keys: sign_compact(raw, payload, keys["ES256"], "ES256")


def _public(name: str) -> ProofMaker:
    """An ES256 proof whose jwk is the public key of ``keys[name]``."""
    return lambda keys: make_proof(keys["ES256"], iat=NOW, jwk=keys[name].as_dict(private=False))


NOT_COMPACT = "the DPoP proof is not a compact JWS (three base64url segments)"
NOT_OBJECT = "the DPoP proof's header is not a JSON object"
BAD_TYP = "the DPoP proof's typ is not dpop+jwt (RFC 9449 section 4.2)"
BAD_ALG = "the DPoP proof's alg is not one of ES256, EdDSA, PS256, RS256"
BAD_SIGNATURE = "the DPoP proof's signature does not verify with its jwk"
PRIVATE = "the DPoP proof's jwk holds a private key"


def _five_segments(keys: Keys) -> str:
    return make_proof(keys["ES256"], iat=NOW) + ".AAAA.BBBB"


def _tampered(keys: Keys) -> str:
    header, _, signature = make_proof(keys["ES256"], iat=NOW, htu=HTU).split(".")
    payload = b64(json.dumps({"jti": "j", "htm": "POST", "htu": HTU, "iat": NOW}).encode())
    return f"{header}.{payload}.{signature}"


def _unsigned(keys: Keys) -> str:
    return make_proof(keys["ES256"], iat=NOW).rpartition(".")[0] + "."


def _rsa_private(keys: Keys) -> str:
    return make_proof(keys["RS256"], alg="RS256", iat=NOW, jwk=keys["RS256"].as_dict(private=True))


def _too_long(keys: Keys) -> str:
    return make_proof(keys["ES256"], iat=NOW, extra_claims={"pad": "x" * 10 * 1024})


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    ("make", "description"),
    [
        pytest.param(_too_long, f"of at most {MAX_PROOF_LENGTH} characters", id="10-KiB"),
        pytest.param(lambda keys: "abc.def", NOT_COMPACT, id="two-segments"),
        pytest.param(_five_segments, NOT_COMPACT, id="jwe-like-five-segments"),
        pytest.param(lambda keys: '{"payload":"e30","signatures":[]}', NOT_COMPACT, id="json-serialization"),
        pytest.param(lambda keys: "a+b.c/d.e=", NOT_COMPACT, id="base64-not-url"),
        pytest.param(lambda keys: "é.a.b", NOT_COMPACT, id="non-ascii"),
        pytest.param(lambda keys: "", NOT_COMPACT, id="empty"),
        pytest.param(_header_bytes(b"not json"), NOT_OBJECT, id="header-not-json"),
        pytest.param(_header_bytes(b'["dpop+jwt"]'), NOT_OBJECT, id="header-array"),
        pytest.param(_header_bytes(b"\xff\xfe{}"), NOT_OBJECT, id="header-not-utf8"),
        pytest.param(_header_bytes(b"[" * 2000 + b"]" * 2000), NOT_OBJECT, id="header-deeply-nested"),
        pytest.param(_header_bytes(b'{"typ":"dpop+jwt","alg":"none","alg":"ES256"}'), NOT_OBJECT, id="repeated-member"),
        pytest.param(lambda keys: "e30.e30.", BAD_TYP, id="empty-header"),
        pytest.param(_es256(typ=None), BAD_TYP, id="typ-missing"),
        pytest.param(_es256(typ="jwt"), BAD_TYP, id="typ-jwt"),
        pytest.param(_es256(typ="at+jwt"), BAD_TYP, id="typ-access-token"),
        pytest.param(_es256(extra_header={"typ": ["dpop+jwt"]}), BAD_TYP, id="typ-not-a-string"),
        pytest.param(_es256(alg="none"), BAD_ALG, id="alg-none"),
        pytest.param(_unsigned, BAD_SIGNATURE, id="signature-stripped"),
        pytest.param(
            lambda keys: make_proof(keys["HS256"], alg="HS256", iat=NOW, jwk=keys["ES256"].as_dict(private=False)),
            BAD_ALG,
            id="hs256-shared-secret",
        ),
        pytest.param(
            lambda keys: make_proof(keys["HS256"], alg="HS256", iat=NOW, jwk=keys["HS256"].as_dict(private=True)),
            BAD_ALG,
            id="hs256-oct-jwk",
        ),
        pytest.param(lambda keys: make_proof(keys["ES384"], alg="ES384", iat=NOW), BAD_ALG, id="alg-not-configured"),
        pytest.param(_es256(omit=("alg",)), BAD_ALG, id="alg-missing"),
        pytest.param(_es256(extra_header={"alg": ["ES256"]}), BAD_ALG, id="alg-not-a-string"),
        pytest.param(_es256(omit=("jwk",)), "the DPoP proof's header has no jwk (a JSON object)", id="jwk-missing"),
        pytest.param(
            _es256(extra_header={"jwk": "a key"}), "the DPoP proof's header has no jwk (a JSON object)", id="jwk-string"
        ),
        pytest.param(
            lambda keys: make_proof(keys["ES256"], iat=NOW, jwk=keys["ES256"].as_dict(private=True)),
            PRIVATE,
            id="jwk-ec-private",
        ),
        pytest.param(_rsa_private, PRIVATE, id="jwk-rsa-private"),
        pytest.param(_es256(jwk={"kty": "oct", "k": "c2VjcmV0"}), PRIVATE, id="jwk-symmetric"),
        pytest.param(
            _public("RS256"), "the DPoP proof's jwk is not an EC key, as its alg requires", id="jwk-rsa-for-es256"
        ),
        pytest.param(
            lambda keys: make_proof(keys["EdDSA"], alg="EdDSA", iat=NOW, jwk=keys["ES256"].as_dict(private=False)),
            "the DPoP proof's jwk is not an OKP key, as its alg requires",
            id="jwk-ec-for-eddsa",
        ),
        pytest.param(
            _public("ES384"), "the DPoP proof's jwk is not a valid EC public key for its alg", id="jwk-p384-for-es256"
        ),
        pytest.param(
            lambda keys: make_proof(
                keys["ES256"], iat=NOW, jwk={**keys["ES256"].as_dict(private=False), "y": keys["ES256"]["x"]}
            ),
            "the DPoP proof's jwk is not a valid EC public key for its alg",
            id="jwk-point-off-the-curve",
        ),
        pytest.param(
            _es256(jwk={"kty": "EC", "crv": "P-256", "x": 1, "y": 2}),
            "the DPoP proof's jwk is not a valid EC public key for its alg",
            id="jwk-numbers-not-strings",
        ),
        pytest.param(
            lambda keys: make_proof(keys["ES256"], iat=NOW, jwk={**keys["ES256"].as_dict(private=False), "use": "enc"}),
            "the DPoP proof's jwk is not a valid EC public key for its alg",
            id="jwk-for-encryption",
        ),
        pytest.param(lambda keys: rsa_key_proof(1024), "RSA key must have 2048 to 4096 bits", id="rsa-1024-bits"),
        pytest.param(lambda keys: rsa_key_proof(4104), "RSA key must have 2048 to 4096 bits", id="rsa-4104-bits"),
        pytest.param(
            lambda keys: rsa_proof(keys, e=b64((2**35 + 1).to_bytes(5, "big"))),
            "and a small public exponent",
            id="rsa-large-exponent",
        ),
        pytest.param(
            lambda keys: rsa_proof(keys, n="n+/="),
            "the DPoP proof's jwk is not a valid RSA public key for its alg",
            id="rsa-modulus-not-base64url",
        ),
        pytest.param(
            _es256(extra_header={"crit": ["exp"], "exp": NOW}),
            "the DPoP proof's header has a crit parameter",
            id="crit",
        ),
        pytest.param(
            _es256(extra_header={"jku": "https://attacker.example/jwks"}),
            "the DPoP proof's key must be its jwk",
            id="jku",
        ),
        pytest.param(_es256(extra_header={"x5c": ["MIIB"]}), "the DPoP proof's key must be its jwk", id="x5c"),
        pytest.param(
            _es256(extra_header={"x5u": "https://a.example/c"}), "the DPoP proof's key must be its jwk", id="x5u"
        ),
        pytest.param(_public("other"), BAD_SIGNATURE, id="signed-by-another-key"),
        pytest.param(_tampered, BAD_SIGNATURE, id="tampered-payload"),
    ],
)
def test_hostile_proofs_are_refused(keys: Keys, verifier: ProofVerifier, make: ProofMaker, description: str) -> None:
    assert_refused(verifier, make(keys), description)


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "ES256K", "Ed25519", "RSA-OAEP", "es256"])
def test_only_public_key_algorithms_can_be_configured(alg: str) -> None:
    with pytest.raises(ValueError, match="public-key algorithms only"):
        ProofVerifier(("ES256", alg))


@pytest.mark.parametrize("algorithms", [(), "ES256"], ids=["none", "one-string"])
def test_the_algorithms_are_a_non_empty_collection(algorithms: tuple[str, ...] | str) -> None:
    with pytest.raises(ValueError, match="algorithms"):
        ProofVerifier(algorithms)


def test_the_algorithms_keep_their_order_and_the_bounds_are_checked() -> None:
    assert ProofVerifier(["RS256", "ES256", "RS256"]).algorithms == ("RS256", "ES256")
    assert ProofVerifier().algorithms == DEFAULT_ALGORITHMS
    with pytest.raises(ValueError, match="max_age"):
        ProofVerifier(max_age=0)
    with pytest.raises(ValueError, match="leeway"):
        ProofVerifier(leeway=-1)


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    ("alg", "jwk"),
    [
        pytest.param("ES256", {"kty": "EC"}, id="ec-no-members"),
        pytest.param("ES256", {"kty": "EC", "crv": 5, "x": [], "y": {}}, id="ec-members-of-other-types"),
        pytest.param("ES256", {"kty": "EC", "crv": "P-256", "x": "!!", "y": "??"}, id="ec-not-base64url"),
        pytest.param("ES256", {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}, id="ec-other-curve"),
        pytest.param("RS256", {"kty": "RSA"}, id="rsa-no-members"),
        pytest.param("RS256", {"kty": "RSA", "n": None, "e": "AQAB"}, id="rsa-modulus-null"),
        pytest.param("RS256", {"kty": "RSA", "n": "", "e": ""}, id="rsa-empty"),
        pytest.param("EdDSA", {"kty": "OKP", "crv": "Ed25519", "x": "AA"}, id="okp-short"),
        pytest.param("EdDSA", {"kty": "OKP", "crv": "X25519", "x": "A" * 43}, id="okp-x25519"),
        pytest.param("EdDSA", {"kty": "OKP", "crv": ["Ed25519"], "x": 1}, id="okp-members-of-other-types"),
    ],
)
def test_a_garbage_jwk_is_refused_and_nothing_else_escapes(
    keys: Keys, verifier: ProofVerifier, alg: str, jwk: dict[str, object]
) -> None:
    proof = make_proof(keys[alg], alg=alg, iat=NOW, jwk=jwk)
    assert_refused(verifier, proof, "the DPoP proof")


def test_the_refused_alg_names_the_configured_ones(keys: Keys, clock: FakeClock) -> None:
    verifier = ProofVerifier(["EdDSA"], clock=clock)
    assert_refused(verifier, make_proof(keys["ES256"], iat=NOW), "the DPoP proof's alg is not one of EdDSA")


# -- the claims (RFC 9449 section 4.3 steps 3, 8, 9, 11) -----------------------------------------


def _payload_bytes(raw: bytes) -> ProofMaker:
    header = json.dumps({"typ": "dpop+jwt", "alg": "ES256"}).encode()

    def make(keys: Keys) -> str:
        full = json.loads(header) | {"jwk": keys["ES256"].as_dict(private=False)}
        return sign_compact(json.dumps(full).encode(), raw, keys["ES256"], "ES256")

    return make


NO_JTI = f"the DPoP proof has no jti (a string of 1 to {MAX_JTI_LENGTH} characters)"
NO_IAT = "the DPoP proof has no iat (a number)"
TOO_OLD = f"the DPoP proof is older than {DEFAULT_MAX_AGE} seconds"
BAD_HTU = "the DPoP proof's htu is not an http or https URL"
OTHER_URL = "the DPoP proof's htu is not the request's URL"
BAD_HTM = "the DPoP proof's htm is not the request's method"


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    ("make", "description"),
    [
        pytest.param(_payload_bytes(b"[1]"), "the DPoP proof's payload is not a JSON object", id="payload-array"),
        pytest.param(_payload_bytes(b"{"), "the DPoP proof's payload is not a JSON object", id="payload-not-json"),
        pytest.param(
            _payload_bytes(b'{"jti":"a","jti":"b"}'), "the DPoP proof's payload is not a JSON object", id="repeated-jti"
        ),
        pytest.param(
            _payload_bytes(f'{{"jti":"j","htm":"POST","htu":"{HTU}","iat":NaN}}'.encode()),
            "the DPoP proof's payload is not a JSON object",
            id="iat-nan",
        ),
        pytest.param(_es256(omit=("jti",)), NO_JTI, id="jti-missing"),
        pytest.param(_es256(jti=""), NO_JTI, id="jti-empty"),
        pytest.param(_es256(jti="j" * (MAX_JTI_LENGTH + 1)), NO_JTI, id="jti-too-long"),
        pytest.param(_es256(extra_claims={"jti": 7}), NO_JTI, id="jti-number"),
        pytest.param(_es256(htm="GET"), BAD_HTM, id="htm-other-method"),
        pytest.param(_es256(htm="post"), BAD_HTM, id="htm-lower-case"),
        pytest.param(_es256(omit=("htm",)), BAD_HTM, id="htm-missing"),
        pytest.param(_es256(omit=("htu",)), "the DPoP proof has no htu (a string)", id="htu-missing"),
        pytest.param(_es256(extra_claims={"htu": ["https://as.example.com/token"]}), "no htu", id="htu-list"),
        pytest.param(_es256(htu="https://as.example.com/other"), OTHER_URL, id="htu-other-path"),
        pytest.param(_es256(htu="https://rs.example.com/token"), OTHER_URL, id="htu-other-host"),
        pytest.param(_es256(htu="http://as.example.com/token"), OTHER_URL, id="htu-http"),
        pytest.param(_es256(htu="https://as.example.com:8443/token"), OTHER_URL, id="htu-other-port"),
        pytest.param(_es256(htu="https://as.example.com/Token"), OTHER_URL, id="htu-path-case"),
        pytest.param(_es256(htu="https://as.example.com/token/"), OTHER_URL, id="htu-trailing-slash"),
        pytest.param(_es256(htu="/token"), BAD_HTU, id="htu-relative"),
        pytest.param(_es256(htu="ftp://as.example.com/token"), BAD_HTU, id="htu-ftp"),
        pytest.param(_es256(htu="https://user@as.example.com/token"), BAD_HTU, id="htu-userinfo"),
        pytest.param(_es256(htu="https://as.exa\nmple.com/token"), BAD_HTU, id="htu-newline"),
        pytest.param(_es256(htu="https://as.example.com/t\u00f6ken"), BAD_HTU, id="htu-non-ascii"),
        pytest.param(_es256(htu="https://as.example.com/%zztoken"), BAD_HTU, id="htu-bad-percent"),
        pytest.param(_es256(htu="https://as.example.com:99999/token"), BAD_HTU, id="htu-port-out-of-range"),
        pytest.param(_es256(iat=NOW - 300), TOO_OLD, id="iat-5-minutes-old"),
        pytest.param(_es256(iat=NOW - DEFAULT_MAX_AGE), TOO_OLD, id="iat-exactly-max-age-old"),
        pytest.param(_es256(iat=NOW + 31), "the DPoP proof's iat is in the future", id="iat-beyond-leeway"),
        pytest.param(_es256(iat=str(NOW)), NO_IAT, id="iat-string"),  # type: ignore[arg-type]
        pytest.param(_es256(extra_claims={"iat": True}), NO_IAT, id="iat-bool"),
        pytest.param(_es256(omit=("iat",)), NO_IAT, id="iat-missing"),
        pytest.param(
            _es256(extra_claims={"iat": 1e400}), "the DPoP proof's payload is not a JSON object", id="iat-infinity"
        ),
        pytest.param(_es256(nonce=None, extra_claims={"nonce": 5}), "nonce is not a string", id="nonce-number"),
    ],
)
def test_claims_that_do_not_fit_the_request_are_refused(
    keys: Keys, verifier: ProofVerifier, make: ProofMaker, description: str
) -> None:
    assert_refused(verifier, make(keys), description)


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    "htu",
    [
        pytest.param(HTU + "?grant_type=x#fragment", id="query-and-fragment"),
        pytest.param("HTTPS://AS.Example.COM:443/token", id="default-port-upper-case-host"),
        pytest.param("https://as.example.com/%74oken", id="percent-encoded-unreserved"),
        pytest.param("https://as.example.com/a/../token", id="dot-segments"),
    ],
)
def test_htu_is_compared_normalised(keys: Keys, verifier: ProofVerifier, htu: str) -> None:
    assert verify(verifier, make_proof(keys["ES256"], iat=NOW, htu=htu)).htu == htu


@pytest.mark.rfc(RFC, "4.3")
def test_htu_may_match_any_of_the_request_urls(keys: Keys, verifier: ProofVerifier) -> None:
    proof = make_proof(keys["ES256"], iat=NOW, htu="https://public.example.com/token")
    urls = ["http://[::1", "http://10.0.0.5:8000/token", "https://public.example.com/token"]
    assert verify(verifier, proof, urls=urls).htu == "https://public.example.com/token"
    assert_refused(verifier, proof, OTHER_URL, urls=[])


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH"])
def test_htm_is_the_request_method(keys: Keys, verifier: ProofVerifier, method: str) -> None:
    assert verify(verifier, make_proof(keys["ES256"], iat=NOW, htm=method), method=method).htm == method


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    "iat",
    [
        pytest.param(NOW - DEFAULT_MAX_AGE + 1, id="one-second-short-of-max-age"),
        pytest.param(NOW, id="now"),
        pytest.param(NOW + 30, id="at-the-leeway"),
        pytest.param(NOW - 0.5, id="a-float"),
    ],
)
def test_iat_within_the_window_is_accepted(keys: Keys, verifier: ProofVerifier, iat: float) -> None:
    assert verify(verifier, make_proof(keys["ES256"], iat=iat)).iat == int(iat)


# -- ath (RFC 9449 section 4.3 step 12, section 7) ----------------------------------------------


@pytest.mark.rfc(RFC, "4.2")
def test_access_token_hash_is_that_of_rfc_9449() -> None:
    assert access_token_hash(TOKEN) == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    with pytest.raises(ValueError):
        access_token_hash("t\u00f6ken")


@pytest.mark.rfc(RFC, "7.1")
def test_the_right_ath_is_accepted_with_the_access_token(keys: Keys, verifier: ProofVerifier) -> None:
    proof = make_proof(
        keys["ES256"], iat=NOW, htm="GET", htu="https://rs.example.com/api", ath=access_token_hash(TOKEN)
    )
    verified = verify(verifier, proof, method="GET", urls=["https://rs.example.com/api"], access_token=TOKEN)
    assert verified.ath == access_token_hash(TOKEN)


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    ("ath", "token", "description"),
    [
        pytest.param(None, TOKEN, "the DPoP proof has no ath", id="ath-missing"),
        pytest.param(access_token_hash("another token"), TOKEN, "ath is not the hash", id="ath-of-another-token"),
        pytest.param(TOKEN, TOKEN, "ath is not the hash", id="ath-the-token-itself"),
        pytest.param(
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQE\u00f6", TOKEN, "ath is not the hash", id="ath-non-ascii"
        ),
        pytest.param("", "t\u00f6ken", "ath is not the hash", id="token-non-ascii"),
    ],
)
def test_a_wrong_ath_is_refused(
    keys: Keys, verifier: ProofVerifier, ath: str | None, token: str, description: str
) -> None:
    proof = make_proof(keys["ES256"], iat=NOW, extra_claims={} if ath is None else {"ath": ath})
    error = assert_refused(verifier, proof, description, access_token=token)
    assert TOKEN not in str(error.error_description)


def test_an_ath_is_ignored_without_an_access_token(keys: Keys, verifier: ProofVerifier) -> None:
    assert verify(verifier, make_proof(keys["ES256"], iat=NOW, ath="whatever")).ath == "whatever"
    assert verify(verifier, make_proof(keys["ES256"], iat=NOW, extra_claims={"ath": 1})).ath is None


# -- nonces (RFC 9449 section 4.3 step 10, section 8) --------------------------------------------


@pytest.fixture
def nonces(clock: FakeClock) -> DPoPNonces:
    return DPoPNonces(b"k" * 32, window=300, clock=clock)


@pytest.mark.rfc(RFC, "8")
def test_the_current_and_the_previous_windows_nonce_are_accepted(
    keys: Keys, verifier: ProofVerifier, nonces: DPoPNonces, clock: FakeClock
) -> None:
    nonce = nonces.current()
    assert verify(verifier, make_proof(keys["ES256"], iat=NOW, nonce=nonce), nonces=nonces).nonce == nonce
    clock.advance(300)
    assert nonces.current() != nonce
    assert verify(verifier, make_proof(keys["ES256"], iat=clock.now, nonce=nonce), nonces=nonces).nonce == nonce


@pytest.mark.rfc(RFC, "8")
@pytest.mark.parametrize(
    ("nonce", "description"),
    [
        pytest.param(None, "the DPoP proof must carry the server's nonce", id="missing"),
        pytest.param("stale", "the DPoP nonce is stale or invalid", id="stale"),
    ],
)
def test_a_missing_or_stale_nonce_asks_for_the_current_one(
    keys: Keys, verifier: ProofVerifier, nonces: DPoPNonces, clock: FakeClock, nonce: str | None, description: str
) -> None:
    if nonce == "stale":
        nonce = nonces.current()
        clock.advance(600)
    proof = make_proof(keys["ES256"], iat=clock.now, nonce=nonce)
    with pytest.raises(UseDPoPNonce) as caught:
        verify(verifier, proof, nonces=nonces)
    assert caught.value.error == "use_dpop_nonce"
    assert caught.value.headers == {"DPoP-Nonce": nonces.current()}
    assert_safe(caught.value, proof, description)


def test_a_nonce_is_not_asked_for_without_nonces(keys: Keys, verifier: ProofVerifier) -> None:
    assert verify(verifier, make_proof(keys["ES256"], iat=NOW)).nonce is None


# -- the DPoP header (RFC 9449 section 4.3 step 1) ------------------------------------------------


@pytest.mark.rfc(RFC, "4.3")
def test_proof_value_is_the_one_dpop_header() -> None:
    assert proof_value({}) is None
    assert proof_value({"DPoP": "a.b.c"}) == "a.b.c"


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("a.b.c, d.e.f", id="two-headers-joined"),
        pytest.param("a.b.c,d.e.f", id="comma"),
        pytest.param("a.b.c d.e.f", id="space"),
        pytest.param("a.b.c\t", id="tab"),
        pytest.param("", id="empty"),
    ],
)
def test_a_dpop_header_of_several_proofs_is_refused(keys: Keys, value: str) -> None:
    with pytest.raises(InvalidDPoPProof) as caught:
        proof_value({"DPoP": value})
    assert_safe(caught.value, value, "exactly one DPoP header holding one proof")


# -- htu normalisation (RFC 3986 sections 6.2.2, 6.2.3) ------------------------------------------


@pytest.mark.rfc("3986", "6.2.2")
@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        pytest.param("https://as.example.com/token", "https://as.example.com/token", id="already"),
        pytest.param("HTTPS://AS.EXAMPLE.COM/token", "https://as.example.com/token", id="scheme-and-host-case"),
        pytest.param("https://as.example.com:443/token", "https://as.example.com/token", id="https-default-port"),
        pytest.param("http://as.example.com:80/token", "http://as.example.com/token", id="http-default-port"),
        pytest.param("http://as.example.com:443/token", "http://as.example.com:443/token", id="other-scheme-port"),
        pytest.param("https://as.example.com:0443/t", "https://as.example.com/t", id="port-leading-zero"),
        pytest.param("https://as.example.com:/t", "https://as.example.com/t", id="empty-port"),
        pytest.param("https://as.example.com", "https://as.example.com/", id="empty-path"),
        pytest.param("https://as.example.com?q#f", "https://as.example.com/", id="empty-path-query"),
        pytest.param("https://as.example.com/t?a=b#c", "https://as.example.com/t", id="query-and-fragment"),
        pytest.param("https://as.example.com/a%2fb", "https://as.example.com/a%2Fb", id="percent-hex-upper"),
        pytest.param("https://as.example.com/%7Euser%41", "https://as.example.com/~userA", id="percent-unreserved"),
        pytest.param("https://%41S.example.com/", "https://as.example.com/", id="percent-host"),
        pytest.param("https://as.example.com/a/./b/../c", "https://as.example.com/a/c", id="dot-segments"),
        pytest.param("https://as.example.com/a/%2E%2E/c", "https://as.example.com/c", id="encoded-dot-segments"),
        pytest.param("https://as.example.com/../..", "https://as.example.com/", id="dots-above-root"),
        pytest.param("https://as.example.com/a/.", "https://as.example.com/a/", id="trailing-dot"),
        pytest.param("https://[::1]:443/t", "https://[::1]/t", id="ipv6-default-port"),
        pytest.param("https://[FE80::1]:8443/t", "https://[fe80::1]:8443/t", id="ipv6-port"),
    ],
)
def test_normalise_htu(url: str, normalised: str) -> None:
    assert normalise_htu(url) == normalised


@pytest.mark.rfc("3986", "6.2.2")
@pytest.mark.parametrize(
    "url",
    [
        "",
        "token",
        "/token",
        "//as.example.com/token",
        "https:as.example.com/token",
        "https:///token",
        "mailto:a@example.com",
        "https://a@as.example.com/",
        "https://as.example.com:x/",
        "https://as.example.com:1:2/",
        "https://as.example.com:65536/",
        "https://[::1/",
        "https://[::1]x/",
        "https://a]b/",
        "https://as.example.com/a b",
        "https://as.example.com/%",
        "https://as.example.com/%4",
        "https://as.example.com/\u00e9",
        "https://as.example.com/\x00",
        'https://as.example.com/"',
    ],
)
def test_normalise_htu_refuses_what_is_no_http_url(url: str) -> None:
    with pytest.raises(ValueError):
        normalise_htu(url)
