"""Parsing the ``Authorization`` request header (RFC 9110 §11.6.2), never raising on garbage."""

from __future__ import annotations

from werkzeug.datastructures import Authorization


def parse_authorization(header: str | None) -> Authorization | None:
    """The parsed ``Authorization`` header, or None when it is absent or garbage.

    werkzeug's parser raises ValueError (instead of returning None) on a
    ``Basic`` value with non-ASCII characters; that must be a 4xx, not a 500.
    """
    try:
        return Authorization.from_header(header)
    except ValueError:
        return None
