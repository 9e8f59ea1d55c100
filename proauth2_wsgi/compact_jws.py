"""Reading a compact JWS strictly, before any signature is checked (RFC 7515 §3.1, §5.2; RFC 8259).

What proofs (DPoP, RFC 9449) and client assertions (RFC 7523) share: three
base64url segments, a header and a payload that are JSON objects — a
repeated member (two ``alg``, two ``aud``) or a non-JSON constant (``NaN``)
makes one unreadable rather than ambiguous.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

__all__ = ["COMPACT", "b64decode", "json_object"]

#: a compact JWS: header, payload and signature segments of base64url characters (the signature may be empty)
COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")


def b64decode(segment: str) -> bytes:
    """The bytes of a base64url segment, its characters already checked (RFC 7515 §2)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def json_object(segment: str) -> dict[str, Any] | None:
    """The JSON object a base64url segment encodes in UTF-8, None for anything else (a repeated member included)."""
    try:
        value = _DECODER.decode(b64decode(segment).decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("a member is repeated")
    return members


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: built once: json.loads would build a decoder per call
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_members, parse_constant=_no_constant)
