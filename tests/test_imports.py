"""What importing costs: small modules load alone, the core needs neither Flask nor a running database."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_errors_load_without_peewee_or_the_provider() -> None:
    modules = loaded_after("import proauth2_wsgi.errors")
    assert "peewee" not in modules
    assert "proauth2_wsgi.provider" not in modules and "proauth2_wsgi.stores" not in modules
    assert "werkzeug" not in modules


def test_the_protector_loads_without_storage_or_werkzeug() -> None:
    modules = loaded_after("import proauth2_wsgi.protector")
    assert not {"peewee", "werkzeug", "proauth2_wsgi.provider"} & modules


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("from proauth2_wsgi import Proauth2, BearerTokenMiddleware", id="provider-and-middleware"),
        pytest.param("from proauth2_wsgi.endpoints import AuthorizationServer", id="endpoints"),
    ],
)
def test_the_core_needs_no_flask(code: str) -> None:
    """Flask is an extra (``proauth2[flask]``): the core runs with it absent."""
    modules = loaded_after(f"import sys\nsys.modules['flask'] = None  # as if not installed\n{code}")
    assert "flask" not in {name for name in modules if name.startswith("flask.")}


def test_the_package_requires_werkzeug_peewee_and_jose_only_and_flask_as_an_extra() -> None:
    """The installed metadata (what ``pip install proauth2`` would pull in), not setup.py's text."""
    requirements = [Requirement(text) for text in metadata.requires("proauth2") or []]
    core = sorted(requirement.name for requirement in requirements if requirement.marker is None)
    assert core == ["cryptography", "joserfc", "peewee", "werkzeug"]
    flask = [r for r in requirements if r.name == "flask" and r.marker is not None]
    assert any(r.marker.evaluate({"extra": "flask"}) for r in flask)  # type: ignore[union-attr]
    assert metadata.metadata("proauth2")["Requires-Python"] == ">=3.11"


NETWORK_DRIVERS = {"psycopg2", "psycopg", "pymysql", "MySQLdb"}


def test_validating_a_token_on_sqlite_loads_no_network_driver(tmp_path: Path) -> None:
    """peewee's own import takes every installed driver; a SQLite process needs none (about 6 MiB of memory)."""
    url = f"sqlite:///{tmp_path}/tokens.db"
    loaded_after(f"from proauth2_wsgi import Proauth2\nProauth2({url!r}).store.migrate()")  # a database in service
    modules = loaded_after(
        "from proauth2_wsgi import InvalidToken, Proauth2\n"
        f"provider = Proauth2({url!r})\n"
        "try:\n    provider.validate_token('A' * 43)\nexcept InvalidToken:\n    pass"
    )
    assert "peewee" in modules and not NETWORK_DRIVERS & modules


# peewee's driver globals and adapter constants, as a process sees them once it has created each kind of database
PEEWEE_DRIVER_STATE = """
import peewee
peewee.PostgresqlDatabase(None), peewee.MySQLDatabase(None)
names = ["psycopg2", "pg_extensions", "Json_pg2", "psycopg", "TransactionStatus", "Json_pg3", "Jsonb_pg3", "mysql"]
state = {name: repr(getattr(peewee, name, None)) for name in names}
state["pg_register_uuid"] = getattr(getattr(peewee, "pg_register_uuid", None), "__qualname__", None)
for adapter in (peewee.Psycopg2Adapter, peewee.Psycopg3Adapter):
    for name in ("txn_idle", "txn_inerror", "txn_unknown"):
        state[f"{adapter.__name__}.{name}"] = repr(getattr(adapter, name))
state["init"] = [cls.__dict__["init"].__module__ for cls in (peewee.PostgresqlDatabase, peewee.MySQLDatabase)]
import psycopg2.extensions, uuid
state["uuid adapter"] = repr(psycopg2.extensions.adapters.get((uuid.UUID, psycopg2.extensions.ISQLQuote)))
print(json.dumps(state))
"""


def test_held_back_drivers_load_as_peewee_itself_would_load_them() -> None:
    """Once a PostgreSQL and a MySQL database exist, peewee holds what its own import would have given it."""
    pytest.importorskip("psycopg2")
    pytest.importorskip("pymysql")

    def state(code: str) -> object:
        script = f"import json\n{code}\n{PEEWEE_DRIVER_STATE}"
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    held_back = state("import proauth2_wsgi.stores  # peewee imported after it: drivers held back")
    assert held_back == state("")  # peewee's own import
    assert held_back["psycopg2"] != "None" and held_back["mysql"] != "None"


def test_no_import_cycle_between_the_provider_and_its_components() -> None:
    """Grants, client-auth methods, issuance and records never import the provider, even for typing."""
    package = ROOT / "proauth2_wsgi"
    for module in [*package.glob("grants/*.py"), *package.glob("client_auth/*.py"), *package.glob("*.py")]:
        if module.name in ("provider.py", "__init__.py"):
            continue
        text = module.read_text(encoding="utf-8")
        assert "from .provider import" not in text and "from ..provider import" not in text, module
