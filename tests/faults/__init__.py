"""Faults under load: a multi-worker gunicorn on PostgreSQL, MariaDB and SQLite while the database fails."""
