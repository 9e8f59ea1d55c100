"""Real test databases: a fresh database per backend per test run, dropped afterwards.

URLs come from ``PROAUTH2_TEST_POSTGRES_URL`` and ``PROAUTH2_TEST_MYSQL_URL``
(defaulting to this machine's servers). An unreachable server skips its
tests with the reason, or fails them when ``PROAUTH2_REQUIRE_DBS=1``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

BACKENDS = ("sqlite", "postgresql", "mysql")

DEFAULT_URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql://root@127.0.0.1:3306/mysql",
}
URL_VARIABLES = {"postgresql": "PROAUTH2_TEST_POSTGRES_URL", "mysql": "PROAUTH2_TEST_MYSQL_URL"}


def server_url(backend: str) -> str:
    """The URL of a backend's server (any existing database on it)."""
    return os.environ.get(URL_VARIABLES[backend], DEFAULT_URLS[backend])


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin_connection(backend: str):
    return connect(server_url(backend))


def unavailable(reason: str) -> None:
    """Skip (or fail under PROAUTH2_REQUIRE_DBS=1) because a database server is missing."""
    if os.environ.get("PROAUTH2_REQUIRE_DBS") == "1":
        pytest.fail(f"{reason} (PROAUTH2_REQUIRE_DBS=1)")
    pytest.skip(reason)


@contextmanager
def fresh_database(backend: str, tmp_dir: str) -> Iterator[str]:
    """Create a new empty database for ``backend``; yield its URL; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir}/proauth2-{secrets.token_hex(4)}.db"
        return
    name = f"proauth2_test_{secrets.token_hex(6)}"
    try:
        conn = _admin_connection(backend)
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        unavailable(f"{backend} server at {urlsplit(server_url(backend)).hostname} unreachable: {type(exc).__name__}")
        return
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield _with_database(server_url(backend), name)
    finally:
        with conn.cursor() as cursor:
            if backend == "postgresql":
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


def connect(url: str):
    """A plain DB-API connection (autocommit) to the database of ``url``, for tests that look under the store."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        import sqlite3

        return sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    if parts.scheme == "postgresql":
        import psycopg2

        conn = psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname=parts.path.lstrip("/") or "postgres",
            connect_timeout=5,
        )
        conn.autocommit = True
        return conn
    import pymysql
    from pymysql.constants import CLIENT

    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        database=parts.path.lstrip("/"),
        connect_timeout=5,
        autocommit=True,
        client_flag=CLIENT.MULTI_STATEMENTS,
    )


def run_script(url: str, script: str) -> None:
    """Run an SQL script (a database dump) on the database of ``url``."""
    conn = connect(url)
    try:
        if urlsplit(url).scheme == "sqlite":
            conn.executescript(script)
            return
        with conn.cursor() as cursor:
            cursor.execute(script)
            if urlsplit(url).scheme == "mysql":  # every statement of a multi-statement script has a result
                while cursor.nextset():
                    pass
    finally:
        conn.close()


def query(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """The rows an SQL query returns on the database of ``url`` (placeholders written ``%s``)."""
    conn = connect(url)
    try:
        cursor = conn.cursor()
        cursor.execute(sql.replace("%s", "?") if urlsplit(url).scheme == "sqlite" else sql, params)
        rows = list(cursor.fetchall())
        cursor.close()
        return rows
    finally:
        conn.close()
