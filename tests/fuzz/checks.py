"""The properties every answer to hostile input must have, whatever the endpoint.

- never a 5xx, never a stack trace or Python exception text in the body, no
  error logged (a caught exception is logged before it becomes a 500);
- an error is RFC 6749 §5.2 JSON: an ``error`` code this server defines, at
  the status that code has (405, 413 and 415 for what HTTP itself decides),
  ``error`` and ``error_description`` within the §5.2 character set, never
  cached;
- no header carries CR or LF, nothing echoes a client secret;
- no ``Location`` from an endpoint, and from the host app's authorization and
  logout views only to a URI the client registered (RFC 9700 §4.1, §4.11);
- a refused request changes no row (:func:`assert_unchanged`): only the
  one-use replay caches may gain rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from proauth2_wsgi.errors import STATUS_BY_ERROR
from tests.fuzz.world import REPLAY_CACHES, Answer

#: statuses HTTP itself decides, answered with ``invalid_request``
HTTP_STATUSES = {405, 413, 415}
#: RFC 6749 §5.2: error and error_description are %x20-21 / %x23-5B / %x5D-7E
_NQSCHAR = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
#: what a stack trace or a Python exception's text looks like
_PYTHON_TEXT = re.compile(rb'Traceback \(most recent|File \\?"[^"]*\\?", line \d+|\b[A-Z]\w*(Error|Exception)\b: ')


def assert_no_leak(answer: Answer, secrets: Collection[str] = ()) -> None:
    """No 5xx, no stack trace, no CR/LF in a header, no secret in the body or headers."""
    assert answer.status < 500, (answer.status, answer.body[:500])
    assert not _PYTHON_TEXT.search(answer.body), answer.body[:500]
    for name, value in answer.header_list:
        assert "\r" not in value and "\n" not in value, (name, value)
    text = answer.body.decode("utf-8", "replace") + repr(answer.header_list)
    for secret in secrets:
        assert secret not in text, "a client secret was echoed"


def error_body(answer: Answer, statuses: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The RFC 6749 §5.2 JSON error of a 4xx answer, checked: code, status, charset, ``no-store``.

    ``statuses`` overrides the status of some codes (a resource answers a bad
    DPoP proof with 401, RFC 9449 §7.1).
    """
    assert answer.headers.get("content-type") == "application/json", (answer.status, answer.headers, answer.body[:300])
    if answer.method == "HEAD" and not answer.body:  # RFC 9110 §9.3.2: the GET answer's headers, no content
        return {}
    body = json.loads(answer.body)
    assert isinstance(body, dict), body
    error = body.get("error")
    if error is None and statuses is RESOURCE_STATUSES and answer.status == 401:
        # RFC 6750 §3.1: a request with no authentication at all gets a challenge without an error code
        assert answer.headers.get("www-authenticate"), answer.headers
        return body
    assert error in STATUS_BY_ERROR or (error == "not_found" and answer.status == 404), body
    expected = {**STATUS_BY_ERROR, **(statuses or {})}.get(error, 404)
    assert answer.status == expected or (answer.status in HTTP_STATUSES and error == "invalid_request"), (
        answer.status,
        body,
    )
    for member in ("error", "error_description"):
        if member in body:
            assert isinstance(body[member], str) and _NQSCHAR.fullmatch(body[member]), body
    assert answer.headers.get("cache-control") == "no-store", answer.headers
    if answer.status == 401:
        assert answer.headers.get("www-authenticate"), "a 401 carries a challenge (RFC 9110 §15.5.2)"
    if answer.status == 405:
        assert answer.headers.get("allow"), "a 405 says what is allowed (RFC 9110 §15.5.6)"
    return body


def assert_endpoint_answer(answer: Answer, secrets: Collection[str] = ()) -> dict[str, Any] | None:
    """An endpoint's answer: safe; never a redirect; a 4xx is a valid JSON error (returned), a 2xx JSON."""
    assert_no_leak(answer, secrets)
    assert "location" not in answer.headers, answer.headers
    if answer.status >= 400:
        return error_body(answer)
    assert answer.status in (200, 201, 204, 304), answer.status
    if answer.status not in (204, 304) and answer.body:
        assert answer.headers.get("content-type", "").startswith(("application/json", "application/jwk-set+json")), (
            answer.headers
        )
        json.loads(answer.body)
    return None


def assert_registered_location(location: str, registered: Collection[str]) -> dict[str, list[str]]:
    """A redirect goes to a registered URI exactly, its own query kept first (RFC 6749 §3.1.2), or to a loopback
    one on another port (RFC 8252 §7.3); nothing but parameters is added. Returns the query parameters it carries.
    """
    assert "\r" not in location and "\n" not in location and "\\" not in location, location
    parts = urlsplit(location)
    assert not parts.fragment, location
    assert any(_is_below(parts, urlsplit(uri)) for uri in registered), f"redirect to an unregistered URI: {location!r}"
    return parse_qs(parts.query, keep_blank_values=True)


def _is_below(parts: SplitResult, uri: SplitResult) -> bool:
    """``parts`` is ``uri`` with parameters added to its query (on any port, for an http loopback IP)."""
    loopback = uri.scheme == "http" and uri.hostname in ("127.0.0.1", "::1")
    same_place = (
        (parts.scheme, parts.netloc, parts.path) == (uri.scheme, uri.netloc, uri.path)
        if not loopback
        else (parts.scheme, parts.hostname, parts.path) == ("http", uri.hostname, uri.path)
        and not parts.username
        and not parts.password
    )
    query_kept = not uri.query or parts.query == uri.query or parts.query.startswith(uri.query + "&")
    return same_place and query_kept


Snapshot = Mapping[str, frozenset[tuple[tuple[str, Any], ...]]]


def _masked(rows: frozenset[tuple[tuple[str, Any], ...]], columns: Collection[str]) -> frozenset[tuple[Any, ...]]:
    return frozenset(tuple(pair for pair in row if pair[0] not in columns) for row in rows)


def assert_unchanged(
    before: Snapshot, after: Snapshot, *, volatile: Mapping[str, Collection[str]] | None = None
) -> None:
    """No row changed, appeared or went; the replay caches may only gain rows.

    ``volatile`` names columns a refusal may legitimately write, by table
    (a device code's ``last_polled_at`` when the answer is ``slow_down``).
    """
    for table, rows in before.items():
        if table in REPLAY_CACHES:
            assert rows <= after[table], f"rows of {table} changed or went"
            continue
        columns = (volatile or {}).get(table, ())
        old, new = _masked(rows, columns), _masked(after[table], columns)
        assert old == new, f"{table} changed on a refused request: +{len(new - old)} -{len(old - new)} rows"


#: RFC 9449 §7.1: a resource answers a bad proof or a missing nonce with 401 and a challenge
RESOURCE_STATUSES = {"invalid_dpop_proof": 401, "use_dpop_nonce": 401}


def assert_resource_answer(answer: Answer) -> dict[str, Any] | None:
    """A protected resource's answer (RFC 6750 §3): safe; 200, or a JSON error with a printable challenge."""
    assert_no_leak(answer)
    assert "location" not in answer.headers, answer.headers
    if answer.status < 400:
        assert answer.status == 200, answer.status
        return None
    body = error_body(answer, RESOURCE_STATUSES)
    if answer.status in (401, 403):
        challenge = answer.headers["www-authenticate"]
        assert challenge.isascii() and challenge.isprintable(), challenge
    return body
