"""Fixtures for the demo's end-to-end tests: the real ``python -m demo`` server, Chromium, Node.

The demo always runs as a subprocess on a free loopback port, with its own
temporary instance folder (``--instance-path``) so a developer's ``instance/``
is never touched, and is stopped with SIGINT (what Ctrl-C sends) at teardown,
which must end it with exit status 0 and its "stopped" line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from proauth2_wsgi.stores import SCHEMA, PeeweeDataStore
from tests.http_server import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).with_name("node")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: seconds the demo gets to answer after start, and to stop after SIGINT
START_TIMEOUT = 30
STOP_TIMEOUT = 15
DEMO_USER, DEMO_PASSWORD = "alice", "wonderland"


class DemoServer:
    """A running ``python -m demo`` subprocess and what a test needs to know about it."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, instance: Path, log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.instance = instance
        self.log = log

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @property
    def demo_client(self) -> dict[str, str]:
        """The demo client's ``client_id`` and ``client_secret``, as the demo saved them."""
        return json.loads((self.instance / "demo_client.json").read_text())  # type: ignore[no-any-return]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the demo exited with {self.process.returncode}:\n{self.output()}")
            try:
                with http_session() as session:
                    if session.get(self.url("/.well-known/oauth-authorization-server"), timeout=2).ok:
                        return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the demo did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def interrupt(self, stop: signal.Signals = signal.SIGINT) -> tuple[int, str]:
        """Send SIGINT, as Ctrl-C in a terminal does (or another signal); the exit status and the output."""
        self.process.send_signal(stop)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the demo ignored SIGINT for {STOP_TIMEOUT} s:\n{self.output()}")
        return code, self.output()


def demo_command(instance: Path, port: int = 0, database_url: str | None = None) -> list[str]:
    """``python -m demo`` with this interpreter (the venv's), its own instance folder and port."""
    command = [sys.executable, "-m", "demo", "--port", str(port or free_port()), "--instance-path", str(instance)]
    if database_url:
        command += ["--database-url", database_url]
    return command


