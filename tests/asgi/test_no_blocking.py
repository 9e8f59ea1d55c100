"""The event loop never waits for a validator: blocking ones run in a bounded pool, offline ones and cache hits inline.

The slow validator is the real provider behind a ``time.sleep`` (a slow
database); the requests are real HTTP to uvicorn, which runs one event loop.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import BearerTokenMiddleware, ValidationPool
from proauth2_wsgi.models import AccessToken
from proauth2_wsgi.token_cache import TokenCache
from proauth2_wsgi.validators import JWTValidator
from proauth2_wsgi.validators.jwks import JwksCache
from tests.asgi.conftest import SlowValidator, bearer, run_async, serve_asgi, wait_for
from tests.conftest import FakeClock
from tests.http_server import serve
from tests.middleware.conftest import Tokens

DELAY = 0.5
ISSUER = "https://auth.example.com"
API = "https://api.example.com"


async def who(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.user.identity)


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


APP = Starlette(routes=[Route("/who", who), Route("/health", health)])


@pytest.fixture
def slow(provider: Proauth2) -> SlowValidator:
    return SlowValidator(provider, DELAY)


@pytest.fixture
def run(slow: SlowValidator) -> Iterator[Any]:
    """``run(**options)``: the app behind the middleware over the slow validator, under uvicorn; its base URL."""
    opened: list[Any] = []

    def start(validator: Any = slow, **options: Any) -> str:
        app = BearerTokenMiddleware(APP, validator, public_paths=["/health"], **options)
        context = serve_asgi(app)
        opened.append((context, app))
        return context.__enter__()

    yield start
    for context, app in reversed(opened):
        context.__exit__(None, None, None)
        app.close()


def get(url: str, token: str | None = None) -> requests.Response:
    return requests.get(url, headers=bearer(token) if token else {}, timeout=30)


def test_concurrent_slow_validations_take_one_delay_not_n(run: Any, slow: SlowValidator, tokens: Tokens) -> None:
    """8 requests whose validation sleeps 0.5 s each finish in about 0.5 s: none waits for another on the loop."""
    base = run()
    token = tokens.for_user("alice")
    started = time.monotonic()
    with ThreadPoolExecutor(8) as clients:
        answers = list(clients.map(lambda _: get(f"{base}/who", token), range(8)))
    elapsed = time.monotonic() - started
    assert [answer.text for answer in answers] == ["alice"] * 8
    assert elapsed < 2 * DELAY, elapsed  # serialised, it would be 8 * DELAY
    assert slow.peak == 8


def test_a_public_path_and_a_request_without_token_answer_while_validations_are_pending(
    run: Any, slow: SlowValidator, tokens: Tokens
) -> None:
    base = run()
    token = tokens.for_user()
    with ThreadPoolExecutor(4) as clients:
        pending = [clients.submit(get, f"{base}/who", token) for _ in range(4)]
        wait_for(lambda: slow.active == 4)
        started = time.monotonic()
        assert get(f"{base}/health").text == "ok"
        assert get(f"{base}/who").status_code == 401  # no token: decided on the loop, no pool
        assert time.monotonic() - started < DELAY / 2
        assert slow.active == 4  # the validations were still pending meanwhile
        assert [future.result().text for future in pending] == ["alice"] * 4


def test_the_thread_pool_is_bounded(run: Any, slow: SlowValidator, tokens: Tokens) -> None:
    """``max_workers=2``: six slow validations run two at a time, in two threads, while the loop stays free."""
    slow.delay = 0.3
    base = run(max_workers=2)
    token = tokens.for_user()
    started = time.monotonic()
    with ThreadPoolExecutor(6) as clients:
        pending = [clients.submit(get, f"{base}/who", token) for _ in range(6)]
        wait_for(lambda: slow.active == 2)
        assert get(f"{base}/health").text == "ok"
        assert [future.result().status_code for future in pending] == [200] * 6
    assert time.monotonic() - started >= 3 * 0.3 - 0.05
    assert slow.peak == 2
    assert len(slow.threads) == 2
    assert all(name.startswith("proauth2-validation") for name in slow.threads)


def test_a_cache_hit_is_answered_on_the_loop_even_with_the_pool_busy(
    run: Any, slow: SlowValidator, tokens: Tokens
) -> None:
    base = run(cache_ttl=5, max_workers=1)
    cached, other = tokens.for_user("alice"), tokens.for_user("bob")
    assert get(f"{base}/who", cached).text == "alice"  # a miss: validated in the pool, then cached
    with ThreadPoolExecutor(1) as clients:
        busy = clients.submit(get, f"{base}/who", other)  # occupies the only thread for DELAY
        wait_for(lambda: slow.active == 1)
        started = time.monotonic()
        assert get(f"{base}/who", cached).text == "alice"
        assert time.monotonic() - started < DELAY / 2
        assert busy.result().text == "bob"
    assert slow.calls == 2


def test_max_workers_must_be_positive(provider: Proauth2) -> None:
    with pytest.raises(ValueError, match="max_workers"):
        BearerTokenMiddleware(APP, provider, max_workers=0)


def test_a_pool_closed_starts_again_on_the_next_validation() -> None:
    pool = ValidationPool(1)
    assert run_async(pool.run(threading.current_thread)).name.startswith("proauth2-validation")
    pool.close()
    assert run_async(pool.run(lambda: 42)) == 42
    pool.close()


# -- offline JWT validation runs inline ---------------------------------------------------------


class Recording:
    """A validator wrapper noting the threads it validates in, ``runs_inline`` passed through."""

    def __init__(self, validator: Any) -> None:
        self.validator = validator
        self.threads: list[str] = []

    @property
    def runs_inline(self) -> bool:
        return bool(self.validator.runs_inline)

    def validate_token(self, token: str, request: Any) -> AccessToken:
        self.threads.append(threading.current_thread().name)
        return self.validator.validate_token(token, request)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)


def jwt_access_token(key: ECKey, user: str = "alice") -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": API,
        "sub": user,
        "client_id": "web",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
        "scope": "profile",
    }
    return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": "k1"}, claims, key)


def test_offline_jwt_validation_with_static_keys_runs_on_the_event_loop(run: Any, key: ECKey) -> None:
    validator = Recording(JWTValidator(issuer=ISSUER, audience=API, keys=KeySet([key]), algorithms=["ES256"]))
    base = run(validator)
    assert get(f"{base}/who", jwt_access_token(key)).text == "alice"
    assert validator.threads == ["uvicorn"]  # the server's loop thread, not a pool thread


def test_runs_inline_follows_the_freshness_of_the_fetched_key_set(key: ECKey) -> None:
    document = KeySet([key]).as_dict(private=False)

    def jwks(environ: Any, start_response: Any) -> list[bytes]:
        import json

        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(document).encode()]

    clock = FakeClock(1000.0)
    with serve(jwks) as url:
        validator = JWTValidator(issuer=ISSUER, audience=API, jwks_uri=f"{url}/jwks", algorithms=["ES256"])
        validator.jwks = JwksCache(f"{url}/jwks", clock=clock, max_age=3600)
        assert validator.runs_inline is False  # no keys yet: the first validation fetches them
        assert validator.validate_token(jwt_access_token(key)).user_id == "alice"
        assert validator.runs_inline is True
        clock.advance(3600)
        assert validator.runs_inline is False  # stale: the next validation fetches again
    assert TokenCache(validator, 5).runs_inline is False
    static = JWTValidator(issuer=ISSUER, audience=API, keys=KeySet([key]), algorithms=["ES256"])
    assert static.runs_inline is True and TokenCache(static, 5).runs_inline is True


def test_the_token_cache_lookup_never_asks_the_validator(provider: Proauth2, tokens: Tokens, clock: FakeClock) -> None:
    slow = SlowValidator(provider, 0)
    cache = TokenCache(slow, 5, clock=clock)
    token = tokens.for_user()
    assert cache.cached(token) is None and slow.calls == 0
    cache.validate_token(token, None)  # type: ignore[arg-type]
    assert cache.cached(token) == provider.validate_token(token) and slow.calls == 1
    clock.advance(5)
    assert cache.cached(token) is None and slow.calls == 1
