# proauth2 — every target creates the virtualenv it needs, with only what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# pytest workers: the suite runs in parallel processes (pytest-xdist); JOBS=0 runs it in one
JOBS   ?= 2
DEMO_STAMP := $(VENV)/.installed-demo
DEV_STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install test fuzz lint typecheck bench bench-load demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# the demo's own needs: `pip install -e '.[demo]'`
$(DEMO_STAMP): setup.py | $(PY)
	$(PY) -m pip install --quiet -e '.[demo]'
	touch $(DEMO_STAMP)

# the test toolchain too: `pip install -e '.[dev]'`
$(DEV_STAMP): setup.py | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(DEMO_STAMP)

# the benchmarks' peers too (Authlib, django-oauth-toolkit, gunicorn): `pip install -e '.[dev,bench]'`
$(BENCH_STAMP): setup.py | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP) $(DEV_STAMP) $(DEMO_STAMP)

install: $(DEV_STAMP)

test: $(DEV_STAMP)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

# the property-based hostile-input tests (tests/fuzz) with many more examples than `make test` gives them
FUZZ_EXAMPLES ?= 20000
fuzz: $(DEV_STAMP)
	PROAUTH2_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -n $(JOBS) tests/fuzz $(PYTEST_ARGS)

# ruff with its security rules (S, configured in pyproject.toml) and bandit over the shipped code
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check proauth2_wsgi flask_proauth2 demo tests benchmarks
	$(VENV)/bin/ruff format --check proauth2_wsgi flask_proauth2 demo tests benchmarks
	$(VENV)/bin/bandit -q -c pyproject.toml -r proauth2_wsgi flask_proauth2 demo

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

# in-process, then proauth2 beside Authlib and django-oauth-toolkit (benchmarks/side_by_side.py)
bench: $(BENCH_STAMP)
	$(PY) -m benchmarks --peers

# gunicorn and uvicorn on loopback under wrk, SQLite and PostgreSQL (benchmarks/load.py)
bench-load: $(BENCH_STAMP)
	$(PY) -m benchmarks.load

demo: $(DEMO_STAMP)
	$(PY) -m demo

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
