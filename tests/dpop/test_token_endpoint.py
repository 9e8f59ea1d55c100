"""DPoP at the token endpoint (RFC 9449 sections 5, 8, 10, 11.1), over real HTTP on loopback.

The provider's endpoints run on werkzeug's threaded server; clients are
``requests`` (and ``http.client`` where two ``DPoP`` header lines must really
reach the server). A proof names the endpoint's public URL, the issuer's
``/oauth/token``. Every refusal of a proof is checked to have changed nothing:
no token stored, and the code or refresh token still redeemable with a good
proof afterwards. The tests marked ``backends`` run on SQLite, PostgreSQL and
MariaDB.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc.jwk import Key
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from proauth2_wsgi import ClientCredentials, Proauth2, Settings
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.errors import InvalidRequest
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.tokens import hash_secret
from tests.conftest import FakeClock
from tests.dpop.proofs import make_proof, new_key
from tests.endpoints.conftest import Mount
from tests.endpoints.helpers import AuthorizeView
from tests.http_server import serve

RFC = "9449"
ISSUER = "https://auth.example.com"
#: what every proof of these tests names: the token endpoint's public URL, not the loopback one
TOKEN_ENDPOINT = f"{ISSUER}/oauth/token"
#: a resource whose tokens must be DPoP-bound (RFC 9449 section 5.2)
API = "https://api.example.com"
REDIRECT = "https://client.example.com/callback"
VERIFIER = "dpop-verifier-" + "v" * 43
NONCE_SECRET = "dpop-nonce-secret-for-tests-" + "n" * 32
#: seconds a server nonce is current (proauth2_wsgi.dpop.DEFAULT_NONCE_WINDOW)
WINDOW = 300


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer=ISSUER,
        scopes={"profile": "Read your profile", "email": "Read your email"},
        default_scope="profile",
        resources={API: {"dpop_bound_access_tokens": True}},
        clock=clock,
    )


@dataclass(frozen=True)
class Keys:
    """The client's key, a thief's key, and a key for every default algorithm (RSA keys are slow to make)."""

    client: Key
    thief: Key
    by_alg: dict[str, Key]


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(new_key("ES256"), new_key("ES256"), {alg: new_key(alg) for alg in ("ES256", "EdDSA", "PS256", "RS256")})


class Recorder:
    """The mounted app, recording the ``DPoP`` value each request reached the WSGI app with."""

    def __init__(self, mount: Mount) -> None:
        self.mount = mount
        self.dpop_values: list[str | None] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.dpop_values.append(environ.get("HTTP_DPOP"))
        return self.mount(environ, start_response)


@pytest.fixture(scope="module")
def _http() -> Iterator[tuple[str, Recorder]]:
    """One real HTTP server for the module; each test mounts its provider's endpoints."""
    recorder = Recorder(Mount())
    with serve(recorder) as base_url:  # type: ignore[arg-type]
        yield base_url, recorder


