"""flask_proauth2: the proauth2 OAuth 2.1 authorization server as a Flask extension.

``oauth = Proauth2(app)`` (or ``oauth.init_app(app)``) mounts the token,
revocation, introspection, metadata and optional registration endpoints;
``@oauth.require_oauth("scope")`` guards API views and ``current_token`` is
the request's access token; ``flask proauth2 ...`` manages clients and tokens.
"""

from .extension import Proauth2 as Proauth2
from .globals import current_token as current_token

__all__ = ["Proauth2", "current_token"]
