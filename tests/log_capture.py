"""A pytest plugin: every log record of the run is checked for the secrets the run made (issue 17).

What is a secret is learnt where it is made, for the whole session of each
process (each xdist worker):

- every ``secrets.token_urlsafe`` value of 32 bytes or more the library
  (``proauth2_wsgi``, ``flask_proauth2``, ``demo``) draws: its
  :func:`~proauth2_wsgi.tokens.generate_secret` mints codes, access and
  refresh tokens, client secrets, device codes and request_uris; the 16-byte
  values are public identifiers (client ids, grant ids, ``jti``) and are left out;
- every device user code (:func:`proauth2_wsgi.device.new_user_code`), except
  in peewee's query log: user codes are stored as they are (see
  ``tests/hygiene/test_database_dumps.py``), and that log shows what the database holds;
- the private members (``d``, ``p``, ``q``, ...) of every key joserfc generates;
- every ``key_secret`` and ``dpop_nonce_secret`` a :class:`~proauth2_wsgi.Settings` is made with;

and whatever the run made, any compact JWS with a signature (DPoP proofs,
client assertions, JWT access tokens, ID tokens) and any PEM private key in
a record is a leak.

Every logging call of every logger is seen, DEBUG included, even where its
logger's level would have dropped it: ``Logger.isEnabledFor`` answers yes;
``Logger._log`` scans a call its logger would have dropped and drops it
(no record is made, so that costs little), and hands on the others, which
``Logger.handle`` scans before their handlers get them. Every handler
(pytest's ``caplog`` among them) sees exactly what it saw before. The
message (its arguments merged, URL-decoded too), exception text and stack
are split into runs of base64url characters, each looked up in the set of
known secrets; peewee's ``(sql, params)`` records are scanned statement
once, parameters each time.

Some loggers are not proauth2's, and some values travel in URLs by design:
secrets in a peer client library's log, in a third-party server's DEBUG
protocol trace, or front-channel values in an access log's request line are
counted and shown in the summary, not failed (see :data:`PEER_LOGGERS`,
:data:`SERVER_TRACE_LOGGERS`, :data:`FRONT_CHANNEL`).

At the end of the session a leak fails the run (exit status 1) with the
logger, the level, the test and the record with every secret in it masked,
never the secret. Under xdist each worker hands its findings to the
controller, which reports them and fails. Logs of subprocess servers
(gunicorn) are not seen: they live in other processes.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
import sys
import threading
import traceback
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any
from urllib.parse import unquote_plus

import pytest

from proauth2_wsgi import tokens

#: peewee's query log: the statements and their parameters, what the database holds
QUERY_LOGGER = "peewee"
#: loggers of the client libraries the tests run against proauth2 as its peers: they log at DEBUG what they
#: receive (requests-oauthlib its token responses); their logs are theirs, and what shows there is counted, not failed
PEER_LOGGERS = ("requests_oauthlib", "oauthlib", "authlib", "websockets")
#: third-party servers' protocol traces at DEBUG: uvicorn logs a websocket handshake's headers (the Authorization
#: header among them) on this logger at DEBUG; the level an operator enables to see exactly that
SERVER_TRACE_LOGGERS = ("uvicorn.error",)
#: access logs, of servers and of HTTP clients: they show request lines, and the protocol puts some values in URLs
ACCESS_LOGGERS = ("werkzeug", "urllib3.connectionpool", "gunicorn.access", "uvicorn.access", "httpx")
#: what the front channel carries in URLs by design, so that an access log shows it: the authorization code in the
#: redirect (RFC 6749 §4.1.2), the request_uri in the authorization request (RFC 9126 §4), the user code in
#: verification_uri_complete (RFC 8628 §3.3.1): each single use, short lived and bound to its client (and the code to
#: PKCE). In an access log they are counted, not failed; a token or a client secret there fails.
FRONT_CHANNEL = (
    "a secret minted by proauth2_wsgi.authorization_requests.AuthorizationRequests.issue_code",
    "a secret minted by proauth2_wsgi.pushed_requests.PushedRequests.store",
    "a device user code",
    "an ID token as id_token_hint",
)
# what a client's request parameters may hold that looks like a token: stored as sent, seen in the query log
CLIENT_SENT_JWS = (
    "an ID token as id_token_hint",
    "a compact JWS with a signature (a DPoP proof, client assertion or JWT)",
)
# the ID token a relying party sends to the end-session endpoint in the URL (OIDC RP-Initiated Logout 1.0 §2)
_ID_TOKEN_HINT = re.compile(r"id_token_hint=eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
#: how many secrets of other shapes (looked for as substrings of every record) are kept
MAX_LITERALS = 32
#: how many leaks are kept and reported (a leaking run only needs to fail)
MAX_LEAKS = 50
#: key of the worker's leaks in xdist's ``workeroutput``
WORKER_OUTPUT_KEY = "proauth2_log_leaks"
#: the packages whose secrets count: the tests' own (a PKCE verifier sent with ``plain``) may travel in the clear
LIBRARY_PACKAGES = ("proauth2_wsgi", "flask_proauth2", "demo")
#: the token_urlsafe size from which a value is a secret (32 bytes: generate_secret's); below it, public ids
SECRET_NBYTES = 32
# what a record is searched for: a compact JWS with a signature, a PEM private key, a run of base64url
# characters long enough to be a secret, a device user code (BCDF-GHJK or BCDFGHJK)
_JWS = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_PEM = "PRIVATE KEY-----"
_PEM_BLOCK = re.compile(r"-----BEGIN[^-]*-----.*?(-----END[^-]*-----|$)", re.DOTALL)
_LONG_RUN = re.compile(r"[A-Za-z0-9_-]{22,}")
_USER_CODE = re.compile(r"[A-Z]{4}-?[A-Z]{4}")
#: characters of a leaking record shown in the report, every secret in it masked
CONTEXT_LENGTH = 240
_BASE64URL = frozenset(string.ascii_letters + string.digits + "-_")
# every other ASCII character becomes a space, so that str.split() yields the runs of base64url characters:
# C-speed, where a regular expression of the runs costs several times more
_TO_RUNS = str.maketrans({chr(i): " " for i in range(128) if chr(i) not in _BASE64URL})
#: the shortest run that may be a secret (16 bytes in base64url); a user code is 8 letters, or 9 with its dash
SHORTEST_SECRET = 22
_USER_CODE_LENGTHS = (8, 9)
# SQL statements of peewee's query log already scanned and clean (a statement is the same text each time)
_MAX_CLEAN_STATEMENTS = 10_000


class LeakScanner:
    """The known secrets of this process and the leaks found among its log records."""

    def __init__(self) -> None:
        #: secret -> what it is (never the secret itself)
        self.secrets: dict[str, str] = {}
        #: secrets that are not one run of base64url characters: looked for as substrings
        self.literals: dict[str, str] = {}
        self.user_codes: set[str] = set()
        self.leaks: list[dict[str, str]] = []
        #: why a secret in a record did not fail the run -> how many times
        self.excused: dict[str, int] = {}
        self.records = 0
        self.test = "(before the first test)"
        self._seen: set[tuple[str, str, str]] = set()
        self._clean_statements: set[str] = set()
        self._lock = threading.Lock()

    def remember(self, value: object, what: str) -> None:
        """Know ``value`` as a secret (``what`` says what it is, for the report)."""
        if not isinstance(value, str) or len(value) < 8:
            return
        if len(value) >= SHORTEST_SECRET and _BASE64URL.issuperset(value):
            self.secrets[value] = what
        elif len(self.literals) < MAX_LITERALS:  # each is looked for in every record: a few only
            self.literals[value] = what

    def scan(self, record: logging.LogRecord) -> None:
        """Look for known secrets, signed compact JWS and PEM private keys in ``record``."""
        self.scan_call(record.name, record.levelno, record.msg, record.args, record.exc_info, record.exc_text)
        if record.stack_info:
            self.scan_text(record.stack_info, record.name, record.levelno)

    def scan_call(
        self, logger: str, level: int, msg: object, args: Any, exc_info: Any = None, exc_text: str | None = None
    ) -> None:
        """Scan what a logging call was given: its message, arguments and exception."""
        self.records += 1
        if logger == QUERY_LOGGER and _is_statement(msg) and not args:
            self._scan_statement(msg, logger, level)  # type: ignore[arg-type]
        else:
            try:
                text = str(msg) % args if args else str(msg)
            except Exception:  # noqa: BLE001 - a call whose arguments do not fit its format is still scanned
                text = f"{msg} {args!r}"
            self.scan_text(text, logger, level)
        if exc_text:
            self.scan_text(exc_text, logger, level)
        elif exc_info:
            if exc_info is True:
                exc_info = sys.exc_info()
            if isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            if isinstance(exc_info, tuple) and exc_info[1] is not None:
                self.scan_text("".join(traceback.format_exception(*exc_info)), logger, level)

    def _scan_statement(self, statement: tuple[str, Any], logger: str, level: int) -> None:
        # peewee's (sql, params): the statement once, then each parameter as it is
        sql, params = statement
        if sql not in self._clean_statements:
            leaks = len(self.leaks)
            self.scan_text(sql, logger, level)
            if len(self.leaks) == leaks and len(self._clean_statements) < _MAX_CLEAN_STATEMENTS:
                self._clean_statements.add(sql)
        for param in params:
            if isinstance(param, str) and len(param) >= 8:
                what = self.secrets.get(param)
                if what is not None:
                    self._leak(logger, level, what, sql)
                else:
                    self.scan_text(param, logger, level)

    def scan_text(self, text: str, logger: str, level: int) -> None:
        """Look for known secrets, signed compact JWS and PEM private keys in ``text`` (and in it URL-decoded)."""
        if "%" in text:
            text = f"{text}\n{unquote_plus(text)}"
        if "eyJ" in text and _JWS.search(text):
            if len(_JWS.findall(text)) == len(_ID_TOKEN_HINT.findall(text)):
                self._leak(logger, level, "an ID token as id_token_hint", text)
            else:
                self._leak(
                    logger, level, "a compact JWS with a signature (a DPoP proof, client assertion or JWT)", text
                )
        if _PEM in text:
            self._leak(logger, level, "a PEM private key", text)
        known = self.secrets
        user_codes = self.user_codes if logger != QUERY_LOGGER else ()
        for run in text.translate(_TO_RUNS).split():
            if len(run) >= SHORTEST_SECRET:
                what = known.get(run)
                if what is not None:
                    self._leak(logger, level, what, text)
            elif user_codes and len(run) in _USER_CODE_LENGTHS and run.replace("-", "") in user_codes:
                self._leak(logger, level, "a device user code", text)
        for literal, what in self.literals.items():
            if literal in text:
                self._leak(logger, level, what, text)

    def _leak(self, logger: str, level: int, what: str, text: str) -> None:
        excuse = _excuse(logger, level, what)
        if excuse is not None:
            self.excused[excuse] = self.excused.get(excuse, 0) + 1
            return
        key = (logger, self.test, what)
        with self._lock:
            if key in self._seen or len(self.leaks) >= MAX_LEAKS:
                return
            self._seen.add(key)
            self.leaks.append(
                {
                    "logger": logger,
                    "level": logging.getLevelName(level),
                    "test": self.test,
                    "what": what,
                    "record": self.redact(text)[:CONTEXT_LENGTH],
                }
            )

    def failed(self, logger: str, level: int, exc: Exception) -> None:
        """The scanner itself failed on a record: the run fails too (nothing unscanned may pass)."""
        self._leak(logger, level, f"a record the scanner failed on ({type(exc).__name__}: it must be fixed)", "")

    def redact(self, text: str) -> str:
        """``text`` with every secret in it masked: PEM blocks, JWS, runs that may be secrets, literals, user codes."""
        text = _PEM_BLOCK.sub("[PEM]", unquote_plus(text))
        text = _JWS.sub("[JWS]", text)
        text = _LONG_RUN.sub("[…]", text)
        for literal in self.literals:
            text = text.replace(literal, "[…]")
        return _USER_CODE.sub(lambda match: "[…]" if match[0].replace("-", "") in self.user_codes else match[0], text)


def _excuse(logger: str, level: int, what: str) -> str | None:
    """Why a secret in a record of ``logger`` is not a leak of proauth2's, or None: it is one."""
    if _under(logger, PEER_LOGGERS):
        return f"in a peer client library's log ({logger})"
    if _under(logger, SERVER_TRACE_LOGGERS) and level <= logging.DEBUG:
        return f"in a third-party server's protocol trace ({logger}, DEBUG)"
    if _under(logger, ACCESS_LOGGERS) and what in FRONT_CHANNEL:
        return f"front-channel values in request lines ({logger})"
    if logger == QUERY_LOGGER and what in CLIENT_SENT_JWS:
        # A pushed or device request keeps its parameters as the client sent them (an id_token_hint, or a
        # hostile input shaped like a JWS); credentials are never among them, and the dump tests prove that
        # nothing minted or proving is stored.
        return f"request parameters stored as the client sent them ({logger}, DEBUG)"
    return None


