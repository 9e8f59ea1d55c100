"""The DataStore contract as a reusable pytest suite.

Every test uses only the public contract of
:class:`~proauth2_wsgi.stores.base.DataStore`; a subclass supplies the
``store`` fixture. Passing it proves: records round-trip with their types,
keys are unique, ``update`` is an atomic compare-and-set (exactly one winner
among concurrent callers), ``remove`` counts, ``atomic`` commits or rolls
back as a whole, and hostile values are refused before they reach storage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ..stores.base import DataStore
from ..stores.errors import DuplicateKey, SchemaViolation
from ..stores.schema import SCHEMA_VERSION

#: threads racing for one compare-and-set in the concurrency test
RACE_THREADS = 32


def token_record(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid ``access_tokens`` record whose key is derived from ``n``."""
    record: dict[str, Any] = {
        "token_hash": f"{n:064x}",
        "client_id": "client-1",
        "user_id": "alice",
        "scopes": ["email", "profile"],
        "grant_id": f"grant-{n}",
        "issued_at": 1_000,
        "expires_at": 2_000 + n,
        "revoked": False,
        "auth_time": 900,
        "claims": {"userinfo": {"email": {"essential": True}}},
        "audience": ["https://api.example.com/v1"],
        "jkt": "0KVf3vQIOb7yCmS4LEXpWq8qHWo3eMKG1ccRw8LeH2E",
    }
    record.update(overrides)
    return record


def client_record(client_id: str = "client-1", **overrides: Any) -> dict[str, Any]:
    """A valid ``clients`` record."""
    record: dict[str, Any] = {
        "client_id": client_id,
        "secret_hash": "0" * 64,
        "name": "Client",
        "redirect_uris": ["https://client.example.com/callback"],
        "grant_types": ["authorization_code"],
        "scopes": ["profile"],
        "default_scope": [],
        "auth_method": "client_secret_basic",
        "created_at": 1_000,
        "metadata": {},
    }
    record.update(overrides)
    return record


def fetch_key(store: DataStore, n: int) -> dict[str, Any]:
    """The ``access_tokens`` record built by ``token_record(n)``, which must exist."""
    record = store.fetch("access_tokens", token_hash=f"{n:064x}")
    assert record is not None, f"record {n} is missing"
    return record


