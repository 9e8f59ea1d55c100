"""``python -m demo [--host H] [--port P] [--database-url URL] [--instance-path DIR]``: run the demo server."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from proauth2_wsgi import SettingsError, StorageUnavailable, TemporarilyUnavailable

from .app import create_app
from .asgi import create_server
from .client_views import authorization_url, demo_client
from .device_views import demo_tv
from .serving import stop_on_sigterm


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
            tv_client_id = demo_tv()
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
  MCP server:         {base_url}/mcp (tool whoami; any MCP client with OAuth signs in from that URL)
  Demo TV client id:  {tv_client_id} (the device flow; enter its code at {base_url}/device)
  sign in a device:   python -m demo.device_login --issuer {base_url} --client-id {tv_client_id}
Press Ctrl-C to stop.
""",
        flush=True,
    )
    # One port for everything: the Flask provider and the MCP server, under uvicorn.
    config = uvicorn.Config(
        create_server(app, args.host), host=args.host, port=args.port, access_log=False, log_level="warning"
    )
    stop_on_sigterm()  # uvicorn stops gracefully on SIGINT/SIGTERM, then hands the signal on to us
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    print("proauth2 demo stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
