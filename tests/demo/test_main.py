"""``python -m demo`` start-up: a database it cannot open is a short message and exit 1, not a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from .conftest import REPO_ROOT, demo_env


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    url = f"postgresql://postgres:s3cret-password@127.0.0.1:{port}/demo"
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--port", "1", "--instance-path", str(tmp_path), "--database-url", url],
        cwd=REPO_ROOT,
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"127.0.0.1:{port}/demo" in done.stderr and "create database" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
