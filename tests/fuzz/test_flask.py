"""The same hostile input through the Flask extension (flask_proauth2): its blueprint's endpoints, its
authorization helpers (``validate_authorization_request``, ``authorization_response``) and ``require_oauth``.

The app is tests/flask/apps.create_app (auto-approving), on the world's own
database, so the world's clients, tokens and snapshots serve here too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.flask.apps import create_app
from tests.fuzz.checks import assert_no_leak, assert_registered_location, assert_resource_answer, assert_unchanged
from tests.fuzz.harness import POLLING_ERRORS, exercise
from tests.fuzz.strategies import Hostile, query_requests
from tests.fuzz.test_form_endpoints import authorization_params
from tests.fuzz.test_resource_endpoints import token_authorizations
from tests.fuzz.test_token_endpoint import GRANTS, token_requests
from tests.fuzz.world import ISSUER, LOOPBACK, REDIRECT, SCOPES, World


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A world whose WSGI app is the Flask test app, on the world's database."""
    folder = tmp_path_factory.mktemp("fuzz-flask")
    built = World(f"sqlite:///{folder}/proauth2.db")
    app = create_app(
        instance_path=str(folder / "instance"),
        TESTING=False,  # errors are answered as in production, not raised into the test
        AUTO_APPROVE=True,
        PROAUTH2_DATABASE_URL=built.database_url,
        PROAUTH2_ISSUER=ISSUER,
        PROAUTH2_SCOPES=SCOPES,
        PROAUTH2_DEFAULT_SCOPE="profile",
        PROAUTH2_CLOCK=built.clock,
        PROAUTH2_AUTHORIZATION_ENDPOINT="/authorize",
        PROAUTH2_REGISTRATION=True,
    )
    built.app = app
    yield built
    app.extensions["proauth2"].provider.store.close()
    built.close()


@pytest.mark.rfc("6749", "5.2")
@given(data=st.data())
def test_hostile_token_requests_through_flask_rfc6749_5_2(world: World, data: st.DataObject) -> None:
    hostile: Hostile = data.draw(token_requests(world, st.sampled_from(GRANTS)))
    hostile.headers.pop("Host", None)  # Flask refuses a hostile Host itself (its HTML 400) before any view runs
    exercise(world, "flask: token", hostile, volatile_by_error=POLLING_ERRORS)


@pytest.mark.rfc("6749", "4.1.2.1")
@given(data=st.data())
def test_hostile_authorization_requests_through_flask_rfc6749_4_1_2_1(world: World, data: st.DataObject) -> None:
    client = data.draw(st.sampled_from(world.clients))
    valid = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT if client is not world.public else LOOPBACK,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    hostile: Hostile = data.draw(
        query_requests(
            "/authorize", authorization_params(world), st.none(), required=valid, valid_authorization=st.none()
        )
    )
    hostile.method = data.draw(st.sampled_from(["GET", "GET", "POST"]))
    hostile.headers.pop("Host", None)
    before = world.snapshot()
    answer = world.send(hostile, "flask: authorization helpers")
    assert_no_leak(answer, world.secrets)
    location = answer.headers.get("location")
    if location is None:
        assert 400 <= answer.status < 500, answer.status
        assert_unchanged(before, world.snapshot())
        return
    query = assert_registered_location(location, (REDIRECT, LOOPBACK))
    if "code" in query:
        world.spent()
    else:
        assert_unchanged(before, world.snapshot(), volatile={"pushed_requests": ("used",)})


@pytest.mark.rfc("6750", "3")
@given(data=st.data())
def test_hostile_requests_to_require_oauth_rfc6750_3(world: World, data: st.DataObject) -> None:
    path = st.sampled_from(["/me", "/admin", "/form", "/strict", "/maybe", "/cached"])
    params = {"access_token": st.just(world.artifact("access_token"))}
    hostile: Hostile = data.draw(query_requests(path, params, token_authorizations(world)))
    hostile.headers.pop("Host", None)
    before = world.snapshot()
    answer = world.send(hostile, "flask: require_oauth")
    if answer.status != 405:  # a route's own method list, answered by Flask
        assert_resource_answer(answer)
    assert_unchanged(before, world.snapshot())
