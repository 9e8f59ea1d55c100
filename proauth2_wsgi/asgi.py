"""BearerTokenMiddleware for ASGI: protect Starlette, FastAPI or an MCP server with OAuth 2 access tokens (RFC 6750).

Wrap the application once, with the options of the WSGI middleware::

    app = BearerTokenMiddleware(app, provider, rules=[("/admin", "admin")], public_paths=["/health"])
    fastapi_app.add_middleware(BearerTokenMiddleware, validator=provider, resource="https://api.example.com")

It is the twin of :class:`proauth2_wsgi.middleware.BearerTokenMiddleware`:
the same :class:`~proauth2_wsgi.protector.Protector`, built from the same
options by :func:`~proauth2_wsgi.middleware.build_protector`, decides, so
every refusal is the WSGI one byte for byte (status, ``WWW-Authenticate``,
``Cache-Control``, ``Vary``, JSON body), and with ``resource`` the RFC 9728
document is the WSGI endpoint's answer.

- **Scopes.** ``http`` and ``websocket`` scopes are protected: a WebSocket
  handshake is checked like the ``GET`` it is, and refused before it is
  accepted, with the HTTP refusal itself where the server offers the
  ``websocket.http.response`` extension, else with ``websocket.close`` code
  1008 (1013 for an outage, 1011 for a server error). ``lifespan`` and every
  other scope pass through untouched.
- **Paths.** Policies match the path the application routes:
  ``scope["path"]`` less ``scope["root_path"]`` when it starts with it, which
  is what Starlette's routing matches (``get_route_path``) and the WSGI
  ``PATH_INFO``. Rules and public paths are thus relative to where the
  middleware sits: inside ``Mount("/api", app=...)`` a rule ``/admin``
  guards ``/api/admin``; wrapping the whole app, paths are whole.
- **What the app gets.** ``scope["auth"]`` is the validated
  :class:`~proauth2_wsgi.models.AccessToken` (``request.auth``; its
  ``scopes`` work with Starlette's ``requires``), ``scope["user"]`` a
  :class:`TokenUser` (``request.user``: ``is_authenticated``,
  ``display_name``, ``identity``), ``scope["state"]["proauth2.token"]`` the
  token again (``request.state``). An anonymous request on an ``optional``
  policy gets ``auth`` None and an :class:`AnonymousUser` unless another
  middleware set them. Public paths are passed on untouched.
- **No blocking of the event loop.** A validator that does I/O (the
  provider's database lookup, introspection) runs in a bounded thread pool
  (:class:`ValidationPool`, ``max_workers`` threads, started on first use,
  per process) through ``loop.run_in_executor``; one whose ``runs_inline``
  attribute is true (a :class:`~proauth2_wsgi.validators.JWTValidator`
  holding fresh keys) runs on the loop, and so does a hit of the token cache
  (``cache_ttl``): only misses go to the pool. Requests without a token, or
  with a malformed one, never reach the pool. An asyncio loop is needed.
- **Form tokens** (``allow_form_token``, RFC 6750 §2.2): the body of a
  form-encoded request that is neither ``GET`` nor ``HEAD`` is read first,
  up to :data:`~proauth2_wsgi.middleware.MAX_FORM_BODY` (a longer one is
  400), and replayed to the application unchanged; no other body is read.

Every successful response on a protected path carries ``Vary:
Authorization`` (merged into the application's ``Vary``). No token is
logged or echoed. Importing this module needs neither Starlette nor any ASGI
server.
"""

from __future__ import annotations

import asyncio
import functools
import io
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from .errors import Proauth2Error
from .forking import call_in_forked_child
from .middleware import (
    MAX_FORM_BODY,
    TOKEN,
    ProtectorOptions,
    build_protector,
    encoded_path,
    form_pairs,
    is_form,
    vary_with_authorization,
)
from .models import AccessToken
from .protected_resource import ResourceMetadataEndpoint
from .protector import DPOP, PUBLIC, Protector, Refusal, ResourceRequest, TokenValidator
from .token_cache import TokenCache
from .tokens import MAX_ACCESS_TOKEN_LENGTH

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "ANONYMOUS",
    "DEFAULT_MAX_WORKERS",
    "AnonymousUser",
    "AsyncProtector",
    "BearerTokenMiddleware",
    "ScopeRequest",
    "TokenUser",
    "ValidationPool",
    "annotate",
    "route_path",
    "scope_request",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_T = TypeVar("_T")

#: threads of a middleware's validation pool unless ``max_workers`` says otherwise
DEFAULT_MAX_WORKERS = 8
#: RFC 6455 §7.4.1 close codes of a refused WebSocket handshake: policy violation, unless the server failed
_POLICY_VIOLATION = 1008
_CLOSE_CODES = {500: 1011, 503: 1013}  # internal error; try again later (IANA WebSocket close code registry)
_HTTP_RESPONSE = "websocket.http.response"
_HTTP_SCHEMES = {"ws": "http", "wss": "https"}


