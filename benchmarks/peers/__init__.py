"""proauth2 and the libraries it is compared with, as WSGI apps called in-process (benchmarks/side_by_side.py).

One module per library, each a class with the same shape (:class:`Peer`):

- :mod:`.proauth2_app` — proauth2's WSGI core (``AuthorizationServer`` and an
  authorization endpoint as the README shows it), ``BearerTokenMiddleware``
  over a bare callable, and the Flask extension;
- :mod:`.authlib_app` — Flask, Flask-SQLAlchemy and Authlib's
  ``AuthorizationServer`` and ``ResourceProtector``, as Authlib's documentation
  and its example server configure them;
- :mod:`.dot_app` — a minimal Django project (``settings.configure``) with
  django-oauth-toolkit at its documented defaults.

Every peer answers the same operations, by the keys of :data:`OPERATIONS`,
each a function of the iteration number that sends one request (two for the
code flow) and checks its status, so a misconfigured peer fails loudly
instead of timing its error page. The host's own login is no part of any
flow: each authorization endpoint is handed the same signed-in user.

This module holds what they share: the client's constants, prepared
environs, :func:`call` (a WSGI call that keeps the answer) and
:class:`SqlTrace`, which counts the SQL statements and the commits SQLite
itself runs (``sqlite3.Connection.set_trace_callback``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

from werkzeug.test import EnvironBuilder

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

#: the authorization server's origin in every environ (https: no library's insecure-transport switch is needed)
BASE_URL = "https://auth.example.com"
#: the client's registered redirect URI
REDIRECT_URI = "https://rp.example.com/callback"
#: the PKCE code verifier of every code flow, and its S256 challenge
CODE_VERIFIER = "bench-verifier-" + "v" * 40
CODE_CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(CODE_VERIFIER.encode()).digest()).rstrip(b"=").decode()
#: the operations each peer times, with what the side-by-side table calls them
OPERATIONS = {
    "code_flow": "full code flow (authorize + token, PKCE S256)",
    "refresh": "refresh (rotating refresh token)",
    "client_credentials": "client credentials",
    "revocation": "revocation (RFC 7009)",
    "introspection": "introspection (RFC 7662)",
}
#: the kinds of protected-route requests, with their labels
ROUTE_KINDS = {
    "bare": "bare route (no protection)",
    "valid": "valid token",
    "bad": "bad token (401)",
    "missing": "no token (401)",
}


class Peer(Protocol):
    """What :mod:`benchmarks.side_by_side` needs of each library."""

    #: a short name for the tables
    name: str

    #: the authorization server's operations, the token sent to protected routes
    endpoints: Endpoints

    def routes(self) -> dict[str, dict[str, Callable[[int], object]]]:
        """Per mount (``callable``, ``flask``, ``django``): one function per key of :data:`ROUTE_KINDS`, and more."""
        ...

    def trace(self) -> AbstractContextManager[list[str]]:
        """The SQL statements SQLite runs for this peer while the block runs."""
        ...

    def pragmas(self) -> dict[str, str]:
        """The peer's SQLite durability settings, read from its connection (:func:`sqlite_pragmas`)."""
        ...

    def close(self) -> None: ...


