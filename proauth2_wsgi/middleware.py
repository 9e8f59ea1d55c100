"""BearerTokenMiddleware: protect any WSGI application with OAuth 2 access tokens (RFC 6750).

Wrap the application once; it then never parses a token itself::

    app = BearerTokenMiddleware(app, provider, rules=[("/admin", "admin")], public_paths=["/health"])

It is a thin WSGI adapter over :class:`~proauth2_wsgi.protector.Protector`,
which decides: each request's path (``PATH_INFO``) chooses a policy, public
paths go straight through, everything else needs a valid token with the
scopes its rule requires. Valid requests reach the application with the
``proauth2.*`` keys below in the environ; the others are answered here as
RFC 6750 §3 says, in JSON. Given its ``resource`` identifier (RFC 8707), it
refuses tokens meant for other resources, serves its RFC 9728 metadata
document and names it in every challenge.

The middleware keeps no per-request state and holds no connection (the
store does, fork-safely), so it is thread-safe and safe under forking
servers; it returns the application's iterable untouched, so ``close()``
reaches a streamed body (PEP 3333).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, TypedDict, Unpack
from urllib.parse import parse_qsl, quote

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wsgi import get_input_stream

from .errors import InvalidRequest
from .models import AccessToken
from .protected_resource import ProtectedResource, ResourceMetadataEndpoint
from .protector import PUBLIC, Protector, Refusal, ResourceRequest, Rule, TokenValidator
from .scopes import parse_scope
from .token_cache import DEFAULT_SIZE, TokenCache

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .dpop import DPoPChecker

__all__ = [
    "CLIENT_ID",
    "MAX_FORM_BODY",
    "SCOPES",
    "TOKEN",
    "USER_ID",
    "BearerTokenMiddleware",
    "ProtectorOptions",
    "Rule",
    "annotate",
    "build_protector",
    "dpop_checker",
    "form_pairs",
    "is_form",
    "resource_request",
    "vary_on_authorization",
    "vary_with_authorization",
]

#: environ key: the resource owner's id (None for a client_credentials token)
USER_ID = "proauth2.user_id"
#: environ key: the id of the client the token was issued to
CLIENT_ID = "proauth2.client_id"
#: environ key: the token's scopes, a ``frozenset[str]``
SCOPES = "proauth2.scopes"
#: environ key: the validated :class:`~proauth2_wsgi.models.AccessToken` (with its expiry)
TOKEN = "proauth2.token"  # noqa: S105 - an environ key

#: largest form body read for an ``access_token`` parameter (RFC 6750 §2.2)
MAX_FORM_BODY = 64 * 1024

_FORM_TYPE = "application/x-www-form-urlencoded"
#: RFC 3986 §3.3 pchar and "/", kept as they are when a path is encoded again
_PATH_CHARACTERS = "/!$&'()*+,;=:@-._~"


class ProtectorOptions(TypedDict, total=False):
    """The options every bearer-token adapter takes, as :func:`build_protector` defines them."""

    realm: str
    rules: Iterable[Rule]
    public_paths: Iterable[str]
    optional: bool
    allow_form_token: bool
    allow_query_token: bool
    cache_ttl: float
    cache_size: int
    exempt_methods: Iterable[str]
    challenge: Mapping[str, str] | None
    resource: str | ProtectedResource | None
    require_audience: bool
    dpop: DPoPChecker | bool


class BearerTokenMiddleware:
    """Require a valid access token on every request, except where configured otherwise.

    :param app: the WSGI application to protect.
    :param validator: what validates tokens: a :class:`~proauth2_wsgi.Proauth2`
        provider, or any :class:`~proauth2_wsgi.protector.TokenValidator`.
    :param cache_ttl: seconds a validated token is trusted without asking the
        validator again, in this process; 0 (the default) turns the cache off.
        A revoked token stays accepted for up to this long: see
        :mod:`~proauth2_wsgi.token_cache`.
    :param cache_size: most tokens the cache keeps per process.
    :param resource: this resource's identifier (RFC 8707), or its whole
        :class:`~proauth2_wsgi.protected_resource.ProtectedResource`: tokens
        whose audience names only other resources are refused (401), the
        RFC 9728 document is served at its well-known path, and challenges
        carry ``resource_metadata``. A bare identifier names the validator's
        issuer as its authorization server.
    :param require_audience: with ``resource``, refuse tokens issued for no
        particular resource too.

    ``realm``, ``rules``, ``public_paths``, ``optional``, ``allow_form_token``,
    ``allow_query_token``, ``exempt_methods`` and ``challenge`` are the
    :class:`~proauth2_wsgi.protector.Protector`'s. Every response on a
    protected path carries ``Vary: Authorization``, so a shared cache never
    serves one caller's answer to another.
    """

    def __init__(self, app: WSGIApplication, validator: TokenValidator, **options: Unpack[ProtectorOptions]) -> None:
        self.app = app
        self.protector = build_protector(validator, **options)
        resource = self.protector.resource
        #: the RFC 9728 document, answered here at its path
        self.metadata = ResourceMetadataEndpoint(resource) if resource is not None else None

    def __repr__(self) -> str:
        return f"<BearerTokenMiddleware realm={self.protector.realm!r} app={self.app!r}>"

    def policy(self, path: str) -> frozenset[str] | None:
        """The scopes a request to ``path`` needs, or None for a public path."""
        return self.protector.policy(path)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        protector = self.protector
        path = environ.get("PATH_INFO", "")
        if self.metadata is not None and path == self.metadata.path:
            return self.metadata(environ, start_response)
        required = protector.policy(path)
        if required is PUBLIC or environ.get("REQUEST_METHOD") in protector.exempt_methods:
            return self.app(environ, start_response)
        outcome = protector.authenticate(resource_request(environ), required)
        if isinstance(outcome, Refusal):
            start_response(outcome.status_line, list(outcome.headers))
            return [outcome.body]
        if outcome is not None:
            annotate(environ, outcome)
        return self.app(environ, vary_on_authorization(start_response))


def build_protector(
    validator: TokenValidator,
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
    challenge: Mapping[str, str] | None = None,
    resource: str | ProtectedResource | None = None,
    require_audience: bool = False,
    dpop: DPoPChecker | bool = True,
) -> Protector:
    """The protector of a middleware's options: what the WSGI and the ASGI middleware both decide with.

    A bare ``resource`` identifier becomes the :class:`ProtectedResource` the
    validator's issuer serves, its scopes those of ``rules``, its bearer
    methods those enabled, its DPoP algorithms those accepted; a
    ``cache_ttl`` puts a :class:`TokenCache` in front of ``validator``. The
    protector keeps the resource (``protector.resource``).

    ``dpop`` (RFC 9449): True (the default) takes DPoP-bound tokens with the
    validator's own checker (a provider's: replays detected through its
    database, its nonces) or, for a validator without one, a checker with a
    replay cache in this process's memory; a
    :class:`~proauth2_wsgi.dpop.DPoPChecker` of your own; False for bearer
    tokens only.
    """
    rules = tuple(rules)
    checker = dpop_checker(validator, dpop)
    if isinstance(resource, str):
        methods = ("header", *(["body"] if allow_form_token else []), *(["query"] if allow_query_token else []))
        scopes = sorted({scope for _, needed in rules for scope in parse_scope(needed)})
        algorithms = checker.algorithms if checker is not None else ()
        resource = ProtectedResource.of(
            resource, validator, scopes=scopes, bearer_methods=methods, dpop_algorithms=algorithms
        )
    if cache_ttl:
        validator = TokenCache(validator, cache_ttl, cache_size)
    return Protector(
        validator,
        realm=realm,
        rules=rules,
        public_paths=public_paths,
        optional=optional,
        allow_form_token=allow_form_token,
        allow_query_token=allow_query_token,
        exempt_methods=exempt_methods,
        challenge=challenge,
        resource=resource,
        require_audience=require_audience,
        dpop=checker,
    )


def dpop_checker(validator: TokenValidator, dpop: DPoPChecker | bool = True) -> DPoPChecker | None:
    """The DPoP checker ``dpop`` asks for: the validator's own by default, else one in this process's memory."""
    if dpop is False:
        return None
    if dpop is True:
        from .dpop import DPoPChecker

        own = getattr(validator, "dpop", None)
        return own if isinstance(own, DPoPChecker) else DPoPChecker()
    return dpop


def resource_request(environ: WSGIEnvironment) -> ResourceRequest:
    """The protector's view of a WSGI request; headers, URL and form body are built only when asked for."""
    return _EnvironRequest(environ)