class TokenUser:
    """``scope["user"]`` of a validated token: Starlette's ``BaseUser`` interface, without importing Starlette.

    Its ``identity`` is the user the token speaks for, or the client for a
    token of no user (client credentials).
    """

    __slots__ = ("token",)

    def __init__(self, token: AccessToken) -> None:
        self.token = token

    def __repr__(self) -> str:
        return f"<TokenUser {self.identity!r}>"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def identity(self) -> str:
        return self.token.user_id if self.token.user_id is not None else self.token.client_id

    @property
    def display_name(self) -> str:
        return self.identity

    @property
    def user_id(self) -> str | None:
        return self.token.user_id

    @property
    def client_id(self) -> str:
        return self.token.client_id

    @property
    def scopes(self) -> frozenset[str]:
        return self.token.scopes


class AnonymousUser:
    """``scope["user"]`` of a request with no token on an ``optional`` policy (Starlette's ``UnauthenticatedUser``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<AnonymousUser>"

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""


#: the one anonymous user
ANONYMOUS = AnonymousUser()


class ScopeRequest(ResourceRequest):
    """The protector's view of an ASGI request; it may carry its token's record, looked up already.

    ``resolved`` is ``(token, record)`` once the token was found valid
    without the validator (a cache hit), and unset before: read it with
    ``getattr(request, "resolved", None)``. Leaving it unset spares every
    request a constructor of its own.
    """

    __slots__ = ("resolved",)

    resolved: tuple[str, AccessToken]


class ValidationPool:
    """A bounded thread pool for validators that block; its threads start on first use, in each process.

    At most ``max_workers`` validations run at once; more wait in the pool's
    queue, not on the event loop. A forked child starts a pool of its own.
    """

    def __init__(self, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        call_in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        """The parent's threads are not the child's: start afresh."""
        self._executor, self._lock = None, threading.Lock()

    def __repr__(self) -> str:
        return f"<ValidationPool max_workers={self.max_workers}>"

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` in one of the pool's threads, awaited without blocking the loop."""
        return await asyncio.get_running_loop().run_in_executor(self._start(), function, *args)

    def _start(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="proauth2-validation")
                    self._executor = executor
        return executor

    def close(self) -> None:
        """Stop the threads once their validations are done (a later validation starts new ones)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


class _Resolved:
    """The validator of an :class:`AsyncProtector`'s protector: a token looked up already is not looked up again."""

    __slots__ = ("validator",)

    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    def __repr__(self) -> str:
        return repr(self.validator)

    def __getattr__(self, name: str) -> Any:  # ``issuer``, ``resources``... of the validator
        if name == "validator":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.validator, name)

    def validate_token(self, token: str, request: ResourceRequest) -> AccessToken:
        resolved = getattr(request, "resolved", None)
        if resolved is not None and resolved[0] == token:
            return resolved[1]  # type: ignore[no-any-return]
        return self.validator.validate_token(token, request)


class AsyncProtector:
    """A protector's decisions for an async server: on the event loop when nothing blocks, else in ``pool``.

    It takes ``protector`` over: the protector's validator becomes a wrapper
    that trusts a record looked up on the loop (:attr:`ScopeRequest.resolved`),
    so a cache hit is never looked up a second time, in the loop or anywhere.
    The original validator stays :attr:`validator`.
    """

    def __init__(self, protector: Protector, pool: ValidationPool) -> None:
        validator = protector.validator
        if isinstance(validator, _Resolved):
            raise ValueError("this protector belongs to another AsyncProtector")
        #: what validates tokens: the given validator, or the token cache in front of it
        self.validator = validator
        self._cache = validator if isinstance(validator, TokenCache) else None
        protector.validator = _Resolved(validator)
        self.protector = protector
        self.pool = pool

    def __repr__(self) -> str:
        return f"<AsyncProtector {self.protector!r} {self.pool!r}>"

    @property
    def inline(self) -> bool:
        """Whether the validator now answers without I/O (its ``runs_inline``, False when it has none)."""
        return bool(getattr(self.validator, "runs_inline", False))

    def _spends_proof(self, request: ScopeRequest) -> bool:
        """True for a DPoP request whose proof is spent in a store (a write: off the loop, RFC 9449 §11.1)."""
        dpop = self.protector.dpop
        if dpop is None or self.protector.scheme(request) != DPOP:
            return False
        from .dpop import MemoryReplayCache

        return not isinstance(dpop.replay, MemoryReplayCache)

    async def authenticate(self, request: ScopeRequest, required: frozenset[str]) -> AccessToken | Refusal | None:
        """The protector's :meth:`~proauth2_wsgi.protector.Protector.authenticate`, without blocking the loop."""
        protector = self.protector
        spends = self._spends_proof(request)
        if self.inline and not spends:
            return protector.authenticate(request, required)
        try:
            token = protector.extract(request)
        except Proauth2Error as error:
            return protector.refusal(error, protector.scheme(request))
        if token is None or len(token) > MAX_ACCESS_TOKEN_LENGTH:
            return protector.authenticate(request, required)  # decided without the validator
        if self._cache is not None and not spends:
            access = self._cache.cached(token)
            if access is not None:
                request.resolved = (token, access)
                return protector.authenticate(request, required)
        return await self.pool.run(protector.authenticate, request, required)


