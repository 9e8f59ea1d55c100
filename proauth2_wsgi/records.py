"""The records repository: the provider's one door to its DataStore.

The only module that names a table. It owns the two sequences every
one-time credential needs — :meth:`Records.redeem` (read, detect a replay and
revoke its grant, compare-and-set, issue: codes, rotating refresh tokens and
device codes) and the grant-wide revocations — and it is the provider's
storage boundary: the store's errors are translated here, once.

- :class:`~proauth2_wsgi.stores.errors.StorageUnavailable` (an outage, a
  schema at the wrong version) becomes
  :class:`~proauth2_wsgi.errors.TemporarilyUnavailable`, HTTP 503 with the
  operator's ``detail``;
- a lookup whose key the schema could never hold (a 300-character client
  id, a NUL byte) finds nothing, as it would in the database;
- a :class:`~proauth2_wsgi.stores.errors.SchemaViolation` on a write is a bug
  and propagates as one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from .errors import Proauth2Error, TemporarilyUnavailable
from .stores.base import DataStore, Record
from .stores.errors import DuplicateKey, SchemaViolation, StorageUnavailable
from .tokens import hash_secret

__all__ = ["CODES", "DEVICE_CODES", "PUSHED_REQUESTS", "REFRESH_TOKENS", "OneTime", "Records", "consent_id"]

P = ParamSpec("P")
T = TypeVar("T")

_TOKEN_TABLES = ("access_tokens", "refresh_tokens")
_GRANT_TABLES = ("codes", "access_tokens", "refresh_tokens", "pushed_requests", "device_codes")
_EXPIRING_TABLES = (*_GRANT_TABLES, "dpop_proofs", "client_assertions")


@dataclass(frozen=True)
class OneTime:
    """A kind of one-time credential: its table, its key field, and what "still unused" means."""

    table: str
    key: str
    unused: Mapping[str, Any]


#: authorization codes (RFC 6749 §4.1.2: used at most once)
CODES = OneTime("codes", "code_hash", {"used": False})
#: refresh tokens (RFC 9700 §4.14.2: rotated, each used at most once)
REFRESH_TOKENS = OneTime("refresh_tokens", "token_hash", {"used": False, "revoked": False})
#: pushed authorization requests (RFC 9126 §4: a ``request_uri`` answers one authorization request)
PUSHED_REQUESTS = OneTime("pushed_requests", "request_uri_hash", {"used": False})
#: device codes (RFC 8628 §3.5): redeemed once, after the user approved
DEVICE_CODES = OneTime("device_codes", "device_code_hash", {"used": False, "status": "approved"})


def consent_id(client_id: str, user_id: str) -> str:
    """The key of one user's consent to one client (a digest: both ids may hold any character)."""
    return hash_secret(f"{client_id}\n{user_id}")


def _boundary(method: Callable[P, T]) -> Callable[P, T]:
    """Translate the store's outage into the OAuth 503, once, at the provider's edge."""

    @functools.wraps(method)
    def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except StorageUnavailable as exc:
            raise TemporarilyUnavailable(exc.detail) from exc

    return translated


