"""What is stored and printed: no usable secret anywhere (RFC 6749 §10.3-10.5, RFC 6819 §5.1.4.1.3)."""

from __future__ import annotations

import hmac
import secrets

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error, tokens
from proauth2_wsgi.stores import SCHEMA, PeeweeDataStore
from proauth2_wsgi.tokens import SECRET_BYTES, generate_secret, hash_secret
from tests.core.helpers import authorize, exchange

pytestmark = pytest.mark.backends

REDIRECT_URI = "https://client.example.com/callback"


def dump_database(store: PeeweeDataStore) -> str:
    """Every row of every proauth2 table, raw, as the database returns it."""
    lines = []
    for table in SCHEMA:
        cursor = store._db.execute_sql(f"SELECT * FROM proauth2_{table}")
        lines.extend(repr(row) for row in cursor.fetchall())
        cursor.close()
    return "\n".join(lines)


def test_database_dump_after_a_full_flow_holds_no_usable_secret(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    """Client secret, code, verifier, access and refresh tokens are stored only as digests."""
    authorized = authorize(provider, confidential)
    first = exchange(provider, confidential, authorized)
    client_id, client_secret = confidential
    second = provider.request_access_token(
        "refresh_token", client_id, client_secret, refresh_token=first["refresh_token"]
    )
    dump = dump_database(store)
    assert client_id in dump  # the dump is real: public identifiers are there
    secrets_issued = (
        client_secret,
        authorized.code,
        authorized.verifier,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
    )
    for secret in secrets_issued:
        assert secret and secret not in dump


def test_generated_secrets_have_256_bits_and_never_repeat() -> None:
    assert SECRET_BYTES * 8 >= 256
    values = {generate_secret() for _ in range(1000)}
    assert len(values) == 1000
    assert all(len(value) >= 43 for value in values)


def test_reprs_never_show_secrets(provider: Proauth2) -> None:
    """Nothing holding a secret prints it (as oauthlib's redacted request)."""
    credentials = provider.register_app("Repr", [REDIRECT_URI])
    client = provider.get_client(credentials.client_id)
    assert credentials.client_secret not in repr(credentials)
    assert ".client_secret" in repr(credentials)  # at a Python prompt: where the secret is, shown once
    assert client is not None and client.secret_hash not in repr(client)


@pytest.mark.rfc("6819", "5.1.4.1.3")
def test_client_secret_is_checked_in_constant_time_against_its_digest(
    provider: Proauth2, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The presented secret is hashed and compared with ``hmac.compare_digest``, never with ``==``.

    The comparison is spied on (not replaced): a check done with ``==`` would
    make no call, and one against the plain secret would see other arguments.
    """
    client_id, client_secret = provider.register_app("Auth", [REDIRECT_URI])
    stored = provider.get_client(client_id).secret_hash  # type: ignore[union-attr]
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: object, b: object) -> bool:
        calls.append((a, b))
        return real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert provider.authenticate_client(client_id, client_secret).client_id == client_id
    assert calls == [(hash_secret(client_secret), stored)]
    for wrong in (client_secret[:-1], client_secret + "x", secrets.token_urlsafe(32), ""):
        calls.clear()
        with pytest.raises(Proauth2Error) as raised:
            provider.authenticate_client(client_id, wrong)
        assert (raised.value.error, raised.value.status_code) == ("invalid_client", 401)
        assert calls == [(hash_secret(wrong), stored)]
    for refused in (None, "x" * 100_000):  # nothing to compare, or too long to hash
        calls.clear()
        with pytest.raises(Proauth2Error):
            provider.authenticate_client(client_id, refused)
        assert calls == []


def test_identifiers_never_look_like_command_line_options() -> None:
    """A client id is typed after command names (``proauth2 show-client ID``): never ``-...``."""
    from proauth2_wsgi.tokens import generate_id

    ids = [generate_id() for _ in range(5000)]
    assert not any(value.startswith("-") for value in ids)
    assert len(set(ids)) == len(ids) and all(len(value) == 22 for value in ids)
