"""A bounded mixed load over real HTTP, every answer judged: the normal success, or an honest 503.

A few client threads run the flows of :class:`LoadClient` in a loop until
told to stop: the authorization code flow with PKCE (authorize, token,
validation at the protected resource, refresh rotation, introspection,
revocation), a DPoP-bound client credentials token used at the resource
(RFC 9449), and the device flow (RFC 8628: device authorization, polling,
approval, redemption). Every answer is judged (:func:`judge`):

- ``ok`` — what the step normally answers (``authorization_pending`` is a
  normal answer to a poll);
- ``unavailable`` — 503 with ``Retry-After`` and ``temporarily_unavailable``,
  nothing internal in the body: the step is tried again, with the same code,
  refresh token or device code, until it succeeds (so a code or refresh token
  that a 503 burned or rotated away shows as ``invalid_grant``);
- anything else — a violation, recorded with the step's name.

The client waits :data:`RETRY_PAUSE` between tries rather than the
``Retry-After`` the server asks for, to keep the run short.

One case the server cannot tell apart: the database commits a step and the
connection dies before the acknowledgement reaches the worker (a kill or a
shutdown between COMMIT and its reply). The worker answers 503, and the
client's retry finds the credential spent. For a code or a refresh token that
is a replay (RFC 6749 §4.1.2, RFC 9700 §4.14.2): ``invalid_grant``, and the
grant's tokens revoked. What holds then is checked in the database
(``lost_answer``, :mod:`tests.faults.audit`): the credential was spent with its
tokens issued, and none of them is usable any more (for a device approval:
the code is approved). Such a step is counted in ``Tally.lost_answers`` and
ends its flow; anything else is a violation.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from proauth2_wsgi.dpop import DPoPKey
from proauth2_wsgi.pkce import s256_challenge

#: seconds between two tries of a step answered 503
RETRY_PAUSE = 0.1
#: seconds a step may stay unavailable before that counts as a violation (the service never recovered)
GIVE_UP_SECONDS = 60.0
#: seconds an HTTP request may take
REQUEST_TIMEOUT = 30.0
#: the web client's registered redirect URI
REDIRECT_URI = "https://client.example/callback"
#: what no error body may show: a stack trace, a driver, the database
INTERNAL_MARKERS = ("Traceback", 'File "', "psycopg", "pymysql", "peewee", "sqlite", "OperationalError", "proauth2_")
#: steps that spend a one-time credential: tried again after a 503, they must still succeed
ONE_TIME_STEPS = ("code exchange", "refresh", "device redemption")
#: the flows, in the order the threads take them
FLOWS = ("code", "dpop", "device")


@dataclass(frozen=True)
class Credentials:
    """The clients the load uses: a confidential web client, a service, a public device client."""

    web: tuple[str, str]
    service: tuple[str, str]
    device_client: str


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: which step, its status, when (monotonic), and the verdict."""

    step: str
    status: int
    at: float
    verdict: str


class Violation(Exception):
    """An answer that is neither the step's success nor an honest 503: the flow stops."""


class Unavailable(Exception):
    """An honest 503 to a client that does not try again (a probe): the flow stops."""


class LostAnswer(Exception):
    """A step committed behind a 503, its retry refused (the module docstring): the flow stops."""


@dataclass
class Tally:
    """Everything the load saw, shared by its threads."""

    answers: list[Answer] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    #: one-time credentials answered 503 and then redeemed when tried again, by step
    retried: Counter[str] = field(default_factory=Counter)
    #: flows run to their end, by flow
    completed: Counter[str] = field(default_factory=Counter)
    #: steps committed behind a 503 whose retry was refused (the module docstring), by step
    lost_answers: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def violation(self, text: str) -> Violation:
        with self.lock:
            self.violations.append(text)
        return Violation(text)

    def statuses(self, start: float, end: float) -> Counter[int]:
        """The statuses of the answers given between ``start`` and ``end``."""
        with self.lock:
            return Counter(answer.status for answer in self.answers if start <= answer.at < end)

    def unavailable(self, start: float, end: float) -> int:
        """How many honest 503s were answered between ``start`` and ``end``."""
        with self.lock:
            return sum(1 for a in self.answers if a.verdict == "unavailable" and start <= a.at < end)


def judge(step: str, response: requests.Response, ok: Callable[[requests.Response], bool]) -> str:
    """``ok``, ``unavailable`` (an honest 503), or the violation's description."""
    if ok(response):
        return "ok"
    text = response.text
    leaked = [marker for marker in INTERNAL_MARKERS if marker in text]
    if leaked:
        return f"{step}: {response.status_code} body shows {leaked}"
    if response.status_code != 503:
        return f"{step}: {response.status_code} {error_code(response) or text[:120]!r}"
    retry_after = response.headers.get("Retry-After", "")
    if not retry_after.isdigit():
        return f"{step}: 503 without a Retry-After delay ({retry_after!r})"
    if response.headers.get("Content-Type", "").startswith("text/html"):  # the authorization page
        return "unavailable" if "<code>temporarily_unavailable</code>" in text else f"{step}: 503 page {text[:120]!r}"
    if error_code(response) != "temporarily_unavailable":
        return f"{step}: 503 {text[:120]!r}"
    if "WWW-Authenticate" in response.headers:
        return f"{step}: 503 with a challenge: an outage said something about the token"
    return "unavailable"