class _EnvironRequest(ResourceRequest):
    """A WSGI request as the protector sees it: headers, URL and form body read from the environ on first use.

    Most requests need none of them (a bearer token in ``Authorization``), so
    none is built up front, nor any callable to build it with.
    """

    __slots__ = ("_environ",)

    def __init__(self, environ: WSGIEnvironment) -> None:
        super().__init__(
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO", ""),
            query=environ.get("QUERY_STRING", ""),
            authorization=environ.get("HTTP_AUTHORIZATION"),
        )
        self._environ = environ

    @property
    def headers(self) -> EnvironHeaders:
        """The environ's headers (werkzeug's ``EnvironHeaders``)."""
        headers = self._headers
        if not isinstance(headers, EnvironHeaders):
            headers = self._headers = EnvironHeaders(self._environ)
        return headers

    @property
    def url(self) -> str:
        """The request's absolute URL without its query."""
        url = self._url
        if not url or not isinstance(url, str):
            url = self._url = _url(self._environ)
        return url

    def form(self) -> list[tuple[str, str]] | None:
        """The form body's pairs (RFC 6750 §2.2), the body left readable; None when there is none."""
        return _form_pairs(self._environ)


def annotate(environ: WSGIEnvironment, access: AccessToken) -> None:
    """Put a validated token into the environ under the ``proauth2.*`` keys."""
    environ[TOKEN] = access
    environ[USER_ID] = access.user_id
    environ[CLIENT_ID] = access.client_id
    environ[SCOPES] = access.scopes


