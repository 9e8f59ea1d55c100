"""BearerTokenMiddleware: protect any WSGI application with OAuth 2 bearer tokens (RFC 6750).

Wrap the application once; it then never parses a token itself::

    app = BearerTokenMiddleware(app, provider, rules=[("/admin", "admin")], public_paths=["/health"])

Each request's path (``PATH_INFO``) chooses a policy: public paths go
straight through, everything else needs a valid token with the scopes its
rule requires. Valid requests reach the application with
``proauth2.user_id``, ``proauth2.client_id``, ``proauth2.scopes`` and
``proauth2.token`` in the environ (:mod:`proauth2_wsgi.bearer`); the others
are answered here as RFC 6750 §3 says, in JSON.

The middleware keeps no per-request state and holds no connection (the
store does, fork-safely), so it is thread-safe and safe under forking
servers; it returns the application's iterable untouched, so ``close()``
reaches a streamed body (PEP 3333).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from .bearer import TokenValidator, authenticate_request, bearer_error_response
from .errors import InsufficientScope, InvalidToken, Proauth2Error
from .provider import Proauth2
from .scopes import parse_scope
from .token_cache import DEFAULT_SIZE, TokenCache

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["BearerTokenMiddleware", "Rule"]

#: a protection rule: a path prefix and the scopes it requires (a space-separated string or an iterable)
Rule = tuple[str, "str | Iterable[str]"]

# The policy of a public path: no token needed, none looked at.
_PUBLIC = None
_NO_SCOPES: frozenset[str] = frozenset()


class BearerTokenMiddleware:
    """Require a valid bearer token on every request, except where configured otherwise.

    :param app: the WSGI application to protect.
    :param provider: the :class:`~proauth2_wsgi.Proauth2` that validates tokens.
    :param realm: the ``realm`` of every ``WWW-Authenticate`` challenge (RFC 6750 §3).
    :param rules: ``(path_prefix, scopes)`` pairs: a request under ``path_prefix``
        needs a token carrying every one of ``scopes`` (a space-separated string
        or an iterable). The longest matching prefix wins; a prefix matches whole
        path segments (``/api`` matches ``/api`` and ``/api/x``, not ``/apix``).
        Paths no rule matches still need a valid token, with no particular
        scope: the default is secure.
    :param public_paths: path prefixes served without looking at any token
        (health checks, metadata). They take part in the longest-prefix match, so
        ``rules=[("/docs/private", "admin")]`` still protects a page under a
        public ``/docs``.
    :param optional: annotate without refusing: a request with no token or an
        invalid, expired or revoked one reaches the application unannotated, and
        scopes are left for the application to check in ``proauth2.scopes``. A
        malformed request (400) and a storage outage (503) are still answered,
        since neither says who the caller is.
    :param allow_form_token: also accept ``access_token`` in a form-encoded body
        (RFC 6750 §2.2). Off by default.
    :param allow_query_token: also accept ``access_token`` in the query string
        (RFC 6750 §2.3). Off by default, and refused with 400 while off: URLs end
        up in logs and ``Referer`` headers (RFC 9700 §4.3.2).
    :param cache_ttl: seconds a validated token is trusted without a database
        query, in this process; 0 (the default) turns the cache off. A revoked
        token stays accepted for up to this long: see :mod:`~proauth2_wsgi.token_cache`.
    :param cache_size: most tokens the cache keeps per process.
    :param exempt_methods: request methods passed through unchecked, unannotated:
        ``OPTIONS`` by default, since a CORS preflight never carries credentials
        (Fetch standard, CORS-preflight request). ``()`` checks every method.

    Every response on a protected path carries ``Vary: Authorization``, so a
    shared cache never serves one caller's answer to another.
    """

    def __init__(
        self,
        app: WSGIApplication,
        provider: Proauth2,
        *,
        realm: str = "api",
        rules: Iterable[Rule] = (),
        public_paths: Iterable[str] = (),
        optional: bool = False,
        allow_form_token: bool = False,
        allow_query_token: bool = False,
        cache_ttl: float = 0.0,
        cache_size: int = DEFAULT_SIZE,
        exempt_methods: Iterable[str] = ("OPTIONS",),
    ) -> None:
        self.app = app
        self.provider = provider
        self.realm = realm
        self.optional = optional
        self.allow_form_token = allow_form_token
        self.allow_query_token = allow_query_token
        self._validator: TokenValidator = TokenCache(provider, cache_ttl, cache_size) if cache_ttl else provider
        self._policies = _compile_policies(rules, public_paths)
        self.exempt_methods = frozenset(method.upper() for method in exempt_methods)
        self._no_token = _Prerendered(bearer_error_response(None, realm))

    def __repr__(self) -> str:
        return f"<BearerTokenMiddleware realm={self.realm!r} app={self.app!r}>"

    def policy(self, path: str) -> frozenset[str] | None:
        """The scopes a request to ``path`` needs, or None for a public path.

        A path with dot or empty segments gets the stricter of the policies of
        the path as sent and as resolved: the application may route either
        (werkzeug's ``<path:...>`` matches ``/admin/../public`` under
        ``/admin``), so neither ``/public/../admin`` nor ``/admin/../public``
        may slip out from under ``/admin``'s rule.
        """
        raw = self._match(path)
        if "/." not in path and "//" not in path:
            return raw
        resolved = self._match(_normalise(path))
        if raw is _PUBLIC:
            return resolved
        if resolved is _PUBLIC:
            return raw
        return raw | resolved

    def _match(self, path: str) -> frozenset[str] | None:
        """The policy of the longest configured prefix of ``path``."""
        for prefix, below, policy in self._policies:
            if path == prefix or path.startswith(below):
                return policy
        return _NO_SCOPES

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        required = self.policy(environ.get("PATH_INFO", ""))
        if required is _PUBLIC or environ.get("REQUEST_METHOD") in self.exempt_methods:
            return self.app(environ, start_response)
        start_response = _vary_on_authorization(start_response)
        try:
            token = authenticate_request(
                environ,
                self._validator,
                None if self.optional else required,
                allow_form=self.allow_form_token,
                allow_query=self.allow_query_token,
            )
        except (InvalidToken, InsufficientScope) as error:
            if self.optional:
                return self.app(environ, start_response)
            return bearer_error_response(error, self.realm)(environ, start_response)
        except Proauth2Error as error:
            return bearer_error_response(error, self.realm)(environ, start_response)
        if token is None and not self.optional:
            return self._no_token(environ, start_response)
        return self.app(environ, start_response)


def _vary_on_authorization(start_response: StartResponse) -> StartResponse:
    """``start_response`` adding ``Authorization`` to the response's ``Vary`` header (RFC 9110 §12.5.5)."""

    def start(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        headers = list(headers)
        for index, (name, value) in enumerate(headers):
            if name.lower() == "vary":
                fields = {field.strip().lower() for field in value.split(",")}
                if not fields & {"authorization", "*"}:
                    headers[index] = (name, f"{value}, Authorization")
                break
        else:
            headers.append(("Vary", "Authorization"))
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return start  # type: ignore[return-value]


class _Prerendered:
    """A constant response rendered once: the 401 every request without a token gets (RFC 6750 §3.1).

    Answering tokenless requests (crawlers, floods) then costs no rendering.
    """

    def __init__(self, response: Response) -> None:
        self.status = response.status
        self.headers = response.headers.to_wsgi_list()
        self.body = response.get_data()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(self.status, list(self.headers))
        return [self.body]


def _compile_policies(
    rules: Iterable[Rule], public_paths: Iterable[str]
) -> tuple[tuple[str, str, frozenset[str] | None], ...]:
    """``(prefix, prefix + "/", policy)`` for each rule and public path, longest prefix first."""
    policies: dict[str, frozenset[str] | None] = {}
    entries: list[tuple[str, frozenset[str] | None]] = [(prefix, parse_scope(scopes)) for prefix, scopes in rules]
    entries += [(prefix, _PUBLIC) for prefix in public_paths]
    for prefix, policy in entries:
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise ValueError(f"path prefixes must start with '/': {prefix!r}")
        prefix = prefix.rstrip("/")
        if prefix in policies:
            raise ValueError(f"path prefix {prefix or '/'!r} is configured twice")
        policies[prefix] = policy
    ordered = sorted(policies.items(), key=lambda item: len(item[0]), reverse=True)
    return tuple((prefix, prefix + "/", policy) for prefix, policy in ordered)


def _normalise(path: str) -> str:
    """``path`` without empty, ``.`` and ``..`` segments, so ``/public/../admin`` is ``/admin``."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    return "/" + "/".join(segments)
