"""DPoP at protected resources (RFC 9449 sections 7, 9, 11.1), over real HTTP on loopback.

One table of requests runs at every adapter and validator: the WSGI
middleware, the ASGI middleware (Starlette under uvicorn), Flask's
``require_oauth`` and the UserInfo endpoint with the provider as validator,
and the WSGI middleware with a ``JWTValidator`` and with an
``IntrospectionValidator`` asking a real issuer over loopback. A DPoP-bound
token works with a good proof only: the stolen token alone, or with a proof by
the thief's own key, is refused; every crafted proof is 401 with the right
error in the challenge of the scheme the request used, never a 500, and no
answer ever holds the token. Requests go out through ``http.client``, so that
two ``DPoP`` header lines really reach the server.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, jsonify
from joserfc.jwk import Key
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from werkzeug.test import Client

import flask_proauth2
from flask_proauth2 import current_token
from proauth2_wsgi import BearerTokenMiddleware, ClientCredentials, Proauth2, Settings
from proauth2_wsgi.asgi import BearerTokenMiddleware as AsgiBearerTokenMiddleware
from proauth2_wsgi.dpop import access_token_hash
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.protector import BEARER, DPOP
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.validators import IntrospectionValidator, JWTValidator
from tests.asgi.conftest import serve_asgi
from tests.conftest import FakeClock
from tests.dpop.proofs import make_proof, new_key
from tests.endpoints.conftest import Mount
from tests.http_server import serve
from tests.keys import _key_pool, _pooled_keys  # noqa: F401 - fixtures: real signing keys, made once per run
from tests.middleware.conftest import DPOP_ALGS, NO_TOKEN_BODY, echo_app

RFC = "9449"
ISSUER = "https://auth.example.com"
TOKEN_ENDPOINT = f"{ISSUER}/oauth/token"
#: a resource whose tokens are JWT access tokens (RFC 9068)
ORDERS = "https://orders.example.com/api"
#: a resource taking DPoP-bound tokens only (RFC 9449 section 5.2)
API = "https://api.example.com"
REDIRECT = "https://client.example.com/callback"
VERIFIER = "dpop-resource-verifier-" + "v" * 43
KEY_SECRET = "dpop-resource-tests-" + "k" * 32
NONCE_SECRET = "dpop-resource-nonce-secret-" + "n" * 32
SCOPES = {"profile": "Read your profile", "read": "Read orders"}
#: the path every resource but UserInfo protects
PATH = "/api/me"


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer=ISSUER,
        scopes=SCOPES,
        default_scope="profile",
        openid=True,
        key_secret=KEY_SECRET,
        resources={ORDERS: {"scopes": "read", "token_format": "jwt"}, API: {"dpop_bound_access_tokens": True}},
        clock=clock,
    )


@dataclass(frozen=True)
class Keys:
    """The client's key, and a thief's."""

    client: Key
    thief: Key


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(new_key("ES256"), new_key("ES256"))


# -- the servers: one WSGI and one ASGI server per module, each test mounting its app -----------------------------


@pytest.fixture(scope="module")
def _http() -> Iterator[tuple[str, Mount]]:
    mount = Mount()
    with serve(mount) as base_url:
        yield base_url, mount


class AsgiMount:
    """The ASGI app uvicorn runs: lifespan answered here, every request passed to the app the test mounted."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.app is not None, "no app mounted"
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def _asgi() -> Iterator[tuple[str, AsgiMount]]:
    mount = AsgiMount()
    with serve_asgi(mount) as base_url:
        yield base_url, mount


@contextmanager
def mounted(mount: Mount | AsgiMount, app: Any) -> Iterator[None]:
    assert mount.app is None, "one served app per test"
    mount.app = app
    try:
        yield
    finally:
        mount.app = None


# -- tokens and requests ------------------------------------------------------------------------------------------


def basic(client: ClientCredentials) -> tuple[str, str]:
    assert client.client_secret is not None
    return client.client_id, client.client_secret


