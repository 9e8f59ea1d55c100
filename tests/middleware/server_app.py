"""The app gunicorn serves in the tests: :func:`frameworks.build` on ``PROAUTH2_TEST_DB_URL``, token cache on."""

from __future__ import annotations

import os

from proauth2_wsgi import Proauth2
from tests.middleware.frameworks import build

application = build(Proauth2(os.environ["PROAUTH2_TEST_DB_URL"]), cache_ttl=2.0)  # the cache crosses the fork too