def demo_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the demo: ours without any ``FLASK_*`` variable, plus ``env``."""
    child_env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    child_env.update(env or {})
    return child_env


@contextmanager
def running_demo(
    tmp_dir: Path, database_url: str | None = None, env: dict[str, str] | None = None
) -> Iterator[DemoServer]:
    """Run ``python -m demo`` on a free port with its own instance folder; stop it with SIGINT.

    The demo's own settings come from ``env`` only (:func:`demo_env`), so a
    developer's shell cannot change what is tested.
    """
    port = free_port()
    instance = tmp_dir / "instance"
    log = tmp_dir / "demo.log"
    command = demo_command(instance, port, database_url)
    child_env = demo_env(env)
    # A process started with SIGINT ignored (e.g. `cmd &` in a script) passes that on to its
    # children; restore the default so the child sees Ctrl-C as a user's terminal would send it.
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, previous)
    server = DemoServer(process, f"http://127.0.0.1:{port}", instance, log)
    try:
        server.wait_until_answering()
        yield server
    finally:
        if process.poll() is None:
            code, output = server.interrupt()
        else:
            code, output = process.returncode, server.output()
        if database_url:
            _empty_tables(database_url)
        assert code == 0, f"the demo exited with {code} after SIGINT:\n{output}"
        assert "proauth2 demo stopped." in output, output
        assert "Traceback" not in output, output


def _empty_tables(database_url: str) -> None:
    """Leave a shared test database as the other test packages expect it: empty."""
    store = PeeweeDataStore(database_url)
    try:
        for table in SCHEMA:
            store._run(store._models[table].delete().execute)
    finally:
        store.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """One demo server on SQLite for the session; tests isolate themselves by browser context."""
    with running_demo(tmp_path_factory.mktemp("demo")) as server:
        yield server


@pytest.fixture
def demo_on_backend(database_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    """A demo server on each backend of the ``database_url`` fixture."""
    with running_demo(tmp_path, database_url) as server:
        yield server


@contextmanager
def http_session() -> Iterator[requests.Session]:
    """A ``requests`` session that ignores proxy settings: everything here is on loopback."""
    session = requests.Session()
    session.trust_env = False
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with http_session() as session:
        yield session


class _Forms(HTMLParser):
    """The ``<input>`` names and values of a page (the demo's pages hold one form each)."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name"):
            self.inputs[str(values["name"])] = values.get("value") or ""


def form_inputs(html: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.inputs


def sign_in(http: requests.Session, demo: DemoServer, password: str = DEMO_PASSWORD) -> requests.Response:
    """Post the login form with its CSRF token; the response, redirects not followed."""
    page = http.get(demo.url("/login"), timeout=10)
    assert page.status_code == 200
    csrf = form_inputs(page.text)["csrf"]
    return http.post(
        demo.url("/login"),
        data={"csrf": csrf, "username": DEMO_USER, "password": password},
        allow_redirects=False,
        timeout=10,
    )


def consent(http: requests.Session, authorization_url: str, decision: str = "allow") -> requests.Response:
    """Answer the consent page of ``authorization_url`` (signed in already); the 303, not followed.

    ``prompt=consent`` is added when the URL has no ``prompt``: alice's consent is remembered.
    """
    if "prompt=" not in authorization_url:
        authorization_url += "&prompt=consent"
    page = http.get(authorization_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text
    csrf = form_inputs(page.text)["csrf"]
    answer = http.post(authorization_url, data={"csrf": csrf, "decision": decision}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    return answer


def register_service(http: requests.Session, demo: DemoServer, scope: str = "profile") -> dict[str, Any]:
    """A client of the demo for the client credentials grant, registered over RFC 7591: its JSON."""
    answer = http.post(
        demo.url("/oauth/register"),
        json={"client_name": "API caller", "grant_types": ["client_credentials"], "scope": scope},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def service_token(http: requests.Session, demo: DemoServer, client: dict[str, Any], **params: str) -> requests.Response:
    """The demo's answer to a client credentials request of ``client`` (``params``: scope, resource)."""
    return http.post(
        demo.url("/oauth/token"),
        data={"grant_type": "client_credentials", **params},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )


def call_api(http: requests.Session, base_url: str, token: str) -> requests.Response:
    """``GET {base_url}/api/me`` with the bearer ``token``."""
    return http.get(f"{base_url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _skip_or_fail(reason: str, variable: str) -> None:
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; never a downloaded browser.

    Missing: the tests skip with the reason, or fail under ``PROAUTH2_REQUIRE_BROWSER=1``.
    """
    if not os.access(CHROMIUM, os.X_OK):
        _skip_or_fail(f"{CHROMIUM} not installed (apt-get install chromium)", "PROAUTH2_REQUIRE_BROWSER")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is not installed", "PROAUTH2_REQUIRE_BROWSER")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page per test."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def npm_packages(directory: Path, timeout: float = 600) -> Path:
    """``directory`` with the packages of its package-lock.json installed by ``npm ci``, once for all workers.

    ``npm ci`` deletes ``node_modules`` before it installs, so two pytest
    workers installing together would pull the packages from under each
    other's scripts: the install runs under a file lock, and not again while
    the lock file's digest stamped after the last install still matches.
    Skips (or fails under ``PROAUTH2_REQUIRE_NODE=1``) without npm or the registry.
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _skip_or_fail("node and npm are needed for the Node tests", "PROAUTH2_REQUIRE_NODE")
    assert npm is not None
    lock, stamp = directory / "package-lock.json", directory / "node_modules" / ".proauth2-installed"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    with (directory / ".npm-install.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == wanted:
            return directory
        command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        result = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:  # most often: no route to the npm registry
            _skip_or_fail(f"npm ci failed: {result.stderr.strip()[-500:]}", "PROAUTH2_REQUIRE_NODE")
        stamp.write_text(wanted)
    return directory


@pytest.fixture(scope="session")
def node_scripts() -> Path:
    """``tests/demo/node`` with its relying parties' libraries installed from npm; skips without ``node``/``npm``."""
    return npm_packages(NODE_DIR, timeout=300)


def json_line(text: str) -> dict[str, Any]:
    value = json.loads(text)
    assert isinstance(value, dict)
    return value
