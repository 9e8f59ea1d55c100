"""The provider's signing keys: made, published, rotated and retired; stored encrypted (RFC 7517, RFC 7638).

Each key has a state:

- ``next`` — published in the JWK set, not signing yet, so that every cache
  that fetches the set holds it before it signs anything;
- ``current`` — signs (the newest current key of an algorithm);
- ``retired`` — published for ``Settings.key_grace_period`` more, so that
  what it signed still verifies, then dropped.

:meth:`KeySet.rotate` moves every algorithm one step: its ``next`` key becomes
``current``, the ``current`` one ``retired``, a new ``next`` key is made, and
retired keys past their grace are deleted. The first use makes the first
keys (a ``current`` and a ``next`` one per algorithm). Stored keys are
encrypted under ``Settings.key_secret`` (:mod:`.key_encryption`); keys may
instead come from configuration (``Settings.signing_keys``: a private JWK set
or PEM files), and are then never stored. ``kid`` is the key's RFC 7638
thumbprint. Each process keeps its copy of the set for
:data:`KEY_CACHE_SECONDS`: another worker's rotation reaches it within that
time, well before the key it promoted could have been unpublished anywhere.
While a ``current`` key is younger than that (the first keys, or a retired
signer's replacement: made current at once, never published as ``next``),
every process reads the keys again whenever it publishes them (the JWK set,
verification) instead: workers starting together may each make first keys,
and each must publish all of them, whichever it signs with.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from joserfc import jwk, jws, jwt
from joserfc.errors import JoseError

from .key_encryption import open_sealed, seal

if TYPE_CHECKING:
    from .records import Records
    from .settings import Settings

__all__ = ["KEY_CACHE_SECONDS", "KeyManagementError", "KeySet", "SigningKey", "UnverifiableToken"]

#: seconds a process trusts its copy of the key set before reading it again
KEY_CACHE_SECONDS = 60.0
#: the key each algorithm is made with
_KEY_MAKERS: dict[str, Callable[[], Any]] = {
    "RS256": lambda: jwk.RSAKey.generate_key(2048),
    "ES256": lambda: jwk.ECKey.generate_key("P-256"),
}
_NEXT, _CURRENT, _RETIRED = "next", "current", "retired"


class KeyManagementError(RuntimeError):
    """Keys cannot be made or changed as asked (no key secret, configured keys, no such key)."""


class UnverifiableToken(ValueError):
    """A JWT this server cannot verify: malformed, an unknown key, a bad signature, a refused algorithm."""


@dataclass(frozen=True)
class SigningKey:
    """One signing key and where it is in its life; the private half never prints."""

    kid: str
    alg: str
    state: str
    created_at: int
    activated_at: int | None = None
    retired_at: int | None = None
    #: the joserfc key (private for the server's own keys)
    key: Any = field(default=None, repr=False, compare=False)
    #: False for a key from configuration (not stored, not rotated here)
    stored: bool = True

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public JWK, as the JWK set publishes it."""
        return {**self.key.as_dict(private=False), "kid": self.kid, "alg": self.alg, "use": "sig"}


