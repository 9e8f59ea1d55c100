"""Verifying a DPoP proof against the request it came with (RFC 9449 section 4), sans I/O.

A DPoP proof is a JWT the client signs with its own key for one HTTP request
(RFC 9449 section 4.2): the header carries the public key (``jwk``), the
claims name the request (``htm``, ``htu``), when it was made (``iat``), a
unique ``jti``, and with an access token its hash (``ath``).
:meth:`ProofVerifier.verify` makes the checks of RFC 9449 section 4.3 on
plain values (the header's value, the method, the URLs the request reached)
and answers the key's RFC 7638 thumbprint, what tokens are bound to. Replay
(:mod:`.replay`) and server nonces (:mod:`.nonces`) are separate concerns.

The proof is parsed once, here: only its signature check is joserfc's (the
algorithm's own ``verify``, with the key imported from the header). Going
through ``jws.deserialize_compact`` instead would parse the header twice,
refuse a header segment over 512 bytes (that of every 2048-bit RSA key),
refuse header parameters joserfc does not know, and warn on every EdDSA proof.
Claims are read only once the signature proves who wrote them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSAlgModel, JWSRegistry
from joserfc.util import base64_to_int

from ..compact_jws import COMPACT, b64decode, json_object
from ..errors import InvalidDPoPProof
from ..request import Headers

if TYPE_CHECKING:
    from .nonces import DPoPNonces

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_AGE",
    "MAX_JTI_LENGTH",
    "MAX_PROOF_LENGTH",
    "SUPPORTED_ALGORITHMS",
    "DPoPProof",
    "ProofVerifier",
    "access_token_hash",
    "normalise_htu",
    "proof_value",
]

#: characters a ``DPoP`` header value may have; a longer one is refused before it is parsed
MAX_PROOF_LENGTH = 8192
#: the ``alg`` values accepted by default (RFC 9449 section 4.2: asymmetric only)
DEFAULT_ALGORITHMS = ("ES256", "EdDSA", "PS256", "RS256")
#: the ``alg`` values a verifier may be told to accept: public-key signatures, never ``none`` or HS*
SUPPORTED_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"}
)
#: seconds a proof's ``iat`` may lie in the past (RFC 9449 section 11.1: keep the window short)
DEFAULT_MAX_AGE = 120
#: seconds a proof's ``iat`` may lie in the future: the clocks of client and server differ
DEFAULT_LEEWAY = 30
#: characters of ``jti`` at most: it is unique, not a document
MAX_JTI_LENGTH = 256
#: public keys a verifier keeps imported (with their thumbprints), the oldest dropped first
MAX_CACHED_KEYS = 4096

#: the ``typ`` of a DPoP proof (RFC 9449 section 4.2); RFC 7515 section 4.1.9 allows the ``application/`` prefix
_TYPES = frozenset({"dpop+jwt", "application/dpop+jwt"})
#: the joserfc key class of each key type an algorithm may need (RFC 7518 section 3.1, RFC 8037 section 3.1)
_KEY_CLASSES: dict[str, type[ECKey] | type[OKPKey] | type[RSAKey]] = {"EC": ECKey, "OKP": OKPKey, "RSA": RSAKey}
#: JWK members of private or symmetric keys (RFC 7518 section 6.2.2, 6.3.2, 6.4; RFC 8037 section 2)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: header parameters naming a key elsewhere: a proof's key is the one it carries (RFC 9449 section 4.2)
_KEY_REFERENCES = ("jku", "x5u", "x5c")
#: RSA moduli accepted: shorter is weak (RFC 7518 section 3.3), longer costs more than a request is worth
_RSA_BITS = range(2048, 4096 + 1)
#: bits of an RSA public exponent at most (65537 has 17): a large one makes verifying as costly as signing
_RSA_EXPONENT_BITS = 32
#: a comma or white space: two ``DPoP`` headers the server joined, or no proof at all
_JOINED = re.compile(r"[\s,]")
#: a compact JWS: three base64url segments, the signature possibly empty (RFC 7515 section 7.1)
#: the characters RFC 3986 section 2 allows in a URI (unreserved, reserved, and ``%``)
_URI = re.compile(r"[!#-;=?-\[\]_a-z~]+")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@dataclass(frozen=True, slots=True, repr=False)
class DPoPProof:
    """A verified DPoP proof: whose key it is, and the claims that were checked (RFC 9449 section 4.2)."""

    #: the RFC 7638 SHA-256 thumbprint of the proof's public key (base64url, no padding): what tokens bind to
    jkt: str
    #: the proof's unique identifier (RFC 9449 section 11.1: a replay cache keys on it)
    jti: str
    #: the HTTP method the proof is for
    htm: str
    #: the URL the proof is for, as the claim has it
    htu: str
    #: when the proof was made (seconds since the epoch, rounded down)
    iat: int
    #: the server nonce the proof carries (RFC 9449 section 8)
    nonce: str | None
    #: the hash of the access token the proof is sent with (RFC 9449 section 4.2)
    ath: str | None

    def __repr__(self) -> str:
        return f"<DPoPProof jkt={self.jkt!r} {self.htm} {self.htu!r}>"


def proof_value(headers: Headers) -> str | None:
    """The value of the request's one ``DPoP`` header, None when there is none (RFC 9449 section 4.3 step 1).

    ``headers`` is any case-insensitive mapping with ``get(name)``. A value
    holding a comma or whitespace is two headers the server joined (with
    ``", "``) or garbage: :class:`InvalidDPoPProof`, as is an empty value.
    """
    value = headers.get("DPoP")
    if value is None:
        return None
    if not value or _JOINED.search(value):
        raise InvalidDPoPProof("the request must carry exactly one DPoP header holding one proof")
    return value


def normalise_htu(url: str) -> str:
    """``url`` as a DPoP ``htu`` is compared (RFC 9449 section 4.3 step 9; RFC 3986 sections 6.2.2, 6.2.3).

    The scheme and host are lower-cased, the scheme's default port dropped,
    percent-encodings upper-cased and those of unreserved characters decoded,
    dot segments removed, an empty path made ``/``; query and fragment are
    dropped. Anything but an absolute http or https URL without user
    information is :class:`ValueError`.
    """
    if not _URI.fullmatch(url) or _BAD_PERCENT.search(url):
        raise ValueError("not a URI (RFC 3986)")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("not an http or https URL")
    host, port = _host_and_port(parts.netloc)
    if port == _DEFAULT_PORTS[scheme]:
        port = ""
    path = _remove_dot_segments(_normalise_percent(parts.path)) or "/"
    return f"{scheme}://{host}{':' + port if port else ''}{path}"


def access_token_hash(token: str) -> str:
    """The ``ath`` of an access token: base64url of the SHA-256 of its ASCII, unpadded (RFC 9449 section 4.2).

    A token with a character outside ASCII is :class:`ValueError`
    (``UnicodeEncodeError``).
    """
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class ProofVerifier:
    """Checks DPoP proofs (RFC 9449 section 4.3): made with an accepted algorithm, fresh, and for this request.

    :param algorithms: the ``alg`` values accepted, in order of preference:
        what metadata's ``dpop_signing_alg_values_supported`` and a DPoP
        challenge's ``algs`` list. Public-key algorithms only
        (:data:`SUPPORTED_ALGORITHMS`); anything else is :class:`ValueError`.
    :param max_age: seconds a proof's ``iat`` may lie in the past; a proof
        exactly this old is refused.
    :param leeway: seconds a proof's ``iat`` may lie in the future.
    :param clock: the time in seconds since the epoch.
    """

    def __init__(
        self,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        *,
        max_age: int = DEFAULT_MAX_AGE,
        leeway: int = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(algorithms, str):
            raise ValueError("algorithms: a collection of algorithm names, not one string")
        chosen = tuple(dict.fromkeys(algorithms))
        refused = [alg for alg in chosen if alg not in SUPPORTED_ALGORITHMS]
        if not chosen or refused:
            raise ValueError(
                f"algorithms: public-key algorithms only, among {', '.join(sorted(SUPPORTED_ALGORITHMS))}"
                + (f" (not {', '.join(map(repr, refused))})" if refused else "")
            )
        if max_age < 1 or leeway < 0:
            raise ValueError("max_age must be at least 1 second, leeway at least 0")
        #: the accepted ``alg`` values, in the order given
        self.algorithms: tuple[str, ...] = chosen
        #: seconds a proof is accepted after its ``iat``: how long a replay cache must remember it
        self.max_age = max_age
        #: seconds a proof's ``iat`` may lie ahead of the clock
        self.leeway = leeway
        self._clock = clock
        # Looked up once: the registry's own lookup would warn on every EdDSA proof.
        self._models: dict[str, JWSAlgModel] = {alg: JWSRegistry.algorithms[alg] for alg in chosen}
        # A client signs every proof with one key: imported once, with its thumbprint (bounded, oldest out first).
        self._keys: dict[str, tuple[ECKey | OKPKey | RSAKey, str]] = {}
        self._refused_alg = f"the DPoP proof's alg is not one of {', '.join(chosen)}"

    def __repr__(self) -> str:
        return f"<ProofVerifier {', '.join(self.algorithms)} max_age={self.max_age}>"

    def verify(
        self,
        proof: str,
        *,
        method: str,
        urls: Sequence[str],
        access_token: str | None = None,
        nonces: DPoPNonces | None = None,
    ) -> DPoPProof:
        """The proof, checked for a request of ``method`` to one of ``urls`` (RFC 9449 section 4.3).

        ``urls`` are the URLs the request may be said to have reached (the
        public URL, or several behind proxies); each is compared with ``htu``
        after :func:`normalise_htu`. With ``access_token`` the proof must
        carry its hash (``ath``, section 7); with ``nonces`` the server's
        current nonce (section 8, :class:`~.nonces.DPoPNonces`, which raises
        :class:`~proauth2_wsgi.errors.UseDPoPNonce`). Every other refusal is
        :class:`InvalidDPoPProof`. Replay is not checked here (:mod:`.replay`).
        """
        if isinstance(urls, str):
            raise TypeError("urls: a sequence of URLs, not one string")
        if not isinstance(proof, str) or len(proof) > MAX_PROOF_LENGTH:
            raise InvalidDPoPProof(f"the DPoP proof is not a string of at most {MAX_PROOF_LENGTH} characters")
        segments = COMPACT.fullmatch(proof)
        if segments is None:
            raise InvalidDPoPProof("the DPoP proof is not a compact JWS (three base64url segments)")
        header = json_object(segments[1])
        if header is None:
            raise InvalidDPoPProof("the DPoP proof's header is not a JSON object")
        model, key, jkt = self._header(header)
        try:
            verified = model.verify(proof[: segments.end(2)].encode("ascii"), b64decode(segments[3]), key)
        except (JoseError, ValueError, TypeError):
            verified = False
        if not verified:
            raise InvalidDPoPProof("the DPoP proof's signature does not verify with its jwk")
        claims = json_object(segments[2])
        if claims is None:
            raise InvalidDPoPProof("the DPoP proof's payload is not a JSON object")
        return self._claims(claims, jkt, method, urls, access_token, nonces)

    def _header(self, header: dict[str, Any]) -> tuple[JWSAlgModel, ECKey | OKPKey | RSAKey, str]:
        """The algorithm, the public key and its thumbprint of a proof's header (RFC 9449 section 4.3 steps 4, 5, 7)."""
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _TYPES:
            raise InvalidDPoPProof("the DPoP proof's typ is not dpop+jwt (RFC 9449 section 4.2)")
        alg = header.get("alg")
        model = self._models.get(alg) if isinstance(alg, str) else None
        if model is None:
            raise InvalidDPoPProof(self._refused_alg)
        if "crit" in header:
            raise InvalidDPoPProof("the DPoP proof's header has a crit parameter: no extension is understood")
        if any(name in header for name in _KEY_REFERENCES):
            raise InvalidDPoPProof("the DPoP proof's key must be its jwk, not one named by jku, x5u or x5c")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict):
            raise InvalidDPoPProof("the DPoP proof's header has no jwk (a JSON object)")
        if not _PRIVATE_MEMBERS.isdisjoint(jwk):
            raise InvalidDPoPProof("the DPoP proof's jwk holds a private key")
        kty = model.key_type  # EC, RSA or OKP: the family of the alg
        if jwk.get("kty") != kty:
            raise InvalidDPoPProof(f"the DPoP proof's jwk is not an {kty} key, as its alg requires")
        identity = f"{header['alg']} {json.dumps(jwk, sort_keys=True)}"
        known = self._keys.get(identity)
        if known is not None:
            return model, *known
        key = self._import(model, jwk)
        if len(self._keys) >= MAX_CACHED_KEYS:
            try:
                self._keys.pop(next(iter(self._keys)), None)
            except (RuntimeError, StopIteration):  # another thread changed it meanwhile: it stays bounded
                pass
        thumbprint = str(key.thumbprint())
        self._keys[identity] = (key, thumbprint)
        return model, key, thumbprint

    @staticmethod
    def _import(model: JWSAlgModel, jwk: dict[str, Any]) -> ECKey | OKPKey | RSAKey:
        """The public key of a jwk of ``model``'s key type, checked for it; :class:`InvalidDPoPProof` otherwise."""
        kty = model.key_type
        try:
            if kty == "RSA" and not _rsa_size_fits(jwk):
                raise InvalidDPoPProof(
                    "the DPoP proof's RSA key must have 2048 to 4096 bits and a small public exponent"
                )
            key = _KEY_CLASSES[kty].import_key(jwk)
            model.check_key(key)
        except (JoseError, ValueError, TypeError, KeyError, AttributeError):
            raise InvalidDPoPProof(f"the DPoP proof's jwk is not a valid {kty} public key for its alg") from None
        return key

    def _claims(
        self,
        claims: dict[str, Any],
        jkt: str,
        method: str,
        urls: Sequence[str],
        access_token: str | None,
        nonces: DPoPNonces | None,
    ) -> DPoPProof:
        """The proof, once its claims fit the request (RFC 9449 section 4.3 steps 3, 8 to 12)."""
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise InvalidDPoPProof(f"the DPoP proof has no jti (a string of 1 to {MAX_JTI_LENGTH} characters)")
        htm = claims.get("htm")
        if not isinstance(htm, str) or htm != method:
            raise InvalidDPoPProof("the DPoP proof's htm is not the request's method")
        htu = claims.get("htu")
        if not isinstance(htu, str):
            raise InvalidDPoPProof("the DPoP proof has no htu (a string)")
        try:
            target = normalise_htu(htu)
        except ValueError:
            raise InvalidDPoPProof("the DPoP proof's htu is not an http or https URL") from None
        if not any(target == _normalised(url) for url in urls):
            raise InvalidDPoPProof("the DPoP proof's htu is not the request's URL")
        nonce = claims.get("nonce")
        if nonce is not None and not isinstance(nonce, str):
            raise InvalidDPoPProof("the DPoP proof's nonce is not a string")
        if nonces is not None:
            nonces.check(nonce)
        issued_at = claims.get("iat")
        if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
            raise InvalidDPoPProof("the DPoP proof has no iat (a number)")
        now = self._clock()
        if not now - self.max_age < issued_at:
            raise InvalidDPoPProof(f"the DPoP proof is older than {self.max_age} seconds")
        if not issued_at <= now + self.leeway:
            raise InvalidDPoPProof("the DPoP proof's iat is in the future")
        ath = claims.get("ath")
        if access_token is not None:
            if not isinstance(ath, str):
                raise InvalidDPoPProof("the DPoP proof has no ath, the hash of the access token it is sent with")
            if not (
                ath.isascii() and access_token.isascii() and hmac.compare_digest(ath, access_token_hash(access_token))
            ):
                raise InvalidDPoPProof("the DPoP proof's ath is not the hash of the access token it is sent with")
        return DPoPProof(
            jkt=jkt,
            jti=jti,
            htm=htm,
            htu=htu,
            iat=int(issued_at),
            nonce=nonce,
            ath=ath if isinstance(ath, str) else None,
        )


