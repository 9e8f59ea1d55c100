"""The same protected endpoint in a bare WSGI callable, Flask, Django, Falcon and Bottle.

Each app answers ``GET /whoami`` with the ``proauth2.user_id`` the middleware
put into its environ; :func:`build` mounts them all, each behind its own
:class:`~proauth2_wsgi.BearerTokenMiddleware`, under ``/bare``, ``/flask``,
``/django``, ``/falcon`` and ``/bottle``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import bottle
import django
import falcon
import flask
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import path
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.middleware import USER_ID

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FRAMEWORKS = ("bare", "flask", "django", "falcon", "bottle")


def bare_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    if environ.get("PATH_INFO") != "/whoami":
        return NotFound()(environ, start_response)
    body = str(environ[USER_ID]).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def flask_app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/whoami")
    def whoami() -> str:
        return str(flask.request.environ[USER_ID])

    return app


def django_whoami(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.META[USER_ID]), content_type="text/plain")


#: this module is Django's ROOT_URLCONF
urlpatterns = [path("whoami", django_whoami)]


def django_app() -> WSGIHandler:
    if not settings.configured:
        settings.configure(
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="tests-only-not-secret",
            DEBUG=False,
            INSTALLED_APPS=[],
            MIDDLEWARE=[],
            LOGGING_CONFIG=None,
            USE_TZ=True,
        )
        django.setup(set_prefix=False)
    return WSGIHandler()


class FalconWhoami:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = str(req.env[USER_ID])


def falcon_app() -> falcon.App:
    app = falcon.App()
    app.add_route("/whoami", FalconWhoami())
    return app


def bottle_app() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/whoami")
    def whoami() -> str:
        return str(bottle.request.environ[USER_ID])

    return app


def build(provider: Proauth2, **options: Any) -> WSGIApplication:
    """Every framework's app behind its own middleware, mounted under its name."""
    apps: dict[str, Any] = {
        "bare": bare_app,
        "flask": flask_app(),
        "django": django_app(),
        "falcon": falcon_app(),
        "bottle": bottle_app(),
    }
    mounts = {f"/{name}": BearerTokenMiddleware(app, provider, **options) for name, app in apps.items()}
    return DispatcherMiddleware(NotFound(), mounts)