class Reply(NamedTuple):
    """A WSGI app's answer, read to the end."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    def header(self, name: str) -> str:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), "")


def call(app: WSGIApplication, environ: WSGIEnvironment) -> Reply:
    """Call ``app`` as a PEP 3333 server would (a fresh environ, the body read, then closed); keep the answer."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started[:] = [status, headers]
        return lambda data: None

    result = app(dict(environ), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Reply(started[0], started[1], body)


def expect(reply: Reply, code: int) -> Reply:
    """``reply``, when its status is ``code``; otherwise a failure quoting the answer."""
    if reply.code != code:
        raise AssertionError(f"expected {code}, got {reply.status}: {reply.header('Location')} {reply.body[:300]!r}")
    return reply


def get_environ(path: str, token: str | None = None) -> WSGIEnvironment:
    """A GET's environ with a bearer token when given (as benchmarks/timing.py builds them)."""
    headers = [("Authorization", f"Bearer {token}")] if token else []
    return EnvironBuilder(path=path, base_url=BASE_URL, headers=headers).get_environ()


class FormPost:
    """``POST`` environs for one path, authenticated with ``client_secret_basic`` when credentials are given.

    The environ is built once; each call only adds the body, so building
    requests costs every peer the same few microseconds.
    """

    def __init__(self, path: str, credentials: tuple[str, str] | None = None, query: str = "") -> None:
        headers = []
        if credentials is not None:
            # RFC 6749 §2.3.1: each part form-urlencoded, then Basic
            pair = ":".join(urlencode({"x": part})[2:] for part in credentials)
            headers.append(("Authorization", "Basic " + base64.b64encode(pair.encode()).decode()))
        self.base = EnvironBuilder(
            method="POST",
            path=path,
            base_url=BASE_URL,
            query_string=query,
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        ).get_environ()

    def __call__(self, form: Mapping[str, str]) -> WSGIEnvironment:
        body = urlencode(form).encode()
        return {**self.base, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}


def authorization_query(client_id: str, scope: str, state: str = "bench-state") -> dict[str, str]:
    """The parameters of an authorization request with PKCE (S256)."""
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
        "code_challenge": CODE_CHALLENGE,
        "code_challenge_method": "S256",
    }


def code_from(reply: Reply) -> str:
    """The ``code`` of an authorization response's redirect (302 or 303)."""
    if reply.code not in (302, 303):
        raise AssertionError(f"expected a redirect, got {reply.status}: {reply.body[:300]!r}")
    query = parse_qs(urlsplit(reply.header("Location")).query)
    if "code" not in query:
        raise AssertionError(f"no code in {reply.header('Location')}")
    return query["code"][0]


