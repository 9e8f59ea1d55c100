"""Provider settings: one frozen object, validated once at start-up.

Defaults are the secure ones (RFC 9700, OAuth 2.1): codes live 60 s
(RFC 6749 §4.1.2 caps them at 10 minutes), PKCE is required for every client,
``plain`` PKCE is refused, refresh tokens rotate on every use, and client
metadata documents (URLs as ``client_id``) are off: turned on, their fetch
has a 5 s deadline and documents are cached 60 s to a day.
A bad value raises :class:`SettingsError` naming the setting.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .dpop.proofs import DEFAULT_ALGORITHMS as DPOP_ALGORITHMS
from .dpop.proofs import SUPPORTED_ALGORITHMS as DPOP_SUPPORTED_ALGORITHMS
from .resources import Resource, parse_resources
from .scopes import parse_scope
from .uris import validate_web_url

#: seconds an access token lives
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600
#: seconds a refresh token lives (renewed on every rotation)
DEFAULT_REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600
#: seconds an authorization code lives
DEFAULT_CODE_LIFETIME = 60
#: RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED"
MAX_CODE_LIFETIME = 600
#: the prefix of every setting's name in a configuration or the environment
PREFIX = "PROAUTH2_"
#: seconds an ID token lives
DEFAULT_ID_TOKEN_LIFETIME = 3600
#: seconds a retired signing key stays published (a week)
DEFAULT_KEY_GRACE_PERIOD = 7 * 24 * 3600
#: the JWS algorithms signing keys may be made for: RS256 (required by OIDC Discovery) and ES256
SIGNING_ALGORITHMS = ("RS256", "ES256")
DEFAULT_SIGNING_ALGORITHMS = SIGNING_ALGORITHMS
#: OpenID Connect's scopes (OIDC Core §3.1.2.1, §5.4, §11), added to ``scopes`` when ``openid`` is on
STANDARD_SCOPES = {
    "openid": "Sign you in with your account",
    "profile": "See your name and profile details",
    "email": "See your email address",
    "address": "See your postal address",
    "phone": "See your phone number",
    "offline_access": "Keep access while you are away (a refresh token)",
}

#: seconds a client metadata document's fetch may take in all (resolution, connection, TLS, answer)
DEFAULT_CIMD_TIMEOUT = 5.0
MAX_CIMD_TIMEOUT = 60.0
#: seconds a client metadata document is kept when its answer names no ``max-age``
DEFAULT_CIMD_CACHE_TTL = 300
#: the bounds a document's ``max-age`` is clamped to: fetched at most once a minute, seen again within a day
DEFAULT_CIMD_CACHE_MIN_TTL = 60
DEFAULT_CIMD_CACHE_MAX_TTL = 86400
#: client metadata documents kept per process
DEFAULT_CIMD_CACHE_SIZE = 1000

#: seconds a pushed authorization request's ``request_uri`` lives (RFC 9126 §2.2), and at most
DEFAULT_PAR_LIFETIME = 60
MAX_PAR_LIFETIME = 600
#: seconds a device code lives (RFC 8628 §3.2), and at most
DEFAULT_DEVICE_CODE_LIFETIME = 600
MAX_DEVICE_CODE_LIFETIME = 1800
#: seconds a device waits between two polls of the token endpoint (RFC 8628 §3.2 ``interval``)
DEFAULT_DEVICE_POLL_INTERVAL = 5
#: wrong user codes one verification session, or one device code, may see before it is locked (RFC 8628 §5.1)
DEFAULT_DEVICE_USER_CODE_ATTEMPTS = 5
#: the JWS algorithms of ``private_key_jwt`` client assertions (RFC 7523 §3), asymmetric only
CLIENT_ASSERTION_ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
#: seconds a client assertion may live from ``iat`` (or now) to ``exp``
DEFAULT_CLIENT_ASSERTION_MAX_LIFETIME = 300

_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class SettingsError(ValueError):
    """A setting has a wrong value; the message starts with the setting's name."""


