# proauth2 — every target creates the virtualenv it needs, with only what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# pytest workers: the suite runs in parallel processes (pytest-xdist); JOBS=0 runs it in one
JOBS   ?= 2
DEMO_STAMP := $(VENV)/.installed-demo
DEV_STAMP  := $(VENV)/.installed-dev

.PHONY: install test lint typecheck bench demo clean

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

install: $(DEV_STAMP)

test: $(DEV_STAMP)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check proauth2_wsgi flask_proauth2 demo tests benchmarks
	$(VENV)/bin/ruff format --check proauth2_wsgi flask_proauth2 demo tests benchmarks

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

bench: $(DEV_STAMP)
	$(PY) -m benchmarks

demo: $(DEMO_STAMP)
	$(PY) -m demo

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
