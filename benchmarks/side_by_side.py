"""``python -m benchmarks.side_by_side``: proauth2 beside Authlib and django-oauth-toolkit, in one process.

Every library runs in-process as a WSGI app (benchmarks/peers/), on its own
SQLite file, called with prepared environs as benchmarks/timing.py does;
the ASGI middleware runs over a bare Starlette route in one event loop, as
benchmarks/asgi_cases.py does. All cases take turns round by round (each
round runs every case for about :data:`ROUND_SECONDS`, its iteration count
chosen once from a probe), so a burst of load from other processes falls on
all of them alike; a figure is the median round, a ratio the median of the
rounds' ratios.

- Routes: the bare route; a valid token (proauth2's middleware over a bare
  callable, over a Flask route and over a Django view; the Flask decorator;
  the ASGI middleware over Starlette; Authlib's ``ResourceProtector``; DOT's
  ``ProtectedResourceView`` and ``OAuth2TokenMiddleware``); a bad token; no
  token. What the protection costs is the median, over rounds, of the route's
  time minus the same framework's bare route.
- Operations: the code flow (authorize + token, PKCE S256), refresh (rotating),
  client credentials, revocation, introspection, each with ``client_secret_basic``.
  Authlib runs twice: as Flask-SQLAlchemy opens SQLite (rollback journal,
  ``synchronous=FULL``) and on proauth2's settings (WAL, ``synchronous=NORMAL``);
  DOT twice: hashed client secrets (its default) and ``hash_client_secret=False``.
  DOT's routes also run with persistent connections (``CONN_MAX_AGE = None``;
  Django's default, 0, connects once per request that queries).
- SQL statements and commits per operation, as SQLite traces them; each
  peer's SQLite settings as SQLite reports them; the peak RSS of a process
  that runs one peer's operations and routes (one subprocess each, after the
  timed rounds: ``VmHWM``, as ``ru_maxrss`` would count the parent's size).

Budgets (issue 16) are printed ok/OVER. ``--results-dir`` receives
``side_by_side.json`` and the redrawn ``ratios.svg`` (benchmarks/reporting.py).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.asgi_cases import _serve, scope, starlette_app
from benchmarks.peers import OPERATIONS, ROUTE_KINDS, Peer, Pool, SqlCount, count_sql, route
from benchmarks.reporting import RESULTS_DIR, header, write_chart, write_json
from benchmarks.timing import ROUNDS

#: seconds each case runs in each round (its iterations are chosen from a probe, at most --iterations)
ROUND_SECONDS = 0.04
#: a call this slow is probed once, without more warm-up calls
SLOW_CALL_SECONDS = 0.05
#: budgets (issue 16): µs the middleware may add to a request with a valid token
CALLABLE_BUDGET_US = 15.0
FLASK_BUDGET_US = 35.0
#: budgets: how many times less than a peer's the middleware's cost must be (at least), or the decorator's (at most)
AUTHLIB_PROTECTOR_TIMES = 12.0
DECORATOR_TIMES = 1.3
DOT_PROTECTOR_TIMES = 80.0
#: budgets: how many times faster than each peer a token request must be
TOKEN_OPERATIONS = ("code_flow", "refresh", "client_credentials")
TOKEN_TIMES = {"Authlib": 5.0, "Authlib, WAL": 2.0, "DOT": 100.0}
#: the peers of the operations table, in its order
PEERS = ("proauth2", "Authlib", "Authlib, WAL", "DOT", "DOT, unhashed")
#: where each route is served, as the tables name it
MOUNTS = {
    "callable": "bare WSGI callable",
    "flask": "Flask route",
    "django": "Django view",
    "starlette": "Starlette route (ASGI)",
}
#: the rows of the SQL table
SQL_LABELS = {
    **OPERATIONS,
    "route_valid": "protected route, valid token",
    "route_middleware": "protected route, valid token, DOT's middleware",
}
#: the chart's names of the peers' protections
CHART_LABELS = {
    ("Authlib", ROUTE_KINDS["valid"]): "Flask: ResourceProtector",
    ("DOT", ROUTE_KINDS["valid"]): "Django: ProtectedResourceView",
    ("DOT", "valid token, OAuth2TokenMiddleware"): "Django: OAuth2TokenMiddleware",
    ("DOT, persistent", ROUTE_KINDS["valid"]): "Django: ProtectedResourceView, CONN_MAX_AGE=None",
    ("DOT, persistent", "valid token, OAuth2TokenMiddleware"): "Django: OAuth2TokenMiddleware, CONN_MAX_AGE=None",
}
#: the peers' import names (``pip install -e '.[bench]'``)
PEER_MODULES = ("authlib", "flask_sqlalchemy", "django", "oauth2_provider")
#: the peer processes whose peak RSS is measured
RSS_PEERS = ("proauth2", "proauth2 + Flask", "Authlib", "DOT")


def missing_packages() -> list[str]:
    """The peers' modules not installed here (the ``bench`` extra)."""
    return [name for name in PEER_MODULES if importlib.util.find_spec(name) is None]


