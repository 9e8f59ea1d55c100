"""The records as dataclasses: an access token built from its stored record is the one its fields make."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from proauth2_wsgi.models import AccessToken
from proauth2_wsgi.testing.datastore_contract import token_record


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(token_record(1), id="every-field"),
        pytest.param(token_record(2, user_id=None, auth_time=None, claims={}, audience=[], jkt=None), id="bare"),
        pytest.param(
            {key: value for key, value in token_record(3).items() if key not in ("claims", "audience", "jkt")},
            id="record-of-an-older-schema",
        ),
    ],
)
def test_an_access_token_from_its_record_is_the_one_its_fields_make(record: dict[str, Any]) -> None:
    """``from_record`` sets the fields without ``__init__`` (the validation hot path): nothing may differ."""
    built = AccessToken.from_record(record)
    expected = AccessToken(
        client_id=record["client_id"],
        user_id=record["user_id"],
        scopes=frozenset(record["scopes"]),
        issued_at=record["issued_at"],
        expires_at=record["expires_at"],
        grant_id=record["grant_id"],
        auth_time=record["auth_time"],
        claims=record.get("claims") or {},
        audience=tuple(record.get("audience") or ()),
        jkt=record.get("jkt"),
    )
    assert vars(built) == vars(expected)  # every field, and nothing else
    assert built == expected and hash(built) == hash(expected) and repr(built) == repr(expected)
    assert dataclasses.replace(built, jkt=None) == dataclasses.replace(expected, jkt=None)
    assert pickle.loads(pickle.dumps(built)) == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.user_id = "mallory"  # type: ignore[misc]
