"""``private_key_jwt``: the client signs a JWT with its own private key (RFC 7523 §2.2, §3; OIDC Core §9).

The client registers public keys only — inline (``jwks``, a JWK set) or by
URL (``jwks_uri``) — and authenticates each request with a fresh assertion::

    client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
    client_assertion=<compact JWS>

:class:`PrivateKeyJwt` checks, per RFC 7523 §3: a compact JWS signed with an
accepted asymmetric algorithm (``settings.client_assertion_algorithms``:
never ``none``, never HS*), by one of the client's keys (the one its ``kid``
names, else each of the first five of the algorithm's type); ``iss`` and ``sub`` are the
client's id; ``aud`` names the endpoint's URL or the issuer (RFC 7523bis
recommends the issuer, accepted at every endpoint); ``exp`` is required,
not passed and at most ``client_assertion_max_lifetime`` ahead; ``iat`` and
``nbf``, when present, are not in the future (all within :data:`LEEWAY`);
``jti`` is required and spent once, for every worker, through the store
(:meth:`~proauth2_wsgi.records.Records.first_assertion_use`). Claims are
checked before the signature, so a wrong assertion costs no signature check
and no fetch; the ``jti`` only once the signature verified, so nobody else
can spend a client's ``jti``. Every refusal is the same ``invalid_client``
(the reason goes to the ``proauth2.client_auth`` log, never the assertion).

Keys published at a ``jwks_uri`` are fetched with the defences of client
metadata documents (:class:`~proauth2_wsgi.cimd.fetching.DocumentFetcher`:
https only, public addresses only and pinned, no redirects, a deadline, at
most :data:`MAX_JWKS_BYTES`) and kept in a bounded cache for the answer's
``max-age`` clamped to the ``cimd_cache_*`` bounds
(:class:`~proauth2_wsgi.cimd.cache.DocumentCache`). An assertion naming a
``kid`` the set lacks (a rotation) has the set fetched again, at most once
per ``cimd_cache_min_ttl`` seconds per URL however many assertions ask.

``client_secret_jwt`` (an HMAC under the client secret) is not offered:
the server would have to keep the secret itself, where proauth2 keeps only
its digest.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSAlgModel, JWSRegistry
from joserfc.util import base64_to_int

from ..compact_jws import COMPACT, b64decode, json_object
from ..errors import InvalidClient, InvalidClientMetadata, InvalidRequest
from .base import ClientAuthContext, ClientAuthMethod, PresentedCredentials

if TYPE_CHECKING:
    from ..cimd.cache import DocumentCache
    from ..cimd.fetching import DocumentFetcher
    from ..models import Client
    from ..request import EndpointRequest
    from ..settings import Settings

__all__ = [
    "ASSERTION_TYPE",
    "LEEWAY",
    "MAX_JWKS_BYTES",
    "ClientKey",
    "ClientKeySets",
    "PrivateKeyJwt",
    "checked_key_metadata",
    "public_keys",
]

#: the ``client_assertion_type`` of a JWT client assertion (RFC 7523 §2.2)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: characters of an assertion at most (a 4096-bit RSA signature is 683 of them)
MAX_ASSERTION_LENGTH = 8192
#: characters of a ``jti`` at most
MAX_JTI_LENGTH = 255
#: seconds of clock difference tolerated on ``exp``, ``iat`` and ``nbf``
LEEWAY = 30
#: largest JWK set read from a ``jwks_uri`` (a client metadata document gets 5 KiB)
MAX_JWKS_BYTES = 64 * 1024
#: the answers a ``jwks_uri`` may give (RFC 7517 §8.5)
JWKS_MEDIA_TYPES = ("application/json", "application/jwk-set+json")
#: keys of one JWK set at most
MAX_KEYS = 100
#: keys tried for one assertion (each is a signature check): an assertion naming no ``kid`` (or one that
#: several keys share) is tried against the first of the keys of its algorithm's type only
MAX_KEYS_TRIED = 5
#: clients whose inline keys are kept imported, the oldest dropped first
MAX_CACHED_CLIENTS = 4096

_FAILED = "client authentication failed"
_LOG = logging.getLogger("proauth2.client_auth")
#: ``typ`` values accepted: none, the generic JWT ones, RFC 7523bis's explicit type
_TYPES = frozenset({"jwt", "application/jwt", "client-authentication+jwt", "application/client-authentication+jwt"})
_KEY_CLASSES: dict[str, type[ECKey] | type[OKPKey] | type[RSAKey]] = {"EC": ECKey, "OKP": OKPKey, "RSA": RSAKey}
#: JWK members of private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: the OKP curves that sign (RFC 8037 §3.1); X25519 and X448 are for key agreement
_SIGNING_CURVES = frozenset({"Ed25519", "Ed448"})
_RSA_BITS = range(2048, 4096 + 1)
_RSA_EXPONENT_BITS = 32


class _Refused(Exception):
    """Why an assertion is refused: for the log, never for the client."""


@dataclass(frozen=True)
class ClientKey:
    """One public key of a client: its ``kid`` (when the set names one), and the algorithms it verifies here."""

    kid: str | None
    key: ECKey | OKPKey | RSAKey
    algorithms: frozenset[str]


def public_keys(jwks: object, algorithms: Iterable[str]) -> tuple[ClientKey, ...]:
    """The signing keys of a client's JWK set (RFC 7517 §5), or :class:`ValueError` saying what is wrong.

    Private or symmetric key material anywhere in the set is refused, never
    skipped (such a key is compromised once it is sent), as are malformed
    keys and RSA keys outside 2048 to 4096 bits. Keys that verify none of
    ``algorithms`` (``use: enc``, X25519, P-384...) are left out; at least one
    key must remain.
    """
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ValueError("jwks must be a JWK set: an object with a keys array")
    entries = jwks["keys"]
    if not entries or len(entries) > MAX_KEYS:
        raise ValueError(f"jwks must hold 1 to {MAX_KEYS} keys")
    models = {alg: JWSRegistry.algorithms[alg] for alg in algorithms}
    keys: list[ClientKey] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("kty"), str):
            raise ValueError("every key of jwks must be a JWK: an object with a kty")
        if not _PRIVATE_MEMBERS.isdisjoint(entry) or entry["kty"] == "oct":
            raise ValueError("jwks holds private or symmetric key material: register public keys only")
        key_class = _KEY_CLASSES.get(entry["kty"])
        if key_class is None:
            raise ValueError("jwks holds a key of an unknown kty (EC, RSA and OKP are known)")
        kid = entry.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise ValueError("a kid in jwks must be a string")
        try:
            weak = entry["kty"] == "RSA" and not _rsa_size_fits(entry)
            key = None if weak else key_class.import_key(dict(entry))
        except (JoseError, ValueError, TypeError, KeyError, AttributeError):
            raise ValueError("jwks holds a key that is not a valid public key") from None
        if key is None:
            raise ValueError("jwks holds an RSA key of fewer than 2048 or more than 4096 bits, or a large exponent")
        if entry["kty"] == "OKP" and entry.get("crv") not in _SIGNING_CURVES:
            continue
        usable = frozenset(alg for alg, model in models.items() if _fits(model, key))
        if usable:
            keys.append(ClientKey(kid, key, usable))
    if not keys:
        raise ValueError(f"jwks holds no key that verifies {', '.join(models)} signatures")
    return tuple(keys)


def checked_key_metadata(metadata: Mapping[str, Any], algorithms: Iterable[str]) -> dict[str, Any]:
    """``metadata`` with exactly one of ``jwks`` and ``jwks_uri``, checked (RFC 7591 §2); else ValueError.

    A member that is None counts as absent and is dropped (an update
    switching from one to the other). ``jwks`` must hold usable public keys
    (:func:`public_keys`); ``jwks_uri`` follows the rules of a client
    metadata document URL (https, a path, no fragment, no user information,
    no dot segments, 255 characters). Nothing is fetched here: that happens
    when the client authenticates, with the fetch's defences.
    """
    checked = {name: value for name, value in metadata.items() if not (name in ("jwks", "jwks_uri") and value is None)}
    jwks, uri = checked.get("jwks"), checked.get("jwks_uri")
    if jwks is not None and uri is not None:
        raise ValueError("give jwks or jwks_uri, not both (RFC 7591 §2)")
    if jwks is None and uri is None:
        raise ValueError("private_key_jwt needs the client's public keys: jwks or jwks_uri")
    if jwks is not None:
        public_keys(jwks, algorithms)
        return checked
    if not isinstance(uri, str):
        raise ValueError("jwks_uri must be a string")
    from ..cimd.urls import InvalidDocumentUrl, check_document_url

    try:
        check_document_url(uri)
    except InvalidDocumentUrl as exc:
        raise ValueError(f"jwks_uri: {exc}") from None
    return checked


class _FetchedKeys:
    """The keys of one ``jwks_uri``, and when the set was last fetched (or a refetch last tried)."""

    __slots__ = ("checked_at", "keys")

    def __init__(self, keys: tuple[ClientKey, ...], checked_at: float) -> None:
        self.keys = keys
        self.checked_at = checked_at


class ClientKeySets:
    """The public keys of ``private_key_jwt`` clients: imported once, fetched from ``jwks_uri`` within bounds.

    Built from the settings' ``cimd_*`` fetch options (the same SSRF
    defences, host lists, timeout and cache bounds as client metadata
    documents); ``fetcher`` replaces the fetch as a whole.
    """

    def __init__(self, settings: Settings, fetcher: DocumentFetcher | None = None) -> None:
        from ..cimd.cache import DocumentCache

        self._settings = settings
        self._fetcher = fetcher
        self._algorithms = settings.client_assertion_algorithms
        #: the key sets of ``jwks_uri`` documents fetched lately, by URL
        self.fetched: DocumentCache[_FetchedKeys] = DocumentCache(settings.cimd_cache_size, settings.clock)
        self._inline: dict[str, tuple[Mapping[str, Any], tuple[ClientKey, ...]]] = {}
        self._lock = threading.Lock()
        #: how many times a ``jwks_uri`` was fetched (for operators and tests)
        self.fetches = 0

    def __repr__(self) -> str:
        return f"<ClientKeySets {len(self._inline)} inline, {self.fetched!r}>"

    @property
    def fetcher(self) -> DocumentFetcher:
        """The fetch of ``jwks_uri`` documents, made on first use (its TLS context loads the trusted CAs)."""
        if self._fetcher is None:
            from ..cimd.fetching import DocumentFetcher, HostPolicy

            settings = self._settings
            self._fetcher = DocumentFetcher(
                timeout=settings.cimd_timeout,
                policy=HostPolicy(settings.cimd_allowed_hosts, settings.cimd_denied_hosts),
                resolver=settings.cimd_resolver,
                allow_loopback=settings.cimd_allow_loopback,
                ca_file=settings.cimd_ca_file,
                max_bytes=MAX_JWKS_BYTES,
                media_types=JWKS_MEDIA_TYPES,
            )
            if settings.cimd_allow_loopback:
                _LOG.warning(
                    "cimd_allow_loopback is on: jwks_uri documents may be fetched from loopback addresses. "
                    "This is for tests only; never turn it on in production."
                )
        return self._fetcher

    def inline(self, client_id: str, jwks: Mapping[str, Any]) -> tuple[ClientKey, ...]:
        """The keys of a registered ``jwks``, imported once per client (again when the set changes)."""
        known = self._inline.get(client_id)
        if known is not None and known[0] == jwks:
            return known[1]
        try:
            keys = public_keys(jwks, self._algorithms)
        except ValueError as exc:
            raise _Refused(str(exc)) from None
        with self._lock:
            self._inline.pop(client_id, None)
            self._inline[client_id] = (jwks, keys)
            while len(self._inline) > MAX_CACHED_CLIENTS:
                del self._inline[next(iter(self._inline))]
        return keys

    def remote(self, uri: str) -> _FetchedKeys:
        """The keys at ``uri``, from the cache while fresh; fetched (by one thread at a time) otherwise."""
        return self.fetched.load(uri, lambda: self._fetch(uri))

    def refreshed(self, uri: str, stale: _FetchedKeys) -> _FetchedKeys:
        """The keys at ``uri`` fetched again, for an assertion ``stale`` has no key for: at most once per interval.

        The interval is ``cimd_cache_min_ttl`` seconds since the set was
        fetched, or since a refetch was last tried; a failed refetch keeps
        the keys held.
        """
        interval = self._settings.cimd_cache_min_ttl

        def reload() -> tuple[_FetchedKeys, float | None]:
            now = self._settings.clock()
            if now - stale.checked_at < interval:
                return stale, None
            stale.checked_at = now  # under the cache's lock for this URL: one refetch per interval
            return self._fetch(uri)

        try:
            return self.fetched.refresh(uri, stale, reload)
        except _Refused as refusal:
            _LOG.info("the keys at %s could not be fetched again, keeping those held: %s", uri, refusal)
            return stale

    def _fetch(self, uri: str) -> tuple[_FetchedKeys, float | None]:
        from ..cimd.cache import cache_lifetime
        from ..cimd.fetching import DocumentUnavailable
        from ..cimd.urls import InvalidDocumentUrl, check_document_url

        settings = self._settings
        try:
            parts = check_document_url(uri)
            self.fetches += 1
            fetched = self.fetcher.fetch(parts)
        except (InvalidDocumentUrl, DocumentUnavailable) as exc:
            raise _Refused(f"the client's jwks_uri could not be fetched: {exc}") from None
        try:
            keys = public_keys(fetched.document, self._algorithms)
        except ValueError as exc:
            raise _Refused(f"the client's jwks_uri document is not acceptable: {exc}") from None
        # Public keys may always be kept: no-store or no-cache still waits the shortest period.
        ttl = cache_lifetime(
            fetched.cache_control, settings.cimd_cache_ttl, settings.cimd_cache_min_ttl, settings.cimd_cache_max_ttl
        )
        return _FetchedKeys(keys, settings.clock()), ttl or settings.cimd_cache_min_ttl


@dataclass(frozen=True)
class _Assertion:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


class PrivateKeyJwt(ClientAuthMethod):
    """A JWT the client signed with its private key, in ``client_assertion`` (RFC 7523 §2.2, OIDC Core §9)."""

    name = "private_key_jwt"
    uses_secret = False

    def __init__(self, settings: Settings, keys: ClientKeySets | None = None) -> None:
        self.signing_algorithms = settings.client_assertion_algorithms
        self.max_lifetime = settings.client_assertion_max_lifetime
        #: the clients' public keys, inline and fetched
        self.keys = keys or ClientKeySets(settings)
        # Looked up once: the registry's own lookup warns on every EdDSA assertion.
        self._models: dict[str, JWSAlgModel] = {alg: JWSRegistry.algorithms[alg] for alg in self.signing_algorithms}
        #: the assertion detect() parsed last, so that verify() need not parse it again
        self._parsed: tuple[str, _Assertion] | None = None

    def detect(self, request: EndpointRequest) -> PresentedCredentials | None:
        """An assertion in the body (RFC 7521 §4.2); its unverified ``sub`` says which client it claims to be."""
        assertion_type = request.params.get("client_assertion_type")
        assertion = request.params.get("client_assertion")
        if assertion_type is None and assertion is None:
            return None
        if assertion is None or assertion_type is None:
            raise InvalidRequest("client_assertion and client_assertion_type go together (RFC 7521 §4.2)")
        if assertion_type != ASSERTION_TYPE:
            raise InvalidClient("unsupported client_assertion_type")
        try:
            parsed = _parse(assertion)
        except _Refused:
            raise InvalidClient(_FAILED) from None
        subject = parsed.claims.get("sub")
        named = request.params.get("client_id")
        if not isinstance(subject, str) or not subject or (named is not None and named != subject):
            raise InvalidClient(_FAILED)
        self._parsed = (assertion, parsed)  # verify() comes next, on this thread or another: checked by identity
        return PresentedCredentials(subject, self.name, assertion)

    def verify(self, client: Client, presented: PresentedCredentials, context: ClientAuthContext) -> bool:
        try:
            self._verify(client, presented.credential, context)
        except _Refused as refusal:
            _LOG.info("the private_key_jwt assertion of client %r was refused: %s", client.client_id, refusal)
            return False
        return True

    def checked_metadata(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """The client's metadata with exactly one of ``jwks`` and ``jwks_uri`` (:func:`checked_key_metadata`)."""
        try:
            return checked_key_metadata(metadata, self.signing_algorithms)
        except ValueError as exc:
            raise InvalidClientMetadata(str(exc)) from None

    def metadata(self) -> Mapping[str, Any]:
        return {"token_endpoint_auth_signing_alg_values_supported": list(self.signing_algorithms)}

    # -- the checks ------------------------------------------------------------------------

    def _verify(self, client: Client, credential: str | None, context: ClientAuthContext) -> None:
        parsed = self._parsed
        assertion = parsed[1] if parsed is not None and parsed[0] is credential else _parse(credential)
        self._parsed = None
        header = assertion.header
        alg = header.get("alg")
        model = self._models.get(alg) if isinstance(alg, str) else None
        if model is None:
            raise _Refused(f"its alg is not one of {', '.join(self.signing_algorithms)}")
        if "crit" in header:
            raise _Refused("its header has a crit parameter: no extension is understood")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _TYPES):
            raise _Refused("its typ is not that of a client assertion")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _Refused("its kid is not a string")
        jti, expires_at = self._claims(assertion.claims, client.client_id, context)
        self._check_signature(client, assertion, model, kid)
        if not context.records.first_assertion_use(client.client_id, jti, expires_at):
            raise _Refused("its jti was used before (a replay)")

    def _claims(self, claims: dict[str, Any], client_id: str, context: ClientAuthContext) -> tuple[str, int]:
        """The ``jti`` and how long to remember it, once the claims fit (RFC 7523 §3 items 1 to 7)."""
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise _Refused("its iss and sub are not both the client's id")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or not all(isinstance(value, str) for value in audiences):
            raise _Refused("its aud is not a string or a list of strings")
        accepted = {url for url in (context.endpoint_url, context.issuer) if url}
        if accepted.isdisjoint(audiences):
            raise _Refused("its aud names neither this endpoint nor the issuer")
        now = context.now
        expires = _number(claims.get("exp"))
        if expires is None:
            raise _Refused("it has no exp")
        if expires <= now - LEEWAY:
            raise _Refused("it has expired")
        if expires > now + self.max_lifetime + LEEWAY:
            raise _Refused(f"its exp is more than {self.max_lifetime} seconds ahead")
        for name in ("iat", "nbf"):
            if name not in claims:
                continue
            value = _number(claims[name])
            if value is None:
                raise _Refused(f"its {name} is not a number")
            if value > now + LEEWAY:
                raise _Refused(f"its {name} is in the future")
            if name == "iat" and expires - value > self.max_lifetime:
                raise _Refused(f"it lives more than {self.max_lifetime} seconds from its iat")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise _Refused(f"it has no jti (a string of 1 to {MAX_JTI_LENGTH} characters)")
        return jti, int(expires) + LEEWAY + 1

    def _check_signature(self, client: Client, assertion: _Assertion, model: JWSAlgModel, kid: str | None) -> None:
        """The assertion is signed by one of the client's keys: the one ``kid`` names, else any of its type."""
        jwks, uri = client.metadata.get("jwks"), client.metadata.get("jwks_uri")
        if isinstance(jwks, Mapping):
            if not _signed_by(assertion, model, kid, self.keys.inline(client.client_id, jwks)):
                raise _Refused("its signature does not verify with the client's registered keys")
            return
        if not isinstance(uri, str):
            raise _Refused("the client has no registered keys (jwks or jwks_uri)")
        fetched = self.keys.remote(uri)
        if _signed_by(assertion, model, kid, fetched.keys):
            return
        if kid is None or all(key.kid != kid for key in fetched.keys):  # a key the set lacks: rotated?
            again = self.keys.refreshed(uri, fetched)
            if again is not fetched and _signed_by(assertion, model, kid, again.keys):
                return
        raise _Refused("its signature does not verify with the keys at the client's jwks_uri")


