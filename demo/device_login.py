"""Sign in on a device with no browser: the device authorization grant (RFC 8628) from the command line.

``python -m demo.device_login --issuer http://127.0.0.1:5000 --client-id ID``

1. discovers the server (RFC 8414: ``device_authorization_endpoint``, ``token_endpoint``),
2. asks for a device authorization (RFC 8628 §3.1) as a public client,
3. prints where to go and the code to enter (§3.3),
4. polls the token endpoint every ``interval`` seconds, five more after each
   ``slow_down`` (§3.5), until the user approved, denied, or the code expired,
5. prints what the token response holds: its members, never the tokens.

The client must be registered for the device grant: the demo's own "Demo TV",
whose id ``python -m demo`` prints, or e.g. ``flask --app demo proauth2
create-client "My TV" --public --grant-type
urn:ietf:params:oauth:grant-type:device_code``. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any, TextIO

#: the device grant's ``grant_type`` (RFC 8628 §3.4)
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 §3.5: what ``slow_down`` adds to the polling interval
SLOW_DOWN_SECONDS = 5
#: the interval when the server names none (RFC 8628 §3.2)
DEFAULT_INTERVAL = 5
#: seconds one HTTP request may take
TIMEOUT = 10
#: the token response members that are secrets: said to be there, never printed
SECRET_MEMBERS = ("access_token", "refresh_token", "id_token")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class LoginFailed(Exception):
    """The sign-in did not succeed; the message says why, for the user."""


def metadata_url(issuer: str) -> str:
    """RFC 8414 §3.1: the well-known path goes between the host and the issuer's own path."""
    parts = urllib.parse.urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path.rstrip('/')}"


def post_form(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST ``form`` to ``url``; the status and the JSON body, error answers included."""
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 - https or loopback only
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        with error:
            try:
                return error.code, json.load(error)
            except ValueError:
                return error.code, {"error": f"HTTP {error.code}"}


def discover(issuer: str) -> dict[str, Any]:
    """The server's metadata, checked: the same issuer, a device authorization endpoint."""
    parts = urllib.parse.urlsplit(issuer)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise LoginFailed("the issuer must be an https URL (http only on this machine)")
    try:
        with urllib.request.urlopen(metadata_url(issuer), timeout=TIMEOUT) as answer:  # noqa: S310 - checked above
            document = json.load(answer)
    except (OSError, ValueError) as exc:
        raise LoginFailed(f"no metadata at {metadata_url(issuer)}: {exc}") from None
    if document.get("issuer") != issuer:  # RFC 8414 §3.3
        raise LoginFailed(f"the metadata is for {document.get('issuer')!r}, not {issuer!r}")
    if "device_authorization_endpoint" not in document:
        raise LoginFailed("this server does not offer the device flow (no device_authorization_endpoint)")
    return document  # type: ignore[no-any-return]


def login(
    issuer: str,
    client_id: str,
    scope: str | None,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run the device flow; the token response once the user approved, or :class:`LoginFailed`."""
    document = discover(issuer)
    form = {"client_id": client_id, **({"scope": scope} if scope else {})}
    status, authorization = post_form(document["device_authorization_endpoint"], form)
    if status != 200:
        raise LoginFailed(f"the device authorization was refused: {_reason(authorization)}")
    print(f"To sign in, open {authorization['verification_uri']}", file=out)
    print(f"and enter the code {authorization['user_code']}", file=out)
    if "verification_uri_complete" in authorization:
        print(f"(or open {authorization['verification_uri_complete']})", file=out)
    out.flush()
    interval = int(authorization.get("interval", DEFAULT_INTERVAL))
    deadline = time.monotonic() + int(authorization["expires_in"])
    poll = {"grant_type": DEVICE_CODE_GRANT, "device_code": authorization["device_code"], "client_id": client_id}
    while time.monotonic() < deadline:
        sleep(interval)
        status, answer = post_form(document["token_endpoint"], poll)
        if status == 200:
            return answer
        error = answer.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_SECONDS
            print(f"(asked to slow down: polling every {interval} s)", file=out)
            continue
        if error == "access_denied":
            raise LoginFailed("the sign-in was denied")
        if error == "expired_token":
            raise LoginFailed("the code expired before the sign-in: start again")
        raise LoginFailed(f"the token request failed: {_reason(answer)}")
    raise LoginFailed("the code expired before the sign-in: start again")


def _reason(answer: dict[str, Any]) -> str:
    error = answer.get("error", "an unexpected answer")
    return f"{error} ({answer['error_description']})" if answer.get("error_description") else str(error)


def describe(tokens: dict[str, Any]) -> list[str]:
    """The token response's members as lines to print: secrets only said to be there."""
    lines = []
    for name, value in tokens.items():
        shown = f"(received, {len(str(value))} characters)" if name in SECRET_MEMBERS else value
        lines.append(f"{name}: {shown}")
    return lines


def main(
    argv: Sequence[str] | None = None, *, sleep: Callable[[float], None] = time.sleep, out: TextIO = sys.stdout
) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.device_login", description=__doc__.split("\n")[0])
    parser.add_argument("--issuer", required=True, help="the authorization server's issuer URL")
    parser.add_argument("--client-id", required=True, help="a public client registered for the device grant")
    parser.add_argument("--scope", help="the scope to ask for (the client's default scope otherwise)")
    args = parser.parse_args(argv)
    try:
        tokens = login(args.issuer.rstrip("/"), args.client_id, args.scope, out, sleep)
    except LoginFailed as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print("Signed in. The token response holds:", file=out)
    for line in describe(tokens):
        print(f"  {line}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