class Issuer:
    """Tokens from the provider's own token endpoint (in-process), bound to a key, or bearer tokens for None."""

    def __init__(self, provider: Proauth2, clock: FakeClock) -> None:
        self.provider = provider
        self.clock = clock
        self.endpoints = Client(AuthorizationServer(provider))
        self.service = provider.register_app("Service", grant_types=["client_credentials"])
        self.web = provider.register_app("Web", [REDIRECT])

    def token(self, key: Key | None, **form: str) -> str:
        """A client credentials token of the service (scope ``profile`` unless ``form`` says otherwise)."""
        return self._post({"grant_type": "client_credentials", "scope": "profile", **form}, self.service, key)

    def user_token(self, key: Key | None) -> str:
        """An OpenID Connect token of alice through the code flow (for UserInfo)."""
        code = self.provider.request_authorization(
            self.web.client_id,
            "alice",
            redirect_uri=REDIRECT,
            scope="openid profile",
            code_challenge=s256_challenge(VERIFIER),
            code_challenge_method="S256",
        )["code"]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
        return self._post(form, self.web, key)

    def _post(self, form: dict[str, str], client: ClientCredentials, key: Key | None) -> str:
        nonce = None
        for _ in range(2):  # a provider requiring nonces answers use_dpop_nonce first (RFC 9449 section 8)
            headers = (
                {} if key is None else {"DPoP": make_proof(key, htu=TOKEN_ENDPOINT, iat=self.clock.now, nonce=nonce)}
            )
            answer = self.endpoints.post("/oauth/token", data=form, auth=basic(client), headers=headers)
            body = json.loads(answer.get_data(as_text=True))
            if answer.status_code != 400 or body["error"] != "use_dpop_nonce":
                break
            nonce = answer.headers["DPoP-Nonce"]
        assert answer.status_code == 200, body
        assert body["token_type"] == (BEARER if key is None else DPOP)
        return str(body["access_token"])


@pytest.fixture
def issuer(provider: Proauth2, clock: FakeClock) -> Issuer:
    return Issuer(provider, clock)


class Answer:
    """An HTTP answer read with ``http.client``."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status_code = response.status
        self.headers = response.headers
        self.text = response.read().decode()

    def json(self) -> Any:
        return json.loads(self.text)


def send(url: str, authorization: str | None, dpop: Iterable[str] = (), method: str = "GET") -> Answer:
    """``method`` to ``url`` with these ``Authorization`` and ``DPoP`` header lines, one per value."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.putrequest(method, parts.path)
        if authorization is not None:
            connection.putheader("Authorization", authorization)
        for value in dpop:
            connection.putheader("DPoP", value)
        connection.endheaders()
        return Answer(connection.getresponse())
    finally:
        connection.close()


@dataclass
class Target:
    """A protected resource being tested: its URL, realm, tokens, and the clock of its DPoP checker."""

    name: str
    url: str
    realm: str
    issue: Callable[[Key | None], str]
    now: Callable[[], float]
    #: what a successful answer says of the caller
    caller: dict[str, Any]

    def proof(self, key: Key, token: str | None = None, **changes: Any) -> str:
        """A proof by ``key`` for a GET of :attr:`url` made now, with the ``ath`` of ``token`` (``changes`` on top)."""
        claims: dict[str, Any] = {"htm": "GET", "htu": self.url, "iat": self.now()}
        if token is not None:
            claims["ath"] = access_token_hash(token)
        return make_proof(key, **{**claims, **changes})

    def send(self, authorization: str | None, dpop: Iterable[str] = ()) -> Answer:
        return send(self.url, authorization, dpop)

    def with_proof(self, token: str, proof: str) -> Answer:
        return self.send(f"DPoP {token}", [proof])

    def assert_accepted(self, answer: Answer, token: str) -> None:
        assert answer.status_code == 200, answer.text
        assert self.caller.items() <= answer.json().items()
        assert_token_not_in(answer, token)


