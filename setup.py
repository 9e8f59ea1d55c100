"""proauth2: an OAuth 2.1 authorization server for any WSGI or Flask app."""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="proauth2",
    version="2.0.0.dev1",
    description="An OAuth 2.1 authorization server for any WSGI or Flask app, storage included.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["proauth2_wsgi", "proauth2_wsgi.*", "flask_proauth2", "flask_proauth2.*"]),
    package_data={"proauth2_wsgi": ["py.typed"], "flask_proauth2": ["py.typed", "templates/*"]},
    install_requires=["werkzeug>=2.3", "peewee>=3.17"],
    extras_require={
        "flask": ["flask>=2.3"],
        "postgres": ["psycopg2-binary>=2.9"],
        "mysql": ["pymysql>=1.1"],
        "dev": [
            "flask>=2.3",
            "pytest>=7.4",
            "psycopg2-binary>=2.9",
            "pymysql>=1.1",
            "requests>=2.31",
            "requests-oauthlib>=1.3",
            "authlib>=1.3",
            "gunicorn>=21",
            "django>=4.2",
            "falcon>=3.1",
            "bottle>=0.12",
            "playwright>=1.40",
            "ruff>=0.4",
            "mypy>=1.8",
        ],
    },
    classifiers=[
        "Framework :: Flask",
        "Programming Language :: Python :: 3",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Middleware",
        "Topic :: Security",
    ],
)
