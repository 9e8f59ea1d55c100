"""How commands show clients: a table for people, JSON (RFC 7591 metadata names) for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..models import Client, ClientCredentials
from ..scopes import format_scope

__all__ = ["client_fields", "client_json", "table"]

#: the columns of ``list-clients``
COLUMNS = ("CLIENT_ID", "NAME", "AUTH_METHOD", "GRANT_TYPES", "SCOPE", "REDIRECT_URIS")


def client_json(client: Client, credentials: ClientCredentials | None = None) -> dict[str, Any]:
    """A client as RFC 7591 metadata; its secret only when ``credentials`` carry a new one."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
        "scope": format_scope(client.scopes),
        "default_scope": format_scope(client.default_scope),
        "token_endpoint_auth_method": client.auth_method,
        "client_id_issued_at": client.created_at,
        **client.metadata,
    }
    if credentials is not None and credentials.client_secret is not None:
        body["client_secret"] = credentials.client_secret
    return body


def client_fields(client: Client) -> list[tuple[str, str]]:
    """``show-client``'s lines: every metadata field, lists comma-separated."""
    fields = []
    for name, value in client_json(client).items():
        if isinstance(value, dict):  # a JWK set: as JSON, which it is
            shown = json.dumps(value, separators=(",", ":"), sort_keys=True)
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        fields.append((name, shown or "-"))
    return fields


def table(rows: Sequence[Sequence[str]], header: Sequence[str] = COLUMNS) -> list[str]:
    """Rows aligned under a header, columns two spaces apart (values may hold spaces)."""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def client_row(client: Client) -> tuple[str, ...]:
    """One client's cells in ``list-clients``."""
    return (
        client.client_id,
        client.name,
        client.auth_method,
        ",".join(client.grant_types),
        format_scope(client.scopes) or "-",
        ",".join(client.redirect_uris) or "-",
    )
