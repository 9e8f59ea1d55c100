"""The ASGI middleware needs no ASGI framework or server; only proauth2_wsgi.fastapi imports FastAPI."""

from __future__ import annotations

from tests.test_imports import loaded_after

ABSENT = "import sys\nfor name in ('starlette', 'fastapi', 'uvicorn', 'anyio'):\n    sys.modules[name] = None\n"


def test_the_asgi_middleware_imports_without_starlette_fastapi_or_uvicorn() -> None:
    modules = loaded_after(f"{ABSENT}from proauth2_wsgi.asgi import BearerTokenMiddleware")
    assert "proauth2_wsgi.asgi" in modules
    submodules = {name.partition(".")[0] for name in modules if "." in name}  # the blocked names are None entries
    assert not {"starlette", "fastapi", "uvicorn", "anyio"} & submodules


def test_the_core_and_the_asgi_middleware_do_not_load_fastapi() -> None:
    modules = loaded_after("import proauth2_wsgi.asgi, proauth2_wsgi.middleware, proauth2_wsgi.validators")
    assert not any(name == "fastapi" or name.startswith(("fastapi.", "starlette")) for name in modules)
