"""``make bench`` still runs every part, on a few iterations (its figures are not checked here).

The side-by-side part (benchmarks/side_by_side.py) runs on its own, one round
of two requests per case, into a temporary directory (the committed results
in benchmarks/results/ stay as the last full run left them); the load
benchmark (benchmarks/load.py, minutes of wrk) is checked through its pure
parts: wrk's report, the agreement of runs, the chart.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.load import WSGI_ROUTES, Server, find_agreement, parse_wrk
from benchmarks.peers import count_sql
from benchmarks.reporting import Bar, render_chart
from benchmarks.side_by_side import missing_packages

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmarks_run_every_part() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--iterations", "10", "--max-tokens", "2000", "--no-peers"],
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
        "Cold CPU caches",
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
    assert "Side by side" not in done.stdout


@pytest.mark.skipif(bool(missing_packages()), reason=f"the bench extra is not installed ({missing_packages()})")
def test_side_by_side_runs_every_peer_and_writes_its_results(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.side_by_side",
            *("--iterations", "2", "--rounds", "1", "--seconds", "0.005", "--no-rss"),
            *("--results-dir", str(tmp_path)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for title in ("Side by side, in-process: routes", "operations", "SQL per operation", "Budgets (side by side)"):
        assert title in done.stdout, done.stdout
    assert "middleware over a bare callable, valid token" in done.stdout
    assert "faster than DOT (hashed secrets)" in done.stdout
    results = json.loads((tmp_path / "side_by_side.json").read_text())
    assert {"machine", "packages", "date", "cases", "sql_per_operation", "budgets", "chart"} <= set(results)
    assert results["sqlite_settings"]["proauth2"] == {"journal_mode": "WAL", "synchronous": "NORMAL"}
    assert results["sqlite_settings"]["Authlib, WAL"] == {"journal_mode": "WAL", "synchronous": "NORMAL"}
    assert results["sqlite_settings"]["Authlib"]["synchronous"] == "FULL"
    peers = {case["peer"] for case in results["cases"]}
    assert peers == {"proauth2", "Authlib", "Authlib, WAL", "DOT", "DOT, unhashed", "DOT, persistent"}
    for peer in ("proauth2", "Authlib", "DOT", "DOT, persistent"):
        assert results["sql_per_operation"][peer]["route_valid"] == {"statements": 1, "commits": 0}, peer
    assert (tmp_path / "ratios.svg").read_text().startswith("<svg")


@pytest.mark.skipif(bool(missing_packages()), reason=f"the bench extra is not installed ({missing_packages()})")
def test_peak_rss_is_measured_in_a_process_of_its_own() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.side_by_side", "--rss-of", "proauth2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout)["peak_rss_kib"] > 10_000


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        pytest.param(["SELECT 1", "SELECT 2"], (2, 0), id="reads-commit-nothing"),
        pytest.param(["INSERT INTO t VALUES (1)", "UPDATE t SET x = 2"], (2, 2), id="autocommit-writes"),
        pytest.param(["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)", "UPDATE t SET x = 1", "COMMIT"], (2, 1), id="txn"),
        pytest.param(["BEGIN ", "DELETE FROM t", "ROLLBACK"], (1, 0), id="rolled-back"),
        pytest.param(["SAVEPOINT s1", "INSERT INTO t VALUES (1)", 'RELEASE SAVEPOINT "s1"'], (1, 1), id="savepoint"),
    ],
)
def test_sql_counts_statements_and_commits(statements: list[str], expected: tuple[int, int]) -> None:
    assert tuple(count_sql(statements)) == expected


WRK_REPORT = """Running 3s test @ http://127.0.0.1:8000/protected
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.12ms    2.01ms  40.10ms   90.00%
    Req/Sec     5.21k   300.00     5.80k    70.00%
  Latency Distribution
     50%  585.00us
     75%    6.50ms
     90%    8.00ms
     99%    1.20s
  15630 requests in 3.00s, 2.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   5208.33
Transfer/sec:    716.00KB
"""


def test_wrk_reports_are_read_with_their_units() -> None:
    figures = parse_wrk(WRK_REPORT)
    assert figures == {"rps": 5208.33, "p50_ms": 0.585, "p99_ms": 1200.0, "non_2xx": 4.0, "socket_errors": 3.0}


def _run(bare: float, protected: float, flask_bare: float, authlib: float) -> dict[str, dict[str, float]]:
    return {key: {"rps": rps} for key, rps in zip(WSGI_ROUTES, (bare, protected, flask_bare, authlib), strict=True)}


def test_load_runs_agree_on_the_shares_of_bare_within_ten_percent() -> None:
    server = Server("gunicorn", "SQLite", [], {}, WSGI_ROUTES, {})
    server.runs = [_run(1000, 900, 500, 100), _run(2000, 1400, 1000, 200)]
    assert find_agreement(server) is None  # 90% against 70% of bare
    server.runs.append(_run(1500, 1300, 800, 160))  # 86.7% and 20%: within 10% of the first run
    assert find_agreement(server) == [0, 2]
    server.agreed = [0, 2]
    assert server.figures()["bare"]["rps"] == 1250
    assert math.isclose(server.final_shares()["protected"], 1100 / 1250)


def test_the_chart_is_a_log_scale_svg_of_every_bar() -> None:
    bars = [Bar("operations", "code flow", "Authlib", 8.0), Bar("operations", "code flow", "DOT", 350.0)]
    svg = render_chart(bars, "machine, date")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("<rect ") == 1 + 2 + 2  # the background, two bars, two legend keys
    assert "8\u00d7" in svg and "350\u00d7" in svg and "1000\u00d7" in svg
