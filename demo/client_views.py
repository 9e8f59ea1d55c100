"""The demo's client side: a tiny OAuth client of the demo provider, over real HTTP.

It plays the part of a third-party web app: it starts the authorization code
flow with PKCE (RFC 7636), receives the callback, checks ``state`` and ``iss``
(RFC 9207), and that the flow was started in this very browser (a cookie,
RFC 6749 §10.12), exchanges the code at the token endpoint with its client
credentials (HTTP Basic, RFC 6749 §2.3.1), and calls ``/api/me`` with the
access token (RFC 6750 §2.1). It uses only the standard library, as any
client in any language could, and joserfc for DPoP.

Started with ``/client/start?dpop=1`` a flow's tokens are DPoP-bound (RFC
9449): the flow gets a key of its own (:class:`~proauth2_wsgi.dpop.DPoPKey`),
names it in the authorization request (``dpop_jkt``, §10), proves it at the
token endpoint (§5) and at every resource (§7), retrying once with the
server's nonce when asked for it (§8, §9).

Started with ``/client/start?par=1`` a flow's authorization request is
pushed (RFC 9126): its parameters go server to server to ``/oauth/par``,
with the client's credentials, and the browser carries only ``client_id``
and the ``request_uri`` it got back. With ``dpop=1`` too, the DPoP proof goes
with the push (RFC 9449 §10.1) instead of ``dpop_jkt``.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, Flask, Response, current_app, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue

from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi import Proauth2Error
from proauth2_wsgi.dpop import DPoPKey
from proauth2_wsgi.pkce import s256_challenge

from . import provider_views, relying_party

bp = Blueprint("client", __name__, url_prefix="/client")

#: the extension key of the demo client's settings
EXTENSION_KEY = "demo_client"
#: flows started but not yet come back, at most this many kept
MAX_PENDING = 256
#: seconds the client waits for the provider's token endpoint
HTTP_TIMEOUT = 10
#: the cookie binding a flow's ``state`` to the browser that started it (RFC 6749 §10.12)
STATE_COOKIE = "demo_client_state"
#: seconds a started flow may take to come back to the callback
STATE_COOKIE_MAX_AGE = 600
#: what the demo client asks for: to sign the user in, and their name and email
SCOPE = "openid profile email"
#: the name the demo client is registered under (one per database)
DEMO_CLIENT_NAME = "Demo client"


@dataclass(frozen=True)
class DemoClient:
    """The demo client's registration and where it talks to the provider."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    base_url: str
    issuer: str
    #: the secret was made at this start (registered or rotated), so it may be shown once
    new_secret: bool = False

    @property
    def logout_uri(self) -> str:
        """Where the provider sends the user after RP-Initiated Logout (registered)."""
        return f"{self.base_url}/client/"

    @property
    def api(self) -> str:
        """The API it calls: the resource it asks tokens for (RFC 8707)."""
        return f"{self.base_url}/api"


@dataclass(frozen=True)
class Flow:
    """A flow this client started: its ``state``, PKCE verifier and ``nonce``, and whether a browser owns it.

    ``dpop`` is the flow's own DPoP key when its tokens are to be bound to one (RFC 9449), and
    ``dpop_session`` that key with the server's nonces, from the push (if any) to the callback.
    ``pushed``: the authorization request went to the PAR endpoint (RFC 9126).
    """

    state: str
    verifier: str = field(repr=False)
    nonce: str
    bound: bool
    dpop: DPoPKey | None = field(default=None, repr=False)
    pushed: bool = False
    dpop_session: DPoPSession | None = field(default=None, repr=False, compare=False)


class PendingFlows:
    """The flows this client started and not yet seen come back, by ``state`` (bounded, thread-safe).

    A flow started by a browser (``bound``) must come back to that browser:
    the callback also checks the :data:`STATE_COOKIE` it was given. Only the
    URL ``python -m demo`` prints for its operator is unbound.
    """

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._flows: OrderedDict[str, Flow] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def start(self, bound: bool = False, dpop: bool = False, pushed: bool = False) -> Flow:
        """A new flow (fresh ``state``, verifier, ``nonce``, and DPoP key if ``dpop``), kept until :meth:`finish`."""
        key = DPoPKey() if dpop else None
        flow = Flow(
            secrets.token_urlsafe(16),
            secrets.token_urlsafe(48),
            secrets.token_urlsafe(16),
            bound,
            key,
            pushed,
            None if key is None else DPoPSession(key),
        )
        with self._lock:
            self._flows[flow.state] = flow
            while len(self._flows) > self._limit:
                self._flows.popitem(last=False)
        return flow

    def finish(self, state: str) -> Flow | None:
        """The flow ``state`` started, once; None for an unknown state."""
        with self._lock:
            for known in list(self._flows):
                if hmac.compare_digest(known.encode(), state.encode()):
                    return self._flows.pop(known)
        return None


