"""The log-capture plugin (tests/log_capture.py) can fail a run: real pytest runs, in subprocesses, of tiny files.

Each leaking test logs one kind of secret, at a level its logger would have
dropped where that is the point; the run must exit 1 and name the logger and
the test, never the secret; ids, digests and unsigned JWTs are no leak.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LEAKING = '''
import logging

from joserfc.jwk import ECKey

from proauth2_wsgi.testing.client_assertions import AssertionKey
from proauth2_wsgi.tokens import generate_id, generate_secret, hash_secret

logging.getLogger().setLevel(logging.WARNING)


def keep(secret):
    """Note the secret for the outer test, which checks that the report never shows it."""
    with open("secrets.txt", "a") as file:
        file.write(secret + "\\n")
    return secret


def test_a_token_at_debug_below_the_level():
    token = generate_secret()
    keep(token)
    logging.getLogger("proauth2.endpoints").debug("issued %s", token)


def test_a_secret_url_encoded_in_an_error():
    secret = generate_secret()
    keep(secret)
    logging.getLogger("app.views").error("failed for %s", "client_secret%3D" + secret.replace("-", "%2D"))


def test_a_secret_in_an_exception_text():
    secret = generate_secret()
    keep(secret)
    try:
        raise ValueError(secret)
    except ValueError:
        logging.getLogger("proauth2.storage").info("storage failed", exc_info=True)


def test_a_client_assertion():
    assertion = AssertionKey().assertion("client", "https://as.example.com/token")
    keep(assertion)
    logging.getLogger("proauth2.client_auth").warning("refused: %s", assertion)


def test_a_private_key():
    pem = ECKey.generate_key("P-256").as_pem(private=True).decode()
    logging.getLogger("werkzeug").info("loaded %s", pem)


def test_a_jwk_d():
    d = ECKey.generate_key("P-256").as_dict(private=True)["d"]
    keep(d)
    logging.getLogger("proauth2.keys").debug("key %r", {"d": d})


def test_ids_digests_and_unsigned_tokens_are_no_leak():
    secret = generate_secret()
    log = logging.getLogger("proauth2.endpoints")
    log.debug("client %s, token digest %s", generate_id(), hash_secret(secret))
    log.warning("a header.payload without signature: eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
'''


def run_pytest(tmp_path: Path, source: str, *options: str) -> subprocess.CompletedProcess[str]:
    """pytest on ``source`` alone, in a subprocess, with only the log-capture plugin (no conftest of the suite)."""
    (tmp_path / "test_tiny.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(  # a fixed command: this interpreter's pytest
        [sys.executable, "-m", "pytest", "-p", "tests.log_capture", "-p", "no:cacheprovider", "-q", *options],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize("workers", [pytest.param((), id="one-process"), pytest.param(("-n", "2"), id="xdist")])
def test_a_logged_secret_fails_the_run_naming_logger_and_test_not_secret(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    done = run_pytest(tmp_path, LEAKING, *workers)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "7 passed" in output, output  # every test passed: the leaks alone fail the run
    for logger, test in [
        ("proauth2.endpoints", "test_a_token_at_debug_below_the_level"),
        ("app.views", "test_a_secret_url_encoded_in_an_error"),
        ("proauth2.storage", "test_a_secret_in_an_exception_text"),
        ("proauth2.client_auth", "test_a_client_assertion"),
        ("werkzeug", "test_a_private_key"),
        ("proauth2.keys", "test_a_jwk_d"),
    ]:
        assert f"LEAK: logger {logger!r}" in output and f"test_tiny.py::{test}" in output, (logger, output)
    assert "6 leak(s)" in output, output
    assert "::test_ids_digests_and_unsigned_tokens_are_no_leak" not in output, output
    secrets = (tmp_path / "secrets.txt").read_text().split()
    assert len(secrets) == 5
    for secret in secrets:
        assert secret not in output
    assert "PRIVATE KEY-----" not in output