def assert_token_not_in(answer: Answer, token: str) -> None:
    """The token is in neither the body nor any header of the answer."""
    assert token not in answer.text
    assert all(token not in value for _, value in answer.headers.items())


def assert_refused(answer: Answer, target: Target | str, token: str, error: str, scheme: str) -> str:
    """401 ``error``, in the challenge of ``scheme`` (both challenges present); the challenge header."""
    realm = target if isinstance(target, str) else target.realm
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == error
    assert answer.headers["Cache-Control"] == "no-store"
    header = answer.headers["WWW-Authenticate"]
    bearer, dpop = f'Bearer realm="{realm}"', f'DPoP realm="{realm}", algs="{DPOP_ALGS}"'
    if scheme == DPOP:
        assert header.startswith(f'{bearer}, {dpop}, error="{error}", error_description="'), header
    else:
        assert header.startswith(f'{bearer}, error="{error}", error_description="'), header
        assert header.endswith(f", {dpop}"), header
    assert_token_not_in(answer, token)
    return header


# -- the resources under test -----------------------------------------------------------------------------------

Build = Callable[..., Iterator[Target]]


def _wsgi(request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock, path: str = PATH) -> Iterator[Target]:
    base, mount = request.getfixturevalue("_http")
    with mounted(mount, BearerTokenMiddleware(echo_app, issuer.provider)):
        yield Target("wsgi", base + path, "api", issuer.token, clock, {"client_id": issuer.service.client_id})


async def _whoami(request: Request) -> JSONResponse:
    return JSONResponse({"client_id": request.auth.client_id, "user_id": request.auth.user_id})


def _asgi_target(
    request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock, path: str = PATH
) -> Iterator[Target]:
    base, mount = request.getfixturevalue("_asgi")
    app = AsgiBearerTokenMiddleware(Starlette(routes=[Route("/api/{name}", _whoami)]), issuer.provider)
    try:
        with mounted(mount, app):
            yield Target("asgi", base + path, "api", issuer.token, clock, {"client_id": issuer.service.client_id})
    finally:
        app.close()


def _flask(request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock, path: str = PATH) -> Iterator[Target]:
    """A Flask app of its own provider on the same database: the issuer's tokens are its tokens."""
    base, mount = request.getfixturevalue("_http")
    app = Flask(__name__, instance_path=str(request.getfixturevalue("tmp_path") / "instance"))
    app.config.update(
        TESTING=True,
        PROAUTH2_DATABASE_URL=request.getfixturevalue("database_url"),
        PROAUTH2_ISSUER=ISSUER,
        PROAUTH2_SCOPES=SCOPES,
        PROAUTH2_CLOCK=clock,
    )
    oauth = flask_proauth2.Proauth2(app)

    @app.route("/api/<name>")
    @oauth.require_oauth("profile")
    def whoami(name: str) -> Any:
        assert current_token is not None
        return jsonify(client_id=current_token.client_id, user_id=current_token.user_id)

    try:
        with mounted(mount, app):
            yield Target("flask", base + path, "api", issuer.token, clock, {"client_id": issuer.service.client_id})
    finally:
        app.extensions["proauth2"].provider.store.close()


def _userinfo(
    request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock, path: str = "/oauth/userinfo"
) -> Iterator[Target]:
    base, mount = request.getfixturevalue("_http")
    with mounted(mount, AuthorizationServer(issuer.provider)):
        yield Target("userinfo", base + path, ISSUER, issuer.user_token, clock, {"sub": "alice"})


def _jwt(request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock, path: str = PATH) -> Iterator[Target]:
    """JWT access tokens validated offline; proofs remembered in this process, by the real clock."""
    base, mount = request.getfixturevalue("_http")
    validator = JWTValidator(issuer=ISSUER, audience=ORDERS, jwks_uri=f"{base}/oauth/jwks", clock=clock)
    app = AuthorizationServer(issuer.provider, app=BearerTokenMiddleware(echo_app, validator))

    def issue(key: Key | None) -> str:
        return issuer.token(key, resource=ORDERS, scope="read")

    with mounted(mount, app):
        yield Target("jwt", base + path, "api", issue, time.time, {"client_id": issuer.service.client_id})


