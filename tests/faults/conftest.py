"""Fixtures of the fault tests: private database servers, one per pytest worker that needs one.

Each fault's summary line (:mod:`tests.faults.report`) is kept with its test's
report and repeated in pytest's terminal summary, also from xdist workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.databases import unavailable
from tests.faults import report
from tests.faults.servers import PrivateMariaDB, PrivatePostgres, PrivateServer, ServerUnavailable


def _private(make: Callable[[], PrivateServer], name: str) -> Iterator[PrivateServer]:
    """A database server of this session's own (``make`` starts it), disposed of afterwards."""
    try:
        server = make()
    except ServerUnavailable as exc:
        unavailable(f"private {name} server: {exc}")
        return
    yield server
    server.dispose()


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivateServer]:
    """A PostgreSQL cluster of this session's own, which the tests may stop, restart and kill connections on."""
    yield from _private(PrivatePostgres, "PostgreSQL")


@pytest.fixture(scope="session")
def private_mariadb() -> Iterator[PrivateServer]:
    """A mariadbd of this session's own, which the tests may stop, restart and kill connections on."""
    yield from _private(PrivateMariaDB, "MariaDB")


@pytest.fixture(autouse=True)
def fault_summaries(request: pytest.FixtureRequest) -> Iterator[None]:
    """The summary lines the test published, kept in its report's ``user_properties``."""
    already = len(report.PUBLISHED)
    yield
    for line in report.PUBLISHED[already:]:
        request.node.user_properties.append(("fault_summary", line))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Every fault's summary line, at the end of the run."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for test_report in reports
        if getattr(test_report, "when", None) == "teardown"
        for name, value in getattr(test_report, "user_properties", ())
        if name == "fault_summary"
    ]
    if lines:
        terminalreporter.section("faults under load")
        for line in lines:
            terminalreporter.write_line(line)
