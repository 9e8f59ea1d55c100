"""What importing costs: small modules load alone, the core needs neither Flask nor a running database."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_setup_requires_werkzeug_and_peewee_only_and_flask_as_an_extra() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    call = next(node for node in calls if getattr(node.func, "id", "") == "setup")
    wanted = ("install_requires", "extras_require", "python_requires")
    options = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords if keyword.arg in wanted}
    assert [requirement.split(">")[0] for requirement in options["install_requires"]] == ["werkzeug", "peewee"]
    assert any(requirement.startswith("flask") for requirement in options["extras_require"]["flask"])
    assert options["python_requires"] == ">=3.11"


def test_no_import_cycle_between_the_provider_and_its_components() -> None:
    """Grants, client-auth methods, issuance and records never import the provider, even for typing."""
    package = ROOT / "proauth2_wsgi"
    for module in [*package.glob("grants/*.py"), *package.glob("client_auth/*.py"), *package.glob("*.py")]:
        if module.name in ("provider.py", "__init__.py"):
            continue
        text = module.read_text(encoding="utf-8")
        assert "from .provider import" not in text and "from ..provider import" not in text, module
