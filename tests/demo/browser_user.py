"""alice in Chromium, answering a relying party's requests the way a person would.

A relying party under test (a Node script, or an app of Authlib's) sends the
browser somewhere; :class:`BrowserUser` follows, signs in on the demo's login
page and allows on its consent page when the demo shows them, and stops where
the browser lands back at the relying party: :func:`landing_site`, a real
server on loopback answering every path with a blank page, as a relying
party's callback would (a browser does not let a test intercept a
redirect's next hop, and should not).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.http_server import serve

from .conftest import DEMO_PASSWORD, DEMO_USER, DemoServer

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from playwright.sync_api import Page

#: how many of the demo's pages one visit may pass through before it is a loop
MAX_PAGES = 4
#: seconds a Node relying party may take in all before it is killed
NODE_TIMEOUT = 120


_BLANK = b"<!doctype html><title>relying party</title>"


def _blank_page(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(_BLANK)))])
    return [_BLANK]


@contextmanager
def landing_site() -> Iterator[str]:
    """A relying party's side of the redirects: a blank page at every path; its base URL."""
    with serve(_blank_page) as url:
        yield url


@dataclass
class Visit:
    """Where a visit ended (at the relying party) and which of the demo's pages it showed on the way."""

    landed: str
    pages: list[str] = field(default_factory=list)
    #: the host the consent page named for a client known by its metadata document (CIMD), if it named one
    client_host: str | None = None


class BrowserUser:
    """alice at a browser page; ``relying_party`` is the origin of the client's redirect URIs."""

    def __init__(self, page: Page, demo: DemoServer, relying_party: str) -> None:
        self.page = page
        self.demo = demo
        self.relying_party = relying_party
        self.visits: list[Visit] = []

    def visit(self, url: str) -> Visit:
        """Open ``url`` and go along until the browser is back at the relying party."""
        visit = Visit("")
        self.page.goto(url)
        for _ in range(MAX_PAGES):
            if self.page.url.startswith(self.relying_party + "/"):
                visit.landed = self.page.url
                self.visits.append(visit)
                return visit
            before = self.page.url
            visit.pages.append(self._answer_page(visit))
            self.page.wait_for_url(lambda now, before=before: now != before)
        raise AssertionError(f"still at the demo after {visit.pages}: {self.page.url}")

    def follow(self, url: str) -> str:
        """:meth:`visit`, as a relying party sees it: only where the browser came back."""
        return self.visit(url).landed

    def _answer_page(self, visit: Visit) -> str:
        """Sign in or allow, whichever page the demo shows; the page's name."""
        path = urlsplit(self.page.url).path
        if path == "/login":
            self.page.fill("input[name=username]", DEMO_USER)
            self.page.fill("input[name=password]", DEMO_PASSWORD)
            self.page.get_by_role("button", name="Sign in").click()
            return "login"
        if path == "/authorize" and self.page.get_by_role("button", name="Allow").count() == 1:
            host = self.page.locator("#client-host")
            visit.client_host = host.text_content() if host.count() else None
            self.page.get_by_role("button", name="Allow").click()
            return "consent"
        raise AssertionError(f"an unexpected page at {self.page.url}:\n{self.page.content()[:2000]}")


def run_node_relying_party(
    script: Path, visit: Callable[[str], str], *args: str, device: Callable[[str, str], str] | None = None
) -> dict[str, Any]:
    """Run a Node script of ``tests/demo/node`` speaking ``steps.mjs``'s protocol; its summary.

    Each ``{"browse": URL}`` line is answered with ``visit(URL)``: where the user landed; each
    ``{"device": {"verification_uri": URL, "user_code": CODE}}`` with ``device(URL, CODE)``.
    """
    with subprocess.Popen(
        ["node", script.name, *args],
        cwd=script.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        watchdog = threading.Timer(NODE_TIMEOUT, process.kill)  # a hung script ends the test, not the run
        watchdog.start()
        try:
            for line in process.stdout:
                message = json.loads(line)
                if "summary" in message:
                    summary: dict[str, Any] = message["summary"]
                    assert process.wait(timeout=NODE_TIMEOUT) == 0, process.stderr.read()
                    return summary
                if "device" in message:
                    assert device is not None, f"{script.name} shows a user code: {message}"
                    answer = device(message["device"]["verification_uri"], message["device"]["user_code"])
                else:
                    answer = visit(message["browse"])
                process.stdin.write(answer + "\n")
                process.stdin.flush()
            process.wait(timeout=NODE_TIMEOUT)
            raise AssertionError(f"{script.name} exited with {process.returncode}:\n{process.stderr.read()}")
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
