"""Secrets hygiene (issue 17): nothing usable in a database dump after any flow; the log-capture plugin can fail."""