def _under(logger: str, names: tuple[str, ...]) -> bool:
    return any(logger == name or logger.startswith(name + ".") for name in names)


def _is_statement(msg: object) -> bool:
    return (
        type(msg) is tuple and len(msg) == 2 and isinstance(msg[0], str) and isinstance(msg[1], list | tuple)  # type: ignore[arg-type]
    )


#: the scanner of this process
SCANNER = LeakScanner()
# the undoing of each patch install() made, in order
_installed: list[Callable[[], None]] = []
_INHERITED = object()
# the run's findings: leaks, records scanned, excused secrets by reason
_TOTALS = pytest.StashKey[dict[str, Any]]()


def _patch(owner: Any, name: str, replacement: Any) -> None:
    """Set ``owner.name`` to ``replacement`` until :func:`uninstall` (a class's own attribute, or its inherited one)."""
    original = vars(owner).get(name, _INHERITED)
    setattr(owner, name, replacement)
    if original is _INHERITED:
        _installed.append(lambda: delattr(owner, name))
    else:
        _installed.append(lambda: setattr(owner, name, original))


def install(scanner: LeakScanner = SCANNER) -> None:
    """Learn the secrets where they are made and see every log record, for the rest of the process."""
    if _installed:
        return
    from joserfc import jwk

    from proauth2_wsgi import device
    from proauth2_wsgi.settings import Settings

    token_urlsafe = secrets.token_urlsafe

    def remembering_token_urlsafe(nbytes: int | None = None) -> str:
        value = token_urlsafe(nbytes)
        if nbytes is None or nbytes >= SECRET_NBYTES:
            caller = sys._getframe(1)
            if caller.f_globals.get("__name__", "").startswith(LIBRARY_PACKAGES):
                scanner.secrets[value] = f"a secret minted by {_minter(caller)}"
        return value

    _patch(secrets, "token_urlsafe", remembering_token_urlsafe)

    new_user_code = device.new_user_code

    def remembering_new_user_code() -> str:
        code = new_user_code()
        scanner.user_codes.add(code)
        return code

    _patch(device, "new_user_code", remembering_new_user_code)

    for key_class in (jwk.RSAKey, jwk.ECKey, jwk.OKPKey, jwk.OctKey):
        _patch(key_class, "generate_key", classmethod(_remembering_generate_key(key_class.generate_key, scanner)))

    post_init = Settings.__post_init__

    def remembering_post_init(self: Settings) -> None:
        post_init(self)
        scanner.remember(self.key_secret, "the settings' key_secret")
        scanner.remember(self.dpop_nonce_secret, "the settings' dpop_nonce_secret")

    _patch(Settings, "__post_init__", remembering_post_init)

    handle = logging.Logger.handle
    log = logging.Logger._log

    def scanning_handle(self: logging.Logger, record: logging.LogRecord) -> None:
        try:
            scanner.scan(record)
        except Exception as exc:  # noqa: BLE001 - the scanner must never break what logs; its failure fails the run
            scanner.failed(self.name, record.levelno, exc)
        handle(self, record)

    def scanning_log(
        self: logging.Logger,
        level: int,
        msg: object,
        args: Any,
        exc_info: Any = None,
        extra: Any = None,
        stack_info: bool = False,
        stacklevel: int = 1,
    ) -> None:
        if level >= self.getEffectiveLevel() and level > self.manager.disable:  # what isEnabledFor would say
            log(self, level, msg, args, exc_info, extra, stack_info, stacklevel + 1)  # + this frame
        else:  # a record its logger drops: scanned, and made no further (no record, no caller lookup)
            try:
                scanner.scan_call(self.name, level, msg, args, exc_info)
            except Exception as exc:  # noqa: BLE001 - as in scanning_handle
                scanner.failed(self.name, level, exc)

    def always_enabled(self: logging.Logger, level: int) -> bool:
        return True

    _patch(logging.Logger, "handle", scanning_handle)
    _patch(logging.Logger, "_log", scanning_log)
    _patch(logging.Logger, "isEnabledFor", always_enabled)


