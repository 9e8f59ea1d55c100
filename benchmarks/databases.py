"""Databases for the benchmarks: a temporary SQLite file, a temporary PostgreSQL database."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from proauth2_wsgi import PeeweeDataStore, Proauth2
from proauth2_wsgi.stores import SCHEMA
from proauth2_wsgi.tokens import generate_secret, hash_secret

#: the PostgreSQL server to benchmark on (any existing database on it)
POSTGRES_URL = os.environ.get(
    "PROAUTH2_BENCH_POSTGRES_URL",
    os.environ.get("PROAUTH2_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)


@contextmanager
def sqlite_url(directory: str) -> Iterator[str]:
    yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on :data:`POSTGRES_URL`'s server, dropped afterwards.

    Raises ``OSError`` when the server cannot be reached.
    """
    import psycopg2

    parts = urlsplit(POSTGRES_URL)
    try:
        admin = psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname=parts.path.lstrip("/") or "postgres",
            connect_timeout=3,
        )
    except psycopg2.Error as exc:
        raise OSError(
            f"PostgreSQL at {parts.hostname}:{parts.port or 5432} unreachable ({type(exc).__name__})"
        ) from None
    admin.autocommit = True
    name = f"proauth2_bench_{secrets.token_hex(4)}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def client_token(provider: Proauth2) -> str:
    """A real access token from the client credentials grant."""
    client_id, secret = provider.register_app("bench", grant_types=["client_credentials"])
    return str(provider.request_access_token("client_credentials", client_id, secret)["access_token"])


def _sql_value(value: Any) -> Any:
    """A field default as SQLite stores it (lists and objects as JSON text)."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def fill_sqlite(path: str, stored: int, known: int, expires_at: int) -> list[str]:
    """Store ``stored`` access tokens in a new SQLite database; return ``known`` of them.

    Rows go in with ``executemany`` in one transaction, through sqlite3
    directly (building 10^6 through the provider would take minutes), in
    key order so every index grows by appending. The known tokens' digests
    are random, so they land anywhere in the table.
    """
    schema = PeeweeDataStore(f"sqlite:///{path}")
    schema.migrate()  # the tables, as proauth2's migrations create them
    schema.dispose()
    tokens = [generate_secret() for _ in range(known)]
    hashes = sorted([hash_secret(token) for token in tokens] + [secrets.token_hex(32) for _ in range(stored - known)])
    # Every column of the current schema: these values, or the column's own default.
    fields = SCHEMA["access_tokens"].fields
    defaults = {name: _sql_value(spec.default) for name, spec in fields.items()}
    columns = list(fields)

    def row(i: int, token_hash: str) -> tuple[Any, ...]:
        values = {
            **defaults,
            "token_hash": token_hash,
            "client_id": "bench-client",
            "user_id": f"user{i:08d}",
            "scopes": "[]",
            "grant_id": f"grant{i:08d}",
            "issued_at": expires_at - 3600,
            "expires_at": expires_at,
            "revoked": False,
        }
        return tuple(values[column] for column in columns)

    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            f"INSERT INTO proauth2_access_tokens ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (row(i, token_hash) for i, token_hash in enumerate(hashes)),
        )
    connection.execute("ANALYZE")
    connection.close()
    return tokens