def _introspection(
    request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock, path: str = PATH
) -> Iterator[Target]:
    """Any token, asked about at the issuer (RFC 7662); proofs remembered in this process, by the real clock."""
    base, mount = request.getfixturevalue("_http")
    client_id, secret = basic(issuer.provider.register_app("Orders API", grant_types=["client_credentials"]))
    validator = IntrospectionValidator(f"{base}/oauth/introspect", client_id, secret, issuer=ISSUER, clock=clock)
    app = AuthorizationServer(issuer.provider, app=BearerTokenMiddleware(echo_app, validator))
    with mounted(mount, app):
        yield Target(
            "introspection", base + path, "api", issuer.token, time.time, {"client_id": issuer.service.client_id}
        )


TARGETS: dict[str, Build] = {
    "wsgi": _wsgi,
    "asgi": _asgi_target,
    "flask": _flask,
    "userinfo": _userinfo,
    "jwt": _jwt,
    "introspection": _introspection,
}


@pytest.fixture(params=list(TARGETS))
def target(request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock) -> Iterator[Target]:
    yield from TARGETS[request.param](request, issuer, clock)


@pytest.fixture
def wsgi(request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock) -> Iterator[Target]:
    """The WSGI middleware with the provider as validator."""
    yield from _wsgi(request, issuer, clock)


#: paths whose URL holds percent-encoded characters (RFC 3986 section 2.1), as clients send them
ENCODED_PATHS = {"non-ascii": "/api/caf%C3%A9", "space": "/api/a%20b"}


@pytest.fixture(
    params=[
        pytest.param((name, path), id=f"{name}-{path}") for name in ("wsgi", "asgi", "flask") for path in ENCODED_PATHS
    ]
)
def encoded_target(request: pytest.FixtureRequest, issuer: Issuer, clock: FakeClock) -> Iterator[Target]:
    """A resource at a path with percent-encoded characters (the WSGI, ASGI and Flask adapters)."""
    name, path = request.param
    yield from TARGETS[name](request, issuer, clock, ENCODED_PATHS[path])


# -- every resource: a bound token with a good proof, and every way of getting it wrong ----------------------------


@pytest.mark.rfc(RFC, "7.1")
def test_a_bound_token_works_with_a_good_proof_every_time(target: Target, keys: Keys) -> None:
    token = target.issue(keys.client)
    target.assert_accepted(target.with_proof(token, target.proof(keys.client, token)), token)
    target.assert_accepted(target.with_proof(token, target.proof(keys.client, token)), token)  # a new proof, a new jti


Send = Callable[[Target, str, Keys], tuple[str | None, list[str]]]


def _dpop(build: Callable[[Target, str, Keys], list[str]]) -> Send:
    """A request presenting the token with the DPoP scheme and the ``DPoP`` header lines ``build`` makes."""
    return lambda t, token, k: (f"DPoP {token}", build(t, token, k))


def _bad_proof(build: Callable[[Target, str, Keys], list[str]], description: str) -> tuple[Send, str, str, str]:
    """A DPoP request with a bad proof: ``invalid_dpop_proof`` in the DPoP challenge, saying ``description``."""
    return _dpop(build), "invalid_dpop_proof", DPOP, description


