"""A database dump after every flow holds nothing usable (issue 17; RFC 6819 §5.1.4.1.3, RFC 9700 §4.14).

Each test runs one flow on SQLite, PostgreSQL and MariaDB, dumps the whole
database with the backend's own tool (tests/hygiene/dumps.py) and looks in
the dump for every plaintext value the client received or the server minted
— codes, access and refresh tokens, client secrets, device codes,
request_uris, PKCE verifiers, DPoP proofs, client assertions, ID tokens,
private keys (JWK members and PEM) and the key-encryption secret — plain, as
base64 or base64url of its text, as hex, and as the hex or base64 of the
bytes a base64url value encodes. What the server minted is learnt from the
log-capture plugin (tests/log_capture.py), which remembers every secret the
library draws; each test also checks that the dump shows the flow's rows (by
their digests), so that an empty dump cannot pass.

Device user codes are stored as they are and left out: 8 letters (34.6 bits)
shown on a screen, that would be brute-forced from a digest in seconds, and
that only let their finder approve a device for the finder's own account
(RFC 8628 §5.1 limits the guessing instead).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from joserfc.jwk import Key

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.client_auth.private_key_jwt import ASSERTION_TYPE
from proauth2_wsgi.device import DEVICE_CODE_GRANT
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.tokens import hash_secret
from tests import log_capture
from tests.client_assertions import TOKEN_URL, client_key, endpoint_request
from tests.conftest import FakeClock
from tests.core.helpers import REDIRECT, authorize, exchange, new_verifier, refresh
from tests.dpop.proofs import make_proof, new_key
from tests.endpoints.helpers import REDIRECT_URI, Server
from tests.flows import approved_code_exchange
from tests.hygiene.conftest import ISSUER, KEY_SECRET
from tests.hygiene.dumps import dump_database, found_in

pytestmark = pytest.mark.backends

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


class Plaintexts:
    """The plaintext values of one test: those it adds, and every secret the library minted meanwhile."""

    def __init__(self) -> None:
        self.values: list[str] = [KEY_SECRET]
        self._known_before = set(log_capture.SCANNER.secrets)

    def add(self, *values: object) -> None:
        """Count ``values`` (strings; None and others ignored) among the plaintexts."""
        self.values.extend(value for value in values if isinstance(value, str) and value)

    def add_tokens(self, response: dict[str, Any]) -> None:
        """The tokens of a token response."""
        self.add(response.get("access_token"), response.get("refresh_token"), response.get("id_token"))

    def add_key(self, key: Key) -> None:
        """A private key: its JWK private members and its PEM lines (the first, a generic header, left out)."""
        private = key.as_dict(private=True)
        self.add(*(private[member] for member in PRIVATE_MEMBERS if member in private))
        pem_lines = key.as_pem(private=True).decode().splitlines()
        self.add(*(line for line in pem_lines[2:-1] if len(line) >= 16))

    def all(self) -> list[str]:
        minted = [value for value in log_capture.SCANNER.secrets if value not in self._known_before]
        return self.values + minted


@pytest.fixture
def plaintexts() -> Plaintexts:
    return Plaintexts()


@pytest.fixture
def check_dump(database_url: str, plaintexts: Plaintexts) -> Iterator[Any]:
    """``check_dump(*shown)``: the dump shows every one of ``shown`` (digests of the flow's rows) and no plaintext."""

    def check(*shown: str) -> str:
        dump = dump_database(database_url)
        missing = [number for number, text in enumerate(shown) if text not in dump]
        assert not missing, f"the dump lacks the flow's rows {missing}: it cannot prove anything"
        leaked = found_in(dump, plaintexts.all())
        assert not leaked, f"{len(leaked)} plaintext value(s) in the dump: {leaked}"
        return dump

    yield check


def token_digests(response: dict[str, Any]) -> list[str]:
    """The digests under which a token response's opaque tokens are stored."""
    return [hash_secret(response[name]) for name in ("access_token", "refresh_token") if name in response]


@pytest.fixture
def web_app(provider: Proauth2, plaintexts: Plaintexts) -> ClientCredentials:
    credentials = provider.register_app("Web app", [REDIRECT, REDIRECT_URI])
    plaintexts.add(credentials.client_secret)
    return credentials


@pytest.mark.rfc("7636", "4.1")
def test_the_code_flow_with_pkce_and_its_consent_leave_only_digests(
    provider: Proauth2, web_app: ClientCredentials, plaintexts: Plaintexts, check_dump: Any
) -> None:
    authorized = authorize(provider, web_app)
    tokens = exchange(provider, web_app, authorized)
    plaintexts.add(authorized.code, authorized.verifier)
    plaintexts.add_tokens(tokens)
    assert provider.consents("alice") == {web_app.client_id: frozenset({"profile"})}
    check_dump(hash_secret(authorized.code), *token_digests(tokens), hash_secret(web_app.client_secret or ""))


@pytest.mark.rfc("6749", "6")
def test_refresh_token_rotation_leaves_only_digests(
    provider: Proauth2, web_app: ClientCredentials, plaintexts: Plaintexts, check_dump: Any
) -> None:
    first = exchange(provider, web_app, authorize(provider, web_app))
    second = refresh(provider, web_app, first["refresh_token"])
    plaintexts.add_tokens(first)
    plaintexts.add_tokens(second)
    check_dump(*token_digests(first), *token_digests(second))


@pytest.mark.rfc("6749", "4.4")
def test_the_client_credentials_grant_leaves_only_digests(
    provider: Proauth2, plaintexts: Plaintexts, check_dump: Any
) -> None:
    service = provider.register_app("Service", grant_types=["client_credentials"], auth_method="client_secret_post")
    tokens = provider.request_access_token("client_credentials", service.client_id, service.client_secret)
    plaintexts.add(service.client_secret)
    plaintexts.add_tokens(tokens)
    check_dump(*token_digests(tokens))


@pytest.mark.rfc("8628", "5.2")
def test_the_device_flow_leaves_only_the_device_codes_digest(
    provider: Proauth2, plaintexts: Plaintexts, check_dump: Any
) -> None:
    device = provider.register_app("TV", grant_types=[DEVICE_CODE_GRANT, "refresh_token"])
    authorization = provider.request_device_authorization(device.client_id, device.client_secret, scope="profile")
    provider.approve_device(authorization["user_code"], "alice")
    tokens = provider.request_access_token(
        DEVICE_CODE_GRANT, device.client_id, device.client_secret, device_code=authorization["device_code"]
    )
    plaintexts.add(device.client_secret, authorization["device_code"])
    plaintexts.add_tokens(tokens)
    check_dump(hash_secret(authorization["device_code"]), *token_digests(tokens))


@pytest.mark.rfc("9126", "2.2")
def test_a_pushed_request_leaves_only_its_request_uris_digest(
    provider: Proauth2, web_app: ClientCredentials, plaintexts: Plaintexts, check_dump: Any
) -> None:
    verifier = new_verifier()
    pushed = provider.push_authorization_request(
        web_app.client_id,
        web_app.client_secret,
        response_type="code",
        redirect_uri=REDIRECT,
        scope="email",
        code_challenge=s256_challenge(verifier),
        code_challenge_method="S256",
    )
    request = provider.parse_authorization_request(
        {"client_id": web_app.client_id, "request_uri": pushed["request_uri"]}
    )
    code = provider.authorization_response(request, "alice")["code"]
    tokens = provider.request_access_token(
        "authorization_code", web_app.client_id, web_app.client_secret, code=code, redirect_uri=REDIRECT,
        code_verifier=verifier,
    )  # fmt: skip
    plaintexts.add(pushed["request_uri"], code, verifier)
    plaintexts.add_tokens(tokens)
    check_dump(hash_secret(code), *token_digests(tokens))


@pytest.mark.rfc("9449", "5")
def test_dpop_bound_tokens_over_http_leave_no_proof_and_no_key(
    server: Server, provider: Proauth2, clock: FakeClock, plaintexts: Plaintexts, check_dump: Any
) -> None:
    spa = provider.register_app("SPA", [REDIRECT_URI], auth_method="none")
    key = new_key("ES256")
    verifier = new_verifier()
    code = server.code(spa.client_id, verifier, redirect_uri=REDIRECT_URI)
    form = {"client_id": spa.client_id, "redirect_uri": REDIRECT_URI}
    proofs = [make_proof(key, htu=ISSUER + "/oauth/token", iat=clock.now) for _ in range(2)]
    issued = server.post(
        server.token_url,
        {**form, "grant_type": "authorization_code", "code": code, "code_verifier": verifier},
        headers={"DPoP": proofs[0]},
    )
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "DPoP"
    refreshed = server.post(
        server.token_url,
        {**form, "grant_type": "refresh_token", "refresh_token": issued.json()["refresh_token"]},
        headers={"DPoP": proofs[1]},
    )
    assert refreshed.status_code == 200, refreshed.text
    plaintexts.add(code, verifier, *proofs)
    plaintexts.add_key(key)
    plaintexts.add_tokens(issued.json())
    plaintexts.add_tokens(refreshed.json())
    check_dump(key.thumbprint(), *token_digests(issued.json()), *token_digests(refreshed.json()))


@pytest.mark.rfc("7523", "2.2")
def test_private_key_jwt_leaves_no_assertion_and_no_key(
    provider: Proauth2, clock: FakeClock, plaintexts: Plaintexts, check_dump: Any
) -> None:
    key = client_key()
    service = provider.register_app(
        "Signed service", grant_types=["client_credentials"], auth_method="private_key_jwt", metadata={"jwks": key.jwks}
    )
    assertion = key.assertion(service.client_id, TOKEN_URL, now=clock.now)
    params = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    tokens = provider.token_request(endpoint_request(params)).to_response()
    plaintexts.add(assertion)
    plaintexts.add_key(key.key)
    plaintexts.add_tokens(tokens)
    check_dump(key.public_jwk["x"], *token_digests(tokens))


@pytest.mark.rfc("7591", "3.2.1")
def test_dynamic_registration_leaves_only_the_client_secrets_digest(
    server: Server, plaintexts: Plaintexts, check_dump: Any
) -> None:
    metadata = {"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}
    registered = requests.post(server.register_url, json=metadata, timeout=30)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    tokens = server.tokens(body["client_id"], body["client_secret"])
    plaintexts.add(body["client_secret"], body.get("registration_access_token"))
    plaintexts.add_tokens(tokens)
    check_dump(hash_secret(body["client_secret"]), *token_digests(tokens))


@pytest.mark.rfc("OIDC Core", "16.18")
def test_openid_connect_leaves_no_id_token_and_no_signing_key(
    provider: Proauth2, web_app: ClientCredentials, clock: FakeClock, plaintexts: Plaintexts, check_dump: Any
) -> None:
    login = Login("alice", int(clock.now) - 60, amr=("pwd",))
    query = {"redirect_uri": REDIRECT, "scope": "openid profile", "state": "s", "nonce": "n-0S6_WzA2Mj"}
    tokens = approved_code_exchange(provider, web_app, login, query)
    assert "id_token" in tokens
    plaintexts.add_tokens(tokens)
    for signing_key in provider.keys.keys():
        plaintexts.add_key(signing_key.key)
    check_dump(*token_digests(tokens), *(signing_key.kid for signing_key in provider.keys.keys()))


def test_signing_keys_made_and_rotated_are_stored_sealed(
    provider: Proauth2, plaintexts: Plaintexts, check_dump: Any
) -> None:
    """Private signing keys are sealed under key_secret (tests of proauth2_wsgi.key_encryption); the secret is not."""
    provider.rotate_keys()
    keys = provider.rotate_keys()
    assert len({key.kid for key in keys}) >= 4
    for signing_key in keys:
        plaintexts.add_key(signing_key.key)
    dump = check_dump(*(signing_key.kid for signing_key in keys))
    assert "v1." in dump  # the sealed form (proauth2_wsgi/key_encryption.py)


def test_the_dump_check_finds_a_plain_secret_in_any_encoding(
    provider: Proauth2, database_url: str, plaintexts: Plaintexts
) -> None:
    """The check can fail: secrets stored as a client's name, plain, as hex and as base64, are each found.

    The secret is the test's own, not the library's: the log-capture plugin would rightly call its appearance in
    peewee's query log a leak.
    """
    secret = secrets.token_urlsafe(32)
    raw = base64.urlsafe_b64decode(secret + "=")
    names = {"plain": secret, "hex": raw.hex(), "base64": base64.b64encode(secret.encode()).decode()}
    for name in names.values():
        provider.register_app(name, [REDIRECT])
    dump = dump_database(database_url)
    for encoding in names:
        assert found_in(dump, [secret]), encoding
        dump = dump.replace(names[encoding], "").replace(names[encoding].upper(), "")
    assert not found_in(dump, [secret])
    assert found_in(dump, plaintexts.all()) == []