def _rsa_size_fits(jwk: dict[str, Any]) -> bool:
    """Whether an RSA jwk's modulus has 2048 to 4096 bits and its public exponent at most 32 (RFC 7518 section 6.3.1).

    Checked before the key is imported: joserfc warns on a shorter key, and
    a longer modulus or a large exponent makes each verification costly.
    Members that are not base64url are :class:`ValueError` or :class:`TypeError`.
    """
    return (
        base64_to_int(jwk["n"]).bit_length() in _RSA_BITS and base64_to_int(jwk["e"]).bit_length() <= _RSA_EXPONENT_BITS
    )


def _normalised(url: str) -> str | None:
    """A request's URL normalised, None when it is not one (its host may come from a ``Host`` header)."""
    try:
        return normalise_htu(url)
    except ValueError:
        return None


def _host_and_port(netloc: str) -> tuple[str, str]:
    """The lower-cased host and the port (RFC 3986 section 3.2.2, 3.2.3) of an authority without user information."""
    if "@" in netloc:
        raise ValueError("a URL with user information")
    if netloc.startswith("["):  # an IP literal
        end = netloc.find("]") + 1
        host, port = netloc[:end], netloc[end:]
        if not end or (port and not port.startswith(":")):
            raise ValueError("a malformed IP literal")
        port = port[1:]
    else:
        host, _, port = netloc.partition(":")
        if "[" in host or "]" in host:
            raise ValueError("a malformed host")
    if not host:
        raise ValueError("a URL without a host")
    if port:
        if not (port.isascii() and port.isdigit() and int(port) <= 65535):
            raise ValueError("a malformed port")
        port = str(int(port))
    return _normalise_percent(host, lower=True), port


def _normalise_percent(text: str, *, lower: bool = False) -> str:
    """Percent-encodings with upper-case hex, unreserved characters decoded (RFC 3986 sections 6.2.2.1, 6.2.2.2)."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match[1], 16))
        if char in _UNRESERVED:
            return char.lower() if lower else char
        return f"%{match[1].upper()}"

    return _PERCENT.sub(one, text.lower() if lower else text)


def _remove_dot_segments(path: str) -> str:
    """``path`` without ``.`` and ``..`` segments (RFC 3986 section 5.2.4, as section 6.2.2.3 asks)."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/".join(kept)
