"""proauth2: an OAuth 2.1 authorization server for any WSGI app.

The public API is re-exported here; see README.md.
"""

from .errors import InsufficientScope as InsufficientScope
from .errors import InvalidToken as InvalidToken
from .errors import Proauth2Error as Proauth2Error
from .errors import StorageUnavailable as StorageUnavailable
from .middleware import BearerTokenMiddleware as BearerTokenMiddleware
from .models import AccessToken as AccessToken
from .models import AuthorizationRequest as AuthorizationRequest
from .models import Client as Client
from .models import ClientCredentials as ClientCredentials
from .provider import Proauth2 as Proauth2
from .settings import Settings as Settings
from .settings import SettingsError as SettingsError
from .stores import DataStore as DataStore
from .stores import PeeweeDataStore as PeeweeDataStore

__version__ = "0.1.0"