@dataclass
class Case:
    """One timed case: ``run(n)`` sends ``n`` requests; ``rounds`` collects µs per request."""

    group: str  # "route" or "operation"
    where: str  # the mount (routes) or the operation's key
    peer: str
    kind: str  # a ROUTE_KINDS key, "decorator"/"middleware", or the operation's key
    label: str
    run: Callable[[int], None]
    pool: Pool | None = None
    #: the peer's SQL trace, to count the probe call's statements (None: not counted)
    trace: Callable[[], AbstractContextManager[list[str]]] | None = None
    iterations: int = 0
    rounds: list[float] = field(default_factory=list)
    sql: SqlCount | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def best(self) -> float:
        return min(self.rounds)


def _batch(function: Callable[[int], object]) -> Callable[[int], None]:
    def run(n: int) -> None:
        for i in range(n):
            function(i)

    return run


def measure(cases: list[Case], max_iterations: int, rounds: int, seconds: float) -> None:
    """Probe every case (counting its SQL), then run ``rounds`` rounds in which the cases take turns.

    A case's first call is timed; a cheap one is then warmed up and timed
    again, over as many calls as fit in ``seconds`` (at most 50). The SQL is
    counted on the last call before the rounds (the first, for a slow case:
    one call of a hashed secret is enough).
    """
    for case in cases:
        if case.pool is not None:
            case.pool.prepare(60)
        start = time.perf_counter()
        with _traced(case) as statements:
            case.run(1)
        per_call = time.perf_counter() - start
        if per_call < SLOW_CALL_SECONDS:  # warm up for about one round's time, then probe over as many calls
            calls = max(1, min(50, int(seconds / per_call)))
            case.run(calls)
            start = time.perf_counter()
            case.run(calls)
            per_call = (time.perf_counter() - start) / calls
            with _traced(case) as statements:
                case.run(1)
        if case.trace is not None:
            case.sql = count_sql(statements)
        case.iterations = max(1, min(max_iterations, int(seconds / per_call)))
        if case.pool is not None:
            case.pool.prepare(case.iterations * rounds + 10)
    for _ in range(rounds):
        for case in cases:
            start = time.perf_counter()
            case.run(case.iterations)
            case.rounds.append((time.perf_counter() - start) / case.iterations * 1e6)


def _traced(case: Case) -> AbstractContextManager[list[str]]:
    return case.trace() if case.trace is not None else nullcontext([])


def paired_overhead(bare: Case, case: Case) -> float:
    """µs ``case`` adds to ``bare``: the median over rounds run back to back."""
    return statistics.median(y - x for x, y in zip(bare.rounds, case.rounds, strict=True))


def paired_ratio(fast: Case, slow: Case) -> float:
    """How many times longer ``slow`` takes than ``fast``: the median of the rounds' ratios."""
    return statistics.median(y / x for x, y in zip(fast.rounds, slow.rounds, strict=True))


def _times(peer_cost: float, proauth2_cost: float) -> float:
    """How many times ``proauth2_cost`` fits in ``peer_cost`` (infinite when proauth2's is within noise of 0)."""
    return peer_cost / proauth2_cost if proauth2_cost > 0 else math.inf


