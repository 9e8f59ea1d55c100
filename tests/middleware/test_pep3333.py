"""PEP 3333: the middleware passes wsgiref's validator, returns the app's iterable, is thread-safe."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.validate import validator

import pytest
from werkzeug.test import Client

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from tests.middleware.conftest import Tokens, bearer, echo_app


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        pytest.param("valid", 200, id="200"),
        pytest.param("none", 401, id="401"),
        pytest.param("malformed", 400, id="400"),
        pytest.param("scope", 403, id="403"),
        pytest.param("public", 200, id="public"),
    ],
)
def test_pep3333_validator_on_both_sides(provider: Proauth2, tokens: Tokens, kind: str, status: int) -> None:
    """wsgiref.validate checks what the server gives the middleware and what it gives the app."""
    app = validator(
        BearerTokenMiddleware(
            validator(echo_app), provider, rules=[("/admin", "admin")], public_paths=["/public"], allow_form_token=True
        )
    )
    headers = {
        "valid": bearer(tokens.for_user()),
        "none": {},
        "malformed": {"Authorization": "Bearer"},
        "scope": bearer(tokens.for_user()),
        "public": {},
    }[kind]
    path = {"scope": "/admin", "public": "/public"}.get(kind, "/")
    with Client(app).get(path, headers=headers) as response:
        assert response.status_code == status


def test_pep3333_validator_with_form_token(provider: Proauth2, tokens: Tokens) -> None:
    app = validator(BearerTokenMiddleware(validator(echo_app), provider, allow_form_token=True))
    with Client(app).post("/", data={"access_token": tokens.for_user()}) as response:
        assert response.status_code == 200


class StreamedBody:
    """A streamed response body that records whether the server closed it."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"chunk one,"
        yield b"chunk two"

    def close(self) -> None:
        self.closed = True


def test_pep3333_close_of_streamed_body_propagates(provider: Proauth2, tokens: Tokens) -> None:
    body = StreamedBody()

    def app(environ: Any, start_response: Any) -> StreamedBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    response = Client(validator(BearerTokenMiddleware(app, provider))).get("/", headers=bearer(tokens.for_user()))
    assert response.data == b"chunk one,chunk two"
    response.close()
    assert body.closed


def test_pep3333_close_propagates_when_client_stops_early(provider: Proauth2, tokens: Tokens) -> None:
    body = StreamedBody()

    def app(environ: Any, start_response: Any) -> StreamedBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = BearerTokenMiddleware(app, provider)
    response = Client(middleware).get("/", headers=bearer(tokens.for_user()), buffered=False)
    next(iter(response.response))
    response.close()
    assert body.closed


def test_thread_safety_each_request_sees_its_own_token(provider: Proauth2, tokens: Tokens) -> None:
    """32 concurrent requests, 8 users: no environ or cache ever mixes two requests."""
    users = [f"user{i}" for i in range(8)]
    issued = {user: tokens.for_user(user) for user in users}
    for options in ({}, {"cache_ttl": 5.0, "cache_size": 4}):
        client = Client(BearerTokenMiddleware(echo_app, provider, **options))

        def call(i: int, client: Client = client) -> tuple[str, str]:
            user = users[i % len(users)]
            return user, client.get("/", headers=bearer(issued[user])).json["user_id"]

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(call, range(64)))
        assert all(user == seen for user, seen in results)
