"""The device authorization grant's codes and its user side (RFC 8628 §3.1-3.3, §5, §6.1).

A device with no browser (a TV, a CLI, an IoT box) asks for a pair of codes
(:meth:`DeviceFlow.authorize`, served by
:class:`~proauth2_wsgi.endpoints.device_authorization.DeviceAuthorizationEndpoint`):

- the **device code**, 256 bits from :mod:`secrets`, which only the device
  holds and polls the token endpoint with; stored only as its SHA-256 digest;
- the **user code** the user types on another screen: 8 letters from the
  20 consonants ``BCDFGHJKLMNPQRSTVWXZ`` (RFC 8628 §6.1: no vowels, so no
  words; no digits or letters one mistakes for another), shown ``XXXX-XXXX``
  and compared without regard to case, dashes or spaces. Unique among the
  codes still alive.

The host app's verification page (it authenticates the user; the library
renders nothing) calls :meth:`DeviceFlow.request` with what the user typed
to show which client asks for what, then :meth:`DeviceFlow.approve` or
:meth:`DeviceFlow.deny`. A user code has only ~34.6 bits, so guessing is
limited twice (RFC 8628 §5.1):

- **per code**: the first half of the code is looked up, the second half is
  compared in constant time. A wrong second half counts against the code it
  was meant for (``failed_attempts``, in the database, so every worker
  shares it); at ``device_user_code_attempts`` (5) the code is locked (denied:
  the device gets ``access_denied`` and must start again). Whatever the number
  of guesses, a code is found by chance with a probability of at most
  5 / 20^4 = 1 in 32,000.
- **per verification session**: a session (an id the host app gives: a
  login session, a user id) that entered ``device_user_code_attempts`` wrong
  codes is refused for ``device_code_lifetime`` seconds, right codes included
  (:class:`TooManyAttempts`). :class:`MemoryAttemptLimiter` counts in this
  process (bounded); any :class:`AttemptLimiter` may replace it
  (``provider.device.attempts = ...``) to share the count between workers.

Every refusal is the same :class:`InvalidUserCode`, whether the code never
existed, expired, was used, decided or locked: the page learns nothing a
guesser could use.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .authorization_requests import as_login
from .errors import InvalidGrant, TemporarilyUnavailable, UnauthorizedClient, UnsupportedGrantType
from .forking import call_in_forked_child
from .scopes import format_scope, grant_scope
from .tokens import constant_time_equals, generate_id, generate_secret, hash_secret
from .uris import add_query

if TYPE_CHECKING:
    from .clients import Clients
    from .models import Client
    from .oidc.login import Login
    from .records import Records
    from .request import Parameters
    from .resources import Audiences
    from .settings import Settings
    from .stores.base import Record

__all__ = [
    "DEVICE_CODE_GRANT",
    "USER_CODE_ALPHABET",
    "AttemptLimiter",
    "DeviceAuthorization",
    "DeviceFlow",
    "DeviceRequest",
    "InvalidUserCode",
    "MemoryAttemptLimiter",
    "TooManyAttempts",
    "format_user_code",
    "new_user_code",
    "normalise_user_code",
]

#: the ``grant_type`` of the device authorization grant (RFC 8628 §3.4)
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 §6.1: 20 consonants, base-20, no vowels (no words), none mistaken for another
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
#: letters in a user code: 20^8, some 2.6e10 codes (34.6 bits)
USER_CODE_LENGTH = 8
#: letters of a user code looked up; the rest is compared in constant time, and counts failures
PREFIX_LENGTH = 4
#: longest typed text looked at (a code with dashes and spaces fits many times over)
MAX_TYPED_LENGTH = 64
#: fresh user codes drawn before giving up: each collides with a live code's first half rarely
MAX_DRAWS = 20
#: verification sessions a :class:`MemoryAttemptLimiter` remembers (the oldest forgotten first)
DEFAULT_SESSIONS = 10_000

#: the states of a device authorization
PENDING, APPROVED, DENIED = "pending", "approved", "denied"

_SEPARATORS = str.maketrans("", "", "- \t\n\r\u00a0\u2010\u2011\u2012\u2013\u2014")


class InvalidUserCode(InvalidGrant):
    """The user code is not one this user may decide on now: wrong, expired, used, decided or locked.

    One answer for all, so that a guesser learns nothing; the page asks the
    user to check the code or to start again on the device.
    """

    #: what a page may show
    PUBLIC_DESCRIPTION = "this code is not valid: check it, or start again on your device for a new one"

    def __init__(self, error_description: str = PUBLIC_DESCRIPTION) -> None:
        super().__init__(error_description)


class TooManyAttempts(InvalidUserCode):
    """The verification session entered too many wrong codes (RFC 8628 §5.1): it waits before trying again."""

    PUBLIC_DESCRIPTION = "too many wrong codes: wait a few minutes before trying again"

    def __init__(self) -> None:
        super().__init__(self.PUBLIC_DESCRIPTION)


def new_user_code() -> str:
    """A fresh user code, normalised: :data:`USER_CODE_LENGTH` letters drawn with :func:`secrets.choice`."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def normalise_user_code(typed: object) -> str | None:
    """What the user typed as a stored user code: upper case, without dashes or spaces; None if it cannot be one."""
    if not isinstance(typed, str) or len(typed) > MAX_TYPED_LENGTH:
        return None
    code = typed.translate(_SEPARATORS).upper()
    if len(code) != USER_CODE_LENGTH or any(letter not in USER_CODE_ALPHABET for letter in code):
        return None
    return code