class Answer:
    """An HTTP answer read with ``http.client``, shaped like a ``requests.Response`` where the tests look."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status_code = response.status
        self.headers = response.headers
        self.text = response.read().decode()

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Endpoint:
    """The served token endpoint: proofs for it, and requests to it."""

    base: str
    clock: FakeClock
    recorder: Recorder

    def proof(self, key: Key, **changes: Any) -> str:
        """A proof by ``key`` for a POST to the token endpoint, made now by the test clock (``changes`` on top)."""
        return make_proof(key, **{"htu": TOKEN_ENDPOINT, "iat": self.clock.now, **changes})

    def post(
        self, form: dict[str, Any], *, dpop: str | None = None, auth: tuple[str, str] | None = None
    ) -> requests.Response:
        headers = {"DPoP": dpop} if dpop is not None else {}
        return requests.post(f"{self.base}/oauth/token", data=form, headers=headers, auth=auth, timeout=10)

    def post_raw(self, form: dict[str, Any], dpop: Iterable[str]) -> Answer:
        """POST with one ``DPoP`` header line per value: what a client library cannot be made to send."""
        body = urlencode(form)
        connection = http.client.HTTPConnection(urlsplit(self.base).netloc, timeout=10)
        try:
            connection.putrequest("POST", "/oauth/token")
            connection.putheader("Content-Type", "application/x-www-form-urlencoded")
            connection.putheader("Content-Length", str(len(body)))
            for value in dpop:
                connection.putheader("DPoP", value)
            connection.endheaders(body.encode())
            return Answer(connection.getresponse())
        finally:
            connection.close()

    def introspect(self, token: str, client: ClientCredentials) -> dict[str, Any]:
        assert client.client_secret is not None
        answer = requests.post(
            f"{self.base}/oauth/introspect",
            data={"token": token},
            auth=(client.client_id, client.client_secret),
            timeout=10,
        )
        assert answer.status_code == 200
        return answer.json()  # type: ignore[no-any-return]


def _mount(http: tuple[str, Recorder], provider: Proauth2, clock: FakeClock) -> Iterator[Endpoint]:
    base_url, recorder = http
    mount = recorder.mount
    assert mount.app is None, "one served app per test"
    mount.app = DispatcherMiddleware(
        AuthorizationServer(provider, authorization_endpoint="/authorize", registration=True),
        {"/authorize": AuthorizeView(provider)},
    )
    try:
        yield Endpoint(base_url, clock, recorder)
    finally:
        mount.app = None


@pytest.fixture
def endpoint(_http: tuple[str, Recorder], provider: Proauth2, clock: FakeClock) -> Iterator[Endpoint]:
    yield from _mount(_http, provider, clock)


@pytest.fixture
def nonce_provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    """A provider requiring its nonce in every proof (RFC 9449 section 8)."""
    return Proauth2(store, replace(settings, dpop_nonce=True, dpop_nonce_secret=NONCE_SECRET))


@pytest.fixture
def nonce_endpoint(_http: tuple[str, Recorder], nonce_provider: Proauth2, clock: FakeClock) -> Iterator[Endpoint]:
    yield from _mount(_http, nonce_provider, clock)


@pytest.fixture
def service(provider: Proauth2) -> ClientCredentials:
    """A confidential client of the client credentials grant (it also introspects)."""
    return provider.register_app("Service", grant_types=["client_credentials"])


@pytest.fixture
def spa(provider: Proauth2) -> ClientCredentials:
    """A public client (no secret): code with PKCE, and refresh."""
    return provider.register_app("SPA", [REDIRECT], auth_method="none")


@pytest.fixture
def web(provider: Proauth2) -> ClientCredentials:
    """A confidential client of the code and refresh grants (client_secret_basic)."""
    return provider.register_app("Web", [REDIRECT])


def authorize(provider: Proauth2, client: ClientCredentials, **parameters: str) -> str:
    """A code for alice, PKCE S256 with :data:`VERIFIER` (``parameters``: ``dpop_jkt``, ``resource``...)."""
    return provider.request_authorization(
        client.client_id,
        "alice",
        redirect_uri=REDIRECT,
        scope="profile",
        code_challenge=s256_challenge(VERIFIER),
        code_challenge_method="S256",
        **parameters,
    )["code"]


def code_form(client: ClientCredentials, code: str) -> dict[str, str]:
    """The token request of a code (RFC 6749 section 4.1.3); a public client names itself."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    if client.client_secret is None:
        form["client_id"] = client.client_id
    return form


def refresh_form(client: ClientCredentials, refresh_token: str) -> dict[str, str]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if client.client_secret is None:
        form["client_id"] = client.client_id
    return form


def basic(client: ClientCredentials) -> tuple[str, str]:
    assert client.client_secret is not None
    return client.client_id, client.client_secret


def assert_refused(answer: requests.Response | Answer, error: str) -> None:
    """An RFC 6749 section 5.2 error answer: 400 ``error``, JSON, never cached."""
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == error
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["Cache-Control"] == "no-store"


