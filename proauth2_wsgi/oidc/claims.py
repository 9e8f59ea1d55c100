"""Claims (OIDC Core §5): what each standard scope releases, and the ``claims`` request parameter (§5.5).

The host app supplies the values, through a loader
``claims(user_id, scopes, claims_request) -> dict``; proauth2 decides which of
them a response may carry: ``sub`` always, the claims of the granted scopes,
and claims the client asked for by name in the ``claims`` parameter. A
claim of a scope that was not granted, and not asked for by name, never
leaves the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import InvalidRequest

__all__ = ["SCOPE_CLAIMS", "STANDARD_CLAIMS", "ClaimsLoader", "parse_claims_request", "released_claims"]

#: OIDC Core §5.4: the claims each standard scope asks for
SCOPE_CLAIMS: Mapping[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
#: every standard claim (OIDC Core §5.1), ``sub`` first
STANDARD_CLAIMS: tuple[str, ...] = ("sub", *(claim for claims in SCOPE_CLAIMS.values() for claim in claims))
#: longest ``claims`` parameter accepted, in characters
MAX_CLAIMS_REQUEST = 4096
#: where a claims request may ask for claims (OIDC Core §5.5)
_TARGETS = ("userinfo", "id_token")

#: the host app's claims: (user_id, granted scopes, claims request) -> claim name -> value
ClaimsLoader = Callable[[str, frozenset[str], Mapping[str, Any]], Mapping[str, Any]]


def parse_claims_request(text: str | None) -> dict[str, Any]:
    """The ``claims`` parameter (OIDC Core §5.5) as JSON, checked; ``invalid_request`` when malformed."""
    if text is None:
        return {}
    if len(text) > MAX_CLAIMS_REQUEST:
        raise InvalidRequest("the claims parameter is too long")
    try:
        request = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidRequest("the claims parameter is not valid JSON") from None
    if not isinstance(request, dict):
        raise InvalidRequest("the claims parameter must be a JSON object")
    checked: dict[str, Any] = {}
    for target in _TARGETS:
        members = request.get(target)
        if members is None:
            continue
        if not isinstance(members, dict):
            raise InvalidRequest(f"claims.{target} must be a JSON object")
        for name, spec in members.items():
            if spec is not None and (
                not isinstance(spec, dict)
                or not isinstance(spec.get("essential", False), bool)
                or not isinstance(spec.get("values", []), list)
            ):
                raise InvalidRequest(f"claims.{target}.{name} must be null or an object (essential, value, values)")
        checked[target] = members
    return checked


def scope_claims(scopes: Iterable[str]) -> set[str]:
    """The claim names the ``scopes`` release (OIDC Core §5.4)."""
    return {claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ())}


def released_claims(
    user_id: str,
    scopes: frozenset[str],
    claims_request: Mapping[str, Any],
    target: str,
    loader: ClaimsLoader | None,
) -> dict[str, Any]:
    """The claims a response may carry for ``target`` (``userinfo`` or ``id_token``): ``sub`` first."""
    released: dict[str, Any] = {"sub": user_id}
    if loader is None:
        return released
    wanted = scope_claims(scopes) | set(claims_request.get(target) or {})
    wanted.discard("sub")
    if not wanted:
        return released
    values = loader(user_id, scopes, claims_request)
    released.update({name: values[name] for name in sorted(wanted) if name in values and values[name] is not None})
    return released