#: requests every resource refuses: what is sent, the error, the scheme whose challenge holds it, what it says
REFUSED: dict[str, tuple[Send, str, str, str]] = {
    "stolen-token-as-bearer": (
        lambda t, token, k: (f"Bearer {token}", []),
        "invalid_token",
        BEARER,
        "the access token is DPoP-bound: present it with the DPoP scheme and a proof",
    ),
    "stolen-token-as-bearer-beside-a-proof": (
        lambda t, token, k: (f"Bearer {token}", [t.proof(k.client, token)]),
        "invalid_token",
        BEARER,
        "the access token is DPoP-bound: present it with the DPoP scheme and a proof",
    ),
    "stolen-token-with-the-thiefs-own-proof": (
        _dpop(lambda t, token, k: [t.proof(k.thief, token)]),
        "invalid_token",
        DPOP,
        "the DPoP proof is not by the key the access token is bound to",
    ),
    "wrong-htm": _bad_proof(lambda t, token, k: [t.proof(k.client, token, htm="POST")], "htm is not the request's"),
    "wrong-htu-path": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, htu=t.url + "/other")], "htu is not the request's URL"
    ),
    "wrong-htu-host": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, htu="https://evil.example.com" + urlsplit(t.url).path)],
        "htu is not the request's URL",
    ),
    "proof-for-the-token-endpoint": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, htm="POST", htu=TOKEN_ENDPOINT)], "htm is not the request's"
    ),
    "missing-ath": _bad_proof(lambda t, token, k: [t.proof(k.client)], "has no ath"),
    "ath-of-another-token": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, ath=access_token_hash("another-token"))],
        "ath is not the hash of the access token",
    ),
    "stale-iat": _bad_proof(lambda t, token, k: [t.proof(k.client, token, iat=t.now() - 300)], "older than 120"),
    "iat-in-the-future": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, iat=t.now() + 300)], "iat is in the future"
    ),
    "alg-none": _bad_proof(lambda t, token, k: [t.proof(k.client, token, alg="none")], "alg is not one of"),
    "hs256": _bad_proof(
        lambda t, token, k: [t.proof(new_key("HS256"), token, alg="HS256", jwk=k.client.as_dict(private=False))],
        "alg is not one of",
    ),
    "private-key-in-jwk": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, jwk=k.client.as_dict(private=True))], "holds a private key"
    ),
    "signed-by-another-key-than-its-jwk": _bad_proof(
        lambda t, token, k: [t.proof(k.thief, token, jwk=k.client.as_dict(private=False))],
        "signature does not verify",
    ),
    "10-kib-proof": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token, extra_claims={"pad": "x" * 10240})], "at most 8192 characters"
    ),
    "two-dpop-headers": _bad_proof(
        lambda t, token, k: [t.proof(k.client, token), t.proof(k.client, token)], "exactly one DPoP header"
    ),
    "no-dpop-header": _bad_proof(lambda t, token, k: [], "needs a DPoP proof"),
    "empty-dpop-header": _bad_proof(lambda t, token, k: [""], "exactly one DPoP header"),
    "missing-typ": _bad_proof(lambda t, token, k: [t.proof(k.client, token, typ=None)], "typ is not dpop+jwt"),
}


@pytest.mark.rfc(RFC, "7.1")
@pytest.mark.parametrize("case", list(REFUSED))
def test_every_wrong_request_is_refused_and_the_token_still_works(target: Target, keys: Keys, case: str) -> None:
    build, error, scheme, description = REFUSED[case]
    token = target.issue(keys.client)
    authorization, dpop = build(target, token, keys)
    answer = target.send(authorization, dpop)
    assert_refused(answer, target, token, error, scheme)
    assert description in answer.json()["error_description"]
    target.assert_accepted(target.with_proof(token, target.proof(keys.client, token)), token)


@pytest.mark.rfc(RFC, "11.1")
def test_a_replayed_proof_is_refused(target: Target, keys: Keys) -> None:
    token = target.issue(keys.client)
    proof = target.proof(keys.client, token)
    target.assert_accepted(target.with_proof(token, proof), token)
    assert_refused(target.with_proof(token, proof), target, token, "invalid_dpop_proof", DPOP)


@pytest.mark.rfc(RFC, "7.1")
def test_an_unbound_token_is_a_bearer_token_only(target: Target, keys: Keys) -> None:
    token = target.issue(None)
    assert_refused(target.with_proof(token, target.proof(keys.client, token)), target, token, "invalid_token", DPOP)
    target.assert_accepted(target.send(f"Bearer {token}"), token)


