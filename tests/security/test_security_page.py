"""docs/SECURITY.md cannot rot: every test it cites as proof exists, as pytest collects it.

The page's node ids (``tests/<path>.py::<test>``, a parameter list optional)
are compared with what ``pytest --collect-only`` finds in the cited files, run
in a subprocess on those files only. A renamed, moved or deleted test, a file
that no longer collects, or a page that cites next to nothing, fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "SECURITY.md"
#: a cited node id: the file, the test (``Class::test`` too), an optional parameter list
NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)(\[[^\]`]*\])?`")
#: fewer citations than this would mean the page lost its table (it has some 250)
MIN_CITED = 150
#: how long collecting the cited files may take on a loaded machine
COLLECT_TIMEOUT = 600


def cited_node_ids(text: str) -> set[str]:
    """The node ids a markdown text cites in backticks, parameters kept where given."""
    return {f"{path}::{name}{params or ''}" for path, name, params in NODE_ID.findall(text)}


def collected_node_ids(paths: list[str]) -> set[str]:
    """What pytest collects from ``paths`` (relative to the repository), in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=COLLECT_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return {line.strip() for line in result.stdout.splitlines() if "::" in line}


def test_the_parser_reads_node_ids_with_and_without_parameters() -> None:
    text = "a `tests/a/test_b.py::test_c` and `tests/d.py::TestE::test_f[sqlite-x]`, not `tests/<p>.py::<t>`"
    assert cited_node_ids(text) == {"tests/a/test_b.py::test_c", "tests/d.py::TestE::test_f[sqlite-x]"}


def test_every_test_the_security_page_cites_exists() -> None:
    cited = cited_node_ids(PAGE.read_text(encoding="utf-8"))
    assert len(cited) >= MIN_CITED, f"docs/SECURITY.md cites {len(cited)} tests"
    paths = sorted({node_id.split("::", 1)[0] for node_id in cited})
    missing_files = [path for path in paths if not (ROOT / path).is_file()]
    assert not missing_files, missing_files
    collected = collected_node_ids(paths)
    without_parameters = {node_id.split("[", 1)[0] for node_id in collected}
    missing = sorted(
        node_id for node_id in cited if node_id not in (collected if "[" in node_id else without_parameters)
    )
    assert not missing, "docs/SECURITY.md cites tests that do not exist:\n" + "\n".join(missing)
