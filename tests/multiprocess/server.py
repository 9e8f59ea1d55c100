"""One "machine" of the multi-process tests: a whole proauth2 deployment in one OS process.

``python -m tests.multiprocess.server --port-file PATH --clock-file PATH --name A`` serves, on a free
loopback port (written to ``--port-file`` once it listens), werkzeug's threaded server over:

- the provider's endpoints (:class:`~proauth2_wsgi.endpoints.AuthorizationServer`: token, revocation,
  introspection, PAR, device authorization, UserInfo, JWKS, both metadata documents);
- what a host app adds around them (the library renders no page): ``GET /authorize`` (the signed-in user
  is the ``X-Test-User`` header, the consent page's answer ``X-Test-Decision: approve|deny``; without one
  it says the step it would show, as JSON), ``POST /device`` (the verification page: ``user_code`` and
  ``decision`` in the form), ``POST /logout`` (RP-Initiated Logout: what it verified, as JSON) and the
  operator's ``POST /ops/rotate-keys`` and ``GET /ops/consents?user=U`` (loopback test servers only: no
  authentication);
- a protected resource: ``/api/...`` behind :class:`~proauth2_wsgi.BearerTokenMiddleware` for the
  resource :data:`RESOURCE` (DPoP proofs name its public URL, whichever process they reach),
  ``/nonced/...`` the same requiring the server's DPoP nonce (RFC 9449 §9: a
  :class:`~proauth2_wsgi.dpop.DPoPChecker` with the provider's database and nonce secret), and
  ``/cached/...`` behind one with ``cache_ttl`` :data:`CACHE_TTL` (the documented revocation lag).

Every setting comes from the ``PROAUTH2_*`` environment (:meth:`Settings.from_mapping`) and the database
from ``PROAUTH2_DATABASE_URL``, as an operator gives every worker on every machine the same environment.
The one test-only knob is the clock: the seconds in ``--clock-file`` are added to :func:`time.time`
(that machine's clock skew, or time passing without anyone sleeping), read again at every call so the
test moves it while the server runs. Every response names the process in ``X-Node``. Request lines are
not logged (a query may carry an ``id_token_hint``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.serving import make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from proauth2_wsgi import BearerTokenMiddleware, Proauth2, Proauth2Error, Settings
from proauth2_wsgi.device import InvalidUserCode
from proauth2_wsgi.dpop import DPoPChecker, DPoPNonces, ProofVerifier
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.endpoints.authorization import authorization_redirect, denial_redirect, error_page, error_redirect
from proauth2_wsgi.middleware import CLIENT_ID, SCOPES, USER_ID
from proauth2_wsgi.oidc import Login, Step
from proauth2_wsgi.stores import PeeweeDataStore

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: the protected resource both processes serve (RFC 8707 identifier; its tokens are JWTs, RFC 9068)
RESOURCE = "https://api.example.test/api"
#: seconds the ``/cached`` resource trusts a validated token (README: "Token cache and revocation lag")
CACHE_TTL = 5
#: the header naming the process that answered
NODE_HEADER = "X-Node"
#: the header carrying the signed-in user, as a host app's session would
USER_HEADER = "X-Test-User"
#: the header carrying the consent page's answer
DECISION_HEADER = "X-Test-Decision"


class FileClock:
    """:func:`time.time` plus the seconds written in a file (none, or an unreadable file: no offset)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> float:
        try:
            offset = float(self.path.read_text() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return time.time() + offset


def json_answer(document: Any, status: int = 200) -> Response:
    """A JSON response that is never cached."""
    return Response(
        json.dumps(document), status=status, mimetype="application/json", headers={"Cache-Control": "no-store"}
    )


class HostApp:
    """The host app's pages and operator actions (what proauth2 leaves to the app), over one provider."""

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider
        self.routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/authorize"): self.authorize,
            ("POST", "/device"): self.device,
            ("POST", "/logout"): self.logout,
            ("POST", "/ops/rotate-keys"): self.rotate_keys,
            ("GET", "/ops/consents"): self.consents,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        page = self.routes.get((request.method, request.path))
        response = json_answer({"error": "not_found"}, 404) if page is None else page(request)
        return response(environ, start_response)

    def _login(self, request: Request) -> Login | None:
        user = request.headers.get(USER_HEADER)
        return None if user is None else Login(user, self.provider.now())

    def authorize(self, request: Request) -> Response:
        """RFC 6749 §4.1.1, OIDC Core §3.1.2: validate, then answer as the signed-in user decided."""
        provider, login = self.provider, self._login(request)
        decision = request.headers.get(DECISION_HEADER)
        try:
            auth = provider.parse_authorization_request(request.args)
            step = provider.next_step(auth, login)
            if decision == "deny":
                return redirect(denial_redirect(provider, auth), 303)
            if login is not None and (decision == "approve" or step is Step.ANSWER):
                return redirect(authorization_redirect(provider, auth, login), 303)
        except Proauth2Error as error:
            if error.redirect_uri is None:
                return error_page(error)
            return redirect(error_redirect(provider, error), 303)
        return json_answer({"step": step.value, "client_id": auth.client.client_id, "scope": sorted(auth.scopes)})

    def device(self, request: Request) -> Response:
        """RFC 8628 §3.3: the user approves or denies the code a device shows."""
        login, code = self._login(request), request.form.get("user_code", "")
        decision = request.form.get("decision")
        try:
            if login is not None and decision == "allow":
                shown = self.provider.approve_device(code, login, session=login.user_id)
            elif decision == "deny":
                shown = self.provider.deny_device(code, session=login.user_id if login else None)
            else:
                shown = self.provider.device_request(code, session=login.user_id if login else None)
        except InvalidUserCode as refused:
            return json_answer({"error": refused.error, "error_description": refused.error_description}, 400)
        return json_answer({"client_id": shown.client.client_id, "scopes": sorted(shown.scopes)})

    def logout(self, request: Request) -> Response:
        """OpenID Connect RP-Initiated Logout 1.0 §2: what the request's ``id_token_hint`` proved."""
        try:
            end = self.provider.validate_logout_request(request.form)
        except Proauth2Error as error:
            return error_page(error)
        return json_answer({"verified": end.verified, "subject": end.subject})

    def rotate_keys(self, request: Request) -> Response:
        """The operator rotates the signing keys through this process (``provider.rotate_keys()``)."""
        return json_answer(
            [{"kid": key.kid, "alg": key.alg, "state": key.state} for key in self.provider.rotate_keys()]
        )

    def consents(self, request: Request) -> Response:
        """A user's remembered consents, as this process reads them."""
        consents = self.provider.consents(request.args.get("user", ""))
        return json_answer({client_id: sorted(scopes) for client_id, scopes in consents.items()})


def whoami(name: str) -> WSGIApplication:
    """The protected resource: who the token is for, and which process said so."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = json.dumps(
            {
                "user_id": environ.get(USER_ID),
                "client_id": environ.get(CLIENT_ID),
                "scopes": sorted(environ.get(SCOPES, ())),
                "node": name,
            }
        ).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def named(app: WSGIApplication, name: str) -> WSGIApplication:
    """``app`` with :data:`NODE_HEADER` on every response."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None) -> Any:
            return start_response(status, [*headers, (NODE_HEADER, name)], exc_info)

        return app(environ, start)  # type: ignore[arg-type]

    return wrapped


def build(name: str, clock: Callable[[], float], environ: dict[str, str]) -> WSGIApplication:
    """The whole deployment of one process: settings from ``environ``'s ``PROAUTH2_*``, time from ``clock``."""
    settings = dataclasses.replace(Settings.from_mapping(environ), clock=clock)
    provider = Proauth2(PeeweeDataStore(environ["PROAUTH2_DATABASE_URL"]), settings)
    resource = whoami(name)
    secret = settings.nonce_secret()
    assert secret is not None, "PROAUTH2_DPOP_NONCE_SECRET (or PROAUTH2_KEY_SECRET) is needed"
    nonced = DPoPChecker(
        ProofVerifier(settings.dpop_signing_algorithms, clock=clock),
        provider.records,  # spent proofs: the shared database, as the provider's own checker
        DPoPNonces(secret, clock=clock),
    )
    resources = {
        "api": BearerTokenMiddleware(resource, provider, resource=RESOURCE),
        "nonced": BearerTokenMiddleware(resource, provider, resource=RESOURCE, dpop=nonced),
        "cached": BearerTokenMiddleware(resource, provider, cache_ttl=CACHE_TTL),
    }
    host = HostApp(provider)

    def dispatch(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        first = environ.get("PATH_INFO", "").split("/")[1:2]
        return resources.get(first[0] if first else "", host)(environ, start_response)

    server = AuthorizationServer(
        provider, authorization_endpoint="/authorize", end_session_endpoint="/logout", app=dispatch
    )
    return named(server, name)


def main() -> None:
    """Serve :func:`build` on a free loopback port until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--clock-file", type=Path, required=True)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request lines
    server = make_server("127.0.0.1", 0, build(args.name, FileClock(args.clock_file), dict(os.environ)), threaded=True)
    written = args.port_file.with_suffix(".tmp")
    written.write_text(str(server.server_port))
    written.replace(args.port_file)  # whole, or not at all
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