def assert_dpop_token(answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["token_type"] == "DPoP"
    return body


def stored_jkt(store: PeeweeDataStore, table: str, token: str) -> str | None:
    """The ``jkt`` stored with a token (looked up by its digest)."""
    record = store.fetch(table, token_hash=hash_secret(token))
    assert record is not None
    return record["jkt"]  # type: ignore[no-any-return]


def issued(store: PeeweeDataStore) -> int:
    """How many access and refresh tokens are stored."""
    return len(store.fetch_all("access_tokens")) + len(store.fetch_all("refresh_tokens"))


# -- binding: client credentials, code, refresh ---------------------------------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "5")
def test_client_credentials_with_a_proof_get_a_token_bound_to_its_key(
    endpoint: Endpoint, store: PeeweeDataStore, service: ClientCredentials, keys: Keys
) -> None:
    body = assert_dpop_token(
        endpoint.post({"grant_type": "client_credentials"}, dpop=endpoint.proof(keys.client), auth=basic(service))
    )
    thumbprint = keys.client.thumbprint()
    assert stored_jkt(store, "access_tokens", body["access_token"]) == thumbprint
    introspected = endpoint.introspect(body["access_token"], service)
    assert introspected["active"] is True
    assert introspected["token_type"] == "DPoP"
    assert introspected["cnf"] == {"jkt": thumbprint}  # RFC 9449 section 6.2


@pytest.mark.rfc(RFC, "5")
def test_without_a_proof_the_token_is_a_bearer_token(
    endpoint: Endpoint, store: PeeweeDataStore, service: ClientCredentials
) -> None:
    answer = endpoint.post({"grant_type": "client_credentials"}, auth=basic(service))
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    assert stored_jkt(store, "access_tokens", answer.json()["access_token"]) is None
    introspected = endpoint.introspect(answer.json()["access_token"], service)
    assert introspected["token_type"] == "Bearer" and "cnf" not in introspected


@pytest.mark.rfc(RFC, "5")
@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "PS256", "RS256"])
def test_every_default_algorithm_binds(
    endpoint: Endpoint, store: PeeweeDataStore, service: ClientCredentials, keys: Keys, alg: str
) -> None:
    key = keys.by_alg[alg]
    proof = endpoint.proof(key, alg=alg)
    body = assert_dpop_token(endpoint.post({"grant_type": "client_credentials"}, dpop=proof, auth=basic(service)))
    assert stored_jkt(store, "access_tokens", body["access_token"]) == key.thumbprint()


@pytest.mark.backends
@pytest.mark.rfc(RFC, "5")
def test_public_client_code_and_refresh_are_bound_to_the_key(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys
) -> None:
    thumbprint = keys.client.thumbprint()
    body = assert_dpop_token(endpoint.post(code_form(spa, authorize(provider, spa)), dpop=endpoint.proof(keys.client)))
    assert stored_jkt(store, "access_tokens", body["access_token"]) == thumbprint
    assert stored_jkt(store, "refresh_tokens", body["refresh_token"]) == thumbprint  # a public client's: bound too
    refreshed = assert_dpop_token(
        endpoint.post(refresh_form(spa, body["refresh_token"]), dpop=endpoint.proof(keys.client))
    )
    assert refreshed["access_token"] != body["access_token"]
    assert stored_jkt(store, "access_tokens", refreshed["access_token"]) == thumbprint
    assert stored_jkt(store, "refresh_tokens", refreshed["refresh_token"]) == thumbprint


@pytest.mark.backends
@pytest.mark.rfc(RFC, "5")
def test_a_public_refresh_token_needs_its_key_and_survives_a_thief(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys
) -> None:
    body = assert_dpop_token(endpoint.post(code_form(spa, authorize(provider, spa)), dpop=endpoint.proof(keys.client)))
    before = issued(store)
    form = refresh_form(spa, body["refresh_token"])
    assert_refused(endpoint.post(form, dpop=endpoint.proof(keys.thief)), "invalid_grant")
    assert_refused(endpoint.post(form), "invalid_grant")
    assert issued(store) == before
    refreshed = assert_dpop_token(endpoint.post(form, dpop=endpoint.proof(keys.client)))
    assert stored_jkt(store, "access_tokens", refreshed["access_token"]) == keys.client.thumbprint()