class Records:
    """Typed access to the tables of one store, for the provider's components."""

    def __init__(self, store: DataStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"<Records {self.store!r}>"

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction: the tokens a grant issues commit with what it consumed."""
        try:
            with self.store.atomic():
                yield
        except StorageUnavailable as exc:
            raise TemporarilyUnavailable(exc.detail) from exc

    def _lookup(self, table: str, **where: Any) -> Record | None:
        try:
            return self.store.fetch(table, **where)
        except SchemaViolation:  # a key no row could have: nothing matches
            return None

    # -- clients ------------------------------------------------------------------

    @_boundary
    def client(self, client_id: str) -> Record | None:
        """The client's record, or None."""
        return self._lookup("clients", client_id=client_id)

    @_boundary
    def clients(self) -> list[Record]:
        """Every client, ordered by id."""
        return self.store.fetch_all("clients")

    @_boundary
    def add_client(self, record: Mapping[str, Any]) -> None:
        """Store a new client."""
        self.store.store("clients", **record)

    @_boundary
    def update_client(self, client_id: str, values: Mapping[str, Any]) -> bool:
        """Change a client's fields; False when there is no such client."""
        try:
            return self.store.update("clients", {"client_id": client_id}, values) > 0
        except SchemaViolation:
            if self._lookup("clients", client_id=client_id) is None:
                return False
            raise

    @_boundary
    def delete_client(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens; False when there was no such client."""
        if self._lookup("clients", client_id=client_id) is None:
            return False
        with self.store.atomic():
            for table in _GRANT_TABLES:
                self.store.remove(table, client_id=client_id)
            return self.store.remove("clients", client_id=client_id) > 0

    # -- codes and tokens ---------------------------------------------------------

    @_boundary
    def add_code(self, record: Mapping[str, Any]) -> None:
        """Store a new authorization code (by its digest)."""
        self.store.store("codes", **record)

    @_boundary
    def add_pushed_request(self, record: Mapping[str, Any]) -> None:
        """Store a pushed authorization request (RFC 9126), by the digest of its ``request_uri``."""
        self.store.store("pushed_requests", **record)

    @_boundary
    def pushed_request(self, request_uri_hash: str) -> Record | None:
        """The pushed authorization request stored under ``request_uri_hash``, or None."""
        return self._lookup("pushed_requests", request_uri_hash=request_uri_hash)

    @_boundary
    def spend(self, kind: OneTime, key: str) -> bool:
        """Mark the one-time record under ``key`` used (a compare-and-set): True for the one caller that did.

        False when it was used already, or is not there: of any number of
        concurrent callers, exactly one gets True.
        """
        return self.store.update(kind.table, {kind.key: key, **kind.unused}, {"used": True}) > 0

    # -- device codes (RFC 8628) ----------------------------------------------------

    @_boundary
    def add_device_code(self, record: Mapping[str, Any]) -> None:
        """Store a new device authorization (by its device code's digest)."""
        self.store.store("device_codes", **record)

    @_boundary
    def device_code(self, device_code_hash: str) -> Record | None:
        """The device authorization stored under ``device_code_hash``, or None."""
        return self._lookup("device_codes", device_code_hash=device_code_hash)

    @_boundary
    def device_codes_with_prefix(self, prefix: str) -> list[Record]:
        """The device authorizations whose user code starts with ``prefix`` (live or not, until purged)."""
        try:
            return self.store.fetch_all("device_codes", user_code_prefix=prefix)
        except SchemaViolation:  # a prefix no row could have
            return []

    @_boundary
    def update_device_code(self, device_code_hash: str, expected: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
        """Set ``values`` on a device authorization still as ``expected`` (a compare-and-set): True if it was."""
        return self.store.update("device_codes", {"device_code_hash": device_code_hash, **expected}, values) > 0

    @_boundary
    def add_access_token(self, record: Mapping[str, Any]) -> None:
        """Store a new access token (by its digest)."""
        self.store.store("access_tokens", **record)

    @_boundary
    def add_refresh_token(self, record: Mapping[str, Any]) -> None:
        """Store a new refresh token (by its digest)."""
        self.store.store("refresh_tokens", **record)

    def access_token(self, token_hash: str) -> Record | None:
        """The access token stored under ``token_hash``, or None: the validation hot path."""
        try:  # what @_boundary does, in line: one call less on every validated request
            return self.store.fetch_by_key("access_tokens", token_hash)
        except StorageUnavailable as exc:
            raise TemporarilyUnavailable(exc.detail) from exc

    @_boundary
    def find_token(self, token_hash: str, refresh_first: bool = False) -> tuple[str, Record] | None:
        """``("access_token" | "refresh_token", record)`` for a token digest, or None."""
        tables = _TOKEN_TABLES[::-1] if refresh_first else _TOKEN_TABLES
        for table in tables:
            record = self.store.fetch_by_key(table, token_hash)
            if record is not None:
                return table[:-1], record
        return None

    @_boundary
    def revoke_access_token(self, token_hash: str) -> bool:
        """Revoke one access token; False when it was revoked already."""
        return self.store.update("access_tokens", {"token_hash": token_hash, "revoked": False}, {"revoked": True}) > 0

    @_boundary
    def revoke_grant(self, grant_id: str) -> int:
        """Revoke every access and refresh token of one grant; returns how many."""
        return self._revoke_where(grant_id=grant_id)

    @_boundary
    def revoke_tokens(self, **where: str) -> int:
        """Revoke every token matching ``user_id=`` and/or ``client_id=``; returns how many."""
        if not where or set(where) - {"user_id", "client_id"}:
            raise ValueError("revoke tokens by user_id or client_id")
        try:
            return self._revoke_where(**where)
        except SchemaViolation:  # an id no row could have
            return 0

    def _revoke_where(self, **where: str) -> int:
        with self.store.atomic():
            return sum(
                self.store.update(table, {**where, "revoked": False}, {"revoked": True}) for table in _TOKEN_TABLES
            )

    @_boundary
    def redeem(
        self,
        kind: OneTime,
        key: str,
        invalid: Proauth2Error,
        check: Callable[[Record], None],
        issue: Callable[[Record], T],
    ) -> T:
        """Consume the one-time credential stored under ``key`` and issue what it is worth, exactly once.

        Reads the record (``invalid`` when there is none); a record already
        used is a replay, so its whole grant is revoked and ``invalid`` raised
        (RFC 6749 §4.1.2, RFC 9700 §4.14.2); ``check`` raises for anything
        else wrong with it. Then, in one transaction, a compare-and-set marks
        it used and ``issue`` runs: of any number of concurrent requests for
        one credential exactly one issues; the others are replays.
        """
        record = self.store.fetch(kind.table, **{kind.key: key})
        if record is None:
            raise invalid
        if record["used"]:
            self._revoke_where(grant_id=record["grant_id"])
            raise invalid
        check(record)
        with self.store.atomic():
            if self.store.update(kind.table, {kind.key: key, **kind.unused}, {"used": True}):
                return issue(record)
        # Someone consumed it between our read and our write: a replay.
        self._revoke_where(grant_id=record["grant_id"])
        raise invalid

    # -- signing keys (OpenID Connect, JWT access tokens) -------------------------------

    @_boundary
    def keys(self) -> list[Record]:
        """Every stored signing key, ordered by kid."""
        return self.store.fetch_all("keys")

    @_boundary
    def add_key(self, record: Mapping[str, Any]) -> None:
        """Store a new signing key (its private half sealed)."""
        self.store.store("keys", **record)

    @_boundary
    def change_key_state(self, kid: str, old_state: str, values: Mapping[str, Any]) -> bool:
        """Move a key from ``old_state`` (compare-and-set, so two rotations never both move it)."""
        return self.store.update("keys", {"kid": kid, "state": old_state}, values) > 0

    @_boundary
    def remove_key(self, kid: str) -> bool:
        """Forget a key (a retired one past its grace period)."""
        return self.store.remove("keys", kid=kid) > 0

    # -- remembered consents (OpenID Connect prompt=none, repeat sign-ins) ------------------

    @_boundary
    def consent(self, client_id: str, user_id: str) -> Record | None:
        """What ``user_id`` consented to give ``client_id``, or None."""
        return self._lookup("consents", consent_id=consent_id(client_id, user_id))

    @_boundary
    def consents_of(self, user_id: str) -> list[Record]:
        """Every consent a user gave, ordered by id."""
        try:
            return self.store.fetch_all("consents", user_id=user_id)
        except SchemaViolation:
            return []

    @_boundary
    def remember_consent(self, client_id: str, user_id: str, scopes: frozenset[str], now: int) -> None:
        """Add ``scopes`` to what the user consented to give the client."""
        key = consent_id(client_id, user_id)
        for _ in range(2):  # a concurrent first consent of the same pair makes the insert a duplicate
            current = self.store.fetch("consents", consent_id=key)
            if current is not None:
                merged = frozenset(current["scopes"]) | scopes
                self.store.update("consents", {"consent_id": key}, {"scopes": merged, "updated_at": now})
                return
            try:
                with self.store.atomic():  # a savepoint inside a transaction: a duplicate aborts it on PostgreSQL
                    self.store.store(
                        "consents",
                        consent_id=key,
                        client_id=client_id,
                        user_id=user_id,
                        scopes=scopes,
                        created_at=now,
                        updated_at=now,
                    )
                return
            except DuplicateKey:
                continue

    @_boundary
    def withdraw_consent(self, client_id: str, user_id: str) -> tuple[bool, int]:
        """Forget the consent and revoke every token the user's grants to the client hold: (had one, revoked)."""
        with self.store.atomic():
            removed = self.store.remove("consents", consent_id=consent_id(client_id, user_id)) > 0
            try:
                revoked = self._revoke_where(client_id=client_id, user_id=user_id)
            except SchemaViolation:
                revoked = 0
        return removed, revoked

    # -- DPoP proofs (RFC 9449 §11.1) -------------------------------------------------

    @_boundary
    def first_use(self, proof_hash: str, expires_at: int) -> bool:
        """Record a DPoP proof by its digest: True the first time, False for a replay (any process, any worker)."""
        try:
            self.store.store("dpop_proofs", proof_hash=proof_hash, expires_at=expires_at)
        except DuplicateKey:
            return False
        return True

    # -- client assertions (RFC 7523 §3) ------------------------------------------------

    @_boundary
    def first_assertion_use(self, client_id: str, jti: str, expires_at: int) -> bool:
        """Record a client assertion's ``jti``: True the first time, False for a replay (any process, any worker).

        RFC 7523 §3 item 7: a ``jti`` is used once. It is kept, by the digest
        of ``client_id:jti`` (each client is its own issuer), until
        ``expires_at``, when :meth:`purge_expired` may drop it.
        """
        assertion_hash = hash_secret(f"{client_id}:{jti}")
        try:
            self.store.store("client_assertions", assertion_hash=assertion_hash, expires_at=expires_at)
        except DuplicateKey:
            return False
        return True

    # -- maintenance ----------------------------------------------------------------

    @_boundary
    def purge_expired(self, cutoff: int, batch_size: int) -> int:
        """Delete codes, tokens and DPoP proofs with ``expires_at < cutoff`` in batches; returns rows deleted."""
        total = 0
        for table in _EXPIRING_TABLES:
            while True:
                removed = self.store.remove_expired(table, cutoff, batch_size)
                total += removed
                if removed < batch_size:
                    break
        return total
