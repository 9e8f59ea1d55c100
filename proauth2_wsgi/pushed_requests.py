"""Pushed authorization requests (RFC 9126): parameters pushed first, then named by a ``request_uri``.

- §2.1: the client pushes an authorization request's parameters to the PAR
  endpoint, authenticated as at the token endpoint; they get exactly the
  authorization request's validation
  (:meth:`~proauth2_wsgi.authorization_requests.AuthorizationRequests.push`).
  Client credentials in the body (``client_secret``, ``client_assertion``)
  are never stored.
- §2.2: the answer is ``urn:ietf:params:oauth:request_uri:`` and a 256-bit
  secret, stored only as the SHA-256 digest of the whole ``request_uri``,
  living ``par_lifetime`` seconds.
- §4: the authorization request then carries ``client_id`` and
  ``request_uri``; :meth:`PushedRequests.resolve` gives the pushed
  parameters back when the ``request_uri`` exists, is unexpired, unused and
  the same client's. The pushed parameters alone count: anything beside
  ``client_id`` and ``request_uri`` in the query is ignored. A ``request_uri``
  that cannot be used is ``invalid_request_uri`` (RFC 9101 §7), shown to the
  user and never redirected.
- §4, §7.3: one-time use. A ``request_uri`` is used up (a compare-and-set)
  when its authorization request is *answered* — a code issued, or an error
  or a denial redirected to the client — not when it is first validated: the
  host app validates the same request again when its login and consent pages
  come back, and a reload before the answer must still work (§4 allows it),
  as must a link scanner's fetch of the URL. Once answered, every later use
  is refused.
- §5, §6: ``require_pushed_authorization_requests``, server-wide
  (:class:`~proauth2_wsgi.settings.Settings`) or per client (its metadata),
  makes any other authorization request ``invalid_request``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest, InvalidRequestUri
from .records import PUSHED_REQUESTS
from .request import Parameters
from .tokens import generate_secret, hash_secret

if TYPE_CHECKING:
    from .models import Client
    from .records import Records
    from .settings import Settings

__all__ = [
    "MAX_PARAMETERS_BYTES",
    "REQUEST_URI_PREFIX",
    "REQUIRE_PUSHED",
    "PushedRequest",
    "PushedRequests",
    "is_pushed_reference",
    "pushed_required",
]

#: what every ``request_uri`` the PAR endpoint issues starts with (RFC 9126 §2.2)
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: the client metadata (RFC 9126 §6) and server metadata (§5) member
REQUIRE_PUSHED = "require_pushed_authorization_requests"
#: largest pushed parameters, as stored (UTF-8 JSON)
MAX_PARAMETERS_BYTES = 16_384
#: parameters that only authenticate the client (RFC 9126 §2.1): never stored with the request
CREDENTIAL_PARAMETERS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


@dataclass(frozen=True)
class PushedRequest:
    """The PAR endpoint's answer (RFC 9126 §2.2): the ``request_uri`` (never printed) and its lifetime."""

    request_uri: str = field(repr=False)
    expires_in: int

    def to_response(self) -> dict[str, Any]:
        """The 201 response body."""
        return {"request_uri": self.request_uri, "expires_in": self.expires_in}


def is_pushed_reference(value: str) -> bool:
    """True for a ``request_uri`` of the form the PAR endpoint issues."""
    return value.startswith(REQUEST_URI_PREFIX)


def pushed_required(settings: Settings, client: Client) -> bool:
    """Whether ``client`` may only send pushed authorization requests (RFC 9126 §5, §6)."""
    return settings.require_pushed_authorization_requests or client.metadata.get(REQUIRE_PUSHED) is True


class PushedRequests:
    """Store pushed authorization requests, resolve their ``request_uri``, use them up once."""

    def __init__(self, settings: Settings, records: Records, now: Callable[[], int]) -> None:
        self._settings = settings
        self._records = records
        self._now = now

    def store(self, client_id: str, params: Parameters) -> PushedRequest:
        """Store validated parameters for ``client_id``; the new ``request_uri`` (RFC 9126 §2.2)."""
        parameters = {name: list(params.getlist(name)) for name in params if name not in CREDENTIAL_PARAMETERS}
        encoded = json.dumps(parameters, separators=(",", ":"), ensure_ascii=False)
        if len(encoded.encode("utf-8")) > MAX_PARAMETERS_BYTES:
            raise InvalidRequest(f"the pushed authorization request is larger than {MAX_PARAMETERS_BYTES} bytes")
        request_uri = REQUEST_URI_PREFIX + generate_secret()
        lifetime = self._settings.par_lifetime
        self._records.add_pushed_request(
            {
                "request_uri_hash": hash_secret(request_uri),
                "client_id": client_id,
                "parameters": parameters,
                "expires_at": self._now() + lifetime,
                "used": False,
            }
        )
        return PushedRequest(request_uri, lifetime)

    def resolve(self, client_id: str, request_uri: str) -> tuple[Parameters, str]:
        """The pushed parameters ``request_uri`` names, and its digest (the key :meth:`spend` takes).

        ``invalid_request_uri`` (no ``redirect_uri``: shown, never redirected)
        when it is unknown, another client's, used or expired (RFC 9126 §4).
        """
        key = hash_secret(request_uri)
        record = self._records.pushed_request(key)
        if record is None:
            raise InvalidRequestUri("the request_uri is unknown")
        if record["client_id"] != client_id:
            raise InvalidRequestUri("the request_uri was pushed by another client")
        if record["used"]:
            raise InvalidRequestUri("the request_uri was used already")
        if record["expires_at"] <= self._now():
            raise InvalidRequestUri("the request_uri has expired")
        return Parameters(_pairs(record["parameters"])), key

    def spend(self, key: str) -> bool:
        """Use up the pushed request under ``key`` (compare-and-set): True for the one caller that did."""
        return self._records.spend(PUSHED_REQUESTS, key)


def _pairs(parameters: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, values in parameters.items():
        for value in values:
            yield name, value
