"""One table of RFC 6750 cases that every adapter of the protector must answer alike.

Each case is the keyword arguments of a request to a path whose rule needs
``admin email``: ``headers``, ``query_string`` (a mapping), or ``token``, the
scope of a real token to issue first and send in the header. The Flask
decorator and the WSGI middleware (tests/flask/test_decorator.py), the WSGI
and the ASGI middleware (tests/asgi/test_same_answers.py) are compared on it.
"""

from __future__ import annotations

import pytest

#: the scopes the cases' path requires
REQUIRED = "admin email"

CASES = [
    pytest.param({}, id="no-token"),
    pytest.param({"headers": {"Authorization": "Bearer " + "x" * 43}}, id="invalid-token"),
    pytest.param({"headers": {"Authorization": "Bearer a b"}}, id="malformed-header"),
    pytest.param({"headers": {"Authorization": "Basic dXNlcjpwYXNz"}}, id="other-scheme"),
    pytest.param({"query_string": {"access_token": "x" * 43}}, id="query-token"),
    pytest.param({"headers": {"Authorization": "Bearer " + "a" * 5000}}, id="oversized-token"),
    pytest.param({"token": "profile"}, id="insufficient-scope"),
    pytest.param({"token": "admin email profile"}, id="valid"),
]
