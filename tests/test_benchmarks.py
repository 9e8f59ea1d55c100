"""``make bench`` still runs every part, on a few iterations (its figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmarks_run_every_part() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--iterations", "10", "--max-tokens", "2000"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    parts = (
        "Per request, in-process",
        "Flask:",
        "OpenID Connect:",
        "Resource servers:",
        "DPoP:",
        "private_key_jwt:",
        "Device grant:",
        "Client ID Metadata Documents:",
        "ASGI:",
        "Validation vs",
        "Budgets",
    )
    for title in parts:
        assert title in done.stdout, done.stdout
    assert "ID token ES256 adds" in done.stdout
    assert "ASGI middleware, valid token, cache_ttl=5" in done.stdout
    assert "CIMD document fetches in one cache period   1 <= 1 : ok" in done.stdout
    assert "DPoP proof (ES256, jti spent in SQLite)" in done.stdout
    assert "private_key_jwt token request (ES256) vs client_secret_basic" in done.stdout
    assert "device poll (pending) vs a failed token request" in done.stdout