class BearerTokenMiddleware:
    """Require a valid access token on every HTTP request and WebSocket handshake, except where configured otherwise.

    :param app: the ASGI application to protect.
    :param validator: what validates tokens: a :class:`~proauth2_wsgi.Proauth2`
        provider, or any :class:`~proauth2_wsgi.protector.TokenValidator`.
    :param max_workers: most validations run at once in the thread pool, for
        validators that block (8 by default; each thread keeps its own
        SQLite connection).

    Every other option is the WSGI middleware's, with the same meaning and
    defaults (:class:`proauth2_wsgi.middleware.BearerTokenMiddleware`):
    ``realm``, ``rules``, ``public_paths``, ``optional``,
    ``allow_form_token``, ``allow_query_token``, ``cache_ttl``,
    ``cache_size``, ``exempt_methods``, ``challenge``, ``resource``,
    ``require_audience``.
    """

    def __init__(
        self,
        app: ASGIApp,
        validator: TokenValidator,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        **options: Unpack[ProtectorOptions],
    ) -> None:
        self.app = app
        self.protector = build_protector(validator, **options)
        #: the thread pool of validators that block
        self.pool = ValidationPool(max_workers)
        self._decide = AsyncProtector(self.protector, self.pool)
        protected = self.protector.resource
        #: the RFC 9728 document, answered here at its path (the WSGI endpoint, called in-line: it does no I/O)
        self.metadata = ResourceMetadataEndpoint(protected) if protected is not None else None
        self._reads_forms = self.protector.allow_form_token

    def __repr__(self) -> str:
        return f"<BearerTokenMiddleware (ASGI) realm={self.protector.realm!r} app={self.app!r}>"

    @property
    def validator(self) -> TokenValidator:
        """What validates tokens: the given validator, or the token cache in front of it."""
        return self._decide.validator

    def policy(self, path: str) -> frozenset[str] | None:
        """The scopes a request to ``path`` needs, or None for a public path."""
        return self.protector.policy(path)

    def close(self) -> None:
        """Stop the validation threads (a server's shutdown, a test's end); a later request starts them again."""
        self.pool.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        protector = self.protector
        path = route_path(scope)
        if kind == "http" and self.metadata is not None and path == self.metadata.path:
            await _send_wsgi_answer(self.metadata, scope, path, send)
            return
        required = protector.policy(path)
        method = scope.get("method", "GET")  # a WebSocket handshake is a GET
        if required is PUBLIC or method in protector.exempt_methods:
            await self.app(scope, receive, send)
            return
        body = None
        if self._reads_forms and kind == "http" and method not in ("GET", "HEAD"):
            if is_form(_header(scope, b"content-type") or ""):
                body, receive = await _buffer_body(receive)
        outcome = await self._decide.authenticate(scope_request(scope, path, body), required)
        if isinstance(outcome, Refusal):
            await (_refuse if kind == "http" else _refuse_websocket)(scope, send, outcome)
            return
        annotate(scope, outcome)
        await self.app(scope, receive, _vary_on_authorization(send) if kind == "http" else send)


def route_path(scope: Scope) -> str:
    """The path the application routes: ``scope["path"]`` less ``root_path`` (Starlette's ``get_route_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if len(path) == len(root):
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def scope_request(scope: Scope, path: str | None = None, body: bytes | None = None) -> ScopeRequest:
    """The protector's view of an ASGI request; ``body`` the form body read already, if any."""
    headers = _ScopeHeaders(scope.get("headers") or ())
    return ScopeRequest(
        scope.get("method", "GET"),
        route_path(scope) if path is None else path,
        query=scope.get("query_string", b"").decode("latin-1"),
        authorization=headers.authorization(),
        headers=headers,
        url=lambda: _url(scope, headers),
        form=None if body is None else functools.partial(form_pairs, body),
    )


def annotate(scope: Scope, access: AccessToken | None) -> None:
    """Put a validated token into the scope: ``auth``, ``user`` and ``state["proauth2.token"]``.

    For None (an anonymous request, ``optional``) the ``user`` and ``auth``
    another middleware set are kept, else they become :data:`ANONYMOUS` and None.
    """
    if access is not None:
        scope["auth"] = access
        scope["user"] = TokenUser(access)
    else:
        scope.setdefault("auth", None)
        scope.setdefault("user", ANONYMOUS)
    state = scope.get("state")
    if state is None:
        scope["state"] = state = {}
    state[TOKEN] = access