def vary_on_authorization(start_response: StartResponse) -> StartResponse:
    """``start_response`` adding ``Authorization`` to the response's ``Vary`` header (RFC 9110 §12.5.5)."""

    def start(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        headers = list(headers)
        for index, (name, value) in enumerate(headers):
            if name.lower() == "vary":
                headers[index] = (name, vary_with_authorization(value))
                break
        else:
            headers.append(("Vary", "Authorization"))
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return start  # type: ignore[return-value]


def vary_with_authorization(value: str) -> str:
    """A ``Vary`` header's ``value`` naming ``Authorization`` too, unless it does already (or is ``*``)."""
    fields = {field.strip().lower() for field in value.split(",")}
    return value if fields & {"authorization", "*"} else f"{value}, Authorization"


def _url(environ: WSGIEnvironment) -> str:
    """The request's URL without its query, its path percent-encoded again (PEP 3333 gives it decoded)."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{encoded_path(path.encode('latin-1'))}"


def encoded_path(path: bytes, *, raw: bool = False) -> str:
    """A request path's bytes as a URI path (RFC 3986 §3.3): what is not a path character percent-encoded.

    ``raw`` for a path as sent (its percent-encodings kept), else a decoded one (a ``%`` in it is encoded).
    """
    return quote(path, safe=_PATH_CHARACTERS + "%" if raw else _PATH_CHARACTERS)


def _form_pairs(environ: WSGIEnvironment) -> list[tuple[str, str]] | None:
    """The pairs of a form-encoded body (RFC 6750 §2.2), the body left readable for the application."""
    if not is_form(environ.get("CONTENT_TYPE", "")):
        return None
    request = environ.get("werkzeug.request")
    if request is not None and "form" in vars(request):  # a werkzeug app already parsed the body
        return list(request.form.items(multi=True))
    body = get_input_stream(environ).read(MAX_FORM_BODY + 1)
    pairs = form_pairs(body)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return pairs


def is_form(content_type: str) -> bool:
    """Whether a ``Content-Type`` is a form's, the only body an access token may come in (RFC 6750 §2.2)."""
    return content_type.partition(";")[0].strip().lower() == _FORM_TYPE


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """The pairs of a form body read up to ``MAX_FORM_BODY + 1`` bytes; :class:`InvalidRequest` when longer."""
    if len(body) > MAX_FORM_BODY:
        raise InvalidRequest("the form body is too large to carry an access token")
    return parse_qsl(body.decode("latin-1"), keep_blank_values=True)
