"""``python -m proauth2_wsgi``: the ``proauth2`` command line (:mod:`proauth2_wsgi.cli`)."""

import sys

from .cli import main

sys.exit(main())
