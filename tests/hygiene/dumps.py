"""Whole-database dumps, and the encodings in which a plaintext secret could hide in one.

:func:`dump_database` uses the backend's own dump tool (sqlite3's
``iterdump``, ``pg_dump``, ``mysqldump``/``mariadb-dump``) and falls back to
``SELECT *`` of every table when the tool is missing.
"""

from __future__ import annotations

import base64
import binascii
import shutil
import subprocess
from collections.abc import Iterable
from urllib.parse import urlsplit

from tests.databases import connect, query

#: seconds a dump tool may take on this loaded machine
DUMP_TIMEOUT = 120


def dump_database(url: str) -> str:
    """Everything the database of ``url`` holds, schema and rows, as text."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme == "sqlite":
        conn = connect(url)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    if parts.scheme == "postgresql" and shutil.which("pg_dump"):
        command = ["pg_dump", "-h", str(parts.hostname), "-p", str(parts.port or 5432), "-U", str(parts.username), name]
        return _run(command, {"PGPASSWORD": parts.password or ""})
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if parts.scheme == "mysql" and tool:
        command = [tool, "-h", str(parts.hostname), "-P", str(parts.port or 3306), "-u", str(parts.username)]
        return _run([*command, "--hex-blob", name], {"MYSQL_PWD": parts.password or ""})
    return _select_everything(url)


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        command, capture_output=True, check=True, timeout=DUMP_TIMEOUT, env={"PATH": "/usr/bin:/bin", **env}
    )
    return done.stdout.decode("utf-8", "replace")


def _select_everything(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme == "postgresql":
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    lines = []
    for (table,) in query(url, sql):
        lines.append(f"-- {table}")
        lines.extend(repr(row) for row in query(url, f"SELECT * FROM {table}"))  # names from the catalogue
    return "\n".join(lines)


def encodings(secret: str) -> set[str]:
    """The forms in which ``secret`` could sit in a dump: plain, base64 and base64url of its text, its hex; and,
    for a base64url secret, the hex and the base64 of the bytes it encodes. Hex forms are lower case."""
    text = secret.encode()
    forms = {
        secret,
        base64.urlsafe_b64encode(text).decode().rstrip("="),
        base64.b64encode(text).decode().rstrip("="),
        text.hex(),
    }
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except (binascii.Error, ValueError):
        return forms
    if len(raw) >= 8:
        forms |= {raw.hex(), base64.b64encode(raw).decode().rstrip("=")}
    return forms


def found_in(dump: str, secrets: Iterable[str]) -> list[str]:
    """Which of ``secrets`` (by position, never the value) show in ``dump`` in any of their :func:`encodings`."""
    lowered = dump.lower()
    found = []
    for number, secret in enumerate(secrets):
        for form in encodings(secret):
            hexadecimal = all(c in "0123456789abcdef" for c in form)
            if (form in lowered) if hexadecimal else (form in dump):
                found.append(f"secret #{number} ({len(secret)} characters)")
                break
    return found
