"""OpenID Connect 1.0 (Core, Discovery, RP-Initiated Logout) on top of the OAuth 2.1 core.

- :mod:`.claims` — the standard scopes' claims (OIDC Core §5.4) and the
  ``claims`` request parameter (§5.5);
- :mod:`.parameters` — the authentication request's own parameters (§3.1.2.1);
- :mod:`.login` — who signed in and when (:class:`Login`), and what an
  authorization request needs next: a login, a consent, or the answer;
- :mod:`.id_tokens` — the ID token (§2, §3.1.3.6) added to token responses;
- :mod:`.logout` — RP-Initiated Logout 1.0.
"""

from .login import Login as Login
from .login import Step as Step

__all__ = ["Login", "Step"]
