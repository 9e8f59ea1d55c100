"""The storage field types, and the check every value passes before any store sees it.

A field is text (``str``), a 64-bit integer (``int``), a boolean (``bool``), a
list of strings (``list``) or a JSON object (``dict``: structured values such
as pushed authorization parameters or an OpenID Connect claims request).
Lists and objects are typed values, never space-joined strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import SchemaViolation

#: value types a field may have
FIELD_TYPES = (str, int, bool, list, dict)

_INT64 = 2**63
#: longest item of a list field
MAX_LIST_ITEM = 2000


@dataclass(frozen=True)
class Field:
    """One column: its Python type, whether it may be None, its maximum size, whether it is indexed.

    ``default`` fills the column of existing rows when a migration adds it.
    """

    type: type
    nullable: bool = False
    max_length: int = 255
    indexed: bool = False
    default: Any = None

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise TypeError(f"field type must be one of {FIELD_TYPES}")


@dataclass(frozen=True)
class Table:
    """One table: its key field and its fields, in column order."""

    key: str
    fields: Mapping[str, Field] = field(default_factory=dict)


def check_value(field_name: str, spec: Field, value: Any) -> Any:
    """``value`` as stored for ``spec`` (sets become sorted lists), or :class:`SchemaViolation`."""
    if value is None:
        if spec.nullable:
            return None
        raise SchemaViolation(f"{field_name} is required")
    kind = spec.type
    if kind is bool:
        if not isinstance(value, bool):
            raise SchemaViolation(f"{field_name} must be a boolean")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not -_INT64 <= value < _INT64:
            raise SchemaViolation(f"{field_name} must be a 64-bit integer")
    elif kind is str:
        check_text(field_name, value, spec.max_length)
    elif kind is list:
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise SchemaViolation(f"{field_name} must be a list of strings")
        value = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        for item in value:
            check_text(field_name, item, MAX_LIST_ITEM)
        if sum(len(item) + 4 for item in value) > spec.max_length:
            raise SchemaViolation(f"{field_name} is too long")
    else:
        if not isinstance(value, Mapping):
            raise SchemaViolation(f"{field_name} must be a JSON object")
        try:
            encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            raise SchemaViolation(f"{field_name} must hold JSON values only") from None
        check_text(field_name, encoded, spec.max_length)
        value = dict(value)
    return value


def check_text(field_name: str, value: Any, max_length: int) -> None:
    """Text of at most ``max_length`` characters, without NUL, encodable as UTF-8."""
    if not isinstance(value, str):
        raise SchemaViolation(f"{field_name} must be text")
    if len(value) > max_length:
        raise SchemaViolation(f"{field_name} is too long")
    if "\x00" in value:
        raise SchemaViolation(f"{field_name} must not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SchemaViolation(f"{field_name} is not valid text") from None