def exchange_form(code: str) -> dict[str, str]:
    """The token request of the code flow (RFC 6749 §4.1.3, RFC 7636 §4.5)."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": CODE_VERIFIER,
    }


class RefreshChain:
    """Refresh requests, each with the refresh token the previous one returned (rotation)."""

    def __init__(self, app: WSGIApplication, post: FormPost, refresh_token: str, scope: str | None = None) -> None:
        self.app, self.post, self.token, self.scope = app, post, refresh_token, scope

    def __call__(self, _: int) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": self.token}
        answer = expect(call(self.app, self.post(form)), 200).json()
        self.token = answer["refresh_token"]


class Endpoints:
    """A peer's authorization server as prepared requests, and the operations of :data:`OPERATIONS` over them.

    ``paths`` names the peer's ``authorize``, ``token``, ``revoke`` and
    ``introspect`` paths; ``approval`` is the form the user's approval posts
    to the authorization endpoint (the request's own parameters in the query);
    ``issue(count)`` stores ``count`` access tokens of the client credentials
    client ahead of the timed rounds, for revocation. ``token`` (a user's
    access token, from a code flow) is what the protected routes are sent.
    """

    def __init__(
        self,
        app: WSGIApplication,
        paths: Mapping[str, str],
        *,
        scope: str,
        approval: Mapping[str, str],
        code_client: tuple[str, str],
        cc_client: tuple[str, str],
        issue: Callable[[int], list[str]],
    ) -> None:
        self.app = app
        self.authorize_post = FormPost(paths["authorize"], query=urlencode(authorization_query(code_client[0], scope)))
        self.approval = dict(approval)
        self.code_token = FormPost(paths["token"], code_client)
        self.cc_token = FormPost(paths["token"], cc_client)
        self.revoke_post = FormPost(paths["revoke"], cc_client)
        self.introspect_post = FormPost(paths["introspect"], cc_client)
        self.revocable = Pool(issue)
        # a user's token (DOT's middleware authenticates users), and a refresh chain of another grant
        self.token = str(self.code_flow(0)["access_token"])
        self.refresh = RefreshChain(app, self.code_token, self.code_flow(0)["refresh_token"])

    def code_flow(self, _: int) -> dict[str, Any]:
        code = code_from(call(self.app, self.authorize_post(self.approval)))
        return expect(call(self.app, self.code_token(exchange_form(code))), 200).json()

    def client_credentials(self, _: int) -> dict[str, Any]:
        return expect(call(self.app, self.cc_token({"grant_type": "client_credentials"})), 200).json()

    def revoke(self, _: int) -> None:
        form = {"token": self.revocable.next(), "token_type_hint": "access_token"}
        expect(call(self.app, self.revoke_post(form)), 200)

    def introspect(self, _: int) -> None:
        answer = expect(call(self.app, self.introspect_post({"token": self.token})), 200).json()
        assert answer["active"] is True, answer

    def operations(self) -> dict[str, Callable[[int], object]]:
        return {
            "code_flow": self.code_flow,
            "refresh": self.refresh,
            "client_credentials": self.client_credentials,
            "revocation": self.revoke,
            "introspection": self.introspect,
        }


def route(app: WSGIApplication, path: str, token: str | None, code: int) -> Callable[[int], object]:
    """A GET of ``path`` (with ``token`` as a bearer token when given) expecting ``code``, per call."""
    env = get_environ(path, token)
    return lambda _: expect(call(app, env), code)


class Pool:
    """Items made ahead (tokens to revoke), one per call; refilled in batches when spent."""

    def __init__(self, make: Callable[[int], list[str]], batch: int = 200) -> None:
        self.make, self.batch = make, batch
        self.items: Iterator[str] = iter(())

    def next(self) -> str:
        item = next(self.items, None)
        if item is None:
            self.items = iter(self.make(self.batch))
            item = next(self.items)
        return item

    def prepare(self, count: int) -> None:
        """Make ``count`` items now (outside the timed rounds)."""
        self.items = iter([*self.items, *self.make(count)])


_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def sqlite_pragmas(connection: Any) -> dict[str, str]:
    """The journal mode and ``synchronous`` level of a sqlite3 connection, as SQLite reports them."""
    cursor = connection.cursor()
    try:
        journal = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).upper()
        synchronous = _SYNCHRONOUS.get(int(cursor.execute("PRAGMA synchronous").fetchone()[0]), "?")
    finally:
        cursor.close()
    return {"journal_mode": journal, "synchronous": synchronous}


#: statements that open, close or mark a transaction
_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class SqlCount(NamedTuple):
    """SQL statements run (transaction control left out) and transactions committed."""

    statements: int
    commits: int

    def __str__(self) -> str:
        return f"{self.statements} statements, {self.commits} commit{'s' if self.commits != 1 else ''}"


def count_sql(statements: list[str]) -> SqlCount:
    """Statements and commits in a SQLite trace.

    A commit is an explicit ``COMMIT``/``END`` (or the ``RELEASE`` of a
    savepoint that opened the transaction), or a write run outside any
    transaction, which SQLite commits on its own (autocommit): each is one
    journal write, the durable part of an operation.
    """
    queries = commits = 0
    open_transaction = False
    outer_savepoint: str | None = None
    for statement in statements:
        control = _CONTROL.match(statement)
        if control is None:
            queries += 1
            if not open_transaction and _WRITE.match(statement):
                commits += 1
            continue
        word = control.group(1).upper()
        rest = statement[control.end() :].strip().upper().replace('"', "")
        if word == "BEGIN":
            open_transaction = True
        elif word in ("COMMIT", "END"):
            commits += open_transaction
            open_transaction, outer_savepoint = False, None
        elif word == "ROLLBACK" and not rest.startswith("TO"):
            open_transaction, outer_savepoint = False, None
        elif word == "SAVEPOINT" and not open_transaction:
            open_transaction, outer_savepoint = True, rest
        elif word == "RELEASE" and rest.removeprefix("SAVEPOINT ").strip() == outer_savepoint:
            commits += 1
            open_transaction, outer_savepoint = False, None
    return SqlCount(queries, commits)