@pytest.mark.rfc(RFC, "5")
def test_a_confidential_refresh_token_is_not_bound_each_access_token_is(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, web: ClientCredentials, keys: Keys
) -> None:
    body = assert_dpop_token(
        endpoint.post(code_form(web, authorize(provider, web)), dpop=endpoint.proof(keys.client), auth=basic(web))
    )
    assert stored_jkt(store, "access_tokens", body["access_token"]) == keys.client.thumbprint()
    assert stored_jkt(store, "refresh_tokens", body["refresh_token"]) is None
    other = assert_dpop_token(
        endpoint.post(refresh_form(web, body["refresh_token"]), dpop=endpoint.proof(keys.thief), auth=basic(web))
    )
    assert stored_jkt(store, "access_tokens", other["access_token"]) == keys.thief.thumbprint()
    plain = endpoint.post(refresh_form(web, other["refresh_token"]), auth=basic(web))
    assert plain.status_code == 200 and plain.json()["token_type"] == "Bearer"
    assert stored_jkt(store, "access_tokens", plain.json()["access_token"]) is None


# -- replay ------------------------------------------------------------------------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "11.1")
def test_a_replayed_proof_is_refused_before_the_grant_runs(
    endpoint: Endpoint,
    provider: Proauth2,
    store: PeeweeDataStore,
    service: ClientCredentials,
    spa: ClientCredentials,
    keys: Keys,
) -> None:
    proof = endpoint.proof(keys.client)
    assert_dpop_token(endpoint.post({"grant_type": "client_credentials"}, dpop=proof, auth=basic(service)))
    before = issued(store)
    assert_refused(
        endpoint.post({"grant_type": "client_credentials"}, dpop=proof, auth=basic(service)), "invalid_dpop_proof"
    )
    code = authorize(provider, spa)
    assert_refused(endpoint.post(code_form(spa, code), dpop=proof), "invalid_dpop_proof")
    assert issued(store) == before
    assert_dpop_token(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.client)))  # the code was unused


# -- crafted proofs ------------------------------------------------------------------------------------------

Crafted = Callable[[Endpoint, Keys], list[str]]
#: proofs the token endpoint refuses as invalid_dpop_proof: the DPoP header lines sent, and what the refusal says
CRAFTED: dict[str, tuple[Crafted, str]] = {
    "htu-of-another-url": (
        lambda e, k: [e.proof(k.client, htu=f"{ISSUER}/oauth/introspect")],
        "htu is not the request's URL",
    ),
    "htu-of-another-host": (
        lambda e, k: [e.proof(k.client, htu="https://evil.example.com/oauth/token")],
        "htu is not the request's URL",
    ),
    "htm-get": (lambda e, k: [e.proof(k.client, htm="GET")], "htm is not the request's method"),
    "alg-none": (lambda e, k: [e.proof(k.client, alg="none")], "alg is not one of"),
    "hs256": (
        lambda e, k: [e.proof(new_key("HS256"), alg="HS256", jwk=k.client.as_dict(private=False))],
        "alg is not one of",
    ),
    "private-key-in-jwk": (
        lambda e, k: [e.proof(k.client, jwk=k.client.as_dict(private=True))],
        "jwk holds a private key",
    ),
    "signed-by-another-key": (
        lambda e, k: [e.proof(k.thief, jwk=k.client.as_dict(private=False))],
        "signature does not verify",
    ),
    "10-kib": (lambda e, k: [e.proof(k.client, extra_claims={"pad": "x" * 10240})], "at most 8192 characters"),
    "two-proofs-in-one-line": (
        lambda e, k: [f"{e.proof(k.client)}, {e.proof(k.client)}"],
        "exactly one DPoP header",
    ),
    "stale-iat": (lambda e, k: [e.proof(k.client, iat=e.clock.now - 300)], "older than 120 seconds"),
    "iat-in-the-future": (lambda e, k: [e.proof(k.client, iat=e.clock.now + 300)], "iat is in the future"),
    "missing-typ": (lambda e, k: [e.proof(k.client, typ=None)], "typ is not dpop+jwt"),
    "typ-jwt": (lambda e, k: [e.proof(k.client, typ="JWT")], "typ is not dpop+jwt"),
    "missing-jti": (lambda e, k: [e.proof(k.client, omit=("jti",))], "has no jti"),
    "empty-header": (lambda e, k: [""], "exactly one DPoP header"),
    "not-a-jws": (lambda e, k: ["not-a-proof"], "not a compact JWS"),
}


