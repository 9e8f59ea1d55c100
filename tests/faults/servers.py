"""Private database servers the fault tests may stop, restart and kill connections on.

The shared servers on 5432 and 3306 serve every other engineer's tests, so the
fault tests never touch them: each xdist worker that needs one starts its own
PostgreSQL 15 cluster (``initdb`` as the ``postgres`` OS user when root) or
``mariadbd`` instance (``mariadb-install-db``) in a temporary directory, on a
free loopback port, and removes it at the end of the session. A server that
cannot be started skips its tests with the reason
(:func:`tests.databases.unavailable`), or fails them under
``PROAUTH2_REQUIRE_DBS=1``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.databases import connect
from tests.http_server import free_port


def _debian_pg_bindir() -> Path:
    """Where Debian keeps the newest installed PostgreSQL's server programs (``/usr/lib/postgresql/N/bin``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name), reverse=True)
    return found[0] if found else Path("/usr/lib/postgresql/15/bin")


#: the PostgreSQL server programs (``PROAUTH2_PG_BINDIR`` overrides Debian's newest)
PG_BINDIR = Path(os.environ.get("PROAUTH2_PG_BINDIR") or _debian_pg_bindir())
#: seconds a server gets to start or stop
STARTUP_SECONDS = 60


class ServerUnavailable(RuntimeError):
    """A private server could not be set up here (no binaries, no permission): the reason."""


def _as_postgres() -> list[str]:
    """The prefix that runs a PostgreSQL program as the ``postgres`` OS user (initdb refuses root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=STARTUP_SECONDS, check=False)
    if result.returncode != 0:
        raise ServerUnavailable(f"{what} failed ({result.returncode}): {(result.stderr or result.stdout)[-400:]}")


class PrivateServer:
    """What both private servers offer the tests: a URL per database, new databases, stop and start."""

    engine: str
    port: int
    root: Path

    def _set_up(self, initialise: Callable[[], None]) -> None:
        """Make the data directory with ``initialise``, then start; on failure leave no files behind."""
        try:
            initialise()
            self.start()
        except ServerUnavailable:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def url(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        raise NotImplementedError

    def admin_url(self) -> str:
        """The URL of the server's own administration database."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server (its clients' connections end)."""
        raise NotImplementedError

    def kill_connections(self, database: str) -> int:
        """End every connection to ``database`` but the caller's own; how many were ended."""
        raise NotImplementedError

    def dispose(self) -> None:
        """Stop the server and delete its files."""
        raise NotImplementedError

    def create_database(self) -> str:
        """A new empty database on this server; its URL."""
        name = f"proauth2_fault_{secrets.token_hex(4)}"
        conn = connect(self.admin_url())
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
        return self.url(name)

    def wait_until_up(self) -> None:
        """Poll the server until a connection succeeds (bounded)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                connect(self.admin_url()).close()
                return
            except Exception as exc:  # noqa: BLE001 - any driver error means "not up yet"
                if time.monotonic() > deadline:
                    raise ServerUnavailable(f"the private {self.engine} server did not come up: {exc}") from None
                time.sleep(0.05)


class PrivatePostgres(PrivateServer):
    """A PostgreSQL cluster of its own: trust authentication, no fsync, loopback only."""

    engine = "postgresql"

    def __init__(self) -> None:
        if not (PG_BINDIR / "initdb").exists():
            raise ServerUnavailable(f"no PostgreSQL server programs in {PG_BINDIR}")
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            raise ServerUnavailable("running as root without runuser: initdb cannot run as postgres")
        self.root = Path(tempfile.mkdtemp(prefix="proauth2-faults-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        initdb = [*_as_postgres(), str(PG_BINDIR / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        self._set_up(lambda: _run([*initdb, "-E", "UTF8", "--no-sync"], "initdb"))

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin_url(self) -> str:
        return self.url("postgres")

    def _pg_ctl(self, *args: str) -> None:
        _run([*_as_postgres(), str(PG_BINDIR / "pg_ctl"), "-D", str(self.data), *args], f"pg_ctl {args[-1]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c full_page_writes=off -c shared_buffers=16MB -c max_connections=100"
        )
        self._pg_ctl("-o", options, "-l", str(self.root / "server.log"), "-w", "-t", str(STARTUP_SECONDS), "start")
        self.wait_until_up()

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "-t", str(STARTUP_SECONDS), "stop")

    def kill_connections(self, database: str) -> int:
        conn = connect(self.admin_url())
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                )
                (killed,) = cursor.fetchone()
        finally:
            conn.close()
        return int(killed)

    def dispose(self) -> None:
        try:
            self.stop()
        except ServerUnavailable:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateMariaDB(PrivateServer):
    """A ``mariadbd`` of its own: own datadir, socket and port, root without a password, no binary log."""

    engine = "mysql"

    def __init__(self) -> None:
        self.server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
        install = shutil.which("mariadb-install-db")
        if self.server is None or install is None:
            raise ServerUnavailable("mariadbd or mariadb-install-db is not installed")
        self.root = Path(tempfile.mkdtemp(prefix="proauth2-faults-mariadb-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.tmp = self.root / "tmp"  # its own: two bootstraps at once collide on temporary tables in /tmp
        self.tmp.mkdir()
        self.process: subprocess.Popen[bytes] | None = None
        user = ["--user=root"] if os.geteuid() == 0 else []
        options = [f"--datadir={self.data}", f"--tmpdir={self.tmp}", *user, "--auth-root-authentication-method=normal"]
        self._set_up(lambda: _run([install, "--no-defaults", *options, "--skip-test-db"], "mariadb-install-db"))

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def admin_url(self) -> str:
        return self.url("mysql")

    def start(self) -> None:
        assert self.server is not None
        user = ["--user=root"] if os.geteuid() == 0 else []
        command = [
            self.server,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--tmpdir={self.tmp}",
            f"--socket={self.root / 'mariadb.sock'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.root / 'mariadb.pid'}",
            f"--log-error={self.root / 'error.log'}",
            "--skip-log-bin",
            "--skip-name-resolve",
            "--performance-schema=OFF",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
            *user,
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.wait_until_up()
        except ServerUnavailable:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # SIGTERM: mariadbd's normal shutdown
        try:
            self.process.wait(timeout=STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STARTUP_SECONDS)
        self.process = None

    def kill_connections(self, database: str) -> int:
        conn = connect(self.admin_url())
        killed = 0
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()", (database,)
                )
                for (thread_id,) in cursor.fetchall():
                    try:
                        cursor.execute(f"KILL CONNECTION {int(thread_id)}")
                        killed += 1
                    except Exception:  # noqa: BLE001 - it ended on its own meanwhile
                        continue
        finally:
            conn.close()
        return killed

    def dispose(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
