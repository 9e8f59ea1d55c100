"""peewee without the drivers of databases this process does not open.

``import peewee`` imports every database driver installed: psycopg2 (or
psycopg 3) and PyMySQL (or mysqlclient) load in a process that only ever
reads a SQLite file, about 6 MiB of memory and 40 ms of start-up.
:func:`hold_back_drivers` (called when :mod:`proauth2_wsgi.stores` is
imported) arranges that the next import of peewee, by the store or by the
application, runs without them; peewee gets its drivers the first time the
process creates a PostgreSQL database (psycopg2, psycopg 3) or a MySQL one
(PyMySQL, else mysqlclient), set up exactly as its own import would have
set them up: the same module globals, the same adapter constants, the same
side effect (psycopg2's UUID adapter). Nothing changes for a process that
uses those databases but when their driver loads.

The replay is exact only for the driver imports it knows, so it is done
only for a peewee whose source holds them, and the adapter constants they
set, word for word (peewee 4.5); another peewee (4.4 and older set their
adapters up otherwise), or one imported before :mod:`proauth2_wsgi.stores`,
imports its drivers as usual. A fresh database's first process still loads
psycopg2 when a migration adds a column: :mod:`playhouse.migrate` imports
playhouse's PostgreSQL extensions.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["HELD_BACK", "hold_back_drivers"]

#: the driver imports of peewee's own import that are held back until a database needs them
HELD_BACK = frozenset({"psycopg2cffi", "psycopg2", "psycopg", "pymysql", "MySQLdb"})

# What peewee's source says, word for word, that the loaders below replay.
_POSTGRESQL_IMPORTS = """
try:
    from psycopg2cffi import compat
    compat.register()
except ImportError:
    pass
try:
    import psycopg2
    from psycopg2 import extensions as pg_extensions
    from psycopg2.extras import register_uuid as pg_register_uuid
    from psycopg2.extras import Json as Json_pg2
    pg_register_uuid()
except ImportError:
    psycopg2 = Json_pg2 = None
try:
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json as Json_pg3
    from psycopg.types.json import Jsonb as Jsonb_pg3
except ImportError:
    psycopg = Json_pg3 = Jsonb_pg3 = None
"""
_MYSQL_IMPORTS = """
try:
    import pymysql as mysql
except ImportError:
    try:
        import MySQLdb as mysql
    except ImportError:
        mysql = None
"""
_PSYCOPG2_CONSTANTS = """
    if psycopg2 is not None:
        txn_idle = pg_extensions.TRANSACTION_STATUS_IDLE
        txn_inerror = pg_extensions.TRANSACTION_STATUS_INERROR
        txn_unknown = pg_extensions.TRANSACTION_STATUS_UNKNOWN
"""
_PSYCOPG3_CONSTANTS = """
    if psycopg is not None:
        txn_idle = TransactionStatus.IDLE
        txn_inerror = TransactionStatus.INERROR
        txn_unknown = TransactionStatus.UNKNOWN
"""
_REPLAYED = (_POSTGRESQL_IMPORTS, _MYSQL_IMPORTS, _PSYCOPG2_CONSTANTS, _PSYCOPG3_CONSTANTS)


def hold_back_drivers() -> None:
    """Have the next import of peewee leave out its database drivers (once; nothing if peewee is loaded)."""
    if "peewee" not in sys.modules and not any(isinstance(finder, _PeeweeFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PeeweeFinder())


class _PeeweeFinder(MetaPathFinder):
    """Finds peewee as the other finders do, with a loader that holds its drivers back; then steps aside.

    While peewee's module runs, in that thread, it refuses the imports of
    :data:`HELD_BACK`: peewee's ``try: import ... except ImportError``
    then records each driver as missing. Other threads import as usual.
    """

    def __init__(self) -> None:
        self.holding: int | None = None  # the thread running peewee's module

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> Any:
        if name in HELD_BACK and self.holding == threading.get_ident():
            raise ModuleNotFoundError(f"{name} loads when a database needs it (proauth2)", name=name)
        if name != "peewee":
            return None
        self._step_aside()
        spec = _find_elsewhere(name, path, target)
        if spec is None or spec.loader is None or not _replays_exactly(spec):
            return spec
        spec.loader = _HoldingLoader(spec.loader, self)
        return spec

    def _step_aside(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


class _HoldingLoader(Loader):
    """peewee's own loader, run with its drivers held back; their loaders installed on its database classes."""

    def __init__(self, loader: Loader, finder: _PeeweeFinder) -> None:
        self.loader = loader
        self.finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader  # get_source and the rest: the real loader's
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        sys.meta_path.insert(0, self.finder)
        self.finder.holding = threading.get_ident()
        try:
            self.loader.exec_module(module)
        finally:
            self.finder.holding = None
            self.finder._step_aside()
        _load_on_first_database(module.PostgresqlDatabase, functools.partial(_load_postgresql, module))
        _load_on_first_database(module.MySQLDatabase, functools.partial(_load_mysql, module))


