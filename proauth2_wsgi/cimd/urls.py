"""Client identifier URLs (draft-ietf-oauth-client-id-metadata-document-01 §3).

A client that has a metadata document names itself by the document's URL.
That URL must use ``https``, have a path (not ``/`` alone), and carry no
dot segment (``.`` or ``..``, percent-encoded ones too), no fragment and no
user name or password. It goes verbatim into codes, tokens, ``aud`` claims
and headers, so it must also be printable ASCII without spaces, quotes or
backslashes, and fit the 255 characters of a ``client_id`` column.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote, urlsplit

__all__ = ["MAX_URL_LENGTH", "InvalidDocumentUrl", "check_document_url", "looks_like_url"]

#: longest client identifier URL: the ``client_id`` columns hold 255 characters
MAX_URL_LENGTH = 255
# printable ASCII but space, double quote and backslash (safe in any header or claim)
_URL_CHARS = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_DOT_SEGMENTS = (".", "..")


class InvalidDocumentUrl(ValueError):
    """A client identifier that is a URL but not one a metadata document may have; the message says why."""


def looks_like_url(client_id: str) -> bool:
    """True when ``client_id`` is meant as a URL (``http://`` or ``https://``, in any case).

    Such an identifier is resolved as a metadata document, or refused with
    the reason; any other identifier is left to the registered clients.
    """
    return client_id[:8].lower().startswith(("https://", "http://"))


def check_document_url(url: str) -> SplitResult:
    """The parts of ``url`` if it may identify a client by its metadata document (§3), else InvalidDocumentUrl."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidDocumentUrl(f"it is longer than {MAX_URL_LENGTH} characters")
    if not _URL_CHARS.fullmatch(url):
        raise InvalidDocumentUrl("it must be printable ASCII without spaces, quotes or backslashes")
    if not url.startswith("https://"):
        raise InvalidDocumentUrl("it must use the https scheme")
    if "#" in url:
        raise InvalidDocumentUrl("it must not contain a fragment")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidDocumentUrl("it is not a valid URL") from None
    if "@" in parts.netloc:
        raise InvalidDocumentUrl("it must not contain a user name or password")
    if not parts.hostname:
        raise InvalidDocumentUrl("it must name a host")
    if parts.path in ("", "/"):
        raise InvalidDocumentUrl("it must contain a path (the document's), not just a host")
    if any(unquote(segment) in _DOT_SEGMENTS for segment in parts.path.split("/")):
        raise InvalidDocumentUrl("its path must not contain . or .. segments")
    return parts