class _ScopeHeaders:
    """An ASGI request's headers looked up case-insensitively; repeated ones joined with commas (RFC 9110 §5.3)."""

    __slots__ = ("_by_name", "_raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._by_name: dict[str, str] | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        if self._by_name is None:
            joined: dict[str, str] = {}
            for raw_name, raw_value in self._raw:
                name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
                joined[name] = f"{joined[name]}, {value}" if name in joined else value
            self._by_name = joined
        return self._by_name.get(key.lower(), default)

    def authorization(self) -> str | None:
        """``Authorization``, without building the whole mapping (two headers make one malformed value)."""
        found = None
        for name, value in self._raw:
            if name.lower() == b"authorization":
                text = value.decode("latin-1")
                found = text if found is None else f"{found}, {text}"
        return found


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def _url(scope: Scope, headers: _ScopeHeaders) -> str:
    """The request's URL without its query (what a DPoP proof's ``htu`` names).

    A WebSocket handshake's is its HTTP URL (``ws`` is ``http``, ``wss`` is
    ``https``): the handshake is an HTTP request. The path is the raw one
    when the server gives it, else the decoded one encoded again.
    """
    scheme = scope.get("scheme") or "http"
    scheme = _HTTP_SCHEMES.get(scheme, scheme)
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    raw = scope.get("raw_path")
    path = encoded_path(raw, raw=True) if isinstance(raw, bytes) else encoded_path(scope["path"].encode())
    return f"{scheme}://{host}{path}"


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """The request body up to ``MAX_FORM_BODY + 1`` bytes, and a ``receive`` replaying what was read first."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FORM_BODY:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # http.disconnect
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    pending = iter(messages)

    async def replay() -> Message:
        for message in pending:
            return message
        return await receive()

    return b"".join(chunks), replay


def _vary_on_authorization(send: Send) -> Send:
    """``send`` adding ``Authorization`` to the response's ``Vary`` header (RFC 9110 §12.5.5)."""

    async def vary(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or ())
            for index, (name, value) in enumerate(headers):
                if name.lower() == b"vary":
                    merged = vary_with_authorization(value.decode("latin-1")).encode("latin-1")
                    headers[index] = (name, merged)
                    break
            else:
                headers.append((b"vary", b"Authorization"))
            message = {**message, "headers": headers}
        await send(message)

    return vary


def _encoded(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    """A refusal's headers as ASGI wants them (names lower-cased): a new list, which later middleware may change."""
    return list(_encode(headers))


@functools.lru_cache(maxsize=256)
def _encode(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """Encoded once per distinct refusal (the protector renders few)."""
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers)


async def _refuse(scope: Scope, send: Send, refusal: Refusal) -> None:
    await send({"type": "http.response.start", "status": refusal.status, "headers": _encoded(refusal.headers)})
    await send({"type": "http.response.body", "body": refusal.body})


async def _refuse_websocket(scope: Scope, send: Send, refusal: Refusal) -> None:
    """Refuse a handshake before accepting it: the HTTP refusal itself where the server can send one."""
    if _HTTP_RESPONSE in (scope.get("extensions") or {}):
        headers = _encoded(refusal.headers)
        await send({"type": "websocket.http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": refusal.body})
    else:
        code = _CLOSE_CODES.get(refusal.status, _POLICY_VIOLATION)
        await send({"type": "websocket.close", "code": code, "reason": HTTPStatus(refusal.status).phrase})


async def _send_wsgi_answer(app: WSGIApplication, scope: Scope, path: str, send: Send) -> None:
    """Answer with a WSGI app that does no I/O (the RFC 9728 endpoint): the very bytes it answers under WSGI.

    The ASGI server sets ``Date`` itself, so the WSGI app's is dropped.
    """
    environ = _environ(scope, path)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started[:] = [status, headers]
        return lambda data: None

    iterable = app(environ, start_response)  # type: ignore[arg-type]
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    status, headers = started
    encoded = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers if name.lower() != "date"
    ]
    await send({"type": "http.response.start", "status": int(status.split(" ", 1)[0]), "headers": encoded})
    await send({"type": "http.response.body", "body": body})


def _environ(scope: Scope, path: str) -> dict[str, Any]:
    """A PEP 3333 environ of an ASGI request with no body (PATH_INFO the route path, SCRIPT_NAME the rest)."""
    full: str = scope["path"]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": full[: len(full) - len(path)] if full.endswith(path) else "",
        "PATH_INFO": path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope.get("headers") or ():
        key = name.decode("latin-1").upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ
