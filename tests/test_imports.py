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


def test_no_import_cycle_between_the_provider_and_its_components() -> None:
    """Grants, client-auth methods, issuance and records never import the provider, even for typing."""
    package = ROOT / "proauth2_wsgi"
    for module in [*package.glob("grants/*.py"), *package.glob("client_auth/*.py"), *package.glob("*.py")]:
        if module.name in ("provider.py", "__init__.py"):
            continue
        text = module.read_text(encoding="utf-8")
        assert "from .provider import" not in text and "from ..provider import" not in text, module
