"""The README's DPoP example runs as written: a bound token works with its key's proof, and alone it is useless."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.test_readme import block

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def reports_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"reports"]


@pytest.mark.rfc("9449", "7.1")
def test_the_readme_dpop_example(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {"reports_app": reports_app}
    exec(block("DPoPKey()", {"/srv/proauth2": str(tmp_path)}), namespace)  # its asserts are the test
    assert namespace["answer"]["token_type"] == "DPoP"
    provider = namespace["provider"]
    assert provider.introspect_token(namespace["token"])["cnf"] == {"jkt": namespace["key"].thumbprint}
