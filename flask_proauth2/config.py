"""The ``PROAUTH2_*`` configuration keys: their defaults, and their validation at start-up.

Every :class:`~proauth2_wsgi.Settings` field is a key (``code_lifetime`` is
``PROAUTH2_CODE_LIFETIME``), with the settings' own (secure) default; the keys
below are the extension's own. Values may come from the environment
(``app.config.from_prefixed_env()`` parses JSON, so numbers and booleans
arrive typed); a number or boolean that arrives as a plain string
(``"3600"``, ``"false"``) is accepted too. A wrong value raises
:class:`~proauth2_wsgi.SettingsError` naming the key.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from proauth2_wsgi import DataStore, Settings, SettingsError
from proauth2_wsgi.settings import PREFIX, from_text
from proauth2_wsgi.uris import validate_resource

#: the extension's own keys and their defaults
EXTENSION_DEFAULTS: dict[str, Any] = {
    #: a database URL or a DataStore; None means ``sqlite:///<instance_path>/proauth2.db``
    "PROAUTH2_DATABASE_URL": None,
    #: apply missing schema migrations on first use (off: run ``flask proauth2 migrate`` at deploy time)
    "PROAUTH2_AUTO_MIGRATE": True,
    #: mount the dynamic client registration endpoint (RFC 7591); off by default
    "PROAUTH2_REGISTRATION": False,
    #: the bearer token registration requests must present (RFC 7591 §3); None lets anyone register
    "PROAUTH2_INITIAL_ACCESS_TOKEN": None,
    #: where the token, revocation, introspection and registration endpoints are mounted
    "PROAUTH2_URL_PREFIX": "/oauth",
    #: the ``realm`` of ``WWW-Authenticate: Bearer`` challenges (RFC 6750 §3)
    "PROAUTH2_REALM": "api",
    #: the URL of the app's own authorization view (absolute, or a path below the issuer), for the metadata
    "PROAUTH2_AUTHORIZATION_ENDPOINT": None,
    #: the URL of the app's own RP-Initiated Logout view (OpenID Connect), for the metadata
    "PROAUTH2_END_SESSION_ENDPOINT": None,
    #: the identifier of the resource this app's protected routes are (RFC 8707, RFC 9728), or None
    "PROAUTH2_PROTECTED_RESOURCE": None,
    #: answer the OAuth endpoints before Flask dispatches (faster; Flask's request hooks then skip them)
    "PROAUTH2_ENDPOINTS_BEFORE_FLASK": False,
}

_SETTINGS_FIELDS = dataclasses.fields(Settings)


def set_defaults(config: dict[str, Any]) -> None:
    """``config.setdefault`` every ``PROAUTH2_*`` key."""
    for field in _SETTINGS_FIELDS:
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        config.setdefault(PREFIX + field.name.upper(), default)
    for key, value in EXTENSION_DEFAULTS.items():
        config.setdefault(key, value)


@dataclasses.dataclass(frozen=True)
class Config:
    """The validated ``PROAUTH2_*`` configuration of one app."""

    settings: Settings
    database: DataStore | str
    auto_migrate: bool
    registration: bool
    initial_access_token: str | None
    url_prefix: str
    realm: str
    authorization_endpoint: str | None
    end_session_endpoint: str | None
    endpoints_before_flask: bool
    protected_resource: str | None


def _check(key: str, ok: bool, expected: str, value: Any) -> None:
    if not ok:
        raise SettingsError(f"{key}: expected {expected}, got {value!r}")


def load(config: Mapping[str, Any], instance_path: str) -> Config:
    """Validate the ``PROAUTH2_*`` keys of ``config`` into a :class:`Config`."""
    settings = Settings.from_mapping(config)
    own = {key: from_text(config[key], default) for key, default in EXTENSION_DEFAULTS.items()}
    database = own["PROAUTH2_DATABASE_URL"]
    if database is None:
        os.makedirs(instance_path, exist_ok=True)
        database = "sqlite:///" + os.path.join(instance_path, "proauth2.db")
    _check(
        "PROAUTH2_DATABASE_URL",
        isinstance(database, DataStore) or (isinstance(database, str) and "://" in database),
        "a database URL such as sqlite:///proauth2.db, or a DataStore",
        database,
    )
    for key in ("PROAUTH2_AUTO_MIGRATE", "PROAUTH2_REGISTRATION", "PROAUTH2_ENDPOINTS_BEFORE_FLASK"):
        _check(key, isinstance(own[key], bool), "True or False", own[key])
    token = own["PROAUTH2_INITIAL_ACCESS_TOKEN"]
    _check(
        "PROAUTH2_INITIAL_ACCESS_TOKEN", token is None or (isinstance(token, str) and bool(token)), "a string", token
    )
    if token is not None and not own["PROAUTH2_REGISTRATION"]:
        raise SettingsError("PROAUTH2_INITIAL_ACCESS_TOKEN: set, but PROAUTH2_REGISTRATION is off")
    prefix = own["PROAUTH2_URL_PREFIX"]
    _check(
        "PROAUTH2_URL_PREFIX",
        isinstance(prefix, str) and (prefix == "" or (prefix.startswith("/") and not prefix.endswith("/"))),
        'a path such as "/oauth" (no trailing slash), or ""',
        prefix,
    )
    realm = own["PROAUTH2_REALM"]
    _check(
        "PROAUTH2_REALM",
        isinstance(realm, str) and realm.isprintable() and bool(realm) and '"' not in realm and "\\" not in realm,
        "printable text without quotes or backslashes",
        realm,
    )
    for key in ("PROAUTH2_AUTHORIZATION_ENDPOINT", "PROAUTH2_END_SESSION_ENDPOINT"):
        value = own[key]
        _check(
            key,
            value is None or (isinstance(value, str) and (value.startswith("/") or "://" in value)),
            'a URL, or a path such as "/authorize"',
            value,
        )
    resource = own["PROAUTH2_PROTECTED_RESOURCE"]
    if resource is not None:
        try:
            validate_resource(resource)
        except ValueError as exc:
            raise SettingsError(f"PROAUTH2_PROTECTED_RESOURCE: {exc}") from None
        if not settings.issuer:
            raise SettingsError("PROAUTH2_PROTECTED_RESOURCE: set PROAUTH2_ISSUER too (its authorization server)")
    return Config(
        settings=settings,
        database=database,
        auto_migrate=own["PROAUTH2_AUTO_MIGRATE"],
        registration=own["PROAUTH2_REGISTRATION"],
        initial_access_token=token,
        url_prefix=prefix,
        realm=realm,
        authorization_endpoint=own["PROAUTH2_AUTHORIZATION_ENDPOINT"],
        end_session_endpoint=own["PROAUTH2_END_SESSION_ENDPOINT"],
        endpoints_before_flask=own["PROAUTH2_ENDPOINTS_BEFORE_FLASK"],
        protected_resource=resource,
    )