@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_proof_is_invalid_dpop_proof_and_changes_nothing(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys, case: str
) -> None:
    craft, description = CRAFTED[case]
    code = authorize(provider, spa)
    proofs = craft(endpoint, keys)
    answer = endpoint.post_raw(code_form(spa, code), proofs)
    assert_refused(answer, "invalid_dpop_proof")
    assert description in answer.json()["error_description"]
    assert not any(len(part) > 8 and part in answer.text for proof in proofs for part in proof.split("."))
    assert issued(store) == 0
    assert_dpop_token(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.client)))


@pytest.mark.backends
@pytest.mark.rfc(RFC, "4.3")
@pytest.mark.parametrize("same", [False, True], ids=["two-proofs", "one-proof-twice"])
def test_two_dpop_headers_are_refused_and_change_nothing(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys, same: bool
) -> None:
    code = authorize(provider, spa)
    first = endpoint.proof(keys.client)
    second = first if same else endpoint.proof(keys.client)
    assert_refused(endpoint.post_raw(code_form(spa, code), [first, second]), "invalid_dpop_proof")
    assert endpoint.recorder.dpop_values[-1] == f"{first},{second}"  # the server did receive two lines
    assert issued(store) == 0
    assert_dpop_token(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.client)))


# -- dpop_jkt: the code bound at the authorization request (RFC 9449 section 10) ------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "10")
def test_dpop_jkt_binds_the_code_to_its_key(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys
) -> None:
    code = authorize(provider, spa, dpop_jkt=keys.client.thumbprint())
    assert_refused(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.thief)), "invalid_grant")
    assert_refused(endpoint.post(code_form(spa, code)), "invalid_grant")
    assert issued(store) == 0
    body = assert_dpop_token(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.client)))
    assert stored_jkt(store, "access_tokens", body["access_token"]) == keys.client.thumbprint()


@pytest.mark.rfc(RFC, "10")
def test_dpop_jkt_over_http_at_the_authorization_endpoint(
    endpoint: Endpoint, spa: ClientCredentials, keys: Keys
) -> None:
    def authorize_over_http(dpop_jkt: str) -> dict[str, list[str]]:
        query = {
            "client_id": spa.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "profile",
            "state": "s1",
            "code_challenge": s256_challenge(VERIFIER),
            "code_challenge_method": "S256",
            "dpop_jkt": dpop_jkt,
        }
        answer = requests.get(f"{endpoint.base}/authorize", params=query, allow_redirects=False, timeout=10)
        assert answer.status_code == 303
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT)
        return parse_qs(urlsplit(location).query)

    code = authorize_over_http(keys.client.thumbprint())["code"][0]
    assert_refused(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.thief)), "invalid_grant")
    assert_dpop_token(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.client)))
    refused = authorize_over_http("not a thumbprint")
    assert refused["error"] == ["invalid_request"] and "code" not in refused


@pytest.mark.rfc(RFC, "10")
@pytest.mark.parametrize(
    "dpop_jkt",
    [
        pytest.param("x" * 42, id="too-short"),
        pytest.param("x" * 44, id="too-long"),
        pytest.param("+" * 43, id="not-base64url"),
        pytest.param("x" * 42 + "=", id="padded"),
    ],
)
def test_a_malformed_dpop_jkt_is_invalid_request(provider: Proauth2, spa: ClientCredentials, dpop_jkt: str) -> None:
    with pytest.raises(InvalidRequest):
        authorize(provider, spa, dpop_jkt=dpop_jkt)


# -- clients and resources that require DPoP (RFC 9449 section 5.2) -------------------------------------------