def error_code(response: requests.Response) -> str | None:
    """The ``error`` member of a JSON error body, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def has(*members: str, status: int = 200) -> Callable[[requests.Response], bool]:
    """A success test: ``status`` with a JSON body holding ``members``."""

    def ok(response: requests.Response) -> bool:
        if response.status_code != status:
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, dict) and all(member in body for member in members)

    return ok


def json_equals(expected: Mapping[str, object]) -> Callable[[requests.Response], bool]:
    """A success test: 200 with exactly this JSON body."""
    return lambda response: response.status_code == 200 and _json(response) == expected


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


class LoadClient:
    """One client thread's flows against ``base_url``, every answer recorded in ``tally``."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        tally: Tally,
        lost_answer: Callable[[str, str], bool],
        *,
        retry: bool = True,
    ) -> None:
        self.base = base_url
        self.credentials = credentials
        self.tally = tally
        #: ``lost_answer(step, secret)``: whether the step spending ``secret`` took effect behind its 503
        self.lost_answer = lost_answer
        #: whether a step answered 503 is tried again (else :class:`Unavailable` ends the flow)
        self.retry = retry
        self.http = requests.Session()
        self.dpop = DPoPKey()

    # -- one step, tried again while the answer is an honest 503 -------------------------

    def step(
        self,
        name: str,
        send: Callable[[], requests.Response],
        ok: Callable[[requests.Response], bool],
        spends: str | None = None,
    ) -> requests.Response:
        """Send the step until its answer is ``ok``; a 503 is tried again, anything else is a :class:`Violation`.

        ``spends`` is the one-time secret the step spends: refused after a
        503, the step is a :class:`LostAnswer` when the database shows that it
        took effect all the same (and that nothing it issued is usable).
        """
        give_up = time.monotonic() + GIVE_UP_SECONDS
        tries = 0
        while True:
            tries += 1
            try:
                response = send()
            except requests.RequestException as exc:
                raise self.tally.violation(f"{name}: no answer ({type(exc).__name__})") from None
            verdict = judge(name, response, ok)
            kind = verdict if verdict in ("ok", "unavailable") else "violation"
            self.tally.record(Answer(name, response.status_code, time.monotonic(), kind))
            if verdict == "ok":
                if tries > 1 and name in ONE_TIME_STEPS:
                    with self.tally.lock:
                        self.tally.retried[name] += 1
                return response
            if verdict != "unavailable":
                if tries > 1 and spends is not None and self.lost_answer(name, spends):
                    with self.tally.lock:
                        self.tally.lost_answers[name] += 1
                    raise LostAnswer(name)
                raise self.tally.violation(verdict + (f" (after {tries - 1} tries answered 503)" if tries > 1 else ""))
            if not self.retry:
                raise Unavailable(name)
            if time.monotonic() > give_up:
                raise self.tally.violation(f"{name}: still 503 after {GIVE_UP_SECONDS:.0f} s")
            time.sleep(RETRY_PAUSE)

    def _post(
        self,
        path: str,
        data: dict[str, str],
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        return self.http.post(self.base + path, data=data, auth=auth, headers=headers, timeout=REQUEST_TIMEOUT)

    def _get(self, path: str, headers: dict[str, str]) -> requests.Response:
        return self.http.get(self.base + path, headers=headers, timeout=REQUEST_TIMEOUT, allow_redirects=False)

    def _me(self, name: str, token: str, expected: Mapping[str, object]) -> None:
        self.step(name, lambda: self._get("/api/me", {"Authorization": f"Bearer {token}"}), json_equals(expected))

    # -- the flows ---------------------------------------------------------------------------

    def code_flow(self) -> None:
        """RFC 6749 §4.1 with PKCE (RFC 7636), then refresh rotation (RFC 9700 §4.14.2), RFC 7662, RFC 7009."""
        web = self.credentials.web
        verifier = secrets.token_urlsafe(48)
        state = secrets.token_urlsafe(8)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": web[0],
                "redirect_uri": REDIRECT_URI,
                "scope": "profile",
                "state": state,
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )

        def redirected_with_code(response: requests.Response) -> bool:
            location = response.headers.get("Location", "")
            params = parse_qs(urlsplit(location).query)
            return (
                response.status_code == 302
                and location.startswith(REDIRECT_URI + "?")
                and params.get("state") == [state]
                and "code" in params
            )

        authorized = self.step("authorize", lambda: self._get(f"/authorize?{query}", {}), redirected_with_code)
        code = parse_qs(urlsplit(authorized.headers["Location"]).query)["code"][0]
        exchange = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }
        tokens = self.step(
            "code exchange",
            lambda: self._post("/oauth/token", exchange, web),
            has("access_token", "refresh_token"),
            spends=code,
        ).json()
        me = {"client_id": web[0], "user_id": "alice"}
        self._me("validate", tokens["access_token"], me)
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        rotated = self.step(
            "refresh",
            lambda: self._post("/oauth/token", refresh, web),
            has("access_token", "refresh_token"),
            spends=tokens["refresh_token"],
        ).json()
        if rotated["refresh_token"] == tokens["refresh_token"]:
            raise self.tally.violation("refresh: the refresh token was not rotated")
        self._me("validate", rotated["access_token"], me)
        introspect = {"token": rotated["access_token"]}
        active = self.step("introspect", lambda: self._post("/oauth/introspect", introspect, web), has("active"))
        if active.json()["active"] is not True:
            raise self.tally.violation("introspect: a live access token is not active")
        revoke = {"token": rotated["refresh_token"], "token_type_hint": "refresh_token"}
        self.step("revoke", lambda: self._post("/oauth/revoke", revoke, web), lambda r: r.status_code == 200)
        inactive = self.step("introspect", lambda: self._post("/oauth/introspect", introspect, web), has("active"))
        if inactive.json()["active"] is not False:  # RFC 7009 §2.1: revoking the refresh token revoked the grant
            raise self.tally.violation("introspect: an access token of a revoked grant is still active")

    def dpop_flow(self) -> None:
        """RFC 9449 §5 and §7: a DPoP-bound client credentials token, used with a new proof per request."""
        service = self.credentials.service
        token_url = self.base + "/oauth/token"
        issued = self.step(
            "dpop token",
            lambda: self._post(
                "/oauth/token",
                {"grant_type": "client_credentials"},
                service,
                {"DPoP": self.dpop.proof("POST", token_url)},
            ),
            has("access_token"),
        ).json()
        if issued.get("token_type") != "DPoP":
            raise self.tally.violation(f"dpop token: token_type {issued.get('token_type')!r}")
        token = issued["access_token"]
        url = self.base + "/api/me"
        self.step(
            "dpop validate",
            lambda: self._get(
                "/api/me", {"Authorization": f"DPoP {token}", "DPoP": self.dpop.proof("GET", url, token)}
            ),
            json_equals({"client_id": service[0], "user_id": None}),
        )

    def device_flow(self) -> None:
        """RFC 8628 §3.1-§3.5: authorization, a pending poll, the user's approval, redemption, use."""
        client_id = self.credentials.device_client
        started = self.step(
            "device authorization",
            lambda: self._post("/oauth/device_authorization", {"client_id": client_id, "scope": "profile"}),
            has("device_code", "user_code", "interval"),
        ).json()
        poll = {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": started["device_code"],
            "client_id": client_id,
        }

        def pending(response: requests.Response) -> bool:
            return response.status_code == 400 and error_code(response) in ("authorization_pending", "slow_down")

        self.step("device poll", lambda: self._post("/oauth/token", poll), pending)
        self.step(
            "device approval",
            lambda: self._post("/device/approve", {"user_code": started["user_code"]}),
            has("approved"),
            spends=started["device_code"],
        )
        tokens = self.step(
            "device redemption",
            lambda: self._post("/oauth/token", poll),
            has("access_token", "refresh_token"),
            spends=started["device_code"],
        ).json()
        self._me("validate", tokens["access_token"], {"client_id": client_id, "user_id": "alice"})

    def probe(self) -> bool:
        """One code flow, no step tried again: True when every answer was a success."""
        try:
            self.code_flow()
        except Unavailable:
            return False
        return True

    def run(self, flows: Iterable[str], stop: threading.Event) -> None:
        """Run ``flows`` in turn until ``stop`` is set; a violation ends the thread (it is recorded)."""
        runners = {"code": self.code_flow, "dpop": self.dpop_flow, "device": self.device_flow}
        order = list(flows)
        turn = 0
        try:
            while not stop.is_set():
                flow = order[turn % len(order)]
                turn += 1
                try:
                    runners[flow]()
                except LostAnswer:  # counted: on to the next flow
                    continue
                with self.tally.lock:
                    self.tally.completed[flow] += 1
        except Violation:  # recorded: the test fails
            return
        finally:
            self.http.close()


class Load:
    """``threads`` client threads running every flow, each starting at a different one."""

    def __init__(
        self, base_url: str, credentials: Credentials, lost_answer: Callable[[str, str], bool], threads: int = 4
    ) -> None:
        self.tally = Tally()
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(
                target=LoadClient(base_url, credentials, self.tally, lost_answer).run,
                args=([*FLOWS[n % len(FLOWS) :], *FLOWS[: n % len(FLOWS)]], self.stop_event),
                name=f"fault-load-{n}",
                daemon=True,
            )
            for n in range(threads)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait_for_every_flow(self, timeout: float) -> bool:
        """Wait (bounded) until each flow has run to its end once; False if one never did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.tally.lock:
                if all(self.tally.completed[flow] for flow in FLOWS) or self.tally.violations:
                    return not self.tally.violations
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = GIVE_UP_SECONDS + 30) -> list[str]:
        """Let each thread end its flow, then stop; the names of threads that did not end in time."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)
        return [thread.name for thread in self.threads if thread.is_alive()]
