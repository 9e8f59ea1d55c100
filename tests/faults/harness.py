"""One fault under load, from start to audit: what every fault test runs, and the figures it gives.

:func:`run_fault` migrates the database and registers the clients, starts
gunicorn on it, runs the load (:mod:`tests.faults.load`) until every flow has
succeeded once, injects the fault (``inject`` returns when it is over, with how
many faults it injected), then probes until a whole code flow succeeds on the
first try of each step (the recovery, bounded), stops the load (each thread
ends its flow, trying 503s again), and audits the database
(:mod:`tests.faults.audit`). :func:`check` asserts what the figures must show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proauth2_wsgi import Proauth2
from proauth2_wsgi.device import DEVICE_CODE_GRANT
from proauth2_wsgi.stores import PeeweeDataStore
from tests.faults.app import settings
from tests.faults.audit import Audit, audit, lost_answer
from tests.faults.load import REDIRECT_URI, Credentials, Load, LoadClient, Tally
from tests.faults.report import publish
from tests.gunicorn import Gunicorn, running_gunicorn

#: sync workers serving the load (one request at a time each, one pooled connection each)
WORKERS = 3
#: seconds the load gets to run every flow once before the fault
WARM_UP_SECONDS = 60.0
#: seconds the service gets to recover after the fault (generous: the machine is shared)
RECOVERY_LIMIT_SECONDS = 60.0
#: client threads of the load
THREADS = 4


@dataclass
class FaultRun:
    """What one fault run saw: the figures reported, the load's tally, the audit, the server's log."""

    figures: dict[str, Any]
    tally: Tally
    audit: Audit
    workers_restarted: bool
    server_log: str


def register_clients(database_url: str) -> Credentials:
    """Migrate the database and register the load's clients (in this process, before gunicorn starts)."""
    store = PeeweeDataStore(database_url)
    try:
        store.migrate()
        provider = Proauth2(store, settings("http://127.0.0.1"))
        web = provider.register_app("web", [REDIRECT_URI])
        service = provider.register_app("service", grant_types=["client_credentials"])
        device = provider.register_app("tv", grant_types=[DEVICE_CODE_GRANT, "refresh_token"], auth_method="none")
    finally:
        store.dispose()
    assert web.client_secret is not None and service.client_secret is not None
    return Credentials((web.client_id, web.client_secret), (service.client_id, service.client_secret), device.client_id)


def _recover(server: Gunicorn, credentials: Credentials, tally: Tally, database_url: str, since: float) -> float | None:
    """Seconds from ``since`` until a whole code flow succeeded at the first try of each step; None if never."""
    probe = LoadClient(server.base_url, credentials, tally, lost_answer(database_url), retry=False)
    while time.monotonic() - since < RECOVERY_LIMIT_SECONDS and not tally.violations:
        if probe.probe():
            return time.monotonic() - since
        time.sleep(0.1)
    return None


def run_fault(
    backend: str,
    fault: str,
    database_url: str,
    inject: Callable[[], int],
    workdir: Path,
    app_options: Mapping[str, str] | None = None,
) -> FaultRun:
    """Run the load through gunicorn on ``database_url``, inject the fault, recover, audit; report the figures.

    ``app_options`` go to :func:`tests.faults.app.build`.
    """
    credentials = register_clients(database_url)
    options = "".join(f", {name}={value!r}" for name, value in (app_options or {}).items())

    def app(base_url: str) -> str:
        return f"tests.faults.app:build({database_url!r}, {base_url!r}{options})"

    with running_gunicorn(app, workers=WORKERS, ready_path="/health", log=workdir / "gunicorn.log") as server:
        workers = server.worker_pids()
        load = Load(server.base_url, credentials, lost_answer(database_url), THREADS)
        load.start()
        warmed = load.wait_for_every_flow(WARM_UP_SECONDS)
        assert warmed, f"the load did not run every flow before the fault: {load.tally.violations[:5]}"
        fault_start = time.monotonic()
        injected = inject()
        fault_end = time.monotonic()
        recovery = _recover(server, credentials, load.tally, database_url, fault_end)
        stuck = load.stop()
        assert not stuck, f"load threads never ended their flow: {stuck}"
        workers_restarted = server.worker_pids() != workers
    tally = load.tally
    checked = audit(database_url)
    figures = {
        "backend": backend,
        "fault": fault,
        "injected": injected,
        "fault_seconds": round(fault_end - fault_start, 2),
        "during_fault": {str(k): v for k, v in sorted(tally.statuses(fault_start, fault_end).items())},
        "unavailable_during_fault": tally.unavailable(fault_start, fault_end),
        "after_fault": {str(k): v for k, v in sorted(tally.statuses(fault_end, float("inf")).items())},
        "requests_total": len(tally.answers),
        "recovery_seconds": -1.0 if recovery is None else round(recovery, 2),
        "retried_after_503": dict(sorted(tally.retried.items())),
        "lost_answers": dict(sorted(tally.lost_answers.items())),
        "flows_completed": dict(sorted(tally.completed.items())),
        "violations": len(tally.violations),
        "workers": len(workers),
        "workers_restarted": workers_restarted,
        "audit": checked.figures(),
    }
    publish(figures)
    return FaultRun(figures, tally, checked, workers_restarted, (workdir / "gunicorn.log").read_text(errors="replace"))


def check(run: FaultRun) -> None:
    """What every fault must show: felt, answered honestly, recovered from alone, nothing half-issued."""
    figures = run.figures
    assert not run.tally.violations, f"answers that were neither success nor an honest 503: {run.tally.violations[:10]}"
    assert figures["unavailable_during_fault"] > 0, "the fault was never felt: no 503 while it lasted"
    assert figures["recovery_seconds"] >= 0, f"no whole flow succeeded within {RECOVERY_LIMIT_SECONDS:.0f} s"
    assert not run.workers_restarted, "a gunicorn worker was restarted: the service did not recover by itself"
    assert "Traceback" not in run.server_log, f"the server hit an unexpected error: {run.server_log[-3000:]}"
    assert not run.audit.problems, f"half-issued grants: {run.audit.problems[:10]}"
    assert run.audit.consumed_codes > 0 and run.audit.rotations > 0, "the audit found nothing to check"
