"""Running the operator's commands three ways: in-process, as ``flask proauth2``, as the ``proauth2`` script.

Every way runs the one implementation (:mod:`proauth2_wsgi.cli`) on the same
database as the ``provider`` fixture, so a test checks the command's effect
through the provider.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from flask_proauth2 import Proauth2 as FlaskProauth2
from proauth2_wsgi import Proauth2
from proauth2_wsgi.cli import Console, run

ROOT = Path(__file__).resolve().parents[2]
#: the console script ``pip install`` puts beside the interpreter
SCRIPT = Path(sys.executable).with_name("proauth2")
SCOPES = {"profile": "Read your profile", "email": "Read your email", "admin": "Administer"}


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


Cli = Callable[..., Result]

#: run a test in every way: in-process, ``flask proauth2``, and the ``proauth2`` script in a subprocess
EVERY_WAY = pytest.mark.parametrize("cli", ["in-process", "flask", "script"], indirect=True)


class _Input(io.StringIO):
    """Standard input that is not a terminal (a pipe), as in a script."""

    def isatty(self) -> bool:
        return False


@pytest.fixture
def cli(request: pytest.FixtureRequest, provider: Proauth2, database_url: str, tmp_path: Path) -> Cli:
    """``cli("create-client", "X", stdin="...")``: the command's exit status, stdout and stderr."""
    way = getattr(request, "param", "in-process")
    if way == "in-process":

        def in_process(*args: str, stdin: str = "") -> Result:
            out, err = io.StringIO(), io.StringIO()
            status = run(args, lambda _: provider, console=Console(out, err, _Input(stdin)))
            return Result(status, out.getvalue(), err.getvalue())

        return in_process
    if way == "flask":
        app = Flask(__name__, instance_path=str(tmp_path))
        app.config.update(
            PROAUTH2_DATABASE_URL=database_url, PROAUTH2_SCOPES=SCOPES, PROAUTH2_ISSUER=provider.settings.issuer
        )
        FlaskProauth2(app)
        runner = app.test_cli_runner()

        def through_flask(*args: str, stdin: str = "") -> Result:
            result = runner.invoke(args=["proauth2", *args], input=stdin)
            return Result(result.exit_code, result.stdout, result.stderr)

        return through_flask
    env = {**os.environ, "PROAUTH2_SCOPES": json.dumps(SCOPES), "PROAUTH2_DATABASE_URL": database_url}

    def script(*args: str, stdin: str = "") -> Result:
        done = subprocess.run(
            [str(SCRIPT), *args], cwd=tmp_path, env=env, input=stdin, capture_output=True, text=True, timeout=60
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return script
