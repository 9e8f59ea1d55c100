"""The operator's commands, each a function of the provider, the parsed arguments and the console.

Every command prints a stable result (or JSON with ``--json``) on stdout and
raises :class:`~proauth2_wsgi.cli.console.Refused` for anything it cannot do;
a secret is printed once, by ``create-client`` and ``rotate-secret``, and
never read from the command line.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ..errors import Proauth2Error
from ..issuance import DPOP_BOUND
from ..keyset import KeyManagementError
from ..models import Client, ClientCredentials
from ..provider import DPOP_NONCE_REQUIRED, Proauth2
from ..pushed_requests import REQUIRE_PUSHED
from ..resources import CLIENT_RESOURCES
from ..stores import SCHEMA_VERSION
from .console import Console, Refused
from .output import client_fields, client_json, client_row, table

__all__ = ["COMMANDS"]

Command = Callable[[Proauth2, argparse.Namespace, Console], None]

_SECRET_NOTICE = "Store the secret now: only its hash is kept, so it cannot be shown again."  # noqa: S105 - a notice


def _client(provider: Proauth2, client_id: str) -> Client:
    client = provider.get_client(client_id)
    if client is None:
        raise Refused(f"no client {client_id!r}")
    return client


def _show_credentials(console: Console, client: Client, credentials: ClientCredentials, as_json: bool) -> None:
    if as_json:
        console.json(client_json(client, credentials))
    else:
        console.out(f"client_id:     {client.client_id}")
        if credentials.client_secret is not None:
            console.out(f"client_secret: {credentials.client_secret}")
    if credentials.client_secret is not None:
        console.note(_SECRET_NOTICE)


def init_db(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Create the tables, or bring them to the newest schema (idempotent); print the schema version."""
    provider.store.migrate()
    console.out(f"schema version {provider.store.schema_version()} ready in {provider.store!r}")