def format_user_code(code: str) -> str:
    """A normalised user code as it is shown: ``BCDF-GHJK`` (RFC 8628 §6.1)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@dataclass(frozen=True)
class DeviceAuthorization:
    """The device authorization response (RFC 8628 §3.2); the device code never prints."""

    device_code: str = field(repr=False)
    #: as the user is shown it: ``BCDF-GHJK``
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int

    def to_response(self) -> dict[str, Any]:
        """The §3.2 JSON body."""
        return {
            "device_code": self.device_code,
            "user_code": self.user_code,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": self.verification_uri_complete,
            "expires_in": self.expires_in,
            "interval": self.interval,
        }


@dataclass(frozen=True)
class DeviceRequest:
    """What a verification page shows before the user decides: which client asks, for what, until when."""

    client: Client
    scopes: frozenset[str]
    #: the resources the tokens will be for (RFC 8707); empty: no particular audience
    audience: tuple[str, ...]
    #: as the user is shown it: ``BCDF-GHJK`` (put it in the approval form)
    user_code: str
    expires_at: int

    @property
    def client_name(self) -> str:
        """The client's registered name."""
        return self.client.name

    @property
    def scope(self) -> str:
        """The requested scope in its wire form."""
        return format_scope(self.scopes)


class AttemptLimiter(Protocol):
    """Wrong user codes per verification session (RFC 8628 §5.1), by a key the host app gives."""

    def locked(self, key: str) -> bool:
        """True when the session ``key`` may not try a code now."""
        ...

    def failed(self, key: str) -> None:
        """Count one wrong code entered in the session ``key``."""
        ...


