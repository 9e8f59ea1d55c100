"""``current_token``: the access token of the current request, loaded once per request into ``g``.

Inside a view guarded by :meth:`Proauth2.require_oauth
<flask_proauth2.Proauth2.require_oauth>` it is the validated token. Elsewhere
it is loaded on first use from the ``Authorization`` header (or taken from the
environ when :class:`~proauth2_wsgi.middleware.BearerTokenMiddleware` already
validated it); a missing or invalid token makes it ``None``, so
``if current_token:`` tells the two apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import current_app, g
from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from proauth2_wsgi import AccessToken

#: attribute of ``flask.g`` holding the request's token (or None once looked up)
G_ATTRIBUTE = "_proauth2_token"


def _load_token() -> AccessToken | None:
    if G_ATTRIBUTE not in g:
        setattr(g, G_ATTRIBUTE, current_app.extensions["proauth2"].load_token())
    return cast("AccessToken | None", getattr(g, G_ATTRIBUTE))


#: the current request's :class:`~proauth2_wsgi.AccessToken` (``user_id``,
#: ``client_id``, ``scopes``, ``expires_at``), or None
current_token: AccessToken | None = LocalProxy(_load_token)  # type: ignore[assignment]