def _signed_by(assertion: _Assertion, model: JWSAlgModel, kid: str | None, keys: Iterable[ClientKey]) -> bool:
    """Whether one of the first :data:`MAX_KEYS_TRIED` keys ``kid`` names (else of the alg's type) verifies it."""
    candidates = [key for key in keys if model.name in key.algorithms and (kid is None or key.kid == kid)]
    for candidate in candidates[:MAX_KEYS_TRIED]:
        try:
            if model.verify(assertion.signing_input, assertion.signature, candidate.key):
                return True
        except (JoseError, ValueError, TypeError):
            continue
    return False


def _parse(credential: str | None) -> _Assertion:
    """A compact JWS's header, claims, signing input and signature (RFC 7515 §7.1); :class:`_Refused` otherwise."""
    if not isinstance(credential, str) or len(credential) > MAX_ASSERTION_LENGTH:
        raise _Refused(f"it is not a string of at most {MAX_ASSERTION_LENGTH} characters")
    segments = COMPACT.fullmatch(credential)
    if segments is None:
        raise _Refused("it is not a compact JWS (three base64url segments, a signature)")
    header, claims = json_object(segments[1]), json_object(segments[2])
    if header is None or claims is None:
        raise _Refused("its header or claims are not a JSON object")
    try:
        signature = b64decode(segments[3])
    except ValueError:
        raise _Refused("its signature is not base64url") from None
    return _Assertion(header, claims, credential[: segments.end(2)].encode("ascii"), signature)


def _number(value: object) -> float | None:
    """A NumericDate (RFC 7519 §2): a finite number, never a boolean; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fits(model: JWSAlgModel, key: ECKey | OKPKey | RSAKey) -> bool:
    try:
        model.check_key(key)
    except (JoseError, ValueError, TypeError, AttributeError):
        return False
    return True


def _rsa_size_fits(jwk: Mapping[str, Any]) -> bool:
    """2048 to 4096 bits of modulus and a public exponent of at most 32 bits (checked before importing)."""
    return (
        base64_to_int(jwk["n"]).bit_length() in _RSA_BITS and base64_to_int(jwk["e"]).bit_length() <= _RSA_EXPONENT_BITS
    )