@pytest.mark.rfc(RFC, "4.3")
def test_a_proof_for_a_url_with_percent_encoded_characters_is_accepted(encoded_target: Target, keys: Keys) -> None:
    """RFC 9449 section 4.3 step 9: ``htu`` is the target URI as sent, percent-encoded (RFC 3986 section 2.1)."""
    token = encoded_target.issue(keys.client)
    answer = encoded_target.with_proof(token, encoded_target.proof(keys.client, token))
    encoded_target.assert_accepted(answer, token)


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(websocket.user.identity)
    await websocket.close()


@pytest.mark.rfc(RFC, "7.1")
def test_a_bound_token_opens_a_websocket_with_a_proof_for_its_handshake(
    _asgi: tuple[str, AsgiMount], issuer: Issuer, clock: FakeClock, keys: Keys
) -> None:
    """The handshake is a GET of the http URL (RFC 6455 section 4.1): its proof names that target URI."""
    connect = pytest.importorskip("websockets.sync.client", reason="needs the websockets package").connect
    base, mount = _asgi
    token = issuer.token(keys.client)
    proof = make_proof(keys.client, htm="GET", htu=f"{base}/ws", iat=clock.now, ath=access_token_hash(token))
    app = AsgiBearerTokenMiddleware(Starlette(routes=[WebSocketRoute("/ws", _socket)]), issuer.provider)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    try:
        with mounted(mount, app), connect(f"ws{base[4:]}/ws", additional_headers=headers, open_timeout=5) as socket:
            assert socket.recv(timeout=5) == issuer.service.client_id
    finally:
        app.close()


@pytest.mark.rfc(RFC, "6.1")
def test_a_jwt_access_token_carries_the_thumbprint_of_its_key(issuer: Issuer, keys: Keys) -> None:
    bound = jwt_claims(issuer.token(keys.client, resource=ORDERS, scope="read"))
    assert bound["cnf"] == {"jkt": keys.client.thumbprint()}  # RFC 9449 section 6.1
    assert bound["aud"] == ORDERS
    assert "cnf" not in jwt_claims(issuer.token(None, resource=ORDERS, scope="read"))


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the validators verify it; here it is only read)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


# -- exact challenges (WSGI middleware, provider) -------------------------------------------------------------------

ALGS = f'algs="{DPOP_ALGS}"'


@pytest.mark.rfc(RFC, "7.1")
def test_the_exact_challenge_of_a_bound_token_sent_as_bearer(wsgi: Target, keys: Keys) -> None:
    token = wsgi.issue(keys.client)
    answer = wsgi.send(f"Bearer {token}")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", '
        'error_description="the access token is DPoP-bound: present it with the DPoP scheme and a proof", '
        f'DPoP realm="api", {ALGS}'
    )
    assert answer.json() == {
        "error": "invalid_token",
        "error_description": "the access token is DPoP-bound: present it with the DPoP scheme and a proof",
    }


@pytest.mark.rfc(RFC, "7.1")
def test_the_exact_challenge_of_a_replayed_proof(wsgi: Target, keys: Keys) -> None:
    token = wsgi.issue(keys.client)
    proof = wsgi.proof(keys.client, token)
    wsgi.assert_accepted(wsgi.with_proof(token, proof), token)
    assert wsgi.with_proof(token, proof).headers["WWW-Authenticate"] == (
        f'Bearer realm="api", DPoP realm="api", {ALGS}, error="invalid_dpop_proof", '
        'error_description="the DPoP proof was used before (RFC 9449 section 11.1)"'
    )


