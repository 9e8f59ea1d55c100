"""What a client, a user and a resource server do over HTTP, against whichever node they are sent to.

Clients are registered by the operator's provider (``admin``) on the shared database; everything else goes
through a :class:`~tests.multiprocess.cluster.Node`. Nothing here prints or logs a token.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.dpop import DPoPKey
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.testing.client_assertions import AssertionKey
from tests.multiprocess.cluster import ISSUER, TOKEN_URL, Node
from tests.multiprocess.server import DECISION_HEADER, RESOURCE, USER_HEADER

REDIRECT_URI = "http://127.0.0.1:9/callback"
#: requests racing for one code, refresh token, request_uri or DPoP proof, half to each process
RACERS = 8
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

T = TypeVar("T")


def web_client(admin: Proauth2, **options: Any) -> ClientCredentials:
    """A confidential web app (``client_secret_basic``): the code and refresh grants, every scope."""
    options.setdefault("scopes", "openid profile email offline_access")
    return admin.register_app("web app", [REDIRECT_URI], **options)


def resource_server(admin: Proauth2) -> ClientCredentials:
    """A confidential client a resource server introspects with (RFC 7662 §2.1)."""
    return admin.register_app("resource server", grant_types=["client_credentials"])


def new_user() -> str:
    """A user id no other test uses."""
    return f"user-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Authorized:
    """A code the authorization endpoint redirected with, and the PKCE verifier that redeems it."""

    code: str
    verifier: str
    state: str


def redirect_query(response: requests.Response) -> dict[str, str]:
    """The parameters of the 303 redirect back to the client (RFC 6749 §4.1.2)."""
    assert response.status_code == 303, (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def authorize(
    node: Node, client: ClientCredentials, user: str, *, decision: str | None = "approve", **params: str
) -> Authorized:
    """The user signs in at ``node``'s authorization endpoint and approves: the code (RFC 6749 §4.1, RFC 7636)."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(8)
    query = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "profile",
        "state": state,
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        **params,
    }
    answer = redirect_query(node.get("/authorize", params=query, headers=login(user, decision)))
    assert answer["state"] == state and answer["iss"] == ISSUER, answer  # RFC 9207
    return Authorized(answer["code"], verifier, state)


