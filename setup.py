"""proauth2: an OAuth 2.1 authorization server for any WSGI or Flask app."""

from pathlib import Path

from setuptools import find_packages, setup

FLASK = ["flask>=2.3"]
POSTGRES = ["psycopg2-binary>=2.9"]
MYSQL = ["pymysql>=1.1"]
# ASGI: the middleware itself needs nothing; these are for FastAPI's dependency and an ASGI server
ASGI = ["starlette>=0.40", "uvicorn>=0.30", "websockets>=12"]
FASTAPI = ["fastapi>=0.115"]
# the demo: Flask, its MCP server (the official SDK), both on one port under uvicorn
DEMO = [*FLASK, "mcp>=2.3", "uvicorn>=0.30", "a2wsgi>=1.10"]
TEST_TOOLS = [
    "pytest>=7.4",
    "pytest-xdist>=3.5",
    "requests>=2.31",
    "requests-oauthlib>=1.3",
    "httpx>=0.27",
    "authlib>=1.3",
    "gunicorn>=21",
    "django>=4.2",
    "falcon>=3.1",
    "bottle>=0.12",
    "playwright>=1.40",
    "hypothesis>=6.100",
    "ruff>=0.4",
    "bandit>=1.7",
    "mypy>=1.8",
]
# what `make bench` adds: the peers it is compared with (benchmarks/peers/) and a WSGI server
BENCH = ["authlib>=1.3", "flask-sqlalchemy>=3.1", "django>=4.2", "django-oauth-toolkit>=2.4", "gunicorn>=21"]

setup(
    name="proauth2",
    version="2.0.0.dev1",
    description="An OAuth 2.1 authorization server for any WSGI or Flask app, storage included.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["proauth2_wsgi", "proauth2_wsgi.*", "flask_proauth2", "flask_proauth2.*"]),
    package_data={"proauth2_wsgi": ["py.typed"], "flask_proauth2": ["py.typed", "templates/proauth2/*.html"]},
    # joserfc (JOSE: JWS, JWK sets, RFC 7638 thumbprints) on cryptography: ID tokens and JWT access tokens
    install_requires=["werkzeug>=2.3", "peewee>=3.17", "joserfc>=1.0", "cryptography>=42"],
    entry_points={"console_scripts": ["proauth2 = proauth2_wsgi.cli:main"]},
    extras_require={
        "flask": FLASK,
        "asgi": ASGI,
        "fastapi": [*ASGI, *FASTAPI],
        "postgres": POSTGRES,
        "mysql": MYSQL,
        # what `make demo` installs: the demo's own needs, nothing of the test toolchain
        "demo": DEMO,
        # what `make test` installs; the peers too, since the suite runs the side-by-side benchmark once
        "dev": [*DEMO, *ASGI, *FASTAPI, *POSTGRES, *MYSQL, *TEST_TOOLS, *BENCH],
        # what `make bench` installs on top of dev: Authlib and django-oauth-toolkit to compare with
        "bench": BENCH,
    },
    classifiers=[
        "Framework :: Flask",
        "Programming Language :: Python :: 3",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Middleware",
        "Topic :: Security",
    ],
)
