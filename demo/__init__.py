"""The proauth2 demo: a Flask provider with login, consent, a protected API, and a client.

``python -m demo`` (or ``make demo``) runs it on http://127.0.0.1:5000 with a
SQLite database in the repository's ``instance/`` folder (``--instance-path`` to choose
another). See :func:`create_app`.
"""

from .app import create_app as create_app

__all__ = ["create_app"]