def _positive_int(name: str, value: Any, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SettingsError(f"{name}: expected a positive whole number of seconds, got {value!r}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name}: at most {maximum} seconds, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything a :class:`~proauth2_wsgi.Proauth2` provider can be told.

    ``scopes`` is the server-wide scope registry (a mapping of scope to a
    human description, or an iterable of scope names); ``default_scope`` is
    granted when a request names none.
    """

    #: the issuer identifier (RFC 8414 §2, RFC 9207): an https URL, or http on loopback
    issuer: str | None = None
    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    refresh_token_lifetime: int = DEFAULT_REFRESH_TOKEN_LIFETIME
    code_lifetime: int = DEFAULT_CODE_LIFETIME
    #: scope name -> description shown on consent pages
    scopes: Mapping[str, str] = field(default_factory=dict)
    default_scope: frozenset[str] = frozenset()
    #: PKCE for every client (public clients always need it, RFC 9700 §2.1.1)
    require_pkce: bool = True
    #: allow ``code_challenge_method=plain`` (off: RFC 9700 §2.1.1)
    allow_plain_pkce: bool = False
    #: issue refresh tokens with the authorization code grant
    issue_refresh_tokens: bool = True
    #: OpenID Connect: the standard scopes, ID tokens, UserInfo, discovery (needs ``issuer`` and keys)
    openid: bool = False
    #: the secret signing keys are encrypted under in the database (at least 32 characters)
    key_secret: str | None = field(default=None, repr=False)
    #: signing keys kept outside the database: a private JWK set (``{"keys": [...]}``) or PEM file paths
    signing_keys: Mapping[str, Any] | tuple[str, ...] | None = field(default=None, repr=False)
    #: the algorithms keys are made for; ID tokens use a client's ``id_token_signed_response_alg``
    signing_algorithms: tuple[str, ...] = DEFAULT_SIGNING_ALGORITHMS
    #: seconds an ID token lives
    id_token_lifetime: int = DEFAULT_ID_TOKEN_LIFETIME
    #: seconds a retired signing key stays published, so what it signed still verifies
    key_grace_period: int = DEFAULT_KEY_GRACE_PERIOD
    #: the protected resources tokens may be asked for (RFC 8707): identifiers, or identifier -> options
    resources: tuple[Resource, ...] = ()
    #: resolve a ``client_id`` that is an https URL by fetching its metadata document
    #: (draft-ietf-oauth-client-id-metadata-document, used by MCP); off by default
    client_id_metadata_documents: bool = False
    #: the only hosts metadata documents are fetched from (``example.com``, ``*.example.com``); empty: any public host
    cimd_allowed_hosts: tuple[str, ...] = ()
    #: hosts metadata documents are never fetched from, whatever the allow-list says
    cimd_denied_hosts: tuple[str, ...] = ()
    #: seconds a metadata document's fetch may take in all
    cimd_timeout: float = DEFAULT_CIMD_TIMEOUT
    #: seconds a metadata document is kept without ``max-age``; ``max-age`` is clamped to the next two
    cimd_cache_ttl: int = DEFAULT_CIMD_CACHE_TTL
    cimd_cache_min_ttl: int = DEFAULT_CIMD_CACHE_MIN_TTL
    cimd_cache_max_ttl: int = DEFAULT_CIMD_CACHE_MAX_TTL
    #: metadata documents kept per process (the oldest go first)
    cimd_cache_size: int = DEFAULT_CIMD_CACHE_SIZE
    #: FOR TESTS ONLY: fetch metadata documents from loopback addresses too (https still required)
    cimd_allow_loopback: bool = False
    #: FOR TESTS ONLY: a PEM file of the certificates trusted for metadata documents, instead of the system's
    cimd_ca_file: str | None = None
    #: ``(host, port) -> addresses`` for metadata documents' hosts; None: ``socket.getaddrinfo``
    cimd_resolver: Callable[[str, int], Iterable[str]] | None = None
    #: the JWS algorithms DPoP proofs may be signed with (RFC 9449 §5.1), asymmetric only
    dpop_signing_algorithms: tuple[str, ...] = DPOP_ALGORITHMS
    #: require the server's nonce in every DPoP proof (RFC 9449 §8, §9): at the token endpoint and this
    #: provider's own resources
    dpop_nonce: bool = False
    #: 32+ characters every worker makes and checks nonces with; None: derived from ``key_secret``
    dpop_nonce_secret: str | None = field(default=None, repr=False)
    #: seconds a pushed authorization request's ``request_uri`` lives (RFC 9126 §2.2)
    par_lifetime: int = DEFAULT_PAR_LIFETIME
    #: every authorization request must be pushed first (RFC 9126 §5); per client: its metadata says so
    require_pushed_authorization_requests: bool = False
    #: seconds a device code lives (RFC 8628 §3.2 ``expires_in``)
    device_code_lifetime: int = DEFAULT_DEVICE_CODE_LIFETIME
    #: seconds a device waits between polls (RFC 8628 §3.2 ``interval``)
    device_poll_interval: int = DEFAULT_DEVICE_POLL_INTERVAL
    #: where users enter user codes (RFC 8628 ``verification_uri``): an absolute URL or a path below the issuer
    device_verification_uri: str | None = None
    #: wrong user codes a verification session, or a device code, may see before it is locked (RFC 8628 §5.1)
    device_user_code_attempts: int = DEFAULT_DEVICE_USER_CODE_ATTEMPTS
    #: the algorithms ``private_key_jwt`` client assertions may be signed with (RFC 7523 §3)
    client_assertion_algorithms: tuple[str, ...] = CLIENT_ASSERTION_ALGORITHMS
    #: seconds a client assertion may live (its ``exp`` at most this far ahead)
    client_assertion_max_lifetime: int = DEFAULT_CLIENT_ASSERTION_MAX_LIFETIME
    #: the time source (seconds since the epoch); tests inject their own
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        _positive_int("access_token_lifetime", self.access_token_lifetime)
        _positive_int("refresh_token_lifetime", self.refresh_token_lifetime)
        _positive_int("code_lifetime", self.code_lifetime, MAX_CODE_LIFETIME)
        scopes = self.scopes
        if not isinstance(scopes, Mapping):
            if isinstance(scopes, str):
                scopes = {name: name for name in parse_scope(scopes)}
            else:
                scopes = {name: name for name in _scope_names("scopes", scopes)}
        _scope_names("scopes", scopes)
        for scope, description in scopes.items():
            if not isinstance(description, str):
                raise SettingsError(f"scopes: the description of {scope!r} must be text, got {description!r}")
        object.__setattr__(self, "scopes", dict(scopes))
        default = self.default_scope
        try:
            default = parse_scope(default)
        except Exception as exc:
            raise SettingsError(f"default_scope: malformed {default!r}") from exc
        unknown = default - set(scopes)
        if unknown:
            raise SettingsError(f"default_scope: not in scopes: {' '.join(sorted(unknown))}")
        object.__setattr__(self, "default_scope", default)
        _positive_int("id_token_lifetime", self.id_token_lifetime)
        _positive_int("key_grace_period", self.key_grace_period)
        _positive_int("par_lifetime", self.par_lifetime, MAX_PAR_LIFETIME)
        _positive_int("device_code_lifetime", self.device_code_lifetime, MAX_DEVICE_CODE_LIFETIME)
        _positive_int("device_poll_interval", self.device_poll_interval, self.device_code_lifetime)
        _positive_int("client_assertion_max_lifetime", self.client_assertion_max_lifetime, 3600)
        if isinstance(self.device_user_code_attempts, bool) or not (
            isinstance(self.device_user_code_attempts, int) and self.device_user_code_attempts > 0
        ):
            raise SettingsError("device_user_code_attempts: expected a positive whole number")
        assertion_algorithms = self.client_assertion_algorithms
        if isinstance(assertion_algorithms, str):
            assertion_algorithms = tuple(assertion_algorithms.split())
        if not assertion_algorithms or any(alg not in CLIENT_ASSERTION_ALGORITHMS for alg in assertion_algorithms):
            raise SettingsError(f"client_assertion_algorithms: choose among {', '.join(CLIENT_ASSERTION_ALGORITHMS)}")
        object.__setattr__(self, "client_assertion_algorithms", tuple(assertion_algorithms))
        for name in (
            "require_pkce",
            "allow_plain_pkce",
            "issue_refresh_tokens",
            "openid",
            "client_id_metadata_documents",
            "cimd_allow_loopback",
            "dpop_nonce",
            "require_pushed_authorization_requests",
        ):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name}: expected True or False, got {getattr(self, name)!r}")
        if self.issuer is not None:
            from .uris import validate_issuer

            if not isinstance(self.issuer, str):
                raise SettingsError(f"issuer: expected an https URL, got {self.issuer!r}")
            try:
                object.__setattr__(self, "issuer", validate_issuer(self.issuer))
            except ValueError as exc:
                raise SettingsError(f"issuer: {exc}") from None
        if not callable(self.clock):
            raise SettingsError("clock: expected a callable returning seconds")
        self._check_keys()
        self._check_resources()
        self._check_metadata_documents()
        self._check_dpop()
        self._check_device_verification_uri()
        if self.openid:
            if not self.issuer:
                raise SettingsError("openid: OpenID Connect needs an issuer (ID tokens name it)")
            if self.key_secret is None and self.signing_keys is None:
                raise SettingsError(
                    "key_secret: OpenID Connect signs ID tokens: set key_secret (32 or more random characters) "
                    "to keep keys encrypted in the database, or signing_keys"
                )
            object.__setattr__(self, "scopes", {**STANDARD_SCOPES, **self.scopes})
        for resource in self.resources:
            unknown = resource.scopes - set(self.scopes)
            if unknown:
                raise SettingsError(
                    f"resources: {resource.identifier} accepts scopes not in scopes: {' '.join(sorted(unknown))}"
                )

    def _check_keys(self) -> None:
        if self.key_secret is not None and (not isinstance(self.key_secret, str) or len(self.key_secret) < 32):
            raise SettingsError("key_secret: expected 32 or more characters (secrets.token_urlsafe(32) makes one)")
        algorithms = self.signing_algorithms
        if isinstance(algorithms, str):
            algorithms = tuple(algorithms.split())
        if not algorithms or any(alg not in SIGNING_ALGORITHMS for alg in algorithms):
            raise SettingsError(f"signing_algorithms: choose among {', '.join(SIGNING_ALGORITHMS)}")
        object.__setattr__(self, "signing_algorithms", tuple(algorithms))
        keys = self.signing_keys
        if isinstance(keys, str):
            try:
                keys = json.loads(keys) if keys.lstrip().startswith("{") else tuple(keys.split())
            except ValueError:
                raise SettingsError("signing_keys: expected a JWK set as JSON, or PEM file paths") from None
        if keys is not None and not (isinstance(keys, Mapping) and isinstance(keys.get("keys"), list)):
            if not isinstance(keys, (list, tuple)) or not keys or not all(isinstance(path, str) for path in keys):
                raise SettingsError("signing_keys: expected a JWK set ({'keys': [...]}) or PEM file paths")
            keys = tuple(keys)
        object.__setattr__(self, "signing_keys", keys)

    def _check_resources(self) -> None:
        try:
            resources = parse_resources(self.resources)
        except ValueError as exc:
            raise SettingsError(f"resources: {exc}") from None
        for resource in resources:
            if resource.token_format != "jwt":  # noqa: S105 - a format's name
                continue
            if not self.issuer or (self.key_secret is None and self.signing_keys is None):
                raise SettingsError(
                    f"resources: {resource.identifier} wants JWT access tokens: they need an issuer and "
                    "signing keys (key_secret or signing_keys)"
                )
            if resource.signing_alg not in self.signing_algorithms:
                raise SettingsError(f"resources: {resource.identifier}: signing_alg is not in signing_algorithms")
        object.__setattr__(self, "resources", resources)

    def _check_dpop(self) -> None:
        algorithms = self.dpop_signing_algorithms
        if isinstance(algorithms, str):
            algorithms = tuple(algorithms.split())
        if not algorithms or any(alg not in DPOP_SUPPORTED_ALGORITHMS for alg in algorithms):
            raise SettingsError(f"dpop_signing_algorithms: choose among {', '.join(sorted(DPOP_SUPPORTED_ALGORITHMS))}")
        object.__setattr__(self, "dpop_signing_algorithms", tuple(algorithms))
        secret = self.dpop_nonce_secret
        if secret is not None and (not isinstance(secret, str) or len(secret) < 32):
            raise SettingsError(
                "dpop_nonce_secret: expected 32 or more characters (secrets.token_urlsafe(32) makes one)"
            )
        if self.dpop_nonce and secret is None and self.key_secret is None:
            raise SettingsError(
                "dpop_nonce: every worker must make the same nonces: set dpop_nonce_secret (or key_secret)"
            )

    def nonce_secret(self) -> bytes | None:
        """What DPoP nonces are made with (RFC 9449 §9): ``dpop_nonce_secret``, else derived from ``key_secret``."""
        if self.dpop_nonce_secret is not None:
            return self.dpop_nonce_secret.encode()
        if self.key_secret is None:
            return None
        return hmac.digest(self.key_secret.encode(), b"proauth2 dpop nonces", "sha256")

    def _check_metadata_documents(self) -> None:
        for name in ("cimd_allowed_hosts", "cimd_denied_hosts"):
            object.__setattr__(self, name, _host_list(name, getattr(self, name)))
        timeout = self.cimd_timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or not 0 < timeout <= MAX_CIMD_TIMEOUT
        ):
            raise SettingsError(f"cimd_timeout: expected seconds, more than 0 and at most {MAX_CIMD_TIMEOUT:g}")
        object.__setattr__(self, "cimd_timeout", float(timeout))
        for name in ("cimd_cache_ttl", "cimd_cache_min_ttl", "cimd_cache_max_ttl"):
            _positive_int(name, getattr(self, name))
        if not self.cimd_cache_min_ttl <= self.cimd_cache_ttl <= self.cimd_cache_max_ttl:
            raise SettingsError("cimd_cache_ttl: must lie between cimd_cache_min_ttl and cimd_cache_max_ttl")
        size = self.cimd_cache_size
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise SettingsError(f"cimd_cache_size: expected a positive whole number, got {size!r}")
        ca_file = self.cimd_ca_file
        if ca_file is not None and (not isinstance(ca_file, str) or not os.path.isfile(ca_file)):
            raise SettingsError(f"cimd_ca_file: expected the path of a PEM file, got {ca_file!r}")
        if self.cimd_resolver is not None and not callable(self.cimd_resolver):
            raise SettingsError("cimd_resolver: expected a callable (host, port) -> addresses, or None")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], prefix: str = PREFIX) -> Settings:
        """Settings from the ``PROAUTH2_*`` keys of ``values``: a Flask config, the environment, a file.

        ``PROAUTH2_CODE_LIFETIME`` is ``code_lifetime``; keys that are absent
        keep their defaults. Text (as the environment holds it) becomes what
        the setting needs: ``"3600"`` a number, ``"false"`` a boolean, a JSON
        object or list (or space-separated names) the scopes. A bad value
        raises :class:`SettingsError` naming the key.
        """
        options = {}
        for spec in dataclasses.fields(cls):
            key = prefix + spec.name.upper()
            if key in values:
                options[spec.name] = from_text(values[key], _default(spec))
        try:
            return cls(**options)
        except SettingsError as exc:
            name, _, reason = str(exc).partition(": ")
            raise SettingsError(f"{prefix}{name.upper()}: {reason}") from None

    @property
    def pkce_methods(self) -> tuple[str, ...]:
        """The ``code_challenge_method`` values this server accepts."""
        return ("S256", "plain") if self.allow_plain_pkce else ("S256",)

    def _check_device_verification_uri(self) -> None:
        uri = self.device_verification_uri
        if uri is None:
            return
        if not isinstance(uri, str) or "#" in uri:
            raise SettingsError("device_verification_uri: expected an https URL or a path such as /device")
        if uri.startswith("/") and not uri.startswith("//"):
            if not self.issuer:
                raise SettingsError("device_verification_uri: a path is below the issuer: set issuer too")
            uri = self.issuer.rstrip("/") + uri
        try:
            validate_web_url(uri)
        except ValueError as exc:
            raise SettingsError(f"device_verification_uri: {exc}") from None

    @property
    def device_verification_url(self) -> str | None:
        """RFC 8628 §3.2 ``verification_uri``: absolute (a path is below the issuer); None: no device flow."""
        uri = self.device_verification_uri
        if uri is not None and uri.startswith("/") and self.issuer:
            return self.issuer.rstrip("/") + uri
        return uri


def from_text(value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` when it is text from the environment; anything else as it is.

    ``"3600"`` becomes an int, ``"true"``/``"false"`` (``yes``/``no``,
    ``1``/``0``) a bool, JSON text a mapping or list where the default is one;
    text that fits no such form stays text, for the setting's own check to refuse.
    """
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    text = value.strip()
    if isinstance(default, bool):
        return _BOOLEANS.get(text.lower(), value)
    if isinstance(default, int):
        return int(text) if text.isascii() and text.isdigit() else value  # not "²", which int() takes
    if isinstance(default, float):
        return float(text) if _DECIMAL.fullmatch(text) else value  # not "nan", "inf" or "1e999"
    if isinstance(default, (Mapping, frozenset, tuple)) and text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")
# a host name as URLs carry it (lower case), optionally "*." for its subdomains
_HOST_NAME = re.compile(r"(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")


def _host_list(name: str, hosts: Any) -> tuple[str, ...]:
    """Host names (or IP addresses), lower case: a list, or text separated by spaces or commas."""
    if isinstance(hosts, str):
        hosts = hosts.replace(",", " ").split()
    if not isinstance(hosts, (list, tuple, frozenset, set)) or not all(isinstance(host, str) for host in hosts):
        raise SettingsError(f"{name}: expected host names such as example.com or *.example.com")
    result = []
    for host in hosts:
        host = host.strip().lower().rstrip(".")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not _HOST_NAME.fullmatch(host) or len(host) > 253:
                raise SettingsError(f"{name}: {host!r} is not a host name such as example.com") from None
        result.append(host)
    return tuple(dict.fromkeys(result))


def _default(spec: dataclasses.Field[Any]) -> Any:
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return spec.default


def _scope_names(name: str, scopes: Iterable[str]) -> frozenset[str]:
    try:
        return parse_scope(list(scopes))
    except Exception as exc:
        raise SettingsError(f"{name}: malformed scope name in {scopes!r}") from exc
