"""The storage schema: the only tables and fields a DataStore ever sees.

Every table and field name that reaches a store comes from here, never from
a request, and every value is checked against its field's type and size
before any store runs a query. Credentials are stored as SHA-256 digests
(``*_hash`` fields); lists are typed values, not space-joined strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequest

#: the schema version this code writes; stores record it for future migrations
SCHEMA_VERSION = 1

#: value types a field may have
FIELD_TYPES = (str, int, bool, list)

_INT64 = 2**63


@dataclass(frozen=True)
class Field:
    """One column: its Python type, whether it may be None, its maximum size, whether it is indexed."""

    type: type
    nullable: bool = False
    max_length: int = 255
    indexed: bool = False


@dataclass(frozen=True)
class Table:
    """One table: its key field and its fields."""

    key: str
    fields: Mapping[str, Field]


_ID = Field(str, max_length=255)
_HASH = Field(str, max_length=64)
_LIST = Field(list, max_length=20_000)
_TIME = Field(int)

# What access and refresh tokens both record; a refresh token also records its rotation ("used").
_TOKEN_FIELDS: Mapping[str, Field] = {
    "token_hash": _HASH,
    "client_id": Field(str, max_length=255, indexed=True),
    "user_id": Field(str, nullable=True, max_length=255, indexed=True),
    "scopes": _LIST,
    "grant_id": Field(str, max_length=64, indexed=True),
    "issued_at": _TIME,
    "expires_at": Field(int, indexed=True),
    "revoked": Field(bool),
}

SCHEMA: Mapping[str, Table] = {
    "clients": Table(
        key="client_id",
        fields={
            "client_id": _ID,
            "secret_hash": Field(str, nullable=True, max_length=64),
            "name": _ID,
            "redirect_uris": _LIST,
            "grant_types": _LIST,
            "scopes": _LIST,
            "default_scope": _LIST,
            "auth_method": Field(str, max_length=32),
            "created_at": _TIME,
        },
    ),
    "codes": Table(
        key="code_hash",
        fields={
            "code_hash": _HASH,
            "client_id": _ID,
            "user_id": _ID,
            "redirect_uri": Field(str, max_length=2000),
            "redirect_uri_given": Field(bool),
            "scopes": _LIST,
            "code_challenge": Field(str, nullable=True, max_length=128),
            "code_challenge_method": Field(str, nullable=True, max_length=8),
            "grant_id": Field(str, max_length=64, indexed=True),
            "expires_at": Field(int, indexed=True),
            "used": Field(bool),
        },
    ),
    "access_tokens": Table(key="token_hash", fields=_TOKEN_FIELDS),
    "refresh_tokens": Table(key="token_hash", fields={**_TOKEN_FIELDS, "used": Field(bool)}),
}


def table_of(name: object) -> Table:
    """The table called ``name``, or :class:`InvalidRequest` for any other name."""
    table = SCHEMA.get(name) if isinstance(name, str) else None
    if table is None:
        raise InvalidRequest("unknown table")
    return table


def _check_value(field_name: str, field: Field, value: Any) -> Any:
    if value is None:
        if field.nullable:
            return None
        raise InvalidRequest(f"{field_name} is required")
    if field.type is bool:
        if not isinstance(value, bool):
            raise InvalidRequest(f"{field_name} must be a boolean")
    elif field.type is int:
        if isinstance(value, bool) or not isinstance(value, int) or not -_INT64 <= value < _INT64:
            raise InvalidRequest(f"{field_name} must be a 64-bit integer")
    elif field.type is str:
        _check_text(field_name, value, field.max_length)
    else:
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise InvalidRequest(f"{field_name} must be a list of strings")
        value = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        for item in value:
            _check_text(field_name, item, 2000)
        if sum(len(item) + 4 for item in value) > field.max_length:
            raise InvalidRequest(f"{field_name} is too long")
    return value


def _check_text(field_name: str, value: Any, max_length: int) -> None:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field_name} must be text")
    if len(value) > max_length:
        raise InvalidRequest(f"{field_name} is too long")
    if "\x00" in value:
        raise InvalidRequest(f"{field_name} must not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(f"{field_name} is not valid text") from None


def check_fields(table_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check field names and values of a partial record (a where clause or an update)."""
    table = table_of(table_name)
    checked = {}
    for name, value in values.items():
        field = table.fields.get(name)
        if field is None:
            raise InvalidRequest("unknown field")
        checked[name] = _check_value(name, field, value)
    return checked


def check_record(table_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a whole record for :meth:`DataStore.store`: every non-nullable field present."""
    checked = check_fields(table_name, values)
    for name, field in table_of(table_name).fields.items():
        if name not in checked:
            checked[name] = _check_value(name, field, None)
    return checked