class MemoryAttemptLimiter:
    """Wrong codes per session in this process: ``limit`` within ``window`` seconds locks a session.

    The window starts at a session's first wrong code; once it has passed
    the session starts afresh. At most ``sessions`` sessions are remembered,
    the oldest forgotten first. Thread-safe; a forked child gets a fresh
    lock. Each process counts its own: behind ``n`` workers a session may
    try up to ``n`` times ``limit`` codes (the per-code limit, in the
    database, holds whatever the worker).
    """

    def __init__(self, limit: int, window: int, now: Callable[[], float], sessions: int = DEFAULT_SESSIONS) -> None:
        if limit < 1 or window < 1 or sessions < 1:
            raise ValueError("limit, window and sessions must be at least 1")
        self.limit = limit
        self.window = window
        self.sessions = sessions
        self._now = now
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, since)
        self._lock = threading.Lock()
        call_in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MemoryAttemptLimiter {len(self._failures)}/{self.sessions} sessions>"

    def _current(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._failures.get(key)
        if entry is not None and now - entry[1] >= self.window:
            del self._failures[key]
            return None
        return entry

    def locked(self, key: str) -> bool:
        with self._lock:
            entry = self._current(key, self._now())
            return entry is not None and entry[0] >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            now = self._now()
            count, since = self._current(key, now) or (0, now)
            self._failures[key] = (count + 1, since)
            self._failures.move_to_end(key)
            while len(self._failures) > self.sessions:
                self._failures.popitem(last=False)


class DeviceFlow:
    """Device authorizations for one provider: issued to devices, decided by users, limited against guessing.

    ``attempts`` counts wrong codes per verification session; by default a
    :class:`MemoryAttemptLimiter` of ``device_user_code_attempts`` per
    ``device_code_lifetime``.
    """

    def __init__(
        self,
        settings: Settings,
        records: Records,
        clients: Clients,
        audiences: Audiences,
        now: Callable[[], int],
        attempts: AttemptLimiter | None = None,
    ) -> None:
        self._settings = settings
        self._records = records
        self._clients = clients
        self._audiences = audiences
        self._now = now
        #: wrong codes per verification session (replace it to share the count between workers)
        self.attempts: AttemptLimiter = attempts or MemoryAttemptLimiter(
            settings.device_user_code_attempts, settings.device_code_lifetime, settings.clock
        )

    def __repr__(self) -> str:
        return f"<DeviceFlow {self._settings.device_verification_url!r}>"

    # -- the device's side: RFC 8628 §3.1, §3.2 ----------------------------------------

    def authorize(self, client: Client, params: Parameters, jkt: str | None = None) -> DeviceAuthorization:
        """A device authorization for an authenticated client: its ``scope`` and ``resource`` checked, codes issued.

        ``jkt`` is the thumbprint of the request's DPoP proof (RFC 9449): the
        device code is then bound to that key, as ``dpop_jkt`` binds a code.
        """
        verification_uri = self._settings.device_verification_url
        if verification_uri is None:
            raise UnsupportedGrantType("the device authorization grant is off here (no device_verification_uri)")
        if DEVICE_CODE_GRANT not in client.grant_types:
            raise UnauthorizedClient("this client may not use the device authorization grant")
        scopes = grant_scope(
            params.get("scope"), client.default_scope, client.scopes & frozenset(self._settings.scopes)
        )
        audience = self._audiences.requested(params.getlist("resource"), client)
        self._audiences.check_scopes(audience, scopes)
        now = self._now()
        device_code = generate_secret()
        user_code = self._fresh_user_code(now)
        self._records.add_device_code(
            {
                "device_code_hash": hash_secret(device_code),
                "user_code": user_code,
                "user_code_prefix": user_code[:PREFIX_LENGTH],
                "client_id": client.client_id,
                "scopes": scopes,
                "audience": list(audience),
                "grant_id": generate_id(),
                "status": PENDING,
                "user_id": None,
                "interval": self._settings.device_poll_interval,
                "last_polled_at": None,
                "failed_attempts": 0,
                "expires_at": now + self._settings.device_code_lifetime,
                "used": False,
                "auth_time": None,
                "acr": None,
                "amr": [],
                "claims": {},
                "jkt": jkt,
            }
        )
        shown = format_user_code(user_code)
        return DeviceAuthorization(
            device_code,
            shown,
            verification_uri,
            add_query(verification_uri, {"user_code": shown}),
            self._settings.device_code_lifetime,
            self._settings.device_poll_interval,
        )

    def _fresh_user_code(self, now: int) -> str:
        """A user code whose first half no live code has (so the whole code is unique among them too)."""
        for _ in range(MAX_DRAWS):
            code = new_user_code()
            if not any(row["expires_at"] > now for row in self._records.device_codes_with_prefix(code[:PREFIX_LENGTH])):
                return code
        raise TemporarilyUnavailable("no free user code: too many device authorizations are pending")

    # -- the user's side: the host app's verification page (RFC 8628 §3.3) ------------------

    def request(self, user_code: object, session: str | None) -> DeviceRequest:
        """What the user code the user typed asks for, to show before the user decides.

        ``session`` identifies the verification session (the host app's
        login session, or the user's id) for the per-session limit; None
        leaves only the per-code limit. Raises :class:`InvalidUserCode` (or
        :class:`TooManyAttempts`).
        """
        record, client = self._find(user_code, session)
        return self._shown(record, client)

    def approve(self, user_code: object, user: Login | str | int, session: str | None) -> DeviceRequest:
        """The signed-in user approves: the device's next poll gets the tokens; the consent is remembered.

        ``user`` is the :class:`~proauth2_wsgi.oidc.Login` (who, when, how:
        what an ID token says) or the user's id, for a user authenticated now.
        """
        record, client = self._find(user_code, session)
        now = self._now()
        login = as_login(user, now)
        approved = {
            "status": APPROVED,
            "user_id": login.user_id,
            "auth_time": login.auth_time,
            "acr": login.acr,
            "amr": list(login.amr),
        }
        # One transaction: an outage (503) leaves the code undecided, so the user's retry approves it, rather than
        # an approval stored behind a 503 that the retry then calls an invalid code.
        with self._records.atomic():
            if not self._records.update_device_code(record["device_code_hash"], _UNDECIDED, approved):
                raise InvalidUserCode()  # decided by another request meanwhile
            self._records.remember_consent(client.client_id, login.user_id, frozenset(record["scopes"]), now)
        return self._shown(record, client)

    def deny(self, user_code: object, session: str | None) -> DeviceRequest:
        """The user denies: the device's next poll gets ``access_denied``."""
        record, client = self._find(user_code, session)
        if not self._records.update_device_code(record["device_code_hash"], _UNDECIDED, {"status": DENIED}):
            raise InvalidUserCode()
        return self._shown(record, client)

    def _find(self, user_code: object, session: str | None) -> tuple[Record, Client]:
        """The undecided, live device authorization of ``user_code``, its guessing limits applied."""
        key = None if session is None else _session_key(session)
        if key is not None and self.attempts.locked(key):
            raise TooManyAttempts()
        code = normalise_user_code(user_code)
        if code is not None:
            now = self._now()
            candidates = [
                row
                for row in self._records.device_codes_with_prefix(code[:PREFIX_LENGTH])
                if row["status"] == PENDING and not row["used"] and row["expires_at"] > now
            ]
            for record in candidates:
                if constant_time_equals(record["user_code"], code):
                    client = self._clients.get(record["client_id"])
                    if client is not None:
                        return record, client
            for record in candidates:  # a wrong second half: a guess at these codes
                self._count_failure(record)
        if key is not None:
            self.attempts.failed(key)
        raise InvalidUserCode()

    def _count_failure(self, record: Record) -> None:
        """One more wrong code for ``record``; at the limit it is locked (denied). Retried under concurrency."""
        limit = self._settings.device_user_code_attempts
        for _ in range(limit + 1):
            failed = record["failed_attempts"] + 1
            values: dict[str, Any] = {"failed_attempts": failed}
            if failed >= limit:
                values["status"] = DENIED
            expected = {"status": PENDING, "failed_attempts": record["failed_attempts"]}
            if self._records.update_device_code(record["device_code_hash"], expected, values):
                return
            current = self._records.device_code(record["device_code_hash"])
            if current is None or current["status"] != PENDING:
                return
            record = current

    def _shown(self, record: Record, client: Client) -> DeviceRequest:
        return DeviceRequest(
            client,
            frozenset(record["scopes"]),
            tuple(record.get("audience") or ()),
            format_user_code(record["user_code"]),
            record["expires_at"],
        )


#: what a device authorization must still be for a user to decide on it
_UNDECIDED: Mapping[str, Any] = {"status": PENDING, "used": False}


def _session_key(session: str) -> str:
    """What the limiter remembers of a session identifier: its digest (the identifier may be a secret)."""
    if not isinstance(session, str) or not session:
        raise TypeError("session is the verification session's identifier: a non-empty string")
    return hash_secret(session)
