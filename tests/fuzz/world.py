"""The fuzzed server, built once per module: a provider with every feature on, its clients, its tables' snapshot.

:class:`World` holds the provider (OpenID, the device flow, DPoP, a JWT
resource, registration, PAR), one client of every authentication method, the
whole WSGI app (``AuthorizationServer`` plus the host app's authorization and
logout views and a ``BearerTokenMiddleware``-protected API), and the
artifacts a hostile request may aim at — a fresh code, refresh token, device
code, access tokens — minted lazily and again once a request used them.

:meth:`World.snapshot` reads every proauth2 table through its own SQL
connection, so "nothing changed" is checked under the store, not through it.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.utils import redirect
from werkzeug.wrappers import Request

from proauth2_wsgi import BearerTokenMiddleware, ClientCredentials, Proauth2, Proauth2Error, Settings
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.endpoints.authorization import error_page
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.protected_resource import ProtectedResource
from proauth2_wsgi.stores import SCHEMA, PeeweeDataStore
from proauth2_wsgi.stores.peewee_models import table_name
from proauth2_wsgi.testing.client_assertions import AssertionKey
from tests.conftest import FakeClock
from tests.databases import connect
from tests.endpoints.helpers import AuthorizeView
from tests.fuzz.counting import answered, tried
from tests.fuzz.strategies import Hostile

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ISSUER = "https://auth.example.com"
REDIRECT = "https://client.example.com/cb"
LOOPBACK = "http://127.0.0.1/callback"
LOGOUT_REDIRECT = "https://rp.example.com/signed-out"
API = "https://api.example.com"
DEVICE_VERIFICATION = "https://auth.example.com/device"
KEY_SECRET = "fuzz-tests-key-secret-" + "k" * 32
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = {"profile": "Read your profile", "email": "Read your email", "admin": "Administer"}
#: the tables only ever added to by a refused request: one-use proofs and assertions are spent when checked
REPLAY_CACHES = ("dpop_proofs", "client_assertions")
#: rows of the grant tables kept before :meth:`World.prune` empties them
PRUNE_AT = 150


def world_settings(clock: FakeClock, **changes: Any) -> Settings:
    """Every feature on: OpenID, the device flow, a JWT resource, DPoP; the test clock."""
    options: dict[str, Any] = {
        "issuer": ISSUER,
        "scopes": SCOPES,
        "default_scope": "profile",
        "openid": True,
        "key_secret": KEY_SECRET,
        "device_verification_uri": DEVICE_VERIFICATION,
        "resources": {API: {"scopes": "profile email", "token_format": "jwt"}},
        "clock": clock,
    }
    return Settings(**{**options, **changes})


class LogoutView:
    """A host app's end_session endpoint (OIDC RP-Initiated Logout §2): validate, then redirect or show the error."""

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            end = self.provider.validate_logout_request(request.args)
        except Proauth2Error as error:
            response = error_page(error)
        else:
            response = redirect(end.redirect_url() or "/", 303)
        return response(environ, start_response)


def api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The protected API: says who called."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"hello {environ.get('proauth2.user_id')}".encode()]


@dataclass
class Answer:
    """What the app answered: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]] = field(default_factory=list)
    #: the request's method (a HEAD answer has no content)
    method: str = "GET"


def outcome(status: int, location: str | None, body: bytes) -> str:
    """A short name for an answer: its status and its error code, or ``redirect`` with ``error`` or ``code``."""
    if location is not None:
        kind = "error" if "error=" in location else "code" if "code=" in location else "other"
        return f"{status} redirect ({kind})"
    if status >= 400 and body.startswith(b"{"):
        try:
            return f"{status} {json.loads(body).get('error', '(no error code)')}"
        except ValueError:
            return f"{status} (not JSON)"
    return str(status)


class _ErrorLog(logging.Handler):
    """Collects the ERROR records any logger emits: a swallowed exception logs one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _plain(value: Any) -> Any:
    """A hashable column value (PostgreSQL gives JSON columns as dicts and lists)."""
    return repr(value) if isinstance(value, dict | list | memoryview | bytearray) else value