@pytest.mark.rfc(RFC, "5.2")
def test_a_client_registered_to_require_dpop_must_send_a_proof(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, keys: Keys
) -> None:
    job = provider.register_app("Job", grant_types=["client_credentials"], metadata={"dpop_bound_access_tokens": True})
    assert_refused(endpoint.post({"grant_type": "client_credentials"}, auth=basic(job)), "invalid_dpop_proof")
    assert issued(store) == 0
    assert_dpop_token(
        endpoint.post({"grant_type": "client_credentials"}, dpop=endpoint.proof(keys.client), auth=basic(job))
    )


@pytest.mark.backends
@pytest.mark.rfc(RFC, "5.2")
def test_a_code_of_a_client_requiring_dpop_survives_a_request_without_proof(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, keys: Keys
) -> None:
    """Refused inside the transaction that spends the code: the whole transaction rolls back."""
    app = provider.register_app("Strict web", [REDIRECT], metadata={"dpop_bound_access_tokens": True})
    code = authorize(provider, app)
    assert_refused(endpoint.post(code_form(app, code), auth=basic(app)), "invalid_dpop_proof")
    assert issued(store) == 0
    assert_dpop_token(endpoint.post(code_form(app, code), dpop=endpoint.proof(keys.client), auth=basic(app)))


