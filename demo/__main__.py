"""``python -m demo [--host H] [--port P] [--database-url URL] [--instance-path DIR]``: run the demo server."""

from __future__ import annotations

import argparse
import os
import re
import sys

from werkzeug.serving import WSGIRequestHandler

from proauth2_wsgi import SettingsError, StorageUnavailable, TemporarilyUnavailable

from .app import create_app
from .client_views import authorization_url, demo_client
from .serving import stop_on_sigterm


class RedactingRequestHandler(WSGIRequestHandler):
    """The development server's access log, without query strings.

    Callback URLs carry authorization codes and ``state`` (RFC 6749 §10.5,
    RFC 9700 §4.2): a log line must never hold a usable credential.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called once the environ is built (it was made from the full path): redact both forms.
        if hasattr(self, "path"):
            self.path = re.sub(r"\?.*", "?…", self.path)
        self.requestline = re.sub(r"\?\S*", "?…", self.requestline)
        super().log_request(code, size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description="Run the proauth2 demo provider.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--database-url", help="sqlite:///file.db, postgresql://..., mysql://... (default SQLite)")
    parser.add_argument(
        "--instance-path", help="folder for the session key and demo client (default: Flask's instance/)"
    )
    args = parser.parse_args(argv)
    public_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host  # noqa: S104 - only compared
    if ":" in public_host:
        public_host = f"[{public_host}]"
    base_url = f"http://{public_host}:{args.port}"
    instance_path = os.path.abspath(args.instance_path) if args.instance_path else None
    try:
        app = create_app(args.database_url, base_url, instance_path=instance_path)
        with app.app_context():
            client = demo_client()
    except SettingsError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except (StorageUnavailable, TemporarilyUnavailable) as error:
        print(
            f"Error: {error.detail or error}\n"
            "Is the database server running, and does the database exist? proauth2 creates its tables,\n"
            "not the database: for PostgreSQL, psql -h HOST -U USER -c 'create database NAME'.",
            file=sys.stderr,
        )
        return 1
    secret = client.client_secret if client.new_secret else f"(shown when it was made; kept in {app.instance_path})"
    print(
        f"""
proauth2 demo on {base_url}
  sign in as:         alice / wonderland
  demo client id:     {client.client_id}
  demo client secret: {secret}
  try the flow:       {base_url}/client/
  or open directly:   {authorization_url(client)}
  metadata:           {base_url}/.well-known/oauth-authorization-server
Press Ctrl-C to stop.
""",
        flush=True,
    )
    stop_on_sigterm()
    try:
        app.run(
            host=args.host,
            port=args.port,
            threaded=True,
            use_reloader=False,
            request_handler=RedactingRequestHandler,
        )
    except KeyboardInterrupt:
        pass
    print("proauth2 demo stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