PENDING = PendingFlows()

#: what a refused code exchange means, in words (RFC 6749 §5.2 error codes)
EXCHANGE_FAILURES = {
    "invalid_grant": (
        "The provider refused the authorization code: it is unknown, expired (a code lives 60 seconds) "
        "or was used already (a code works once). Sign in again to get a new one."
    ),
    "invalid_client": "The provider did not accept this client's own credentials (its id and secret).",
    "invalid_request": "The token request was malformed: this client sent something the provider does not accept.",
    "temporarily_unavailable": "The provider's database is unavailable for a moment: try again shortly.",
}
#: what a refused authorization request means, in words (RFC 6749 §4.1.2.1 error codes)
AUTHORIZATION_FAILURES = {
    "access_denied": "You chose Deny on the consent page: the client got no access.",
    "invalid_scope": "The client asked for a scope it may not have.",
    "temporarily_unavailable": "The provider's database is unavailable for a moment: try again shortly.",
}
#: what a refused push means (RFC 9126 §2.3: the token endpoint's errors, and the authorization request's)
PUSH_FAILURE = (
    "The provider refused the pushed authorization request (RFC 9126): nothing was sent to your browser. "
    "A bad parameter or redirect_uri is the client's error, reported to the client alone."
)


class PushRefused(Exception):
    """The PAR endpoint did not answer 201 with a ``request_uri`` (RFC 9126 §2.2, §2.3)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


def ensure_demo_client(app: Flask, provider: Provider) -> DemoClient:
    """The demo client of this database: found (or registered once), its secret in the instance folder.

    The credentials file is the *client's* own secret store (a real client
    keeps its secret too); the provider only ever stores the secret's hash.
    A database that already has the demo client keeps it: when the file holds
    no working secret for it (another instance folder, another database
    before), its secret is rotated, never a second client registered.
    Returns the client, and sets ``new_secret`` when the secret was made now.
    """
    base_url = str(app.config["PROAUTH2_ISSUER"])
    redirect_uri = f"{base_url}/client/callback"
    path = Path(app.instance_path) / "demo_client.json"
    saved: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    known = [c for c in provider.list_clients() if c.name == DEMO_CLIENT_NAME and redirect_uri in c.redirect_uris]
    client = known[0] if known else None
    new_secret = False
    registration = {"scopes": SCOPE, "metadata": {"post_logout_redirect_uris": [f"{base_url}/client/"]}}
    if client is None:
        client_id, client_secret = provider.register_app(DEMO_CLIENT_NAME, [redirect_uri], **registration)  # type: ignore[arg-type]
        saved, new_secret = {"client_id": client_id, "client_secret": client_secret}, True
    else:
        if client.scopes != frozenset(SCOPE.split()) or client.metadata != registration["metadata"]:
            provider.update_client(client.client_id, **registration)  # a database from an older demo
        if saved.get("client_id") != client.client_id or not _authenticates(provider, saved):
            saved, new_secret = {"client_id": client.client_id, **_rotated(provider, client.client_id)}, True
    if new_secret:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved))
        path.chmod(0o600)
    return DemoClient(saved["client_id"], saved["client_secret"], redirect_uri, base_url, base_url, new_secret)


def _authenticates(provider: Provider, saved: dict[str, Any]) -> bool:
    try:
        provider.authenticate_client(saved.get("client_id"), saved.get("client_secret"))
    except Proauth2Error:
        return False
    return True


def _rotated(provider: Provider, client_id: str) -> dict[str, Any]:
    return {"client_secret": provider.rotate_client_secret(client_id).client_secret}


_DEMO_CLIENT_LOCK = threading.Lock()


def demo_client() -> DemoClient:
    """The demo client, made ready on first use (a request, or ``python -m demo`` at start-up).

    ``create_app`` itself never touches the database: ``flask --app demo
    proauth2 list-clients`` registers nothing.
    """
    app = current_app
    client = app.extensions.get(EXTENSION_KEY)
    if client is None:
        with _DEMO_CLIENT_LOCK:
            client = app.extensions.get(EXTENSION_KEY)
            if client is None:
                client = ensure_demo_client(app, provider_views.oauth.provider)  # type: ignore[arg-type]
                app.extensions[EXTENSION_KEY] = client
    return client  # type: ignore[no-any-return]


def start_flow(
    client: DemoClient,
    scope: str = SCOPE,
    *,
    bound: bool = False,
    dpop: bool = False,
    par: bool = False,
    **extra: str,
) -> tuple[str, str]:
    """A fresh flow: its authorization URL (``state``, ``nonce``, PKCE S256, ``resource``) and its ``state``.

    With ``dpop`` the flow has a key of its own, named by ``dpop_jkt`` (RFC 9449 §10): the code is then
    bound to it, and only a proof by that key gets it exchanged. With ``par`` the parameters are pushed
    first (:func:`push_authorization_request`; a DPoP proof goes with them instead of ``dpop_jkt``) and
    the URL carries only ``client_id`` and ``request_uri``; :class:`PushRefused` when the push failed.
    """
    flow = PENDING.start(bound, dpop, pushed=par)
    if flow.dpop is not None and not par:
        extra = {**extra, "dpop_jkt": flow.dpop.thumbprint}
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": scope,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": s256_challenge(flow.verifier),
        "code_challenge_method": "S256",
        "resource": client.api,  # RFC 8707: a token for the demo's API only
        **extra,
    }
    if par:
        try:
            request_uri = push_authorization_request(client, params, flow.dpop_session)
        except PushRefused:
            PENDING.finish(flow.state)  # it never started
            raise
        params = {"client_id": client.client_id, "request_uri": request_uri}
    return f"{client.base_url}/authorize?{urlencode(params)}", flow.state


def authorization_url(client: DemoClient, scope: str = SCOPE) -> str:
    """The authorization URL of a fresh flow not bound to any browser (the one ``python -m demo`` prints)."""
    return start_flow(client, scope)[0]


@dataclass
class DPoPSession:
    """A flow's DPoP key and the servers' nonces, while its callback calls them (RFC 9449 §8, §9).

    ``nonces`` holds each origin's latest ``DPoP-Nonce``, put in the next
    proof to it; ``retried`` the URLs whose first proof was refused for want
    of one (``use_dpop_nonce``) and sent again.
    """

    key: DPoPKey
    nonces: dict[str, str] = field(default_factory=dict)
    retried: list[str] = field(default_factory=list)


def _call(request_: urllib.request.Request) -> tuple[int, dict[str, Any], Message]:
    try:
        with urllib.request.urlopen(request_, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - our own http URL
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def _asks_for_nonce(status: int, body: dict[str, Any], headers: Message) -> bool:
    """True for a refusal saying the proof must carry the server's nonce (RFC 9449 §8 at the token endpoint,
    §9 at a resource: ``error="use_dpop_nonce"`` in its ``DPoP`` challenge)."""
    if not headers.get("DPoP-Nonce"):
        return False
    if status == 400:
        return body.get("error") == "use_dpop_nonce"
    return status == 401 and 'error="use_dpop_nonce"' in (headers.get("WWW-Authenticate") or "")


def _send(
    url: str,
    headers: dict[str, str],
    *,
    method: str = "GET",
    data: bytes | None = None,
    dpop: DPoPSession | None = None,
    access_token: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Send a request; with ``dpop``, with a proof of its key (and ``access_token``'s hash, RFC 9449 §7.1).

    A server asking for its nonce (§8, §9) gets the request once more, with
    it; the latest nonce an origin sent goes into every later proof to it.
    """
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"

    def attempt() -> tuple[int, dict[str, Any], Message]:
        sent = dict(headers)
        if dpop is not None:
            sent["DPoP"] = dpop.key.proof(method, url, access_token, dpop.nonces.get(origin))
        answer = _call(urllib.request.Request(url, data=data, headers=sent, method=method))  # noqa: S310 - our own URL
        if dpop is not None and answer[2].get("DPoP-Nonce"):
            dpop.nonces[origin] = str(answer[2]["DPoP-Nonce"])
        return answer

    status, body, answer_headers = attempt()
    if dpop is not None and _asks_for_nonce(status, body, answer_headers):
        dpop.retried.append(url)
        status, body, _ = attempt()
    return status, body