@pytest.mark.rfc(RFC, "5.2")
def test_a_client_registering_over_rfc7591_to_require_dpop_must_send_a_proof(endpoint: Endpoint, keys: Keys) -> None:
    registered = requests.post(
        f"{endpoint.base}/oauth/register",
        json={"client_name": "Agent", "grant_types": ["client_credentials"], "dpop_bound_access_tokens": True},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["dpop_bound_access_tokens"] is True
    auth = (body["client_id"], body["client_secret"])
    assert_refused(endpoint.post({"grant_type": "client_credentials"}, auth=auth), "invalid_dpop_proof")
    assert_dpop_token(endpoint.post({"grant_type": "client_credentials"}, dpop=endpoint.proof(keys.client), auth=auth))


@pytest.mark.rfc(RFC, "5.2")
def test_a_resource_requiring_dpop_gets_bound_tokens_only(
    endpoint: Endpoint, store: PeeweeDataStore, service: ClientCredentials, keys: Keys
) -> None:
    form = {"grant_type": "client_credentials", "resource": API}
    assert_refused(endpoint.post(form, auth=basic(service)), "invalid_dpop_proof")
    assert issued(store) == 0
    body = assert_dpop_token(endpoint.post(form, dpop=endpoint.proof(keys.client), auth=basic(service)))
    introspected = endpoint.introspect(body["access_token"], service)
    assert introspected["aud"] == API and introspected["cnf"] == {"jkt": keys.client.thumbprint()}
    plain = endpoint.post({"grant_type": "client_credentials"}, auth=basic(service))  # no resource named: bearer
    assert plain.status_code == 200 and plain.json()["token_type"] == "Bearer"


@pytest.mark.rfc(RFC, "5.2")
def test_a_public_client_naming_a_resource_requiring_dpop_keeps_its_code(
    endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys
) -> None:
    code = authorize(provider, spa, resource=API)
    assert_refused(endpoint.post(code_form(spa, code)), "invalid_dpop_proof")
    assert issued(store) == 0
    body = assert_dpop_token(endpoint.post(code_form(spa, code), dpop=endpoint.proof(keys.client)))
    assert store.fetch("access_tokens", token_hash=hash_secret(body["access_token"]))["audience"] == [API]  # type: ignore[index]


# -- server nonces (RFC 9449 section 8) ------------------------------------------------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "8")
def test_a_nonce_is_asked_for_then_accepted(
    nonce_endpoint: Endpoint, store: PeeweeDataStore, service: ClientCredentials, keys: Keys
) -> None:
    form = {"grant_type": "client_credentials"}
    first = nonce_endpoint.post(form, dpop=nonce_endpoint.proof(keys.client), auth=basic(service))
    assert_refused(first, "use_dpop_nonce")
    nonce = first.headers["DPoP-Nonce"]
    assert nonce and issued(store) == 0
    retried = nonce_endpoint.post(form, dpop=nonce_endpoint.proof(keys.client, nonce=nonce), auth=basic(service))
    assert_dpop_token(retried)


@pytest.mark.rfc(RFC, "8")
def test_a_nonce_is_good_for_its_window_and_the_next_only(
    nonce_endpoint: Endpoint, clock: FakeClock, service: ClientCredentials, keys: Keys
) -> None:
    form = {"grant_type": "client_credentials"}
    nonce = nonce_endpoint.post(form, dpop=nonce_endpoint.proof(keys.client), auth=basic(service)).headers["DPoP-Nonce"]
    clock.advance(WINDOW)  # the next window: still accepted
    assert_dpop_token(
        nonce_endpoint.post(form, dpop=nonce_endpoint.proof(keys.client, nonce=nonce), auth=basic(service))
    )
    clock.advance(WINDOW)  # two windows on: stale
    stale = nonce_endpoint.post(form, dpop=nonce_endpoint.proof(keys.client, nonce=nonce), auth=basic(service))
    assert_refused(stale, "use_dpop_nonce")
    fresh = stale.headers["DPoP-Nonce"]
    assert fresh != nonce
    assert_dpop_token(
        nonce_endpoint.post(form, dpop=nonce_endpoint.proof(keys.client, nonce=fresh), auth=basic(service))
    )


@pytest.mark.rfc(RFC, "8")
@pytest.mark.parametrize("nonce", ["forged-nonce", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_a_forged_nonce_is_use_dpop_nonce(
    nonce_endpoint: Endpoint, service: ClientCredentials, keys: Keys, nonce: str
) -> None:
    answer = nonce_endpoint.post(
        {"grant_type": "client_credentials"}, dpop=nonce_endpoint.proof(keys.client, nonce=nonce), auth=basic(service)
    )
    assert_refused(answer, "use_dpop_nonce")
    assert answer.headers["DPoP-Nonce"] != nonce


@pytest.mark.rfc(RFC, "8")
def test_a_nonce_refusal_leaves_the_code_unused(
    nonce_endpoint: Endpoint, provider: Proauth2, store: PeeweeDataStore, spa: ClientCredentials, keys: Keys
) -> None:
    code = authorize(provider, spa)
    first = nonce_endpoint.post(code_form(spa, code), dpop=nonce_endpoint.proof(keys.client))
    assert_refused(first, "use_dpop_nonce")
    assert issued(store) == 0
    nonce = first.headers["DPoP-Nonce"]
    assert_dpop_token(nonce_endpoint.post(code_form(spa, code), dpop=nonce_endpoint.proof(keys.client, nonce=nonce)))


@pytest.fixture
def secret_provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    """A provider that can make nonces (a secret) but requires them of no client by default."""
    return Proauth2(store, replace(settings, dpop_nonce_secret=NONCE_SECRET))


@pytest.fixture
def secret_endpoint(_http: tuple[str, Recorder], secret_provider: Proauth2, clock: FakeClock) -> Iterator[Endpoint]:
    yield from _mount(_http, secret_provider, clock)


@pytest.mark.rfc(RFC, "8")
def test_a_client_registered_with_dpop_nonce_required_gets_nonces_others_do_not(
    secret_endpoint: Endpoint, secret_provider: Proauth2, store: PeeweeDataStore, keys: Keys
) -> None:
    form = {"grant_type": "client_credentials"}
    strict = secret_provider.register_app(
        "strict", grant_types=["client_credentials"], metadata={"dpop_nonce_required": True}
    )
    relaxed = secret_provider.register_app("relaxed", grant_types=["client_credentials"])
    assert_dpop_token(secret_endpoint.post(form, dpop=secret_endpoint.proof(keys.client), auth=basic(relaxed)))
    first = secret_endpoint.post(form, dpop=secret_endpoint.proof(keys.client), auth=basic(strict))
    assert_refused(first, "use_dpop_nonce")
    nonce = first.headers["DPoP-Nonce"]
    retried = secret_endpoint.post(form, dpop=secret_endpoint.proof(keys.client, nonce=nonce), auth=basic(strict))
    assert_dpop_token(retried)