def migrate(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Apply the schema migrations the database lacks, once, however many processes run it."""
    store = provider.store
    if args.check:
        found = store.schema_version()
        if found != SCHEMA_VERSION:
            raise Refused(f"the database schema is at version {found}; this proauth2 needs version {SCHEMA_VERSION}")
        console.out(f"schema version {found} is current")
        return
    applied = store.migrate()
    done = ", ".join(map(str, applied)) if applied else "none needed"
    console.out(f"migrations applied: {done}; schema version {store.schema_version()}")


def create_client(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Register a client and print its id and secret (shown only this once)."""
    if args.public and args.auth_method not in (None, "none"):
        raise Refused("--public means --auth-method none")
    method = "none" if args.public else args.auth_method or "client_secret_basic"
    metadata = _client_metadata(args)
    keys = _client_keys(args)
    if keys and method != "private_key_jwt":
        raise Refused("--jwks and --jwks-uri are a private_key_jwt client's keys: add --auth-method private_key_jwt")
    if method == "private_key_jwt" and not keys:
        raise Refused("a private_key_jwt client needs its public keys: --jwks FILE or --jwks-uri URL")
    credentials = provider.register_app(
        args.name,
        args.redirect_uris or (),
        grant_types=args.grant_types or None,
        scopes=args.scope,
        default_scope=args.default_scope,
        auth_method=method,
        metadata={**metadata, **keys},
    )
    _show_credentials(console, _client(provider, credentials.client_id), credentials, args.json)


def update_client(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Change a client's name, redirect URIs, scopes or grant types; its id and secret stay."""
    client = _client(provider, args.client_id)
    keys = _client_keys(args)
    if keys and client.auth_method != "private_key_jwt":
        raise Refused(f"--jwks and --jwks-uri are for private_key_jwt clients; this one uses {client.auth_method}")
    if keys:  # the new keys replace the old, whichever way they were given
        keys = {"jwks": None, "jwks_uri": None, **keys}
    changes = {
        "name": args.name,
        "redirect_uris": args.redirect_uris,
        "grant_types": args.grant_types,
        "scopes": args.scope,
        "default_scope": args.default_scope,
        "metadata": {**_client_metadata(args), **keys} or None,
    }
    if all(value is None for value in changes.values()):
        raise Refused(
            "nothing to change: give --name, --redirect-uri, --scope, --default-scope, --grant-type,"
            " --post-logout-redirect-uri, --id-token-alg, --resource, --jwks, --jwks-uri or a client flag"
        )
    client = provider.update_client(
        args.client_id, **{name: value for name, value in changes.items() if value is not None}
    )
    _show(console, client, args.json)


#: the boolean client metadata the command line sets (``--flag`` / ``--no-flag``): option, metadata name, help
BOOLEAN_METADATA: tuple[tuple[str, str, str], ...] = (
    ("require-par", REQUIRE_PUSHED, "the client must push its authorization requests (RFC 9126 §6)"),
    ("dpop-bound-access-tokens", DPOP_BOUND, "the client's access tokens must be DPoP-bound (RFC 9449 §5.2)"),
    ("dpop-nonce-required", DPOP_NONCE_REQUIRED, "its DPoP proofs must carry the server's nonce (RFC 9449 §8)"),
)


def _client_metadata(args: argparse.Namespace) -> dict[str, Any]:
    """The further client metadata the options give: OpenID Connect's, the resources (checked by the provider)."""
    metadata: dict[str, Any] = {
        name: getattr(args, option.replace("-", "_"))
        for option, name, _ in BOOLEAN_METADATA
        if getattr(args, option.replace("-", "_")) is not None
    }
    if args.post_logout_redirect_uris:
        metadata["post_logout_redirect_uris"] = args.post_logout_redirect_uris
    if args.id_token_alg:
        metadata["id_token_signed_response_alg"] = args.id_token_alg
    if args.resources:
        metadata[CLIENT_RESOURCES] = args.resources
    return metadata


def _client_keys(args: argparse.Namespace) -> dict[str, Any]:
    """A private_key_jwt client's public keys from ``--jwks FILE`` or ``--jwks-uri URL`` (checked by the provider)."""
    if args.jwks_uri is not None:
        return {"jwks_uri": args.jwks_uri}
    if args.jwks is None:
        return {}
    try:
        return {"jwks": json.loads(args.jwks.read_text(encoding="utf-8"))}
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise Refused(f"--jwks {args.jwks}: not a readable JSON file ({exc})") from None


def rotate_secret(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Give a confidential client a new secret, shown once; the old one stops working at once."""
    client = _client(provider, args.client_id)
    _show_credentials(console, client, provider.rotate_client_secret(client.client_id), args.json)


def list_clients(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """List the registered clients (never their secrets)."""
    clients = provider.list_clients()
    if args.json:
        console.json([client_json(client) for client in clients])
    elif not clients:
        console.out("no clients are registered")
    else:
        for line in table([client_row(client) for client in clients]):
            console.out(line)


def show_client(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Show one client's registered metadata (never its secret)."""
    _show(console, _client(provider, args.client_id), args.json)


def _show(console: Console, client: Client, as_json: bool) -> None:
    if as_json:
        console.json(client_json(client))
        return
    fields = client_fields(client)
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        console.out(f"{name + ':':{width + 1}} {value}")


def delete_client(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Delete a client with all its codes and tokens (asks first, unless --yes)."""
    client = _client(provider, args.client_id)
    if not args.yes and not console.confirm(f"Delete client {client.client_id} ({client.name}) and all its tokens?"):
        raise Refused("not deleted: confirm at the prompt, or pass --yes")
    provider.delete_client(client.client_id)
    console.out(f"deleted client {client.client_id}")


def revoke(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Revoke one token (read from standard input), or every token of a user or of a client."""
    if args.token is not None:
        if args.token != "-":  # noqa: S105 - '-' is stdin
            raise Refused("a token on the command line is seen by ps and shell history: use --token - and pipe it in")
        token = console.secret("Token (not echoed): ")
        if not provider.introspect_token(token)["active"]:
            raise Refused("no active token matches")
        provider.revoke_token(token)
        console.out("revoked the token")
    elif args.user is not None:
        console.out(f"revoked {provider.revoke_user_tokens(args.user)} token(s) of user {args.user}")
    else:
        client = _client(provider, args.client)
        console.out(f"revoked {provider.revoke_client_tokens(client.client_id)} token(s) of client {client.client_id}")


def keys(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """List the signing keys, rotate them (next -> current -> retired), or retire one now."""
    try:
        if args.action == "rotate":
            provider.keys.rotate()
        elif args.action == "retire":
            if not args.kid:
                raise Refused("keys retire needs the KID of the key to retire")
            provider.keys.retire(args.kid)
        elif args.kid:
            raise Refused("keys list takes no KID")
    except KeyManagementError as error:
        raise Refused(str(error)) from None
    stored = provider.keys.keys()
    published = {key.kid for key in provider.keys.published()} if stored else set()  # listing makes nothing
    listed = [
        {
            "kid": key.kid,
            "alg": key.alg,
            "state": key.state,
            "published": key.kid in published,
            "created_at": key.created_at,
            "activated_at": key.activated_at,
            "retired_at": key.retired_at,
            "stored": key.stored,
        }
        for key in stored
    ]
    if args.json:
        console.json(listed)
    elif not listed:
        console.out("no signing keys yet: they are made on first use, or by keys rotate")
    else:
        rows = [
            (key.kid, key.alg, key.state, "yes" if key.kid in published else "no", str(key.created_at))
            for key in stored
        ]
        for line in table(rows, header=("KID", "ALG", "STATE", "PUBLISHED", "CREATED_AT")):
            console.out(line)


def consents(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """List a user's remembered consents, or withdraw one (revoking that client's tokens for the user)."""
    if args.action == "withdraw":
        if not args.client:
            raise Refused("consents withdraw needs --client")
        try:
            revoked = provider.withdraw_consent(args.client, args.user)
        except Proauth2Error as error:
            raise Refused(error.error_description or error.error) from None
        console.out(f"withdrew {args.user}'s consent to {args.client}; revoked {revoked} token(s)")
        return
    given = provider.consents(args.user)
    if args.json:
        console.json({client_id: sorted(scopes) for client_id, scopes in given.items()})
    elif not given:
        console.out(f"{args.user} has given no consent")
    else:
        for line in table(
            [(client_id, " ".join(sorted(s))) for client_id, s in given.items()], header=("CLIENT_ID", "SCOPE")
        ):
            console.out(line)


def purge_expired(provider: Proauth2, args: argparse.Namespace, console: Console) -> None:
    """Delete expired codes and tokens in batches (cron it); print how many rows went."""
    console.out(f"purged {provider.purge_expired()} expired row(s)")


#: command name -> what runs it
COMMANDS: dict[str, Command] = {
    "init-db": init_db,
    "migrate": migrate,
    "create-client": create_client,
    "update-client": update_client,
    "rotate-secret": rotate_secret,
    "list-clients": list_clients,
    "show-client": show_client,
    "delete-client": delete_client,
    "revoke": revoke,
    "purge-expired": purge_expired,
    "keys": keys,
    "consents": consents,
}
