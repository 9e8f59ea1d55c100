"""The device grant (RFC 8628): a pending poll against a token request failing with ``invalid_grant`` (SQLite).

Through the token endpoint, by the same public client, in rounds taking
turns: an authorization code nobody issued (``invalid_grant``: the client's
lookup, the code's lookup that finds nothing), and a device polling a pending
code on time (``authorization_pending``: the client's lookup, the device
code's lookup, no write: the previous poll's time is in the process's
memory). The provider's clock moves on five seconds (the interval) per pass
over the pending codes, so every poll is on time. Beside them: the same poll
with ``record_every_poll=True`` (one compare-and-set UPDATE more, what exact
``slow_down`` across workers costs) and a device polling too soon
(``slow_down``: that UPDATE, always).

Budget: a pending poll costs what the failed token request costs, within 10%
(the median of paired rounds; decoding the row that exists is the rest).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

from benchmarks.timing import ROUNDS, call_times, overhead, paired_difference, serve
from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.device import DEVICE_CODE_GRANT
from proauth2_wsgi.endpoints import TokenEndpoint
from proauth2_wsgi.grants import DeviceCodeGrant
from proauth2_wsgi.tokens import generate_secret

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

ISSUER = "https://auth.example.com"
#: budget: how much more a pending poll may cost than a failed token request (median of paired rounds)
POLL_BUDGET = 0.10
#: requests of the warm-up before the timed rounds
WARM_UP = 50
#: polls of one device code before it expires (its lifetime over the interval, halved: two pollers move the clock)
POLLS_PER_CODE = 150


class SteppedClock:
    """The provider's time: moved on by hand, so that every poll of the benchmark is on time."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _form_environ(form: dict[str, str]) -> tuple[WSGIEnvironment, bytes]:
    body = urlencode(form).encode()
    environ = EnvironBuilder(method="POST", data=body, content_type="application/x-www-form-urlencoded").get_environ()
    return environ, body


def device_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """Rows of the device table, and the figures of its budget (µs and the relative cost of a poll)."""
    clock = SteppedClock()
    settings = Settings(
        issuer=ISSUER,
        scopes={"profile": "Read your profile"},
        default_scope=frozenset({"profile"}),
        device_verification_uri="/device",
        device_code_lifetime=1800,
        clock=clock,
    )
    provider = Proauth2(database_url, settings)
    recording = Proauth2(database_url, settings)  # another worker, storing every poll's time
    recording.grants.register(DeviceCodeGrant(record_every_poll=True), replace=True)
    client_id = provider.register_app(
        "bench-device",
        ["http://127.0.0.1/callback"],
        grant_types=["authorization_code", DEVICE_CODE_GRANT],
        auth_method="none",
    ).client_id
    interval = provider.settings.device_poll_interval
    polls = ROUNDS * iterations + WARM_UP
    endpoint = TokenEndpoint(provider)
    unknown_code = {"grant_type": "authorization_code", "code": generate_secret(), "code_verifier": "v" * 43}
    failed_environ, failed_body = _form_environ({**unknown_code, "client_id": client_id})

    def poller(server: Proauth2) -> Callable[[int], None]:
        """Polls of pending codes by ``server``'s token endpoint, each code on time (the clock moves per pass)."""
        codes = [
            server.request_device_authorization(client_id)["device_code"] for _ in range(polls // POLLS_PER_CODE + 1)
        ]
        environs = [
            _form_environ({"grant_type": DEVICE_CODE_GRANT, "device_code": c, "client_id": client_id}) for c in codes
        ]
        server_endpoint = TokenEndpoint(server)
        turn = itertools.count()

        def pending(_: int) -> None:
            n = next(turn) % len(environs)
            if n == 0:  # a new pass over the codes: the interval has passed for each
                clock.now += interval
            environ, body = environs[n]
            serve(server_endpoint, {**environ, "wsgi.input": io.BytesIO(body)})

        return pending

    def failed(_: int) -> None:
        serve(endpoint, {**failed_environ, "wsgi.input": io.BytesIO(failed_body)})

    pending, recorded = poller(provider), poller(recording)
    soon_environ, soon_body = _form_environ(
        {
            "grant_type": DEVICE_CODE_GRANT,
            "device_code": provider.request_device_authorization(client_id)["device_code"],
            "client_id": client_id,
        }
    )

    def too_soon(_: int) -> None:
        serve(endpoint, {**soon_environ, "wsgi.input": io.BytesIO(soon_body)})

    for _ in range(WARM_UP):
        failed(0)
        pending(0)
        recorded(0)
    failed_time, pending_time, recorded_time = call_times([failed, pending, recorded], iterations)
    slow_time = call_times([too_soon], max(iterations // 10, 10))[0]
    provider.store.dispose()
    recording.store.dispose()
    figures = {
        "failed": failed_time.median,
        "pending": pending_time.median,
        "gap": overhead(failed_time, pending_time),
        "ratio": paired_difference(failed_time, pending_time),
        "recorded": overhead(failed_time, recorded_time),
    }
    rows = [
        ("device", "token request, unknown code (invalid_grant)", str(failed_time)),
        ("device", "poll, pending (authorization_pending)", f"{pending_time}  ({figures['gap']:+.1f})"),
        ("device", "poll, pending, record_every_poll=True", f"{recorded_time}  ({figures['recorded']:+.1f})"),
        ("device", "poll, too soon (slow_down; 1/10 of the requests)", str(slow_time)),
    ]
    return rows, figures


def device_budget_lines(figures: dict[str, float]) -> list[tuple[str, bool]]:
    """The budget line of this part: (text, within budget)."""
    return [
        (
            f"device poll (pending) vs a failed token request {figures['ratio']:+6.1%} <= {POLL_BUDGET:+.0%} "
            f"({figures['gap']:+.1f} µs; every poll recorded {figures['recorded']:+.1f} µs)",
            figures["ratio"] <= POLL_BUDGET,
        )
    ]