def _basic_auth(client: DemoClient) -> dict[str, str]:
    """The client's credentials as HTTP Basic (RFC 6749 §2.3.1: each form-encoded first), with a form body."""
    basic = base64.b64encode(f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}".encode())
    return {"Authorization": f"Basic {basic.decode()}", "Content-Type": "application/x-www-form-urlencoded"}


def push_authorization_request(client: DemoClient, params: dict[str, str], dpop: DPoPSession | None) -> str:
    """POST the authorization request's parameters to the PAR endpoint (RFC 9126 §2.1); its ``request_uri``.

    Authenticated as at the token endpoint (HTTP Basic), ``client_id`` in the body too (§2.1); with ``dpop``,
    with a proof of its key, which binds the code to it (RFC 9449 §10.1). Raises :class:`PushRefused`.
    """
    status, body = _send(
        f"{client.base_url}{current_app.config['PROAUTH2_URL_PREFIX']}/par",
        _basic_auth(client),
        method="POST",
        data=urlencode(params).encode(),
        dpop=dpop,
    )
    request_uri = body.get("request_uri")
    if status != 201 or not isinstance(request_uri, str):
        raise PushRefused(status, body)
    return request_uri


def exchange_code(
    client: DemoClient, code: str, verifier: str, dpop: DPoPSession | None = None
) -> tuple[int, dict[str, Any]]:
    """POST the code and verifier to the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5), for the API (RFC 8707).

    With ``dpop``, with a proof of its key: the access token is bound to it (RFC 9449 §5).
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "resource": client.api,
    }
    body = urlencode({**form, "code_verifier": verifier}).encode()
    return _send(
        f"{client.base_url}{current_app.config['PROAUTH2_URL_PREFIX']}/token",
        _basic_auth(client),
        method="POST",
        data=body,
        dpop=dpop,
    )


def call_api(
    client: DemoClient, access_token: str, url: str | None = None, dpop: DPoPSession | None = None
) -> tuple[int, dict[str, Any]]:
    """GET ``/api/me`` (or ``url``: UserInfo) with the bearer token (RFC 6750 §2.1).

    With ``dpop``: ``Authorization: DPoP`` and a proof with the token's hash (RFC 9449 §7.1).
    """
    scheme = "Bearer" if dpop is None else "DPoP"
    return _send(
        url or f"{client.base_url}/api/me",
        {"Authorization": f"{scheme} {access_token}"},
        dpop=dpop,
        access_token=access_token if dpop is not None else None,
    )


_RELYING_PARTIES: dict[str, relying_party.Provider] = {}


def provider_for(client: DemoClient) -> relying_party.Provider:
    """The provider as this client discovers it (one per issuer, cached)."""
    return _RELYING_PARTIES.setdefault(client.issuer, relying_party.Provider(client.issuer))


@bp.route("/")
def index() -> str:
    return render_template("client.html", client=demo_client(), result=None)


@bp.route("/start")
def start() -> ResponseReturnValue:
    """Start a flow bound to this browser by a cookie holding its ``state`` (RFC 6749 §10.12).

    ``?prompt=`` and ``?max_age=`` pass through, to try what OIDC says of them; ``?dpop=1`` asks for
    DPoP-bound tokens (RFC 9449); ``?par=1`` pushes the request first (RFC 9126).
    """
    extra = {name: request.args[name] for name in ("prompt", "max_age") if request.args.get(name)}
    dpop, par = request.args.get("dpop") == "1", request.args.get("par") == "1"
    client = demo_client()
    try:
        url, state = start_flow(client, request.args.get("scope", SCOPE), bound=True, dpop=dpop, par=par, **extra)
    except PushRefused as refused:
        result = {
            "error": str(refused.body.get("error") or f"HTTP {refused.status}"),
            "error_description": refused.body.get("error_description"),
            "explanation": PUSH_FAILURE,
        }
        return render_template("client.html", client=client, result=result), 502
    response = redirect(url, 303)
    response.set_cookie(
        STATE_COOKIE, state, max_age=STATE_COOKIE_MAX_AGE, path=bp.url_prefix, httponly=True, samesite="Lax"
    )
    return response


def _started_here(state: str) -> bool:
    """True when this browser started the flow ``state`` (its :data:`STATE_COOKIE` holds it)."""
    cookie = request.cookies.get(STATE_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), state.encode())


@bp.route("/callback")
def callback() -> Response:
    """RFC 6749 §4.1.2: the provider sends the user back here with a code or an error.

    The ``state`` must be one this client issued and not used yet and, for a
    flow started at ``/client/start``, issued to this browser: otherwise an
    attacker could send a victim to the callback with the attacker's own
    code (RFC 6749 §10.12, RFC 9700 §4.7).
    """
    response = make_response(_callback())
    response.delete_cookie(STATE_COOKIE, path=bp.url_prefix, httponly=True, samesite="Lax")
    return response


def _callback() -> tuple[str, int] | str:
    client = demo_client()
    state = request.args.get("state", "")
    flow = PENDING.finish(state)
    if flow is None:
        return render_template("client.html", client=client, result={"error": "unknown or reused state"}), 400
    if flow.bound and not _started_here(state):
        result: dict[str, Any] = {"error": "this flow was not started in this browser (RFC 6749 section 10.12)"}
        return render_template("client.html", client=client, result=result), 400
    if request.args.get("iss") != client.issuer:
        return render_template("client.html", client=client, result={"error": "wrong or missing iss (RFC 9207)"}), 400
    if "error" in request.args:
        error = request.args["error"]
        result = {
            "error": error,
            "error_description": request.args.get("error_description"),
            "explanation": AUTHORIZATION_FAILURES.get(error, "The provider refused the authorization request."),
        }
        return render_template("client.html", client=client, result=result)
    dpop = flow.dpop_session
    status, tokens = exchange_code(client, request.args.get("code", ""), flow.verifier, dpop)
    if status != 200:
        error = str(tokens.get("error") or f"HTTP {status}")
        result = {
            "error": error,
            "error_description": tokens.get("error_description"),
            "explanation": EXCHANGE_FAILURES.get(error, "The provider's token endpoint refused to exchange the code."),
        }
        return render_template("client.html", client=client, result=result), 502
    result = {"token": _shown(tokens), "pkce": True, "pushed": flow.pushed}
    if dpop is not None:
        if str(tokens.get("token_type", "")).lower() != "dpop":  # RFC 9449 §5: it was asked for a bound token
            result.update(error="not a DPoP-bound token", error_description=f"token_type {tokens.get('token_type')}")
            return render_template("client.html", client=client, result=result), 502
        result["dpop"] = {"jkt": dpop.key.thumbprint}
    if "id_token" in tokens:  # a sign-in: believe it only once verified (OIDC Core §3.1.3.7)
        provider = provider_for(client)
        try:
            result["claims"] = relying_party.verify_id_token(
                provider, client.client_id, tokens["id_token"], flow.nonce, tokens["access_token"]
            )
        except relying_party.IdTokenRefused as refusal:
            result.update(error="invalid ID token", error_description=str(refusal))
            return render_template("client.html", client=client, result=result), 502
        configuration = provider.configuration()
        result["userinfo_status"], result["userinfo"] = call_api(
            client, tokens["access_token"], configuration["userinfo_endpoint"], dpop
        )
        logout = {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": client.logout_uri,
            "state": flow.state,
        }
        result["logout_url"] = f"{configuration['end_session_endpoint']}?{urlencode(logout)}"
    result["api_status"], result["me"] = call_api(client, tokens["access_token"], dpop=dpop)
    if dpop is not None:
        result["dpop"]["nonce_retried"] = [urlsplit(url).path for url in dpop.retried]
    return render_template("client.html", client=client, result=result)


def _shown(tokens: dict[str, Any]) -> dict[str, Any]:
    """The token response without the tokens themselves (the ID token is shown decoded instead)."""
    return {key: value for key, value in tokens.items() if key not in ("access_token", "refresh_token", "id_token")}