def pushed_request(
    node: Node, client: ClientCredentials, headers: dict[str, str] | None = None, **params: str
) -> tuple[str, str, str]:
    """An authorization request pushed at ``node`` (RFC 9126 §2): its ``request_uri``, PKCE verifier and state."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(8)
    form = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "profile",
        "state": state,
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        **params,
    }
    response = node.post("/oauth/par", data=form, auth=(client.client_id, client.client_secret), headers=headers)
    assert response.status_code == 201, (response.status_code, response.text[:300])
    return response.json()["request_uri"], verifier, state


def login(user: str | None, decision: str | None = None) -> dict[str, str]:
    """The headers of a request by a signed-in ``user`` (and the consent page's answer)."""
    headers = {} if user is None else {USER_HEADER: user}
    if decision is not None:
        headers[DECISION_HEADER] = decision
    return headers


def token(node: Node, client: ClientCredentials, form: dict[str, str], **headers: str) -> requests.Response:
    """A token request (RFC 6749 §3.2) at ``node``, the client authenticated with ``client_secret_basic``."""
    auth = (client.client_id, client.client_secret) if client.client_secret else None
    if auth is None:
        form = {**form, "client_id": client.client_id}  # a public client names itself
    return node.post("/oauth/token", data=form, auth=auth, headers=headers)


def redeem(node: Node, client: ClientCredentials, authorized: Authorized, **headers: str) -> requests.Response:
    """The code exchanged at ``node`` (RFC 6749 §4.1.3)."""
    form = {
        "grant_type": "authorization_code",
        "code": authorized.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": authorized.verifier,
    }
    return token(node, client, form, **headers)


def refresh(node: Node, client: ClientCredentials, refresh_token: str) -> requests.Response:
    """A refresh request (RFC 6749 §6) at ``node``."""
    return token(node, client, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def issued(response: requests.Response) -> dict[str, Any]:
    """The token response of a successful token request (RFC 6749 §5.1)."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["Cache-Control"] == "no-store"
    return dict(response.json())


def refused(response: requests.Response, error: str, status: int = 400) -> dict[str, Any]:
    """The error response of a refused request (RFC 6749 §5.2), checked."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = dict(response.json())
    assert body["error"] == error, body
    return body


def introspect(node: Node, client: ClientCredentials, value: str) -> dict[str, Any]:
    """RFC 7662 §2: what ``node`` says of a token, asked by a resource server."""
    response = node.post("/oauth/introspect", data={"token": value}, auth=(client.client_id, client.client_secret))
    assert response.status_code == 200, response.text[:300]
    return dict(response.json())


def revoke(node: Node, client: ClientCredentials, value: str) -> None:
    """RFC 7009 §2: the client revokes a token at ``node`` (200 whatever it was)."""
    auth = (client.client_id, client.client_secret) if client.client_secret else None
    form = {"token": value} if auth else {"token": value, "client_id": client.client_id}
    response = node.post("/oauth/revoke", data=form, auth=auth)
    assert response.status_code == 200, response.text[:300]


def call_api(node: Node, access_token: str, path: str = "/api/me", **headers: str) -> requests.Response:
    """A bearer request (RFC 6750 §2.1) to ``node``'s protected resource."""
    return node.get(path, headers={"Authorization": f"Bearer {access_token}", **headers})


def race(nodes: Sequence[Node], send: Callable[[Node], T]) -> list[T]:
    """:data:`RACERS` requests sent at once, ``send(node)`` spread evenly over ``nodes``: their results."""
    return at_once([partial(send, node) for node in list(nodes) * (RACERS // len(nodes))])


def at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Every call of ``calls`` started together, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def dpop_client(admin: Proauth2, **metadata: Any) -> ClientCredentials:
    """A confidential client_credentials client (with extra registration ``metadata``)."""
    return admin.register_app("dpop service", grant_types=["client_credentials"], metadata=metadata or None)


def token_request(node: Node, client: ClientCredentials, proof: str) -> requests.Response:
    """A client_credentials token request at ``node`` carrying the DPoP ``proof``."""
    return token(node, client, {"grant_type": "client_credentials"}, DPoP=proof)


def nonce_from(node: Node, client: ClientCredentials, key: DPoPKey) -> str:
    """The nonce ``node`` asks for when a proof carries none (RFC 9449 §8: 400 ``use_dpop_nonce``)."""
    answer = token_request(node, client, key.proof("POST", TOKEN_URL))
    refused(answer, "use_dpop_nonce")
    return answer.headers["DPoP-Nonce"]


def device_client(admin: Proauth2) -> ClientCredentials:
    """A public device client (a TV) that may refresh."""
    return admin.register_app("living-room tv", grant_types=[DEVICE_GRANT, "refresh_token"], auth_method="none")


def device_authorization(node: Node, client: ClientCredentials) -> dict[str, Any]:
    """RFC 8628 §3.1 at ``node``: the codes and the interval."""
    response = node.post("/oauth/device_authorization", data={"client_id": client.client_id, "scope": "profile"})
    assert response.status_code == 200, response.text[:300]
    return dict(response.json())


def poll_form(codes: dict[str, Any]) -> dict[str, str]:
    """The token request of a device polling with its device code (RFC 8628 §3.4)."""
    return {"grant_type": DEVICE_GRANT, "device_code": codes["device_code"]}


def poll(node: Node, client: ClientCredentials, codes: dict[str, Any]) -> requests.Response:
    """RFC 8628 §3.4: the device asks ``node`` for its tokens."""
    return token(node, client, poll_form(codes))


def decide(node: Node, user: str | None, user_code: str, decision: str | None) -> requests.Response:
    """The user's verification page at ``node`` (RFC 8628 §3.3): shown, allowed or denied."""
    form = {"user_code": user_code} if decision is None else {"user_code": user_code, "decision": decision}
    return node.post("/device", data=form, headers=login(user))


def kid_of(jwt: str) -> str:
    """The ``kid`` of a compact JWS's protected header."""
    header = jwt.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def published(node: Node) -> set[str]:
    """The kids of ``node``'s JWK set (RFC 7517 §5), as a client fetching it sees them."""
    response = node.get("/oauth/jwks")
    assert response.status_code == 200
    return {key["kid"] for key in response.json()["keys"]}


def sign_in(node: Node, client: ClientCredentials, user: str) -> dict[str, Any]:
    """An OpenID sign-in at ``node`` with a JWT access token for :data:`RESOURCE`: the token response."""
    return issued(redeem(node, client, authorize(node, client, user, scope="openid profile", resource=RESOURCE)))


def assertion_client(admin: Proauth2) -> tuple[ClientCredentials, AssertionKey]:
    """A ``private_key_jwt`` client (RFC 7523 §2.2) with its public key registered inline, and its key."""
    key = AssertionKey("ES256")
    client = admin.register_app(
        "assertion service",
        grant_types=["client_credentials"],
        auth_method="private_key_jwt",
        metadata={"jwks": key.jwks},
    )
    return client, key
