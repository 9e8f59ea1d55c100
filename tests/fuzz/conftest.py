"""Hypothesis settings for the hostile-input properties, and the per-endpoint input count.

Two profiles:

- ``proauth2-default`` (``make test``): few examples per property, a fixed
  seed (``derandomize``) and no example database, so the run is reproducible
  and all of tests/fuzz stays within two minutes with ``-n 2``;
- ``proauth2-fuzz``, chosen by ``PROAUTH2_FUZZ_EXAMPLES=<n>`` (``make fuzz``):
  ``n`` examples per property, new random examples every run, and failures
  kept in hypothesis' example database (``.hypothesis/``) to be replayed
  first next time.

Neither has a deadline: the machine is shared and timings mean nothing here.
The properties take no function-scoped fixtures (each module builds its world
once), so no health check is suppressed. ``PROAUTH2_FUZZ_REPORT=<path>``
writes the counts of :mod:`tests.fuzz.counting` as JSON there.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.fuzz import counting
from tests.fuzz.world import World

#: examples per property in ``make test``
DEFAULT_EXAMPLES = 12

_FUZZ_EXAMPLES = os.environ.get("PROAUTH2_FUZZ_EXAMPLES")

settings.register_profile(
    "proauth2-default", max_examples=DEFAULT_EXAMPLES, deadline=None, derandomize=True, database=None
)
settings.register_profile(
    "proauth2-fuzz", max_examples=int(_FUZZ_EXAMPLES or DEFAULT_EXAMPLES), deadline=None, derandomize=False
)
settings.load_profile("proauth2-fuzz" if _FUZZ_EXAMPLES else "proauth2-default")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A failing example holding a megabyte value is reported all the same (hypothesis warns about its repr)."""
    for item in items:
        if item.nodeid.startswith("tests/fuzz/"):
            item.add_marker(pytest.mark.filterwarnings("ignore:Generating overly large repr"))


#: the counts and outcomes of every worker, summed on the controller
_TOTAL: Counter[str] = Counter()
_OUTCOMES: dict[str, Counter[str]] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker sends its counts back to the controller; a single process keeps them."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["proauth2_fuzz_counts"] = counting.encode(counting.COUNTS, counting.OUTCOMES)
    else:
        counting.merge(_TOTAL, _OUTCOMES, counting.encode(counting.COUNTS, counting.OUTCOMES))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """Sum a finished xdist worker's counts."""
    encoded = getattr(node, "workeroutput", {}).get("proauth2_fuzz_counts")
    if encoded:
        counting.merge(_TOTAL, _OUTCOMES, encoded)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the inputs tried per endpoint and parser; write them to ``$PROAUTH2_FUZZ_REPORT``."""
    if not _TOTAL:
        return
    examples = settings().max_examples
    terminalreporter.section(f"hostile inputs tried per endpoint/parser (max_examples={examples})")
    for line in counting.summary(_TOTAL):
        terminalreporter.write_line(line)
    report = os.environ.get("PROAUTH2_FUZZ_REPORT")
    if report:
        Path(report).write_text(counting.encode(_TOTAL, _OUTCOMES) + "\n", encoding="utf-8")
        terminalreporter.write_line(f"written to {report}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The fuzzed server of a module, on its own SQLite database (hypothesis runs many examples per test)."""
    built = World(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/proauth2.db")
    yield built
    built.close()
