"""Signing keys: made encrypted, published before they sign, retired with a grace period (RFC 7517, RFC 7638)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from joserfc import jwk, jwt
from werkzeug.test import Client

from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.key_encryption import KeySecretMismatch, open_sealed
from proauth2_wsgi.keyset import KeyManagementError, UnverifiableToken
from proauth2_wsgi.settings import SettingsError
from tests.core.test_security import dump_database
from tests.oidc.conftest import KEY_SECRET, later, with_settings

pytestmark = pytest.mark.backends


def states(provider: Proauth2) -> dict[str, list[str]]:
    provider.keys.forget()
    result: dict[str, list[str]] = {}
    for key in provider.keys.keys():
        result.setdefault(key.alg, []).append(key.state)
    return {alg: sorted(found) for alg, found in result.items()}


def test_the_first_use_makes_a_current_and_a_next_key_per_algorithm(provider: Proauth2) -> None:
    assert provider.keys.keys() == []  # nothing made at start-up
    token = provider.keys.sign({"sub": "alice"}, "ES256")
    assert states(provider) == {"ES256": ["current", "next"], "RS256": ["current", "next"]}
    header, claims = provider.keys.verify(token)
    assert header["kid"] == provider.keys.signing_key("ES256").kid and claims == {"sub": "alice"}


@pytest.mark.rfc("7638", "3")
def test_kid_is_the_rfc7638_thumbprint_and_the_jwk_set_holds_public_keys_only(provider: Proauth2) -> None:
    provider.keys.ensure()
    document = provider.keys.jwks()
    assert len(document["keys"]) == 4
    for entry in document["keys"]:
        assert entry["kid"] == jwk.import_key(entry).thumbprint()
        assert entry["use"] == "sig" and entry["alg"] in ("RS256", "ES256")
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(entry)  # no private parameter


def test_private_keys_are_sealed_under_the_key_secret(provider: Proauth2) -> None:
    """A dump of the database holds no usable private key: only ciphertext the secret opens."""
    provider.keys.ensure()
    dump = dump_database(provider.store)  # type: ignore[arg-type]
    for key in provider.keys.keys():
        private = key.key.as_dict(private=True)
        for parameter in ("d", "p", "q"):
            if parameter in private:
                assert private[parameter] not in dump
    record = provider.records.keys()[0]
    assert record["sealed_private_jwk"].startswith("v1.")
    assert json.loads(open_sealed(KEY_SECRET, record["kid"], record["sealed_private_jwk"]))["d"]
    with pytest.raises(KeySecretMismatch):
        open_sealed("another-secret-" + "x" * 32, record["kid"], record["sealed_private_jwk"])
    with pytest.raises(KeySecretMismatch):  # moved onto another key's record
        open_sealed(KEY_SECRET, "another-kid", record["sealed_private_jwk"])


def test_rotation_signs_with_the_key_that_was_published_before(provider: Proauth2) -> None:
    provider.keys.ensure()
    upcoming = next(key for key in provider.keys.keys() if key.alg == "RS256" and key.state == "next")
    before = provider.keys.signing_key("RS256")
    old_token = provider.keys.sign({"sub": "alice"}, "RS256")
    cached_jwks = {entry["kid"] for entry in provider.keys.jwks()["keys"]}  # what a client cached
    provider.keys.rotate()
    after = provider.keys.signing_key("RS256")
    assert after.kid == upcoming.kid and after.kid in cached_jwks  # a cache from before knows the new signer
    assert provider.keys.verify(old_token)[1] == {"sub": "alice"}  # the retired key still verifies
    retired = next(key for key in provider.keys.keys() if key.kid == before.kid)
    assert retired.state == "retired" and before.kid in {entry["kid"] for entry in provider.keys.jwks()["keys"]}
    assert states(provider)["RS256"] == ["current", "next", "retired"]


def test_a_retired_key_is_dropped_after_its_grace_period(provider: Proauth2) -> None:
    provider.keys.ensure()
    old_token = provider.keys.sign({"sub": "alice"}, "RS256")
    provider.keys.rotate()
    later(provider, provider.settings.key_grace_period + 1)
    assert old_token.split(".")[0]  # still a JWT
    with pytest.raises(UnverifiableToken):
        provider.keys.verify(old_token)  # no longer published
    provider.keys.rotate()
    assert states(provider)["RS256"] == ["current", "next", "retired"]  # the first retired key is gone


def test_retiring_a_current_key_keeps_a_signer(provider: Proauth2) -> None:
    """The next key, published already (so in every worker's and client's JWK set), signs at once (RFC 7517 §4.5)."""
    provider.keys.ensure()
    current = provider.keys.signing_key("ES256")
    waiting = next(key for key in provider.keys.keys() if key.alg == "ES256" and key.state == "next")
    provider.keys.retire(current.kid)
    assert provider.keys.signing_key("ES256").kid == waiting.kid
    assert states(provider)["ES256"] == ["current", "next", "retired"]
    replacement = next(key for key in provider.keys.keys() if key.alg == "ES256" and key.state == "next")
    provider.keys.retire(replacement.kid)  # a next key is replaced, the signer stays
    assert provider.keys.signing_key("ES256").kid == waiting.kid
    assert states(provider)["ES256"] == ["current", "next", "retired", "retired"]
    with pytest.raises(KeyManagementError, match="retired already"):
        provider.keys.retire(current.kid)
    with pytest.raises(KeyManagementError, match="no key"):
        provider.keys.retire("no-such-kid")


def test_another_process_sees_a_rotation(provider: Proauth2) -> None:
    """Every worker shares the keys through the database; a rotation elsewhere is read again."""
    other = with_settings(provider)
    provider.keys.ensure()
    signed_by_other = other.keys.sign({"sub": "bob"}, "ES256")
    provider.keys.rotate()
    other.keys.forget()  # what the cache period does on its own
    assert provider.keys.signing_key("ES256").kid == other.keys.signing_key("ES256").kid
    assert provider.keys.verify(signed_by_other)[1]["sub"] == "bob"


def test_without_a_key_secret_no_key_is_made(provider: Proauth2) -> None:
    with pytest.raises(SettingsError, match="key_secret"):
        with_settings(provider, key_secret=None)
    no_openid = with_settings(provider, openid=False, key_secret=None)
    with pytest.raises(KeyManagementError, match="key_secret"):
        no_openid.keys.ensure()
    with pytest.raises(SettingsError, match="32"):
        with_settings(provider, key_secret="too-short")


def test_keys_from_configuration_are_used_and_never_stored(provider: Proauth2, tmp_path: Path) -> None:
    rsa = jwk.RSAKey.generate_key(2048, parameters={"kid": "ops-rsa"})
    ec = jwk.ECKey.generate_key("P-256")
    pem = tmp_path / "ec.pem"
    pem.write_bytes(ec.as_pem(private=True))
    from_jwks = with_settings(provider, key_secret=None, signing_keys={"keys": [rsa.as_dict(private=True)]})
    token = from_jwks.keys.sign({"sub": "alice"}, "RS256")
    assert jwt.decode(token, rsa, algorithms=["RS256"]).header["kid"] == "ops-rsa"
    assert provider.records.keys() == []
    with pytest.raises(KeyManagementError, match="configuration"):
        from_jwks.keys.rotate()
    from_pem = with_settings(provider, key_secret=None, signing_keys=(str(pem),), signing_algorithms=("ES256",))
    assert jwt.decode(from_pem.keys.sign({"sub": "a"}, "ES256"), ec, algorithms=["ES256"]).claims == {"sub": "a"}
    public_only = {"keys": [rsa.as_dict(private=False)]}
    with pytest.raises(KeyManagementError, match="private"):
        with_settings(provider, key_secret=None, signing_keys=public_only).keys.keys()


@pytest.mark.rfc("7517", "5")
def test_the_jwks_endpoint_is_cacheable_and_conditional(provider: Proauth2) -> None:
    http = Client(AuthorizationServer(provider))
    first = http.get("/oauth/jwks")
    assert first.status_code == 200 and first.headers["Content-Type"] == "application/jwk-set+json"
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert len(first.json["keys"]) == 4
    again = http.get("/oauth/jwks", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    provider.keys.rotate()
    changed = http.get("/oauth/jwks", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert len(changed.json["keys"]) == 6


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("a.b", id="two-parts"),
        pytest.param("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", id="alg-none"),
        pytest.param("!!!.???.###", id="not-base64"),
        pytest.param("eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.e30.AAAA", id="unknown-kid"),
        pytest.param("x" * 20_000, id="20-kb"),
    ],
)
def test_hostile_tokens_do_not_verify(provider: Proauth2, token: str) -> None:
    provider.keys.ensure()
    with pytest.raises(UnverifiableToken):
        provider.keys.verify(token)


def test_hs256_signed_with_the_public_key_does_not_verify(provider: Proauth2) -> None:
    """The classic algorithm confusion: an HMAC "signature" keyed with the published RSA key."""
    key = provider.keys.signing_key("RS256")
    public = key.key.as_pem(private=False)
    header = _b64(json.dumps({"alg": "HS256", "kid": key.kid}).encode())
    payload = _b64(json.dumps({"sub": "mallory"}).encode())
    signature = _b64(hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises(UnverifiableToken):
        provider.keys.verify(f"{header}.{payload}.{signature}")
    with pytest.raises(UnverifiableToken):
        provider.keys.verify(f"{header}.{payload}.{signature}", algorithms=["RS256", "HS256"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_the_keys_commands_list_rotate_and_retire(provider: Proauth2) -> None:
    import io

    from proauth2_wsgi.cli import Console, run

    def cli(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = run(args, lambda _: provider, console=Console(out, err, io.StringIO()))
        return status, out.getvalue(), err.getvalue()

    status, out, _ = cli("keys", "list")
    assert status == 0 and out.startswith("no signing keys yet")
    assert cli("keys", "rotate")[0] == 0
    listed = json.loads(cli("keys", "list", "--json")[1])
    assert sorted((key["alg"], key["state"]) for key in listed) == [
        ("ES256", "current"),
        ("ES256", "next"),
        ("RS256", "current"),
        ("RS256", "next"),
    ]
    header = cli("keys", "list")[1].splitlines()[0]
    assert header.split() == ["KID", "ALG", "STATE", "PUBLISHED", "CREATED_AT"]
    current = next(key["kid"] for key in listed if key["alg"] == "RS256" and key["state"] == "current")
    assert cli("keys", "retire", current)[0] == 0
    assert (
        next(key for key in json.loads(cli("keys", "list", "--json")[1]) if key["kid"] == current)["state"] == "retired"
    )
    status, _, err = cli("keys", "retire", "nope")
    assert (status, err) == (1, "Error: no key 'nope'\n")
    assert cli("keys", "retire")[0] == 1
