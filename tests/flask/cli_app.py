"""The app ``flask --app tests/flask/cli_app.py proauth2 ...`` runs: configured from ``FLASK_PROAUTH2_*``."""

from __future__ import annotations

from flask import Flask

from flask_proauth2 import Proauth2

app = Flask(__name__)
app.config.from_prefixed_env()
Proauth2(app)
