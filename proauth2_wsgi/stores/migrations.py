"""The numbered schema migrations: the one history from which the schema is derived.

Each :class:`Migration` is a version number, what it is for, and declarative
steps written against the schema's own field types (:mod:`.fields`):
:class:`CreateTable`, :class:`AddField`, :class:`ExactTextComparison`. The
current schema (:data:`~proauth2_wsgi.stores.schema.SCHEMA`) is what applying
every step in order gives, so a table and its migration can never disagree.
A store applies the steps it has not recorded yet, under a cross-process lock
(:mod:`~proauth2_wsgi.stores.peewee_migrate` for the Peewee store).

A feature that stores something adds one migration at the end (a grant's
table, a column for a new parameter). The list lives here, in the storage
layer, rather than in the components: versions need one total order, and the
store must not import the layers above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .fields import Field, Table

__all__ = [
    "MIGRATIONS",
    "AddField",
    "CreateTable",
    "ExactTextComparison",
    "Migration",
    "Step",
    "schema_at",
    "with_step",
]


@dataclass(frozen=True)
class CreateTable:
    """Create the table ``name`` (``proauth2_<name>`` in the database) with its key and fields."""

    name: str
    table: Table


@dataclass(frozen=True)
class AddField:
    """Add the column ``name`` to ``table``; existing rows get ``field.default`` (or NULL)."""

    table: str
    name: str
    field: Field

    def __post_init__(self) -> None:
        if not self.field.nullable and self.field.default is None:
            raise ValueError(f"{self.table}.{self.name}: a column added to existing rows needs a default")


@dataclass(frozen=True)
class ExactTextComparison:
    """Every text column compares exactly, byte for byte (binary, no-pad collation on MySQL/MariaDB).

    SQLite and PostgreSQL compare text exactly already; MySQL's default
    collations fold case, so ``ALICE`` would find ``alice``, and pad, so
    ``alice `` would too.
    """


#: one step of a migration
Step = CreateTable | AddField | ExactTextComparison


@dataclass(frozen=True)
class Migration:
    """Schema version ``version``: what it is for, and its steps."""

    version: int
    description: str
    steps: tuple[Step, ...]


_ID = Field(str, max_length=255)
_HASH = Field(str, max_length=64)
_LIST = Field(list, max_length=20_000)
_TIME = Field(int)

# What access and refresh tokens both record; a refresh token also records its rotation ("used").
_TOKEN_FIELDS: Mapping[str, Field] = {
    "token_hash": _HASH,
    "client_id": Field(str, max_length=255, indexed=True),
    "user_id": Field(str, nullable=True, max_length=255, indexed=True),
    "scopes": _LIST,
    "grant_id": Field(str, max_length=64, indexed=True),
    "issued_at": _TIME,
    "expires_at": Field(int, indexed=True),
    "revoked": Field(bool),
}

#: the resource identifiers a grant or token is for (RFC 8707), none for a token of no particular audience
_AUDIENCE = Field(list, max_length=20_000, default=[])
#: the RFC 7638 thumbprint of the DPoP key a code or token is bound to (RFC 9449 §6), None when unbound
_JKT = Field(str, nullable=True, max_length=64)
#: an OpenID Connect ``claims`` request (OIDC Core §5.5), as JSON
_CLAIMS = Field(dict, max_length=4096, default={})


def _authentication_fields(table: str, *, nonce: bool) -> tuple[AddField, ...]:
    """What a sign-in leaves on a code or refresh token: when and how the user authenticated, the claims asked."""
    fields = (
        AddField(table, "auth_time", Field(int, nullable=True)),
        AddField(table, "acr", Field(str, nullable=True, max_length=255)),
        AddField(table, "amr", Field(list, max_length=1000, default=[])),
        AddField(table, "claims", _CLAIMS),
    )
    return (AddField(table, "nonce", Field(str, nullable=True, max_length=512)), *fields) if nonce else fields


#: every migration, in version order (versions count from 1 without gaps)
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "clients, authorization codes, access and refresh tokens",
        (
            CreateTable(
                "clients",
                Table(
                    key="client_id",
                    fields={
                        "client_id": _ID,
                        "secret_hash": Field(str, nullable=True, max_length=64),
                        "name": _ID,
                        "redirect_uris": _LIST,
                        "grant_types": _LIST,
                        "scopes": _LIST,
                        "default_scope": _LIST,
                        "auth_method": Field(str, max_length=32),
                        "created_at": _TIME,
                    },
                ),
            ),
            CreateTable(
                "codes",
                Table(
                    key="code_hash",
                    fields={
                        "code_hash": _HASH,
                        "client_id": _ID,
                        "user_id": _ID,
                        "redirect_uri": Field(str, max_length=2000),
                        "redirect_uri_given": Field(bool),
                        "scopes": _LIST,
                        "code_challenge": Field(str, nullable=True, max_length=128),
                        "code_challenge_method": Field(str, nullable=True, max_length=8),
                        "grant_id": Field(str, max_length=64, indexed=True),
                        "expires_at": Field(int, indexed=True),
                        "used": Field(bool),
                    },
                ),
            ),
            CreateTable("access_tokens", Table(key="token_hash", fields=_TOKEN_FIELDS)),
            CreateTable("refresh_tokens", Table(key="token_hash", fields={**_TOKEN_FIELDS, "used": Field(bool)})),
        ),
    ),
    Migration(
        2,
        "identifiers compare exactly on MySQL/MariaDB too (binary collation; the data is kept)",
        (ExactTextComparison(),),
    ),
    Migration(
        3,
        "clients.metadata: the rest of a client's registered metadata (RFC 7591 §2, OpenID Connect), as JSON",
        (AddField("clients", "metadata", Field(dict, max_length=20_000, default={})),),
    ),
    Migration(
        4,
        "OpenID Connect: signing keys (encrypted), remembered consents, what a sign-in leaves on codes and tokens",
        (
            CreateTable(
                "keys",
                Table(
                    key="kid",
                    fields={
                        "kid": Field(str, max_length=64),
                        "alg": Field(str, max_length=16),
                        "public_jwk": Field(dict, max_length=4000),
                        "sealed_private_jwk": Field(str, max_length=8000),
                        "state": Field(str, max_length=16, indexed=True),
                        "created_at": _TIME,
                        "activated_at": Field(int, nullable=True),
                        "retired_at": Field(int, nullable=True),
                    },
                ),
            ),
            CreateTable(
                "consents",
                Table(
                    key="consent_id",
                    fields={
                        "consent_id": _HASH,
                        "client_id": Field(str, max_length=255, indexed=True),
                        "user_id": Field(str, max_length=255, indexed=True),
                        "scopes": _LIST,
                        "created_at": _TIME,
                        "updated_at": _TIME,
                    },
                ),
            ),
            *_authentication_fields("codes", nonce=True),
            AddField("access_tokens", "auth_time", Field(int, nullable=True)),
            AddField("access_tokens", "claims", _CLAIMS),
            *_authentication_fields("refresh_tokens", nonce=False),
        ),
    ),
    Migration(
        5,
        "resource indicators (RFC 8707): the audience granted, on codes, access and refresh tokens",
        tuple(AddField(table, "audience", _AUDIENCE) for table in ("codes", "access_tokens", "refresh_tokens")),
    ),
    Migration(
        6,
        "DPoP (RFC 9449): the key a code or token is bound to; the proofs seen, for replay detection",
        (
            *(AddField(table, "jkt", _JKT) for table in ("codes", "access_tokens", "refresh_tokens")),
            CreateTable(
                "dpop_proofs",
                Table(key="proof_hash", fields={"proof_hash": _HASH, "expires_at": Field(int, indexed=True)}),
            ),
        ),
    ),
    Migration(
        7,
        "pushed authorization requests (RFC 9126), device codes (RFC 8628), client assertions seen (RFC 7523)",
        (
            CreateTable(
                "pushed_requests",
                Table(
                    key="request_uri_hash",
                    fields={
                        "request_uri_hash": _HASH,
                        "client_id": _ID,
                        #: the authorization request's parameters, each name with its values
                        "parameters": Field(dict, max_length=16_384),
                        "expires_at": Field(int, indexed=True),
                        "used": Field(bool),
                    },
                ),
            ),
            CreateTable(
                "device_codes",
                Table(
                    key="device_code_hash",
                    fields={
                        "device_code_hash": _HASH,
                        #: the user code, normalised (upper case, no dash): what the user types
                        "user_code": Field(str, max_length=16),
                        #: its first half, looked up; the second half is compared in constant time, and
                        #: wrong second halves count against this code (RFC 8628 §5.1)
                        "user_code_prefix": Field(str, max_length=8, indexed=True),
                        "client_id": _ID,
                        "scopes": _LIST,
                        "audience": _AUDIENCE,
                        "grant_id": Field(str, max_length=64, indexed=True),
                        #: pending, approved or denied
                        "status": Field(str, max_length=16),
                        "user_id": Field(str, nullable=True, max_length=255),
                        "interval": Field(int),
                        "last_polled_at": Field(int, nullable=True),
                        #: wrong user codes entered for this code's verification (RFC 8628 §5.1)
                        "failed_attempts": Field(int, default=0),
                        "expires_at": Field(int, indexed=True),
                        "used": Field(bool),
                        "auth_time": Field(int, nullable=True),
                        "acr": Field(str, nullable=True, max_length=255),
                        "amr": Field(list, max_length=1000, default=[]),
                        "claims": _CLAIMS,
                        "jkt": _JKT,
                    },
                ),
            ),
            CreateTable(
                "client_assertions",
                Table(key="assertion_hash", fields={"assertion_hash": _HASH, "expires_at": Field(int, indexed=True)}),
            ),
        ),
    ),
)


def with_step(tables: Mapping[str, Table], step: Step) -> dict[str, Table]:
    """The tables as ``step`` leaves them."""
    result = dict(tables)
    if isinstance(step, CreateTable):
        if step.name in result:
            raise ValueError(f"table {step.name!r} is created twice")
        result[step.name] = step.table
    elif isinstance(step, AddField):
        table = result[step.table]
        if step.name in table.fields:
            raise ValueError(f"{step.table}.{step.name} is added twice")
        result[step.table] = Table(table.key, {**table.fields, step.name: step.field})
    return result


def schema_at(version: int, migrations: tuple[Migration, ...] = MIGRATIONS) -> dict[str, Table]:
    """The tables as migrations 1 to ``version`` leave them."""
    tables: dict[str, Table] = {}
    for migration in migrations:
        if migration.version > version:
            break
        for step in migration.steps:
            tables = with_step(tables, step)
    return tables
