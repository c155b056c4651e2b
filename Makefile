# Newsroom: `make run` to serve the site locally, `make test` to run the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python

# The first interpreter that runs and is Python >= 3.12: $(PYTHON) if given, then the usual
# names, then pyenv's installed versions (pyenv shims fail until a version is selected).
define find_python
for candidate in $${PYTHON:-} python3.14 python3.13 python3.12 python3 \
    $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
    command -v "$$candidate"; exit 0; \
  fi; \
  found="$$found $$candidate=$$("$$candidate" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo missing)"; \
done; \
echo "Newsroom needs Python >= 3.12; found:$$found. Install one, or run e.g. make run PYTHON=/path/to/python3.13" >&2; \
exit 1
endef

.PHONY: help run test lint format check serve bench clean

help:
	@echo "make run    - set up .venv, migrate, import seeds/ (and, on an empty database, the demo"
	@echo "              newsroom of seeds/demo/), serve on http://127.0.0.1:$(PORT) (PORT=8000)"
	@echo "make test   - run the whole suite (DATABASE_URL selects the database)"
	@echo "make lint   - ruff check and format check"
	@echo "make check  - Django system checks, migrations check, deploy check"
	@echo "make serve  - production: deploy check, migrate, collectstatic, gunicorn (see README)"
	@echo "make bench  - benchmark against hello-world, cached and uncached (BENCH_ARGS=\"20000\")"

$(VENV)/.installed: pyproject.toml
	@python=$$($(find_python)) && echo "Using $$python" && \
	  { [ -x $(PY) ] || "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Local development settings for this checkout (read by newsroom/settings.py, never committed),
# so that `.venv/bin/python manage.py …` works here without exporting anything.
.env: | $(VENV)/.installed
	@printf '# Local development only; written by make run.\nDEBUG=true\nSECRET_KEY=%s\n' \
	  "$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env (DEBUG=true and a random SECRET_KEY for this checkout)"

# `make run PORT=8080` serves on another port. On an empty database (a first run, before the
# seed is imported) load_demo --first-run loads the demo newsroom around the seed; on any other
# it does nothing, so a newsroom that removed the demo (load_demo --remove) keeps it removed.
PORT ?= 8000
run: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py make_renditions --verbosity 0
	$(PY) manage.py load_demo --first-run
	$(PY) manage.py import_articles seeds/
	$(PY) manage.py ensure_editor
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Tests run with DEBUG off, as production does; they need a key, but not a real one. The test
# client speaks plain HTTP, so the HTTPS redirect is off unless a test turns it on. pytest-xdist
# runs them in one process per core (PYTEST_WORKERS=0: in this one), each with its own test
# database; worksteal evens out the few tests that take seconds.
PYTEST_WORKERS ?= auto
test: $(VENV)/.installed
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-false} \
	  REDIS_TEST_URL=$${REDIS_TEST_URL:-redis://127.0.0.1:6379/15} \
	  $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(VENV)/.installed .env
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=$${ALLOWED_HOSTS:-news.example.org} DEBUG=false \
	  $(PY) manage.py check --deploy --fail-level WARNING

# Production: DEBUG off, settings from the environment (README, "Production"); refuses to
# start when the deploy check finds a problem.
serve: $(VENV)/.installed
	$(PY) manage.py check --deploy --fail-level WARNING
	DATABASE_STATEMENT_TIMEOUT=0 $(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn --config newsroom/gunicorn.conf.py

# Drops and recreates the PostgreSQL database nr_bench; see bench/README.md.
bench: $(VENV)/.installed
	bench/run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
