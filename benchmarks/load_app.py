"""The WSGI app gunicorn serves for benchmarks/load.py: a bare route, proauth2's, Flask's and Authlib's.

Each worker builds it on import, on the databases benchmarks/load.py seeded
and names in the environment: ``PROAUTH2_LOAD_DATABASE_URL`` (proauth2's
store) and ``PROAUTH2_LOAD_AUTHLIB_URI`` (Authlib's SQLAlchemy URL).

- ``/bare``: the bare WSGI callable of benchmarks/timing.py;
- ``/protected``: ``BearerTokenMiddleware`` over it;
- ``/flask/bare``: a route of Authlib's Flask app (benchmarks/peers/authlib_app.py), unprotected;
- ``/flask/api``: its route behind Authlib's ``ResourceProtector``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from benchmarks.timing import hello_app
from proauth2_wsgi import BearerTokenMiddleware, Proauth2

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: the environment variables naming the databases
DATABASE_URL, AUTHLIB_URI = "PROAUTH2_LOAD_DATABASE_URL", "PROAUTH2_LOAD_AUTHLIB_URI"


def build() -> WSGIApplication:
    protected = BearerTokenMiddleware(hello_app, Proauth2(os.environ[DATABASE_URL]))

    def core(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chosen = protected if environ.get("PATH_INFO") == "/protected" else hello_app
        return chosen(environ, start_response)

    mounts: dict[str, WSGIApplication] = {}
    if os.environ.get(AUTHLIB_URI):
        from benchmarks.peers.authlib_app import AuthlibPeer

        mounts["/flask"] = AuthlibPeer(os.environ[AUTHLIB_URI], seed=False).flask
    return DispatcherMiddleware(core, mounts)


#: what ``gunicorn benchmarks.load_app:app`` serves
app = build() if DATABASE_URL in os.environ else None
