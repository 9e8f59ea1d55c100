"""FastAPI: an access token per route, as a dependency (RFC 6750): ``Depends(require_token("profile"))``.

::

    from fastapi import Depends, FastAPI

    from proauth2_wsgi.fastapi import require_token

    app = FastAPI()
    app.state.token_validator = provider  # or require_token(..., validator=...)

    @app.get("/me")
    async def me(token: AccessToken = Depends(require_token("profile"))) -> dict[str, str | None]:
        return {"user": token.user_id}

The dependency returns the validated :class:`~proauth2_wsgi.models.AccessToken`
(None for a request without a token when ``optional``). Behind the ASGI
middleware (:class:`proauth2_wsgi.asgi.BearerTokenMiddleware`), which
validated the request already (``scope["auth"]``), it only checks the
route's scopes; otherwise it validates the request itself, with the
protector of the middleware: blocking validators in a bounded thread pool
shared by every route's dependency, never on the event loop. A refusal
raises :class:`fastapi.HTTPException` with the protector's status and
headers (``WWW-Authenticate``, ``Cache-Control``, ``Vary``, ``Retry-After``)
and the OAuth error JSON as its ``detail`` (FastAPI answers
``{"detail": {"error": ...}}``). Successful answers carry ``Vary:
Authorization`` unless the route returns a ``Response`` of its own (FastAPI
then sends that as it is).

This module is the only one that imports FastAPI (``pip install proauth2[fastapi]``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import HTTPException, Request, Response

from .asgi import AsyncProtector, ValidationPool, annotate, scope_request
from .middleware import build_protector, vary_with_authorization
from .models import AccessToken
from .protected_resource import ProtectedResource
from .protector import Refusal, TokenValidator
from .scopes import parse_scope

__all__ = ["VALIDATOR_STATE", "require_token"]

#: the ``app.state`` attribute a dependency given no validator validates with
VALIDATOR_STATE = "token_validator"
#: the headers of a refusal FastAPI writes itself (its JSON body is ``{"detail": ...}``)
_BODY_HEADERS = frozenset({"content-type", "content-length"})
#: the threads of every dependency's blocking validations
_POOL = ValidationPool()

Dependency = Callable[[Request, Response], Awaitable["AccessToken | None"]]


def require_token(
    scope: str | Iterable[str] | None = None,
    *,
    validator: TokenValidator | None = None,
    optional: bool = False,
    resource: str | ProtectedResource | None = None,
) -> Dependency:
    """A dependency requiring an access token carrying ``scope`` (space-separated or an iterable).

    :param validator: what validates tokens the middleware did not:
        a :class:`~proauth2_wsgi.Proauth2` provider or any
        :class:`~proauth2_wsgi.protector.TokenValidator`; by default
        ``request.app.state.token_validator`` (:data:`VALIDATOR_STATE`), read
        at the first request of each app.
    :param optional: let a request without a token through (the dependency
        is then None); a token that is sent must still be valid and carry
        ``scope``.
    :param resource: the route's resource identifier (RFC 8707) or
        :class:`~proauth2_wsgi.protected_resource.ProtectedResource`: tokens
        for other resources only are refused, challenges carry its RFC 9728
        ``resource_metadata``.

    A malformed ``scope`` fails here, at import time, not at a request.
    """
    required = parse_scope(scope) if scope else frozenset()
    deciders: dict[int, tuple[object, AsyncProtector]] = {}
    lock = threading.Lock()

    def decider(request: Request, validated: bool) -> AsyncProtector:
        chosen = validator if validator is not None else getattr(request.app.state, VALIDATOR_STATE, None)
        if chosen is None:
            if not validated:
                raise RuntimeError(
                    f"require_token() has no validator: pass validator=..., or set app.state.{VALIDATOR_STATE}"
                )
            chosen = _NOT_NEEDED  # behind the middleware, only scopes are checked
        known = deciders.get(id(chosen))
        if known is None or known[0] is not chosen:  # built once per validator (per app, by default)
            with lock:
                known = deciders.get(id(chosen))
                if known is None or known[0] is not chosen:
                    protector = build_protector(chosen, optional=optional, resource=resource)
                    known = deciders[id(chosen)] = (chosen, AsyncProtector(protector, _POOL))
        return known[1]

    async def dependency(request: Request, response: Response) -> AccessToken | None:
        access = request.scope.get("auth")
        validated = isinstance(access, AccessToken)
        decide = decider(request, validated)
        if isinstance(access, AccessToken):  # the ASGI middleware validated it
            outcome: AccessToken | Refusal | None = decide.protector.check_scopes(access, required) or access
        else:
            outcome = await decide.authenticate(scope_request(request.scope), required)
            if not isinstance(outcome, Refusal):
                annotate(request.scope, outcome)
        if isinstance(outcome, Refusal):
            raise refusal_exception(outcome)
        vary = response.headers.get("Vary")
        response.headers["Vary"] = vary_with_authorization(vary) if vary else "Authorization"
        return outcome

    return dependency


class _NotNeeded:
    """The validator of a dependency behind the middleware with none of its own: it never validates."""

    def __repr__(self) -> str:
        return "<no validator: behind the ASGI middleware>"

    def validate_token(self, token: str, request: object) -> AccessToken:
        raise RuntimeError("require_token() validated nothing itself: the ASGI middleware did")


_NOT_NEEDED = _NotNeeded()


def refusal_exception(refusal: Refusal) -> HTTPException:
    """A protector's refusal as FastAPI's exception: its status, its headers, its JSON as ``detail``."""
    detail: Any = json.loads(refusal.body)
    headers = {name: value for name, value in refusal.headers if name.lower() not in _BODY_HEADERS}
    return HTTPException(status_code=refusal.status, detail=detail, headers=headers)