def _minter(frame: FrameType) -> str:
    """Where a secret was made: the caller of generate_secret (a code, a token, a client secret...), else the caller."""
    if frame.f_code is tokens.generate_secret.__code__ and frame.f_back is not None:
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}"


def _remembering_generate_key(generate: Callable[..., Any], scanner: LeakScanner) -> Callable[..., Any]:
    def generate_key(cls: type, *args: Any, **kwargs: Any) -> Any:
        key = generate(*args, **kwargs)
        if getattr(key, "is_private", False):
            for member, value in key.as_dict(private=True).items():
                if member in ("d", "p", "q", "dp", "dq", "qi", "k"):
                    scanner.remember(value, f"a private key's JWK member {member!r}")
        return key

    return generate_key


def uninstall() -> None:
    """Undo :func:`install` (the last patch first)."""
    while _installed:
        _installed.pop()()


# -- the pytest hooks ------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    install()
    config.stash[_TOTALS] = {"leaks": [], "records": 0, "excused": {}}


def pytest_unconfigure(config: pytest.Config) -> None:
    uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    SCANNER.test = item.nodeid
    try:
        return (yield)
    finally:
        SCANNER.test = f"(after {item.nodeid})"


def _add(totals: dict[str, Any], leaks: list[dict[str, str]], records: int, excused: dict[str, int]) -> None:
    totals["leaks"].extend(leaks)
    totals["records"] += records
    for reason, count in excused.items():
        totals["excused"][reason] = totals["excused"].get(reason, 0) + count


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist's controller: a worker's findings become the run's."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if output is not None:
        _add(node.config.stash[_TOTALS], **output)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    totals = session.config.stash[_TOTALS]
    _add(totals, SCANNER.leaks, SCANNER.records, SCANNER.excused)
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller reports and fails
        worker_output[WORKER_OUTPUT_KEY] = totals
        return
    if totals["leaks"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    totals = config.stash[_TOTALS]
    leaks = totals["leaks"]
    excused = "".join(f"; {count} excused: {reason}" for reason, count in sorted(totals["excused"].items()))
    if not leaks:
        terminalreporter.write_line(f"log hygiene: {totals['records']} log records scanned, no leak{excused}")
        return
    terminalreporter.section("secrets in the logs", red=True)
    for leak in leaks:
        terminalreporter.write_line(
            f"LEAK: logger {leak['logger']!r} ({leak['level']}) in {leak['test']}: {leak['what']}", red=True
        )
        terminalreporter.write_line(f"    the record, masked: {leak['record']}")
    terminalreporter.write_line(
        f"log hygiene: {len(leaks)} leak(s) in {totals['records']} log records{excused}: the run fails", red=True
    )