class World:
    """The fuzzed provider and its WSGI app, on its own SQLite database."""

    def __init__(self, database_url: str, **changes: Any) -> None:
        self.database_url = database_url
        self.clock = FakeClock()
        self.store = PeeweeDataStore(database_url)
        self.store.migrate()
        self.settings = world_settings(self.clock, **changes)
        self.provider = Proauth2(self.store, self.settings)
        self.provider.claims_loader = lambda user_id, scopes, request: {"name": "Alice", "email": "a@example.com"}
        self.assertion_key = AssertionKey("ES256", kid="fuzz-es256")
        self.confidential = self.provider.register_app(
            "Confidential",
            [REDIRECT],
            grant_types=["authorization_code", "refresh_token", DEVICE_GRANT],
            scopes="openid profile email admin offline_access",
            metadata={"post_logout_redirect_uris": [LOGOUT_REDIRECT]},
        )
        self.post = self.provider.register_app("Post", [REDIRECT], auth_method="client_secret_post")
        self.public = self.provider.register_app(
            "Public", [LOOPBACK], auth_method="none", grant_types=["authorization_code", "refresh_token", DEVICE_GRANT]
        )
        self.service = self.provider.register_app("Service", grant_types=["client_credentials"], scopes="profile email")
        self.jwt_client = self.provider.register_app(
            "Keys",
            [REDIRECT],
            auth_method="private_key_jwt",
            grant_types=["authorization_code", "refresh_token", "client_credentials"],
            metadata={"jwks": self.assertion_key.jwks},
        )
        self.clients: tuple[ClientCredentials, ...] = (
            self.confidential,
            self.post,
            self.public,
            self.service,
            self.jwt_client,
        )
        self.secrets = tuple(client.client_secret for client in self.clients if client.client_secret)
        self.provider.keys.jwks()  # the signing keys are made on first use: before any snapshot
        self.protected = BearerTokenMiddleware(api, self.provider, rules=[("/api", "profile")])
        self.app = DispatcherMiddleware(
            AuthorizationServer(
                self.provider,
                authorization_endpoint="/authorize",
                end_session_endpoint="/logout",
                registration=True,
                protected_resource=ProtectedResource(API, (ISSUER,), ("profile", "email")),
            ),
            {"/authorize": AuthorizeView(self.provider), "/logout": LogoutView(self.provider), "/api": self.protected},
        )
        self._artifacts: dict[str, str] = {}
        self._sql = connect(database_url)
        self._mark = "?" if database_url.startswith("sqlite") else "%s"
        self._kept_clients = tuple(client.client_id for client in self.clients)

    def close(self) -> None:
        self._sql.close()
        self.store.dispose()

    # -- artifacts a request may aim at ---------------------------------------------------

    def artifact(self, name: str) -> str:
        """A valid ``code``, ``verifier`` (its PKCE), ``refresh_token``, ``access_token``, ``jwt_access_token``,
        ``id_token``, ``device_code``, ``user_code``, ``request_uri``: made now unless one is still unused."""
        if name not in self._artifacts:
            self._mint(name)
        return self._artifacts[name]

    def spent(self) -> None:
        """A request succeeded: whatever it used may be used up; make new artifacts next time."""
        self._artifacts.clear()
        self.prune()

    def _mint(self, name: str) -> None:
        provider, client = self.provider, self.confidential
        if name in ("code", "verifier"):
            verifier = secrets.token_urlsafe(48)
            request = provider.parse_authorization_request(
                {
                    "client_id": client.client_id,
                    "response_type": "code",
                    "redirect_uri": REDIRECT,
                    "scope": "openid profile offline_access",
                    "prompt": "consent",
                    "code_challenge": s256_challenge(verifier),
                    "code_challenge_method": "S256",
                }
            )
            self._artifacts["code"] = provider.authorization_response(request, Login("alice", int(self.clock.now)))[
                "code"
            ]
            self._artifacts["verifier"] = verifier
        elif name in ("refresh_token", "access_token", "id_token"):
            verifier = secrets.token_urlsafe(48)
            request = provider.parse_authorization_request(
                {
                    "client_id": client.client_id,
                    "response_type": "code",
                    "redirect_uri": REDIRECT,
                    "scope": "openid profile email offline_access",
                    "prompt": "consent",
                    "code_challenge": s256_challenge(verifier),
                    "code_challenge_method": "S256",
                }
            )
            code = provider.authorization_response(request, Login("alice", int(self.clock.now)))["code"]
            tokens = provider.request_access_token(
                "authorization_code",
                client.client_id,
                client.client_secret,
                code=code,
                redirect_uri=REDIRECT,
                code_verifier=verifier,
            )
            self._artifacts.update({key: tokens[key] for key in ("refresh_token", "access_token", "id_token")})
        elif name == "jwt_access_token":
            tokens = provider.request_access_token(
                "client_credentials", self.service.client_id, self.service.client_secret, resource=API
            )
            self._artifacts[name] = tokens["access_token"]
        elif name in ("device_code", "user_code"):
            answer = provider.request_device_authorization(self.public.client_id, scope="profile")
            self._artifacts["device_code"] = answer["device_code"]
            self._artifacts["user_code"] = answer["user_code"]
        elif name == "request_uri":
            pushed = provider.push_authorization_request(
                client.client_id,
                client.client_secret,
                response_type="code",
                redirect_uri=REDIRECT,
                scope="profile",
                code_challenge=s256_challenge(secrets.token_urlsafe(48)),
                code_challenge_method="S256",
            )
            self._artifacts[name] = pushed["request_uri"]
        else:
            raise KeyError(name)

    def prune(self) -> None:
        """Empty the grant tables (and clients registered by requests) once they grew: snapshots stay cheap."""
        tables = [table_name(table) for table in SCHEMA]
        rows = sum(self._query(f"SELECT COUNT(*) FROM {table}")[1][0][0] for table in tables)
        if rows < PRUNE_AT:
            return
        for table in tables:
            if table == table_name("keys"):
                continue
            if table == table_name("clients"):
                marks = ",".join([self._mark] * len(self._kept_clients))
                self._query(f"DELETE FROM {table} WHERE client_id NOT IN ({marks})", self._kept_clients)
            else:
                self._query(f"DELETE FROM {table}")
        self._artifacts.clear()

    # -- requests and snapshots -----------------------------------------------------------

    def snapshot(self) -> dict[str, frozenset[tuple[tuple[str, Any], ...]]]:
        """Every row of every proauth2 table, read with plain SQL: a row is its (column, value) pairs."""
        tables = {}
        for table in SCHEMA:
            columns, rows = self._query(f"SELECT * FROM {table_name(table)}")
            tables[table] = frozenset(tuple(zip(columns, map(_plain, row), strict=True)) for row in rows)
        return tables

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of ``sql`` (table names come from the schema, values are parameters)."""
        cursor = self._sql.cursor()
        try:
            cursor.execute(sql, params)
            if cursor.description is None:
                return [], []
            return [column[0] for column in cursor.description], list(cursor.fetchall())
        finally:
            cursor.close()

    def send(self, hostile: Hostile, target: str) -> Answer:
        """Run ``hostile`` through the whole WSGI app in-process, counted as an input of ``target``.

        Raw header values go straight into the environ (CR, LF and NUL too).
        """
        builder = EnvironBuilder(
            path=hostile.path,
            method=hostile.method,
            query_string=hostile.query.decode("latin-1"),
            data=hostile.body,
            base_url="https://auth.example.com",
        )
        environ = builder.get_environ()
        builder.close()
        environ.pop("CONTENT_TYPE", None)
        if hostile.content_type is not None:
            environ["CONTENT_TYPE"] = hostile.content_type
        for name, value in hostile.headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
        with self.errors_logged() as errors:
            app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
            body = b"".join(app_iter)
            assert not errors, [record.getMessage() for record in errors]
        return self.answer(target, int(status.split()[0]), list(headers.items()), body, environ["REQUEST_METHOD"])

    def answer(self, target: str, status: int, headers: list[tuple[str, str]], body: bytes, method: str) -> Answer:
        """An answer of ``target``: counted as one input tried, its outcome recorded."""
        tried(target)
        answer = Answer(status, {name.lower(): value for name, value in headers}, body, headers, method)
        answered(target, outcome(status, answer.headers.get("location"), body))
        return answer

    @contextmanager
    def errors_logged(self) -> Iterator[list[logging.LogRecord]]:
        """The ERROR records logged meanwhile (an exception the app caught and turned into a 500 logs one)."""
        handler = _ErrorLog()
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            yield handler.records
        finally:
            root.removeHandler(handler)