class DataStoreContract:
    """Subclass with a ``store`` fixture yielding an empty DataStore; every test here must pass."""

    @pytest.fixture
    def store(self) -> DataStore:  # pragma: no cover - supplied by the subclass
        raise NotImplementedError("provide a `store` fixture yielding a fresh, empty DataStore")

    # -- basic operations ------------------------------------------------------

    def test_store_then_fetch_round_trips_every_type(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1, user_id=None))
        assert store.fetch("access_tokens", token_hash=f"{1:064x}") == token_record(1, user_id=None)

    def test_fetch_missing_returns_none(self, store: DataStore) -> None:
        assert store.fetch("access_tokens", token_hash="f" * 64) is None

    def test_fetch_by_key_finds_what_fetch_finds_with_its_types(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1, auth_time=None))
        found = store.fetch_by_key("access_tokens", f"{1:064x}")
        assert found == token_record(1, auth_time=None) == store.fetch("access_tokens", token_hash=f"{1:064x}")
        assert {name: type(found[name]) for name in ("issued_at", "revoked", "scopes", "claims", "auth_time")} == {
            "issued_at": int,
            "revoked": bool,
            "scopes": list,
            "claims": dict,
            "auth_time": type(None),
        }
        assert store.fetch_by_key("access_tokens", "f" * 64) is None

    def test_fetch_by_several_fields(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1))
        found = store.fetch("access_tokens", client_id="client-1", revoked=False)
        assert found is not None and found["token_hash"] == f"{1:064x}"
        assert store.fetch("access_tokens", client_id="client-1", revoked=True) is None

    def test_fetch_all_orders_by_key(self, store: DataStore) -> None:
        for n in (3, 1, 2):
            store.store("access_tokens", **token_record(n))
        store.store("access_tokens", **token_record(4, client_id="other"))
        assert [r["grant_id"] for r in store.fetch_all("access_tokens", client_id="client-1")] == [
            "grant-1",
            "grant-2",
            "grant-3",
        ]
        assert len(store.fetch_all("access_tokens")) == 4

    def test_a_field_left_out_is_its_default(self, store: DataStore) -> None:
        """A field a migration added with a default may be left out: the record gets the default."""
        record = token_record(2)
        del record["claims"], record["auth_time"]
        store.store("access_tokens", **record)
        assert fetch_key(store, 2)["claims"] == {} and fetch_key(store, 2)["auth_time"] is None

    def test_store_refuses_duplicate_key_and_keeps_original(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1))
        with pytest.raises(DuplicateKey):
            store.store("access_tokens", **token_record(1, user_id="mallory"))
        assert fetch_key(store, 1)["user_id"] == "alice"

    def test_update_is_compare_and_set(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1))
        where = {"token_hash": f"{1:064x}", "revoked": False}
        assert store.update("access_tokens", where, {"revoked": True}) == 1
        assert store.update("access_tokens", where, {"revoked": True}) == 0
        assert fetch_key(store, 1)["revoked"] is True

    def test_update_counts_every_matching_row(self, store: DataStore) -> None:
        for n in range(3):
            store.store("access_tokens", **token_record(n))
        assert store.update("access_tokens", {"user_id": "alice", "revoked": False}, {"revoked": True}) == 3

    def test_remove_reports_rows_removed(self, store: DataStore) -> None:
        for n in range(3):
            store.store("access_tokens", **token_record(n))
        assert store.remove("access_tokens", grant_id="grant-1") == 1
        assert store.remove("access_tokens", grant_id="grant-1") == 0
        assert store.remove("access_tokens", client_id="client-1") == 2

    def test_remove_expired_is_bounded(self, store: DataStore) -> None:
        for n in range(10):
            store.store("access_tokens", **token_record(n))  # expires_at = 2000 + n
        assert store.remove_expired("access_tokens", before=2_007, limit=4) == 4
        assert store.remove_expired("access_tokens", before=2_007, limit=4) == 3
        assert store.remove_expired("access_tokens", before=2_007, limit=4) == 0
        assert len(store.fetch_all("access_tokens")) == 3

    def test_schema_version_is_recorded_and_migrating_again_changes_nothing(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1))
        assert store.migrate() == []
        store.create_schema()
        assert store.schema_version() == SCHEMA_VERSION
        assert store.fetch("access_tokens", token_hash=f"{1:064x}") is not None

    def test_json_fields_round_trip(self, store: DataStore) -> None:
        """A JSON field stores a nested object (unicode, numbers, lists) and gives it back equal."""
        metadata = {"contacts": ["ops@example.com"], "nested": {"n": [1, 2.5, None, True]}, "text": "ünï ✓ 🔑"}
        store.store("clients", **client_record("json", metadata=metadata))
        record = store.fetch("clients", client_id="json")
        assert record is not None and record["metadata"] == metadata
        assert store.update("clients", {"client_id": "json"}, {"metadata": {}}) == 1
        assert store.fetch("clients", client_id="json")["metadata"] == {}  # type: ignore[index]

    # -- exact comparison ------------------------------------------------------------

    @pytest.mark.parametrize(
        "presented", ["ALICE", "Alice", "alicE", "alice ", " alice", "\uff41\uff4c\uff49\uff43\uff45"]
    )
    def test_text_compares_exactly(self, store: DataStore, presented: str) -> None:
        """``alice`` is found by ``alice`` only: no case folding, no trailing-space padding (any collation)."""
        store.store("access_tokens", **token_record(1, user_id="alice", client_id="Client-1"))
        assert store.fetch("access_tokens", user_id=presented) is None
        assert store.update("access_tokens", {"user_id": presented, "revoked": False}, {"revoked": True}) == 0
        assert store.remove("access_tokens", user_id=presented) == 0
        assert fetch_key(store, 1)["revoked"] is False

    def test_swap_cased_key_finds_nothing(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1, client_id="AbC-dEf"))
        record = fetch_key(store, 1)
        assert store.fetch("access_tokens", client_id="aBc-DeF") is None
        assert store.fetch("access_tokens", client_id="AbC-dEf") == record

    # -- transactions --------------------------------------------------------------

    def test_atomic_commits_everything(self, store: DataStore) -> None:
        with store.atomic():
            store.store("access_tokens", **token_record(1))
            store.store("access_tokens", **token_record(2))
        assert len(store.fetch_all("access_tokens")) == 2

    def test_atomic_rolls_back_everything_on_error(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1))
        with pytest.raises(RuntimeError), store.atomic():
            store.update("access_tokens", {"token_hash": f"{1:064x}"}, {"revoked": True})
            store.store("access_tokens", **token_record(2))
            raise RuntimeError("abort")
        assert fetch_key(store, 1)["revoked"] is False
        assert store.fetch("access_tokens", token_hash=f"{2:064x}") is None

    def test_duplicate_inside_atomic_rolls_back_the_block(self, store: DataStore) -> None:
        store.store("access_tokens", **token_record(1))
        with pytest.raises(DuplicateKey), store.atomic():
            store.store("access_tokens", **token_record(2))
            store.store("access_tokens", **token_record(1))
        assert store.fetch("access_tokens", token_hash=f"{2:064x}") is None

    # -- concurrency -------------------------------------------------------------------

    def test_compare_and_set_has_exactly_one_winner(self, store: DataStore) -> None:
        """32 threads consume the same row at once: exactly one changes it."""
        store.store("access_tokens", **token_record(1))
        barrier = threading.Barrier(RACE_THREADS)

        def consume(_: int) -> int:
            barrier.wait()
            with store.atomic():
                won = store.update("access_tokens", {"token_hash": f"{1:064x}", "revoked": False}, {"revoked": True})
            store.close()
            return won

        with ThreadPoolExecutor(RACE_THREADS) as pool:
            results = list(pool.map(consume, range(RACE_THREADS)))
        assert sorted(results) == [0] * (RACE_THREADS - 1) + [1]

    # -- hostile input --------------------------------------------------------------------

    @pytest.mark.parametrize(
        "call",
        [
            pytest.param(lambda s: s.fetch("users", id=1), id="unknown-table-fetch"),
            pytest.param(lambda s: s.fetch_by_key("users", "1"), id="unknown-table-fetch-by-key"),
            pytest.param(lambda s: s.fetch_by_key("access_tokens", "a\x00b"), id="NUL-key"),
            pytest.param(lambda s: s.fetch_by_key("access_tokens", "f" * 65), id="key-too-long"),
            pytest.param(lambda s: s.fetch_by_key("access_tokens", 1), id="int-key"),
            pytest.param(lambda s: s.store("access_tokens; DROP TABLE x", **token_record(9)), id="unknown-table-store"),
            pytest.param(lambda s: s.fetch("access_tokens", **{"token_hash = '' OR 1=1 --": "x"}), id="unknown-field"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9), extra=1), id="extra-field"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, issued_at="1")), id="str-for-int"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, revoked=1)), id="int-for-bool"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, issued_at=2**64)), id="int-overflow"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, scopes="a b")), id="str-for-list"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, client_id=b"c")), id="bytes"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, client_id="x" * 10_000_000)), id="10MB"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, user_id="a\x00b")), id="NUL"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, user_id="\udcff")), id="surrogate"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, scopes=["a", 1])), id="list-item"),
            pytest.param(lambda s: s.store("access_tokens", **token_record(9, client_id=None)), id="missing-required"),
            pytest.param(lambda s: s.remove("access_tokens"), id="remove-without-condition"),
            pytest.param(lambda s: s.update("access_tokens", {}, {"revoked": True}), id="update-without-condition"),
            pytest.param(
                lambda s: s.update("access_tokens", {"user_id": "alice"}, {"token_hash": "0" * 64}), id="update-key"
            ),
            pytest.param(lambda s: s.remove_expired("clients", 1, 1), id="expire-table-without-expiry"),
            pytest.param(lambda s: s.remove_expired("access_tokens", 1, 0), id="zero-limit"),
            pytest.param(lambda s: s.store("clients", **client_record(metadata=[1])), id="list-for-json"),
            pytest.param(lambda s: s.store("clients", **client_record(metadata={"x": {1, 2}})), id="not-json"),
            pytest.param(lambda s: s.store("clients", **client_record(metadata={"x": float("nan")})), id="nan"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, store: DataStore, call: Callable[[DataStore], Any]) -> None:
        store.store("access_tokens", **token_record(1))
        before = store.fetch_all("access_tokens")
        with pytest.raises(SchemaViolation):
            call(store)
        assert store.fetch_all("access_tokens") == before

    @pytest.mark.parametrize(
        "value",
        ["'; DROP TABLE proauth2_access_tokens; --", 'a" OR "1"="1', "%_\\", "ünïcødé ✓ 🔑", "`x`", "$1 ? %s"],
    )
    def test_sql_metacharacters_are_stored_verbatim(self, store: DataStore, value: str) -> None:
        store.store("access_tokens", **token_record(1, user_id=value, scopes=[value]))
        record = store.fetch("access_tokens", user_id=value)
        assert record is not None and record["user_id"] == value and record["scopes"] == [value]
        assert store.fetch("access_tokens", user_id=value + "x") is None