class SideBySide:
    """The peers, their cases, and once :meth:`run` has run, every figure."""

    def __init__(self, directory: str) -> None:
        from benchmarks.peers.authlib_app import AuthlibPeer
        from benchmarks.peers.dot_app import DotPeer, configure
        from benchmarks.peers.proauth2_app import Proauth2Peer
        from proauth2_wsgi.asgi import BearerTokenMiddleware as AsgiMiddleware

        configure(f"{directory}/dot.db")
        self.proauth2 = Proauth2Peer(f"sqlite:///{directory}/proauth2.db")
        authlib = AuthlibPeer(f"sqlite:///{directory}/authlib.db")
        dot = DotPeer(hashed=True)
        self.peers: list[Peer] = [
            self.proauth2,
            authlib,
            AuthlibPeer(f"sqlite:///{directory}/authlib-wal.db", wal=True),
            dot,
            DotPeer(hashed=False),
        ]
        self.cases: list[Case] = []
        token = self.proauth2.endpoints.token
        # routes, by mount: each mount's bare route first
        self.dot_persistent = DotPeer(hashed=False, persistent=True)  # its routes only: what CONN_MAX_AGE=0 costs
        for peer, mount in ((self.proauth2, "callable"), (self.proauth2, "flask"), (authlib, "flask"), (dot, "django")):
            # proauth2's Flask extension has a store of its own, not traced
            traced = peer.trace if (peer.name, mount) != ("proauth2", "flask") else None
            for kind, function in peer.routes()[mount].items():
                self._route(mount, peer.name, kind, function, traced if kind in ("valid", "middleware") else None)
        for kind, function in self.dot_persistent.routes()["django"].items():
            if kind in ("valid", "middleware", "bad"):
                traced = self.dot_persistent.trace if kind != "bad" else None
                self._route("django", self.dot_persistent.name, kind, function, traced)
        over_django = self.proauth2.over(dot.bare)
        for kind, path_token, code in (("valid", token, 200), ("bad", "A" * 43, 401), ("missing", None, 401)):
            self._route("django", "proauth2", kind, route(over_django, "/bare", path_token, code))
        self.loop = asyncio.new_event_loop()
        bare = starlette_app()
        self.asgi = AsgiMiddleware(bare, self.proauth2.provider)
        for kind, app, prepared in (
            ("bare", bare, scope("/", token)),
            ("valid", self.asgi, scope("/", token)),
            ("bad", self.asgi, scope("/", "A" * 43)),
            ("missing", self.asgi, scope("/")),
        ):
            self._asgi_route(kind, app, prepared)
        # operations, each peer in turn
        for key, label in OPERATIONS.items():
            for server in self.peers:
                pool = server.endpoints.revocable if key == "revocation" else None
                function = server.endpoints.operations()[key]
                self.cases.append(Case("operation", key, server.name, key, label, _batch(function), pool, server.trace))
        self.pragmas = {peer.name: peer.pragmas() for peer in self.peers}

    def _route(
        self,
        mount: str,
        peer: str,
        kind: str,
        function: Callable[[int], object],
        trace: Callable[[], AbstractContextManager[list[str]]] | None = None,
    ) -> None:
        label = {"decorator": "valid token, Flask decorator", "middleware": "valid token, OAuth2TokenMiddleware"}.get(
            kind, ROUTE_KINDS.get(kind, kind)
        )
        self.cases.append(Case("route", mount, peer, kind, label, _batch(function), trace=trace))

    def _asgi_route(self, kind: str, app: Any, prepared: MutableMapping[str, Any]) -> None:
        loop = self.loop

        def run(n: int) -> None:
            loop.run_until_complete(_serve(app, prepared, n))

        self.cases.append(Case("route", "starlette", "proauth2", kind, ROUTE_KINDS[kind], run))

    def run(self, max_iterations: int, rounds: int, seconds: float) -> None:
        measure(self.cases, max_iterations, rounds, seconds)

    @property
    def sql(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per peer, per operation (``route_valid``, ``route_middleware`` for routes): statements and commits."""
        counts: dict[str, dict[str, dict[str, int]]] = {}
        for case in self.cases:
            if case.sql is not None:
                key = case.kind if case.group == "operation" else f"route_{case.kind}"
                counts.setdefault(case.peer, {})[key] = case.sql._asdict()
        return counts

    def close(self) -> None:
        self.asgi.close()
        self.loop.close()
        for peer in self.peers:
            peer.close()
        self.dot_persistent.close()

    # -- figures -------------------------------------------------------------------------------------

    def case(self, where: str, peer: str, kind: str) -> Case:
        return next(c for c in self.cases if (c.where, c.peer, c.kind) == (where, peer, kind))

    def overhead(self, where: str, peer: str, kind: str) -> float:
        bare_peer = "DOT" if where == "django" else peer
        return paired_overhead(self.case(where, bare_peer, "bare"), self.case(where, peer, kind))

    def speedup(self, where: str, peer: str, kind: str, proauth2_kind: str | None = None) -> float:
        """How many times faster proauth2's case is than ``peer``'s (whole requests, median of paired rounds)."""
        return paired_ratio(self.case(where, "proauth2", proauth2_kind or kind), self.case(where, peer, kind))

    def route_comparisons(self) -> list[dict[str, Any]]:
        """What the protection adds, proauth2 against each peer on the same framework."""
        rows = []
        for where, peer, kind, against in (
            ("flask", "Authlib", "valid", "valid"),
            ("flask", "Authlib", "valid", "decorator"),
            ("django", "DOT", "valid", "valid"),
            ("django", "DOT", "middleware", "valid"),
            ("django", "DOT, persistent", "valid", "valid"),
            ("django", "DOT, persistent", "middleware", "valid"),
        ):
            theirs, ours = self.overhead(where, peer, kind), self.overhead(where, "proauth2", against)
            rows.append(
                {
                    "where": where,
                    "peer": peer,
                    "peer_case": self.case(where, peer, kind).label,
                    "proauth2_case": self.case(where, "proauth2", against).label,
                    "peer_overhead_us": theirs,
                    "proauth2_overhead_us": ours,
                    "times": _times(theirs, ours),
                }
            )
        return rows

    def refusal_comparisons(self) -> list[dict[str, Any]]:
        """Whole requests refused (bad token, no token): how many times faster proauth2 answers."""
        return [
            {"where": where, "peer": peer, "kind": kind, "times": self.speedup(where, peer, kind)}
            for where, peer in (("flask", "Authlib"), ("django", "DOT"))
            for kind in ("bad", "missing")
        ]

    def operation_comparisons(self) -> dict[str, dict[str, float]]:
        """Per operation, how many times faster proauth2 is than each peer (median of paired rounds)."""
        return {
            key: {
                peer: paired_ratio(self.case(key, "proauth2", key), self.case(key, peer, key))
                for peer in PEERS
                if peer != "proauth2"
            }
            for key in OPERATIONS
        }

    def budget_lines(self) -> list[tuple[str, bool]]:
        callable_us = self.overhead("callable", "proauth2", "valid")
        flask_us = self.overhead("flask", "proauth2", "valid")
        decorator_us = self.overhead("flask", "proauth2", "decorator")
        authlib_times = _times(self.overhead("flask", "Authlib", "valid"), flask_us)
        decorator_times = decorator_us / flask_us if flask_us > 0 else math.inf
        dot_times = _times(self.overhead("django", "DOT", "valid"), self.overhead("django", "proauth2", "valid"))
        lines = [
            (
                f"middleware over a bare callable, valid token {callable_us:+6.1f} µs <= {CALLABLE_BUDGET_US:.0f} µs",
                callable_us <= CALLABLE_BUDGET_US,
            ),
            (
                f"middleware over a Flask route, valid token  {flask_us:+6.1f} µs <= {FLASK_BUDGET_US:.0f} µs",
                flask_us <= FLASK_BUDGET_US,
            ),
            (
                f"Authlib's ResourceProtector adds {authlib_times:6.1f}x the middleware's cost >= "
                f"{AUTHLIB_PROTECTOR_TIMES:.0f}x",
                authlib_times >= AUTHLIB_PROTECTOR_TIMES,
            ),
            (
                f"Flask decorator adds {decorator_times:5.2f}x the middleware's cost <= {DECORATOR_TIMES}x",
                decorator_times <= DECORATOR_TIMES,
            ),
            (
                f"DOT's ProtectedResourceView adds {dot_times:6.1f}x the middleware's cost (Django view) >= "
                f"{DOT_PROTECTOR_TIMES:.0f}x",
                dot_times >= DOT_PROTECTOR_TIMES,
            ),
        ]
        speedups = self.operation_comparisons()
        for key in TOKEN_OPERATIONS:
            for peer, needed in TOKEN_TIMES.items():
                times = speedups[key][peer]
                what = "(hashed secrets)" if peer == "DOT" else ""
                lines.append(
                    (
                        f"{key:<18} {times:7.1f}x faster than {peer} {what} >= {needed:.0f}x",
                        times >= needed,
                    )
                )
        return lines

    # -- output --------------------------------------------------------------------------------------

    def print_tables(self) -> None:
        print(f"\nSide by side, in-process: routes (SQLite; {len(self.cases[0].rounds)} interleaved rounds)")
        print(f"{'':24}  {'':15}  {'case':38}  {'median':>8} {'best':>8}  µs/request  (+ over the bare route)")
        for case in (c for c in self.cases if c.group == "route"):
            extra = ""
            if case.kind != "bare":
                extra = f"  ({self.overhead(case.where, case.peer, case.kind):+.1f})"
            print(
                f"{MOUNTS[case.where]:24}  {case.peer:15}  {case.label:38}  {case.median:8.1f} {case.best:8.1f}{extra}"
            )
        print("\nWhat the protection adds to a route with a valid token (median of paired rounds)")
        for row in self.route_comparisons():
            print(
                f"  {MOUNTS[row['where']]:12} {row['peer']:15} {row['peer_case']:36} {row['peer_overhead_us']:8.1f} µs"
                f"  proauth2 ({row['proauth2_case']}) {row['proauth2_overhead_us']:6.1f} µs: {row['times']:6.1f}x less"
            )
        for row in self.refusal_comparisons():
            print(
                f"  {MOUNTS[row['where']]:12} {row['peer']:15} {ROUTE_KINDS[row['kind']]:36} answered "
                f"{row['times']:6.1f}x faster by proauth2 (whole requests)"
            )
        speedups = self.operation_comparisons()
        print("\nSide by side, in-process: operations (µs, median; (Nx): how many times faster proauth2 is)")
        print(f"{'':46}" + "".join(f"{peer:>22}" for peer in PEERS))
        for key, label in OPERATIONS.items():
            cells = []
            for peer in PEERS:
                median = self.case(key, peer, key).median
                times = "" if peer == "proauth2" else f"({speedups[key][peer]:.1f}x)"
                cells.append(f"{median:>12.0f} {times:>9}")
            print(f"{label:46}" + "".join(cells))
        print("\nSQL per operation (SQLite's trace: statements / commits)")
        sql = self.sql
        for key in SQL_LABELS:
            counts = [sql.get(peer, {}).get(key) for peer in PEERS]
            shown = [f"{c['statements']} / {c['commits']}" if c else "-" for c in counts]
            print(f"  {SQL_LABELS[key]:44}" + "".join(f"{cell:>22}" for cell in shown))
        print(f"  {'SQLite journal, synchronous':44}" + "".join(f"{self._pragma(peer):>22}" for peer in PEERS))

    def _pragma(self, peer: str) -> str:
        found = self.pragmas[peer]
        return f"{found['journal_mode']}, {found['synchronous']}"

    def results(self, settings: dict[str, Any], rss: dict[str, int | None]) -> dict[str, Any]:
        speedups = self.operation_comparisons()
        chart = [
            {
                "group": "protected route, valid token: cost over the bare route",
                "label": CHART_LABELS[row["peer"], row["peer_case"]],
                "peer": row["peer"],
                "ratio": row["times"],
            }
            for row in self.route_comparisons()
            if row["proauth2_case"] == ROUTE_KINDS["valid"]
        ]
        chart += [
            {
                "group": "protected route, refused: whole request",
                "label": f"{MOUNTS[row['where']]}: {ROUTE_KINDS[row['kind']]}",
                "peer": row["peer"],
                "ratio": row["times"],
            }
            for row in self.refusal_comparisons()
        ]
        chart += [
            {
                "group": "authorization server: whole request",
                "label": f"{label} vs {peer}",
                "peer": peer,
                "ratio": times,
            }
            for key, label in (
                ("code_flow", "code flow"),
                ("refresh", "refresh"),
                ("client_credentials", "client credentials"),
                ("revocation", "revocation"),
                ("introspection", "introspection"),
            )
            for peer, times in speedups[key].items()
        ]
        return {
            **header("side_by_side", **settings),
            "sqlite_settings": self.pragmas,
            "cases": [
                {
                    "group": case.group,
                    "where": case.where,
                    "peer": case.peer,
                    "kind": case.kind,
                    "label": case.label,
                    "iterations_per_round": case.iterations,
                    "median_us": round(case.median, 2),
                    "best_us": round(case.best, 2),
                    "rounds_us": [round(value, 2) for value in case.rounds],
                    **(
                        {"overhead_us": round(self.overhead(case.where, case.peer, case.kind), 2)}
                        if case.group == "route" and case.kind != "bare"
                        else {}
                    ),
                }
                for case in self.cases
            ],
            "route_comparisons": self.route_comparisons(),
            "refusal_comparisons": self.refusal_comparisons(),
            "operation_speedups": speedups,
            "sql_per_operation": self.sql,
            "peak_rss_kib": rss,
            "budgets": [{"text": text, "ok": ok} for text, ok in self.budget_lines()],
            "chart": chart,
        }


# -- peak RSS, one subprocess per peer -------------------------------------------------------------------


def _rss_child(name: str) -> int:
    """In a fresh process: build one peer, run its operations and routes a little, return the peak RSS (KiB)."""
    with tempfile.TemporaryDirectory() as directory:
        peer: Any
        if name.startswith("proauth2"):
            from benchmarks.peers.proauth2_app import Proauth2Peer

            peer = Proauth2Peer(f"sqlite:///{directory}/p.db", with_flask=name != "proauth2")
        elif name == "Authlib":
            from benchmarks.peers.authlib_app import AuthlibPeer

            peer = AuthlibPeer(f"sqlite:///{directory}/a.db")
        else:
            from benchmarks.peers.dot_app import DotPeer, configure

            configure(f"{directory}/d.db")
            peer = DotPeer(hashed=False)  # hashing costs time, not memory
        for function in peer.endpoints.operations().values():
            for i in range(10):
                function(i)
        for kinds in peer.routes().values():
            for function in kinds.values():
                for i in range(100):
                    function(i)
        peer.close()
    return _peak_rss_kib()


def _peak_rss_kib() -> int:
    """This process's peak RSS (KiB): ``VmHWM``, else ``getrusage``.

    On Linux ``ru_maxrss`` survives ``exec``: a child started by a big
    parent reports at least the parent's size at the fork. ``VmHWM`` belongs
    to the memory the process maps after ``exec``, so it is the child's own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss(names: Iterable[str] = RSS_PEERS) -> dict[str, int | None]:
    """Peak RSS (KiB) of one process per peer, run side by side after the timed rounds."""
    children = {
        name: subprocess.Popen(
            [sys.executable, "-m", "benchmarks.side_by_side", "--rss-of", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    found: dict[str, int | None] = {}
    for name, child in children.items():
        out, err = child.communicate(timeout=300)
        found[name] = json.loads(out)["peak_rss_kib"] if child.returncode == 0 else None
        if child.returncode != 0:
            print(f"peak RSS of {name}: the process failed: {err[-500:]}")
    return found


def run(
    max_iterations: int,
    rounds: int = ROUNDS,
    seconds: float = ROUND_SECONDS,
    results_dir: Path | None = RESULTS_DIR,
    rss: bool = True,
) -> list[tuple[str, bool]]:
    """Measure, print the tables, write the results (unless ``results_dir`` is None); the budget lines."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        bench = SideBySide(directory)
        ready = time.perf_counter()
        try:
            bench.run(max_iterations, rounds, seconds)
        finally:
            bench.close()
    measured = time.perf_counter()
    memory = peak_rss() if rss else {}
    phases = {"setup": ready - started, "rounds": measured - ready, "rss": time.perf_counter() - measured}
    bench.print_tables()
    if memory:
        print("\nPeak RSS of a process running one peer's operations and routes (VmHWM)")
        for name, kib in memory.items():
            print(f"  {name:20} {kib / 1024:8.1f} MiB" if kib else f"  {name:20}        ?")
    if results_dir is not None:
        settings: dict[str, Any] = {"rounds": rounds, "max_iterations": max_iterations, "round_seconds": seconds}
        settings["seconds_taken"] = {phase: round(taken, 1) for phase, taken in phases.items()}
        path = write_json(results_dir, "side_by_side.json", bench.results(settings, memory))
        chart = write_chart(results_dir)
        print(f"\nwrote {path}" + (f" and {chart}" if chart else ""))
    print("side by side took " + ", ".join(f"{phase} {taken:.0f} s" for phase, taken in phases.items()))
    return bench.budget_lines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.side_by_side", description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=5000, help="most requests per case and round (5000)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"interleaved rounds ({ROUNDS})")
    parser.add_argument("--seconds", type=float, default=ROUND_SECONDS, help="seconds per case and round (0.04)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the results go")
    parser.add_argument("--no-write", action="store_true", help="write no results file")
    parser.add_argument("--rss", action=argparse.BooleanOptionalAction, default=True, help="measure peak RSS")
    parser.add_argument("--rss-of", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_of:
        print(json.dumps({"peak_rss_kib": _rss_child(args.rss_of)}))
        return 0
    lines = run(args.iterations, args.rounds, args.seconds, None if args.no_write else args.results_dir, args.rss)
    print("\nBudgets (side by side)")
    for text, ok in lines:
        print(f"  {text} : {'ok' if ok else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
