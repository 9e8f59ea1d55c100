"""The figures of each fault: one summary line (shown with ``-s``), and JSON in ``$PROAUTH2_FAULT_REPORT``.

The JSON file holds one list, one object per (backend, fault), merged under
a file lock so that several pytest workers can write to it at once; a fault
run again replaces its entry. docs/SECURITY.md quotes these figures.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

#: the environment variable naming the JSON report file
REPORT_VARIABLE = "PROAUTH2_FAULT_REPORT"
#: the summary lines published in this process, in order (the conftest hands them to pytest's report)
PUBLISHED: list[str] = []


def summary_line(figures: dict[str, Any]) -> str:
    """One line: backend and fault, faults injected, answers during the fault by status, recovery time, audit."""
    during = " ".join(f"{status}:{count}" for status, count in sorted(figures["during_fault"].items()))
    retried = " ".join(f"{step.replace(' ', '_')}:{n}" for step, n in sorted(figures["retried_after_503"].items()))
    audit = figures["audit"]
    return (
        f"FAULT {figures['backend']}/{figures['fault']}: injected={figures['injected']} "
        f"fault_seconds={figures['fault_seconds']:.1f} during_fault=[{during}] "
        f"requests_total={figures['requests_total']} recovery_seconds={figures['recovery_seconds']:.2f} "
        f"retried_after_503=[{retried}] lost_answers={sum(figures['lost_answers'].values())} "
        f"flows={sum(figures['flows_completed'].values())} "
        f"violations={figures['violations']} audit: grants={audit['grants']} "
        f"tokens={audit['access_tokens'] + audit['refresh_tokens']} rotations={audit['rotations']} "
        f"problems={audit['problems']}"
    )


def publish(figures: dict[str, Any]) -> None:
    """Print the summary line, and merge ``figures`` into the JSON report when one is asked for."""
    line = summary_line(figures)
    PUBLISHED.append(line)
    print(line)  # pytest -s shows it at once; the conftest repeats it in the terminal summary
    path = os.environ.get(REPORT_VARIABLE)
    if not path:
        return
    report = Path(path)
    report.touch(exist_ok=True)
    with report.open("r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        text = file.read()
        entries = json.loads(text) if text.strip() else []
        entries = [e for e in entries if (e["backend"], e["fault"]) != (figures["backend"], figures["fault"])]
        entries.append(figures)
        entries.sort(key=lambda entry: (entry["backend"], entry["fault"]))
        file.seek(0)
        file.truncate()
        json.dump(entries, file, indent=2, sort_keys=True)
        file.write("\n")
