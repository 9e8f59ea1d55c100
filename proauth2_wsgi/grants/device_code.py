"""The device authorization grant (RFC 8628 §3.4, §3.5): a device polls with its device code until the user decides.

The device code (:mod:`proauth2_wsgi.device`: 256 bits, stored by digest) comes
with the client's authentication (a public client names itself). While the
user has not decided, every poll is answered (RFC 8628 §3.5):

- ``authorization_pending``: poll again after ``interval`` seconds;
- ``slow_down``: polled sooner than ``interval`` after the previous poll
  (or at the same moment as another poll of the same code); the code's
  interval grows by :data:`SLOW_DOWN_SECONDS` for this and every later poll;
- ``access_denied`` once the user denied (or the code was locked after too
  many wrong user codes), ``expired_token`` once it expired.

An approved code is redeemed exactly once
(:meth:`Records.redeem <proauth2_wsgi.records.Records.redeem>`): tokens as the
code grant issues them (a refresh token when the client may have one, an ID
token with ``openid``, DPoP-bound with a proof), for the user who approved,
with the sign-in they approved with. Redeemed again, it is ``invalid_grant``
and everything issued from it is revoked. A device code bound to a DPoP key at
the device authorization request polls with a proof by that key only.

A pending poll costs what a failed token request costs: one read, no write.
The time of each code's previous poll is kept by the process that answered it
(:class:`RecentPolls`, bounded); what ``slow_down`` changes — the raised
interval, and the time of that poll (``last_polled_at``) — goes to the
database, so every worker enforces it. A device spreading its polls over
``n`` workers may therefore poll up to ``n`` times too often before it is
slowed down (a tight loop is caught at once). ``record_every_poll=True``
stores every poll's time instead (exact across workers, one more write per
poll: a commit, some 20 µs on SQLite and a WAL flush on PostgreSQL).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from ..device import APPROVED, DENIED, DEVICE_CODE_GRANT, PENDING
from ..errors import AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, SlowDown
from ..forking import call_in_forked_child
from ..issuance import GrantedAccess, IssuedTokens
from ..records import DEVICE_CODES
from ..tokens import constant_time_equals, hash_secret
from .base import Grant, GrantContext, TokenRequest, presented_secret

if TYPE_CHECKING:
    from ..stores.base import Record

__all__ = ["DEFAULT_RECENT_POLLS", "SLOW_DOWN_SECONDS", "DeviceCodeGrant", "RecentPolls"]

#: RFC 8628 §3.5: what ``slow_down`` adds to a device code's polling interval
SLOW_DOWN_SECONDS = 5
#: device codes whose previous poll one process remembers (some 200 bytes each)
DEFAULT_RECENT_POLLS = 10_000

_BAD_CODE = "the device code is invalid, expired or already used"


class RecentPolls:
    """When each device code was last polled, as far as this process knows: at most ``size`` codes.

    The oldest are forgotten first (a forgotten code's next poll is taken as
    on time). Thread-safe; a forked child gets a fresh lock.
    """

    def __init__(self, size: int = DEFAULT_RECENT_POLLS) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._last: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        call_in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RecentPolls {len(self._last)}/{self.size}>"

    def __len__(self) -> int:
        return len(self._last)

    def poll(self, key: str, now: int, interval: int, shared: int | None) -> bool:
        """Note a poll of ``key`` at ``now``: True when on time (``interval`` after the previous one, or the first).

        ``shared`` is the previous poll the database knows of (another
        worker's ``slow_down``), the later of the two counts. Of concurrent
        polls in this process, one at most is on time.
        """
        with self._lock:
            last = self._last.get(key)
            if shared is not None and (last is None or shared > last):
                last = shared
            self._last[key] = now
            self._last.move_to_end(key)
            if len(self._last) > self.size:
                self._last.popitem(last=False)
        return last is None or now - last >= interval

    def forget(self, key: str) -> None:
        """Forget ``key`` (decided, redeemed or expired: it is polled no more)."""
        with self._lock:
            self._last.pop(key, None)


class DeviceCodeGrant(Grant):
    """``urn:ietf:params:oauth:grant-type:device_code``: tokens for a device code, once its user approved.

    ``record_every_poll`` stores every poll's time in the database (slow_down
    exact across workers, one write per poll); by default only slow_downs are.
    """

    name = DEVICE_CODE_GRANT
    parameters = ("device_code", "resource")
    repeatable = frozenset({"resource"})
    issues_refresh_tokens = True

    def __init__(self, *, record_every_poll: bool = False, recent_polls: RecentPolls | None = None) -> None:
        self.record_every_poll = record_every_poll
        #: this process's memory of each pending code's previous poll
        self.recent_polls = recent_polls or RecentPolls()

    def exchange(self, context: GrantContext, request: TokenRequest) -> IssuedTokens:
        device_code = presented_secret(request, "device_code", _BAD_CODE)
        client = request.client
        resources = request.params.getlist("resource")
        key = hash_secret(device_code)

        def check(record: Record) -> None:
            if not constant_time_equals(record["client_id"], client.client_id):
                raise InvalidGrant(_BAD_CODE)
            bound = record.get("jkt")
            if bound is not None and (request.dpop_jkt is None or not constant_time_equals(bound, request.dpop_jkt)):
                raise InvalidGrant("the DPoP proof is not by the key the device authorization request was made with")
            now = context.now()
            status = record["status"]
            if status == PENDING and record["expires_at"] > now:
                self._poll(context, record, now)  # raises
            self.recent_polls.forget(key)
            if record["expires_at"] <= now:
                raise ExpiredToken("the device code has expired: start again")
            if status == DENIED:
                raise AccessDenied("the user denied the request", status_code=400)  # RFC 8628 §3.5: a §5.2 error
            if status != APPROVED:
                raise InvalidGrant(_BAD_CODE)

        def issue(record: Record) -> IssuedTokens:
            granted = tuple(record.get("audience") or ())
            audience = context.audiences.narrowed(resources, client, granted)
            access = GrantedAccess.from_record(client, record, audience=audience, jkt=request.dpop_jkt)
            refresh = context.settings.issue_refresh_tokens and "refresh_token" in client.grant_types
            if "openid" in access.scopes:  # OIDC Core §11: refresh tokens for offline access only
                refresh = refresh and "offline_access" in access.scopes
            return context.issuer.issue(access, refresh=refresh, refresh_audience=granted)

        return context.records.redeem(DEVICE_CODES, key, InvalidGrant(_BAD_CODE), check, issue)

    def _poll(self, context: GrantContext, record: Record, now: int) -> None:
        """Answer a poll of a pending code: ``slow_down`` when too soon, else ``authorization_pending``.

        Too soon, the raised interval and this poll's time are stored (a
        compare-and-set on the interval: of two slow_downs at one moment, one
        raises it). On time, nothing is written unless ``record_every_poll``.
        """
        key = record["device_code_hash"]
        shared = record["last_polled_at"]
        interval = record["interval"]
        if self.record_every_poll:  # a compare-and-set on the previous poll's time: one on time, in any worker
            on_time = (shared is None or now - shared >= interval) and context.records.update_device_code(
                key, {"last_polled_at": shared}, {"last_polled_at": now}
            )
        else:
            on_time = self.recent_polls.poll(key, now, interval, shared)
        if on_time:
            raise AuthorizationPending()
        slower = interval + SLOW_DOWN_SECONDS
        context.records.update_device_code(key, {"interval": interval}, {"interval": slower, "last_polled_at": now})
        raise SlowDown(f"polled too soon: poll every {slower} seconds at most")