def _find_elsewhere(name: str, path: Sequence[str] | None, target: ModuleType | None) -> ModuleSpec | None:
    """The spec the finders after this one give (this one has stepped aside)."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        spec = find_spec(name, path, target) if find_spec is not None else None
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None


def _replays_exactly(spec: ModuleSpec) -> bool:
    """Whether peewee's source holds, word for word, every driver import and constant replayed here."""
    get_source = getattr(spec.loader, "get_source", None)
    try:
        source = get_source(spec.name) if get_source is not None else None
    except (ImportError, OSError):
        source = None
    return source is not None and all(text in source for text in _REPLAYED)


def _load_on_first_database(database_class: type, load: Callable[[], None]) -> None:
    """Run ``load`` before the first ``init`` of a ``database_class`` (or a subclass's), then forget it."""
    original = database_class.__dict__["init"]
    lock = threading.Lock()

    @functools.wraps(original)
    def init(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            if database_class.__dict__["init"] is init:
                load()
                database_class.init = original  # type: ignore[attr-defined]
        return original(self, *args, **kwargs)

    database_class.init = init  # type: ignore[attr-defined]


def _load_postgresql(peewee: ModuleType) -> None:
    """What peewee's import does with psycopg2 and psycopg 3 (:data:`_POSTGRESQL_IMPORTS`, the constants)."""
    try:
        from psycopg2cffi import compat

        compat.register()
    except ImportError:
        pass
    try:
        import psycopg2
        from psycopg2 import extensions
        from psycopg2.extras import Json, register_uuid

        register_uuid()
    except ImportError:
        pass
    else:
        vars(peewee).update(psycopg2=psycopg2, pg_extensions=extensions, pg_register_uuid=register_uuid, Json_pg2=Json)
        _set_transaction_states(
            peewee.Psycopg2Adapter,
            extensions.TRANSACTION_STATUS_IDLE,
            extensions.TRANSACTION_STATUS_INERROR,
            extensions.TRANSACTION_STATUS_UNKNOWN,
        )
    try:
        import psycopg
        from psycopg.pq import TransactionStatus
        from psycopg.types.json import Json as Json3
        from psycopg.types.json import Jsonb
    except ImportError:
        pass
    else:
        vars(peewee).update(psycopg=psycopg, TransactionStatus=TransactionStatus, Json_pg3=Json3, Jsonb_pg3=Jsonb)
        _set_transaction_states(
            peewee.Psycopg3Adapter, TransactionStatus.IDLE, TransactionStatus.INERROR, TransactionStatus.UNKNOWN
        )


def _set_transaction_states(adapter: type, idle: Any, inerror: Any, unknown: Any) -> None:
    """The driver's transaction states on peewee's adapter, as its class body sets them when the driver loads."""
    adapter.txn_idle = idle  # type: ignore[attr-defined]
    adapter.txn_inerror = inerror  # type: ignore[attr-defined]
    adapter.txn_unknown = unknown  # type: ignore[attr-defined]


def _load_mysql(peewee: ModuleType) -> None:
    """What peewee's import does with PyMySQL, else mysqlclient (:data:`_MYSQL_IMPORTS`)."""
    try:
        import pymysql as mysql
    except ImportError:
        try:
            import MySQLdb as mysql
        except ImportError:
            return
    peewee.mysql = mysql  # type: ignore[attr-defined]
