"""``flask proauth2 ...``: the operator's commands on the app's provider.

The very commands of the ``proauth2`` console script (:mod:`proauth2_wsgi.cli`),
one implementation: the arguments are handed over as they are, the provider is
the app's. Exit status: 0 done; 1 refused, not found, or the database failed
(the reason on stderr); 2 a usage error.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from proauth2_wsgi.cli import run

__all__ = ["command"]


@click.command(
    "proauth2",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
    help="Manage the OAuth 2 authorization server: clients, tokens, schema (--help for the commands).",
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def command(arguments: tuple[str, ...]) -> None:
    provider = current_app.extensions["proauth2"].provider
    status = run(arguments, lambda _args: provider, prog="flask proauth2", standalone=False)
    if status:
        raise click.exceptions.Exit(status)
