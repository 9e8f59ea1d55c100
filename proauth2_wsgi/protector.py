"""The protector: RFC 6750 resource protection as plain values in, a decision out (no I/O).

One :class:`Protector` holds everything a protected resource decides:

- the **policy** of a path: public, or the scopes it needs (``rules`` and
  ``public_paths``, longest prefix first, dot segments resolved strictly);
- **extraction** (RFC 6750 §2): the ``Authorization: Bearer`` header (§2.1),
  a form body only when enabled (§2.2), the query string only when enabled
  (§2.3, which RFC 9700 §4.3.2 tells servers to refuse); and ``Authorization:
  DPoP`` with its ``DPoP`` proof (RFC 9449 §7), for every validator;
- **proof of possession** (RFC 9449 §7.1): a DPoP-bound token (``jkt``) is
  accepted only with a proof by its key, for this request (``htm``,
  ``htu``, ``ath``), fresh and never seen before; refusals then carry a
  ``DPoP`` challenge (``algs``) beside the ``Bearer`` one;
- **validation** through any :class:`TokenValidator` (the provider, a token
  cache, a remote or JWT validator): it sees the token and the whole
  :class:`ResourceRequest`;
- the **audience** (RFC 8707): given the resource it protects
  (:class:`~proauth2_wsgi.protected_resource.ProtectedResource`), a token
  for other resources is refused, and every challenge carries the RFC 9728
  ``resource_metadata`` URL;
- **refusals** rendered exactly as RFC 6750 §3 says — status, headers
  (``WWW-Authenticate`` with any extra challenge parameters, ``Vary``,
  ``Cache-Control``) and a JSON body — each rendered once and reused.

:meth:`Protector.authenticate` answers with the validated
:class:`~proauth2_wsgi.models.AccessToken`, ``None`` (no token, and the
policy is optional), or a :class:`Refusal`. The WSGI middleware, the Flask
decorator and the ASGI middleware are thin adapters around it.

``optional`` has one meaning everywhere: a request may come without a
token; a token it does present must be valid and carry the policy's scopes.
No function here logs, stores or echoes a token.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, urlsplit

from .errors import (
    InsufficientScope,
    InvalidDPoPProof,
    InvalidRequest,
    InvalidToken,
    Proauth2Error,
    ServerError,
    UseDPoPNonce,
    safe_description,
)
from .models import AccessToken
from .request import Headers
from .scopes import format_scope, parse_scope
from .tokens import MAX_ACCESS_TOKEN_LENGTH

if TYPE_CHECKING:
    from .dpop import DPoPChecker, DPoPProof
    from .protected_resource import ProtectedResource

__all__ = [
    "BEARER",
    "DPOP",
    "PUBLIC",
    "Protector",
    "Refusal",
    "ResourceRequest",
    "Rule",
    "TokenValidator",
    "bearer_challenge",
    "challenge",
]

#: a protection rule: a path prefix and the scopes it requires (a space-separated string or an iterable)
Rule = tuple[str, "str | Iterable[str]"]
#: the policy of a public path: no token needed, none looked at
PUBLIC = None
#: the authentication schemes of access tokens: RFC 6750 §2.1, RFC 9449 §7.1
BEARER, DPOP = "Bearer", "DPoP"

_NO_SCOPES: frozenset[str] = frozenset()
_PARAMETER = "access_token"
# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Error descriptions stay inside the RFC 6749 §5.2 charset (no "§"), so they reach clients unaltered.
_MALFORMED_HEADER = "the Authorization header is not 'Bearer' or 'DPoP' followed by one token (RFC 6750 section 2.1)"
_NO_TOKEN_BODY = {"error_description": "this resource needs an access token (RFC 6750 section 2.1)"}
_INVALID_TOKEN = "the access token is invalid, expired or revoked"  # noqa: S105 - an error message
#: most distinct refusals kept rendered (descriptions come from code, so few exist)
_RENDERED_LIMIT = 256
_LOG = logging.getLogger("proauth2.protector")


class ResourceRequest:
    """A request to a protected resource, as plain values an adapter fills in.

    ``headers`` is any case-insensitive mapping; ``url`` (the request's URL
    without query, what a DPoP proof's ``htu`` names) and ``form`` (the
    body's form pairs, or None for a body that is not a form) may be given as
    zero-argument callables, so that building them costs nothing until a
    validator needs them. An adapter's subclass may build all three on first
    use instead (``headers``, ``url``, ``form()``), as the WSGI one does.
    """

    __slots__ = ("_form", "_headers", "_url", "authorization", "method", "path", "public_url", "query")

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        authorization: str | None = None,
        headers: Headers | None = None,
        url: str | Callable[[], str] = "",
        form: Callable[[], list[tuple[str, str]] | None] | None = None,
        public_url: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.authorization = authorization
        self._headers = headers
        self._url = url
        self._form = form
        #: the URL clients know this resource by, when it differs from the one received (behind a proxy)
        self.public_url = public_url

    def __repr__(self) -> str:
        return f"<ResourceRequest {self.method} {self.path}>"

    @property
    def headers(self) -> Headers:
        """The request's headers, looked up case-insensitively (none given: an empty mapping)."""
        return self._headers if self._headers is not None else {}

    @property
    def url(self) -> str:
        """The request's absolute URL without its query."""
        if callable(self._url):
            self._url = self._url()
        return self._url

    def form(self) -> list[tuple[str, str]] | None:
        """The form body's pairs (RFC 6750 §2.2), or None when there is none."""
        return None if self._form is None else self._form()


class TokenValidator(Protocol):
    """What validates a token for a protector: the provider, a cache, a remote or JWT validator."""

    def validate_token(self, token: str, request: ResourceRequest) -> AccessToken:
        """The token's record, or raise :class:`~proauth2_wsgi.errors.InvalidToken` (or another error)."""
        ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """A rendered refusal: status, headers, JSON body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: the WSGI status line (``401 Unauthorized``), rendered with the rest
    status_line: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status_line", f"{self.status} {HTTPStatus(self.status).phrase}")


def challenge(
    scheme: str, realm: str, error: Proauth2Error | None = None, extra: Mapping[str, str] | None = None
) -> str:
    """One ``WWW-Authenticate`` challenge (RFC 6750 §3, RFC 9449 §7.1): realm, extra parameters, then the error."""
    params: dict[str, str | None] = {"realm": realm, **(extra or {})}
    if error is not None:
        params["error"] = error.error
        params["error_description"] = error.error_description
        if isinstance(error, InsufficientScope) and error.scope:
            params["scope"] = error.scope
    parts = [f'{name}="{safe_description(value)}"' for name, value in params.items() if value is not None]
    return f"{scheme} {', '.join(parts)}"


def bearer_challenge(realm: str, error: Proauth2Error | None = None, extra: Mapping[str, str] | None = None) -> str:
    """The RFC 6750 §3 challenge: the realm (and extra parameters), then the error when a token was sent."""
    return challenge(BEARER, realm, error, extra)


class Protector:
    """Decide, for any framework, whether a request to a protected resource may proceed.

    :param validator: what validates tokens (:class:`TokenValidator`).
    :param realm: the ``realm`` of every ``WWW-Authenticate`` challenge (RFC 6750 §3).
    :param rules: ``(path_prefix, scopes)`` pairs: a request under ``path_prefix``
        needs a token carrying every one of ``scopes``. The longest matching
        prefix wins; a prefix matches whole path segments. Paths no rule
        matches still need a valid token, with no particular scope.
    :param public_paths: path prefixes served without looking at any token.
    :param optional: let requests without a token through (anonymous); a token
        that is present must still be valid and carry the scopes.
    :param allow_form_token: also accept ``access_token`` in a form body (RFC 6750 §2.2).
    :param allow_query_token: also accept ``access_token`` in the query string
        (RFC 6750 §2.3); while off, such a request is refused with 400.
    :param exempt_methods: methods passed through unchecked (``OPTIONS``: CORS
        preflights carry no credentials).
    :param challenge: extra ``WWW-Authenticate`` parameters on every challenge.
    :param resource: the protected resource this is (RFC 9728): a token whose
        audience (RFC 8707) names other resources only is ``invalid_token``;
        challenges carry its ``resource_metadata``.
    :param require_audience: with ``resource``, refuse tokens of no
        particular audience too (those issued without ``resource``).
    :param dpop: what checks DPoP proofs (RFC 9449), None to accept bearer
        tokens only. With it, ``Authorization: DPoP`` is accepted, a
        DPoP-bound token needs a proof by its key, and challenges name the
        ``algs``; a resource whose ``dpop_bound_access_tokens_required`` is
        set refuses bearer tokens.
    """

    def __init__(
        self,
        validator: TokenValidator,
        *,
        realm: str = "api",
        rules: Iterable[Rule] = (),
        public_paths: Iterable[str] = (),
        optional: bool = False,
        allow_form_token: bool = False,
        allow_query_token: bool = False,
        exempt_methods: Iterable[str] = ("OPTIONS",),
        challenge: Mapping[str, str] | None = None,
        resource: ProtectedResource | None = None,
        require_audience: bool = False,
        dpop: DPoPChecker | None = None,
    ) -> None:
        if require_audience and resource is None:
            raise ValueError("require_audience needs the resource whose audience to require")
        self.validator = validator
        self.realm = realm
        self.optional = optional
        self.allow_form_token = allow_form_token
        self.allow_query_token = allow_query_token
        self.exempt_methods = frozenset(method.upper() for method in exempt_methods)
        self.resource = resource
        self.require_audience = require_audience
        self.challenge = dict(challenge or {})
        if resource is not None:
            self.challenge["resource_metadata"] = resource.metadata_url  # RFC 9728 §5.1
        self.dpop = dpop
        #: the schemes this resource accepts, in the order its challenges name them
        self.schemes: tuple[str, ...] = (BEARER,) if dpop is None else (BEARER, DPOP)
        if dpop is not None and resource is not None and resource.dpop_bound_access_tokens_required:
            self.schemes = (DPOP,)
        self._dpop_only = BEARER not in self.schemes
        self._schemes_lower = ("bearer", "dpop") if dpop is not None else ("bearer",)
        self._policies = _compile_policies(rules, public_paths)
        self._rendered: dict[tuple[type, str, str | None, str, str], Refusal] = {}
        self.no_token = self._render(401, self._challenges(None, BEARER), _NO_TOKEN_BODY)

    def __repr__(self) -> str:
        return f"<Protector realm={self.realm!r} optional={self.optional}>"

    # -- policy -----------------------------------------------------------------------

    def policy(self, path: str) -> frozenset[str] | None:
        """The scopes a request to ``path`` needs, or :data:`PUBLIC` (None) for a public path.

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
        if raw is PUBLIC:
            return resolved
        if resolved is PUBLIC:
            return raw
        return raw | resolved

    def _match(self, path: str) -> frozenset[str] | None:
        for prefix, below, policy in self._policies:
            if path == prefix or path.startswith(below):
                return policy
        return _NO_SCOPES

    # -- deciding -------------------------------------------------------------------------

    def authenticate(
        self, request: ResourceRequest, required: frozenset[str] = _NO_SCOPES
    ) -> AccessToken | Refusal | None:
        """The validated token, None (no token, optional), or the :class:`Refusal` to answer with."""
        scheme = BEARER
        try:
            token, scheme = self._presented(request)
            if token is None:
                return None if self.optional else self.no_token
            if len(token) > MAX_ACCESS_TOKEN_LENGTH:
                raise InvalidToken(_INVALID_TOKEN)
            proof = self._proof(request, token) if scheme == DPOP else None
            access = self.validator.validate_token(token, request)
            if proof is not None or access.jkt is not None or self._dpop_only:  # else a bearer token, taken as such
                self._check_binding(access, proof)
            if self.resource is not None:
                self._check_audience(access, self.resource.identifier)
            if proof is not None and self.dpop is not None:
                self.dpop.remember(proof)  # once the token and its binding checked out: a 403 spends it too
            if required and not required <= access.scopes:
                raise InsufficientScope("the access token lacks a required scope", scope=format_scope(required))
        except Proauth2Error as error:
            return self.refusal(error, scheme)
        except Exception:  # noqa: BLE001 - a validator's bug is logged, never answered with a stack trace
            _LOG.exception("token validation failed unexpectedly")
            return self.refusal(ServerError())
        return access

    def scheme(self, request: ResourceRequest) -> str:
        """The scheme of the request's ``Authorization`` header: :data:`DPOP` when it is one this resource takes."""
        header = request.authorization
        if self.dpop is not None and header and header[:5].lower() == "dpop ":
            return DPOP
        return BEARER

    def _proof(self, request: ResourceRequest, token: str) -> DPoPProof:
        """RFC 9449 §7.1: the request's DPoP proof, for this request and this token (``ath``)."""
        from .dpop import proof_value

        if self.dpop is None:  # only called for the DPoP scheme, which needs the checker
            raise RuntimeError("a DPoP token without a DPoP checker")
        value = proof_value(request.headers)
        if value is None:
            raise InvalidDPoPProof("a DPoP-bound access token needs a DPoP proof (RFC 9449 section 7.1)")
        return self.dpop.verify(value, method=request.method, urls=self._urls(request), access_token=token)

    def _urls(self, request: ResourceRequest) -> tuple[str, ...]:
        """The URLs a proof's ``htu`` may name: the one received, the public one, the resource's origin + path."""
        urls = [request.url]
        if request.public_url:
            urls.append(request.public_url)
        if self.resource is not None:
            origin = urlsplit(self.resource.identifier)
            urls.append(f"{origin.scheme}://{origin.netloc}{urlsplit(request.url).path}")
        return tuple(urls)

    def _check_binding(self, access: AccessToken, proof: DPoPProof | None) -> None:
        """RFC 9449 §7.1: a bound token only with a proof by its key; an unbound one only as Bearer, where taken."""
        if proof is not None:
            if access.jkt is None:
                raise InvalidToken("the access token is not DPoP-bound: present it as a Bearer token")
            if not hmac.compare_digest(access.jkt, proof.jkt):
                raise InvalidToken("the DPoP proof is not by the key the access token is bound to")
        elif access.jkt is not None:
            raise InvalidToken("the access token is DPoP-bound: present it with the DPoP scheme and a proof")
        elif BEARER not in self.schemes:
            raise InvalidToken("this resource accepts DPoP-bound access tokens only (RFC 9449 section 7.1)")

    def _check_audience(self, access: AccessToken, identifier: str) -> None:
        """RFC 8707: a token for other resources is not for this one (nor one of no audience, when required)."""
        if access.audience:
            if identifier not in access.audience:
                raise InvalidToken("the access token is for another resource")
        elif self.require_audience:
            raise InvalidToken("the access token names no audience; this resource needs one for it")

    def check_scopes(self, access: AccessToken, required: frozenset[str]) -> Refusal | None:
        """The 403 for a token (validated earlier) lacking ``required``, or None."""
        if required <= access.scopes:
            return None
        return self.refusal(InsufficientScope("the access token lacks a required scope", scope=format_scope(required)))

    def extract(self, request: ResourceRequest) -> str | None:
        """The token the request presents, or None (RFC 6750 §2); :class:`InvalidRequest` when malformed.

        Malformed: an ``Authorization: Bearer`` header not of the §2.1 form, a
        repeated ``access_token``, a query token while those are refused, or
        more than one method at once (§3.1). Another scheme (``Basic``...) is
        not a bearer token: the result is None.
        """
        return self._presented(request)[0]

    def _presented(self, request: ResourceRequest) -> tuple[str | None, str]:
        """:meth:`extract`'s token, and the scheme it came with: :meth:`scheme`'s answer, found on the way."""
        found = []
        scheme = BEARER
        header = request.authorization
        if header:
            name, _, rest = header.partition(" ")
            name = name.lower()
            if name == "bearer" or (name == "dpop" and self.dpop is not None):
                credential = rest.strip(" ")
                if len(credential) <= MAX_ACCESS_TOKEN_LENGTH and not _B64TOKEN.fullmatch(credential):
                    raise InvalidRequest(_MALFORMED_HEADER)
                found.append(credential)
                if name == "dpop":
                    scheme = DPOP
            elif (header.split(None, 1) or [""])[0].lower() in self._schemes_lower:
                # "Bearer<TAB>token" and the like: a bearer credential, but not the §2.1 syntax.
                raise InvalidRequest(_MALFORMED_HEADER)
        query = request.query
        # "%" too: "access%5Ftoken=..." names the same parameter once decoded.
        if query and (_PARAMETER in query or "%" in query):
            in_query = _parameter(parse_qsl(query, keep_blank_values=True))
            if in_query is not None:
                if not self.allow_query_token:
                    raise InvalidRequest(
                        "access tokens in the query string are refused (RFC 6750 section 2.3, RFC 9700)"
                    )
                found.append(in_query)
        if self.allow_form_token and request.method not in ("GET", "HEAD"):
            pairs = request.form()
            in_form = None if pairs is None else _parameter(pairs)
            if in_form is not None:
                found.append(in_form)
        if len(found) > 1:
            raise InvalidRequest("the request uses more than one method to send the access token (RFC 6750 section 2)")
        return (found[0] if found else None), scheme

    # -- rendering --------------------------------------------------------------------------

    def refusal(self, error: Proauth2Error, scheme: str = BEARER) -> Refusal:
        """The RFC 6750 §3 (RFC 9449 §7.1) answer to ``error``, rendered once per distinct error.

        400 ``invalid_request``, 401 ``invalid_token``, 403
        ``insufficient_scope`` (with ``scope``) carry the challenges, the
        error in that of ``scheme`` (the one the request used); a bad DPoP
        proof or a missing nonce is 401 (the nonce in ``DPoP-Nonce``). A
        storage outage (503, ``Retry-After``) and a server error carry none:
        they say nothing about the token.
        """
        scope = error.scope if isinstance(error, InsufficientScope) else ""
        nonce = error.headers.get("DPoP-Nonce", "")  # a new nonce per window: not a key of the rendered cache
        key = (type(error), error.error, error.error_description, scope, scheme)
        rendered = None if nonce else self._rendered.get(key)
        if rendered is None:
            body = error.to_dict()
            body.pop("state", None)
            status = 401 if isinstance(error, (InvalidDPoPProof, UseDPoPNonce)) else error.status_code
            challenges = None if status >= 500 else self._challenges(error, scheme)
            rendered = self._render(status, challenges, body, error.headers)
            if not nonce and len(self._rendered) < _RENDERED_LIMIT:
                self._rendered[key] = rendered
        return rendered

    def _challenges(self, error: Proauth2Error | None, scheme: str) -> str:
        """Every scheme's challenge, ``error`` in that of ``scheme`` (RFC 9449 §7.1: both, where both are taken)."""
        parts = []
        scheme = scheme if scheme in self.schemes else self.schemes[0]
        for accepted in self.schemes:
            extra = self.challenge
            if accepted == DPOP and self.dpop is not None:  # the DPoP scheme is accepted only with its checker
                extra = {**extra, "algs": " ".join(self.dpop.algorithms)}
            parts.append(challenge(accepted, self.realm, error if accepted == scheme else None, extra))
        return ", ".join(parts)

    @staticmethod
    def _render(
        status: int, challenge: str | None, body: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Refusal:
        encoded = json.dumps(body, separators=(",", ":")).encode()
        rendered = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(encoded))),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
            ("Vary", "Authorization"),
        ]
        if challenge is not None:
            rendered.append(("WWW-Authenticate", challenge))
        rendered.extend((headers or {}).items())
        return Refusal(status, tuple(rendered), encoded)


def _parameter(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The one ``access_token`` among form or query pairs; repeating it is malformed."""
    values = [value for name, value in pairs if name == _PARAMETER]
    if len(values) > 1:
        raise InvalidRequest("access_token is repeated")
    return values[0] if values else None


def _compile_policies(
    rules: Iterable[Rule], public_paths: Iterable[str]
) -> tuple[tuple[str, str, frozenset[str] | None], ...]:
    """``(prefix, prefix + "/", policy)`` for each rule and public path, longest prefix first."""
    policies: dict[str, frozenset[str] | None] = {}
    entries: list[tuple[str, frozenset[str] | None]] = [(prefix, parse_scope(scopes)) for prefix, scopes in rules]
    entries += [(prefix, PUBLIC) for prefix in public_paths]
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