@pytest.mark.rfc(RFC, "7.1")
def test_the_exact_challenge_of_a_proof_by_another_key(wsgi: Target, keys: Keys) -> None:
    token = wsgi.issue(keys.client)
    assert wsgi.with_proof(token, wsgi.proof(keys.thief, token)).headers["WWW-Authenticate"] == (
        f'Bearer realm="api", DPoP realm="api", {ALGS}, error="invalid_token", '
        'error_description="the DPoP proof is not by the key the access token is bound to"'
    )


@pytest.mark.rfc(RFC, "7.1")
def test_the_exact_challenge_without_a_proof(wsgi: Target, keys: Keys) -> None:
    token = wsgi.issue(keys.client)
    assert wsgi.send(f"DPoP {token}").headers["WWW-Authenticate"] == (
        f'Bearer realm="api", DPoP realm="api", {ALGS}, error="invalid_dpop_proof", '
        'error_description="a DPoP-bound access token needs a DPoP proof (RFC 9449 section 7.1)"'
    )


@pytest.mark.rfc(RFC, "7.1")
def test_userinfo_takes_a_proof_for_its_public_url(
    _http: tuple[str, Mount], issuer: Issuer, clock: FakeClock, keys: Keys
) -> None:
    """Behind a proxy the client knows UserInfo by the issuer's URL: a proof may name it."""
    base, mount = _http
    with mounted(mount, AuthorizationServer(issuer.provider)):
        token = issuer.user_token(keys.client)
        proof = make_proof(
            keys.client, htm="GET", htu=f"{ISSUER}/oauth/userinfo", iat=clock.now, ath=access_token_hash(token)
        )
        answer = send(f"{base}/oauth/userinfo", f"DPoP {token}", [proof])
    assert answer.status_code == 200 and answer.json()["sub"] == "alice"


# -- the provider's replay memory is its database: every backend ------------------------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "11.1")
def test_a_proof_is_spent_in_the_database(
    _http: tuple[str, Mount], provider: Proauth2, store: PeeweeDataStore, issuer: Issuer, clock: FakeClock, keys: Keys
) -> None:
    """Two middlewares (two workers) on one database: a proof spent at one is refused at the other."""
    base, mount = _http
    token = issuer.token(keys.client)
    proof = make_proof(keys.client, htm="GET", htu=base + PATH, iat=clock.now, ath=access_token_hash(token))
    spent = len(store.fetch_all("dpop_proofs"))
    with mounted(mount, BearerTokenMiddleware(echo_app, provider)):
        assert send(base + PATH, f"DPoP {token}", [proof]).status_code == 200
    assert len(store.fetch_all("dpop_proofs")) == spent + 1
    with mounted(mount, BearerTokenMiddleware(echo_app, Proauth2(store, provider.settings))):
        assert_refused(send(base + PATH, f"DPoP {token}", [proof]), "api", token, "invalid_dpop_proof", DPOP)


# -- a resource taking DPoP-bound tokens only (RFC 9449 section 5.2, RFC 9728 section 2) --------------------------


@pytest.mark.rfc(RFC, "7.1")
def test_a_resource_requiring_dpop_refuses_bearer_tokens_and_says_so(
    _http: tuple[str, Mount], provider: Proauth2, issuer: Issuer, clock: FakeClock, keys: Keys
) -> None:
    base, mount = _http
    metadata = f"{API}/.well-known/oauth-protected-resource"
    with mounted(mount, BearerTokenMiddleware(echo_app, provider, resource=API)):
        document = requests.get(f"{base}/.well-known/oauth-protected-resource", timeout=10)
        bearer = issuer.token(None)
        refused = send(base + PATH, f"Bearer {bearer}")
        bound = issuer.token(keys.client, resource=API)

        def proof(htu: str) -> str:
            return make_proof(keys.client, htm="GET", htu=htu, iat=clock.now, ath=access_token_hash(bound))

        by_identifier = send(base + PATH, f"DPoP {bound}", [proof(API + PATH)])  # the identifier's origin + path
        by_loopback = send(base + PATH, f"DPoP {bound}", [proof(base + PATH)])
    assert document.status_code == 200
    assert document.json()["resource"] == API
    assert document.json()["dpop_bound_access_tokens_required"] is True
    assert document.json()["dpop_signing_alg_values_supported"] == DPOP_ALGS.split()
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"] == (
        f'DPoP realm="api", resource_metadata="{metadata}", {ALGS}, error="invalid_token", '
        'error_description="this resource accepts DPoP-bound access tokens only (RFC 9449 section 7.1)"'
    )
    assert_token_not_in(refused, bearer)
    assert by_identifier.status_code == 200, by_identifier.text
    assert by_loopback.status_code == 200, by_loopback.text


