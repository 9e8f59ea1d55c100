"""SQLite fails under load: the disk fills up, another process locks the file.

What a SQLite server may meet (the database servers' faults are in
:mod:`tests.faults.test_database_servers`): a full disk, and another process
holding an exclusive transaction (writers wait the store's busy timeout, then
meet SQLITE_BUSY; readers of a WAL database go on). The disk fills two ways,
each making the server's own writes meet SQLITE_FULL: a tiny tmpfs holding the
database, filled to its last byte (where this process may mount one: root),
and everywhere a ``max_page_count`` at the database's size on each worker's
connection (:class:`tests.faults.app.PageQuota`). The answers, the recovery and the audit are checked as for
the servers (:func:`tests.faults.harness.check`).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.stores.errors import StorageUnavailable
from proauth2_wsgi.testing.datastore_contract import token_record
from tests.faults.app import STORE_TIMEOUT
from tests.faults.harness import check, run_fault

#: bytes of the tmpfs the disk-full test's database lives on
TMPFS_BYTES = 32 * 1024 * 1024
#: seconds the disk stays full
FULL_SECONDS = 2.5
#: seconds the other process holds its exclusive transaction: longer than the store's busy timeout
LOCK_SECONDS = 2 * STORE_TIMEOUT + 1

#: the other process: opens the file, takes the write lock, says so, holds it, lets go
_LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@pytest.fixture
def tmpfs() -> Iterator[Path]:
    """A tiny tmpfs of this test's own (mounting needs root: skipped with the reason otherwise)."""
    folder = Path(tempfile.mkdtemp(prefix="proauth2-faults-tmpfs-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs to fill (root needed): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until its file system has no byte left; the file."""
    filler = folder / "filler"
    chunk = b"\0" * (1024 * 1024)
    with filler.open("wb", buffering=0) as file:
        for size in (len(chunk), 4096, 1):
            try:
                while True:
                    file.write(chunk[:size])
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


def disk_full(database: Path) -> Callable[[], int]:
    """The fault: the WAL checkpointed to nothing, then the disk filled; emptied again after a while."""

    def inject() -> int:
        conn = sqlite3.connect(database, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the server's next write must grow the WAL
        finally:
            conn.close()
        filler = fill(database.parent)
        time.sleep(FULL_SECONDS)
        filler.unlink()
        return 1

    return inject


def locked(database: Path) -> Callable[[], int]:
    """The fault: another process holds an exclusive transaction on the file for a while."""

    def inject() -> int:
        locker = subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(database), str(LOCK_SECONDS)], stdout=subprocess.PIPE
        )
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == b"locked", "the other process could not take the lock"
        assert locker.wait(timeout=LOCK_SECONDS + 60) == 0
        locker.stdout.close()
        return 1

    return inject


def quota_reached(database: Path, flag: Path) -> Callable[[], int]:
    """The fault: every worker's connection held to the database's present size; lifted after a while."""

    def inject() -> int:
        conn = sqlite3.connect(database, isolation_level=None, timeout=30)
        try:
            (pages,) = conn.execute("PRAGMA page_count").fetchone()
        finally:
            conn.close()
        written = flag.with_suffix(".new")
        written.write_text(str(pages))
        os.replace(written, flag)  # the workers read the whole number or nothing
        time.sleep(FULL_SECONDS)
        flag.unlink()
        return 1

    return inject


@pytest.mark.rfc("6749", "4.1.2.1")
def test_disk_full_under_load(tmpfs: Path, tmp_path: Path) -> None:
    """SQLITE_FULL in the server while the load runs (a full tmpfs): 503, nothing half-written, then back."""
    database = tmpfs / "proauth2.db"
    check(run_fault("sqlite", "disk full", f"sqlite:///{database}", disk_full(database), tmp_path))


@pytest.mark.rfc("6749", "4.1.2.1")
def test_database_size_limit_reached_under_load(tmp_path: Path) -> None:
    """SQLITE_FULL in the server while the load runs (``max_page_count``): 503, nothing half-written, then back."""
    database = tmp_path / "proauth2.db"
    flag = tmp_path / "page-quota"
    url = f"sqlite:///{database}"
    inject = quota_reached(database, flag)
    check(run_fault("sqlite", "disk full: max_page_count", url, inject, tmp_path, {"page_quota": str(flag)}))


@pytest.mark.rfc("6749", "4.1.2.1")
def test_file_locked_by_another_process_under_load(tmp_path: Path) -> None:
    """An exclusive transaction held by another process while the load runs: writers 503 after the busy timeout."""
    database = tmp_path / "proauth2.db"
    check(run_fault("sqlite", "locked by another process", f"sqlite:///{database}", locked(database), tmp_path))


def test_the_filler_leaves_no_byte(tmpfs: Path) -> None:
    """The disk-full fault is real: once filled, the file system refuses even one more byte."""
    filler = fill(tmpfs)
    with pytest.raises(OSError) as refused, (tmpfs / "one-more").open("wb", buffering=0) as file:
        file.write(b"x")
    assert refused.value.errno == errno.ENOSPC
    filler.unlink()
    assert os.statvfs(tmpfs).f_bavail > 0


def test_a_commit_refused_by_a_full_disk_is_reported_as_a_full_disk(tmpfs: Path) -> None:
    """The operator is told why: "database or disk is full", not the ROLLBACK refused after it.

    A COMMIT that meets a full disk makes SQLite roll the transaction back by
    itself; the ROLLBACK the store sends next is then refused ("no transaction
    is active"). The outage's detail names the first failure; once there is
    room again the store writes as before.
    """
    database = tmpfs / "proauth2.db"
    store = PeeweeDataStore(f"sqlite:///{database}")
    try:
        store.migrate()
        conn = sqlite3.connect(database, isolation_level=None, timeout=30)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        filler = fill(tmpfs)
        with pytest.raises(StorageUnavailable) as refused, store.atomic():
            for n in range(20):
                store.store("access_tokens", **token_record(n))
        assert "database or disk is full" in refused.value.detail
        filler.unlink()
        with store.atomic():
            store.store("access_tokens", **token_record(0))
        assert store.fetch("access_tokens", token_hash=token_record(0)["token_hash"]) is not None
    finally:
        store.dispose()
