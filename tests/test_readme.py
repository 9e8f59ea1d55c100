"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_quick_start_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    quick_start = next(block for block in BLOCKS if "request_authorization" in block)
    exec(compile(quick_start, "README.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == ["Bearer 3600 profile", "invalid_token 401"]
