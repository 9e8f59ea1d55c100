"""``flask proauth2 ...``: the operator's commands.

Exit codes a script can rely on: 0 done; 1 not found, refused, or the
database failed (the reason on stderr); 2 a usage error (click's own).
Output meant for people goes to stdout, or JSON with ``--json``; a client
secret is printed once, by ``create-client``, and never again.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

from proauth2_wsgi import Client, Proauth2Error, StorageUnavailable, TemporarilyUnavailable
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.stores import SCHEMA_VERSION

#: exit code for "not found", "refused" and database failures
EXIT_FAILURE = 1


class _Group(AppGroup):
    """An AppGroup that turns a refusal from the provider into a message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (StorageUnavailable, TemporarilyUnavailable) as error:  # the operator needs to know why
            _fail(error.detail or "the database is unavailable")
        except Proauth2Error as error:
            _fail(error.error_description or error.error)


group = _Group("proauth2", help="Manage the OAuth 2 authorization server: clients, tokens, schema.")


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_FAILURE)


def _provider() -> Provider:
    return current_app.extensions["proauth2"].provider  # type: ignore[no-any-return]


def _client_dict(client: Client) -> dict[str, Any]:
    """A client as RFC 7591 metadata, without any secret."""
    return {
        "client_id": client.client_id,
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
        "scope": " ".join(sorted(client.scopes)),
        "token_endpoint_auth_method": client.auth_method,
        "client_id_issued_at": client.created_at,
    }


@group.command("init-db")
def init_db() -> None:
    """Create the tables, or bring them to the newest schema (idempotent); print the schema version."""
    store = _provider().store
    store.migrate()
    click.echo(f"schema version {store.schema_version()} ready in {store!r}")


@group.command("migrate")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when the database needs migrating.")
def migrate(check: bool) -> None:
    """Apply the schema migrations the database lacks, once, however many processes run it."""
    store = _provider().store
    if check:
        found = store.schema_version()
        if found != SCHEMA_VERSION:
            _fail(f"the database schema is at version {found}; this proauth2 needs {SCHEMA_VERSION}")
        click.echo(f"schema version {found} is current")
        return
    applied = store.migrate()
    done = ", ".join(map(str, applied)) if applied else "none needed"
    click.echo(f"migrations applied: {done}; schema version {store.schema_version()}")


@group.command("create-client")
@click.argument("name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="A redirect URI (repeat for several).")
@click.option("--public", is_flag=True, help="A public client (no secret, PKCE): --auth-method none.")
@click.option(
    "--auth-method",
    help="Token endpoint authentication method: client_secret_basic (default), client_secret_post, none.",
)
@click.option("--scope", help="Space-separated scopes the client may ask for [default: all].")
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    help="A grant type (repeat for several) [default: authorization_code, refresh_token].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
def create_client(
    name: str,
    redirect_uris: tuple[str, ...],
    public: bool,
    auth_method: str | None,
    scope: str | None,
    grant_types: tuple[str, ...],
    as_json: bool,
) -> None:
    """Register a client named NAME and print its id and secret (shown only this once)."""
    if public and auth_method not in (None, "none"):
        raise click.UsageError("--public means --auth-method none")
    method = "none" if public else auth_method or "client_secret_basic"
    provider = _provider()
    credentials = provider.register_app(
        name, redirect_uris, grant_types=grant_types or None, scopes=scope, auth_method=method
    )
    client = provider.get_client(credentials.client_id)
    assert client is not None  # it was stored just now
    if as_json:
        body = _client_dict(client)
        if credentials.client_secret is not None:
            body["client_secret"] = credentials.client_secret
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(f"client_id:     {client.client_id}")
    if credentials.client_secret is not None:
        click.echo(f"client_secret: {credentials.client_secret}")
        click.echo("Store the secret now: it is kept only as a hash and cannot be shown again.", err=True)


@group.command("list-clients")
@click.option("--json", "as_json", is_flag=True, help="Print the clients as a JSON list.")
def list_clients(as_json: bool) -> None:
    """List the registered clients (never their secrets)."""
    clients = _provider().list_clients()
    if as_json:
        click.echo(json.dumps([_client_dict(client) for client in clients], indent=2))
        return
    for client in clients:
        click.echo(
            f"{client.client_id}  {client.name}  {client.auth_method}  "
            f"grants={','.join(client.grant_types)}  scope={' '.join(sorted(client.scopes))!r}  "
            f"redirect_uris={','.join(client.redirect_uris)}"
        )


@group.command("delete-client")
@click.argument("client_id")
def delete_client(client_id: str) -> None:
    """Delete client CLIENT_ID with all its codes and tokens."""
    if not _provider().delete_client(client_id):
        _fail(f"no client {client_id!r}")
    click.echo(f"deleted client {client_id}")


@group.command("revoke")
@click.option("--token", help="An access or refresh token (a refresh token revokes its whole grant).")
@click.option("--user", "user_id", help="Revoke every token of this user id.")
@click.option("--client", "client_id", help="Revoke every token issued to this client id.")
def revoke(token: str | None, user_id: str | None, client_id: str | None) -> None:
    """Revoke one token, or every token of a user or of a client."""
    if sum(value is not None for value in (token, user_id, client_id)) != 1:
        raise click.UsageError("give exactly one of --token, --user, --client")
    provider = _provider()
    if token is not None:
        if not provider.introspect_token(token)["active"]:
            _fail("no active token matches")
        provider.revoke_token(token)
        click.echo("revoked the token")
        return
    if user_id is not None:
        click.echo(f"revoked {provider.revoke_user_tokens(user_id)} token(s) of user {user_id}")
    elif client_id is not None:
        if provider.get_client(client_id) is None:
            _fail(f"no client {client_id!r}")
        click.echo(f"revoked {provider.revoke_client_tokens(client_id)} token(s) of client {client_id}")


@group.command("purge-expired")
def purge_expired() -> None:
    """Delete expired codes and tokens (cron-able); print how many rows went."""
    click.echo(f"purged {_provider().purge_expired()} expired row(s)")
