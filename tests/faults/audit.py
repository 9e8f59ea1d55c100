"""The audit after a fault: no half-issued grant in the database, read with plain SQL under the store.

A grant is what one authorization code or one device code starts (its
``grant_id``, carried by every token issued from it). Each issue of a grant —
the code's redemption, then each refresh — writes one access token and one
refresh token, in the transaction that consumed the code or the previous
refresh token (:meth:`proauth2_wsgi.records.Records.redeem`). So, whatever
failed when:

1. every token belongs to a grant: a code or device code with its ``grant_id``
   (a client credentials token, with no user, is a grant of its own, and has no
   refresh token);
2. a token's code or device code is consumed (``used``): nothing issued from an
   unconsumed code;
3. every consumed code has its tokens: at least one access and one refresh token
   (revoked or not: a replay or a revocation marks them, never deletes them);
4. the refresh tokens of a grant form one chain: exactly one of them is not
   consumed (the live end, revoked or not), so no rotation consumed a refresh
   token without storing its successor;
5. a grant has as many access tokens as refresh tokens (one of each per issue).

:func:`lost_answer` checks the one case the server cannot tell apart (see
:mod:`tests.faults.load`): a step answered 503 that took effect all the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from proauth2_wsgi.tokens import hash_secret
from tests.databases import query

#: the one-time record each step of the load spends: table and key column
_SPENT_BY = {
    "code exchange": ("codes", "code_hash"),
    "refresh": ("refresh_tokens", "token_hash"),
    "device redemption": ("device_codes", "device_code_hash"),
}


@dataclass
class Audit:
    """What the audit counted, and every problem it found."""

    grants: int = 0
    consumed_codes: int = 0
    access_tokens: int = 0
    refresh_tokens: int = 0
    rotations: int = 0
    problems: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        """The counts, for the report."""
        return {
            "grants": self.grants,
            "consumed_codes": self.consumed_codes,
            "access_tokens": self.access_tokens,
            "refresh_tokens": self.refresh_tokens,
            "rotations": self.rotations,
            "problems": len(self.problems),
        }


def audit(database_url: str) -> Audit:
    """Check the invariants of the module docstring on the database of ``database_url``."""
    consumed: dict[str, bool] = {}
    for table in ("codes", "device_codes"):
        for grant_id, used in query(database_url, f"SELECT grant_id, used FROM proauth2_{table}"):
            consumed[str(grant_id)] = bool(used)
    access = query(database_url, "SELECT grant_id, user_id FROM proauth2_access_tokens")
    refresh = query(database_url, "SELECT grant_id, used FROM proauth2_refresh_tokens")
    result = Audit(
        grants=len(consumed),
        consumed_codes=sum(consumed.values()),
        access_tokens=len(access),
        refresh_tokens=len(refresh),
        rotations=sum(1 for _, used in refresh if used),
    )
    access_per_grant = Counter(str(grant_id) for grant_id, user_id in access if user_id is not None)
    refresh_per_grant = Counter(str(grant_id) for grant_id, _ in refresh)
    live_refresh = Counter(str(grant_id) for grant_id, used in refresh if not used)
    problems = result.problems
    for grant_id in sorted(set(access_per_grant) | set(refresh_per_grant)):
        if grant_id not in consumed:
            problems.append(f"grant {grant_id}: tokens without a code or device code")
        elif not consumed[grant_id]:
            problems.append(f"grant {grant_id}: tokens issued from a code never consumed")
    for grant_id, used in sorted(consumed.items()):
        if not used:
            continue
        if not access_per_grant[grant_id] or not refresh_per_grant[grant_id]:
            problems.append(
                f"grant {grant_id}: code consumed, {access_per_grant[grant_id]} access and "
                f"{refresh_per_grant[grant_id]} refresh tokens (burned)"
            )
            continue
        if live_refresh[grant_id] != 1:
            problems.append(f"grant {grant_id}: {live_refresh[grant_id]} unconsumed refresh tokens (a broken rotation)")
        if access_per_grant[grant_id] != refresh_per_grant[grant_id]:
            problems.append(
                f"grant {grant_id}: {access_per_grant[grant_id]} access tokens for "
                f"{refresh_per_grant[grant_id]} refresh tokens (a half-issued rotation)"
            )
    return result


def lost_answer(database_url: str) -> Callable[[str, str], bool]:
    """``check(step, secret)``: whether a step answered 503, then refused, took effect all the same.

    For a redemption: the credential is spent, and every token of its grant
    is revoked (what the retry's replay detection did), so nothing issued
    behind the lost answer is usable. For a device approval: the device code
    is approved (its redemption then works).
    """

    def check(step: str, secret: str) -> bool:
        digest = hash_secret(secret)
        if step == "device approval":
            statuses = query(
                database_url, "SELECT status FROM proauth2_device_codes WHERE device_code_hash = %s", (digest,)
            )
            return statuses == [("approved",)]
        table, key = _SPENT_BY[step]
        rows = query(database_url, f"SELECT grant_id, used FROM proauth2_{table} WHERE {key} = %s", (digest,))
        if not rows or not rows[0][1]:
            return False
        grant_id = rows[0][0]
        revoked = [
            bool(flag)
            for table in ("access_tokens", "refresh_tokens")
            for (flag,) in query(database_url, f"SELECT revoked FROM proauth2_{table} WHERE grant_id = %s", (grant_id,))
        ]
        return bool(revoked) and all(revoked)

    return check
