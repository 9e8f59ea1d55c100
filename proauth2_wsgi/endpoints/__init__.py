"""The HTTP endpoints of proauth2 as plain WSGI apps (werkzeug), mountable by any framework.

- :class:`TokenEndpoint` — RFC 6749 §3.2 (code + PKCE, refresh, client credentials)
- :class:`RevocationEndpoint` — RFC 7009
- :class:`IntrospectionEndpoint` — RFC 7662
- :class:`DeviceAuthorizationEndpoint` — RFC 8628 device authorization (with ``device_verification_uri``)
- :class:`PushedAuthorizationEndpoint` — RFC 9126 pushed authorization requests
- :class:`MetadataEndpoint` — RFC 8414 (with RFC 9207 ``iss``)
- :class:`RegistrationEndpoint` — RFC 7591 dynamic client registration
- :class:`AuthorizationServer` — all of them under one prefix
- :mod:`.authorization` — the authorization-request helper for the host's consent page
"""

from .authorization import authorization_redirect as authorization_redirect
from .authorization import denial_redirect as denial_redirect
from .authorization import error_page as error_page
from .authorization import error_redirect as error_redirect
from .authorization import parse_authorization_request as parse_authorization_request
from .device_authorization import DeviceAuthorizationEndpoint as DeviceAuthorizationEndpoint
from .introspection import IntrospectionEndpoint as IntrospectionEndpoint
from .metadata import MetadataEndpoint as MetadataEndpoint
from .par import PushedAuthorizationEndpoint as PushedAuthorizationEndpoint
from .registration import RegistrationEndpoint as RegistrationEndpoint
from .revocation import RevocationEndpoint as RevocationEndpoint
from .server import AuthorizationServer as AuthorizationServer
from .token import TokenEndpoint as TokenEndpoint
