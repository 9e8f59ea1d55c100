"""How many hostile inputs each endpoint and parser was sent: counted per process, summed at the session's end.

Every property check calls :func:`tried` with the name of what it fed, so the
summary reads "inputs tried per endpoint" whether hypothesis ran in one
process or in pytest-xdist workers (their counts travel back to the
controller in ``workeroutput``; see ``tests/fuzz/conftest.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping

#: inputs tried in this process, by endpoint or parser
COUNTS: Counter[str] = Counter()
#: what the endpoints answered, by endpoint: ``"400 invalid_request"``, ``"303 redirect"``, ``"200"``
OUTCOMES: dict[str, Counter[str]] = {}


def tried(target: str, inputs: int = 1) -> None:
    """Record ``inputs`` more hostile inputs sent to ``target`` (an endpoint's or parser's name)."""
    COUNTS[target] += inputs


def answered(target: str, outcome: str) -> None:
    """Record one answer of ``target``."""
    OUTCOMES.setdefault(target, Counter())[outcome] += 1


def merge(total: Counter[str], outcomes: dict[str, Counter[str]], encoded: str) -> None:
    """Add the counts and outcomes a worker sent back (:func:`encode`'s JSON)."""
    decoded = json.loads(encoded)
    total.update(decoded["inputs"])
    for target, counts in decoded["outcomes"].items():
        outcomes.setdefault(target, Counter()).update(counts)


def encode(counts: Mapping[str, int], outcomes: Mapping[str, Mapping[str, int]]) -> str:
    """The counts and outcomes as JSON, sorted by name."""
    return json.dumps(
        {
            "inputs": dict(sorted(counts.items())),
            "total": sum(counts.values()),
            "outcomes": {target: dict(sorted(outcomes[target].items())) for target in sorted(outcomes)},
        },
        indent=2,
    )


def summary(counts: Mapping[str, int]) -> list[str]:
    """The lines of the end-of-session summary: one per target, then the total."""
    width = max((len(name) for name in counts), default=10)
    lines = [f"{name:<{width}}  {count:>9,}" for name, count in sorted(counts.items())]
    lines.append(f"{'total':<{width}}  {sum(counts.values()):>9,}")
    return lines
