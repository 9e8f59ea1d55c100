"""Benchmarks of the bearer-token hot path (``python -m benchmarks``, ``make bench``).

Not timed tests: they print figures and check them against the budgets of
the middleware (at most one primary-key query per validated request, at most
50 µs over the bare app on SQLite, validation cost independent of how many
tokens are stored).
"""
