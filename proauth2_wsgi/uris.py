"""Redirect URI and issuer rules.

- Registered redirect URIs are absolute, carry no fragment (RFC 6749 §3.1.2),
  and use https, http on a loopback host only (RFC 8252 §7.3, RFC 9700 §2.1),
  or a private-use scheme for native apps (RFC 8252 §7.1).
- A request's redirect_uri matches a registered one by exact string
  comparison (RFC 9700 §4.1.3), except the port of an ``http://127.0.0.1``
  or ``http://[::1]`` loopback redirect, which may vary (RFC 8252 §7.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

#: longest redirect URI accepted
MAX_URI_LENGTH = 2000

# An http redirect on a loopback IP literal, split around its optional port
# (RFC 8252 §7.3). Only these exact spellings: not "localhost" (RFC 8252 §8.3),
# not https, not another case of the scheme.
_LOOPBACK_REDIRECT = re.compile(r"(http://(?:127\.0\.0\.1|\[::1\]))(?::([0-9]{1,5}))?([/?].*)?", re.DOTALL)
#: highest TCP port; a loopback redirect naming a higher one matches nothing
MAX_PORT = 65535
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# printable ASCII but space, double quote and backslash (safe in a quoted-string)
_ISSUER_CHARS = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_FORBIDDEN_SCHEMES = ("javascript", "data", "vbscript", "file", "about", "blob")


def validate_redirect_uri(uri: str) -> str:
    """Return ``uri`` if it may be registered as a redirect URI, else raise ValueError."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
        raise ValueError("redirect URI must be a non-empty string of at most 2000 characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in uri):
        raise ValueError("redirect URI must not contain spaces or control characters")
    # RFC 3986 §2: a URI is ASCII, and "\" is none of its characters. Browsers read "\" as "/" (WHATWG URL):
    # "http://evil.example\@127.0.0.1/cb" is loopback to urlsplit but plain http to evil.example in a browser.
    if not uri.isascii() or "\\" in uri:
        raise ValueError("redirect URI must be ASCII without backslashes (RFC 3986 §2)")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("redirect URI is malformed") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValueError("redirect URI must be absolute")
    if "#" in uri:
        raise ValueError("redirect URI must not contain a fragment")
    if scheme in _FORBIDDEN_SCHEMES:
        raise ValueError(f"redirect URI scheme {scheme!r} is not allowed")
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise ValueError("redirect URI must name a host")
        if scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
            raise ValueError("http redirect URIs are only allowed on loopback hosts; use https")
    return uri


def validate_web_url(url: str) -> str:
    """``url`` if it is an absolute https URL (http on loopback) of at most 2000 printable characters."""
    if not 0 < len(url) <= MAX_URI_LENGTH or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise ValueError("must be a URL of at most 2000 characters without spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("is not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
        raise ValueError("must be an absolute https URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ValueError("must use https (http only on loopback)")
    return url


def validate_issuer(issuer: str) -> str:
    """An issuer is an https URL without query or fragment (RFC 8414 §2); http on loopback for development.

    It goes verbatim into the ``iss`` parameter (RFC 9207), the metadata and
    the ``realm`` of every challenge, so it must be printable ASCII without
    spaces, quotes or backslashes, and it may carry no user name or password.
    """
    _check_identifier_url(issuer)
    return issuer.rstrip("/") if urlsplit(issuer).path in ("", "/") else issuer


def validate_resource(identifier: str) -> str:
    """A resource identifier (RFC 8707 §2, RFC 9728 §1.2): the issuer's rules, kept exactly as written.

    An https URL (http on loopback) without query, fragment or user
    information, of printable ASCII without spaces, quotes or backslashes (it
    goes into ``aud`` claims and ``WWW-Authenticate`` challenges).
    """
    if not isinstance(identifier, str) or not 0 < len(identifier) <= MAX_URI_LENGTH:
        raise ValueError(f"must be a URL of at most {MAX_URI_LENGTH} characters")
    _check_identifier_url(identifier)
    return identifier


def _check_identifier_url(value: str) -> None:
    if not _ISSUER_CHARS.fullmatch(value):
        raise ValueError("must be printable ASCII without spaces, quotes or backslashes")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    parts.port  # noqa: B018 - raises ValueError on a bad port
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ValueError("must use https (http only on loopback)")
    if parts.query or parts.fragment or "#" in value or "?" in value:
        raise ValueError("must not have a query or fragment")


def _without_port(uri: str) -> str | None:
    """``uri`` with its port removed if it is an http loopback-IP redirect, else None."""
    match = _LOOPBACK_REDIRECT.fullmatch(uri)
    if match is None or (match.group(2) is not None and int(match.group(2)) > MAX_PORT):
        return None
    return match.group(1) + (match.group(3) or "")


def match_redirect_uri(requested: str, registered: Iterable[str]) -> bool:
    """Exact match against the registered URIs, port-insensitive for loopback IPs (RFC 8252 §7.3).

    Apart from the port, a loopback redirect must still equal a registered
    one character for character.
    """
    registered = list(registered)
    if requested in registered:
        return True
    bare = _without_port(requested)
    return bare is not None and any(_without_port(uri) == bare for uri in registered)


def add_query(uri: str, params: Mapping[str, str]) -> str:
    """``uri`` with ``params`` form-urlencoded after its own query; any fragment dropped (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = urlencode(params)
    if parts.query:
        query = f"{parts.query}&{query}"
    return urlunsplit(parts._replace(query=query, fragment=""))
