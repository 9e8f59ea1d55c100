"""proauth2: an OAuth 2.1 authorization server for any WSGI app.

The public API is re-exported here (see README.md) and loaded on first use,
so that importing a small module such as :mod:`proauth2_wsgi.errors` loads
neither the provider nor peewee.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import InsufficientScope as InsufficientScope
    from .errors import InvalidToken as InvalidToken
    from .errors import Proauth2Error as Proauth2Error
    from .errors import TemporarilyUnavailable as TemporarilyUnavailable
    from .middleware import BearerTokenMiddleware as BearerTokenMiddleware
    from .models import AccessToken as AccessToken
    from .models import AuthorizationRequest as AuthorizationRequest
    from .models import Client as Client
    from .models import ClientCredentials as ClientCredentials
    from .protector import Protector as Protector
    from .provider import Proauth2 as Proauth2
    from .settings import Settings as Settings
    from .settings import SettingsError as SettingsError
    from .stores import DataStore as DataStore
    from .stores import PeeweeDataStore as PeeweeDataStore
    from .stores import StorageUnavailable as StorageUnavailable

__version__ = "2.0.0.dev1"

#: public name -> the module that defines it
_EXPORTS = {
    "AccessToken": "models",
    "AuthorizationRequest": "models",
    "BearerTokenMiddleware": "middleware",
    "Client": "models",
    "ClientCredentials": "models",
    "DataStore": "stores",
    "InsufficientScope": "errors",
    "InvalidToken": "errors",
    "PeeweeDataStore": "stores",
    "Proauth2": "provider",
    "Proauth2Error": "errors",
    "Protector": "protector",
    "Settings": "settings",
    "SettingsError": "settings",
    "StorageUnavailable": "stores",
    "TemporarilyUnavailable": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