class KeySet:
    """The signing keys of one provider."""

    def __init__(self, settings: Settings, records: Records, now: Callable[[], int]) -> None:
        self._settings = settings
        self._records = records
        self._now = now
        self._configured = _configured_keys(settings.signing_keys)
        self._opened: dict[str, Any] = {}  # kid -> joserfc key: a sealed key is opened once per process
        # (read at, keys, whether a current key is too young for the copy to be published)
        self._cache: tuple[float, list[SigningKey], bool] | None = None
        self._rendered: tuple[tuple[tuple[str, str], ...], dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"<KeySet {'configured' if self._configured else 'stored'} {', '.join(self._settings.signing_algorithms)}>"
        )

    # -- reading ----------------------------------------------------------------------

    def keys(self) -> list[SigningKey]:
        """Every key the server has (configured or stored), newest first within a state."""
        if self._configured:
            return list(self._configured)
        cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        keys = sorted((self._from_record(record) for record in self._records.keys()), key=_newest_first)
        young = self._now() - KEY_CACHE_SECONDS
        settling = any(key.state == _CURRENT and key.created_at > young for key in keys)
        self._cache = (time.monotonic(), keys, settling)
        return keys

    def forget(self) -> None:
        """Read the stored keys again at the next use (after a change made elsewhere)."""
        self._cache = None

    def published(self) -> list[SigningKey]:
        """The keys the JWK set shows: next, current, and retired ones still in their grace period.

        The first keys are made when the set is first asked for, so that a
        client that fetches it early already holds the key that will sign.
        While a current key is young, the keys are read again: another
        process may have made its own first keys at the same moment.
        """
        cached = self._cache
        if cached is not None and cached[2]:
            self.forget()
        keys = self.keys()
        if not keys and not self._configured and self._settings.key_secret is not None:
            self.ensure()
            keys = self.keys()
        cutoff = self._now() - self._settings.key_grace_period
        return [key for key in keys if key.state != _RETIRED or (key.retired_at or 0) > cutoff]

    def jwks(self) -> dict[str, Any]:
        """The JWK set document (RFC 7517 §5), rendered again only when the published keys change."""
        published = self.published()
        signature = tuple((key.kid, key.state) for key in published)
        rendered = self._rendered
        if rendered is None or rendered[0] != signature:
            rendered = (signature, {"keys": [key.public_jwk for key in published]})
            self._rendered = rendered
        return rendered[1]

    def signing_key(self, alg: str) -> SigningKey:
        """The key that signs with ``alg`` now; the first keys are made on the first use."""
        for key in self.keys():
            if key.alg == alg and key.state == _CURRENT:
                return key
        if alg not in self._settings.signing_algorithms:
            raise KeyManagementError(
                f"no signing key for {alg}: signing_algorithms are {self._settings.signing_algorithms}"
            )
        self.ensure()
        for key in self.keys():
            if key.alg == alg and key.state == _CURRENT:
                return key
        raise KeyManagementError(f"no current signing key for {alg}")  # pragma: no cover - ensure() made one

    # -- signing and verifying -----------------------------------------------------------

    def sign(self, claims: Mapping[str, Any], alg: str, typ: str = "JWT") -> str:
        """A compact JWS of ``claims``, signed by the current key for ``alg``."""
        key = self.signing_key(alg)
        return jwt.encode({"alg": alg, "kid": key.kid, "typ": typ}, dict(claims), key.key, algorithms=[alg])

    def verify(self, token: str, algorithms: Collection[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``(header, claims)`` of a JWT one of the published keys signed; :class:`UnverifiableToken` else.

        Only the signature, the key and the algorithm are checked here; what
        the claims must say (``iss``, ``aud``, ``exp``) is the caller's.
        """
        allowed = list(algorithms or self._settings.signing_algorithms)
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise UnverifiableToken(f"not a compact JWS ({type(exc).__name__})") from None
        kid, alg = header.get("kid"), header.get("alg")
        if alg not in allowed:
            raise UnverifiableToken("the token's algorithm is not accepted")
        key = next((key for key in self.published() if key.kid == kid and key.alg == alg), None)
        if key is None:
            self.forget()  # a key another worker made meanwhile
            key = next((key for key in self.published() if key.kid == kid and key.alg == alg), None)
        if key is None:
            raise UnverifiableToken("the token names no key this server publishes")
        try:
            decoded = jwt.decode(token, key.key, algorithms=[alg])
        except (JoseError, ValueError) as exc:
            raise UnverifiableToken(f"the signature does not verify ({type(exc).__name__})") from None
        return dict(decoded.header), dict(decoded.claims)

    # -- changing ------------------------------------------------------------------------

    def ensure(self) -> list[SigningKey]:
        """Make the first keys: a ``current`` and a ``next`` key for each algorithm that has none; those made."""
        self._require_storage()
        made = []
        with self._lock:
            self.forget()
            for alg in self._settings.signing_algorithms:
                states = {key.state for key in self.keys() if key.alg == alg}
                if _CURRENT not in states:
                    made.append(self._make(alg, _CURRENT))
                if _NEXT not in states:
                    made.append(self._make(alg, _NEXT))
            self.forget()
        return made

    def rotate(self) -> list[SigningKey]:
        """One step for every algorithm: next -> current -> retired, a new next key; expired retired keys dropped.

        Returns the keys as they are afterwards.
        """
        self._require_storage()
        fresh = {key.alg for key in self.ensure() if key.state == _CURRENT}  # first keys: nothing to move yet
        now = self._now()
        with self._lock:
            self.forget()
            keys = self.keys()
            for alg in self._settings.signing_algorithms:
                if alg not in fresh:
                    self._step(alg, keys, now)
            cutoff = now - self._settings.key_grace_period
            for key in keys:
                if key.state == _RETIRED and (key.retired_at or 0) <= cutoff:
                    self._records.remove_key(key.kid)
            self.forget()
        return self.keys()

    def retire(self, kid: str) -> SigningKey:
        """Retire one key now (it stays published for the grace period).

        A current key's algorithm steps on as in :meth:`rotate` (its next key,
        published already, signs; a new next key is made); a next key is
        replaced by a new one.
        """
        self._require_storage()
        key = next((key for key in self.keys() if key.kid == kid), None)
        if key is None:
            self.forget()
            key = next((key for key in self.keys() if key.kid == kid), None)
        if key is None:
            raise KeyManagementError(f"no key {kid!r}")
        if key.state == _RETIRED:
            raise KeyManagementError(f"key {kid!r} is retired already")
        if key.state == _CURRENT:
            # Its algorithm steps on: the next key, which every worker and client already publishes, signs.
            with self._lock:
                self.forget()
                self._step(key.alg, self.keys(), self._now())
        else:
            self._records.change_key_state(key.kid, key.state, {"state": _RETIRED, "retired_at": self._now()})
        self.forget()
        self.ensure()  # a retired next key is replaced
        return next(k for k in self.keys() if k.kid == kid)

    def _step(self, alg: str, keys: list[SigningKey], now: int) -> None:
        """Move one algorithm's keys on: current -> retired, the oldest next -> current, a new next key."""
        for key in keys:
            if key.alg == alg and key.state == _CURRENT:
                self._records.change_key_state(key.kid, _CURRENT, {"state": _RETIRED, "retired_at": now})
        # The oldest waiting key has been published longest (a concurrent start may have made two).
        upcoming = sorted((key for key in keys if key.alg == alg and key.state == _NEXT), key=_oldest_first)
        if upcoming:
            self._records.change_key_state(upcoming[0].kid, _NEXT, {"state": _CURRENT, "activated_at": now})
        else:
            self._make(alg, _CURRENT)
        self._make(alg, _NEXT)

    def _make(self, alg: str, state: str) -> SigningKey:
        secret = self._settings.key_secret
        if secret is None:  # _require_storage saw to it
            raise KeyManagementError("no key_secret: signing keys are only made encrypted (set key_secret)")
        key = _KEY_MAKERS[alg]()
        kid = key.thumbprint()
        now = self._now()
        private = json.dumps(key.as_dict(private=True), separators=(",", ":")).encode()
        record = {
            "kid": kid,
            "alg": alg,
            "public_jwk": {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"},
            "sealed_private_jwk": seal(secret, kid, private),
            "state": state,
            "created_at": now,
            "activated_at": now if state == _CURRENT else None,
            "retired_at": None,
        }
        self._records.add_key(record)
        self._opened[kid] = key
        return SigningKey(kid, alg, state, now, record["activated_at"], None, key)

    def _require_storage(self) -> None:
        if self._configured:
            raise KeyManagementError("the signing keys come from configuration (signing_keys): change them there")
        if self._settings.key_secret is None:
            raise KeyManagementError("no key_secret: signing keys are only made encrypted (set key_secret)")

    def _from_record(self, record: Mapping[str, Any]) -> SigningKey:
        kid = record["kid"]
        key = self._opened.get(kid)
        if key is None:
            secret = self._settings.key_secret
            if secret is None:
                raise KeyManagementError("the stored signing keys need the key_secret they were sealed with")
            key = jwk.import_key(json.loads(open_sealed(secret, kid, record["sealed_private_jwk"])))
            self._opened[kid] = key
        return SigningKey(
            kid, record["alg"], record["state"], record["created_at"], record["activated_at"], record["retired_at"], key
        )


def _newest_first(key: SigningKey) -> tuple[int, int]:
    return (-(key.activated_at or 0), -key.created_at)


def _oldest_first(key: SigningKey) -> int:
    return key.created_at


def _configured_keys(source: Mapping[str, Any] | tuple[str, ...] | None) -> list[SigningKey]:
    """Keys from configuration: every one published; the first of each algorithm signs."""
    if source is None:
        return []
    if isinstance(source, Mapping):
        imported = [jwk.import_key(dict(entry)) for entry in source["keys"]]
    else:
        imported = [_pem_key(Path(path).read_bytes()) for path in source]
    keys: list[SigningKey] = []
    for key in imported:
        if not key.is_private:
            raise KeyManagementError(f"signing key {key.kid or key.thumbprint()}: a private key is needed to sign")
        alg = str(key.get("alg") or _algorithm_of(key))
        state = _CURRENT if all(existing.alg != alg for existing in keys) else _NEXT
        keys.append(SigningKey(key.kid or key.thumbprint(), alg, state, 0, 0, None, key, stored=False))
    return keys


def _pem_key(pem: bytes) -> Any:
    """A joserfc key from a PEM private key (RSA or EC), its type read from the key itself."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    loaded = load_pem_private_key(pem, password=None)
    if isinstance(loaded, rsa.RSAPrivateKey):
        return jwk.RSAKey.import_key(pem)
    if isinstance(loaded, ec.EllipticCurvePrivateKey):
        return jwk.ECKey.import_key(pem)
    raise KeyManagementError("signing keys from PEM files are RSA or EC private keys")


def _algorithm_of(key: Any) -> str:
    if key.key_type == "RSA":
        return "RS256"
    if key.key_type == "EC" and key.get("crv") == "P-256":
        return "ES256"
    raise KeyManagementError(f"signing key {key.thumbprint()}: RSA (RS256) or EC P-256 (ES256) keys only")
