"""The one response shape of the endpoints: JSON bodies, no-store caching, OAuth errors (werkzeug).

- :func:`json_response` — ``application/json`` with ``Cache-Control: no-store``
  (RFC 6749 §5.1);
- :func:`error_response` — a :class:`~proauth2_wsgi.errors.Proauth2Error` as its
  status, headers and RFC 6749 §5.2 body (a storage outage with its
  ``Retry-After``);
- :class:`PublicDocument` — a JSON document anyone may read and cache (the
  metadata, the JWK set), serialised once with its ``ETag``;
- :func:`www_authenticate` — a challenge header; every value in it is checked
  against the RFC 6749 §5.2 charset first. Bearer challenges of protected
  resources come from :func:`proauth2_wsgi.protector.bearer_challenge`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from .errors import Proauth2Error, safe_description

#: headers on every JSON response carrying tokens or errors (RFC 6749 §5.1)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response that no cache keeps."""
    response = Response(
        json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json", headers=NO_STORE
    )
    if headers:
        response.headers.update(headers)
    return response


@dataclass(frozen=True)
class PublicDocument:
    """A public JSON document, serialised once: every request gets the same bytes, cacheable, conditional."""

    body: bytes
    etag: str
    mimetype: str
    max_age: int

    @classmethod
    def render(
        cls, document: Mapping[str, Any], mimetype: str = "application/json", max_age: int = 300
    ) -> PublicDocument:
        body = json.dumps(document, separators=(",", ":")).encode()
        return cls(body, hashlib.sha256(body).hexdigest()[:32], mimetype, max_age)

    def response(self, request: Request) -> Response:
        """The document for ``request``: ``304 Not Modified`` when its ``If-None-Match`` names this version.

        Any origin may read it (``Access-Control-Allow-Origin: *``): it is
        public, and browser-based clients discover servers with it.
        """
        response = Response(self.body, mimetype=self.mimetype)
        response.headers["Cache-Control"] = f"public, max-age={self.max_age}"
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.set_etag(self.etag)
        return response.make_conditional(request)


def www_authenticate(scheme: str, params: Mapping[str, str | None]) -> str:
    """Build a ``WWW-Authenticate`` challenge such as ``Basic realm="proauth2"``."""
    parts = [f'{name}="{safe_description(value)}"' for name, value in params.items() if value is not None]
    return f"{scheme} {', '.join(parts)}" if parts else scheme


def error_response(error: Proauth2Error, headers: Mapping[str, str] | None = None) -> Response:
    """Render an OAuth error as JSON with its status and headers (RFC 6749 §5.2)."""
    body = error.to_dict()
    body.pop("state", None)  # state belongs to authorization redirects only
    merged = dict(error.headers)
    if headers:
        merged.update(headers)
    return json_response(body, error.status_code, merged)
