"""The URLs and views of the Django project of :mod:`benchmarks.peers.dot_app` (its ``ROOT_URLCONF``).

Imported by Django once it is set up: DOT's views import its models.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.generic import ProtectedResourceView

#: the signed-in user of the authorization view (the host's login is no part of the flow)
signed_in: list[Any] = []


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


def user_view(request: HttpRequest) -> HttpResponse:
    """A view behind ``OAuth2TokenMiddleware``: the token's user, or 401."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return HttpResponse("no token", status=401, content_type="text/plain")
    return HttpResponse("hello", content_type="text/plain")


class Hello(ProtectedResourceView):  # type: ignore[misc]
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("hello", content_type="text/plain")


_authorization_view = AuthorizationView.as_view()


def authorize(request: HttpRequest) -> HttpResponse:
    """DOT's ``AuthorizationView`` for the signed-in user (what the host's login would have set)."""
    request.user = signed_in[0]
    return _authorization_view(request)  # type: ignore[no-any-return]


urlpatterns = [
    path("o/authorize/", authorize),
    path("o/", include("oauth2_provider.urls")),
    path("bare", bare),
    path("api", Hello.as_view()),
    path("user", user_view),
]
