"""``proauth2`` (also ``python -m proauth2_wsgi``): the operator's commands for any deployment.

::

    proauth2 --database-url postgresql://app@db/app create-client "My app" --redirect-uri https://app/cb
    proauth2 list-clients --json
    printf '%s' "$TOKEN" | proauth2 revoke --token -

Settings come from ``PROAUTH2_*`` environment variables (``PROAUTH2_DATABASE_URL``,
``PROAUTH2_ISSUER``, ``PROAUTH2_SCOPES``...) and, under them, from a TOML file
given with ``--config`` (its keys are the setting names: ``database_url``,
``issuer``, ``[scopes]``...). ``flask proauth2 ...`` runs the very same
commands on a Flask app's provider (:func:`run`). Exit status: 0 done; 1
refused, not found, or the database failed (the reason on stderr, no
traceback); 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from ..errors import Proauth2Error, TemporarilyUnavailable
from ..provider import Proauth2
from ..settings import PREFIX, Settings, SettingsError
from ..stores import StorageUnavailable
from .commands import BOOLEAN_METADATA, COMMANDS
from .console import Console, Refused

__all__ = ["Console", "build_parser", "main", "run"]

#: exit status of a refusal, a missing record or a failed database
EXIT_FAILURE = 1
_DATABASE_KEY = PREFIX + "DATABASE_URL"


def build_parser(prog: str, *, standalone: bool) -> argparse.ArgumentParser:
    """The command line; ``standalone`` adds where the database and settings come from."""
    parser = argparse.ArgumentParser(prog=prog, description="Manage the OAuth 2.1 authorization server.")
    if standalone:
        parser.add_argument(
            "--database-url", help=f"the database (default: ${_DATABASE_KEY}, else sqlite:///proauth2.db)"
        )
        parser.add_argument("--config", type=Path, help="a TOML file of settings (the environment overrides it)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=description, description=description)

    def json_flag(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")

    def client_options(sub: argparse.ArgumentParser, *, defaults: str) -> None:
        sub.add_argument(
            "--redirect-uri", dest="redirect_uris", action="append", help="a redirect URI (repeat for several)"
        )
        sub.add_argument("--scope", help=f"space-separated scopes the client may ask for [{defaults}]")
        sub.add_argument("--default-scope", help="space-separated scopes granted when a request names none")
        sub.add_argument("--grant-type", dest="grant_types", action="append", help="a grant type (repeat for several)")
        sub.add_argument(
            "--post-logout-redirect-uri",
            dest="post_logout_redirect_uris",
            action="append",
            help="where RP-Initiated Logout may return (OpenID Connect; repeat for several)",
        )
        sub.add_argument("--id-token-alg", help="the ID token signing algorithm, RS256 (default) or ES256")
        for option, _, what in BOOLEAN_METADATA:
            sub.add_argument(f"--{option}", action=argparse.BooleanOptionalAction, help=what)
        sub.add_argument(
            "--resource",
            dest="resources",
            action="append",
            help="a resource (RFC 8707) the client is limited to (repeat for several; default: every one)",
        )
        keys = sub.add_mutually_exclusive_group()
        keys.add_argument(
            "--jwks", type=Path, metavar="FILE", help="private_key_jwt: a JSON file of the client's public JWK set"
        )
        keys.add_argument("--jwks-uri", metavar="URL", help="private_key_jwt: the https URL of the client's JWK set")
        json_flag(sub)

    command("init-db", "create the tables, or bring them to the newest schema (idempotent)")
    command("migrate", "apply the schema migrations the database lacks").add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when the database needs migrating"
    )
    create = command("create-client", "register a client; its secret is shown this once")
    create.add_argument("name", help="the client's name, as consent pages show it")
    create.add_argument("--public", action="store_true", help="a public client (no secret, PKCE): --auth-method none")
    create.add_argument(
        "--auth-method",
        help="client_secret_basic (default), client_secret_post, private_key_jwt (with --jwks or --jwks-uri), none",
    )
    client_options(create, defaults="default: every scope the server offers")
    update = command("update-client", "change a client's name, redirect URIs, scopes or grant types")
    update.add_argument("client_id")
    update.add_argument("--name", help="a new name")
    client_options(update, defaults="unchanged unless given")
    rotate = command("rotate-secret", "a new secret for a confidential client, shown once; the old one stops working")
    rotate.add_argument("client_id")
    json_flag(rotate)
    json_flag(command("list-clients", "list the registered clients (never their secrets)"))
    show = command("show-client", "show one client's registered metadata")
    show.add_argument("client_id")
    json_flag(show)
    delete = command("delete-client", "delete a client with all its codes and tokens")
    delete.add_argument("client_id")
    delete.add_argument("--yes", action="store_true", help="do not ask")
    revoke = command("revoke", "revoke one token, or every token of a user or of a client")
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--token", metavar="-", help="'-': read the token from standard input (or a prompt)")
    target.add_argument("--user", help="revoke every token of this user id")
    target.add_argument("--client", help="revoke every token issued to this client id")
    command("purge-expired", "delete expired codes and tokens (cron it)")
    keys = command("keys", "list the signing keys, rotate them, or retire one")
    keys.add_argument("action", choices=("list", "rotate", "retire"))
    keys.add_argument("kid", nargs="?", help="the key to retire")
    json_flag(keys)
    consents = command("consents", "list a user's remembered consents, or withdraw one")
    consents.add_argument("action", choices=("list", "withdraw"))
    consents.add_argument("--user", required=True, help="the user id")
    consents.add_argument("--client", help="the client whose consent to withdraw")
    json_flag(consents)
    return parser


def run(
    argv: Sequence[str],
    provider: Callable[[argparse.Namespace], Proauth2],
    *,
    prog: str = "proauth2",
    standalone: bool = True,
    console: Console | None = None,
) -> int:
    """Parse ``argv``, run its command on ``provider(args)``; the exit status."""
    console = console or Console()
    try:
        with redirect_stdout(console.stdout), redirect_stderr(console.stderr):  # usage and --help
            args = build_parser(prog, standalone=standalone).parse_args(list(argv))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_FAILURE
    try:
        COMMANDS[args.command](provider(args), args, console)
    except (Refused, SettingsError) as error:
        return _fail(console, str(error))
    except (StorageUnavailable, TemporarilyUnavailable) as error:
        return _fail(console, error.detail or "the database is unavailable")
    except Proauth2Error as error:
        return _fail(console, error.error_description or error.error)
    except ValueError as error:  # a malformed database URL
        return _fail(console, str(error))
    return 0


def _fail(console: Console, reason: str) -> int:
    console.note(f"Error: {reason}")
    return EXIT_FAILURE


def provider_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Proauth2:
    """The provider the standalone command line describes: ``--config``, then the environment, then flags."""
    values: dict[str, Any] = {}
    if args.config is not None:
        try:
            document = tomllib.loads(args.config.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise Refused(f"--config {args.config}: {exc}") from None
        values.update({PREFIX + key.upper(): value for key, value in document.items()})
    values.update(
        {key: value for key, value in (os.environ if environ is None else environ).items() if key.startswith(PREFIX)}
    )
    if args.database_url:
        values[_DATABASE_KEY] = args.database_url
    from ..stores.peewee_store import PeeweeDataStore

    store = PeeweeDataStore(values.get(_DATABASE_KEY) or None, log_outages=False)  # run() prints the error
    return Proauth2(store, Settings.from_mapping(values))


def main(argv: Sequence[str] | None = None) -> int:
    """The ``proauth2`` console script."""
    return run(sys.argv[1:] if argv is None else argv, provider_from)
