"""The provider served over loopback HTTP as a resource server's issuer, counting what it is asked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@dataclass
class CountingIssuer:
    """The provider's endpoints as a WSGI app, counting requests per path (``down`` answers 500 to all)."""

    provider: Proauth2
    hits: Counter[str] = field(default_factory=Counter)
    down: bool = False

    def __post_init__(self) -> None:
        self.server = AuthorizationServer(self.provider)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.hits[environ.get("PATH_INFO", "")] += 1
        if self.down:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"down for maintenance"]
        return self.server(environ, start_response)