# -- DPoP turned off at a resource ----------------------------------------------------------------------------------


@pytest.fixture
def no_dpop(_http: tuple[str, Mount], provider: Proauth2) -> Iterator[str]:
    """The WSGI middleware with ``dpop=False``; the protected URL."""
    base, mount = _http
    with mounted(mount, BearerTokenMiddleware(echo_app, provider, dpop=False)):
        yield base + PATH


@pytest.mark.rfc("6750", "3.1")
def test_without_dpop_challenges_are_bearer_only_and_bound_tokens_still_refused(
    no_dpop: str, issuer: Issuer, keys: Keys
) -> None:
    missing = send(no_dpop, None)
    assert (missing.status_code, missing.headers["WWW-Authenticate"]) == (401, 'Bearer realm="api"')
    token = issuer.token(keys.client)
    refused = send(no_dpop, f"Bearer {token}")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", '
        'error_description="the access token is DPoP-bound: present it with the DPoP scheme and a proof"'
    )


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize("bound", [False, True], ids=["any-credential", "a-bound-token-and-its-proof"])
def test_without_dpop_the_dpop_scheme_is_no_token(no_dpop: str, issuer: Issuer, keys: Keys, bound: bool) -> None:
    if bound:
        token = issuer.token(keys.client)
        proof = make_proof(keys.client, htm="GET", htu=no_dpop, iat=issuer.clock.now, ath=access_token_hash(token))
        answer = send(no_dpop, f"DPoP {token}", [proof])
    else:
        answer = send(no_dpop, "DPoP x")
    assert answer.status_code == 401, answer.text
    assert answer.json() == NO_TOKEN_BODY
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="api"'


# -- server nonces at the resource (RFC 9449 section 9) -------------------------------------------------------------


@pytest.fixture
def nonce_provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    return Proauth2(store, replace(settings, dpop_nonce=True, dpop_nonce_secret=NONCE_SECRET))


@pytest.mark.rfc(RFC, "9")
def test_a_resource_asks_for_its_nonce_then_accepts_it(
    _http: tuple[str, Mount], nonce_provider: Proauth2, clock: FakeClock, keys: Keys
) -> None:
    base, mount = _http
    token = Issuer(nonce_provider, clock).token(keys.client)

    def proof(nonce: str | None = None) -> str:
        return make_proof(
            keys.client, htm="GET", htu=base + PATH, iat=clock.now, ath=access_token_hash(token), nonce=nonce
        )

    with mounted(mount, BearerTokenMiddleware(echo_app, nonce_provider)):
        first = send(base + PATH, f"DPoP {token}", [proof()])
        header = assert_refused(first, "api", token, "use_dpop_nonce", DPOP)
        assert header.endswith('error_description="the DPoP proof must carry the server\'s nonce"')
        nonce = first.headers["DPoP-Nonce"]
        assert send(base + PATH, f"DPoP {token}", [proof(nonce)]).status_code == 200
        clock.advance(600)  # two windows on: that nonce is stale, and the refusal names a new one
        stale = send(base + PATH, f"DPoP {token}", [proof(nonce)])
        assert_refused(stale, "api", token, "use_dpop_nonce", DPOP)
        fresh = stale.headers["DPoP-Nonce"]
        assert fresh != nonce
        assert send(base + PATH, f"DPoP {token}", [proof(fresh)]).status_code == 200
