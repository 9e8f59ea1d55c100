"""The few HTTP calls a resource server makes to its authorization server: a JWK set, an introspection.

Standard library only (:mod:`urllib.request`), with a timeout and a size
limit on every answer. The URLs are the operator's configuration (the
issuer's ``jwks_uri`` and ``introspection_endpoint``), never a client's, so
they are fetched as given (proxies from the environment included).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

__all__ = ["Unreachable", "fetch_json"]

#: seconds a call may take
DEFAULT_TIMEOUT = 5.0
#: largest answer read
MAX_RESPONSE_BYTES = 256 * 1024


class Unreachable(Exception):
    """The authorization server did not give a usable answer; the message says what happened."""


def fetch_json(
    url: str,
    *,
    form: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> tuple[int, dict[str, Any]]:
    """``GET`` ``url`` (``POST`` ``form`` when given); the status and the JSON object answered.

    Raises :class:`Unreachable` for a network failure, a timeout, an answer
    over ``max_bytes``, or a body that is not a JSON object. HTTP error
    statuses are returned with their body (``{}`` when it is not JSON).
    """
    if not url.startswith(("https://", "http://")):
        raise Unreachable(f"{url}: not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url, data=form, headers={"Accept": "application/json", **(headers or {})}
    )
    if form is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the operator's URL, http(s) only
            status, body = response.status, response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(max_bytes + 1)
        error.close()
        return status, _json_object(body, max_bytes, strict=False, url=url)
    except (OSError, ValueError) as error:  # URLError, timeouts, refused connections, a malformed URL
        raise Unreachable(f"{url}: {type(error).__name__}: {error}") from None
    return status, _json_object(body, max_bytes, strict=True, url=url)


def _json_object(body: bytes, max_bytes: int, *, strict: bool, url: str = "") -> dict[str, Any]:
    if len(body) > max_bytes:
        raise Unreachable(f"{url}: the answer is over {max_bytes} bytes")
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    if strict:
        raise Unreachable(f"{url}: the answer is not a JSON object")
    return {}
